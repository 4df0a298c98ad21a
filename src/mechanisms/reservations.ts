// The reservation (soft lock) pattern for stock (CR-08): checkout holds
// units for `holdMs` (10 minutes in the classic shop), payment confirmation
// turns the hold into a sale, and a hold whose payment never confirms
// (declined, timed out, abandoned) expires and its units return to stock. A
// hold is only granted from units nobody else holds or has bought, so
// however checkouts and payments interleave, sales never exceed the stock;
// the price is units held by checkouts that never pay, for up to holdMs.
//
// Every hold lasts the same holdMs, so expiry order is creation order: the
// holds live in a FIFO, expired from the front whenever time is given.
// Memory follows the holds made within holdMs.

export const SOLD = 1;
/** no live hold has the id: it ran out, was released, or was confirmed already (a duplicate confirmation sells nothing) */
export const NOT_HELD = 2;
export const UNKNOWN = 3;

export class Reservations {
  /** live holds: id -> units */
  private readonly live = new Map<number, number>();
  private fifoIds: number[] = [];
  private fifoAt: number[] = [];
  private head = 0;
  private nextId = 1;
  private clock = Number.NEGATIVE_INFINITY;
  held = 0;
  sold = 0;
  /** holds that ran out (units that went back to stock through expiry) */
  expiredHolds = 0;
  expiredUnits = 0;
  /** holds refused because not enough units were free */
  refused = 0;

  constructor(
    readonly stock: number,
    readonly holdMs: number,
  ) {
    if (!(Number.isInteger(stock) && stock >= 0)) throw new RangeError(`stock must be a whole number >= 0`);
    if (!(holdMs > 0)) throw new RangeError(`holdMs must be > 0`);
  }

  /** Units neither held nor sold at `now`. */
  available(now: number): number {
    this.expire(now);
    return this.stock - this.held - this.sold;
  }

  /** Hold `units` at `now` until now + holdMs: the hold's id, or 0 if not enough units are free. */
  hold(now: number, units = 1): number {
    if (!(Number.isInteger(units) && units > 0)) throw new RangeError(`units must be a whole number > 0`);
    if (this.available(now) < units) {
      this.refused++;
      return 0;
    }
    const id = this.nextId++;
    this.live.set(id, units);
    this.fifoIds.push(id);
    this.fifoAt.push(now + this.holdMs);
    this.held += units;
    return id;
  }

  /** Payment confirmed at `now`: SOLD if the hold was still live, else NOT_HELD (or UNKNOWN for an id never given). */
  confirm(id: number, now: number): number {
    this.expire(now);
    const units = this.live.get(id);
    if (units === undefined) return id > 0 && id < this.nextId ? NOT_HELD : UNKNOWN;
    this.live.delete(id);
    this.held -= units;
    this.sold += units;
    return SOLD;
  }

  /** Payment declined at `now`: the units go back at once rather than at expiry. */
  release(id: number, now: number): boolean {
    this.expire(now);
    const units = this.live.get(id);
    if (units === undefined) return false;
    this.live.delete(id);
    this.held -= units;
    return true;
  }

  /** Let every hold that ran out by `now` go (a hold expires at exactly its creation + holdMs). */
  expire(now: number): void {
    if (now < this.clock) throw new RangeError(`time went backwards: ${now} < ${this.clock}`);
    this.clock = now;
    while (this.head < this.fifoIds.length && this.fifoAt[this.head] <= now) {
      const id = this.fifoIds[this.head++];
      const units = this.live.get(id);
      if (units === undefined) continue; // confirmed or released already
      this.live.delete(id);
      this.held -= units;
      this.expiredHolds++;
      this.expiredUnits += units;
    }
    // drop the consumed front now and then, so memory follows the live window
    if (this.head > 1024 && this.head * 2 > this.fifoIds.length) {
      this.fifoIds = this.fifoIds.slice(this.head);
      this.fifoAt = this.fifoAt.slice(this.head);
      this.head = 0;
    }
  }

  /** Holds in the FIFO (live or already settled but not yet reached by expiry). */
  get tracked(): number {
    return this.fifoIds.length - this.head;
  }
}
