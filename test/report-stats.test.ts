// Confidence intervals over seeds: Student t quantiles against published
// values and closed forms, and the interval's coverage on normal samples.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { estimate, incompleteBeta, studentTCdf, studentTQuantile } from "../src/report/stats.js";

describe("Student t quantiles", () => {
  it("match the two-sided 95% and 99% table values for small samples", () => {
    // t(0.975, df) and t(0.995, df), as printed in every statistics table
    const t975: [number, number][] = [
      [1, 12.706],
      [2, 4.303],
      [3, 3.182],
      [4, 2.776],
      [5, 2.571],
      [9, 2.262],
      [10, 2.228],
      [29, 2.045],
      [120, 1.98],
    ];
    for (const [df, t] of t975) expect(studentTQuantile(0.975, df), `df=${df}`).toBeCloseTo(t, 3);
    expect(studentTQuantile(0.995, 1)).toBeCloseTo(63.657, 3);
    expect(studentTQuantile(0.995, 5)).toBeCloseTo(4.032, 3);
    expect(studentTQuantile(0.995, 30)).toBeCloseTo(2.75, 3);
  });

  it("agree with the closed forms for 1 and 2 degrees of freedom", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.501, max: 0.999, noNaN: true }), (p) => {
        // Cauchy: tan(pi (p - 1/2)); df = 2: (2p - 1) / sqrt(2 p (1 - p))
        expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 6);
        expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 8);
      }),
    );
  });

  it("tend to the normal quantile 1.95996 as the degrees of freedom grow", () => {
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.95996, 4);
  });

  it("invert the CDF, and are odd around the median", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.integer({ min: 1, max: 200 }),
        (p, df) => {
          expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 9);
          expect(studentTQuantile(1 - p, df)).toBeCloseTo(-studentTQuantile(p, df), 8);
        },
      ),
    );
  });

  it("rest on an incomplete beta function with the known special cases", () => {
    // I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b
    for (const x of [0.1, 0.5, 0.9]) {
      expect(incompleteBeta(x, 3, 1)).toBeCloseTo(x ** 3, 12);
      expect(incompleteBeta(x, 1, 4)).toBeCloseTo(1 - (1 - x) ** 4, 12);
    }
  });

  it("refuse probabilities outside (0, 1) and fewer than one degree of freedom", () => {
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(0.9, 0)).toThrow(RangeError);
  });
});

describe("estimate", () => {
  it("gives the mean, the sample standard deviation and t(0.975, n-1) s / sqrt(n)", () => {
    const e = estimate([1, 2, 3, 4, 5]);
    expect(e.mean).toBe(3);
    expect(e.sd).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(e.ci95).toBeCloseTo((2.776445 * Math.sqrt(2.5)) / Math.sqrt(5), 5);
  });

  it("has no interval for a single replication", () => {
    expect(estimate([7])).toEqual({ n: 1, mean: 7, sd: 0, ci95: null });
  });

  it("covers the true mean of normal samples 95% of the time", () => {
    // mulberry32 and Box-Muller: a fixed, self-contained normal source
    let s = 12345;
    const uniform = () => {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    const trials = 4000;
    for (const n of [3, 5, 10]) {
      let covered = 0;
      for (let i = 0; i < trials; i++) {
        const e = estimate(Array.from({ length: n }, () => 10 + 2 * normal()));
        if (Math.abs(e.mean - 10) <= e.ci95!) covered++;
      }
      // binomial standard error sqrt(0.95 * 0.05 / 4000) = 0.0034; allow 4 of them
      expect(covered / trials, `n=${n}`).toBeGreaterThan(0.95 - 4 * 0.0034);
      expect(covered / trials, `n=${n}`).toBeLessThan(0.95 + 4 * 0.0034);
    }
  });
});
