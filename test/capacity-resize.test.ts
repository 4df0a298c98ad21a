// Vertical scaling: a new instance type rolled out by restarting instances a
// batch at a time. A lone instance is down for its restart; a fleet dips by
// the batch and loses nothing; afterwards the same load uses a fraction of
// the capacity, and the fleet costs the new price from each restart on.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

interface Resize {
  at: number;
  from: { concurrency: number; speed: number; costPerHour: number };
  to: { concurrency: number; speed: number; costPerHour: number };
  startedAt: number;
  finishedAt: number | null;
  restarted: number;
  minInService: number;
}
interface ServiceReport {
  capacity: { cost: number; instanceSeconds: number; resize: Resize; drainTimeouts: number };
  series: { utilization: number[]; instances: number[] };
}
const svc = (r: Report, name: string) => r.components[name] as unknown as ServiceReport;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("examples/resilience/vertical-scaling.yaml", () => {
  const r = runFile("examples/resilience/vertical-scaling.yaml");
  const restartS = 60;
  const atS = 120;

  it("a single instance is a single point of failure: down for its whole restart", () => {
    const s = svc(r, "single").capacity.resize;
    expect(s.minInService).toBe(0);
    expect(s.restarted).toBe(1);
    // 100/s arrive while it restarts: ~6000, Poisson sd ~77
    const failed = r.routes["GET /single"].requests;
    expect(Object.keys(failed.byOutcome).sort()).toEqual(["no-healthy-backend", "ok"]);
    expect(Math.abs(failed.failed - 100 * restartS)).toBeLessThan(5 * Math.sqrt(100 * restartS));
  });

  it("a fleet restarts one instance at a time: capacity dips by one, nothing fails", () => {
    const s = svc(r, "fleet");
    const rz = s.capacity.resize;
    expect(rz.minInService).toBe(3);
    expect(rz.restarted).toBe(4);
    expect(r.routes["GET /fleet"].requests.failed).toBe(0);
    // each restart waits for the previous one: 4 x 60s, plus draining 20ms requests
    expect(rz.finishedAt! - rz.startedAt).toBeGreaterThanOrEqual(4 * restartS * 1000);
    expect(rz.finishedAt! - rz.startedAt).toBeLessThan(4 * (restartS + 1) * 1000);
    expect(Math.min(...s.series.instances)).toBe(3);
    expect(s.capacity.drainTimeouts).toBe(0);
  });

  it("the bigger type carries the same load on a quarter of its capacity", () => {
    for (const name of ["single", "fleet"]) {
      const u = svc(r, name).series.utilization;
      // offered load: 2 workers' worth per 4 workers at 1x speed (50%); 1 per 8 at 2x (12.5%)
      expect(mean(u.slice(5, atS - 5))).toBeCloseTo(0.5, 1);
      expect(mean(u.slice(400, 480))).toBeCloseTo(0.125, 1);
    }
    expect(r.routes["GET /fleet"].latencyMs.p50).toBeLessThan(40);
  });

  it("costs the old price until each instance restarts, the new one from then", () => {
    // single: relaunched at ~120s; fleet: instance i at ~120s + 60s x i
    const price = (t: number[]) => t.reduce((c, ti) => c + ti * 0.1 + (480 - ti) * 0.2, 0) / 3600;
    expect(svc(r, "single").capacity.cost).toBeCloseTo(price([120]), 4);
    expect(svc(r, "fleet").capacity.cost).toBeCloseTo(price([120, 180, 240, 300]), 3);
    expect(svc(r, "fleet").capacity.instanceSeconds).toBe(4 * 480);
  });
});

const design = (extra: string, instances = 4) => `
duration: 60s
components:
  users: { kind: workload, target: lb, arrival: { process: poisson, rate: 100/s }, routes: [{ route: r }] }
  lb: { kind: load-balancer, backend: api }
  api:
    kind: service
    instances: ${instances}
    concurrency: 4
    drain: 5s
    ${extra}
    routes: { "*": [{ compute: exp(10ms) }] }
`;

describe("resize", () => {
  it("restarts `batch` instances at once: capacity dips by the batch", () => {
    const r = runText(design("resize: { at: 10s, concurrency: 8, restartTime: 5s, batch: 2 }"));
    const rz = svc(r, "api").capacity.resize;
    expect(rz.minInService).toBe(2);
    expect(rz.restarted).toBe(4);
    // two batches of two
    expect(rz.finishedAt! - rz.startedAt).toBeGreaterThanOrEqual(10_000);
    expect(rz.finishedAt! - rz.startedAt).toBeLessThan(11_000);
    expect(r.requests.failed).toBe(0);
  });

  it("new launches get the new type at once: an autoscaled instance launched after the change is not restarted", () => {
    const r = runText(
      design(
        "autoscale: { min: 2, max: 3, metric: rps-per-instance, target: 40/s, interval: 20s, cooldown: 0s, bootTime: 1s }\n    resize: { at: 5s, speed: 2, restartTime: 2s }",
        2,
      ),
    );
    const c = svc(r, "api").capacity as unknown as {
      resize: Resize;
      autoscaling: { events: { t: number; from: number; to: number }[] };
    };
    // 2 instances at 5s are restarted; the third, launched at 20s, is already the new type
    expect(c.resize.restarted).toBe(2);
    expect(c.resize.finishedAt).toBeLessThan(20_000);
    expect(c.autoscaling.events[0]).toMatchObject({ t: 20_000, from: 2, to: 3 });
  });

  it("explains a resize that cannot work", () => {
    expect(rejection(design("resize: { at: 10s }"))).toMatch(/a resize changes nothing/);
    expect(rejection(design("resize: { at: 10s, costPerHour: 0.2 }"))).toMatch(
      /the new type has a price but the old one has none[\s\S]*add costPerHour to the service/,
    );
    expect(rejection(design("resize: { at: 90s, speed: 2 }"))).toMatch(/comes after the run ends/);
    expect(rejection(design("resize: { at: 10s, speed: 0 }"))).toMatch(/speed/);
  });
});
