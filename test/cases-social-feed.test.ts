// The social-feed case (docs/cases/social-feed.md): the page quotes current
// numbers, and its claims hold by the designs' arithmetic: push multiplies
// writes by the followers and pull multiplies reads by the followees; a
// celebrity's posts pile up at her fan-out worker at the rate its capacity
// says; the hybrid bounds both; assembly meets the 100 ms target; and each
// design's fault costs what its layout says it should.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";
import { HashModPartitioner } from "../src/mechanisms/partitioning.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** z such that P(Z <= z) = 0.99: lognormal(median, p99) has sigma = ln(p99 / median) / Z99. */
const Z99 = 2.3263478740408408;
const sigma = (median: number, p99: number): number => Math.log(p99 / median) / Z99;
const lognormalMean = (median: number, p99: number): number => median * Math.exp(sigma(median, p99) ** 2 / 2);

// followers of an author and followees of a reader: lognormal(median=100, p99=2000)
const FOLLOW_MEAN = lognormalMean(100, 2000); // 229
const FOLLOW_SD = FOLLOW_MEAN * Math.sqrt(Math.exp(sigma(100, 2000) ** 2) - 1); // ~472
const HOP = 0.25; // ms, one way within the zone
const DURATION = 60; // s
const CELEBRITY_FOLLOWERS = 10_000;
const THINK = 5; // s between the celebrity's posts (closed loop: her first post comes after one)
const KILL_AT = 40;
const KILL_FOR = 10;
const REBALANCE_PAUSE = 3; // s, the consumer default
// a fan-out worker writes one timeline at a time: a round trip each
const WRITE_RTT = 2 * HOP + lognormalMean(0.25, 1); // ~0.80 ms
const WRITES_PER_SEC = 1000 / WRITE_RTT; // ~1,250
const POST_FANOUT_SECONDS = CELEBRITY_FOLLOWERS / WRITES_PER_SEC; // ~8 s

/** Share of the keys [0, count) a hash-mod store puts on shard 0 of `shards`. */
function shareOfShard0(count: number, shards: number): number {
  const p = new HashModPartitioner(shards);
  let n = 0;
  for (let k = 0; k < count; k++) if (p.shardOf(k) === 0) n++;
  return n / count;
}

