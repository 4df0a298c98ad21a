// The URL-shortener case (docs/cases/url-shortener.md): the page quotes
// current numbers, and its claims hold: one cache node (or one node of a
// cluster) cannot take a viral code five times its capacity; an in-process
// cache can; creation limits hold per user; a cacheable 301 hides clicks from
// the origin that a 302 shows.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sum = (xs: number[], a: number, b: number): number => xs.slice(a - 1, b).reduce((s, x) => s + x, 0);

describe("case: URL shortener", () => {
  const file = "docs/cases/url-shortener.md";
  const text = readFileSync(file, "utf8");
  const reports = docReports(file, text) as Record<string, Any>;
  const { naive, improved, nol1, redirects } = reports;

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
