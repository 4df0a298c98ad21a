// Active health checks at the load balancer (catalogue LB-15, LB-18): time to
// eject and re-admit, failures while a dead instance is still in rotation,
// no-healthy-backend when the whole pool is out, slow probes, and the
// baseline without health checks.
//
// Timing argument used throughout. Probes of one instance are sent every I ms
// (the first ones staggered over one interval). An instance killed at T fails
// every probe sent after T; a failed probe's result arrives `timeout` after it
// was sent. The first failing probe leaves in (T, T + I], so the U-th failure
// is known in (T + (U-1)·I + timeout, T + U·I + timeout]. After a restart at R
// the first good probe leaves in (R, R + I] and answers after one network
// round trip plus probeTime (a few ms here, < timeout), so the H-th success is
// known in (R + (H-1)·I, R + H·I + timeout].
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runText } from "./support/run.js";

interface HealthEvent {
  t: number;
  pool: string;
  instance: number;
  healthy: boolean;
}
interface LbReport {
  requests: number;
  noHealthyBackend: number;
  pools: Record<string, { forwarded: number[]; healthy: boolean[] }>;
  healthEvents: HealthEvent[];
}

const lb = (r: Report) => r.components.lb as unknown as LbReport;
const causes = (r: Report) => r.requests.byOutcome;

/**
 * Per-second request series indexed by the second it closes (t = 1 is the
 * window (0s, 1s]). Aligned from the end: every series ends with the last
 * tick, whatever padding it has at the front (see components-arrivals for
 * the misalignment this sidesteps).
 */
function perSecond(r: Report, name: string): Map<number, number> {
  const t = r.series.t;
  const v = r.series[name] ?? [];
  const out = new Map<number, number>();
  const off = v.length - t.length;
  t.forEach((sec, i) => {
    out.set(sec, v.length ? v[i + off] : 0);
  });
  return out;
}

/** Requests answered in each second, successful or not (`throughput` counts successes, `errors` failures). */
function answered(r: Report): Map<number, number> {
  const ok = perSecond(r, "throughput");
  const failed = perSecond(r, "errors");
  return new Map([...ok].map(([sec, n]) => [sec, n + (failed.get(sec) ?? 0)]));
}

interface HcCase {
  n: number;
  interval: number;
  timeout: number;
  unhealthy: number;
  healthy: number;
  victim: number;
  killAt: number;
  down: number;
}

function hcDesign(k: HcCase, rate: number, duration: number, healthCheck = true): string {
  return `
duration: ${duration}ms
components:
  users:
    kind: workload
    target: lb
    arrival: { process: poisson, rate: ${rate}/s }
    routes: [{ route: GET /x }]
  lb:
    kind: load-balancer
    algorithm: round-robin
    backend: api
${
  healthCheck
    ? `    healthCheck: { interval: ${k.interval}ms, timeout: ${k.timeout}ms, unhealthyThreshold: ${k.unhealthy}, healthyThreshold: ${k.healthy} }`
    : ""
}
  api:
    kind: service
    instances: ${k.n}
    concurrency: 8
    routes: { "GET /x": [{ compute: exp(2ms) }] }
faults:
  - { kill: api, instance: ${k.victim}, at: ${k.killAt}ms, for: ${k.down}ms }
`;
}

