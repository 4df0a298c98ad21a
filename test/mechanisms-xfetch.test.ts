// XFetch's early-recompute rule and TTL jitter, as pure functions.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stream } from "../src/kernel/rng.js";
import { jitteredTtl, xfetchEarly, xfetchProbability } from "../src/mechanisms/xfetch.js";

describe("xfetch", () => {
  it("recomputes early with probability exp(-time left / (delta x beta))", () => {
    const rng = stream(1, "xfetch");
    const n = 200_000;
    for (const [left, delta, beta] of [
      [50, 100, 1],
      [300, 100, 1],
      [300, 100, 2],
      [100, 40, 0.5],
    ]) {
      let early = 0;
      for (let i = 0; i < n; i++) if (xfetchEarly(1000 - left, 1000, delta, beta, 1 - rng.next())) early++;
      const p = xfetchProbability(left, delta, beta);
      // binomial sd sqrt(p(1-p)/n) < 0.0012; allow 5 sd
      expect(Math.abs(early / n - p)).toBeLessThan(0.006);
    }
  });

  it("always recomputes at or after expiry, and never early without a measured delta", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (expiry, after, u) => {
          expect(xfetchEarly(expiry + after, expiry, 100, 1, u)).toBe(true);
          expect(xfetchEarly(expiry - after - 1e-6, expiry, 0, 1, u)).toBe(false);
        },
      ),
    );
  });

  it("recomputes earlier for larger delta and beta", () => {
    expect(xfetchProbability(100, 200, 1)).toBeGreaterThan(xfetchProbability(100, 100, 1));
    expect(xfetchProbability(100, 100, 2)).toBeGreaterThan(xfetchProbability(100, 100, 1));
    expect(xfetchProbability(0, 100, 1)).toBe(1);
  });
});

describe("ttl jitter", () => {
  it("draws within ttl x [1 - j, 1 + j], uniformly", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e7, noNaN: true }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (ttl, j, u) => {
          const t = jitteredTtl(ttl, j, u);
          expect(t).toBeGreaterThanOrEqual(ttl * (1 - j) * (1 - 1e-12));
          expect(t).toBeLessThanOrEqual(ttl * (1 + j) * (1 + 1e-12));
        },
      ),
    );
    // deciles of 100k draws each hold ~10% (sd ~0.1 points)
    const rng = stream(2, "jitter");
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++)
      bins[Math.min(9, Math.floor(((jitteredTtl(60, 0.1, rng.next()) - 54) / 12) * 10))]++;
    for (const b of bins) expect(Math.abs(b / 100_000 - 0.1)).toBeLessThan(0.005);
    expect(jitteredTtl(60, 0, 0.3)).toBe(60);
  });
});
