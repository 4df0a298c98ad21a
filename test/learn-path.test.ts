// The learning path (docs/learn): each step's document quotes current numbers
// and charts, and each step's story holds: the claims are checked against the
// arithmetic the pages give (capacity, backlog, detection times), not against
// copied outputs. Every run is made once and serves both checks.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";
import type { Report } from "../src/report/json.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const sum = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);
/** seconds (1-based, inclusive) a..b of a per-second series */
const window = (xs: number[], a: number, b: number): number[] => xs.slice(a - 1, b);

function step(doc: string, check: (r: Record<string, Any>) => void): void {
  const file = `docs/learn/${doc}.md`;
  it(`${doc}: the page's numbers and charts are current, and its story holds`, () => {
    const text = readFileSync(file, "utf8");
    const reports: Record<string, Report> = docReports(file, text);
    expect(
      staleParts(file, text, filledDoc(file, text, reports)),
      `run: node bin/archsim.js doc ${file}`,
    ).toEqual([]);
    for (const r of Object.values(reports))
      expect(r.requests.ok + r.requests.failed + r.requests.inFlight).toBe(r.requests.total);
    check(reports as Record<string, Any>);
  });
}

describe("the learning path", () => {
  step("01-one-server", ({ one }) => {
    // capacity ~ 8 threads / (20 ms + ~10 ms) = 250/s; the ramp 50 -> 300/s crosses it at ~48 s
    const errors = one.series.errors as number[];
    expect(sum(window(errors, 1, 40))).toBe(0);
    expect(one.requests.byOutcome["queue-full"]).toBeGreaterThan(0);
    expect(mean(window(one.series.p99, 51, 60))).toBeGreaterThan(2 * mean(window(one.series.p99, 1, 20)));
  });

  step("02-bigger-server", ({ up }) => {
    // the only instance restarts for 10 s at 200/s: ~2,000 failures (Poisson sd ~45; 6 sd and in-flight slack)
    expect(Math.abs(up.requests.failed - 2000)).toBeLessThan(6 * Math.sqrt(2000) + 50);
    expect(sum(window(up.series.errors, 1, 19))).toBe(0);
    expect(sum(window(up.series.errors, 32, 60))).toBe(0);
    // four times the capacity: the wait is gone, p99 after is well below p99 before
    expect(mean(window(up.series.p99, 36, 60))).toBeLessThan(0.8 * mean(window(up.series.p99, 6, 20)));
  });

  step("03-load-balancer", ({ lb }) => {
    const errors = lb.series.errors as number[];
    // errors only between the death (20 s) and ejection (<= 2 checks x 2 s + 0.5 s timeout, + a second of slack)
    expect(sum(window(errors, 1, 20))).toBe(0);
    expect(sum(window(errors, 26, 60))).toBe(0);
    const down = lb.components.lb.healthEvents.find((e: Any) => !e.healthy);
    expect(down.t - 20000).toBeLessThanOrEqual(2 * 2000 + 500);
    // least connections sends the fast-failing instance more than its third while it is in rotation
    expect(lb.requests.failed / ((down.t - 20000) / 1000)).toBeGreaterThan(400 / 3);
  });

  step("04-cache", ({ before, cache }) => {
    const gets = cache.routes["GET /item/:id"].requests.total;
    const hit = cache.components.redis.hitRatio;
    // reads reaching the database = misses (writes invalidate, they do not read)
    expect(Math.abs(cache.components.db.reads - gets * (1 - hit)) / gets).toBeLessThan(0.01);
    // database work falls by the share of reads the cache absorbs
    // ms of database work per ms of run (mean read ~9.5 ms, write ~14 ms)
    const work = (r: Any) => (r.components.db.reads * 9.5 + r.components.db.writes * 14) / r.durationMs;
    const expected = before.components.db.utilization * (work(cache) / work(before));
    expect(cache.components.db.utilization).toBeGreaterThan(0.85 * expected);
    expect(cache.components.db.utilization).toBeLessThan(1.15 * expected);
    expect(cache.latencyMs.p50).toBeLessThan(before.latencyMs.p50);
  });

  step("05-read-replicas", ({ before, replicas }) => {
    expect(before.components.db.utilization).toBeGreaterThan(0.75);
    expect(before.requests.failed).toBeGreaterThan(0);
    expect(replicas.requests.failed).toBe(0);
    expect(before.latencyMs.p99).toBeGreaterThan(3 * replicas.latencyMs.p99);
    expect(replicas.consistency.staleReads).toBeGreaterThan(before.consistency.staleReads);
  });

  step("06-sharding", ({ before, shards }) => {
    // 1,500 writes/s against one primary's ~16 / 14 ms = 1,140/s: overload; a quarter each on four shards
    expect(before.availability).toBeLessThan(0.9);
    expect(shards.requests.failed).toBe(0);
    expect(shards.latencyMs.p99).toBeLessThan(before.latencyMs.p99 / 3);
  });

  step("07-queue", ({ queue }) => {
    const q = queue.components["item-changed"];
    // backlog = (600 - 400)/s x 10 s = 2,000 (Poisson noise on 6,000 arrivals: sd ~80)
    expect(Math.abs(q.maxDepth - 2000)).toBeLessThan(400);
    // the back of the backlog waits depth / 400/s, plus one 150 ms processing
    expect(queue.components.indexers.endToEndMs.max / 1000).toBeCloseTo(q.maxDepth / 400 + 0.15, 0);
    // edits do not wait for the indexers
    expect(queue.routes["PUT /item/:id"].latencyMs.p99).toBeLessThan(300);
  });

  step("08-cdn", ({ cdn }) => {
    const img = cdn.components.cdn.routes["GET /img/:id"];
    // every image request is a hit, a fetch from the origin, or collapsed into another's fetch
    const collapsed = img.requests - img.hits - img.originFetches;
    expect(collapsed).toBeGreaterThanOrEqual(0);
    expect(collapsed).toBeLessThanOrEqual(cdn.components.cdn.collapsed);
    expect(cdn.components.cdn.routes["GET /item/:id"].hits).toBe(0); // no-store
    // what reached the app = what the CDN fetched from its origin
    expect(sum(cdn.components.app.series.arrivals)).toBeLessThanOrEqual(cdn.components.cdn.originFetches);
    expect(img.hitRatio).toBeGreaterThan(0.5);
  });

  step("09-second-region", ({ one, two }) => {
    // half the users are 40 ms (one way) from us-east: serving them at home saves a round trip or more
    expect(one.latencyMs.p50 - two.latencyMs.p50).toBeGreaterThan(30);
    expect(two.components.dns.endpoints["lb-eu"].byUserRegion["eu-west"]).toBe(
      two.components.dns.endpoints["lb-eu"].requests,
    );
    expect(one.components.dns.endpoints["lb-eu"].requests).toBe(0);
  });

  step("10-region-outage", ({ outage }) => {
    const f = outage.components.dns.failovers[0];
    // health checks: 2 failures x 5 s interval + a 2 s timeout
    expect(f.detectionMs).toBeLessThanOrEqual(2 * 5000 + 2000);
    // users holding the old answer move within detection + TTL (30 s), plus a second of series resolution
    expect(f.moved99Ms).toBeLessThanOrEqual(f.detectionMs + 30000 + 1000);
    const ev = outage.components.db.failover.events[0];
    expect(ev.detectionMs).toBeLessThanOrEqual(10000); // the 10 s heartbeat timeout
    expect([1, 3, 4]).toContain(ev.to); // a node in eu-west (zones list: nodes 1, 3, 4)
    expect(outage.consistency.lostAcknowledgedWrites).toBe(ev.lostAcknowledgedWrites);
  });
});
