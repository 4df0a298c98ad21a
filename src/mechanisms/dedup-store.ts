// An idempotent consumer's record of the message ids it has processed
// (MQ-11: "idempotent consumer + dedup table"). An id is claimed when its
// processing starts (an insert under a unique constraint, in the same
// transaction as the processing's effects), so a second copy seen meanwhile
// is a duplicate too; it is recorded when the processing completes and kept
// for `ttlMs`; a processing that fails or dies releases its claim, as a
// rolled-back transaction would. Memory follows the ids processed within the
// TTL.

export const ABSENT = 0;
export const CLAIMED = 1;
export const DONE = 2;

export class DedupStore {
  private readonly entries = new Map<number, number>();
  /** ids in the order they were recorded, with their expiry: a FIFO, since the TTL is the same for all */
  private ids = new Float64Array(64);
  private expiries = new Float64Array(64);
  private head = 0;
  private length = 0;
  hits = 0;

  constructor(readonly ttlMs: number) {}

  /** ABSENT, CLAIMED (being processed) or DONE (processed within the TTL) at time `now`. */
  status(id: number, now: number): number {
    this.expire(now);
    const e = this.entries.get(id);
    return e === undefined ? ABSENT : e < 0 ? CLAIMED : DONE;
  }

  claim(id: number): void {
    this.entries.set(id, -1);
  }

  release(id: number): void {
    if (this.entries.get(id) === -1) this.entries.delete(id);
  }

  /** The processing of `id` completed at `now`: remembered until now + ttl. */
  record(id: number, now: number): void {
    const expiry = now + this.ttlMs;
    this.entries.set(id, expiry);
    if (this.length === this.ids.length) this.grow();
    const i = (this.head + this.length++) % this.ids.length;
    this.ids[i] = id;
    this.expiries[i] = expiry;
  }

  /** Ids remembered (claimed or done). */
  get size(): number {
    return this.entries.size;
  }

  private expire(now: number): void {
    while (this.length > 0 && this.expiries[this.head] <= now) {
      const id = this.ids[this.head];
      // a later record of the same id (after a claim by a replay) keeps it
      if (this.entries.get(id) === this.expiries[this.head]) this.entries.delete(id);
      this.head = (this.head + 1) % this.ids.length;
      this.length--;
    }
  }

  private grow(): void {
    const n = this.ids.length * 2;
    const ids = new Float64Array(n);
    const ex = new Float64Array(n);
    for (let k = 0; k < this.length; k++) {
      const i = (this.head + k) % this.ids.length;
      ids[k] = this.ids[i];
      ex[k] = this.expiries[i];
    }
    this.ids = ids;
    this.expiries = ex;
    this.head = 0;
  }
}
