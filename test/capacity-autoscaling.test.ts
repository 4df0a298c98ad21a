// Horizontal autoscaling end to end: the fleet follows the load within
// [min, max] and its cooldowns, new instances serve only after their boot
// time, drained instances finish their in-flight requests, balancers and
// direct callers use only instances in service, utilisation is per instance
// in service, and the fleet's cost is its instance-time times its price.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

interface ScaleEvent {
  t: number;
  from: number;
  to: number;
  reason: string;
}
interface Capacity {
  instanceSeconds: number;
  cost: number;
  peakInstances: number;
  drained: number;
  drainTimeouts: number;
  cutByDrainTimeout: number;
  autoscaling?: { min: number; max: number; metric: string; target: number; events: ScaleEvent[] };
}
interface ServiceReport {
  utilization: number;
  capacity: Capacity;
  series: { instances: number[]; launched: number[]; utilization: number[] };
}
const svc = (r: Report, name: string) => r.components[name] as unknown as ServiceReport;
const failures = (r: Report, route: string) =>
  r.routes[route].requests.failed / r.routes[route].requests.total;

/** The first second (1-based, as series.t) at which a series reaches `n`. */
const firstAt = (xs: number[], n: number) => xs.findIndex((x) => x >= n) + 1;

describe("examples/resilience/autoscaling-spike.yaml", () => {
  const r = runFile("examples/resilience/autoscaling-spike.yaml");
  const autoscaled = ["fast-boot", "slow-boot", "long-cooldown"];
  // the spike: 100/s x 5 from 120s for 180s; an instance serves 50/s
  const spikeFrom = 120;
  const spikeTo = 300;

  it("the over-provisioned fleet rides the spike; slow boots turn it into minutes of errors and a far worse p99", () => {
    expect(r.routes["GET /fixed"].requests.failed).toBe(0);
    // 4 instances (200/s) face 500/s until capacity arrives ~bootTime after the first
    // evaluation in the spike: ~190s x 300/s excess of ~130k requests
    expect(failures(r, "GET /slow-boot")).toBeGreaterThan(0.25);
    // the fast fleet is short only for an evaluation interval plus a 20s boot (~30s)
    expect(failures(r, "GET /fast-boot")).toBeLessThan(0.12);
    expect(failures(r, "GET /fast-boot")).toBeLessThan(failures(r, "GET /slow-boot") / 3);
    expect(r.routes["GET /slow-boot"].latencyMs.p99).toBeGreaterThan(
      10 * r.routes["GET /fixed"].latencyMs.p99,
    );
  });

  it("a long scale-out cooldown with a saturating metric ramps up in steps, and loses more than the fast fleet", () => {
    const events = svc(r, "long-cooldown").capacity.autoscaling!.events.filter((e) => e.to > e.from);
    const inSpike = events.filter((e) => e.t / 1000 > spikeFrom && e.t / 1000 <= spikeTo);
    // utilisation cannot exceed 100%, so one step multiplies the fleet by at most 1/60%
    for (const e of inSpike) expect(e.to).toBeLessThanOrEqual(Math.ceil(e.from / 0.6));
    expect(inSpike.length).toBeGreaterThanOrEqual(2);
    expect(failures(r, "GET /long-cooldown")).toBeGreaterThan(failures(r, "GET /fast-boot"));
  });

  it("the autoscaled fleets cost less than the fixed one: cost is instance-time times the price", () => {
    const fixed = svc(r, "fixed").capacity;
    expect(fixed.instanceSeconds).toBe(17 * 600);
    expect(fixed.cost).toBeCloseTo((17 * 600 * 0.2) / 3600, 9);
    for (const name of autoscaled) {
      const c = svc(r, name).capacity;
      expect(c.cost).toBeCloseTo((c.instanceSeconds * 0.2) / 3600, 9);
    }
    // the fast fleet runs ~4 instances except for the ~3 minutes of the spike
    expect(svc(r, "fast-boot").capacity.cost).toBeLessThan(0.7 * fixed.cost);
  });

  it("never leaves [min, max], and respects the cooldowns", () => {
    for (const name of autoscaled) {
      const s = svc(r, name);
      const a = s.capacity.autoscaling!;
      for (const n of s.series.instances) {
        expect(n).toBeGreaterThanOrEqual(a.min);
        expect(n).toBeLessThanOrEqual(a.max);
      }
      for (const e of a.events) {
        expect(e.to).toBeGreaterThanOrEqual(a.min);
        expect(e.to).toBeLessThanOrEqual(a.max);
        expect(e.reason).toMatch(new RegExp(`^${a.metric} .* (above|below) target`));
      }
      const outCooldown = name === "long-cooldown" ? 120_000 : 30_000;
      const outs = a.events.filter((e) => e.to > e.from);
      for (let i = 1; i < outs.length; i++)
        expect(outs[i].t - outs[i - 1].t).toBeGreaterThanOrEqual(outCooldown);
      a.events.forEach((e, i) => {
        if (e.to < e.from && i > 0) expect(e.t - a.events[i - 1].t).toBeGreaterThanOrEqual(60_000);
      });
    }
  });

  it("new capacity serves only after its boot time", () => {
    for (const [name, bootS] of [
      ["fast-boot", 20],
      ["slow-boot", 180],
    ] as const) {
      const s = svc(r, name);
      const first = s.capacity.autoscaling!.events.find((e) => e.t / 1000 > spikeFrom)!;
      const launched = firstAt(s.series.launched, first.to);
      const serving = firstAt(s.series.instances, first.to);
      expect(launched).toBe(Math.ceil(first.t / 1000));
      expect(serving - launched).toBeGreaterThanOrEqual(bootS - 1);
      expect(serving - launched).toBeLessThanOrEqual(bootS + 1);
    }
  });

  it("scales in after the spike by draining: no request in flight is lost", () => {
    for (const name of autoscaled) {
      const c = svc(r, name).capacity;
      const ins = c.autoscaling!.events.filter((e) => e.to < e.from);
      expect(ins.length).toBeGreaterThan(0);
      const removed = ins.reduce((n, e) => n + e.from - e.to, 0);
      expect(c.drained).toBe(removed);
      expect(c.cutByDrainTimeout).toBe(0);
    }
    // a stopped or draining instance never got a request: nothing failed as instance-down
    for (const route of Object.keys(r.routes))
      expect(r.routes[route].requests.byOutcome["instance-down"]).toBe(undefined);
  });
});

