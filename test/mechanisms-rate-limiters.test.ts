import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createLimiter,
  FixedWindow,
  LeakyBucketMeter,
  LeakyBucketQueue,
  type LimiterSpec,
  RATE_ALGORITHMS,
  type RateLimiter,
  SlidingCounter,
  SlidingLog,
  TIME_EPSILON_MS,
  TokenBucket,
} from "../src/mechanisms/rate-limiters.js";

interface Arrival {
  t: number;
  key: number;
  cost: number;
}

interface Decided extends Arrival {
  ok: boolean;
  retryAfterMs: number;
  delayMs: number;
}

function drive(l: RateLimiter, arrivals: Arrival[]): Decided[] {
  return arrivals.map((a) => {
    const ok = l.check(a.key, a.t, a.cost);
    return { ...a, ok, retryAfterMs: ok ? 0 : l.retryAfterMs, delayMs: ok ? l.delayMs : 0 };
  });
}

/** Sorted arrival times (whole ms, so that windows have exact edges), a few keys, small costs. */
const arrivalsArb = (maxCost: number, keys = 3) =>
  fc
    .array(
      fc.record({
        gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3000 })),
        key: fc.integer({ min: 0, max: keys - 1 }),
        cost: fc.integer({ min: 1, max: maxCost }),
      }),
      { minLength: 1, maxLength: 120 },
    )
    .map((xs) => {
      let t = 0;
      return xs.map((x) => {
        t += x.gap;
        return { t, key: x.key, cost: x.cost };
      });
    });

/** Rates whose emission interval is a whole number of ms or a simple fraction. */
const rateArb = fc.constantFrom(1, 2, 4, 5, 10, 20, 50, 100, 1000);

/** The largest number of units admitted for one key in any closed interval of length `span` ms, over admitted requests. */
function maxInSpan(ds: Decided[], key: number, span: number, closed: boolean): number {
  const ok = ds.filter((d) => d.ok && d.key === key);
  let best = 0;
  for (let j = 0; j < ok.length; j++) {
    let sum = 0;
    for (let i = j; i >= 0; i--) {
      const age = ok[j].t - ok[i].t;
      if (closed ? age > span : age >= span) break;
      sum += ok[i].cost;
    }
    best = Math.max(best, sum);
  }
  return best;
}

