// Comparing designs: headline metrics of a real report, the better value per
// direction, and deltas paired by seed.
import { describe, expect, it } from "vitest";
import { compareRuns, renderCompare } from "../src/report/compare.js";
import { headlineMetrics, type Metric } from "../src/report/headline.js";
import { runFile } from "./support/run.js";

const m = (key: string, better: Metric["better"], value: number): Metric => ({
  key,
  label: key,
  unit: "ms",
  better,
  value,
});

describe("headline metrics", () => {
  it("are drawn from a report, each with its direction", () => {
    const r = runFile("examples/hello.yaml", ['duration="3s"']);
    const byKey = new Map(headlineMetrics(r).map((x) => [x.key, x]));
    expect(byKey.get("throughputPerSec")).toMatchObject({ better: "higher", value: r.throughputPerSec });
    expect(byKey.get("latencyMs.p99")).toMatchObject({ better: "lower", value: r.latencyMs.p99 });
    expect(byKey.get("errorRate")!.value).toBeCloseTo(
      r.requests.failed / (r.requests.ok + r.requests.failed),
      12,
    );
    expect(byKey.get("sloPassed")!.value).toBe(r.slo.filter((s) => s.pass).length);
    expect(byKey.get("hitRatio:redis")).toMatchObject({
      better: "higher",
      value: r.components.redis.hitRatio,
    });
    // the busiest second is at least the average over the run
    expect(byKey.get("utilizationPeak:api")!.value).toBeGreaterThanOrEqual(
      r.components.api.utilization as number,
    );
    expect(byKey.get("staleReads")!.value).toBe(r.consistency!.staleReads);
  });

  it("split the error rate by cause, adding up to the total", () => {
    const r = runFile("examples/hello.yaml", ['duration="30s"', "faults.0.at=1s"]);
    const ms = headlineMetrics(r);
    const causes = ms.filter((x) => x.key.startsWith("errorRate:"));
    expect(causes.length).toBeGreaterThan(0);
    const total = ms.find((x) => x.key === "errorRate")!.value;
    expect(causes.reduce((s, x) => s + x.value, 0)).toBeCloseTo(total, 12);
  });

  it("take a report's cost section's monthly total and per-component costs when it has one", () => {
    const r = runFile("examples/hello.yaml", ['duration="1s"']);
    const cost = { total: { hourly: 0.5, monthly: 365 }, components: [{ component: "api", monthly: 300 }] };
    const ms = headlineMetrics({ ...r, cost } as unknown as typeof r);
    expect(ms.find((x) => x.key === "cost")).toMatchObject({ better: "lower", value: 365 });
    expect(ms.find((x) => x.key === "cost:api")).toMatchObject({ better: "lower", value: 300 });
    expect(headlineMetrics(r).find((x) => x.key === "cost")).toBeUndefined();
  });
});

describe("compareRuns", () => {
  it("marks the lower latency and the higher throughput, and no winner among equals", () => {
    const c = compareRuns([
      {
        design: "a",
        seeds: [1],
        runs: [
          [m("p99", "lower", 30), m("tput", "higher", 100), m("same", "lower", 5), m("util", "none", 0.5)],
        ],
      },
      {
        design: "b",
        seeds: [1],
        runs: [
          [m("p99", "lower", 20), m("tput", "higher", 90), m("same", "lower", 5), m("util", "none", 0.9)],
        ],
      },
      {
        design: "c",
        seeds: [1],
        runs: [
          [m("p99", "lower", 20), m("tput", "higher", 80), m("same", "lower", 5), m("util", "none", 0.1)],
        ],
      },
    ]);
    const best = Object.fromEntries(c.metrics.map((x) => [x.key, x.best]));
    expect(best).toEqual({ p99: [1, 2], tput: [0], same: [], util: [] });
    const p99 = c.metrics.find((x) => x.key === "p99")!;
    expect(p99.deltas[0]).toBeNull();
    expect(p99.deltas[1]!.mean).toBe(-10);
  });

  it("pairs deltas by seed, so noise common to both designs cancels", () => {
    // b is a + 2 at every seed, while the seeds themselves vary a lot
    const a = [10, 50, 30, 90];
    const c = compareRuns([
      { design: "a", seeds: [1, 2, 3, 4], runs: a.map((v) => [m("p99", "lower", v)]) },
      { design: "b", seeds: [1, 2, 3, 4], runs: a.map((v) => [m("p99", "lower", v + 2)]) },
    ]);
    const p99 = c.metrics[0];
    expect(p99.deltas[1]).toMatchObject({ n: 4, mean: 2, sd: 0, ci95: 0 });
    expect(p99.values[1]!.ci95!).toBeGreaterThan(30);
  });

  it("with several seeds, marks a lead only when it is beyond the paired noise", () => {
    const seeds = [1, 2, 3, 4, 5];
    const a = [10, 50, 30, 90, 20];
    const run = (vs: number[]) => vs.map((v) => [m("p99", "lower", v)]);
    // always 1 ms better: marked, although the designs' own intervals overlap widely
    const steady = compareRuns([
      { design: "a", seeds, runs: run(a) },
      { design: "b", seeds, runs: run(a.map((v) => v - 1)) },
    ]);
    expect(steady.metrics[0].best).toEqual([1]);
    // better on average, by a difference whose sign changes with the seed: not marked
    const noisy = compareRuns([
      { design: "a", seeds, runs: run(a) },
      { design: "b", seeds, runs: run(a.map((v, i) => v + (i % 2 ? -9 : 5))) },
    ]);
    expect(noisy.metrics[0].values[1]!.mean).toBeLessThan(noisy.metrics[0].values[0]!.mean);
    expect(noisy.metrics[0].best).toEqual([]);
  });

  it("leaves a metric one design lacks empty, and prints a table with deltas and marks", () => {
    const c = compareRuns([
      { design: "a", seeds: [7], runs: [[m("p99", "lower", 30), m("hit", "higher", 0.5)]] },
      { design: "b", seeds: [7], runs: [[m("p99", "lower", 15)]] },
    ]);
    expect(c.metrics.find((x) => x.key === "hit")!.values[1]).toBeNull();
    const text = renderCompare(c);
    expect(text).toMatch(/seed 7/);
    expect(text).toMatch(/15(\.0)?ms \(-15(\.0)?ms -50%\) \*/);
  });
});
