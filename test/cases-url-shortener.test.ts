// The URL-shortener case (docs/cases/url-shortener.md): the page quotes
// current numbers, and its claims hold: one cache node (or one node of a
// cluster) cannot take a viral code five times its capacity; an in-process
// cache can; creation limits hold per user; a cacheable 301 hides clicks from
// the origin that a 302 shows; random codes cost 1/(1 - n/S) draws (each a
// read, unless a Bloom filter clears it) as the space fills, a counter one id
// and a write per range, and a crash skips the rest of a range.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sum = (xs: number[], a: number, b: number): number => xs.slice(a - 1, b).reduce((s, x) => s + x, 0);

describe("case: URL shortener", () => {
  const file = "docs/cases/url-shortener.md";
  const text = readFileSync(file, "utf8");
  const reports = docReports(file, text) as Record<string, Any>;
  const { naive, improved, nol1, redirects, ids, ids90 } = reports;
  const mint = (r: Any, api: string): Any => r.components[api].mints[0];

  it("the page's numbers and chart are current", () => {
    expect(
      staleParts(file, text, filledDoc(file, text, reports as never)),
      `run: archsim doc ${file}`,
    ).toEqual([]);
  });

  it("before the link goes viral the naive design is fine; during it, the site fails", () => {
    expect(sum(naive.series.errors, 1, 19)).toBe(0);
    // 5,000 clicks/s on one code against a 1,000 ops/s node: most requests fail while it lasts
    expect(sum(naive.series.errors, 25, 50)).toBeGreaterThan(0.5 * sum(naive.series.throughput, 25, 50));
    expect(naive.slo.some((s: Any) => !s.pass)).toBe(true);
  });

  it("a cluster does not spread one code: the viral code's node takes its reads and melts", () => {
    const nodes = nol1.components.redis.cluster.nodes as Any[];
    const gets = nodes.map((n) => n.gets as number).sort((a, b) => b - a);
    expect(gets[0]).toBeGreaterThan(10 * gets[1]);
    expect(nol1.availability).toBeLessThan(0.5);
  });

  it("the in-process cache absorbs the viral code: each instance reads it from the cluster once per TTL", () => {
    expect(improved.routes["GET /:code"].availability).toBe(1);
    expect(improved.slo.every((s: Any) => s.pass)).toBe(true);
    // every L1 miss is a cluster read; the viral code misses at most once per instance per 5 s
    const l1 = improved.components.api.localCache;
    expect(l1.gets - l1.hits).toBe(improved.components.redis.gets);
    expect(l1.hitRatio).toBeGreaterThan(0.9);
  });

  it("creation limits hold per user: no spam account gets more than 10 a minute", () => {
    const lim = improved.components.gw.limits[0];
    expect(lim.maxPerWindow.units).toBeLessThanOrEqual(10);
    // the spammers send ~1,200 (sd ~35) in the minute and at most 5 x 10 get through
    expect(lim.limited).toBeGreaterThan(1200 - 50 - 6 * 35);
  });

  it("random codes take 1/(1 - n/S) draws as the space fills, each a read of the store", () => {
    for (const [r, share] of [
      [ids, 0.5],
      [ids90, 0.9],
    ] as const) {
      const m = mint(r, "api-random");
      expect(m.preloaded).toBe(Math.round(share * m.space));
      // the closed form at each creation's occupancy lies between the start's and the end's
      expect(m.expectedDrawsPerMint).toBeGreaterThanOrEqual(1 / (1 - share));
      expect(m.expectedDrawsPerMint).toBeLessThanOrEqual(1 / (1 - m.occupancy));
      // geometric draws: variance q/(1-q)^2 per creation, at most the end's q
      const q = m.occupancy;
      expect(Math.abs(m.draws - m.expectedDraws)).toBeLessThan(4 * Math.sqrt((m.mints * q) / (1 - q) ** 2));
      // each draw is a read (but those still out when the run ends), and the store served them
      expect(m.reads).toBeGreaterThan(m.draws - 32 * 4);
      expect(Math.abs(r.components["links-random"].reads - m.reads)).toBeLessThanOrEqual(32 * 4);
    }
    // ten reads a link instead of two: creations slow down
    expect(ids90.components["api-random"].latencyMs.p99).toBeGreaterThan(
      ids.components["api-random"].latencyMs.p99,
    );
  });

  it("a Bloom filter saves the read of the free code, not the reads of collisions", () => {
    for (const r of [ids, ids90]) {
      const m = mint(r, "api-bloom");
      // a code the filter flags is read: a collision or a false positive
      expect(m.reads).toBe(m.collisions + m.falsePositives);
      // reads per link: p/(1-p) collisions + f for the free code's false positive = E[draws] - 1 + f
      const q = m.occupancy;
      const sd = Math.sqrt((m.mints * q) / (1 - q) ** 2);
      const expected = m.expectedDraws - m.mints + m.mints * m.bloom.falsePositiveRate;
      expect(Math.abs(m.reads - expected)).toBeLessThan(
        4 * sd + 4 * Math.sqrt(m.mints * m.bloom.falsePositiveRate),
      );
    }
    // half full, the filter halves the reads (2 a link without it, 1 with)
    const half = mint(ids, "api-bloom").reads / mint(ids, "api-bloom").mints;
    expect(half).toBeLessThan(0.6 * (mint(ids, "api-random").reads / mint(ids, "api-random").mints));
  });

  it("counter codes: no check, one counter write per range, and a crash skips the rest of a range", () => {
    for (const [r, api] of [
      [ids, "api-counter"],
      [improved, "api"],
    ] as const) {
      const m = mint(r, api);
      expect(m.draws).toBe(m.minted);
      expect(m.reads).toBe(0);
      expect(m.counter.blocks * m.counter.range).toBe(m.minted + m.counter.held + m.counter.skipped);
    }
    expect(ids.components["links-counter"].reads).toBe(0);
    expect(ids.components.ids.writes).toBe(mint(ids, "api-counter").counter.blocks);
    // fewer than 1,000 links per instance: each instance took one range, the restarted one a second
    expect(mint(ids, "api-counter").counter.blocks).toBe(4 + 1);
    expect(mint(improved, "api").counter.blocks).toBeLessThanOrEqual(8);
    // the killed instance had minted ~15 s x 25/s of its 1,000 (Poisson, sd ~19): the rest is skipped
    const skipped = mint(ids, "api-counter").counter.skipped;
    expect(Math.abs(skipped - (1000 - 375))).toBeLessThan(6 * Math.sqrt(375));
  });

  it("the naive design's random 7-character codes never collide: one draw and one read each", () => {
    const m = mint(naive, "api");
    expect(m.space).toBe(62 ** 7);
    expect(m.collisions).toBe(0);
    expect(m.draws).toBe(m.mints);
  });

  it("301 vs 302: the origin sees every click of a 302, and only the cache misses of a 301", () => {
    const clicks302 = redirects.routes["GET /302/:code"].requests.total;
    expect(redirects.components["api-302"].arrivals).toBeGreaterThanOrEqual(clicks302 - 10); // in flight at the end
    const cdn = redirects.components["cdn-301"];
    expect(redirects.components["api-301"].arrivals).toBe(cdn.originFetches);
    expect(redirects.components["api-301"].arrivals).toBeLessThan(
      0.5 * redirects.routes["GET /301/:code"].requests.total,
    );
  });
});
