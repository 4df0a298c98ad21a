// Stations under load: bounded queues that reject (queue-full), database
// connection pools that run out (pool-exhausted), the interactive response
// time law of a closed loop, and utilisation equal to offered load.
// All designs use a zero-latency network so the numbers are the stations'.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { erlangB } from "../src/theory/queueing.js";
import { runText } from "./support/run.js";

interface StationReport {
  instances: number;
  utilization: number;
  queueLength: number;
  maxQueueLength: number;
  arrivals: number;
  completed: number;
  failed: number;
  rejected: number;
  series: { utilization: number[]; queueLength: number[] };
}
const station = (r: Report, name: string) => r.components[name] as unknown as StationReport;

/** M/M/c/K: probability that an arrival finds all K places taken (c servers, K − c waiting). */
function mmcKBlocking(lambda: number, mu: number, c: number, K: number): number {
  const a = lambda / mu;
  const p: number[] = [1];
  for (let n = 1; n <= K; n++) p.push((p[n - 1] * a) / Math.min(n, c));
  const sum = p.reduce((s, x) => s + x, 0);
  return p[K] / sum;
}

const ZERO_NET = "network: { latency: { sameZone: 0ms, client: 0ms } }";

describe("bounded queues", () => {
  // capacity = instances × concurrency / mean service time = 1 × 4 / 10 ms = 400/s
  const overloaded = (instances: number, queue: number, rate: number) => `
duration: 30s
${ZERO_NET}
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: ${rate}/s }
    routes: [{ route: GET /x }]
  api:
    kind: service
    instances: ${instances}
    concurrency: 4
    queue: ${queue}
    routes: { "GET /x": [{ compute: exp(10ms) }] }
`;

  it("an instance offered 3× its capacity rejects the excess with queue-full and serves at capacity", () => {
    const lambda = 1200;
    const r = runText(overloaded(1, 10, lambda), [], { seed: 1 });
    const api = station(r, "api");
    const c = r.requests.byOutcome;
    expect(Object.keys(c).sort()).toEqual(["ok", "queue-full"]);
    expect(r.requests.ok + c["queue-full"] + r.requests.inFlight).toBe(r.requests.total);
    expect(api.rejected).toBe(c["queue-full"]);

    // M/M/4/14 at a = 12: the system is almost never idle, throughput is
    // λ(1 − P_K) ≈ 4/10ms = 400/s. Departures of a saturated exponential
    // station are ≈ Poisson(400/s): over 30 s, sd ≈ √12000 ≈ 0.9 %; allow 3 %.
    const pk = mmcKBlocking(lambda / 1000, 1 / 10, 4, 14);
    const theory = lambda * (1 - pk);
    expect(Math.abs(theory - 400) / 400).toBeLessThan(0.001);
    expect(Math.abs(r.throughputPerSec - theory) / theory).toBeLessThan(0.03);
    // the rejected fraction is P_K ≈ 2/3 (binomial sd over 36000 arrivals ≈ 0.25 %)
    expect(Math.abs(c["queue-full"] / r.requests.total - pk)).toBeLessThan(0.02);
    expect(api.utilization).toBeGreaterThan(0.98);

    // the queue holds at most 10 and, saturated, is nearly always full
    expect(api.maxQueueLength).toBe(10);
    expect(Math.max(...api.series.queueLength)).toBeLessThanOrEqual(10);
    expect(api.queueLength).toBeGreaterThan(9);
    expect(api.queueLength).toBeLessThanOrEqual(10);
    // waiting time ≈ a full queue ahead at 4 departures per 10 ms: ≈ 10/4 × 10 ms
    // = 25 ms, plus 10 ms of service
    expect(r.latencyMs.mean).toBeGreaterThan(30);
    expect(r.latencyMs.mean).toBeLessThan(40);
  });

  it("queue: 0 means no waiting at all; with several instances none waits beyond its own queue", () => {
    const none = station(runText(overloaded(2, 0, 1200), [], { seed: 2 }), "api");
    expect(none.maxQueueLength).toBe(0);
    expect(none.queueLength).toBe(0);
    expect(none.rejected).toBeGreaterThan(0);
    // two instances with 5 places each: never more than 2 × 5 waiting in all
    // (the station reports its queue summed over instances)
    const two = runText(overloaded(2, 5, 2400), [], { seed: 3 });
    const api = station(two, "api");
    expect(api.maxQueueLength).toBeGreaterThan(0);
    expect(api.maxQueueLength).toBeLessThanOrEqual(10);
    expect(Math.max(...api.series.queueLength)).toBeLessThanOrEqual(10);
    // capacity doubles with the instances: 800/s within 3 %
    expect(Math.abs(two.throughputPerSec - 800) / 800).toBeLessThan(0.03);
  });

  it("a database whose connections are all busy and whose queue is 0 refuses with pool-exhausted, as often as Erlang B says", () => {
    // Poisson reads (the service in front never queues: concurrency ≫ load)
    // onto c = 4 connections with no waiting room: an Erlang loss system,
    // whose blocking probability B(c, a) does not depend on the service-time
    // law. a = λ·S = 1000/s × 4 ms = 4 Erlangs, B(4, 4) ≈ 0.311.
    const yaml = `
duration: 30s
${ZERO_NET}
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 1000/s }
    routes: [{ route: GET /x }]
  api:
    kind: service
    concurrency: 1000
    routes: { "GET /x": [{ read: db }] }
  db:
    kind: database
    connections: 4
    queue: 0
    readTime: lognormal(median=3ms, p99=20ms)
`;
    // lognormal with median m and p99 q: σ = ln(q/m)/z99, mean = m·e^{σ²/2}
    const sigma = Math.log(20 / 3) / 2.3263;
    const meanS = 3 * Math.exp((sigma * sigma) / 2);
    const B = erlangB(4, meanS);
    const r = runText(yaml, [], { seed: 4 });
    const c = r.requests.byOutcome;
    expect(Object.keys(c).sort()).toEqual(["ok", "pool-exhausted"]);
    const db = station(r, "db");
    expect(db.rejected).toBe(c["pool-exhausted"]);
    // 30 000 requests: binomial sd ≈ √(B(1−B)/30000) ≈ 0.27 points; blocking
    // events are positively correlated in time, so allow 2 points
    const frac = c["pool-exhausted"] / (r.requests.total - r.requests.inFlight);
    expect(Math.abs(frac - B)).toBeLessThan(0.02);
    expect(db.maxQueueLength).toBe(0);
  });
});

