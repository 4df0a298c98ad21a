// Backoff, retry budgets and circuit breakers as pure mechanisms.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BackoffConfig, backoffDelay } from "../src/mechanisms/backoff.js";
import { CircuitBreaker, CLOSED, HALF_OPEN, OPEN } from "../src/mechanisms/circuit-breaker.js";
import { RetryBudget } from "../src/mechanisms/retry-budget.js";
import { stream } from "../src/kernel/rng.js";

const cfg = (jitter: BackoffConfig["jitter"]): BackoffConfig => ({
  baseMs: 100,
  capMs: 3000,
  multiplier: 2,
  jitter,
});

describe("backoff", () => {
  it("without jitter, doubles from the base up to the cap", () => {
    const waits = [1, 2, 3, 4, 5, 6, 7].map((k) => backoffDelay(cfg("none"), k, 0, 0.5));
    expect(waits).toEqual([100, 200, 400, 800, 1600, 3000, 3000]);
  });

  it("full jitter is uniform on [0, wait]; equal jitter on [wait/2, wait]", () => {
    const rng = stream(1, "backoff");
    const n = 20_000;
    for (const retry of [1, 3, 6]) {
      const exp = Math.min(3000, 100 * 2 ** (retry - 1));
      let full = 0;
      let equal = 0;
      const fs: number[] = [];
      const es: number[] = [];
      for (let i = 0; i < n; i++) {
        const f = backoffDelay(cfg("full"), retry, 0, rng.next());
        const e = backoffDelay(cfg("equal"), retry, 0, rng.next());
        fs.push(f);
        es.push(e);
        full += f;
        equal += e;
      }
      expect(Math.min(...fs)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...fs)).toBeLessThanOrEqual(exp);
      expect(Math.min(...es)).toBeGreaterThanOrEqual(exp / 2);
      expect(Math.max(...es)).toBeLessThanOrEqual(exp);
      // means exp/2 and 3exp/4; the sd of a mean of n uniforms on a width w is w/sqrt(12n)
      const tol = (w: number) => (5 * w) / Math.sqrt(12 * n);
      expect(Math.abs(full / n - exp / 2)).toBeLessThan(tol(exp));
      expect(Math.abs(equal / n - (3 * exp) / 4)).toBeLessThan(tol(exp / 2));
    }
  });

  it("decorrelated jitter stays within [base, min(cap, 3 x previous)]", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 5000, noNaN: true }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (prev, u) => {
          const w = backoffDelay(cfg("decorrelated"), 2, prev, u);
          expect(w).toBeGreaterThanOrEqual(100);
          expect(w).toBeLessThanOrEqual(Math.min(3000, Math.max(100, (prev > 0 ? prev : 100) * 3)) + 1e-9);
        },
      ),
    );
  });
});

describe("retry budget", () => {
  it("grants at most ratio x calls + minPerSecond x window seconds within any window", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 400 }), retry: fc.boolean() }), {
          maxLength: 400,
        }),
        fc.constantFrom(0.1, 0.2, 0.5),
        fc.integer({ min: 0, max: 3 }),
        (ops, ratio, minPerSecond) => {
          const b = new RetryBudget({ ratio, minPerSecond, windowMs: 3000 });
          let t = 0;
          const calls: number[] = [];
          const granted: number[] = [];
          for (const op of ops) {
            t += op.dt;
            if (op.retry) {
              if (b.tryWithdraw(t)) granted.push(t);
            } else {
              b.deposit(t);
              calls.push(t);
            }
          }
          // the budget counts whole seconds: a window is the 3 seconds ending with the current one
          for (const g of granted) {
            const from = (Math.floor(g / 1000) - 2) * 1000;
            const inWindow = (xs: number[]) => xs.filter((x) => x >= from && x <= g).length;
            expect(inWindow(granted)).toBeLessThanOrEqual(ratio * inWindow(calls) + minPerSecond * 3 + 1e-9);
          }
        },
      ),
    );
  });

  it("is spent by a burst of retries and refilled as calls go on", () => {
    const b = new RetryBudget({ ratio: 0.2, minPerSecond: 0, windowMs: 10_000 });
    for (let i = 0; i < 100; i++) b.deposit(i);
    let granted = 0;
    for (let i = 0; i < 100; i++) if (b.tryWithdraw(100 + i)) granted++;
    expect(granted).toBe(20);
    // ten seconds later the old calls and retries have left the window
    for (let i = 0; i < 50; i++) b.deposit(20_000 + i);
    granted = 0;
    for (let i = 0; i < 100; i++) if (b.tryWithdraw(20_100 + i)) granted++;
    expect(granted).toBe(10);
  });
});

