// A cache exercised through the whole simulation (client -> service -> cache
// -> database): the hit ratio that emerges from real keys under a real
// eviction policy agrees with the characteristic-time (Che) approximation;
// cache-aside bookkeeping with writes and invalidations balances; a killed
// node comes back empty.
import { describe, expect, it } from "vitest";
import { ZipfKeys } from "../src/kernel/keys.js";
import type { Report } from "../src/report/json.js";
import { cheFifo, cheLru } from "../src/theory/caching.js";
import { runText } from "./support/run.js";

interface CacheReport {
  hitRatio: number;
  gets: number;
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  evictions: number;
  entries: number;
  maxQueueLength: number;
  series: { hitRatio: number[] };
}
interface DbReport {
  reads: number;
  writes: number;
}
const cacheOf = (r: Report) => r.components.redis as unknown as CacheReport;
const dbOf = (r: Report) => r.components.db as unknown as DbReport;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// Zero network and near-instant cache and database operations: a miss's fill
// lands microseconds after the miss, as the independent reference model that
// Che's approximation describes assumes (no window in which a second request
// for the same key misses again).
const design = (opts: {
  duration: number;
  rate: number;
  keys: number;
  s: number;
  capacity: number;
  eviction?: string;
  writes?: number;
  faults?: string;
}) => `
duration: ${opts.duration}s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: app
    arrival: { process: poisson, rate: ${opts.rate}/s }
    routes:
      - { route: GET /item, weight: ${10 - (opts.writes ?? 0)}, keys: { count: ${opts.keys}, popularity: zipf(${opts.s}) } }
${opts.writes ? `      - { route: PUT /item, weight: ${opts.writes}, keys: { count: ${opts.keys}, popularity: zipf(${opts.s}) } }` : ""}
  app:
    kind: service
    concurrency: 1000
    queue: unbounded
    routes:
      GET /item: [{ read: db, cache: redis }]
      PUT /item: [{ write: db, cache: redis }]
  redis:
    kind: cache
    capacity: ${opts.capacity}
    eviction: ${opts.eviction ?? "lru"}
    opTime: 5us
    concurrency: 8
  db:
    kind: database
    connections: 1000
    readTime: 5us
    writeTime: 1ms
${opts.faults ?? ""}
`;

describe("cache hit ratio through the simulation", () => {
  const n = 20000;
  const s = 0.8;
  const C = 2000;
  const zipf = new ZipfKeys(n, s);
  const p = (k: number) => zipf.probability(k);
  // no causal policy beats keeping the C most popular keys under IRM
  let topC = 0;
  for (let k = 0; k < C; k++) topC += p(k);

  // 5000 gets/s; the cache fills within its first ~1 s, so seconds 10..40
  // (150 000 gets) are warm. The binomial sd of the ratio over them is
  // ≈ 0.13 points; Che's approximation itself is good to about a point at
  // n = 20 000, hence the 2-point tolerance.
  const warm = (r: Report) => mean(cacheOf(r).series.hitRatio.slice(10));

  it("LRU matches Che's approximation within 2 points once warm", () => {
    const theory = cheLru(p, n, C).hitRatio;
    const r = runText(design({ duration: 40, rate: 5000, keys: n, s, capacity: C }), [], { seed: 1 });
    expect(r.requests.failed).toBe(0);
    const c = cacheOf(r);
    expect(c.entries).toBe(C);
    expect(c.evictions).toBeGreaterThan(0);
    expect(Math.abs(warm(r) - theory)).toBeLessThan(0.02);
    // the whole-run ratio includes the cold start, so it is (a little) lower
    expect(c.hitRatio).toBeLessThan(warm(r));
    expect(c.hitRatio).toBeGreaterThan(warm(r) - 0.02);
    expect(warm(r)).toBeLessThan(topC);
  });

  it("LFU beats LRU under independent requests but stays below the static top-C bound", () => {
    // Under IRM, frequency is the best predictor of future requests: a
    // frequency-ordered cache tends to the C most popular keys, whose total
    // probability (≈ 0.58 here) no causal policy exceeds. LRU's ≈ 0.45 is
    // 13 points below that, so "LFU > LRU + 3 points" has room either way.
    const lfu = runText(design({ duration: 40, rate: 5000, keys: n, s, capacity: C, eviction: "lfu" }), [], {
      seed: 7,
    });
    expect(warm(lfu)).toBeGreaterThan(cheLru(p, n, C).hitRatio + 0.03);
    expect(warm(lfu)).toBeLessThan(topC);
  });

  it("FIFO and random replacement match the FIFO characteristic-time formula within 2 points, below LRU", () => {
    const fifoTheory = cheFifo(p, n, C).hitRatio;
    const lruTheory = cheLru(p, n, C).hitRatio;
    // the comparison has teeth: the two laws differ by more than the tolerance
    expect(lruTheory - fifoTheory).toBeGreaterThan(0.03);
    for (const eviction of ["fifo", "random"]) {
      const r = runText(design({ duration: 40, rate: 5000, keys: n, s, capacity: C, eviction }), [], {
        seed: 2,
      });
      expect(Math.abs(warm(r) - fifoTheory)).toBeLessThan(0.02);
    }
  });

  it("a larger cache hits more, and no policy beats the static top-C bound", () => {
    const ratios = [500, 2000, 8000].map((cap) => {
      const r = runText(design({ duration: 30, rate: 5000, keys: n, s, capacity: cap }), [], { seed: 3 });
      let bound = 0;
      for (let k = 0; k < cap; k++) bound += p(k);
      expect(warm(r)).toBeLessThan(bound);
      return warm(r);
    });
    expect(ratios[0]).toBeLessThan(ratios[1] - 0.05);
    expect(ratios[1]).toBeLessThan(ratios[2] - 0.05);
  });
});

