import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DesignError, formatDiagnostic, UnitError } from "../src/design/errors.js";
import { didYouMean, levenshtein } from "../src/design/suggest.js";
import {
  formatDuration,
  formatRate,
  formatSize,
  parseBandwidth,
  parseCount,
  parseDistribution,
  parseDuration,
  parseKeyRange,
  parsePercent,
  parseRate,
  parseSize,
} from "../src/design/units.js";
import type { DistSpec } from "../src/kernel/distributions.js";

/** Runs `f` and returns the UnitError it throws (failing the test if it does not). */
function unitError(f: () => unknown): UnitError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UnitError);
    return e as UnitError;
  }
  throw new Error("expected a UnitError");
}

type Reject = [input: string | number, message: string, suggestion?: string];

function rejects(parse: (x: string | number) => unknown, expected: string, cases: Reject[]) {
  it.each(cases)("rejects %j", (input, message, suggestion) => {
    const e = unitError(() => parse(input));
    expect(e.message).toContain(message);
    expect(e.expected).toContain(expected);
    expect(e.suggestion).toBe(suggestion);
  });
}

describe("parseDuration", () => {
  it.each<[string | number, number]>([
    ["250ms", 250],
    ["250 ms", 250],
    [" 2s ", 2000],
    ["1.5m", 90_000],
    ["2min", 120_000],
    ["1h", 3_600_000],
    ["1d", 86_400_000],
    ["500us", 0.5],
    ["500µs", 0.5],
    ["500μs", 0.5],
    ["100ns", 0.0001],
    ["1e3ms", 1000],
    ["1.5e-3s", 1.5],
    [".5s", 500],
    ["1_000ms", 1000],
    ["1h30m", 5_400_000],
    ["1m 30s", 90_000],
    ["0", 0],
    [0, 0],
    ["0s", 0],
  ])("%j → %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  rejects(parseDuration, "a duration such as 250ms", [
    [250, "250 has no unit"],
    ["250", "250 has no unit"],
    ["-5ms", "negative"],
    [-1, "negative"],
    ["10 secs", 'unknown duration unit "secs"', "10s"],
    ["10sec", 'unknown duration unit "sec"', "10s"],
    ["250mS", 'unknown duration unit "mS"', "250ms"],
    ["3 hours", 'unknown duration unit "hours"', "3h"],
    ["1h 30 mins", 'unknown duration unit "mins"', "1h 30m"],
    ["2w", "weeks are not a unit", "14d"],
    ["1,000ms", "without commas", "1_000ms"],
    ["5MB/s", "is a bandwidth (size per time), not a duration"],
    ["10k/s", "is a rate, not a duration"],
    ["64MiB", "is a size, not a duration"],
    ["50%", "is a percentage, not a duration"],
    ["fast", '"fast" is not a duration'],
    ["exp(5ms)", "is a distribution, but this field takes a single value"],
    ["10 fortnights", 'unknown duration unit "fortnights"'],
    ["", "empty duration"],
    ["1e400ms", "too large"],
    [Number.POSITIVE_INFINITY, "too large"],
    [Number.NaN, "not a number"],
  ]);

  it("lists the units when the unit is unknown", () => {
    expect(unitError(() => parseDuration("10 fortnights")).expected).toContain(
      "ns, us (µs), ms, s, m (min), h, d",
    );
  });

  it("explains how to write a bare number", () => {
    expect(unitError(() => parseDuration(250)).hint).toContain("250ms");
  });

  it("rejects values that are not strings or numbers", () => {
    expect(unitError(() => parseDuration(true as unknown as string)).message).toContain("got boolean true");
  });
});

