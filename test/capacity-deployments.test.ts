// Deployments of new versions: rolling, blue-green and canary. A bad build's
// blast radius is the share of traffic its strategy exposes it to, the abort
// rule catches it within a window and rolls it back; a good build is
// promoted step by step; versions keep their own latency and error rate.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

interface Deployment {
  version: string;
  strategy: string;
  at: number;
  outcome: string;
  startedAt: number | null;
  finishedAt: number | null;
  abortReason: string | null;
  minInService: number | null;
  events: { t: number; event: string }[];
}
interface VersionStats {
  requests: number;
  errors: number;
  errorRate: number;
  latencyMs: { mean: number; p99: number };
}
interface Capacity {
  cost: number;
  instanceSeconds: number;
  peakInstances: number;
  deployments: Deployment[];
  versions: Record<string, VersionStats>;
}
const cap = (r: Report, name: string) => (r.components[name] as unknown as { capacity: Capacity }).capacity;
const eventAt = (d: Deployment, pattern: RegExp) => d.events.find((e) => pattern.test(e.event))!.t;

describe("examples/resilience/canary.yaml", () => {
  const r = runFile("examples/resilience/canary.yaml");
  const rate = 200; // requests per second per service
  const window = 30_000;
  const boot = 30_000;

  /** The share of the service's traffic v2 served between two times (ms). */
  const share = (name: string, from: number, to: number) =>
    cap(r, name).versions.v2.requests / ((rate * (to - from)) / 1000);

  it("a bad canary's blast radius is the canary's share, and it is rolled back within a window", () => {
    const c = cap(r, "canary-bad");
    const d = c.deployments[0];
    expect(d.outcome).toBe("rolled-back");
    expect(d.abortReason).toMatch(/^error rate .* above 2\.00%/);
    const exposed = eventAt(d, /^5\.0% of traffic to v2$/);
    const aborted = eventAt(d, /^aborted/);
    expect(aborted - exposed).toBeLessThanOrEqual(window);
    // 5% of 200/s for ~30 s: ~300 requests (Poisson/binomial sd ~17)
    expect(share("canary-bad", exposed, aborted)).toBeGreaterThan(0.035);
    expect(share("canary-bad", exposed, aborted)).toBeLessThan(0.065);
    // what users saw: v2's failures, and nothing else failed
    expect(c.versions.v2.errorRate).toBeGreaterThan(0.1);
    expect(c.versions.v2.errorRate).toBeLessThan(0.3);
    expect(r.routes["GET /canary-bad"].requests.failed).toBe(c.versions.v2.errors);
    expect(c.versions.v1.errors).toBe(0);
    expect(c.peakInstances).toBe(11);
  });

  it("blue-green exposes all the traffic to a bad build, and rolls back at once", () => {
    const c = cap(r, "blue-green-bad");
    const d = c.deployments[0];
    expect(d.outcome).toBe("rolled-back");
    const switched = eventAt(d, /^switched/);
    const aborted = eventAt(d, /^aborted/);
    expect(switched - d.startedAt!).toBeGreaterThanOrEqual(boot);
    expect(aborted - switched).toBeLessThanOrEqual(window);
    expect(d.finishedAt).toBe(aborted);
    expect(share("blue-green-bad", switched, aborted)).toBeGreaterThan(0.93);
    expect(share("blue-green-bad", switched, aborted)).toBeLessThan(1.07);
    // two full fleets while green booted and served
    expect(c.peakInstances).toBe(20);
    expect(c.cost).toBeGreaterThan(cap(r, "canary-bad").cost);
  });

  it("a rolling update exposes a batch's share, dips by the batch, and rolls back a batch at a time", () => {
    const c = cap(r, "rolling-bad");
    const d = c.deployments[0];
    expect(d.outcome).toBe("rolled-back");
    expect(d.minInService).toBe(8);
    const restarts = d.events.filter((e) => e.event.startsWith("restarting"));
    expect(restarts.map((e) => e.event)).toEqual([
      "restarting instances 0, 1 as v2",
      "restarting instances 2, 3 as v2",
      "restarting instances 0, 1 as v1",
      "restarting instances 2, 3 as v1",
    ]);
    // v2 ran on 2 of the 8 instances in service from at + boot until the
    // rollback took the second batch out (each step waits one boot): 25%
    const from = d.startedAt! + boot;
    const to = d.startedAt! + 3 * boot;
    expect(share("rolling-bad", from, to)).toBeGreaterThan(0.21);
    expect(share("rolling-bad", from, to)).toBeLessThan(0.29);
    // rolling back takes a batch's restart per batch replaced; blue-green's was a switch
    expect(d.finishedAt! - eventAt(d, /^aborted/)).toBeGreaterThanOrEqual(2 * boot);
    expect(c.peakInstances).toBe(10);
  });

  it("a good build is promoted step by step, each step held for the bake time", () => {
    const c = cap(r, "canary-good");
    const d = c.deployments[0];
    expect(d.outcome).toBe("promoted");
    const steps = d.events.filter((e) => /% of traffic to v2$/.test(e.event));
    expect(steps.map((e) => e.event)).toEqual([
      "5.0% of traffic to v2",
      "25% of traffic to v2",
      "50% of traffic to v2",
      "100% of traffic to v2",
    ]);
    for (let i = 1; i < steps.length; i++) expect(steps[i].t - steps[i - 1].t).toBeGreaterThanOrEqual(60_000);
    expect(d.finishedAt).toBe(steps[3].t);
    expect(r.routes["GET /canary-good"].requests.failed).toBe(0);
    // v1 served all traffic until the first step, then 95%, 75%, 50%, then none
    const [t1, t2, t3, t4] = steps.map((e) => e.t / 1000);
    const v1 = rate * (t1 + 0.95 * (t2 - t1) + 0.75 * (t3 - t2) + 0.5 * (t4 - t3));
    expect(Math.abs(c.versions.v1.requests - v1) / v1).toBeLessThan(0.03);
  });
});

