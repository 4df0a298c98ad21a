// The seen step (a crawler's URL-seen test on a Bloom filter) and keys.pages
// (a key is a site with pages) in a running design, and the limit step's
// peakPerWindow (the most one key sent within a window). Counts are checked
// against the workload's own arithmetic: every request is checked once, a URL
// is admitted at most once, and the false positives follow the closed form.
import { describe, expect, it } from "vitest";
import { bloomFalsePositiveRate } from "../src/mechanisms/bloom-filter.js";
import type { Report } from "../src/report/json.js";
import { rejection, runText } from "./support/run.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const comp = (r: Report, name: string) => r.components[name] as unknown as Any;

function design(o: { sites: number; pages: number; bits: number; hashes: number; seen?: string }): string {
  return `
name: seen-step
duration: 20s
seed: 3
components:
  links:
    kind: workload
    target: crawler
    arrival: { process: poisson, rate: 500/s }
    routes: [{ route: FETCH, keys: { count: ${o.sites}, pages: ${o.pages} } }]
  crawler:
    kind: service
    instances: 2
    concurrency: 64
    routes:
      FETCH:
        - ${o.seen ?? `seen: { bits: ${o.bits}, hashes: ${o.hashes} }`}
        - limit: { key: key, algorithm: sliding-log, limit: 1000, window: 1s }
        - { compute: 1ms }
`;
}

describe("seen step", () => {
  it("checks every request once and admits each URL (site and page) at most once", () => {
    // 2 sites x 50 pages = 100 URLs, far fewer than the 10,000 requests: all are found, then all skipped
    const r = runText(design({ sites: 2, pages: 50, bits: 1 << 16, hashes: 7 }));
    const s = comp(r, "crawler").seen[0];
    expect(s.checked).toBe(comp(r, "crawler").arrivals);
    expect(s.admitted + s.falsePositives).toBeLessThanOrEqual(100);
    // 65,536 bits for 100 URLs: a false-positive rate of ~1e-13
    expect(s.falsePositives).toBe(0);
    expect(s.admitted).toBe(100);
    expect(s.duplicates).toBe(s.checked - 100);
    // skipped requests end at the step: only admitted ones reach the limit step
    expect(comp(r, "crawler").limits[0].admitted).toBe(s.admitted);
    expect(r.requests.failed).toBe(0);
  });

  it("an undersized filter skips new URLs at the rate (1 - e^{-kn/m})^k", () => {
    // 10,000 requests over 10M URLs: nearly all new; 20,000 bits and 3 hashes fill up
    const m = 20_000;
    const k = 3;
    const r = runText(design({ sites: 10_000, pages: 1000, bits: m, hashes: k }));
    const s = comp(r, "crawler").seen[0];
    const novel = s.admitted + s.falsePositives;
    let expected = 0;
    let variance = 0;
    for (let i = 0; i < novel; i++) {
      const p = bloomFalsePositiveRate(m, k, Math.min(i, s.admitted));
      expected += p;
      variance += p * (1 - p);
    }
    expect(expected).toBeGreaterThan(500);
    expect(Math.abs(s.falsePositives - expected)).toBeLessThan(6 * Math.sqrt(variance));
    expect(s.expectedFalsePositives).toBeCloseTo(expected, 6);
    expect(s.falsePositiveRate).toBeCloseTo(bloomFalsePositiveRate(m, k, s.admitted), 12);
  });

  it("a limit step with a window reports the most one key sent within it", () => {
    // 2 sites of equal popularity: each sends ~250 a second; the peak over 20 windows is above the mean
    const r = runText(design({ sites: 2, pages: 1000, bits: 1 << 20, hashes: 7 }));
    const peak = comp(r, "crawler").limits[0].peakPerWindow;
    expect(peak.windowMs).toBe(1000);
    expect(peak.units).toBeGreaterThan(200);
    expect(peak.units).toBeLessThan(250 + 6 * Math.sqrt(250) + 40);
  });

  it("rejects filters and sites it cannot hold, with a hint", () => {
    const bits = rejection(design({ sites: 10, pages: 10, bits: 2 ** 33, hashes: 7 }));
    expect(bits).toMatch(/at most 2\^32 bits, got 8589934592/);
    expect(bits).toMatch(/9\.6 bits per URL/);
    expect(rejection(design({ sites: 10, pages: 10, bits: 1000, hashes: 65 }))).toMatch(/at most 64 hashes/);
    const pages = rejection(design({ sites: 10, pages: 2 ** 21, bits: 1000, hashes: 7 }));
    expect(pages).toMatch(/at most 1048576 \(2\^20\) pages/);
    expect(pages).toMatch(/keys\.count/);
    expect(
      rejection(design({ sites: 10, pages: 10, bits: 0, hashes: 7, seen: "seen: { bits: 100 }" })),
    ).toMatch(/hashes/);
  });
});
