// The rate-limiter case (docs/cases/rate-limiter.md): the page quotes current
// numbers and its claims hold, from the arithmetic of the design: 12 nodes
// with local counters never refuse a user sending 600 a minute; a central
// store holds each user to 100 a minute; its outage either leaks (local
// fallback) or refuses everyone (fail closed).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sum = (xs: number[], a: number, b: number): number => xs.slice(a - 1, b).reduce((s, x) => s + x, 0);

describe("case: rate limiter", () => {
  const file = "docs/cases/rate-limiter.md";
  const text = readFileSync(file, "utf8");
  const reports = docReports(file, text) as Record<string, Any>;
  const { local, central, closed } = reports;

  it("the page's numbers and chart are current", () => {
    expect(
      staleParts(file, text, filledDoc(file, text, reports as never)),
      `run: archsim doc ${file}`,
    ).toEqual([]);
  });

  it("local counters: each node sees a twelfth of a scraper's ~600/min (~50 < 100), so nobody is refused", () => {
    expect(local.components.gw.limited).toBe(0);
    expect(local.components.gw.limits[0].maxPerWindow.ratio).toBeGreaterThan(5);
  });

  it("a central store holds every scraper to 100 in the first minute: 20 x (600 - 100) refused", () => {
    const limited = central.components.gw.series.limited as number[];
    // Poisson arrivals: 12,000 scraper requests in the minute, sd ~110; 6 sd
    expect(Math.abs(sum(limited, 1, 60) - 20 * 500)).toBeLessThan(6 * Math.sqrt(12000));
    // no plan above free is ever refused: pro clients send ~11 a minute against 1,000
    expect(central.components.gw.byTier.pro.limited).toBe(0);
    expect(central.components.gw.byTier.enterprise.limited).toBe(0);
    // the store's round trip: a little slower, well under the case's 1 ms
    expect(central.latencyMs.p50).toBeGreaterThan(local.latencyMs.p50);
    expect(central.latencyMs.p50 - local.latencyMs.p50).toBeLessThan(1);
  });

  it("the store's outage: local fallback refuses nobody; fail closed refuses everyone", () => {
    const during = (r: Any) => sum(r.components.gw.series.limited, 62, 80);
    expect(during(central)).toBe(0);
    const arrivals = sum(closed.components.gw.series.arrivals, 62, 80);
    expect(during(closed)).toBe(arrivals);
    // every request of the 20 s went to the failure policy: ~2,000/s x 20 s (sd ~200)
    expect(closed.components.gw.store.failClosedRefusals).toBe(central.components.gw.store.fallbackChecks);
    expect(Math.abs(closed.components.gw.store.failClosedRefusals - 40000)).toBeLessThan(6 * 200);
    expect(closed.availability).toBeLessThan(central.availability);
  });
});
