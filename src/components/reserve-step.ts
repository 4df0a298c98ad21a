// A reserve step (CR-08) on a service route: checkout takes units of one
// item's stock, the rest of the route (the payment) runs, and the request's
// outcome settles them. Two ways to do it:
//   hold:                 the units are held for `holdMs` (Reservations); a
//                         request that succeeds confirms its hold (a sale),
//                         one that fails leaves it to expire (the payment
//                         timeout), and then the units return to stock. A
//                         checkout that finds no free unit fails sold-out.
//   check-then-decrement: the step only checks that units remain; the sale
//                         is recorded when the request succeeds. Checkouts
//                         whose payments overlap all see the last units, so
//                         more can be sold than there are (oversold).
// The stock is the service's, shared by all its instances (as one row of a
// database would be; the round trip to it is not modelled).
import { NOT_HELD, Reservations, SOLD } from "../mechanisms/reservations.js";
import type { Job } from "./job.js";
import { OK } from "./outcomes.js";

export type ReserveMode = "hold" | "check-then-decrement";
export const RESERVE_MODES: readonly ReserveMode[] = ["hold", "check-then-decrement"];

export class ReserveStep {
  readonly type = "reserve";
  private readonly holds: Reservations;
  /** hold mode: job id -> [its serial, hold id]; check mode: hold id 0 */
  private readonly pending = new Map<number, [number, number]>();
  /** check-then-decrement: units sold (can exceed the stock) */
  private checkedSold = 0;
  soldOut = 0;
  /** hold mode: payments that succeeded after their hold had expired (nothing sold) */
  lateConfirmations = 0;

  constructor(
    readonly route: string,
    readonly mode: ReserveMode,
    readonly stock: number,
    readonly holdMs: number,
    readonly units: number,
  ) {
    this.holds = new Reservations(stock, holdMs);
  }

  /** The checkout: false if the item is sold out (the request fails sold-out). */
  take(job: Job, now: number): boolean {
    if (this.mode === "hold") {
      const id = this.holds.hold(now, this.units);
      if (id === 0) return this.refuse();
      this.pending.set(job.id, [job.serial, id]);
      return true;
    }
    if (this.stock - this.checkedSold < this.units) return this.refuse();
    this.pending.set(job.id, [job.serial, 0]);
    return true;
  }

  private refuse(): false {
    this.soldOut++;
    return false;
  }

  /** The request ended with `outcome`: a success buys the units; a failure leaves its hold to expire. */
  settle(job: Job, outcome: number, now: number): void {
    const p = this.pending.get(job.id);
    if (p === undefined || p[0] !== job.serial) return;
    this.pending.delete(job.id);
    if (outcome !== OK) return;
    if (this.mode === "check-then-decrement") {
      this.checkedSold += this.units;
      return;
    }
    const r = this.holds.confirm(p[1], now);
    if (r === NOT_HELD) this.lateConfirmations++;
    else if (r !== SOLD) throw new Error(`reserve step: hold ${p[1]} was never given`);
  }

  report(now: number): Record<string, unknown> {
    const sold = this.mode === "hold" ? this.holds.sold : this.checkedSold;
    const out: Record<string, unknown> = {
      route: this.route,
      mode: this.mode,
      stock: this.stock,
      sold,
      oversold: Math.max(0, sold - this.stock),
      soldOut: this.soldOut,
    };
    if (this.mode === "hold") {
      out.held = this.holds.held;
      out.available = this.holds.available(now);
      out.expiredHolds = this.holds.expiredHolds;
      out.lateConfirmations = this.lateConfirmations;
    }
    return out;
  }
}
