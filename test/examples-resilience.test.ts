// The resilience examples show what they say they show.
import { describe, expect, it } from "vitest";
import type { GuardReport } from "../src/components/call-guard.js";
import type { Report } from "../src/report/json.js";
import { runFile } from "./support/run.js";

const guard = (r: Report, caller: string, callee: string) =>
  (r.components[caller].calls as Record<string, GuardReport>)[callee];
const sum = (xs: number[], from: number, to: number) => xs.slice(from, to).reduce((a, x) => a + x, 0);
/** attempts per call over seconds [from, to) */
const amplification = (g: GuardReport, from: number, to: number) =>
  sum(g.series.attempts, from, to) / sum(g.series.calls, from, to);

describe("examples/resilience/retry-storm.yaml", () => {
  const r = runFile("examples/resilience/retry-storm.yaml");
  const g = (v: string) => guard(r, `api-${v}`, `backend-${v}`);

  it("naive retries triple the load and keep the backend down after the slowdown ends", () => {
    // from 45s (the slowdown ended at 40s) to the end: still ~3 attempts per call, all timing out
    expect(amplification(g("naive"), 45, 120)).toBeGreaterThan(2.8);
    expect(sum(g("naive").series.timeouts, 45, 120)).toBeGreaterThan(
      0.5 * sum(g("naive").series.calls, 45, 120),
    );
    expect(r.routes["GET /naive"].availability).toBeLessThan(0.5);
  });

  for (const v of ["backoff", "budget", "breaker"])
    it(`with ${v}, the backend recovers within 10s of the slowdown ending`, () => {
      expect(sum(g(v).series.timeouts, 50, 120)).toBeLessThan(20);
      expect(amplification(g(v), 50, 120)).toBeLessThan(1.01);
      // the run is 120s and the slowdown 20s: the rest is served
      expect(r.routes[`GET /${v}`].availability).toBeGreaterThan(0.8);
    });

  it("the budget holds retries near 10% of calls during the slowdown; the breaker stops most attempts", () => {
    // 10% of calls, plus 10 retries/s for each of the 4 api instances (40/s against 1000 calls/s)
    expect(amplification(g("budget"), 21, 40)).toBeLessThan(1 + 0.1 + 0.04 + 0.01);
    expect(g("budget").retriesDenied).toBeGreaterThan(0);
    expect(amplification(g("breaker"), 21, 40)).toBeLessThan(0.5);
    expect(g("breaker").breaker!.shortCircuited).toBeGreaterThan(0);
  });
});

describe("examples/resilience/metastable.yaml", () => {
  const r = runFile("examples/resilience/metastable.yaml");
  const g = (v: string) => guard(r, `users-${v}`, `api-${v}`);

  for (const v of ["naive", "backoff", "deadline"])
    it(`${v}: the 5-second burst leaves the service down to the end of the run`, () => {
      expect(amplification(g(v), 40, 90)).toBeGreaterThan(3.5);
      expect(sum(g(v).series.timeouts, 40, 90)).toBeGreaterThan(0.9 * sum(g(v).series.calls, 40, 90));
    });

  for (const v of ["no-retries", "budget"])
    it(`${v}: the service recovers once the burst is over`, () => {
      expect(sum(g(v).series.timeouts, 30, 90)).toBe(0);
      expect(r.routes[`GET /${v}`].availability).toBeGreaterThan(0.85);
    });

  it("with deadlines, the server drops the attempts nobody waits for instead of serving them", () => {
    expect(r.components["api-deadline"].expired as number).toBeGreaterThan(0);
    expect(r.components["api-naive"].expired).toBeUndefined();
  });
});

describe("examples/resilience/bulkhead.yaml", () => {
  const r = runFile("examples/resilience/bulkhead.yaml");

  it("without a bulkhead, the slow dependency takes the workers and the healthy route fails too", () => {
    const p = r.routes["GET /profile-shared"];
    expect(p.availability).toBeLessThan(0.97);
    expect(p.latencyMs.p99).toBeGreaterThan(1000);
  });

  it("with a bulkhead, the healthy route does not notice; only excess calls to the slow one fail fast", () => {
    const p = r.routes["GET /profile-bulkhead"];
    expect(p.availability).toBe(1);
    expect(p.latencyMs.p99).toBeLessThan(100);
    expect(r.routes["GET /recs-bulkhead"].requests.byOutcome["bulkhead-full"]).toBeGreaterThan(0);
    expect(guard(r, "api-bulkhead", "recs-bulkhead").bulkheadRejected).toBe(
      r.routes["GET /recs-bulkhead"].requests.byOutcome["bulkhead-full"],
    );
  });
});

describe("examples/resilience/cache-outage.yaml", () => {
  const r = runFile("examples/resilience/cache-outage.yaml");
  const dbReads = (v: string) => (r.components[`db-${v}`].series as { reads: number[] }).reads;
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

  it("without protection, the database takes every read while redis is down and the api backs up", () => {
    // 10 connections at ~4ms: ~2500 reads/s at most, for 3000/s offered
    expect(mean(dbReads("naive").slice(22, 39))).toBeGreaterThan(2300);
    expect(r.routes["GET /naive"].requests.byOutcome["queue-full"]).toBeGreaterThan(0);
    expect(r.routes["GET /naive"].latencyMs.p99).toBeGreaterThan(500);
  });

  it("with an L1, a bulkhead and a fallback, users see no error and the database stays under its capacity", () => {
    const p = r.routes["GET /protected"];
    expect(p.availability).toBe(1);
    expect(p.latencyMs.p99).toBeLessThan(100);
    expect(mean(dbReads("protected").slice(22, 39))).toBeLessThan(0.7 * mean(dbReads("naive").slice(22, 39)));
    // the few calls beyond the bulkhead were answered by the fallback
    expect(p.requests.degraded).toBe(guard(r, "api-protected", "db-protected").fallbacks);
    expect(p.requests.degraded).toBeLessThan(0.02 * p.requests.total);
  });
});