describe("token bucket", () => {
  it("admits a full burst of B at once, then one unit per 1/R", () => {
    const tb = new TokenBucket(10, 100);
    for (let i = 0; i < 100; i++) expect(tb.check(1, 0, 1)).toBe(true);
    expect(tb.check(1, 0, 1)).toBe(false);
    expect(tb.retryAfterMs).toBeCloseTo(100, 9); // 1000 ms / 10 per s
    expect(tb.check(1, 99, 1)).toBe(false);
    expect(tb.check(1, 100, 1)).toBe(true);
    // another key has its own bucket
    expect(tb.check(2, 100, 100)).toBe(true);
    // a request costing more than the bucket holds is never admitted
    expect(tb.check(3, 100, 101)).toBe(false);
    expect(tb.retryAfterMs).toBe(Number.POSITIVE_INFINITY);
  });

  it("never admits more than B + R·t in any interval of length t (property)", () => {
    fc.assert(
      fc.property(arrivalsArb(5), rateArb, fc.integer({ min: 5, max: 50 }), (arrivals, rate, burst) => {
        const ds = drive(new TokenBucket(rate, burst), arrivals);
        for (const key of [0, 1, 2]) {
          const ok = ds.filter((d) => d.ok && d.key === key);
          for (let j = 0; j < ok.length; j++) {
            let sum = 0;
            for (let i = j; i >= 0; i--) {
              sum += ok[i].cost;
              const allowed = burst + (rate * (ok[j].t - ok[i].t)) / 1000;
              expect(sum).toBeLessThanOrEqual(allowed + 1e-6);
            }
          }
        }
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it("is the leaky bucket as a meter (GCRA) under another name: the same decisions (property)", () => {
    fc.assert(
      fc.property(arrivalsArb(4), rateArb, fc.integer({ min: 4, max: 30 }), (arrivals, rate, burst) => {
        const a = drive(new TokenBucket(rate, burst), arrivals);
        const b = drive(new LeakyBucketMeter(rate, burst), arrivals);
        expect(b.map((d) => d.ok)).toEqual(a.map((d) => d.ok));
        for (let i = 0; i < a.length; i++) expect(b[i].retryAfterMs).toBeCloseTo(a[i].retryAfterMs, 6);
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});

describe("windows", () => {
  const L = 100;
  const W = 60_000;
  /** L requests one ms before a window boundary and L at it. */
  const boundaryBurst: Arrival[] = [
    ...Array.from({ length: L }, () => ({ t: W - 1, key: 7, cost: 1 })),
    ...Array.from({ length: L }, () => ({ t: W, key: 7, cost: 1 })),
  ];
  const admitted = (l: RateLimiter) => drive(l, boundaryBurst).filter((d) => d.ok).length;

  it("fixed window admits 2L within 1 ms around a boundary; the sliding log, GCRA and sliding counter do not", () => {
    expect(admitted(new FixedWindow(L, W))).toBe(2 * L);
    expect(admitted(new SlidingLog(L, W))).toBe(L);
    expect(admitted(new SlidingCounter(L, W))).toBe(L);
    // GCRA and the token bucket at the same rate, with the window's limit as their burst: L, plus what 1 ms refills
    expect(admitted(new LeakyBucketMeter((L * 1000) / W, L))).toBe(L);
    expect(admitted(new TokenBucket((L * 1000) / W, L))).toBe(L);
  });

  it("fixed window: at most L per aligned window and 2L in any window (property)", () => {
    fc.assert(
      fc.property(
        arrivalsArb(3),
        fc.integer({ min: 3, max: 30 }),
        fc.integer({ min: 50, max: 2000 }),
        (arr, lim, w) => {
          const ds = drive(new FixedWindow(lim, w), arr);
          for (const key of [0, 1, 2]) {
            const perWindow = new Map<number, number>();
            for (const d of ds)
              if (d.ok && d.key === key)
                perWindow.set(Math.floor(d.t / w), (perWindow.get(Math.floor(d.t / w)) ?? 0) + d.cost);
            for (const n of perWindow.values()) expect(n).toBeLessThanOrEqual(lim);
            expect(maxInSpan(ds, key, w, false)).toBeLessThanOrEqual(2 * lim);
          }
        },
      ),
      { seed: 13, numRuns: 300 },
    );
  });

  it("sliding log: never more than L in any window (now - W, now] (property)", () => {
    fc.assert(
      fc.property(
        arrivalsArb(4),
        fc.integer({ min: 4, max: 30 }),
        fc.integer({ min: 50, max: 2000 }),
        (arr, lim, w) => {
          const ds = drive(new SlidingLog(lim, w), arr);
          for (const key of [0, 1, 2]) expect(maxInSpan(ds, key, w, false)).toBeLessThanOrEqual(lim);
        },
      ),
      { seed: 14, numRuns: 300 },
    );
  });

  it("sliding counter: after each admission the exact window count is at most L + f·previous (property)", () => {
    fc.assert(
      fc.property(
        arrivalsArb(3),
        fc.integer({ min: 3, max: 30 }),
        fc.integer({ min: 50, max: 2000 }),
        (arr, lim, w) => {
          const ds = drive(new SlidingCounter(lim, w), arr);
          for (const key of [0, 1, 2]) {
            const ok = ds.filter((d) => d.ok && d.key === key);
            for (const d of ok) {
              const k = Math.floor(d.t / w);
              const f = (d.t - k * w) / w;
              const previous = ok
                .filter((o) => Math.floor(o.t / w) === k - 1)
                .reduce((s, o) => s + o.cost, 0);
              const exact = ok.filter((o) => o.t <= d.t && o.t > d.t - w).reduce((s, o) => s + o.cost, 0);
              expect(exact).toBeLessThanOrEqual(lim + f * previous + 1e-9);
              // and never above the fixed window's worst case
              expect(exact).toBeLessThanOrEqual(2 * lim);
            }
          }
        },
      ),
      { seed: 15, numRuns: 300 },
    );
  });

  it("sliding counter: with evenly spread traffic the estimate is right to a request or two", () => {
    // 3x the limit, evenly spaced, for 30 windows: the previous window's admissions are
    // spread as evenly as the estimate assumes, so the exact count exceeds L by at most
    // the two requests that discreteness leaves at each end of the weighted window
    const lim = 50;
    const w = 1000;
    const arrivals: Arrival[] = [];
    for (let t = 0; t < 30 * w; t += w / (3 * lim)) arrivals.push({ t, key: 1, cost: 1 });
    const ds = drive(new SlidingCounter(lim, w), arrivals);
    expect(maxInSpan(ds, 1, w, false)).toBeLessThanOrEqual(lim + 2);
    const steady = ds.filter((d) => d.ok && d.t >= 10 * w).length / 20;
    expect(Math.abs(steady - lim) / lim).toBeLessThan(0.05);
  });
});

describe("leaky bucket as a queue", () => {
  it("delays a burst to one unit per 1/R and drops what overflows the queue", () => {
    const q = new LeakyBucketQueue(10, 5);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      expect(q.check(1, 0, 1)).toBe(true);
      delays.push(q.delayMs);
    }
    expect(delays).toEqual([0, 100, 200, 300, 400]);
    expect(q.check(1, 0, 1)).toBe(false);
    expect(q.retryAfterMs).toBeCloseTo(100, 9);
    expect(q.check(1, 100, 1)).toBe(true);
    expect(q.delayMs).toBeCloseTo(400, 9);
  });

  it("lets requests out perfectly evenly spaced, in order, with never more than the queue waiting (property)", () => {
    fc.assert(
      fc.property(arrivalsArb(3, 1), rateArb, fc.integer({ min: 3, max: 20 }), (arr, rate, size) => {
        const ds = drive(new LeakyBucketQueue(rate, size), arr).filter((d) => d.ok);
        const T = 1000 / rate;
        for (let i = 1; i < ds.length; i++) {
          const leftBefore = ds[i - 1].t + ds[i - 1].delayMs;
          const left = ds[i].t + ds[i].delayMs;
          // the drain is busy for cost·T after each departure; a waiting request leaves the moment it is free
          expect(left).toBeGreaterThanOrEqual(leftBefore + ds[i - 1].cost * T - 1e-6);
          if (ds[i].delayMs > 0) expect(left).toBeCloseTo(leftBefore + ds[i - 1].cost * T, 6);
        }
        // units queued (not yet drained) when each request joins: at most the queue's size
        for (const d of ds) {
          const queued = ds
            .filter((o) => o.t <= d.t)
            .reduce((s, o) => s + Math.max(0, Math.min(o.cost, (o.t + o.delayMs + o.cost * T - d.t) / T)), 0);
          expect(queued).toBeLessThanOrEqual(size + 1e-6);
        }
      }),
      { seed: 16, numRuns: 300 },
    );
  });
});

const specs = (rate: number, burst: number, lim: number, w: number): LimiterSpec[] => [
  { algorithm: "token-bucket", ratePerSec: rate, burst },
  { algorithm: "leaky-bucket", ratePerSec: rate, burst },
  { algorithm: "leaky-queue", ratePerSec: rate, burst },
  { algorithm: "fixed-window", limit: lim, windowMs: w },
  { algorithm: "sliding-log", limit: lim, windowMs: w },
  { algorithm: "sliding-counter", limit: lim, windowMs: w },
];

describe("every algorithm", () => {
  it("covers the six algorithms", () => {
    expect(specs(1, 1, 1, 1).map((s) => s.algorithm)).toEqual([...RATE_ALGORITHMS]);
  });

  it("gives an exact Retry-After: a retry at that time is admitted, any earlier is not (property)", () => {
    fc.assert(
      fc.property(
        arrivalsArb(3),
        rateArb,
        fc.integer({ min: 3, max: 12 }),
        fc.integer({ min: 3, max: 12 }),
        fc.integer({ min: 50, max: 2000 }),
        fc.nat(5),
        (arr, rate, burst, lim, w, which) => {
          const spec = specs(rate, burst, lim, w)[which];
          const ds = drive(createLimiter(spec), arr);
          let probed = 0;
          ds.forEach((d, i) => {
            if (d.ok || !Number.isFinite(d.retryAfterMs) || probed >= 4) return;
            probed++;
            expect(d.retryAfterMs).toBeGreaterThan(0);
            // the same history, then the same request retried alone
            const replay = () => {
              const l = createLimiter(spec);
              drive(l, arr.slice(0, i));
              return l;
            };
            expect(replay().peek(d.key, d.t + d.retryAfterMs, d.cost)).toBe(true);
            const early = Math.min(d.retryAfterMs / 2, 1e-3);
            if (early > TIME_EPSILON_MS)
              expect(replay().peek(d.key, d.t + d.retryAfterMs - early, d.cost)).toBe(false);
          });
        },
      ),
      { seed: 17, numRuns: 400 },
    );
  });

  it("refuses a request without counting it, and peek changes nothing (property)", () => {
    fc.assert(
      fc.property(arrivalsArb(3), fc.nat(5), (arr, which) => {
        const spec = specs(10, 5, 5, 500)[which];
        const a = createLimiter(spec);
        const b = createLimiter(spec);
        for (const x of arr) {
          // b is asked twice more than a, by peeks only
          b.peek(x.key, x.t, x.cost);
          b.peek(x.key ^ 1, x.t, x.cost);
          expect(b.check(x.key, x.t, x.cost)).toBe(a.check(x.key, x.t, x.cost));
        }
      }),
      { seed: 18, numRuns: 200 },
    );
  });

  it("counts a request of cost n as n requests of cost 1", () => {
    for (const spec of specs(10, 6, 6, 1000)) {
      const weighted = createLimiter(spec);
      const unit = createLimiter(spec);
      expect(weighted.check(1, 0, 4)).toBe(true);
      for (let i = 0; i < 4; i++) unit.check(1, 0, 1);
      for (const l of [weighted, unit]) {
        expect(l.check(1, 0, 2)).toBe(true);
        expect(l.check(1, 0, 1)).toBe(false);
      }
      expect(weighted.check(2, 0, 7)).toBe(false);
      expect(weighted.retryAfterMs).toBe(Number.POSITIVE_INFINITY);
    }
  });

  it("drops idle keys lazily without changing any decision, so memory follows active keys (property)", () => {
    fc.assert(
      fc.property(arrivalsArb(3, 40), fc.nat(5), (arr, which) => {
        const spec = specs(10, 5, 5, 500)[which];
        const expiring = createLimiter(spec, which % 2 === 0 ? 40 : 0);
        const keeping = createLimiter(spec);
        keeping.idleMs = Number.POSITIVE_INFINITY;
        expect(drive(expiring, arr)).toEqual(drive(keeping, arr));
        expect(expiring.keys).toBeLessThanOrEqual(keeping.keys);
      }),
      { seed: 19, numRuns: 300 },
    );
    // 100k distinct keys, one request a ms: about idleMs keys are active at any time, and
    // the sweep (two slots per count) holds at most twice the active ones
    for (const keySpace of [0, 100_000])
      for (const spec of specs(10, 5, 5, 500)) {
        const l = createLimiter(spec, keySpace);
        for (let k = 0; k < 100_000; k++) l.check(k, k, 1);
        expect(l.maxKeys).toBeLessThanOrEqual(2 * (l.idleMs + 1) + 2);
        expect(l.keys).toBeGreaterThanOrEqual(l.idleMs);
      }
  });

  it("forgets every key on clear", () => {
    for (const spec of specs(10, 2, 2, 1000)) {
      const l = createLimiter(spec);
      l.check(1, 0, 2);
      expect(l.check(1, 0, 1)).toBe(false);
      l.clear();
      expect(l.keys).toBe(0);
      expect(l.check(1, 0, 2)).toBe(true);
    }
  });

  it("a sliding log holds one entry per admitted request of the window", () => {
    const log = new SlidingLog(100, 1000);
    for (let t = 0; t < 5000; t += 5) log.check(1, t, 1);
    expect(log.entries).toBe(100);
    expect(log.maxEntries).toBe(100);
    const meter = new SlidingLog(Number.POSITIVE_INFINITY, 1000);
    for (let t = 0; t < 5000; t += 5) meter.take(1, t, 1);
    expect(meter.unitsInWindow).toBe(200);
    expect(meter.entries).toBe(200);
  });

  it("rejects meaningless parameters", () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
    expect(() => new LeakyBucketQueue(1, 0)).toThrow(RangeError);
    expect(() => new SlidingLog(0, 1000)).toThrow(RangeError);
    expect(() => new FixedWindow(10, Number.NaN)).toThrow(RangeError);
  });
});