describe("circuit breaker", () => {
  const breaker = (changes: [number, number][] = []) =>
    new CircuitBreaker({ failureRate: 0.5, window: 10, minCalls: 10, openMs: 1000, probes: 2 }, (s, t) =>
      changes.push([s, t]),
    );

  it("opens once the window holds minCalls outcomes at or above the failure rate, and fails fast while open", () => {
    const changes: [number, number][] = [];
    const b = breaker(changes);
    for (let i = 0; i < 9; i++) b.record(false, i, b.allow(i)); // 9 failures: not yet judged
    expect(b.state).toBe(CLOSED);
    b.record(true, 9, b.allow(9)); // 10 outcomes, 90% failures
    expect(b.state).toBe(OPEN);
    expect(changes).toEqual([[OPEN, 9]]);
    expect(b.allow(500)).toBe(-1);
    expect(b.allow(1008)).toBe(-1);
  });

  it("half-opens after openMs, lets `probes` calls through, and closes when they succeed", () => {
    const b = breaker();
    for (let i = 0; i < 10; i++) b.record(false, i, b.allow(i));
    const t1 = b.allow(1009);
    expect(b.state).toBe(HALF_OPEN);
    const t2 = b.allow(1010);
    expect(t1).toBeGreaterThanOrEqual(0);
    expect(t2).toBeGreaterThanOrEqual(0);
    expect(b.allow(1011)).toBe(-1); // only two probes
    b.record(true, 1020, t1);
    expect(b.state).toBe(HALF_OPEN);
    b.record(true, 1021, t2);
    expect(b.state).toBe(CLOSED);
    // a fresh window: one failure does not reopen it
    b.record(false, 1030, b.allow(1030));
    expect(b.state).toBe(CLOSED);
  });

  it("reopens when the probes fail, and ignores answers to calls sent before it opened", () => {
    const b = breaker();
    const early = b.allow(0);
    for (let i = 1; i <= 10; i++) b.record(false, i, b.allow(i));
    expect(b.state).toBe(OPEN);
    const p1 = b.allow(1100);
    const p2 = b.allow(1100);
    b.record(true, 1101, early); // sent while closed: not a probe
    expect(b.state).toBe(HALF_OPEN);
    b.record(false, 1102, p1);
    b.record(true, 1103, p2); // 50% of the probes failed: the threshold is reached
    expect(b.state).toBe(OPEN);
    expect(b.openedAt).toBe(1103);
  });

  it("never opens while the failure rate of the last window calls stays below the threshold", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 300 }), (outcomes) => {
        const b = new CircuitBreaker({ failureRate: 0.5, window: 10, minCalls: 5, openMs: 1000, probes: 1 });
        const seen: boolean[] = [];
        outcomes.forEach((ok, t) => {
          const ticket = b.allow(t);
          if (ticket < 0) return;
          const wasClosed = b.state === CLOSED;
          b.record(ok, t, ticket);
          seen.push(ok);
          if (wasClosed && b.state === OPEN) {
            const last = seen.slice(-10);
            expect(last.length).toBeGreaterThanOrEqual(5);
            expect(last.filter((x) => !x).length / last.length).toBeGreaterThanOrEqual(0.5);
          }
          if (b.state !== CLOSED) seen.length = 0;
        });
      }),
    );
  });
});
