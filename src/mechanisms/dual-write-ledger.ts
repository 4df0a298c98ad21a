// A dual write (TX-06): a route writes a row, then publishes an event about
// it, as two separate operations. Between them the instance can die, or the
// publish can fail after the write committed: the row then exists and its
// event never will. This ledger pairs, per request, the write's commit with
// the event's append, exactly: a request whose write committed and whose work
// is all gone (no attempt, retry or call left) without an append is a
// missing event. Entries are kept only while their request is live, so
// memory is bounded by the work in flight.

const COMMITTED = 1;
const APPENDED = 2;

export interface DualWriteCounts {
  /** requests whose write committed */
  committed: number;
  /** of those, requests whose event was appended */
  withEvent: number;
  /** of those, requests that ended with the row committed and no event: lost for good */
  missingEvents: number;
  /** of those, requests still live with no event yet */
  pending: number;
}

export class DualWriteLedger {
  private readonly state = new Map<number, number>();
  private committedN = 0;
  private withEventN = 0;
  private missingN = 0;

  /** The request's write committed (again, for a retry: counted once). */
  committed(req: number): void {
    const s = this.state.get(req) ?? 0;
    if ((s & COMMITTED) !== 0) return;
    this.state.set(req, s | COMMITTED);
    this.committedN++;
    if ((s & APPENDED) !== 0) this.withEventN++;
  }

  /** The request's event was appended (again: counted once). */
  appended(req: number): void {
    const s = this.state.get(req) ?? 0;
    if ((s & APPENDED) !== 0) return;
    this.state.set(req, s | APPENDED);
    if ((s & COMMITTED) !== 0) this.withEventN++;
  }

  /** Forgets the requests none of whose work is left: a committed write without its event is missing for good. */
  sweep(alive: (req: number) => boolean): void {
    for (const [req, s] of this.state) {
      if (alive(req)) continue;
      if (s === COMMITTED) this.missingN++;
      this.state.delete(req);
    }
  }

  get size(): number {
    return this.state.size;
  }

  counts(): DualWriteCounts {
    let pending = 0;
    for (const s of this.state.values()) if (s === COMMITTED) pending++;
    return {
      committed: this.committedN,
      withEvent: this.withEventN,
      missingEvents: this.missingN,
      pending,
    };
  }
}
