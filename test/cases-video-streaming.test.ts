// The video-streaming case (docs/cases/video-streaming.md): the page quotes
// current numbers, and its claims follow from the designs' arithmetic: a
// transcode fleet keeps up when uploads/s x job time <= machines, and its
// backlog grows by the difference when it does not; one job per video makes
// every video wait for its whole ladder, chunks with a 720p pool make it
// playable after two rounds of one chunk; pushing the hot 10% makes their
// 90% of the views hits from the first second, and LRU hit ratios match
// Che's approximation; a crash costs a visibility timeout plus the work lost;
// a PoP outage fails its viewers' requests until the steering notices.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const mean = (xs: number[], a: number, b: number): number =>
  xs.slice(a, b).reduce((s, x) => s + x, 0) / (b - a);

const design = parse(readFileSync("examples/cases/video-streaming/naive.yaml", "utf8")) as Any;
const UPLOAD_GAP_S = 60; // one upload a minute
const WRITE_S = 2; // storage writeTime
const JOB_S = 20 * 60 + WRITE_S; // naive: the whole ladder on one machine, then the write
const FAST_S = 30 + WRITE_S; // a chunk's 720p rung
const LADDER_S = 90 + WRITE_S; // a chunk's other rungs
const CHUNKS = 10;
const SEGMENTS = 10_000;
const ZIPF_S = 1.2;
const PUSHED = 1000;
const MiB = 1024 * 1024;

// viewers: one workload per bandwidth class, each fetching one rendition
const classes = ["cellular", "broadband", "fibre"].map((w) => {
  const c = design.components[w];
  const route = c.routes[0].route as string;
  return {
    rate: parseFloat(c.arrival.rate),
    sizeMiB:
      parseFloat(design.components.cdn.routes[route].size) /
      (design.components.cdn.routes[route].size.endsWith("KiB") ? 1024 : 1),
    regions: c.population.regions as Record<string, string>,
  };
});
const viewerRate = classes.reduce((s, c) => s + c.rate, 0);
const share = (region: string): number => parseFloat(classes[0].regions[region]) / 100;

// zipf(1.2) over the segments: key k (0 = most popular) with probability p[k]
const p = ((): number[] => {
  const w = Array.from({ length: SEGMENTS }, (_, k) => (k + 1) ** -ZIPF_S);
  const h = w.reduce((s, x) => s + x, 0);
  return w.map((x) => x / h);
})();
const hotShare = p.slice(0, PUSHED).reduce((s, x) => s + x, 0);

/**
 * Che's approximation of an LRU cache of capBytes under independent requests:
 * the characteristic time T fills the cache (sum of object sizes x P(requested
 * within T)), and an object's hit probability is 1 - exp(-rate x T). Keys below
 * `pinned` are pushed: always hits, outside the LRU part.
 */
function cheHitRatio(capMiB: number, pinned: number): number {
  const occupancy = (t: number): number =>
    classes.reduce(
      (s, c) => s + p.slice(pinned).reduce((b, pk) => b + c.sizeMiB * (1 - Math.exp(-c.rate * pk * t)), 0),
      0,
    );
  let lo = 0;
  let hi = 1e9;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (occupancy(mid) > capMiB) hi = mid;
    else lo = mid;
  }
  let hits = 0;
  for (const c of classes)
    p.forEach((pk, k) => {
      hits += c.rate * pk * (k < pinned ? 1 : 1 - Math.exp(-c.rate * pk * lo));
    });
  return hits / viewerRate;
}

