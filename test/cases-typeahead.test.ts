// The typeahead case (docs/cases/typeahead.md): the page quotes current
// numbers and its claims hold, from the arithmetic of the design: a trie
// replica picked at random is an M/M/2 queue, so its p99 follows from the
// Erlang C formula, with 4 replicas and with 3 during the rebuild; the server
// budget of 50 ms holds; a trending store slower than the 10 ms timeout turns
// every overlay call of its slow window into a fallback, not an error; and the
// LIKE query's own tail puts the naive p99 past a second.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sum = (xs: number[], a: number, b: number): number => xs.slice(a - 1, b).reduce((s, x) => s + x, 0);

/** P(sojourn > t) of an M/M/c queue (t in seconds): no wait with probability
 *  1 - C, else an Exp(c mu - lambda) wait, then an Exp(mu) service. */
function mmcTail(lambda: number, mu: number, c: number, t: number): number {
  const a = lambda / mu;
  let term = 1;
  let below = 1; // sum of a^k / k! for k < c
  for (let k = 1; k < c; k++) {
    term *= a / k;
    below += term;
  }
  const top = ((term * a) / c) * (c / (c - a)); // a^c / c! * c / (c - a)
  const erlangC = top / (below + top);
  const g = c * mu - lambda;
  const waitThenServe = (g * Math.exp(-mu * t) - mu * Math.exp(-g * t)) / (g - mu);
  return (1 - erlangC) * Math.exp(-mu * t) + erlangC * waitThenServe;
}

/** The p-quantile of the M/M/c sojourn time, in ms, by bisection. */
function mmcQuantileMs(lambda: number, mu: number, c: number, p: number): number {
  let lo = 0;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (mmcTail(lambda, mu, c, mid) > 1 - p) lo = mid;
    else hi = mid;
  }
  return lo * 1000;
}

describe("case: typeahead", () => {
  const file = "docs/cases/typeahead.md";
  const text = readFileSync(file, "utf8");
  const reports = docReports(file, text) as Record<string, Any>;
  const { naive, improved } = reports;
  const lambda = 460; // keystrokes per second, both designs
  const mu = 1000 / 5; // a trie lookup: exp(5ms)

  it("the page's numbers and charts are current", () => {
    expect(
      staleParts(file, text, filledDoc(file, text, reports as never)),
      `run: archsim doc ${file}`,
    ).toEqual([]);
  });

  it("the M/M/c arithmetic (sanity): M/M/1 sojourn is Exp(mu - lambda)", () => {
    expect(mmcQuantileMs(100, 200, 1, 0.99)).toBeCloseTo((Math.log(100) / 100) * 1000, 3);
  });

  it("LIKE 'prefix%': the query's own p99 (1 s) is a floor under the users' p99; the SLO fails", () => {
    // latency = the read + positive terms (network, compute, queueing), so its p99 is at least the read's;
    // 27K samples put the empirical p99 of the read within a few percent of 1 s
    expect(naive.latencyMs.p99).toBeGreaterThan(900);
    expect(naive.slo.find((s: Any) => s.assertion === "p99 < 100ms").pass).toBe(false);
  });

  it("each trie replica is an M/M/2 queue: its p99 lies between the 4-replica and 3-replica arithmetic", () => {
    const four = mmcQuantileMs(lambda / 4, mu, 2, 0.99);
    const three = mmcQuantileMs(lambda / 3, mu, 2, 0.99);
    expect(three).toBeLessThan(50);
    const p99 = improved.components.trie.latencyMs.p99;
    expect(p99).toBeGreaterThan(0.93 * four);
    expect(p99).toBeLessThan(1.07 * three);
    // utilisation: lambda / (R c mu) with 4 replicas, a third more for the 20 s of 3
    const rho = (lambda / (4 * 2 * mu)) * (40 / 60) + (lambda / (3 * 2 * mu)) * (20 / 60);
    expect(improved.components.trie.utilization).toBeGreaterThan(0.9 * (lambda / (4 * 2 * mu)));
    expect(improved.components.trie.utilization).toBeLessThan(1.1 * rho);
  });

  it("the serving p99 stays under 50 ms: trie p99 + the 10 ms trending timeout + hops and merge", () => {
    expect(improved.components.suggest.latencyMs.p99).toBeLessThan(50);
    expect(improved.slo.every((s: Any) => s.pass)).toBe(true);
  });

  it("the rebuild takes one replica out at a time and loses nothing", () => {
    const instances = improved.components.trie.series.instances as number[];
    expect(Math.min(...instances)).toBe(3);
    expect(instances.filter((n) => n === 3).length).toBeGreaterThanOrEqual(19); // 4 x 5 s of loading
    expect(improved.components.trie.capacity.deployments[0].outcome).toBe("promoted");
    expect(improved.requests.failed).toBe(0);
  });

  it("a slow trending store: its 10 s of overlay calls time out and fall back to the base results", () => {
    const trending = improved.components.suggest.calls.trending;
    expect(trending.fallbacks).toBe(trending.timeouts);
    expect(improved.requests.degraded).toBe(trending.fallbacks);
    // ~460/s for 10 s (Poisson, sd ~68); the calls in flight as the window opens and closes are the slack
    const during = sum(trending.series.timeouts, 41, 51);
    expect(Math.abs(during - lambda * 10)).toBeLessThan(6 * Math.sqrt(lambda * 10));
    // outside it, a lookup of lognormal(median 1 ms, p99 4 ms) passes 10 ms with probability ~1e-4
    expect(trending.timeouts - during).toBeLessThan(20);
    expect(improved.availability).toBe(1);
  });
});