describe("load balancer health checks (LB-15)", () => {
  it("ejects a killed instance within [T+(U-1)I+timeout, T+UI+timeout], re-admits it within H intervals of the restart, and its failures stop once it is ejected", () => {
    const cases = fc.record({
      n: fc.integer({ min: 2, max: 4 }),
      interval: fc.constantFrom(400, 700, 1000),
      timeoutFrac: fc.double({ min: 0.1, max: 0.8, noNaN: true }),
      unhealthy: fc.integer({ min: 1, max: 4 }),
      healthy: fc.integer({ min: 1, max: 4 }),
      victimFrac: fc.double({ min: 0, max: 0.999, noNaN: true }),
      killAt: fc.double({ min: 2000, max: 5000, noNaN: true }),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(cases, (c) => {
        const k: HcCase = {
          n: c.n,
          interval: c.interval,
          timeout: Math.round(c.interval * c.timeoutFrac),
          unhealthy: c.unhealthy,
          healthy: c.healthy,
          victim: Math.floor(c.victimFrac * c.n),
          killAt: Math.round(c.killAt * 1000) / 1000,
          // long enough to be ejected well before the restart
          down: (c.unhealthy + 2) * c.interval,
        };
        const restartAt = k.killAt + k.down;
        const duration = Math.ceil(restartAt + (k.healthy + 2) * k.interval + 2000);
        const rate = 200;
        const r = runText(hcDesign(k, rate, duration), [], { seed: c.seed });
        const events = lb(r).healthEvents;

        // exactly one ejection and one re-admission, both of the victim: healthy
        // instances never flap
        expect(events.map((e) => [e.instance, e.healthy])).toEqual([
          [k.victim, false],
          [k.victim, true],
        ]);
        const [eject, readmit] = events;
        const I = k.interval;
        expect(eject.t).toBeGreaterThan(k.killAt + (k.unhealthy - 1) * I + k.timeout - 1e-6);
        expect(eject.t).toBeLessThanOrEqual(k.killAt + k.unhealthy * I + k.timeout + 1e-6);
        expect(readmit.t).toBeGreaterThan(restartAt + (k.healthy - 1) * I);
        expect(readmit.t).toBeLessThanOrEqual(restartAt + k.healthy * I + k.timeout);
        expect(lb(r).pools.api.healthy.every((h) => h)).toBe(true);

        // Round robin sends every n-th request to the dead instance until it is
        // ejected: failures ≈ (requests in [T, eject]) / n. Arrivals there are
        // Poisson(λ·(eject−T)); allow 4 standard deviations, plus the few
        // requests running or queued on the instance when it died.
        const failures = causes(r)["instance-down"] ?? 0;
        const expected = (rate * (eject.t - k.killAt)) / 1000 / k.n;
        expect(Math.abs(failures - expected)).toBeLessThanOrEqual(4 * Math.sqrt(expected) + 8);
        expect(causes(r)["no-healthy-backend"] ?? 0).toBe(0);

        // and none at all in any second that starts after the ejection (plus the
        // ~100 ms a reply can still be on its way back)
        const down = perSecond(r, "errors:instance-down");
        for (const [sec, count] of down) if ((sec - 1) * 1000 >= eject.t + 100) expect(count).toBe(0);
      }),
      { numRuns: 25, seed: 20240601 },
    );
  });

  it("with every instance killed, requests fail with instance-down until all are ejected, then with no-healthy-backend, and recover after the restart", () => {
    const I = 500;
    const timeout = 100;
    const T = 5250;
    const R = 12250;
    const yaml = `
duration: 20s
components:
  users:
    kind: workload
    target: lb
    arrival: { process: poisson, rate: 300/s }
    routes: [{ route: GET /x }]
  lb:
    kind: load-balancer
    backend: api
    healthCheck: { interval: ${I}ms, timeout: ${timeout}ms, unhealthyThreshold: 2, healthyThreshold: 2 }
  api:
    kind: service
    instances: 3
    concurrency: 8
    routes: { "GET /x": [{ compute: exp(2ms) }] }
faults:
  - { kill: api, instance: all, at: ${T}ms, for: ${R - T}ms }
`;
    const r = runText(yaml, [], { seed: 5 });
    const events = lb(r).healthEvents;
    const ejections = events.filter((e) => !e.healthy);
    const readmissions = events.filter((e) => e.healthy);
    expect(ejections.map((e) => e.instance).sort()).toEqual([0, 1, 2]);
    expect(readmissions.map((e) => e.instance).sort()).toEqual([0, 1, 2]);
    for (const e of ejections) {
      expect(e.t).toBeGreaterThan(T + I + timeout - 1e-6);
      expect(e.t).toBeLessThanOrEqual(T + 2 * I + timeout + 1e-6);
    }
    for (const e of readmissions) {
      expect(e.t).toBeGreaterThan(R + I);
      expect(e.t).toBeLessThanOrEqual(R + 2 * I + timeout);
    }
    const lastOut = Math.max(...ejections.map((e) => e.t));
    const firstBack = Math.min(...readmissions.map((e) => e.t));

    const c = causes(r);
    // the balancer's own count and the clients' agree
    expect(c["no-healthy-backend"]).toBe(lb(r).noHealthyBackend);
    // with the whole pool out for (firstBack − lastOut), every request in that
    // span fails fast: ≈ λ·span, Poisson, 4 sd
    const span = (firstBack - lastOut) / 1000;
    expect(Math.abs(c["no-healthy-backend"] - 300 * span)).toBeLessThanOrEqual(4 * Math.sqrt(300 * span));
    expect(c["instance-down"]).toBeGreaterThan(0);

    const total = answered(r);
    const ok = perSecond(r, "throughput");
    const errors = perSecond(r, "errors");
    const nhb = perSecond(r, "errors:no-healthy-backend");
    const down = perSecond(r, "errors:instance-down");
    for (const [sec, n] of total) {
      const from = (sec - 1) * 1000;
      const to = sec * 1000;
      if (from >= lastOut + 100 && to <= firstBack) {
        // nothing succeeds, nothing reaches a dead instance: every request of
        // the second is refused by the balancer itself
        expect(n).toBeGreaterThan(0);
        expect(ok.get(sec)).toBe(0);
        expect(errors.get(sec)).toBe(n);
        expect(nhb.get(sec)).toBe(n);
        expect(down.get(sec)).toBe(0);
      }
      if (from >= firstBack + I * 2 + 100 || to <= T) expect(errors.get(sec)).toBe(0);
    }
  });

  it("a slow fault that makes probes exceed the timeout ejects the instances; one that keeps them under it does not", () => {
    const I = 500;
    const timeout = 200;
    const T = 4100;
    const R = 9100;
    const design = (by: string) => `
duration: 14s
components:
  users:
    kind: workload
    target: lb
    arrival: { process: poisson, rate: 100/s }
    routes: [{ route: GET /x }]
  lb:
    kind: load-balancer
    backend: api
    healthCheck: { interval: ${I}ms, timeout: ${timeout}ms, unhealthyThreshold: 3, healthyThreshold: 2 }
  api:
    kind: service
    instances: 2
    concurrency: 64
    routes: { "GET /x": [{ compute: 1ms }] }
faults:
  - { slow: api, by: ${by}, at: ${T}ms, for: ${R - T}ms }
`;
    // probe time = round trip (< 2 ms) + probeTime 1 ms + 250 ms > 200 ms timeout
    const slow = runText(design("250ms"), [], { seed: 9 });
    const ev = lb(slow).healthEvents;
    const out = ev.filter((e) => !e.healthy);
    const back = ev.filter((e) => e.healthy);
    // a slow fault slows the whole component, so both instances go
    expect(out.map((e) => e.instance).sort()).toEqual([0, 1]);
    expect(back.map((e) => e.instance).sort()).toEqual([0, 1]);
    for (const e of out) {
      expect(e.t).toBeGreaterThan(T + 2 * I + timeout - 1e-6);
      expect(e.t).toBeLessThanOrEqual(T + 3 * I + timeout + 1e-6);
    }
    for (const e of back) {
      expect(e.t).toBeGreaterThan(R + I);
      expect(e.t).toBeLessThanOrEqual(R + 2 * I + timeout);
    }
    expect(causes(slow)["no-healthy-backend"]).toBeGreaterThan(0);

    // 150 ms extra keeps probes at ~152 ms < 200 ms: no ejection, no failure,
    // but requests during the fault are 150 ms slower
    const lenient = runText(design("150ms"), [], { seed: 9 });
    expect(lb(lenient).healthEvents).toEqual([]);
    expect(lenient.requests.failed).toBe(0);
    expect(lenient.latencyMs.max).toBeGreaterThan(150);
  });

  it("counts each probe's own outcome even when the timeout is longer than the interval", () => {
    // With timeout > interval a failed probe's verdict (due `timeout` after it
    // left) can still be pending when later probes of the restarted instance
    // already succeed. A verdict must be the outcome of the probe it belongs
    // to: re-admission needs H successful probes, and the first of them leaves
    // after the restart R, so it cannot happen before R + (H-1)·I. A failed
    // verdict still due after R (at most `timeout` after R) resets the streak,
    // so it happens at the latest H intervals after that: R + timeout + H·I.
    for (const [I, timeout, H] of [
      [500, 2000, 3],
      [500, 1800, 4],
      [1000, 1500, 2],
    ]) {
      const k: HcCase = {
        n: 2,
        interval: I,
        timeout,
        unhealthy: 2,
        healthy: H,
        victim: 0,
        killAt: 2000,
        down: 4100,
      };
      const R = k.killAt + k.down;
      const r = runText(hcDesign(k, 100, R + (H + 3) * I + timeout), [], { seed: 1 });
      const back = lb(r).healthEvents.find((e) => e.healthy);
      expect(back).toBeDefined();
      expect({ I, timeout, H, readmittedAt: back?.t }).toEqual({
        I,
        timeout,
        H,
        readmittedAt: expect.toSatisfy((t: number) => t > R + (H - 1) * I && t <= R + timeout + H * I + 50),
      });
    }
  });

  it("probes cross the network like requests: a link fault that pushes their round trip past the timeout ejects", () => {
    // The reference says a probe fails when its answer — network round trip +
    // probeTime + any slow fault — takes longer than the timeout, and that a
    // link fault adds its latency to every message from \`from\` to \`to\` and
    // to each reply. 300 ms each way on lb -> api makes every probe of api
    // take > 600 ms against a 200 ms timeout.
    const I = 500;
    const T = 3100;
    const yaml = `
duration: 8s
components:
  users:
    kind: workload
    target: lb
    arrival: { process: poisson, rate: 100/s }
    routes: [{ route: GET /x }]
  lb:
    kind: load-balancer
    backend: api
    healthCheck: { interval: ${I}ms, timeout: 200ms, unhealthyThreshold: 2, healthyThreshold: 2 }
  api: { kind: service, instances: 2, concurrency: 64, routes: { "*": [{ compute: 1ms }] } }
faults:
  - { link: { from: lb, to: api }, add: 300ms, at: ${T}ms }
`;
    const r = runText(yaml, [], { seed: 2 });
    // the requests themselves are 600 ms slower while the fault lasts
    expect(r.latencyMs.max).toBeGreaterThan(600);
    const out = lb(r).healthEvents.filter((e) => !e.healthy);
    expect(out.map((e) => e.instance).sort()).toEqual([0, 1]);
    for (const e of out) expect(e.t).toBeLessThanOrEqual(T + 2 * I + 200 + 1e-6);
  });

  it("without health checks a killed instance keeps its round-robin share and fails ≈1/n of the requests during the outage", () => {
    const n = 4;
    const T = 5000;
    const D = 10000;
    const rate = 400;
    const k: HcCase = {
      n,
      interval: 0,
      timeout: 0,
      unhealthy: 0,
      healthy: 0,
      victim: 2,
      killAt: T,
      down: D,
    };
    const r = runText(hcDesign(k, rate, 20000, false), [], { seed: 3 });
    const report = lb(r);
    expect(report.healthEvents).toEqual([]);
    // round robin is blind to the death: shares stay exactly equal (±1)
    const fwd = report.pools.api.forwarded;
    expect(Math.max(...fwd) - Math.min(...fwd)).toBeLessThanOrEqual(1);
    // every n-th request of the outage fails: (Poisson(λD))/n, 4 sd, plus what
    // was running or queued on the instance at the kill
    const failures = causes(r)["instance-down"];
    const expected = (rate * D) / 1000 / n;
    expect(Math.abs(failures - expected)).toBeLessThanOrEqual(4 * Math.sqrt(expected) + 8);
    expect(Object.keys(causes(r)).sort()).toEqual(["instance-down", "ok"]);

    // the failed fraction in each whole second of the outage is 1/n: the
    // requests are dealt in strict rotation, so per second the failures are
    // within 1 of answered/n, plus the few requests whose reply crosses the
    // second boundary on one side but not the other (failures skip the 2 ms
    // of work: ≈ λ·2 ms ≈ 1 request): allow 4
    const total = answered(r);
    const down = perSecond(r, "errors:instance-down");
    let seconds = 0;
    let sumDown = 0;
    let sumAll = 0;
    for (const [sec, count] of total) {
      const from = (sec - 1) * 1000;
      if (from >= T + 100 && sec * 1000 <= T + D) {
        seconds++;
        sumDown += down.get(sec) ?? 0;
        sumAll += count;
        expect(Math.abs((down.get(sec) ?? 0) - count / n)).toBeLessThanOrEqual(4);
      }
      if (sec * 1000 <= T || from >= T + D + 100) expect(down.get(sec) ?? 0).toBe(0);
    }
    expect(Math.abs(sumDown - sumAll / n)).toBeLessThanOrEqual(4);
    expect(seconds).toBe(9);
  });
});
