// The rate-limiter case (docs/cases/rate-limiter.md): the page quotes current
// numbers and its claims hold, from the arithmetic of the design: 12 nodes
// with local counters never refuse a user sending 600 a minute; a central
// store holds each user to 100 a minute; its outage either leaks (local
// fallback) or refuses everyone (fail closed). And the algorithms against a
// burst across a minute boundary, from each one's arithmetic.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sum = (xs: number[], a: number, b: number): number => xs.slice(a - 1, b).reduce((s, x) => s + x, 0);

describe("case: rate limiter", () => {
  const file = "docs/cases/rate-limiter.md";
  const text = readFileSync(file, "utf8");
  const reports = docReports(file, text) as Record<string, Any>;
  const { local, central, closed, fixed, counter, log, bucket } = reports;

  it("the page's numbers and chart are current", () => {
    expect(
      staleParts(file, text, filledDoc(file, text, reports as never)),
      `run: archsim doc ${file}`,
    ).toEqual([]);
  });

  it("local counters: each node sees a twelfth of a scraper's ~600/min (~50 < 100), so nobody is refused", () => {
    expect(local.components.gw.limited).toBe(0);
    expect(local.components.gw.limits[0].maxPerWindow.ratio).toBeGreaterThan(5);
  });

  it("a central store holds every scraper to 100 in the first minute: 20 x (600 - 100) refused", () => {
    const limited = central.components.gw.series.limited as number[];
    // Poisson arrivals: 12,000 scraper requests in the minute, sd ~110; 6 sd
    expect(Math.abs(sum(limited, 1, 60) - 20 * 500)).toBeLessThan(6 * Math.sqrt(12000));
    // no plan above free is ever refused: pro clients send ~11 a minute against 1,000
    expect(central.components.gw.byTier.pro.limited).toBe(0);
    expect(central.components.gw.byTier.enterprise.limited).toBe(0);
    // the store's round trip: a little slower, well under the case's 1 ms
    expect(central.latencyMs.p50).toBeGreaterThan(local.latencyMs.p50);
    expect(central.latencyMs.p50 - local.latencyMs.p50).toBeLessThan(1);
  });

  it("the store's outage: local fallback refuses nobody; fail closed refuses everyone", () => {
    const during = (r: Any) => sum(r.components.gw.series.limited, 62, 80);
    expect(during(central)).toBe(0);
    const arrivals = sum(closed.components.gw.series.arrivals, 62, 80);
    expect(during(closed)).toBe(arrivals);
    // every request of the 20 s went to the failure policy: ~2,000/s x 20 s (sd ~200)
    expect(closed.components.gw.store.failClosedRefusals).toBe(central.components.gw.store.fallbackChecks);
    expect(Math.abs(closed.components.gw.store.failClosedRefusals - 40000)).toBeLessThan(6 * 200);
    expect(closed.availability).toBeLessThan(central.availability);
  });

  describe("the algorithms against a burst across the minute boundary", () => {
    // algorithms.yaml: 20 users burst at 15/s from 50 s to 70 s (150 expected
    // in each 10 s half, sd ~12, so every user exceeds 100 in each half);
    // the limit is 100 per 1-minute window, aligned at 0, 60 s, ...
    const L = 100;
    const users = 20;
    const worst = (r: Any) => r.components.gw.limits[0].maxPerWindow;

    it("every run saw the same requests", () => {
      for (const r of [counter, log, bucket])
        expect(r.components.gw.arrivals).toBe(fixed.components.gw.arrivals);
      expect(fixed.components.gw.limits[0].algorithm).toBe("fixed-window");
      expect(counter.components.gw.limits[0].algorithm).toBe("sliding-counter");
      expect(log.components.gw.limits[0].algorithm).toBe("sliding-log");
      expect(bucket.components.gw.limits[0].algorithm).toBe("token-bucket");
    });

    it("fixed window: each window lets L through, so a user gets 2L around the boundary", () => {
      expect(worst(fixed).units).toBe(2 * L);
      expect(worst(fixed).ratio).toBe(2);
      // the window beginning at 60 s lets through every user's L in the burst
      expect(fixed.components.gw.admitted).toBeGreaterThanOrEqual(users * 2 * L);
      expect(sum(fixed.components.gw.series.admitted, 61, 70)).toBe(users * L);
    });

    it("sliding log: exact, never more than L in any minute; nothing more before 110 s", () => {
      expect(worst(log).units).toBe(L);
      expect(sum(log.components.gw.series.admitted, 61, 80)).toBe(0);
    });

    it("sliding-window counter: over by at most the previous window's count x the share gone by", () => {
      // at 60 + e s the previous window's L weigh L (1 - e/60): the n-th request
      // of the new window fits at e = 0.6 n s, so floor(L x 10/60) = 16 by 70 s
      const extra = Math.floor((L * 10) / 60);
      const w = worst(counter);
      const f = (w.atMs % 60000) / 60000;
      expect(w.units).toBeLessThanOrEqual(L + L * f);
      // a request in every 0.6 s step is all but certain at 15/s: e^-9 a step
      expect(w.units).toBeGreaterThanOrEqual(L + extra - 1);
      expect(w.units).toBeLessThanOrEqual(L + extra);
      // between 60 s and 70 s all 20 users get one each 0.6 s
      expect(
        Math.abs(sum(counter.components.gw.series.admitted, 61, 70) - users * extra),
      ).toBeLessThanOrEqual(users);
    });

    it("token bucket: the burst at once, then the refill rate; burst + rate x 20 s per user", () => {
      const rate = L / 60; // per second per user
      const w = worst(bucket);
      expect(w.units).toBeLessThanOrEqual(L + rate * 20);
      expect(w.units).toBeGreaterThanOrEqual(Math.floor(L + rate * 20) - 2);
      // after the buckets are empty (~7.5 s into the burst) the 20 users get the refill rate
      const late = sum(bucket.components.gw.series.admitted, 61, 70);
      expect(Math.abs(late - users * rate * 10)).toBeLessThanOrEqual(users);
      // the first second of the burst passes whole (15/s per user, all within the bucket)
      const first = bucket.components.gw.series.admitted[50];
      expect(first).toBe(fixed.components.gw.series.admitted[50]);
      // in all: at most burst + rate x 20 s per user, and the few requests outside the burst
      const arrivals = bucket.components.gw.series.arrivals as number[];
      const outside = sum(arrivals, 1, 50) + sum(arrivals, 71, arrivals.length);
      expect(bucket.components.gw.admitted).toBeLessThanOrEqual(users * (L + rate * 20) + outside);
    });
  });
});
