// Open-loop arrival processes: how many requests a workload issues, and when.
// A zero-latency network and a zero-time step make every request complete at
// the instant it is issued, so the per-second `throughput` series counts
// arrivals per second exactly.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runText } from "./support/run.js";

const design = (arrival: string, duration: number) => `
duration: ${duration}ms
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: api
    arrival: ${arrival}
    routes: [{ route: GET /x }]
  api:
    kind: service
    concurrency: 1
    routes: { "GET /x": [{ compute: 0ms }] }
`;

/**
 * Per-second counts of requests answered, indexed from the end of each series
 * so that each value is paired with the second it closes (value i belongs to
 * the window (t[i] − 1 s, t[i]]). Every series ends with the last tick; the
 * alignment test below checks that they also start with the first one.
 */
function perSecond(r: Report, name: string): number[] {
  const v = r.series[name];
  return v.slice(v.length - r.series.t.length);
}

/** Requests answered per second: successes (`throughput`) plus failures (`errors`). */
function answered(r: Report): number[] {
  const ok = perSecond(r, "throughput");
  const failed = perSecond(r, "errors");
  return ok.map((x, i) => x + failed[i]);
}

/** Expected arrivals in each second (k−1, k], k = 1..seconds, by integrating the rate. */
function expectedPerSecond(rate: (tMs: number) => number, seconds: number): number[] {
  const out: number[] = [];
  const steps = 1000;
  for (let k = 0; k < seconds; k++) {
    let sum = 0;
    for (let j = 0; j < steps; j++) sum += rate(k * 1000 + ((j + 0.5) * 1000) / steps);
    out.push(sum / steps);
  }
  return out;
}

/** Sums of consecutive blocks of `size` seconds. */
function blocks(xs: number[], size: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + size <= xs.length; i += size)
    out.push(xs.slice(i, i + size).reduce((a, b) => a + b, 0));
  return out;
}

/** Each block's Poisson count is within 4 sd (+1) of its expectation. */
function expectBlocksMatch(actual: number[], expected: number[], size: number): void {
  const a = blocks(actual, size);
  const e = blocks(expected, size);
  expect(a.length).toBe(e.length);
  for (let i = 0; i < a.length; i++)
    expect(Math.abs(a[i] - e[i])).toBeLessThanOrEqual(4 * Math.sqrt(e[i]) + 1);
}