describe("cache-aside bookkeeping with writes", () => {
  it("every committed write is counted once at the database and invalidates the cache once; every get is a hit or a database read", () => {
    const r = runText(
      design({ duration: 20, rate: 3000, keys: 1000, s: 0.9, capacity: 200, writes: 2 }),
      [],
      {
        seed: 4,
      },
    );
    expect(r.requests.failed).toBe(0);
    const c = cacheOf(r);
    const db = dbOf(r);
    const gets = r.routes["GET /item"].requests.ok;
    const puts = r.routes["PUT /item"].requests.ok;
    // both routes were exercised in the 8:2 mix
    expect(Math.abs(puts / (gets + puts) - 0.2)).toBeLessThan(0.02);
    // with a zero-latency network a request's answer reaches the client at the
    // instant its last database operation completes, so these are exact
    expect(db.writes).toBe(puts);
    expect(c.hits + db.reads).toBe(gets);
    expect(c.gets).toBe(c.hits + c.misses);
    // invalidations and fills are sent without waiting: each write sends one
    // delete, each database read one set; the last few may still be queued
    // at the cache when the run ends
    const pending = c.maxQueueLength + 8;
    expect(c.deletes).toBeLessThanOrEqual(db.writes);
    expect(c.deletes).toBeGreaterThanOrEqual(db.writes - pending);
    expect(c.sets).toBeLessThanOrEqual(db.reads);
    expect(c.sets).toBeGreaterThanOrEqual(db.reads - pending);
    expect(c.misses).toBeGreaterThanOrEqual(db.reads);
    expect(c.misses - db.reads).toBeLessThanOrEqual(1000);

    // invalidations cost hits: the same reads without writes hit more
    const readOnly = runText(design({ duration: 20, rate: 2400, keys: 1000, s: 0.9, capacity: 200 }), [], {
      seed: 4,
    });
    expect(cacheOf(readOnly).hitRatio).toBeGreaterThan(c.hitRatio + 0.02);
  });
});

describe("cache node failure", () => {
  const kill = (at: number, forS: number) => `faults:\n  - { kill: redis, at: ${at}s, for: ${forS}s }`;
  const base = { duration: 30, rate: 2000, keys: 100000, s: 0.9, capacity: 10000 };

  it("comes back empty: the hit ratio right after the restart is the cold-start ratio, far below the warm one", () => {
    const r = runText(design({ ...base, faults: kill(20, 1) }), [], { seed: 5 });
    // while the node is down every read goes to the database: nothing fails
    expect(r.requests.failed).toBe(0);
    const h = cacheOf(r).series.hitRatio;
    expect(h).toHaveLength(30);
    const warmBefore = h[19]; // second (19 s, 20 s]
    expect(h[20]).toBe(0); // (20 s, 21 s]: down, no gets at all
    const afterRestart = h[21]; // (21 s, 22 s]: the first second back
    const coldStart = h[0]; // (0 s, 1 s]: the first second of the run, from empty
    expect(afterRestart).toBeLessThan(warmBefore - 0.1);
    // Same traffic, same empty cache: the two cold seconds agree. Each is a
    // ratio over ≈2000 gets, binomial sd ≤ 0.011 (the difference ≈ 0.016):
    // allow 0.06. A node that kept even part of its contents would start far
    // higher (the warm level is ≈ 0.6 against ≈ 0.3 cold).
    expect(Math.abs(afterRestart - coldStart)).toBeLessThan(0.06);
    // and it warms up again along the same curve: seconds 5..8 after the
    // restart against seconds 5..8 of the run (means of 4, sd of the
    // difference ≈ 0.008)
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(avg(h.slice(26, 30)) - avg(h.slice(5, 9)))).toBeLessThan(0.04);
  });

  it("keeps its cumulative counters across a restart", () => {
    // Gets, hits, sets and evictions are counted over the whole run. A restart
    // empties the store but must not erase what was counted before it: the
    // run with a restart at 25 s has evicted at least what the calm run had
    // evicted by 25 s (≈ 25/30 of its total, as evictions go at a steady rate
    // once the cache is full).
    const calm = cacheOf(runText(design(base), [], { seed: 6 }));
    const restarted = cacheOf(runText(design({ ...base, faults: kill(25, 1) }), [], { seed: 6 }));
    expect(calm.evictions).toBeGreaterThan(10000);
    expect(restarted.gets).toBeGreaterThan(calm.gets * 0.9);
    expect(restarted.evictions).toBeGreaterThan(calm.evictions * 0.7);
  });
});
