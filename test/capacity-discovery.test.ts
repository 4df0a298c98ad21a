// Client-side discovery against server-side (a load balancer): callers that
// pick instances from their own cached list keep calling a dead instance
// until their next refresh (and until the registry's lease on it expires),
// and those calls fail; a balancer's health checks eject it within a few
// probe intervals.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

const failed = (r: Report, route: string) => r.routes[route].requests.failed;
const discovery = (r: Report, name: string) =>
  r.components[name].discovery as { refreshes: number; staleCalls: number };

describe("examples/resilience/discovery.yaml", () => {
  const r = runFile("examples/resilience/discovery.yaml");
  // a quarter of each route's 200/s goes to the dead instance while callers still list it
  const perInstance = 200 / 4;
  const near = (x: number, seconds: number) => {
    const expected = perInstance * seconds;
    // Poisson count, and a refresh schedule that starts at the first call (a few ms in)
    expect(Math.abs(x - expected)).toBeLessThan(5 * Math.sqrt(expected) + perInstance * 0.1);
  };

  it("client-side: calls fail until the caller's next refresh drops the dead instance", () => {
    // refreshes at ~0, 30, 60, 90s: the kill at 65s is stale until ~90s
    near(failed(r, "GET /client-side"), 25);
    // (and the few requests the instance was serving when it died)
    const extra = failed(r, "GET /client-side") - discovery(r, "client-side").staleCalls;
    expect(extra).toBeGreaterThanOrEqual(0);
    expect(extra).toBeLessThanOrEqual(4);
    // one caller (the workload): a fetch at its first call, then one every 30s
    expect(discovery(r, "client-side").refreshes).toBe(6);
  });

  it("client-side with a registry lease longer than the outage: calls fail for the whole outage", () => {
    // the 90s lease outlives the 60s outage, so the registry never drops it
    near(failed(r, "GET /client-side-lease"), 60);
  });

  it("server-side: the balancer's health checks eject the instance within two probe intervals", () => {
    const f = failed(r, "GET /server-side");
    // ejected after 2 failed probes 5s apart: between 5s and 10s (+ the 2s probe timeout) of failures
    expect(f).toBeGreaterThan(perInstance * 5 * 0.8);
    expect(f).toBeLessThan(perInstance * 12 * 1.2);
    expect(f).toBeLessThan(failed(r, "GET /client-side"));
    expect(r.components["server-side"].discovery).toBeUndefined();
  });

  it("every failure is the dead instance's: instance-down", () => {
    expect(Object.keys(r.requests.byOutcome).sort()).toEqual(["instance-down", "ok"]);
  });
});

describe("client-side discovery and a changing fleet", () => {
  const design = (front: "lb" | "api") => `
duration: 60s
components:
  users: { kind: workload, target: ${front}, arrival: { process: poisson, rate: 200/s }, routes: [{ route: r }] }
  lb: { kind: load-balancer, backend: api }
  api:
    kind: service
    instances: 4
    concurrency: 4
    drain: 5s
    ${front === "api" ? "discovery: { refresh: 30s }" : ""}
    autoscale: { min: 2, max: 4, metric: rps-per-instance, target: 120/s, interval: 20s, cooldown: 0s, bootTime: 1s }
    routes: { "*": [{ compute: exp(10ms) }] }
`;

  it("a scale-in fails the calls of callers whose list still has the stopped instances, until they refresh", () => {
    const r = runText(design("api"));
    const events = (r.components.api.capacity as { autoscaling: { events: { t: number; to: number }[] } })
      .autoscaling.events;
    expect(events[0]).toMatchObject({ t: 20_000, to: 2 });
    // half the list is gone from 20s until the refresh at ~30s: ~100/s x 10s
    const f = r.requests.byOutcome["instance-down"];
    expect(Math.abs(f - 1000)).toBeLessThan(5 * Math.sqrt(1000) + 20);
    expect(discovery(r, "api").staleCalls).toBe(f);
  });

  it("behind a load balancer, the same scale-in fails nothing", () => {
    const r = runText(design("lb"));
    expect(r.requests.failed).toBe(0);
  });

  it("refuses client-side discovery with a deployment that splits traffic", () => {
    const text = design("api").replace(
      "    routes:",
      "    deployments: [{ at: 10s, version: v2, strategy: canary }]\n    routes:",
    );
    expect(rejection(text)).toMatch(/a canary deployment splits traffic between versions/);
  });
});
