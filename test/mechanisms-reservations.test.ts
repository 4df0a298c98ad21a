// The reservation (soft lock) pattern (CR-08): holds at checkout, sales on
// payment confirmation, expiry on payment timeout. Properties over generated
// interleavings of checkouts, payments, declines and time: never oversold,
// the stock always accounted for, expired holds back in stock; and the
// check-then-decrement it replaces, which oversells.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NOT_HELD, Reservations, SOLD, UNKNOWN } from "../src/mechanisms/reservations.js";

const HOLD = 600_000; // 10 min

type Op =
  | { kind: "checkout"; units: number }
  | { kind: "pay"; which: number }
  | { kind: "decline"; which: number }
  | { kind: "wait"; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("checkout" as const), units: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant("pay" as const), which: fc.nat() }),
  fc.record({ kind: fc.constant("decline" as const), which: fc.nat() }),
  fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: HOLD / 2 }) }),
);

describe("reservations", () => {
  it("never sells more than the stock, and accounts for every unit, whatever the interleaving", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.array(op, { maxLength: 200 }), (stock, ops) => {
        const r = new Reservations(stock, HOLD);
        let now = 0;
        const holds: { id: number; units: number; at: number }[] = [];
        let soldUnits = 0;
        for (const o of ops) {
          if (o.kind === "wait") now += o.ms;
          else if (o.kind === "checkout") {
            const free = r.available(now);
            const id = r.hold(now, o.units);
            // granted exactly when enough units are free
            expect(id > 0).toBe(free >= o.units);
            if (id > 0) holds.push({ id, units: o.units, at: now });
          } else if (holds.length > 0) {
            const h = holds[o.which % holds.length];
            if (o.kind === "pay") {
              const res = r.confirm(h.id, now);
              // a payment that comes in time sells; one after holdMs finds the hold gone
              if (res === SOLD) {
                expect(now).toBeLessThan(h.at + HOLD);
                soldUnits += h.units;
              } else expect(res).toBe(NOT_HELD);
            } else r.release(h.id, now);
          }
          expect(r.sold).toBeLessThanOrEqual(stock);
          expect(r.sold).toBe(soldUnits);
          expect(r.available(now) + r.held + r.sold).toBe(stock);
          expect(r.held).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it("holds that are never paid go back to stock once holdMs has passed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 50 }), (stock, paid) => {
        const r = new Reservations(stock, HOLD);
        const ids: number[] = [];
        for (let i = 0; i < stock; i++) ids.push(r.hold(i));
        expect(r.available(stock)).toBe(0);
        expect(r.hold(stock)).toBe(0); // sold out while held
        const payers = Math.min(paid, stock);
        for (let i = 0; i < payers; i++) expect(r.confirm(ids[i], HOLD - 1)).toBe(SOLD);
        // the last hold was made at stock - 1 and runs out at stock - 1 + HOLD exactly
        r.expire(stock - 1 + HOLD);
        expect(r.available(stock - 1 + HOLD)).toBe(stock - payers);
        expect(r.expiredHolds).toBe(stock - payers);
        expect(r.expiredUnits).toBe(stock - payers);
        // a payment arriving after the timeout sells nothing
        if (payers < stock) expect(r.confirm(ids[payers], stock + HOLD)).toBe(NOT_HELD);
        expect(r.sold).toBe(payers);
      }),
    );
  });

  it("a hold expires at exactly its creation + holdMs", () => {
    const r = new Reservations(1, HOLD);
    const id = r.hold(1000);
    expect(r.available(1000 + HOLD - 1)).toBe(0);
    expect(r.available(1000 + HOLD)).toBe(1);
    expect(r.confirm(id, 1000 + HOLD)).toBe(NOT_HELD);
    expect(r.confirm(12345, 1000 + HOLD)).toBe(UNKNOWN);
  });

  it("a declined payment returns its units at once", () => {
    const r = new Reservations(2, HOLD);
    const a = r.hold(0, 2);
    expect(r.hold(1)).toBe(0);
    expect(r.release(a, 2)).toBe(true);
    expect(r.release(a, 3)).toBe(false);
    expect(r.hold(4, 2)).toBeGreaterThan(0);
  });

  it("check-then-decrement (no hold) oversells when two checkouts see the last unit; holds do not", () => {
    // the naive shop: checkout checks stock - sold > 0, the sale is recorded at payment
    let sold = 0;
    const stock = 1;
    const checks = [stock - sold > 0, stock - sold > 0]; // both customers check out first
    for (const ok of checks) if (ok) sold++; // then both pay
    expect(sold).toBeGreaterThan(stock);

    const r = new Reservations(stock, HOLD);
    const first = r.hold(0);
    const second = r.hold(1);
    expect(second).toBe(0); // the second checkout is told at once that it is gone
    expect(r.confirm(first, 2)).toBe(SOLD);
    // a duplicate confirmation (a retried payment webhook) sells nothing more
    expect(r.confirm(first, 3)).toBe(NOT_HELD);
    expect(r.sold).toBe(stock);
  });

  it("memory follows the holds made within holdMs", () => {
    const r = new Reservations(1_000_000, HOLD);
    // one checkout a second for three hours, every one paid: the FIFO keeps ~10 minutes of them
    for (let t = 0; t < 3 * 3_600_000; t += 1000) {
      const id = r.hold(t);
      r.confirm(id, t);
      expect(r.tracked).toBeLessThanOrEqual(2 * (HOLD / 1000) + 1024);
    }
  });

  it("refuses nonsense", () => {
    expect(() => new Reservations(-1, HOLD)).toThrow(RangeError);
    expect(() => new Reservations(1, 0)).toThrow(RangeError);
    const r = new Reservations(1, HOLD);
    expect(() => r.hold(0, 0)).toThrow(RangeError);
    r.expire(10);
    expect(() => r.expire(5)).toThrow(RangeError);
  });
});