/** Four instances with long requests, scaled in to one at the first evaluation. */
function scaleIn(drain: string, target: "lb" | "api", healthCheck = "") {
  return `
duration: 40s
components:
  users:
    kind: workload
    target: ${target}
    arrival: { process: constant, rate: 2/s }
    routes: [{ route: GET /slow }]
  lb: { kind: load-balancer, backend: api${healthCheck} }
  api:
    kind: service
    instances: 4
    concurrency: 20
    drain: ${drain}
    autoscale: { min: 1, max: 4, metric: rps-per-instance, target: 10/s, interval: 10s, cooldown: 0s, bootTime: 5s }
    routes:
      "*": [{ compute: 5s }]
`;
}

describe("scale-in", () => {
  for (const target of ["lb", "api"] as const)
    it(`with connection draining, finishes every request in flight (${target === "lb" ? "behind a load balancer" : "direct callers"})`, () => {
      const r = runText(scaleIn("30s", target));
      const c = svc(r, "api").capacity;
      expect(c.autoscaling!.events.map((e) => [e.t, e.from, e.to])).toEqual([[10_000, 4, 1]]);
      // ~10 requests were running over 4 instances at 10s: the three drained ones finish theirs by 15s
      expect(c.drained).toBe(3);
      expect(c.drainTimeouts).toBe(0);
      expect(r.requests.failed).toBe(0);
      // draining ends within one request's time (5s), so 3 instances were paid for 10-15s at most
      expect(c.instanceSeconds).toBeGreaterThan(40 + 3 * 10);
      expect(c.instanceSeconds).toBeLessThanOrEqual(40 + 3 * 15);
    });

  it("without draining (drain: 0s), the requests in flight on the stopped instances fail with instance-down", () => {
    const r = runText(scaleIn("0s", "lb"));
    const c = svc(r, "api").capacity;
    expect(c.drainTimeouts).toBe(3);
    // constant arrivals at 2/s, round robin over 4: each instance holds 2-3 five-second requests at 10s
    expect(c.cutByDrainTimeout).toBeGreaterThanOrEqual(6);
    expect(r.requests.byOutcome["instance-down"]).toBe(c.cutByDrainTimeout);
  });

  it("a drain timeout shorter than the requests cuts what is left when it runs out", () => {
    const r = runText(scaleIn("2s", "lb"));
    const c = svc(r, "api").capacity;
    expect(c.drainTimeouts).toBe(3);
    expect(r.requests.byOutcome["instance-down"]).toBe(c.cutByDrainTimeout);
    expect(c.cutByDrainTimeout).toBeGreaterThan(0);
  });

  it("health checks see neither stopped nor booting instances: no health events without faults", () => {
    const r = runText(scaleIn("30s", "lb", ", healthCheck: { interval: 1s }"));
    const lb = r.components.lb as unknown as { healthEvents: unknown[]; noHealthyBackend: number };
    expect(lb.healthEvents).toEqual([]);
    expect(lb.noHealthyBackend).toBe(0);
    expect(r.requests.failed).toBe(0);
  });
});