describe("closed loop", () => {
  const closed = (users: number, think: string, compute: string, net = ZERO_NET) => `
duration: 60s
${net}
components:
  users:
    kind: workload
    target: server
    closed: { users: ${users}, thinkTime: ${think} }
    routes: [{ route: GET /x }]
  server:
    kind: service
    concurrency: 1
    queue: unbounded
    routes: { "GET /x": [{ compute: ${compute} }] }
`;

  it("one user sees exactly the service time: R = S, and X = 1/(S + Z)", () => {
    const r = runText(closed(1, "20ms", "5ms"), [], { seed: 1 });
    expect(r.requests.failed).toBe(0);
    expect(r.latencyMs.mean).toBeCloseTo(5, 9);
    expect(r.latencyMs.max).toBeCloseTo(5, 9);
    // one cycle per 25 ms: 60 s / 25 ms = 2400 cycles (the first starts after a think)
    expect(Math.abs(r.requests.ok - 2400)).toBeLessThanOrEqual(1);

    // exponential service: R is the mean of ≈2400 service times, sd 5/√2400 ≈ 0.1 ms
    const e = runText(closed(1, "20ms", "exp(5ms)"), [], { seed: 2 });
    expect(Math.abs(e.latencyMs.mean - 5)).toBeLessThan(0.4);
    expect(e.components.server.utilization).toBeCloseTo(e.throughputPerSec * (5 / 1000), 1);
  });

  it("N users with think time Z: throughput X = N/(R+Z) (interactive response time law) within 1 %", () => {
    // Constant think times make Z exact; the law then holds up to edge effects
    // of at most one cycle per user over 60 s (< 0.2 % here).
    const cases = [
      { users: 3, think: 20, compute: "exp(5ms)", net: ZERO_NET },
      { users: 10, think: 20, compute: "exp(5ms)", net: ZERO_NET }, // saturated: X → 200/s
      { users: 30, think: 50, compute: '"uniform(2ms, 8ms)"', net: ZERO_NET },
      // with the default network R includes the client's round trip; the law still holds
      { users: 5, think: 30, compute: "exp(5ms)", net: "" },
    ];
    for (const [i, k] of cases.entries()) {
      const r = runText(closed(k.users, `${k.think}ms`, k.compute, k.net), [], { seed: 10 + i });
      expect(r.requests.failed).toBe(0);
      const R = r.latencyMs.mean;
      const X = r.throughputPerSec;
      const law = (k.users / (R + k.think)) * 1000;
      expect(Math.abs(X - law) / law).toBeLessThan(0.01);
      // and the asymptotic bound: never more than the server can do (1/S = 200/s, 5 % noise)
      expect(X).toBeLessThan(200 * 1.05);
    }
  });
});

describe("utilisation", () => {
  it("a service at offered load ρ reports utilisation ρ", () => {
    // 2 instances × 2 workers, exp(4 ms): capacity 1000/s. Utilisation is the
    // busy time of ≈λT jobs over T·c; its relative sd is ≈ √(2/(λT)) (service
    // time and Poisson count noise), so allow 5 sd plus 0.005 for the work in
    // progress at the end of the run.
    const T = 30;
    for (const rho of [0.2, 0.5, 0.8, 0.95]) {
      const lambda = rho * 1000;
      const yaml = `
duration: ${T}s
${ZERO_NET}
components:
  users:
    kind: workload
    target: lb
    arrival: { process: poisson, rate: ${lambda}/s }
    routes: [{ route: GET /x }]
  lb: { kind: load-balancer, backend: api, algorithm: least-connections, cost: 0ms }
  api:
    kind: service
    instances: 2
    concurrency: 2
    queue: unbounded
    routes: { "GET /x": [{ compute: exp(4ms) }] }
`;
      const r = runText(yaml, [], { seed: Math.round(rho * 100) });
      const api = station(r, "api");
      const tol = 5 * rho * Math.sqrt(2 / (lambda * T)) + 0.005;
      expect(Math.abs(api.utilization - rho)).toBeLessThan(tol);
      // the per-second series averages to the same figure
      const s = api.series.utilization;
      expect(s).toHaveLength(T);
      const mean = s.reduce((a, b) => a + b, 0) / s.length;
      expect(Math.abs(mean - api.utilization)).toBeLessThan(0.002);
      // Little's law on the same sample path: busy servers = throughput × S
      expect(Math.abs(api.utilization * 4 - (r.throughputPerSec * 4) / 1000)).toBeLessThan(4 * tol);
    }
  });
});
