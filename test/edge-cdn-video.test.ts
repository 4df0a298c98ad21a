// examples/edge/cdn-video.yaml: the same zipf(0.9) traffic over 100k video
// segments through a pull CDN and through one that pushes the 2,000 most
// popular segments. The bounds come from the key distribution: what share of
// requests the pushed head takes, and how many distinct segments a cold PoP
// sees in its first second (each of which it must miss at least once).
import { describe, expect, it } from "vitest";
import { ZipfKeys } from "../src/kernel/keys.js";
import type { Report } from "../src/report/json.js";
import { runFile } from "./support/run.js";

interface Cdn {
  requests: number;
  hitRatio: number;
  originOffload: number;
  bytes: { served: number; fromOrigin: number; pushed: number };
  byRegion: Record<string, { requests: number; hitRatio: number; latencyMs: { mean: number } }>;
  series: { hitRatio: number[] };
}

const file = "examples/edge/cdn-video.yaml";
const cdn = (r: Report, name: string) => r.components[name] as unknown as Cdn;
const sd = (p: number, n: number) => Math.sqrt((p * (1 - p)) / n);

describe("pull vs push for video segments (examples/edge/cdn-video.yaml)", () => {
  const r = runFile(file);
  const pull = cdn(r, "cdn-pull");
  const push = cdn(r, "cdn-push");
  const zipf = new ZipfKeys(100_000, 0.9);
  let head = 0;
  for (let k = 0; k < 2000; k++) head += zipf.probability(k);
  const rate = 1500;
  const shares = { "us-east": 0.5, "eu-west": 0.3, "ap-south": 0.2 };

  it("push is warm from the first second: the pushed head is served from the edge", () => {
    // every request for the pushed 2,000 is a hit; ~1,500 requests in the second
    expect(push.series.hitRatio[0]).toBeGreaterThan(head - 4 * sd(head, rate));
  });

  it("pull starts cold: in its first second a PoP misses every distinct segment it is asked for", () => {
    // expected hits in a second at a PoP receiving n requests are at most
    // n - E[distinct keys among n draws]
    let bound = 0;
    for (const share of Object.values(shares)) {
      const n = rate * share;
      let distinct = 0;
      for (let k = 0; k < zipf.keys; k++) distinct += 1 - (1 - zipf.probability(k)) ** n;
      bound += share * (1 - distinct / n);
    }
    expect(pull.series.hitRatio[0]).toBeLessThan(bound + 4 * sd(bound, rate));
    expect(push.series.hitRatio[0]).toBeGreaterThan(bound + 8 * sd(bound, rate));
  });

  it("over the run, push offloads more of the origin and saves more bandwidth", () => {
    expect(push.hitRatio).toBeGreaterThan(head - 4 * sd(head, push.requests));
    expect(push.originOffload).toBeGreaterThan(pull.originOffload);
    expect(push.bytes.fromOrigin).toBeLessThan(pull.bytes.fromOrigin);
    // push pays for storing the head at every PoP, requested or not
    expect(push.bytes.pushed).toBe(3 * 2000 * 2 * 1024 * 1024);
    expect(pull.bytes.pushed).toBe(0);
  });

  it("users far from the origin gain the most: their misses cross 110ms each way", () => {
    for (const c of [pull, push]) {
      const lat = (region: string) => c.byRegion[region].latencyMs.mean;
      expect(lat("ap-south")).toBeGreaterThan(lat("eu-west"));
      expect(lat("eu-west")).toBeGreaterThan(lat("us-east"));
    }
    expect(push.byRegion["ap-south"].latencyMs.mean).toBeLessThan(pull.byRegion["ap-south"].latencyMs.mean);
  });

  it("is deterministic and accounts for every request", () => {
    const again = runFile(file);
    expect(JSON.stringify({ ...again, engine: 0 })).toBe(JSON.stringify({ ...r, engine: 0 }));
    expect(r.requests.ok + r.requests.failed + r.requests.inFlight).toBe(r.requests.total);
    expect(r.requests.failed).toBe(0);
  });
});
