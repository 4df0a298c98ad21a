// Metrics: the fast HdrHistogram path must give exactly what the library's own
// recordValue gives; time-weighted levels integrate exactly.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LatencyRecorder, newHistogram, recordFast } from "../src/metrics/latency.js";
import { RequestMetrics } from "../src/metrics/requests.js";
import { TimeWeighted } from "../src/metrics/time-weighted.js";

describe("recordFast", () => {
  it("puts every value in the same counter as the library does", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 86_400_000_000 }), { minLength: 1, maxLength: 300 }),
        (values) => {
          const a = newHistogram();
          const b = newHistogram();
          for (const v of values) {
            a.recordValue(v);
            recordFast(b, v);
          }
          expect(b.totalCount).toBe(a.totalCount);
          expect(b.maxValue).toBe(a.maxValue);
          expect(b.minNonZeroValue).toBe(a.minNonZeroValue);
          for (const p of [0, 1, 25, 50, 90, 99, 99.9, 100])
            expect(b.getValueAtPercentile(p)).toBe(a.getValueAtPercentile(p));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps three significant digits of a latency", () => {
    const r = new LatencyRecorder();
    for (let i = 1; i <= 100_000; i++) r.record(i / 100); // 0.01ms .. 1000ms uniformly
    expect(r.percentile(50)).toBeCloseTo(500, -1);
    expect(Math.abs(r.percentile(99) / 990 - 1)).toBeLessThan(0.001);
    expect(r.summary().mean).toBeCloseTo(500.005, 6);
  });
});

describe("LatencyRecorder percentiles", () => {
  it("are ordered, never above the largest latency recorded, and within the histogram's precision of the exact ones", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 600_000, noNaN: true }), { minLength: 1, maxLength: 200 }),
        (values) => {
          const r = new LatencyRecorder();
          for (const v of values) r.record(v);
          const sorted = [...values].sort((a, b) => a - b);
          let prev = 0;
          for (const p of [50, 90, 95, 99, 99.9, 100]) {
            const got = r.percentile(p);
            expect(got).toBeGreaterThanOrEqual(prev);
            expect(got).toBeLessThanOrEqual(r.max);
            // the exact order statistic HdrHistogram targets: the ceil(p% x n)-th smallest
            const exact = sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
            // 3 significant digits, and values are recorded in whole microseconds
            expect(Math.abs(got - exact)).toBeLessThanOrEqual(exact * 2e-3 + 1e-3);
            prev = got;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("TimeWeighted", () => {
  it("integrates a level over time exactly", () => {
    const t = new TimeWeighted();
    t.change(2, 0); // 2 from 0 to 10
    t.change(-1, 10); // 1 from 10 to 30
    expect(t.integral(30)).toBe(2 * 10 + 1 * 20);
    expect(t.takeWindow(30)).toBe(40);
    t.change(3, 35); // 1 from 30 to 35, 4 from 35 to 40
    expect(t.takeWindow(40)).toBe(5 + 20);
    expect(t.max).toBe(4);
  });
});

describe("RequestMetrics series", () => {
  it("has one value per closed second in every column, including causes that appear late", () => {
    const m = new RequestMetrics(["ok", "error", "timeout"], 1);
    m.record(0, 0, 5);
    m.record(0, 0, 7);
    m.tick(1);
    m.record(0, 2, 100); // the first timeout, in the second second
    m.record(0, 0, 9);
    m.tick(2);
    m.tick(3);
    const s = m.series.toJSON();
    expect(s.t).toEqual([1, 2, 3]);
    expect(s.throughput).toEqual([2, 1, 0]);
    expect(s.errors).toEqual([0, 1, 0]);
    expect(s["errors:timeout"]).toEqual([0, 1, 0]);
    for (const col of Object.values(s)) expect(col.length).toBe(3);
  });
});
