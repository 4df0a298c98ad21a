// Request-reply over a queue (RPC, MQ-15): a caller publishes a request
// carrying a correlation id and its reply-to address, and waits for the reply
// with that id, for at most its timeout. The table says what a reply that
// comes back is: the awaited answer (matched), one for a caller that gave up
// (late), a second one for an answered request (duplicate: the request was
// delivered twice), or one whose caller is gone (orphaned: its instance died,
// and its reply-to queue with it).
//
// Memory: waiting entries, plus the settled ones for `keepMs` after their
// deadline (so a late or duplicate reply is still recognised); a reply whose
// request was settled and forgotten longer ago than that counts as late.

export const MATCHED = 0;
export const LATE = 1;
export const DUPLICATE = 2;
export const ORPHANED = 3;

const WAITING = 0;
const ANSWERED = 1;
const TIMED_OUT = 2;
const GONE = 3;

interface Entry {
  state: number;
  deadline: number;
  sentAt: number;
  /** the caller's handle on its waiting request (a job id and its serial) */
  owner: number;
  serial: number;
}

export class CorrelationTable {
  /** by correlation id, in the order the requests were sent (so the oldest are swept first) */
  private readonly entries = new Map<number, Entry>();
  requests = 0;
  answered = 0;
  timedOut = 0;
  late = 0;
  duplicates = 0;
  orphaned = 0;

  constructor(private readonly keepMs: number) {}

  get size(): number {
    return this.entries.size;
  }

  expect(id: number, sentAt: number, deadline: number, owner: number, serial: number): void {
    this.requests++;
    this.entries.set(id, { state: WAITING, deadline, sentAt, owner, serial });
  }

  /** The request never reached the queue (its publish failed): no reply can come. */
  withdraw(id: number): void {
    if (this.entries.delete(id)) this.requests--;
  }

  /** The caller stopped waiting at its timeout. */
  timeout(id: number): void {
    const e = this.entries.get(id);
    if (e?.state !== WAITING) return;
    e.state = TIMED_OUT;
    this.timedOut++;
  }

  /** The caller died while waiting (its reply-to queue went with it). */
  gone(id: number): void {
    const e = this.entries.get(id);
    if (e?.state === WAITING) e.state = GONE;
  }

  /**
   * A reply came back. `alive(owner, serial)`: whether the waiting caller still
   * exists. Returns what the reply is, and for a match the time since it was sent.
   */
  reply(id: number, now: number, alive: (owner: number, serial: number) => boolean): number {
    const e = this.entries.get(id);
    let kind: number;
    if (!e || e.state === TIMED_OUT) kind = LATE;
    else if (e.state === ANSWERED) kind = DUPLICATE;
    else if (e.state === GONE) kind = ORPHANED;
    else if (!alive(e.owner, e.serial)) {
      e.state = GONE;
      kind = ORPHANED;
    } else {
      e.state = ANSWERED;
      this.answered++;
      kind = MATCHED;
    }
    if (kind === LATE) this.late++;
    else if (kind === DUPLICATE) this.duplicates++;
    else if (kind === ORPHANED) this.orphaned++;
    return kind;
  }

  /** Who waits for a matched reply, and since when. */
  owner(id: number): { owner: number; serial: number; sentAt: number } {
    return this.entries.get(id)!;
  }

  /** Forgets settled requests whose deadline passed more than keepMs ago, oldest first. */
  sweep(now: number): void {
    for (const [id, e] of this.entries) {
      if (e.state === WAITING || e.deadline + this.keepMs > now) break;
      this.entries.delete(id);
    }
  }
}
