// Sweep parameters: ranges, steps, geometric factors and lists, with units;
// the grid of their combinations; knees on synthetic series.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Metric } from "../src/report/headline.js";
import { parameterAxis } from "../src/sweep/html.js";
import { detectKnee } from "../src/sweep/knee.js";
import { summarizeSweep } from "../src/sweep/summary.js";
import { cartesian, parseSweepSet, parseValues, SweepSpecError } from "../src/sweep/values.js";

describe("sweep values", () => {
  it("expands inclusive integer ranges", () => {
    expect(parseValues("2..6")).toEqual(["2", "3", "4", "5", "6"]);
    expect(parseValues("-1..1")).toEqual(["-1", "0", "1"]);
    expect(parseValues("4..4")).toEqual(["4"]);
  });

  it("takes a step, and includes the end when a step lands on it despite rounding", () => {
    expect(parseValues("0.1..0.5:0.1")).toEqual(["0.1", "0.2", "0.3", "0.4", "0.5"]);
    expect(parseValues("1000..3800:400")).toEqual([
      "1000",
      "1400",
      "1800",
      "2200",
      "2600",
      "3000",
      "3400",
      "3800",
    ]);
    expect(parseValues("0..10:4")).toEqual(["0", "4", "8"]);
  });

  it("takes a geometric factor", () => {
    expect(parseValues("1..16:x2")).toEqual(["1", "2", "4", "8", "16"]);
    expect(parseValues("1k/s..8k/s:x2")).toEqual(["1k/s", "2k/s", "4k/s", "8k/s"]);
  });

  it("keeps units on range ends and list values for the design's parser", () => {
    expect(parseValues("10ms..30ms:10ms")).toEqual(["10ms", "20ms", "30ms"]);
    expect(parseValues("1e4,200/s, 50ms")).toEqual(["1e4", "200/s", "50ms"]);
    expect(parseValues("[p99 < 50ms, p50 < 5ms]")).toEqual(["[p99 < 50ms, p50 < 5ms]"]);
  });

  it("gives (b - a) / step + 1 values for any integer range and step", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 1, max: 9 }),
        (a, len, step) => {
          const vs = parseValues(`${a}..${a + len}:${step}`).map(Number);
          expect(vs.length).toBe(Math.floor(len / step) + 1);
          vs.forEach((v, i) => expect(v).toBe(a + i * step));
        },
      ),
    );
  });

  it("rejects malformed specs with what was expected", () => {
    for (const spec of [
      "5..2",
      "1.5..3",
      "1..3:0",
      "1..3:-1",
      "1..8:x1",
      "0..8:x2",
      "1ms..3s",
      "a..b",
      "1,,2",
      "1..1e9",
    ]) {
      let err: unknown;
      try {
        parseValues(spec);
      } catch (e) {
        err = e;
      }
      expect(err, spec).toBeInstanceOf(SweepSpecError);
      expect((err as SweepSpecError).expected ?? (err as Error).message, spec).toBeTruthy();
    }
    expect(() => parseSweepSet("api.instances")).toThrow(/path=values/);
    expect(() => parseSweepSet("=3")).toThrow(SweepSpecError);
  });

  it("suggests the range the right way round", () => {
    try {
      parseValues("16..2");
    } catch (e) {
      expect((e as SweepSpecError).suggestion).toBe("2..16");
    }
  });
});

describe("the grid", () => {
  it("holds every combination once, the first parameter varying slowest", () => {
    const g = cartesian([
      { path: "a", values: ["1", "2"] },
      { path: "b", values: ["x", "y", "z"] },
    ]);
    expect(g).toEqual([
      ["1", "x"],
      ["1", "y"],
      ["1", "z"],
      ["2", "x"],
      ["2", "y"],
      ["2", "z"],
    ]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), (sizes) => {
        const params = sizes.map((n, i) => ({
          path: `p${i}`,
          values: Array.from({ length: n }, (_, j) => String(j)),
        }));
        const pts = cartesian(params);
        expect(pts.length).toBe(sizes.reduce((a, b) => a * b, 1));
        expect(new Set(pts.map((p) => p.join(","))).size).toBe(pts.length);
      }),
    );
  });
});