describe("parseRate", () => {
  it.each<[string | number, number]>([
    ["10k/s", 10_000],
    ["10K/s", 10_000],
    ["500/s", 500],
    ["500 / s", 500],
    ["100/min", 100 / 60],
    ["120/m", 2],
    ["3.6k/h", 1],
    ["2/ms", 2000],
    ["1/us", 1e6],
    ["10krps", 10_000],
    ["10k rps", 10_000],
    ["50qps", 50],
    ["1.5M/s", 1_500_000],
    ["2G/s", 2e9],
    ["86.4k/d", 1],
    [500, 500],
    ["500", 500],
    ["10k", 10_000],
    [0, 0],
  ])("%j → %d per second", (input, perSec) => {
    expect(parseRate(input)).toBe(perSec);
  });

  rejects(parseRate, "a rate such as 500/s", [
    ["10 req/s", "not written as a rate", "10/s"],
    ["10k/sec", "not written as a rate", "10k/s"],
    ["100 per minute", "not written as a rate", "100/min"],
    ["10rpm", "not written as a rate", "10/min"],
    ["10 RPS", "not written as a rate", "10/s"],
    ["5MB/s", "is a bandwidth (size per time), not a rate"],
    ["5ms", "is a duration, not a rate"],
    ["10m/s", '"m" is not a multiplier'],
    ["10/fortnight", 'unknown time unit "fortnight"'],
    ["-5/s", "negative"],
    ["1,000/s", "without commas", "1_000/s"],
    ["lots", '"lots" is not a rate'],
  ]);
});

