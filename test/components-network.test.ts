// The network between clients and components: a user in another region pays
// the cross-region round trip, and a link fault adds its latency to every
// message on that link and its reply while it is active.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runText } from "./support/run.js";

/** Mean of a lognormal given by its median and 99th percentile (how defaults are written). */
function lognormalMean(median: number, p99: number): number {
  const sigma = Math.log(p99 / median) / 2.3263478740408408;
  return median * Math.exp((sigma * sigma) / 2);
}
function lognormalSd(median: number, p99: number): number {
  const sigma = Math.log(p99 / median) / 2.3263478740408408;
  return lognormalMean(median, p99) * Math.sqrt(Math.expm1(sigma * sigma));
}

/** Per-second series values paired with the second they close, aligned from the end. */
function perSecond(r: Report, name: string): number[] {
  const v = r.series[name];
  return v.slice(v.length - r.series.t.length);
}

describe("regions", () => {
  it("a client in another region sees the default cross-region latency twice (there and back) on top of a same-region client's", () => {
    // Two workloads, identical but for their users' region, on distinct routes
    // so the report separates them. Default latencies: client one-way
    // lognormal(median 10ms, p99 40ms), cross-region lognormal(median 35ms,
    // p99 60ms). Expected gap in mean latency: 2 × E[cross-region] ≈ 71.9 ms.
    const yaml = `
duration: 20s
network:
  regions: { us-east: [use1-a], eu-west: [euw1-a] }
components:
  near:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 300/s }
    population: { regions: { us-east: 100% } }
    routes: [{ route: GET /near }]
  far:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 300/s }
    population: { regions: { eu-west: 100% } }
    routes: [{ route: GET /far }]
  api:
    kind: service
    zone: use1-a
    concurrency: 1000
    routes: { "*": [{ compute: exp(2ms) }] }
`;
    const r = runText(yaml, [], { seed: 1 });
    expect(r.requests.failed).toBe(0);
    const near = r.routes["GET /near"];
    const far = r.routes["GET /far"];
    const gap = far.latencyMs.mean - near.latencyMs.mean;
    const expected = 2 * lognormalMean(35, 60);
    // per request the latency sd is √(2·sd(client)² + 2·sd(cross)² + sd(S)²) ≈ 15 ms;
    // over ≈ 6000 requests per route the gap's sd is ≈ 0.3 ms: allow 2 ms
    const perReq = Math.sqrt(2 * lognormalSd(10, 40) ** 2 + 2 * lognormalSd(35, 60) ** 2 + 4);
    const sdGap = perReq * Math.sqrt(2 / near.requests.ok);
    expect(sdGap).toBeLessThan(0.5);
    expect(Math.abs(gap - expected)).toBeLessThan(2);
    // and the near clients see client latency twice plus the service time
    expect(Math.abs(near.latencyMs.mean - (2 * lognormalMean(10, 40) + 2))).toBeLessThan(1);
    // every far request is slower than the fastest cross-region round trip
    expect(far.latencyMs.p50).toBeGreaterThan(near.latencyMs.p50 + 50);
  });
});

describe("link faults", () => {
  const design = (faults: string) => `
duration: 30s
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 400/s }
    routes: [{ route: GET /x }]
  api:
    kind: service
    concurrency: 1000
    routes: { "*": [{ compute: exp(1ms) }, { read: db }] }
  db:
    kind: database
    readTime: exp(2ms)
${faults}`;

  it("adds its latency to the call and to the reply: a round trip grows by twice the added latency", () => {
    const add = 20;
    const base = runText(design(""), [], { seed: 2 });
    const slow = runText(design(`faults:\n  - { link: { from: api, to: db }, add: ${add}ms, at: 0s }`), [], {
      seed: 2,
    });
    expect(base.requests.failed).toBe(0);
    expect(slow.requests.failed).toBe(0);
    // no queueing anywhere (concurrency ≫ load), so latencies shift by 2·add
    // exactly; what remains is sampling noise of two means of ≈12000
    // requests with sd ≈ 8 ms each: ≈ 0.1 ms
    expect(Math.abs(slow.latencyMs.mean - base.latencyMs.mean - 2 * add)).toBeLessThan(1);
    expect(slow.latencyMs.p50 - base.latencyMs.p50).toBeGreaterThan(2 * add - 2);
    expect(slow.faults).toEqual([
      { description: `add ${add}ms to api -> db`, targets: ["api", "db"], startMs: 0, endMs: null },
    ]);
  });

  it("only while active: the per-second median rises by twice the added latency inside the window", () => {
    const add = 15;
    const r = runText(
      design(`faults:\n  - { link: { from: api, to: db }, add: ${add}ms, at: 10s, for: 10s }`),
      [],
      {
        seed: 3,
      },
    );
    const p50 = perSecond(r, "p50");
    const inside = p50.slice(11, 20); // seconds (11,12] .. (19,20]: the fault covers them fully
    const outside = [...p50.slice(1, 10), ...p50.slice(21)];
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    // each second's median over ≈400 requests moves by well under 1 ms
    expect(Math.abs(median(inside) - median(outside) - 2 * add)).toBeLessThan(3);
    for (const x of inside) expect(x).toBeGreaterThan(median(outside) + 2 * add - 5);
    for (const x of outside) expect(x).toBeLessThan(median(outside) + 5);
    // the run's mean: one third of the run carries +2·add
    const base = runText(design(""), [], { seed: 3 });
    expect(Math.abs(r.latencyMs.mean - base.latencyMs.mean - (2 * add) / 3)).toBeLessThan(1);
  });

  it("does not touch links that carry no calls", () => {
    const base = runText(design(""), [], { seed: 4 });
    // api never calls idle: that link carries nothing
    const idle = `  idle:\n    kind: service\n    routes: { "*": [{ compute: 1ms }] }\n`;
    const withIdle = (faults: string) => design(faults).replace("  db:\n", `${idle}  db:\n`);
    const unrelated = runText(
      withIdle("faults:\n  - { link: { from: api, to: idle }, add: 50ms, at: 0s }"),
      [],
      {
        seed: 4,
      },
    );
    expect(unrelated.latencyMs).toEqual(base.latencyMs);
  });

  it("on the client's own link (from a workload) adds to every request's round trip", () => {
    // The design-file reference lists workloads as valid link sources, and
    // validation accepts them: the run must honour the fault, not crash.
    const add = 10;
    const base = runText(design(""), [], { seed: 5 });
    const slow = runText(
      design(`faults:\n  - { link: { from: users, to: api }, add: ${add}ms, at: 0s }`),
      [],
      {
        seed: 5,
      },
    );
    expect(Math.abs(slow.latencyMs.mean - base.latencyMs.mean - 2 * add)).toBeLessThan(1);
  });
});
