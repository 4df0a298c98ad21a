// The cost-by-data-size model: exact step counts for each growth, and the
// orderings the leaderboard case relies on (log N << N log N, every growth
// monotone in N).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GROWTHS, sizeCostMs, steps } from "../src/mechanisms/size-cost.js";

describe("size cost", () => {
  it("counts 1, log2 N, N and N log2 N steps", () => {
    expect(steps("constant", 1 << 20)).toBe(1);
    expect(steps("log", 1 << 20)).toBe(20);
    expect(steps("linear", 1 << 20)).toBe(1 << 20);
    expect(steps("n-log-n", 1 << 20)).toBe(20 * (1 << 20));
    // a sorted set of 20M players: ~24 levels (the case's log2 20M)
    expect(Math.round(steps("log", 20e6))).toBe(24);
  });

  it("charges at least one step on tiny structures", () => {
    for (const g of GROWTHS) for (const n of [0, 1, 2]) expect(steps(g, n)).toBeGreaterThanOrEqual(1);
  });

  it("is unit x steps", () => {
    expect(sizeCostMs("log", 1024, 0.5)).toBe(5);
    expect(sizeCostMs("n-log-n", 1024, 0.001)).toBeCloseTo(10.24, 12);
  });

  it("every growth is monotone in N, and constant <= log <= linear <= n-log-n", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        for (const g of GROWTHS) expect(steps(g, lo)).toBeLessThanOrEqual(steps(g, hi));
        const s = GROWTHS.map((g) => steps(g, hi));
        for (let i = 1; i < s.length; i++) expect(s[i - 1]).toBeLessThanOrEqual(s[i]);
      }),
    );
  });

  it("refuses a size that is not a number >= 0", () => {
    expect(() => steps("log", -1)).toThrow(RangeError);
    expect(() => steps("log", Number.NaN)).toThrow(RangeError);
  });
});