describe("knee detection", () => {
  it("finds the first value beyond factor x the first value's metric (strictly)", () => {
    expect(detectKnee([2, 3, 8, 19.9, 20, 20.1, 300], { kind: "ratio", factor: 10 })).toEqual({
      baseline: 2,
      threshold: 20,
      lastWithin: 4,
      firstBeyond: 5,
    });
  });

  it("reports none when nothing exceeds it, or when the baseline is not positive", () => {
    expect(detectKnee([5, 6, 49], { kind: "ratio", factor: 10 })).toBeNull();
    expect(detectKnee([0, 6, 49], { kind: "ratio", factor: 10 })).toBeNull();
    expect(detectKnee([], { kind: "ratio", factor: 10 })).toBeNull();
  });

  it("with an absolute threshold, may find the knee at the first value", () => {
    expect(detectKnee([0, 0, 0.005, 0.02, 0.5], { kind: "above", threshold: 0.01 })).toMatchObject({
      lastWithin: 2,
      firstBeyond: 3,
    });
    expect(detectKnee([0.3, 0.5], { kind: "above", threshold: 0.01 })).toMatchObject({
      lastWithin: null,
      firstBeyond: 0,
    });
  });

  it("always splits a series into a prefix within and a first value beyond", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.001, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 1.1, max: 100, noNaN: true }),
        (ys, f) => {
          const k = detectKnee(ys, { kind: "ratio", factor: f });
          const t = f * ys[0];
          if (k === null) expect(ys.every((y) => y <= t)).toBe(true);
          else {
            expect(ys[k.firstBeyond]).toBeGreaterThan(t);
            expect(ys.slice(0, k.firstBeyond).every((y) => y <= t)).toBe(true);
            expect(k.lastWithin).toBe(k.firstBeyond - 1);
          }
        },
      ),
    );
  });

  it("is found along the first parameter on each line of a two-parameter grid", () => {
    const metric = (p99: number): Metric[] => [
      { key: "latencyMs.p99", label: "p99", unit: "ms", better: "lower", value: p99 },
    ];
    // p99 = base(cache) * 1 / (1 - rate / capacity): the knee comes earlier with the smaller cache
    const rates = ["100", "200", "300", "400"];
    const caches = ["small", "big"];
    const p99 = { small: [1, 2, 11, 50], big: [1, 1.5, 3, 10.5] } as const;
    const points = rates.flatMap((r, i) =>
      caches.map((c) => ({ values: [r, c], seeds: [1], runs: [metric(p99[c as keyof typeof p99][i])] })),
    );
    const res = summarizeSweep({
      design: "synthetic",
      parameters: [
        { path: "rate", values: rates },
        { path: "cache", values: caches },
      ],
      seeds: [1],
      points,
      kneeFactor: 10,
    });
    expect(res.knees.map((k) => [k.at.cache, k.lastWithin, k.firstBeyond])).toEqual([
      ["small", "200", "300"],
      ["big", "300", "400"],
    ]);
  });
});

describe("the x axis of a sweep's charts", () => {
  it("is numeric when every value is a number with the same unit, else the values' positions", () => {
    expect(parameterAxis(["1k/s", "2k/s", "4k/s"])).toEqual({
      x: [1, 2, 4],
      unit: "k/s",
      categorical: false,
    });
    expect(parameterAxis(["2", "3", "4"])).toEqual({ x: [2, 3, 4], unit: "", categorical: false });
    expect(parameterAxis(["lru", "lfu", "arc"])).toEqual({ x: [1, 2, 3], unit: "", categorical: true });
    expect(parameterAxis(["1e4", "200/s"])).toMatchObject({ x: [1, 2], categorical: true });
  });
});
