// examples/messaging/video-pipeline.yaml (DC-07): time to the first playable
// version and to every rendition, and how the transcoder pools change them.
// Uploads are evenly spaced and every time is constant, so each stage is a
// D/D/c queue whose waits follow from the arrival gap, the time a job holds a
// transcoder and the pool's size.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runFile } from "./support/run.js";

const FILE = "examples/messaging/video-pipeline.yaml";
const S = 1000;
const RUN = 3600 * S;
// the design's times: one upload a minute; object-storage PUTs; encodes
const GAP = 60 * S;
const PUT = 3 * S;
const [ENC_720, ENC_1080, ENC_4K] = [120 * S, 120 * S, 240 * S];
// what a job holds a transcoder for: its encodes and rendition writes
const HOLD_FAST = ENC_720 + PUT;
const HOLD_LADDER = ENC_1080 + PUT + ENC_4K + PUT;
// network hops, the api's work, queue appends: milliseconds in all
const SLACK = 0.1 * S;

interface Summary {
  count: number;
  mean: number;
  max: number;
}
interface Stage {
  utilization: number;
  endToEndMs: Summary;
}
const stage = (r: Report, name: string) => r.components[name] as unknown as Stage;

/**
 * Waits of the first n jobs at a FIFO pool of c servers, jobs arriving every
 * `gap` and each holding a server for `hold`: job k starts when it arrives
 * or when the earliest server frees up, whichever is later.
 */
function ddcWaits(c: number, hold: number, gap: number, n: number): number[] {
  const free = new Array<number>(c).fill(0);
  const waits: number[] = [];
  for (let k = 0; k < n; k++) {
    const s = free.indexOf(Math.min(...free));
    const start = Math.max(k * gap, free[s]);
    waits.push(start - k * gap);
    free[s] = start + hold;
  }
  return waits;
}

describe(FILE, () => {
  const base = runFile(FILE);
  const fast = stage(base, "fast");
  const ladder = stage(base, "ladder");
  const firstPlayable = PUT + HOLD_FAST;

  it("with enough transcoders nothing waits: the first playable version comes after the store, the 720p encode and its write", () => {
    // 1/60s x 123s = 2.05 transcoders busy of 3; 1/60s x 366s = 6.1 of 8
    expect(fast.utilization).toBeLessThan(1);
    expect(ladder.utilization).toBeLessThan(1);
    expect(ddcWaits(3, HOLD_FAST, GAP, 60).every((w) => w === 0)).toBe(true);
    expect(fast.endToEndMs.mean).toBeGreaterThanOrEqual(firstPlayable);
    expect(fast.endToEndMs.mean).toBeLessThan(firstPlayable + SLACK);
    // every upload the same
    expect(fast.endToEndMs.max - fast.endToEndMs.mean).toBeLessThan(SLACK);
  });

  it("all renditions are done one ladder job later: 1080p and 4K encoded and written", () => {
    const all = ladder.endToEndMs;
    expect(all.mean - fast.endToEndMs.mean).toBeGreaterThanOrEqual(HOLD_LADDER);
    expect(all.mean - fast.endToEndMs.mean).toBeLessThan(HOLD_LADDER + SLACK);
    expect(all.max - all.mean).toBeLessThan(SLACK);
    // uploads of the last ~8 minutes are still being transcoded at the end
    expect(all.count).toBeGreaterThan(fast.endToEndMs.count - Math.ceil(HOLD_LADDER / GAP) - 1);
  });

  it("utilisation is the load each pool is offered: arrival rate x hold time / transcoders", () => {
    // jobs reach a pool a gap apart from its first; those still running at the end count up to the end
    const busy = (first: number, hold: number, c: number) => {
      let sum = 0;
      for (let t = first; t < RUN; t += GAP) sum += Math.min(hold, RUN - t);
      return sum / (c * RUN);
    };
    // the first upload starts one gap in; its job reaches the fast path once the original is stored
    expect(fast.utilization).toBeCloseTo(busy(GAP + PUT, HOLD_FAST, 3), 3);
    expect(ladder.utilization).toBeCloseTo(busy(GAP + firstPlayable, HOLD_LADDER, 8), 3);
    // in the long run: 1/60s x 123s / 3 and 1/60s x 366s / 8
    expect(fast.utilization).toBeLessThan(HOLD_FAST / GAP / 3);
    expect(ladder.utilization).toBeLessThan(HOLD_LADDER / GAP / 8);
  });

  it("too few ladder transcoders: the higher rungs queue, the fast path does not notice", () => {
    const r = runFile(FILE, ["components.ladder.instances=4"]);
    const starved = stage(r, "ladder").endToEndMs;
    // the 720p stage is untouched: the pools are separate
    expect(stage(r, "fast").endToEndMs).toEqual(fast.endToEndMs);
    // 1/60s x 366s = 6.1 transcoders' work for 4: each job waits 31.5s more than the last, in steps of four
    const waits = ddcWaits(4, HOLD_LADDER, GAP, starved.count);
    const meanWait = waits.reduce((a, w) => a + w, 0) / waits.length;
    const done = fast.endToEndMs.mean + HOLD_LADDER;
    expect(starved.max).toBeGreaterThan(done + waits.at(-1)! - SLACK);
    expect(starved.max).toBeLessThan(done + waits.at(-1)! + starved.count * SLACK);
    expect(starved.mean).toBeGreaterThan(done + meanWait - SLACK);
    expect(starved.mean).toBeLessThan(done + meanWait + starved.count * SLACK);
    expect(waits.at(-1)!).toBeGreaterThan(10 * 60 * S);
  });

  it("a single fast-path transcoder: the first playable version is what waits", () => {
    const r = runFile(FILE, ["components.fast.instances=1"]);
    const slow = stage(r, "fast").endToEndMs;
    const waits = ddcWaits(1, HOLD_FAST, GAP, slow.count);
    expect(waits[1]).toBe(HOLD_FAST - GAP);
    expect(slow.max).toBeGreaterThan(firstPlayable + waits.at(-1)! - SLACK);
    expect(slow.max).toBeLessThan(firstPlayable + waits.at(-1)! + slow.count * SLACK);
    // about 1/123s of completions instead of one a minute
    expect(slow.count).toBeLessThan(fast.endToEndMs.count * (GAP / HOLD_FAST) + 2);
  });

  it("viewers are served from the CDN's edge: each segment is pulled from storage once, the cache holds them all", () => {
    const cdn = base.components.cdn as unknown as {
      requests: number;
      originFetches: number;
      originOffload: number;
    };
    // 2,000 segments of 2 MiB fit the 8 GiB PoP, and stay fresh for a day: only first requests go to the origin
    expect(cdn.originFetches).toBeLessThanOrEqual(2000);
    expect(cdn.originFetches).toBeGreaterThan(0);
    expect(cdn.originOffload).toBeGreaterThanOrEqual(1 - 2000 / cdn.requests);
  });
});