describe("case: social feed", () => {
  const file = "docs/cases/social-feed.md";
  const text = readFileSync(file, "utf8");
  const reports = docReports(file, text) as Record<string, Any>;
  const { push, pull, pullcalm, hybrid } = reports;

  it("the page's numbers and charts are current", () => {
    expect(
      staleParts(file, text, filledDoc(file, text, reports as never)),
      `run: archsim doc ${file}`,
    ).toEqual([]);
  });

  describe("push: fan-out on write", () => {
    const workers = push.components["fanout-workers"];
    const f = workers.fanouts[0];

    it("a feed read is one timeline read and one hydration, whoever the reader follows", () => {
      const { timelines, posts, feed } = push.components;
      expect(timelines.reads).toBe(posts.reads);
      expect(timelines.reads).toBe(feed.completed);
      expect(feed.fanouts).toBeUndefined();
      expect(push.routes["GET /feed"].latencyMs.p99).toBeLessThan(100);
    });

    it("a post costs its author's followers in timeline writes", () => {
      // every write sent is done but those in flight at the end (one per worker)
      expect(f.calls - push.components.timelines.writes).toBeGreaterThanOrEqual(0);
      expect(f.calls - push.components.timelines.writes).toBeLessThanOrEqual(4);
      const regular = f.requests - f.hotRequests;
      const perPost = (f.calls - f.hotCalls) / regular;
      expect(Math.abs(perPost - FOLLOW_MEAN)).toBeLessThan((4 * FOLLOW_SD) / Math.sqrt(regular));
      // a celebrity post is her followers: all of them, but the last one cut off by the end
      expect(f.maxKeys).toBe(CELEBRITY_FOLLOWERS);
      expect(f.hotCalls).toBeLessThanOrEqual(f.hotRequests * CELEBRITY_FOLLOWERS);
      expect(f.hotCalls).toBeGreaterThan((f.hotRequests - 1) * CELEBRITY_FOLLOWERS);
    });

    it("the storm: her worker writes at its capacity from her first post on, and her posts pile up", () => {
      const busy = DURATION - THINK;
      // her worker also fans out the regular posts of its two partitions (a few percent of its time)
      expect(f.hotCalls).toBeLessThanOrEqual(busy * WRITES_PER_SEC);
      expect(f.hotCalls).toBeGreaterThan(0.9 * busy * WRITES_PER_SEC);
      // each post takes ~8 s and she posts every ~5 s: ceil(55 / 8) posts started by the end
      expect(f.hotRequests).toBe(Math.ceil(busy / POST_FANOUT_SECONDS));
      // her posts come a think time plus the post's answer apart
      const cycle = THINK + push.routes["POST /celebrity-posts"].latencyMs.mean / 1000;
      const posted = push.routes["POST /celebrity-posts"].requests.total;
      expect(posted).toBe(Math.floor(busy / cycle) + 1);
      const p = new HashModPartitioner(8).shardOf(0);
      const lag = workers.lag.partitions[p];
      // the posts not started wait (plus the one in progress)
      expect(lag.lag).toBeGreaterThanOrEqual(posted - f.hotRequests + 1);
      // the oldest waiting is the one in progress, published at 5 s + (k - 1) cycles
      const published = THINK + (f.hotRequests - 1) * cycle;
      expect(Math.abs(lag.lagSeconds - (DURATION - published))).toBeLessThan(0.5);
      // and the backlog grows: ~3 s per post
      expect(lag.lagSeconds).toBeGreaterThan((f.hotRequests - 1) * (POST_FANOUT_SECONDS - THINK) - 1);
    });

    it("a worker crash delays its partitions' posts by its downtime and the rebalance, and loses none", () => {
      // partitions 0 and 1 are worker 0's (range assignment: 8 over 4)
      for (const p of [0, 1]) {
        const l = workers.series[`lagSeconds:${p}`] as number[];
        // while it is down and the group pauses, a waiting post only ages (1 s a second)
        for (let s = KILL_AT + 1; s < KILL_AT + KILL_FOR + REBALANCE_PAUSE; s++)
          if (l[s - 1] > 0) expect(l[s]).toBeCloseTo(l[s - 1] + 1, 6);
        expect(Math.max(...l.slice(KILL_AT, KILL_AT + KILL_FOR + REBALANCE_PAUSE))).toBeLessThanOrEqual(
          KILL_FOR + REBALANCE_PAUSE,
        );
        // caught up within a second of the rebalance
        expect(Math.max(...l.slice(KILL_AT + KILL_FOR + REBALANCE_PAUSE + 1))).toBeLessThan(1);
      }
      expect(workers.delivery.lost).toBe(0);
      expect(push.routes["GET /feed"].availability).toBe(1);
    });
  });

  describe("pull: fan-out on read", () => {
    const f = pullcalm.components.feed.fanouts[0];

    it("a feed read costs the reader's followees in reads of the post store", () => {
      const perRead = f.calls / f.requests;
      expect(Math.abs(perRead - FOLLOW_MEAN)).toBeLessThan((4 * FOLLOW_SD) / Math.sqrt(f.requests));
      // the other reads are the hydrations, one per feed served; the end cuts off at most 64 fetches
      // of each read in flight (and its hydration)
      const inFlight = pullcalm.routes["GET /feed"].requests.inFlight;
      const served = f.calls + pullcalm.components.feed.completed;
      expect(pullcalm.components.posts.reads).toBeLessThanOrEqual(served);
      expect(pullcalm.components.posts.reads).toBeGreaterThanOrEqual(served - 65 * inFlight);
      // ~229 times the one read per feed of push's post store
      expect(pullcalm.components.posts.reads / pullcalm.components.feed.completed).toBeGreaterThan(100);
    });

    it("the tail is the readers who follow many: 2,000 followees are 32 rounds of 64 fetches", () => {
      // the p99 reader follows 2,000: at least ceil(2000 / 64) round trips of two hops and a median read
      const floor = Math.ceil(2000 / 64) * (2 * HOP + 1);
      expect(pullcalm.components.feed.latencyMs.p99).toBeGreaterThan(floor);
      expect(push.components.feed.latencyMs.p99).toBeLessThan(floor / 2);
      expect(pullcalm.routes["GET /feed"].latencyMs.p99).toBeLessThan(100);
    });

    it("a dead node of the post store fails every feed read that touches it: nearly all of them", () => {
      // P(a read of n distinct followees misses shard 0) ~ (3/4)^n, over n ~ lognormal (rounded)
      const s = sigma(100, 2000);
      let touch = 0;
      const steps = 4000;
      for (let i = 0; i < steps; i++) {
        const z = -6 + (12 * (i + 0.5)) / steps;
        const n = Math.round(100 * Math.exp(s * z));
        touch += (1 - 0.75 ** n) * (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * (12 / steps);
      }
      const expected = 1 - (KILL_FOR / DURATION) * touch;
      // arrivals in the window are Poisson (~1,400, sd ~37: ~0.5% of the minute's reads)
      expect(Math.abs(pull.routes["GET /feed"].availability - expected)).toBeLessThan(0.015);
    });
  });

  describe("hybrid: push, except for celebrities", () => {
    const workers = hybrid.components["fanout-workers"];

    it("a celebrity's posts are stored, not pushed: writes per post stay below the threshold", () => {
      expect(hybrid.components.fanout.messages).toBe(hybrid.routes["POST /posts"].requests.ok);
      expect(hybrid.routes["POST /celebrity-posts"].requests.ok).toBeGreaterThan(0);
      expect(workers.fanouts[0].hotCalls).toBe(0);
      expect(workers.fanouts[0].maxKeys).toBeLessThan(CELEBRITY_FOLLOWERS);
      // so the workers keep up: no post waits anywhere near a celebrity post's 8 s
      expect(workers.lag.maxSeconds).toBeLessThan(POST_FANOUT_SECONDS / 4);
    });

    it("a feed read fetches only the celebrities followed: 5 on average", () => {
      const f = hybrid.components.feed.fanouts[0];
      // round(uniform(0, 10)): 0 and 10 with 5%, 1..9 with 10% each: mean 5, variance 8.5
      expect(Math.abs(f.calls / f.requests - 5)).toBeLessThan((4 * Math.sqrt(8.5)) / Math.sqrt(f.requests));
      expect(f.maxKeys).toBeLessThanOrEqual(10);
    });

    it("assembly is the case's handful of milliseconds, well under the 100 ms target", () => {
      const feed = hybrid.components.feed.latencyMs;
      // four sequential calls (two hops each), the timeline's, rank's and hydration's medians
      expect(feed.p50).toBeGreaterThan(4 * 2 * HOP + 1 + 1 + 2);
      expect(feed.p99).toBeLessThan(100);
      expect(hybrid.routes["GET /feed"].latencyMs.p99).toBeLessThan(100);
    });

    it("a dead feed-cache node fails only the readers whose timelines it holds, while it is down", () => {
      const share = shareOfShard0(50_000, 4);
      const expected = 1 - (KILL_FOR / DURATION) * share;
      // ~1,400 reads in the window, ~350 of them on the node: sd ~20 failures of 8,274 reads
      expect(Math.abs(hybrid.routes["GET /feed"].availability - expected)).toBeLessThan(0.01);
      const errors = hybrid.series.errors as number[];
      expect(errors.slice(0, KILL_AT).every((e) => e === 0)).toBe(true);
      expect(errors.slice(KILL_AT + KILL_FOR + 1).every((e) => e === 0)).toBe(true);
      // fan-outs given up after 3 attempts: at most the posts of the window (0.7/s x 10 s, Poisson)
      expect(workers.delivery.failed).toBeLessThanOrEqual(7 + 4 * Math.sqrt(7));
      expect(workers.delivery.lost).toBe(0);
    });
  });
});