describe("case: video streaming", () => {
  const file = "docs/cases/video-streaming.md";
  const text = readFileSync(file, "utf8");
  const reports = docReports(file, text) as Record<string, Any>;
  const { naive, improved, under } = reports;

  it("the page's numbers and charts are current", () => {
    expect(
      staleParts(file, text, filledDoc(file, text, reports as never)),
      `run: archsim doc ${file}`,
    ).toEqual([]);
  });

  it("one job per video: the fleet keeps up, and every video waits for its whole ladder", () => {
    const tc = naive.components.transcoders;
    // a video is playable after its upload's write and the whole job, with no wait
    expect(tc.endToEndMs.p50 / 1000).toBeGreaterThanOrEqual(WRITE_S + JOB_S);
    expect(tc.endToEndMs.p50 / 1000).toBeLessThan(WRITE_S + JOB_S + 1);
    // busy machines = uploads/s x job time (Little), between the warm-up and the crash's redelivery
    expect(mean(tc.series.utilization, 1300, 1800)).toBeCloseTo(JOB_S / UPLOAD_GAP_S / tc.instances, 2);
  });

  it("an undersized fleet: each round of c videos waits S - c x a longer, and the backlog grows", () => {
    const tc = under.components.transcoders;
    const q = under.components.transcode;
    const c = tc.instances as number;
    const extra = JOB_S - c * UPLOAD_GAP_S; // 242 s
    expect(extra).toBeGreaterThan(0);
    const rounds = Math.ceil(tc.deliveries / c);
    expect(q.waitMs.max / 1000).toBeCloseTo((rounds - 1) * extra, -1);
    // D/D/c: job n (arriving at 60(n+1) s) starts when job n - c ends, or on arrival
    const starts: number[] = [];
    for (let n = 0; n < q.arrivals; n++) {
      const arrive = UPLOAD_GAP_S * (n + 1) + WRITE_S;
      starts.push(n < c ? arrive : Math.max(arrive, starts[n - c] + JOB_S));
    }
    const done = starts.filter((s) => s + JOB_S <= under.durationMs / 1000).length;
    expect(Math.abs(tc.completed - done)).toBeLessThanOrEqual(1);
    expect(q.depth).toBe(q.arrivals - tc.completed);
  });

  it("chunks with a 720p pool: playable after two rounds of one chunk, on the same 24 machines", () => {
    const fast = improved.components.fast;
    const ladder = improved.components.ladder;
    expect(fast.instances + ladder.instances).toBe(naive.components.transcoders.instances);
    const rounds = Math.ceil(CHUNKS / fast.instances); // 10 chunks on 8 machines: 2
    expect(rounds).toBe(2);
    expect(fast.endToEndMs.p50 / 1000).toBeGreaterThanOrEqual(WRITE_S + FAST_S);
    expect(fast.endToEndMs.p50 / 1000).toBeLessThan(WRITE_S + FAST_S + 1);
    expect(fast.endToEndMs.p99 / 1000).toBeGreaterThanOrEqual(WRITE_S + rounds * FAST_S);
    expect(fast.endToEndMs.p99 / 1000).toBeLessThan(WRITE_S + rounds * FAST_S + 1);
    expect(naive.components.transcoders.endToEndMs.p50 / fast.endToEndMs.p99).toBeGreaterThan(15);
    // each pool is busy as its share of the work says, after the first 20 minutes
    const perMin = (s: number, n: number): number => (CHUNKS * s) / UPLOAD_GAP_S / n;
    expect(mean(fast.series.utilization, 1200, 3600)).toBeCloseTo(perMin(FAST_S, fast.instances), 2);
    expect(mean(ladder.series.utilization, 1200, 3600)).toBeCloseTo(perMin(LADDER_S, ladder.instances), 1);
    expect(ladder.lag.messages).toBeLessThan(2 * CHUNKS); // the ladder keeps up
  });

  it("a transcoder crash costs a visibility timeout plus the work lost: a whole video, or one chunk", () => {
    const vNaive = 30 * 60;
    const vChunk = 2 * 60;
    for (const [r, queue] of [
      [naive, "transcode"],
      [improved, "chunks-720p"],
    ] as const) {
      expect(r.components[queue].redeliveries).toBe(1);
      expect(r.components[queue].delivery.lost).toBe(0);
    }
    const worstNaive = naive.components.transcoders.endToEndMs.max / 1000;
    expect(worstNaive).toBeGreaterThanOrEqual(vNaive + JOB_S);
    expect(worstNaive).toBeLessThan(vNaive + 2 * JOB_S);
    const worstChunk = improved.components.fast.endToEndMs.max / 1000;
    expect(worstChunk).toBeGreaterThanOrEqual(vChunk + FAST_S);
    expect(worstChunk).toBeLessThan(WRITE_S + 2 * FAST_S + vChunk + FAST_S + 1);
  });

  it("pushing the hot 10%: their 90% of views are hits from the first second", () => {
    expect(hotShare).toBeGreaterThan(0.9); // the case's 10% -> 90%
    const push = improved.components.cdn;
    const pull = naive.components.cdn;
    const sd = (n: number): number => Math.sqrt((hotShare * (1 - hotShare)) / n);
    expect(push.hitRatio).toBeGreaterThan(hotShare - 3 * sd(push.requests));
    const firstMinute = viewerRate * 60;
    expect(mean(push.series.hitRatio, 0, 60)).toBeGreaterThan(hotShare - 3 * sd(firstMinute));
    // pulled PoPs start empty, so each misses every object it is asked for at least once:
    // n draws of a zipf key touch sum_k 1 - (1 - p_k)^n distinct keys
    const distinct = (n: number): number => p.reduce((d, pk) => d + 1 - (1 - pk) ** n, 0);
    let firstMisses = 0;
    for (const region of Object.keys(pull.pops))
      for (const c of classes) firstMisses += distinct(c.rate * share(region) * 60);
    const coldBound = 1 - firstMisses / firstMinute;
    expect(mean(pull.series.hitRatio, 0, 60)).toBeLessThan(coldBound + 3 * Math.sqrt(0.25 / firstMinute));
    expect(coldBound).toBeLessThan(hotShare - 0.2);
    // every origin byte is a tail segment's, and the tail draws 1 - hotShare of each rendition's requests
    const egress = (c: Any): number => c.bytes.fromOrigin / c.bytes.served;
    expect(egress(push)).toBeLessThan(1 - hotShare + 0.01);
    expect(egress(pull)).toBeGreaterThan(egress(push));
    // pushing costs the head of every rendition at every PoP, watched or not
    const pops = Object.keys(push.pops).length;
    expect(push.bytes.pushed).toBe(pops * PUSHED * classes.reduce((s, c) => s + c.sizeMiB, 0) * MiB);
  });

  it("at steady state the PoP caches hit as Che's approximation of LRU says, pulled or with the head pinned", () => {
    const capMiB = parseFloat(design.components.cdn.capacity) * 1024;
    // 40-60 min at us-east: its cache is full; ~18,000 requests (sd 0.0023) plus the approximation's error
    const window = (r: Any): number => mean(r.components.cdn.series["hitRatio:us-east"], 2400, 3600);
    expect(Math.abs(window(naive) - cheHitRatio(capMiB, 0))).toBeLessThan(0.015);
    // pushed objects take their room first; the tail shares the rest
    const pinnedMiB = PUSHED * classes.reduce((s, c) => s + c.sizeMiB, 0);
    const pinnedHits = cheHitRatio(capMiB - pinnedMiB, PUSHED);
    expect(Math.abs(window(improved) - pinnedHits)).toBeLessThan(0.015);
    expect(pinnedHits).toBeGreaterThan(cheHitRatio(capMiB, 0));
  });

  it("a PoP outage: its viewers fail until the steering notices, then are served by the next PoP", () => {
    const cdn = naive.components.cdn;
    const failover = 10; // the cdn's default
    const outage = 120;
    const euRate = viewerRate * share("eu-west");
    const refused = euRate * failover;
    expect(Math.abs(cdn.refused - refused)).toBeLessThan(3 * Math.sqrt(refused) + 10); // + requests in flight
    // steered away from the steering noticing the outage to noticing the recovery: the outage's length
    const moved = euRate * outage;
    expect(Math.abs(cdn.failedOver - moved)).toBeLessThan(3 * Math.sqrt(moved));
    expect(cdn.pops["us-east"].takenOver).toBe(cdn.failedOver);
    expect(improved.components.cdn.refused).toBe(cdn.refused); // same viewers, same outage
  });
});