describe("parseSize", () => {
  it.each<[string | number, number]>([
    ["512B", 512],
    ["512b", 512],
    ["4KB", 4000],
    ["4kb", 4000],
    ["4 kB", 4000],
    ["1.1KB", 1100],
    ["64MB", 64e6],
    ["1.5GB", 1.5e9],
    ["2TB", 2e12],
    ["1KiB", 1024],
    ["1.5KiB", 1536],
    ["64MiB", 64 * 2 ** 20],
    ["64mib", 64 * 2 ** 20],
    ["4GiB", 4 * 2 ** 30],
    ["1TiB", 2 ** 40],
    ["1e3B", 1000],
    [4096, 4096],
    ["4096", 4096],
  ])("%j → %d bytes", (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  rejects(parseSize, "a size such as 512B", [
    ["64M", 'unknown size unit "M"', "64MiB"],
    ["2 bytes", 'unknown size unit "bytes"', "2B"],
    ["3 megabytes", 'unknown size unit "megabytes"', "3MB"],
    ["10ms", "is a duration, not a size"],
    ["5MB/s", "is a bandwidth (size per time), not a size"],
    ["4XB", 'unknown size unit "XB"'],
    ["-1KB", "negative"],
    ["1,024B", "without commas", "1_024B"],
  ]);

  it("points at the decimal alternative of a binary guess", () => {
    expect(unitError(() => parseSize("64M")).hint).toBe("or 64MB for powers of 1000");
  });
});

describe("parseBandwidth", () => {
  it.each<[string, number]>([
    ["10Gbps", 1.25e9],
    ["100Mbps", 12.5e6],
    ["100 Mbit/s", 12.5e6],
    ["1Gb/s", 1.25e8],
    ["8kbps", 1000],
    ["50MB/s", 50e6],
    ["1GiB/s", 2 ** 30],
    ["10KB/ms", 10e6],
    ["60MB/min", 1e6],
    ["20MBps", 20e6],
  ])("%j → %d bytes/s", (input, perSec) => {
    expect(parseBandwidth(input)).toBeCloseTo(perSec, 6);
  });

  rejects(parseBandwidth, "a bandwidth such as 10Gbps", [
    [100, "has no unit"],
    ["64MB", "is a size, not a bandwidth", "64MB/s"],
    ["10gb/s", 'is "gb" bits or bytes?'],
    ["10MB/fortnight", 'unknown time unit "fortnight"'],
    ["500/s", "is a rate, not a bandwidth"],
    ["0Gbps", "must be greater than zero"],
    ["fast", "is not a bandwidth"],
  ]);

  it("says how to write bits and bytes when the case is ambiguous", () => {
    expect(unitError(() => parseBandwidth("10gb/s")).hint).toBe("write 10Gb/s for bits or 10GB/s for bytes");
  });
});

describe("parseCount", () => {
  it.each<[string | number, number]>([
    ["1e6", 1e6],
    ["10k", 10_000],
    ["10K", 10_000],
    ["2.5M", 2_500_000],
    ["3G", 3e9],
    ["1_000_000", 1_000_000],
    ["100", 100],
    [100, 100],
    ["0.5", 0.5],
    ["-3", -3],
  ])("%j → %d", (input, n) => {
    expect(parseCount(input)).toBe(n);
  });

  rejects(parseCount, "a count such as 100, 10k or 1e6", [
    ["1,000,000", "without commas", "1_000_000"],
    ["10m", '"m" is not a multiplier', "10M"],
    ["10 million", 'unknown multiplier "million"', "10M"],
    ["2bn", 'unknown multiplier "bn"', "2G"],
    ["10MB", "is a size, not a count"],
    ["1.5%", "is a percentage, not a count"],
    ["many", '"many" is not a count'],
    [Number.POSITIVE_INFINITY, "too large"],
    ["1e999", "too large"],
  ]);
});

describe("parseKeyRange", () => {
  it.each<[string | number, [number, number]]>([
    [42, [42, 42]],
    ["42", [42, 42]],
    ["10..20", [10, 20]],
    ["10 .. 20", [10, 20]],
    ["1M..2M", [1e6, 2e6]],
    ["0..1_000", [0, 1000]],
    ["7..7", [7, 7]],
  ])("%j → %j", (input, range) => {
    expect(parseKeyRange(input)).toEqual(range);
  });

  rejects(parseKeyRange, "a key such as 42 or 10k, or a range of keys a..b", [
    ["10-20", "is not a key or a range of keys", "10..20"],
    ["10...20", "is not a key or a range of keys", "10..20"],
    ["1..2..3", "is not a key or a range of keys"],
    ["20..10", "is an empty range: 20 is above 10", "10..20"],
    ["1.5", "keys are whole numbers"],
    [-1, "keys are whole numbers"],
    ["1e16", "keys are whole numbers"],
    ["..5", "empty count"],
    ["1m..2m", '"m" is not a multiplier', "1M"],
  ]);
});

describe("parsePercent", () => {
  it.each<[string | number, number]>([
    ["99.9%", 0.999],
    ["99.99%", 0.9999],
    ["1%", 0.01],
    ["0.5 %", 0.005],
    ["100%", 1],
    ["0%", 0],
    ["0.999", 0.999],
    [0.5, 0.5],
    [1, 1],
    [0, 0],
  ])("%j → %d", (input, fraction) => {
    expect(parsePercent(input)).toBe(fraction);
  });

  rejects(parsePercent, "a percentage such as 99.9%", [
    [99.9, "99.9 is not a fraction between 0 and 1", "99.9%"],
    ["50", "50 is not a fraction between 0 and 1", "50%"],
    ["150%", "outside 0% to 100%"],
    ["-1%", "outside 0% to 100%"],
    [-0.5, "outside 0% to 100%"],
    ["99,9%", "use a decimal point", "99.9%"],
    ["99.9 pct", "write % for percent", "99.9%"],
    ["5ms", "is a duration, not a percentage"],
    ["high", '"high" is not a percentage'],
  ]);
});

describe("formatting", () => {
  it.each<[number, string]>([
    [0, "0ms"],
    [12.3, "12.3ms"],
    [250, "250ms"],
    [1500, "1.50s"],
    [0.95, "950µs"],
    [0.0005, "500ns"],
    [0.99997, "1.00ms"],
    [59_999, "1.00m"],
    [90_000, "1.50m"],
    [5 * 3_600_000, "5.00h"],
    [2 * 86_400_000, "2.00d"],
    [1e12, "11574d"],
    [-1500, "-1.50s"],
    [Number.POSITIVE_INFINITY, "∞"],
  ])("formatDuration(%d) = %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each<[number, string]>([
    [0, "0/s"],
    [500, "500/s"],
    [10_000, "10k/s"],
    [12_345, "12.3k/s"],
    [999.95, "1k/s"],
    [1_234_567, "1.23M/s"],
    [2e12, "2T/s"],
    [0.5, "30/min"],
    [1 / 60, "1/min"],
    [0.001, "3.6/h"],
  ])("formatRate(%d) = %s", (perSec, text) => {
    expect(formatRate(perSec)).toBe(text);
  });

  it.each<[number, string]>([
    [0, "0B"],
    [512, "512B"],
    [1023, "1023B"],
    [1024, "1KiB"],
    [1536, "1.5KiB"],
    [1000, "1KB"],
    [2000, "2KB"],
    [1100, "1.1KB"],
    [64 * 2 ** 20, "64MiB"],
    [4e9, "4GB"],
    [4 * 2 ** 30, "4GiB"],
    [1023.7 * 1024, "1MiB"],
    [1e6, "1MB"],
  ])("formatSize(%d) = %s", (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  const close = (a: number, b: number) => Math.abs(a - b) <= 0.005 * Math.abs(b) * (1 + 1e-9);

  it("formatDuration round-trips through parseDuration to three significant digits", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-7, max: 1e11, noNaN: true }), (ms) => {
        expect(close(parseDuration(formatDuration(ms)), ms)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("formatRate and formatSize round-trip through their parsers", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e12, noNaN: true }), (v) => {
        expect(close(parseRate(formatRate(v)), v)).toBe(true);
        expect(close(parseSize(formatSize(v)), v)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("parseCount reads back every integer it is given as text", () => {
    fc.assert(
      fc.property(fc.integer(), (n) => {
        expect(parseCount(String(n))).toBe(n);
      }),
    );
  });
});

describe("parseDistribution", () => {
  it.each<[string | number, DistSpec]>([
    ["5ms", { type: "constant", value: 5 }],
    [0, { type: "constant", value: 0 }],
    ["const(5ms)", { type: "constant", value: 5 }],
    ["constant( 5 ms )", { type: "constant", value: 5 }],
    ["exp(10ms)", { type: "exponential", mean: 10 }],
    ["Exponential(mean=10ms)", { type: "exponential", mean: 10 }],
    ["exp(rate=100/s)", { type: "exponential", mean: 10 }],
    ["uniform(1ms, 3ms)", { type: "uniform", min: 1, max: 3 }],
    ["uniform(min=1ms, max=3s)", { type: "uniform", min: 1, max: 3000 }],
    ["normal(10ms, 2ms)", { type: "normal", mean: 10, stddev: 2 }],
    ["normal(mean=10ms, sd=3ms)", { type: "normal", mean: 10, stddev: 3 }],
    ["lognormal(median=5ms, p99=50ms)", { type: "lognormal", median: 5, p99: 50 }],
    ["lognormal(mu=1.2, sigma=0.5)", { type: "lognormal", mu: 1.2, sigma: 0.5 }],
    ["lognormal(median=1ms, sigma=0.5)", { type: "lognormal", mu: 0, sigma: 0.5 }],
    ["pareto(scale=1ms, shape=2.5)", { type: "pareto", scale: 1, shape: 2.5 }],
    ["pareto(1ms, 2.5)", { type: "pareto", scale: 1, shape: 2.5 }],
    ["weibull(scale=10ms, shape=1.5)", { type: "weibull", scale: 10, shape: 1.5 }],
    ["empirical(1ms, 2ms, 10ms)", { type: "empirical", values: [1, 2, 10] }],
    ["empirical(1ms: 5, 10ms: 1)", { type: "empirical", values: [1, 10], weights: [5, 1] }],
    [
      "histogram(0ms..1ms: 5, 1ms..10ms: 1)",
      {
        type: "histogram",
        buckets: [
          { from: 0, to: 1, weight: 5 },
          { from: 1, to: 10, weight: 1 },
        ],
      },
    ],
    [
      "mix(0.9: exp(1ms), 0.1: exp(50ms))",
      {
        type: "mixture",
        parts: [
          { weight: 0.9, dist: { type: "exponential", mean: 1 } },
          { weight: 0.1, dist: { type: "exponential", mean: 50 } },
        ],
      },
    ],
    [
      " MIX( 90% : EXP( 1ms ) , 10% : mix(1: const(50ms), 1: uniform(1s, 2s)) ) ",
      {
        type: "mixture",
        parts: [
          { weight: 0.9, dist: { type: "exponential", mean: 1 } },
          {
            weight: 0.1,
            dist: {
              type: "mixture",
              parts: [
                { weight: 1, dist: { type: "constant", value: 50 } },
                { weight: 1, dist: { type: "uniform", min: 1000, max: 2000 } },
              ],
            },
          },
        ],
      },
    ],
  ])("%j (durations)", (input, spec) => {
    expect(parseDistribution(input, "duration")).toEqual(spec);
  });

  it("converts values with the unit of the field", () => {
    expect(parseDistribution("uniform(1KiB, 4KiB)", "size")).toEqual({
      type: "uniform",
      min: 1024,
      max: 4096,
    });
    expect(parseDistribution("exp(64KB)", "size")).toEqual({ type: "exponential", mean: 64_000 });
    expect(parseDistribution("empirical(1, 10k)", "count")).toEqual({
      type: "empirical",
      values: [1, 10_000],
    });
    expect(parseDistribution(12, "count")).toEqual({ type: "constant", value: 12 });
    // counts may go below zero, so the normal's 3-sigma rule does not apply to them
    expect(parseDistribution("normal(10, 5)", "count")).toEqual({ type: "normal", mean: 10, stddev: 5 });
  });

  it.each<[unknown, DistSpec]>([
    [
      { type: "constant", value: "5ms" },
      { type: "constant", value: 5 },
    ],
    [
      { type: "exponential", mean: "10ms" },
      { type: "exponential", mean: 10 },
    ],
    [
      { type: "exp", mean: 0.5 },
      { type: "exponential", mean: 0.5 },
    ],
    [
      { type: "uniform", min: "1ms", max: "3ms" },
      { type: "uniform", min: 1, max: 3 },
    ],
    [
      { type: "normal", mean: "10ms", stddev: "2ms" },
      { type: "normal", mean: 10, stddev: 2 },
    ],
    [
      { type: "lognormal", median: "5ms", p99: "50ms" },
      { type: "lognormal", median: 5, p99: 50 },
    ],
    [
      { type: "lognormal", mu: 1.2, sigma: "0.5" },
      { type: "lognormal", mu: 1.2, sigma: 0.5 },
    ],
    [
      { type: "pareto", scale: "1ms", shape: 2.5 },
      { type: "pareto", scale: 1, shape: 2.5 },
    ],
    [
      { type: "weibull", scale: "10ms", shape: 1.5 },
      { type: "weibull", scale: 10, shape: 1.5 },
    ],
    [
      { type: "empirical", values: ["1ms", "2s"] },
      { type: "empirical", values: [1, 2000] },
    ],
    [
      { type: "empirical", values: ["1ms", "2s"], weights: [3, "25%"] },
      { type: "empirical", values: [1, 2000], weights: [3, 0.25] },
    ],
    [
      { type: "histogram", buckets: [{ from: 0, to: "1ms", weight: 1 }] },
      { type: "histogram", buckets: [{ from: 0, to: 1, weight: 1 }] },
    ],
    [
      {
        type: "mixture",
        parts: [
          { weight: 0.9, dist: "exp(1ms)" },
          { weight: 0.1, dist: { type: "constant", value: "50ms" } },
        ],
      },
      {
        type: "mixture",
        parts: [
          { weight: 0.9, dist: { type: "exponential", mean: 1 } },
          { weight: 0.1, dist: { type: "constant", value: 50 } },
        ],
      },
    ],
  ])("object form %j", (input, spec) => {
    expect(parseDistribution(input, "duration")).toEqual(spec);
  });

  it.each<[unknown, string, string | undefined]>([
    ["expo(5ms)", 'unknown distribution "expo"', "exp(5ms)"],
    ["lognorml(median=5ms, p99=50ms)", 'unknown distribution "lognorml"', "lognormal(median=5ms, p99=50ms)"],
    ["exp(5 secs)", 'unknown duration unit "secs"', "exp(5s)"],
    [
      "mix(0.9: exp(1ms), 0.1: exp(50 sec))",
      'unknown duration unit "sec"',
      "mix(0.9: exp(1ms), 0.1: exp(50s))",
    ],
    ["exp(mena=5ms)", 'exp has no parameter "mena"', "exp(mean=5ms)"],
    ["exp", '"exp" needs its parameters', "exp(10ms)"],
    ["exp(5ms", 'missing ")" at character 8', undefined],
    ["exp(5ms))", 'unexpected ")"', undefined],
    ["uniform(1ms)", "missing max", undefined],
    ["uniform(3ms, 1ms)", "min (3.00ms) must be less than max (1.00ms)", undefined],
    ["uniform(1ms, 1ms)", "must be less than max", undefined],
    ["exp(0ms)", "the mean must be greater than zero", undefined],
    ["normal(10ms, 5ms)", "must be at least 3 standard deviations", undefined],
    ["normal(10ms, 0ms)", "the standard deviation must be greater than zero", undefined],
    ["lognormal(median=5ms, p99=1ms)", "p99 (1.00ms) must be greater than the median (5.00ms)", undefined],
    ["lognormal(median=0ms, p99=1ms)", "the median must be greater than zero", undefined],
    ["lognormal(mu=1, sigma=0)", "sigma must be greater than zero", undefined],
    ["lognormal(5ms, 50ms)", "lognormal takes named parameters only", undefined],
    ["lognormal(median=5ms)", "give median and p99, or mu and sigma", undefined],
    ["pareto(scale=1ms, shape=0)", "the shape must be greater than zero", undefined],
    ["weibull(scale=0ms, shape=1)", "the scale must be greater than zero", undefined],
    ["pareto(scale=1ms, shape=2ms)", '"2ms" is not a plain number', undefined],
    ["empirical()", "needs at least one value", undefined],
    ["empirical(1ms: 1, 2ms)", "weight every value or none", undefined],
    ["empirical(1ms: 0, 2ms: 1)", "weights must be greater than zero", undefined],
    ["mix(0.9: exp(1ms), exp(5ms))", "each part is written weight: distribution", undefined],
    ["mix(-1: exp(1ms))", "weights must be greater than zero", undefined],
    ["exp(uniform(1ms, 2ms))", "is used where a value belongs", undefined],
    ["fast", '"fast" is not a duration', undefined],
    ["exp(-5ms)", "negative", undefined],
    [{ type: "exponential", maen: "10ms" }, 'exponential has no field "maen"', "mean"],
    [{ type: "expnential", mean: "10ms" }, 'unknown distribution type "expnential"', "exponential"],
    [{ mean: "10ms" }, "needs a type", undefined],
    [{ type: "uniform", min: "1ms" }, "missing max", undefined],
    [{ type: "uniform", min: "3ms", max: "1ms" }, "min (3.00ms) must be less than max (1.00ms)", undefined],
    [{ type: "exponential", mean: "10 secs" }, 'mean: "10 secs": unknown duration unit "secs"', "10s"],
    [{ type: "empirical", values: ["1ms"], weights: [1, 2] }, "1 values but 2 weights", undefined],
    [
      { type: "mixture", parts: [{ weight: 1, dist: { type: "exp", mean: 0 } }] },
      "mean must be greater than zero",
      undefined,
    ],
    [{ type: "exponential", mean: -1 }, "mean: -1 is negative", undefined],
    [[1, 2], "expected a distribution, got a list", undefined],
  ])("rejects %j", (input, message, suggestion) => {
    const e = unitError(() => parseDistribution(input, "duration"));
    expect(e.message).toContain(message);
    expect(e.suggestion).toBe(suggestion);
    expect(e.expected.length).toBeGreaterThan(0);
  });

  it("explains why a wide normal is rejected", () => {
    const e = unitError(() => parseDistribution("normal(10ms, 5ms)", "duration"));
    expect(e.hint).toContain("negative draws are redrawn");
    expect(e.hint).toContain("lognormal");
  });

  it("names the accepted forms in `expected`", () => {
    expect(unitError(() => parseDistribution("expo(5ms)", "duration")).expected).toContain("exp(10ms)");
    expect(unitError(() => parseDistribution("uniform(3ms, 1ms)", "duration")).expected).toBe(
      "uniform(min, max) with min < max, e.g. uniform(1ms, 3ms)",
    );
    expect(unitError(() => parseDistribution("uniform(3KiB, 1KiB)", "size")).expected).toContain(
      "uniform(1KiB, 4KiB)",
    );
  });
});

describe("suggest", () => {
  it.each<[string, string, number]>([
    ["", "", 0],
    ["abc", "", 3],
    ["kitten", "sitting", 3],
    ["reigon", "region", 1],
    ["ca", "abc", 3], // optimal string alignment: no edits of a transposed pair
    ["service", "service", 0],
  ])("levenshtein(%j, %j) = %d", (a, b, d) => {
    expect(levenshtein(a, b)).toBe(d);
    expect(levenshtein(b, a)).toBe(d);
  });

  it.each<[string, string[], string | undefined]>([
    ["reigon", ["region", "zone"], "region"],
    ["Exp", ["exp", "uniform"], "exp"],
    ["expo", ["exp", "exponential"], "exp"],
    ["cat", ["hat", "bat"], "bat"], // equal distance: alphabetical
    ["load_balancer", ["loadBalancer", "cache"], "loadBalancer"],
    ["abc", ["xyz"], undefined],
    ["db", ["cache"], undefined],
    ["api", ["api"], undefined],
    ["instnaces", ["instances", "zones"], "instances"],
    ["lognorml", ["lognormal", "normal"], "lognormal"],
  ])("didYouMean(%j, %j) = %j", (input, candidates, out) => {
    expect(didYouMean(input, candidates)).toBe(out);
  });

  it("accepts any iterable", () => {
    expect(didYouMean("zon", new Set(["zone", "region"]))).toBe("zone");
  });
});

describe("diagnostics", () => {
  it("formats file:line:col, expected, suggestion and hint", () => {
    const d = {
      file: "design.yaml",
      line: 12,
      col: 16,
      path: ["components", "api", "timeout"],
      message: '"10 secs": unknown duration unit "secs"',
      expected: "a duration such as 250ms, 2s or 1.5m",
      suggestion: "10s",
      hint: "units are case-sensitive",
    };
    expect(formatDiagnostic(d)).toBe(
      [
        'design.yaml:12:16: "10 secs": unknown duration unit "secs"',
        "  expected: a duration such as 250ms, 2s or 1.5m",
        "  did you mean 10s?",
        "  hint: units are case-sensitive",
      ].join("\n"),
    );
    const err = new DesignError([d, { ...d, line: 0, col: 0, message: "no position", expected: undefined }]);
    expect(err.diagnostics).toHaveLength(2);
    expect(err.message).toContain("design.yaml:12:16:");
    expect(err.message).toContain("design.yaml: no position");
    expect(err.name).toBe("DesignError");
  });
});