describe("arrival processes", () => {
  it("poisson at rate λ issues λT ± 4√(λT) requests", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 20, max: 3000, noNaN: true }),
        fc.integer({ min: 1000, max: 10000 }),
        fc.integer({ min: 1, max: 1e6 }),
        (rate, T, seed) => {
          const r = runText(design(`{ process: poisson, rate: ${rate}/s }`, T), [], { seed });
          const mean = (rate * T) / 1000;
          expect(Math.abs(r.requests.total - mean)).toBeLessThanOrEqual(4 * Math.sqrt(mean));
        },
      ),
      { numRuns: 20, seed: 7 },
    );
  });

  it("poisson counts per second are dispersed like a Poisson law (variance ≈ mean); constant ones are not", () => {
    const seconds = 100;
    const r = runText(design("{ process: poisson, rate: 500/s }", seconds * 1000), [], { seed: 3 });
    const xs = answered(r);
    expect(xs).toHaveLength(seconds);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
    // index of dispersion of 100 Poisson counts: 1 ± √(2/99) ≈ ±0.14; 4 sd
    expect(Math.abs(v / m - 1)).toBeLessThan(0.57);
    expect(Math.abs(m - 500)).toBeLessThan((4 * Math.sqrt(500)) / Math.sqrt(seconds));

    const c = answered(
      runText(design("{ process: constant, rate: 500/s }", seconds * 1000), [], { seed: 3 }),
    );
    for (const x of c.slice(1)) expect(Math.abs(x - 500)).toBeLessThanOrEqual(1);
  });

  it("constant at rate λ issues floor(λT) requests, ±1", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 5000, noNaN: true }),
        fc.integer({ min: 1000, max: 20000 }),
        (rate, T) => {
          const r = runText(design(`{ process: constant, rate: ${rate}/s }`, T), [], { seed: 1 });
          expect(Math.abs(r.requests.total - Math.floor((rate * T) / 1000))).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 30, seed: 11 },
    );
  });

  it("a spike multiplies the rate during its window and only then", () => {
    const rate = 200;
    const at = 10000;
    const len = 5000;
    const mult = 5;
    const r = runText(
      design(`{ process: spike, rate: ${rate}/s, at: ${at}ms, multiplier: ${mult}, for: ${len}ms }`, 25000),
      [],
      { seed: 8 },
    );
    const xs = answered(r);
    const inside = xs.slice(10, 15); // seconds (10,11] .. (14,15]
    const outside = [...xs.slice(0, 10), ...xs.slice(15)];
    const mIn = inside.reduce((a, b) => a + b, 0) / inside.length;
    const mOut = outside.reduce((a, b) => a + b, 0) / outside.length;
    // means of 5 and 20 Poisson seconds: sd ≈ 20 and ≈ 3.2
    expect(Math.abs(mIn - rate * mult)).toBeLessThan(4 * Math.sqrt((rate * mult) / 5));
    expect(Math.abs(mOut - rate)).toBeLessThan(4 * Math.sqrt(rate / 20));
    expect(mIn / mOut).toBeGreaterThan(4);
    expect(mIn / mOut).toBeLessThan(6);
    expectBlocksMatch(
      xs,
      expectedPerSecond((t) => (t >= at && t < at + len ? rate * mult : rate), 25),
      5,
    );
  });

  it("a ramp's rate rises linearly from `from` to `to` and then holds", () => {
    const from = 100;
    const to = 1100;
    const start = 5000;
    const over = 20000;
    const r = runText(
      design(`{ process: ramp, from: ${from}/s, to: ${to}/s, over: ${over}ms, start: ${start}ms }`, 30000),
      [],
      { seed: 9 },
    );
    const xs = answered(r);
    const rate = (t: number) =>
      t <= start ? from : t >= start + over ? to : from + ((to - from) * (t - start)) / over;
    expectBlocksMatch(xs, expectedPerSecond(rate, 30), 5);
    // least-squares slope over the ramp's seconds ≈ (to − from)/over = 50 per s per s
    const ramp = xs.slice(5, 25);
    const n = ramp.length;
    const xm = (n - 1) / 2;
    const ym = ramp.reduce((a, b) => a + b, 0) / n;
    let sxy = 0;
    let sxx = 0;
    ramp.forEach((y, i) => {
      sxy += (i - xm) * (y - ym);
      sxx += (i - xm) ** 2;
    });
    // slope sd = √(Σ var_i (i−xm)²)/sxx with var_i ≤ 1100: ≈ 1.3
    expect(Math.abs(sxy / sxx - 50)).toBeLessThan(6);
  });

  it("a diurnal cycle peaks at peakAt and bottoms out half a period later", () => {
    const min = 100;
    const max = 900;
    const period = 20000;
    const peakAt = 5000;
    const r = runText(
      design(
        `{ process: diurnal, min: ${min}/s, max: ${max}/s, period: ${period}ms, peakAt: ${peakAt}ms }`,
        40000,
      ),
      [],
      { seed: 10 },
    );
    const xs = answered(r);
    const rate = (t: number) =>
      min + ((max - min) * (1 + Math.cos((2 * Math.PI * (t - peakAt)) / period))) / 2;
    expectBlocksMatch(xs, expectedPerSecond(rate, 40), 4);
    // the busiest seconds are around 5 s and 25 s, the quietest around 15 s and 35 s
    expect(xs[4] + xs[5]).toBeGreaterThan(2 * 800);
    expect(xs[14] + xs[15]).toBeLessThan(2 * 200);
  });
});

describe("per-second series", () => {
  it("every request series has one value per tick, aligned with t (value i is the second ending at t[i])", () => {
    // 100 requests per second at exactly k·10 ms, answered at once: the first
    // second (0 s, 1 s] holds 99 or 100 of them
    const r = runText(design("{ process: constant, rate: 100/s }", 5000), [], { seed: 1 });
    const t = r.series.t;
    expect(t).toEqual([1, 2, 3, 4, 5]);
    for (const [name, values] of Object.entries(r.series))
      expect({ name, length: values.length }).toEqual({ name, length: t.length });
    expect(r.series.throughput[0]).toBeGreaterThanOrEqual(99);
    // component series already line up
    expect((r.components.api.series as { utilization: number[] }).utilization).toHaveLength(t.length);
  });
});