describe("a growing fleet", () => {
  // 60/s of 20ms requests: 1.2 workers' worth; 2 instances at the start, 60/25 -> 3 wanted
  // (and at 20/s each, 3 stay: 80% of the target is outside the 10% dead band, but ceil(3 x 0.8) = 3)
  const design = (bootTime: string) => `
duration: 120s
components:
  users:
    kind: workload
    target: lb
    arrival: { process: poisson, rate: 60/s }
    routes: [{ route: GET /x }]
  lb: { kind: load-balancer, algorithm: least-connections, backend: api, healthCheck: { interval: 2s } }
  api:
    kind: service
    concurrency: 1
    costPerHour: 0.36
    autoscale: { min: 2, max: 8, metric: rps-per-instance, target: 25/s, interval: 20s, cooldown: 30s, bootTime: "${bootTime}" }
    routes:
      "*": [{ compute: exp(20ms) }]
`;

  it("measures utilisation per instance in service", () => {
    const r = runText(design("10s"), [], { seed: 3 });
    const s = svc(r, "api");
    expect(s.capacity.autoscaling!.events.map((e) => [e.t, e.from, e.to])).toEqual([[20_000, 2, 3]]);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // offered load 60/s x 20ms = 1.2 workers: 60% of 2 instances, then 40% of 3 (from 30s)
    // (50 s windows of ~3000 exponential services: relative sd ~2.6%)
    expect(mean(s.series.utilization.slice(0, 20))).toBeCloseTo(0.6, 1);
    expect(mean(s.series.utilization.slice(40, 120))).toBeCloseTo(0.4, 1);
    // the run's figure weighs each second by the workers in service
    const expected = (1.2 * 120) / (2 * 30 + 3 * 90);
    expect(Math.abs(s.utilization - expected) / expected).toBeLessThan(0.05);
  });

  it("pays for booting instances too: instance-seconds count from launch", () => {
    const r = runText(design("10s"), [], { seed: 3 });
    const c = svc(r, "api").capacity;
    // 2 instances for 120s, a third from its launch at 20s
    expect(c.instanceSeconds).toBe(2 * 120 + 100);
    expect(c.cost).toBeCloseTo((340 * 0.36) / 3600, 12);
    expect(c.peakInstances).toBe(3);
  });

  it("is deterministic, and its boot-time draws come from the service's own stream", () => {
    const a = runText(design("uniform(5s, 15s)"), [], { seed: 9 });
    const b = runText(design("uniform(5s, 15s)"), [], { seed: 9 });
    expect(JSON.stringify({ ...a, engine: 0 })).toBe(JSON.stringify({ ...b, engine: 0 }));
    expect(a.requests.failed).toBe(0);
  });
});

describe("validation", () => {
  const base = (autoscale: string, extra = "") => `
duration: 10s
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 10/s }, routes: [{ route: r }] }
  api:
    kind: service
    ${extra}
    autoscale: ${autoscale}
    routes: { "*": [{ compute: 1ms }] }
`;
  it("explains bad policies", () => {
    expect(rejection(base("{ min: 5, max: 2, target: 60% }"))).toMatch(
      /autoscale.max \(2\) is below autoscale.min \(5\)/,
    );
    expect(rejection(base("{ min: 2, max: 5, target: 60% }", "instances: 8"))).toMatch(
      /starts with 8 instances, outside autoscale's 2..5/,
    );
    expect(rejection(base("{ min: 2, max: 5, metric: rps-per-instance, target: 60% }"))).toMatch(
      /rps-per-instance target[\s\S]*a rate per instance such as 100\/s/,
    );
    expect(rejection(base("{ min: 2, max: 5, target: 60/s }"))).toMatch(/utilization target/);
    expect(rejection(base("{ min: 2, max: 5, target: 60%, tolerance: 100% }"))).toMatch(
      /never lets the fleet scale in/,
    );
    expect(rejection(base("{ min: 0, max: 5, target: 60% }"))).toMatch(/min/);
    expect(rejection(base("{ min: 2, max: 5, target: 60%, metric: cpu }"))).toMatch(/utilization/);
  });

  it("refuses per-instance weights on an autoscaled backend", () => {
    const text = `
duration: 10s
components:
  users: { kind: workload, target: lb, arrival: { process: poisson, rate: 10/s }, routes: [{ route: r }] }
  lb: { kind: load-balancer, algorithm: weighted-round-robin, backend: api, weights: [1, 2] }
  api:
    kind: service
    autoscale: { min: 2, max: 4, target: 60% }
    routes: { "*": [{ compute: 1ms }] }
`;
    expect(rejection(text)).toMatch(/"api" is autoscaled: its instances come and go/);
  });
});
