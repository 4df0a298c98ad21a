// The web-crawler case (docs/cases/web-crawler.md): the page quotes current
// numbers and its claims hold, from the arithmetic of the design: politeness
// keeps every site at one request a second (so no site refuses the crawler),
// where the naive crawler sends the big sites many times what they allow;
// the Bloom filter's false positives follow (1 - e^{-kn/m})^k; a caching
// resolver asks once per distinct site, the naive crawler once per fetch.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bloomFalsePositiveRate } from "../src/mechanisms/bloom-filter.js";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const mean = (xs: number[], a: number, b: number): number =>
  xs.slice(a - 1, b).reduce((s, x) => s + x, 0) / (b - a + 1);

// the designs' traffic: 200 links a second for 60 s, over 2,000 sites (Zipf(1)) of 1,000 pages
const RATE = 200;
const SECONDS = 60;
const SITES = 2000;
const PAGES = 1000;
let harmonic = 0;
for (let i = 1; i <= SITES; i++) harmonic += 1 / i;
const share = (i: number): number => 1 / (i * harmonic); // the i-th biggest site's share of the links

describe("case: web crawler", () => {
  const file = "docs/cases/web-crawler.md";
  const text = readFileSync(file, "utf8");
  const reports = docReports(file, text) as Record<string, Any>;
  const { naive, improved } = reports;

  it("the page's numbers and charts are current", () => {
    expect(
      staleParts(file, text, filledDoc(file, text, reports as never)),
      `run: archsim doc ${file}`,
    ).toEqual([]);
  });

  it("without politeness the big sites get many times their limit, and refuse the excess", () => {
    const site = naive.components.web.limits[0];
    // the biggest site: ~24 links a second, ~244 per 10 s window against 20 allowed
    expect(site.peakPerWindow.units).toBeGreaterThan(
      RATE * share(1) * 10 - 6 * Math.sqrt(RATE * share(1) * 10),
    );
    // at most 20 per 10 s gets through, 120 a minute per site: everything above is refused
    let bound = 0;
    let variance = 0;
    for (let i = 1; i <= SITES; i++) {
      const sent = RATE * share(i) * SECONDS;
      if (sent > 120) {
        bound += sent - 120;
        variance += sent;
      }
    }
    expect(site.limited).toBeGreaterThan(bound - 6 * Math.sqrt(variance));
    expect(naive.requests.byOutcome["rate-limited"]).toBe(naive.requests.failed);
  });

  it("politeness: no site gets more than one request a second, and none refuses the crawler", () => {
    const site = improved.components.web.limits[0];
    expect(site.limited).toBe(0);
    // one a second over a 10 s window: 10, and one more at its edge (two fetches a network jitter under 1 s apart)
    expect(site.peakPerWindow.units).toBeLessThanOrEqual(site.peakPerWindow.windowMs / 1000 + 1);
    expect(improved.availability).toBe(1);
    // the sites above one link a second could not be served faster: their excess waits in the frontier
    expect(improved.components.fetchers.limits[0].limited).toBeGreaterThan(0);
  });

  it("the Bloom filter's false positives follow (1 - e^{-kn/m})^k", () => {
    const s = improved.components.fetchers.seen[0];
    let expected = 0;
    let variance = 0;
    for (let i = 0; i < s.admitted + s.falsePositives; i++) {
      const p = bloomFalsePositiveRate(s.bits, s.hashes, Math.min(i, s.admitted));
      expected += p;
      variance += p * (1 - p);
    }
    expect(Math.abs(s.falsePositives - expected)).toBeLessThan(6 * Math.sqrt(variance));
    expect(s.falsePositiveRate).toBeCloseTo(bloomFalsePositiveRate(s.bits, s.hashes, s.admitted), 12);
    // the URLs never seen before: site i's 1,000 pages drawn n_i times leave 1000 (1 - (1 - 1/1000)^n_i) distinct
    const n = s.checked;
    let distinct = 0;
    let dv = 0;
    for (let i = 1; i <= SITES; i++) {
      const d = PAGES * (1 - Math.pow(1 - share(i) / PAGES, n));
      distinct += d;
      dv += d;
    }
    expect(Math.abs(s.admitted + s.falsePositives - distinct)).toBeLessThan(6 * Math.sqrt(dv));
    expect(s.duplicates).toBe(s.checked - s.admitted - s.falsePositives);
  });

  it("a caching resolver asks once per site; without one, every fetch is a lookup", () => {
    // distinct sites among n links: sum over sites of 1 - (1 - share)^n
    const n = improved.requests.total;
    let sites = 0;
    let variance = 0;
    for (let i = 1; i <= SITES; i++) {
      const p = 1 - Math.pow(1 - share(i), n);
      sites += p;
      variance += p * (1 - p);
    }
    const lookups = improved.components.dns.arrivals;
    expect(Math.abs(lookups - sites)).toBeLessThan(6 * Math.sqrt(variance));
    expect(lookups).toBe(improved.components["dns-cache"].readThrough.loads);
    // naive: one lookup per link (those still in flight at the end excepted)
    expect(naive.components.dns.arrivals).toBe(naive.components.fetchers.arrivals);
    expect(naive.components.dns.arrivals).toBeGreaterThan(0.99 * naive.requests.total);
  });

  it("a slow resolver delays every naive fetch, and only the improved crawler's first fetch of a site", () => {
    const before = (r: Any) => mean(r.series.p50, 6, 30);
    const during = (r: Any) => mean(r.series.p50, 32, 45);
    // 300 ms more per lookup: at least that on every naive fetch (and the resolver saturates: 200/s x 330 ms > 64)
    expect(during(naive) - before(naive)).toBeGreaterThan(300);
    // ~85% of improved lookups are cache hits: the median fetch does not pay it
    expect(during(improved) - before(improved)).toBeLessThan(100);
  });
});
