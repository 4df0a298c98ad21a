// The headline outcomes of examples/resilience/rate-limiters.yaml: the fixed
// window lets about twice its limit through around a window boundary and the
// other algorithms do not; local counters on 4 instances let 4 times the limit
// through, a central store holds it at the price of its round trip; when the
// store dies, failing open lets everything through and failing closed
// refuses everything.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runFile } from "./support/run.js";

interface GatewayReport {
  arrivals: number;
  admitted: number;
  limited: number;
  delayed: number;
  latencyMs: { max: number };
  limits: { maxPerWindow: { units: number; limit: number; ratio: number; atMs: number } }[];
  store: { failures: number; failOpenPasses: number; failClosedRefusals: number } | null;
  series: { admitted: number[]; limited: number[]; arrivals: number[] };
}

const report: Report = runFile("examples/resilience/rate-limiters.yaml");
const gw = (name: string) => report.components[name] as unknown as GatewayReport;
const ratio = (name: string) => gw(name).limits[0].maxPerWindow.ratio;

describe("examples/resilience/rate-limiters.yaml", () => {
  it("fixed window: about 2x the limit within seconds of the minute boundary", () => {
    // a user has used ~29 of the first minute's 100 (0.5/s for 58 s) when the spike
    // starts: the rest of that minute and all of the next pass within 4 s
    const m = gw("gw-fixed").limits[0].maxPerWindow;
    expect(m.ratio).toBeGreaterThan(1.8);
    expect(m.ratio).toBeLessThanOrEqual(2);
    expect(m.atMs).toBeGreaterThan(60_000);
    expect(m.atMs).toBeLessThan(62_000);
  });

  it("the other algorithms do not let the boundary burst through", () => {
    // the sliding log is exact
    expect(ratio("gw-log")).toBeLessThanOrEqual(1);
    // token bucket, GCRA and the leaky queue: never more than burst + rate x window = 110
    for (const g of ["gw-bucket", "gw-gcra", "gw-queue"]) expect(ratio(g)).toBeLessThanOrEqual(1.1);
    // the sliding counter refuses the spike (the previous minute weighs fully at the
    // boundary); its estimate errs by at most f x the previous minute's count after
    expect(ratio("gw-counter")).toBeLessThan(1.2);
  });

  it("the leaky queue spaces what it admits, each waiting at most its queue's drain time", () => {
    const q = gw("gw-queue");
    expect(q.delayed).toBeGreaterThan(0);
    // 10 waiting units at 100/min drain in 6 s
    expect(q.latencyMs.max).toBeGreaterThan(3000);
    expect(q.latencyMs.max).toBeLessThan(6100);
  });

  it("local counters on 4 instances let 4x the limit through", () => {
    // each instance sees a quarter of a user's 600/min, 150 > 100: each admits 100
    expect(ratio("gw-local")).toBeGreaterThan(3.5);
    expect(ratio("gw-local")).toBeLessThanOrEqual(4);
  });

  it("a central store holds the limit and adds its round trip to every request", () => {
    expect(ratio("gw-central")).toBeLessThanOrEqual(1);
    expect(ratio("gw-central")).toBeGreaterThan(0.95);
    // two hops of 0.25 ms and a 20 us check; every latency in the example is fixed
    const added = report.routes["GET /central"].latencyMs.p50 - report.routes["GET /local"].latencyMs.p50;
    expect(added).toBeCloseTo(0.52, 1);
  });

  it("store down: fail-open passes everything, fail-closed refuses everything", () => {
    const open = gw("gw-open");
    const closed = gw("gw-closed");
    // the store is dead from 50 s to 70 s: seconds 51..69 (series index s is second s + 1)
    for (let s = 51; s < 69; s++) {
      expect(open.series.limited[s]).toBe(0);
      expect(open.series.admitted[s]).toBeGreaterThan(50);
      expect(closed.series.admitted[s]).toBe(0);
      expect(closed.series.limited[s]).toBeGreaterThan(50);
    }
    expect(open.store!.failOpenPasses).toBe(open.store!.failures);
    expect(closed.store!.failClosedRefusals).toBe(closed.store!.failures);
    // before the outage both hold the limit: users past their 100 a minute are refused
    for (let s = 20; s < 49; s++) {
      expect(open.series.limited[s]).toBeGreaterThan(0);
      expect(closed.series.limited[s]).toBeGreaterThan(0);
    }
  });
});