const service = (deployments: string, extra = "") => `
duration: 3m
components:
  users: { kind: workload, target: TARGET, arrival: { process: poisson, rate: 200/s }, routes: [{ route: r }] }
  lb: { kind: load-balancer, algorithm: least-connections, backend: api }
  api:
    kind: service
    instances: 4
    concurrency: 8
    drain: 10s
    costPerHour: 1
    ${extra}
    deployments: ${deployments}
    routes: { "*": [{ compute: exp(10ms) }] }
`;
const design = (deployments: string, target = "lb", extra = "") =>
  service(deployments, extra).replace("TARGET", target);

describe("deployments", () => {
  it("gives each version its own latency: v2's compute takes `latency` times as long", () => {
    const r = runText(design("[{ at: 10s, version: v2, strategy: rolling, latency: 2, bootTime: 2s }]"));
    const v = cap(r, "api").versions;
    expect(cap(r, "api").deployments[0].outcome).toBe("promoted");
    // 200/s x 10ms over 32 workers: hardly any queueing, so the mean is the service time
    expect(v.v1.latencyMs.mean).toBeCloseTo(10, 0);
    expect(v.v2.latencyMs.mean / v.v1.latencyMs.mean).toBeGreaterThan(1.9);
    expect(v.v2.latencyMs.mean / v.v1.latencyMs.mean).toBeLessThan(2.1);
  });

  it("aborts on the new version's p99", () => {
    const r = runText(
      design(
        "[{ at: 10s, version: v2, strategy: canary, latency: 10, bootTime: 2s, steps: [20%], bake: 1m, abort: { p99: 50ms, window: 10s } }]",
      ),
    );
    const d = cap(r, "api").deployments[0];
    expect(d.outcome).toBe("rolled-back");
    expect(d.abortReason).toMatch(/^p99 .*ms above 50ms/);
    expect(r.requests.failed).toBe(0);
  });

  it("splits traffic for direct callers too (no load balancer)", () => {
    const r = runText(
      design("[{ at: 10s, version: v2, strategy: canary, bootTime: 2s, steps: [5%], bake: 5m }]", "api"),
    );
    const c = cap(r, "api");
    const exposed = (180_000 - eventAt(c.deployments[0], /^5\.0% of traffic/)) / 1000;
    // the canary is 1 instance of 5 in service, but it takes 5% of the traffic, not 20%
    const expected = 200 * 0.05 * exposed;
    expect(Math.abs(c.versions.v2.requests - expected) / expected).toBeLessThan(0.1);
  });

  it("blue-green: a good build is promoted after the bake time; two fleets are paid for meanwhile", () => {
    const r = runText(design("[{ at: 20s, version: v2, strategy: blue-green, bootTime: 10s, bake: 30s }]"));
    const c = cap(r, "api");
    const d = c.deployments[0];
    expect(d.outcome).toBe("promoted");
    expect(eventAt(d, /^switched/)).toBe(30_000);
    expect(d.finishedAt).toBe(60_000);
    expect(c.peakInstances).toBe(8);
    // 4 instances for 180 s, and 4 more from the launch (20s) to the old fleet's drain (~60s)
    // (the old fleet, idle since the switch, stops at once)
    expect(c.instanceSeconds).toBeCloseTo(4 * 180 + 4 * 40, 6);
    expect(c.cost).toBeCloseTo(c.instanceSeconds / 3600, 9);
    expect(r.requests.failed).toBe(0);
  });

  it("a deployment due while another runs waits for it", () => {
    const r = runText(
      design(
        "[{ at: 10s, version: v2, strategy: rolling, bootTime: 5s }, { at: 12s, version: v3, strategy: blue-green, bootTime: 5s, bake: 10s }]",
      ),
    );
    const [a, b] = cap(r, "api").deployments;
    expect(a.outcome).toBe("promoted");
    expect(b.events[0].event).toMatch(/^queued/);
    expect(b.startedAt).toBe(a.finishedAt);
    expect(b.outcome).toBe("promoted");
    expect(r.requests.failed).toBe(0);
  });

  it("the autoscaler waits while a blue-green or canary deployment runs", () => {
    const r = runText(
      design(
        "[{ at: 5s, version: v2, strategy: blue-green, bootTime: 5s, bake: 60s }]",
        "lb",
        "autoscale: { min: 4, max: 8, metric: rps-per-instance, target: 10/s, interval: 10s, cooldown: 0s, bootTime: 1s }",
      ).replace("    instances: 4\n", ""),
    );
    const c = cap(r, "api") as Capacity & { autoscaling: { events: { t: number }[] } };
    const d = c.deployments[0];
    // 200/s wants 8 instances at 10/s each (more than max): the first scale-out waits for the promotion
    expect(c.autoscaling.events.length).toBeGreaterThan(0);
    for (const e of c.autoscaling.events) expect(e.t).toBeGreaterThanOrEqual(d.finishedAt!);
  });

  it("explains deployments that cannot work", () => {
    expect(rejection(design("[{ at: 10s, version: v1 }]"))).toMatch(
      /version "v1" is already running or deployed/,
    );
    expect(rejection(design("[{ at: 10s, version: v2, steps: [10%] }]"))).toMatch(
      /steps applies to canary deployments, not rolling/,
    );
    expect(rejection(design("[{ at: 10s, version: v2, strategy: canary, batch: 2 }]"))).toMatch(
      /batch applies to rolling deployments, not canary/,
    );
    expect(rejection(design("[{ at: 10s, version: v2, strategy: canary, steps: [50%, 10%] }]"))).toMatch(
      /canary steps must grow: 10% follows 50%/,
    );
    expect(rejection(design("[{ at: 10s, version: v2, abort: { window: 10s } }]"))).toMatch(
      /an abort rule needs a threshold/,
    );
    expect(rejection(design("[{ at: 10m, version: v2 }]"))).toMatch(/comes after the run ends/);
    expect(rejection(design("[{ at: 10s, version: v2, strategy: dark-launch }]"))).toMatch(/rolling/);
  });
});
