import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DistSpec, sampler } from "../src/kernel/distributions.js";
import { EventQueue } from "../src/kernel/event-queue.js";
import { keySampler, ZipfKeys } from "../src/kernel/keys.js";
import { KeyedDraws, type Rng, stream } from "../src/kernel/rng.js";

/** z with P(Z <= z) = 0.999 for a standard normal. */
const Z999 = 3.090232306167813;

/**
 * Upper 1 - alpha critical value of chi-square with k degrees of freedom by the
 * Wilson-Hilferty cube-root normal approximation, accurate to about 0.5% for
 * k >= 10 and slightly conservative in the upper tail.
 */
function chiSquareCritical(k: number, z: number): number {
  const v = 2 / (9 * k);
  return k * (1 - v + z * Math.sqrt(v)) ** 3;
}

function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let x = 0;
  for (let i = 0; i < observed.length; i++) x += (observed[i] - expected[i]) ** 2 / expected[i];
  return x;
}

describe("EventQueue", () => {
  interface Fired {
    time: number;
    seq: number;
    now: number;
  }

  it("fires in (time, insertion order), including events scheduled from handlers", () => {
    const schedule = fc.record({
      capacity: fc.integer({ min: 1, max: 8 }),
      // few distinct times so that ties are common
      initial: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 80 }),
      // per fired event: how many follow-ups to schedule, and their delays
      followUps: fc.array(fc.array(fc.constantFrom(0, 0, 1, 2.5, 3), { maxLength: 3 }), { maxLength: 200 }),
    });
    fc.assert(
      fc.property(schedule, ({ capacity, initial, followUps }) => {
        const q = new EventQueue(capacity);
        const times: number[] = [];
        const fired: Fired[] = [];
        const h = q.on((seq) => {
          fired.push({ time: times[seq], seq, now: q.now });
          const more = followUps[fired.length - 1] ?? [];
          for (const d of more) {
            times.push(q.now + d);
            q.schedule(d, h, times.length - 1);
          }
        });
        for (const t of initial) {
          times.push(t);
          q.at(t, h, times.length - 1);
        }
        q.run(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);

        expect(fired.length).toBe(times.length);
        expect(q.size).toBe(0);
        expect(q.fired).toBe(times.length);
        const seen = new Set<number>();
        for (let i = 0; i < fired.length; i++) {
          const e = fired[i];
          expect(e.now).toBe(e.time);
          seen.add(e.seq);
          if (i > 0) {
            const p = fired[i - 1];
            expect(p.time < e.time || (p.time === e.time && p.seq < e.seq)).toBe(true);
          }
        }
        expect(seen.size).toBe(times.length);
      }),
      { numRuns: 300, seed: 20240601 },
    );
  });

  it("matches a stable sort of a static schedule with real-valued times", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constantFrom(0, 1, 1e6)), {
          maxLength: 300,
        }),
        (ts) => {
          const q = new EventQueue(4);
          const out: number[] = [];
          const h = q.on((i) => out.push(i));
          for (let i = 0; i < ts.length; i++) q.at(ts[i], h, i);
          q.run(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
          const expected = ts.map((t, i) => [t, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
          expect(out).toEqual(expected.map((e) => e[1]));
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  it("run(until, max) stops at whichever limit comes first", () => {
    const q = new EventQueue();
    const out: number[] = [];
    const h = q.on((i) => out.push(i));
    for (let i = 1; i <= 10; i++) q.at(i, h, i);
    expect(q.peekTime()).toBe(1);

    expect(q.run(5, 100)).toBe(5); // `until` is inclusive
    expect(out).toEqual([1, 2, 3, 4, 5]);
    expect(q.now).toBe(5);
    expect(q.peekTime()).toBe(6);

    expect(q.run(100, 3)).toBe(3); // capped by count
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(q.now).toBe(8);

    expect(q.run(8.5, 100)).toBe(0); // nothing due
    expect(q.now).toBe(8); // the clock does not move by itself
    q.advanceTo(8.5);
    expect(q.now).toBe(8.5);
    q.advanceTo(2); // never backwards
    expect(q.now).toBe(8.5);

    expect(q.run(100, 0)).toBe(0);
    expect(q.run(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)).toBe(2);
    expect(q.fired).toBe(10);
    expect(q.size).toBe(0);
    expect(q.peekTime()).toBe(Number.POSITIVE_INFINITY);
  });

  it("clamps a time in the past to now, after events already due now", () => {
    const q = new EventQueue();
    const out: [number, number][] = [];
    const h = q.on((i) => out.push([i, q.now]));
    q.at(10, h, 0);
    q.run(10, 1);
    q.at(10, h, 1);
    q.at(3, h, 2); // in the past: fires at 10, after event 1 which was scheduled first
    q.schedule(-5, h, 3); // negative delay likewise
    q.run(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    expect(out).toEqual([
      [0, 10],
      [1, 10],
      [2, 10],
      [3, 10],
    ]);
  });

  it("grows beyond its initial capacity, keeping order and arguments", () => {
    const q = new EventQueue(2);
    const rng = stream(1, "grow");
    const n = 50_000;
    const ts = new Float64Array(n);
    const out: number[] = [];
    const h = q.on((i) => out.push(i));
    for (let i = 0; i < n; i++) {
      ts[i] = Math.floor(rng.next() * 1000); // many ties
      q.at(ts[i], h, i);
    }
    expect(q.size).toBe(n);
    expect(q.run(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)).toBe(n);
    expect(out.length).toBe(n);
    for (let k = 1; k < n; k++) {
      const a = out[k - 1];
      const b = out[k];
      if (!(ts[a] < ts[b] || (ts[a] === ts[b] && a < b))) throw new Error(`out of order at ${k}`);
    }
  });

  it("works from an initial capacity of zero", () => {
    const q = new EventQueue(0);
    const out: number[] = [];
    const h = q.on((i) => out.push(i));
    for (let i = 0; i < 40; i++) q.at(40 - i, h, i);
    expect(q.run(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)).toBe(40);
    expect(out).toEqual(Array.from({ length: 40 }, (_, i) => 39 - i));
  });

  it("keeps the clock right when a handler makes the heap grow", () => {
    // Regression: run() used to read the new time from the array it captured
    // before the handler ran, which a grow inside the handler replaces.
    const q = new EventQueue(2);
    const seen: number[] = [];
    const h = q.on((i) => {
      seen.push(q.now);
      if (i === 0) for (let k = 0; k < 5; k++) q.at(20 + k, h, 1);
    });
    q.at(10, h, 0);
    q.at(11, h, 2);
    q.run(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    expect(seen).toEqual([10, 11, 20, 21, 22, 23, 24]);
  });
});

describe("Rng and stream", () => {
  const take = (r: Rng, n: number) => Array.from({ length: n }, () => r.next());

  it("is a pure function of (seed, name)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.string(), (seed, name) => {
        expect(take(stream(seed, name), 20)).toEqual(take(stream(seed, name), 20));
      }),
      { numRuns: 100, seed: 1 },
    );
  });

  it("gives different sequences for different names or seeds", () => {
    const base = take(stream(1, "db"), 8);
    expect(take(stream(1, "cache"), 8)).not.toEqual(base);
    expect(take(stream(2, "db"), 8)).not.toEqual(base);
    expect(take(stream(0, ""), 8)).not.toEqual(take(stream(0, "a"), 8));
    // a whole family of streams should not collide in their first draw
    const first = new Set<number>();
    for (let seed = 0; seed < 50; seed++)
      for (let k = 0; k < 50; k++) first.add(stream(seed, `svc-${k}`).next());
    expect(first.size).toBe(2500);
  });

  it("next() is in [0, 1), int(n) in [0, n), u32 is a 32-bit unsigned integer", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 2 ** 32 }),
        (seed, n) => {
          const r = stream(seed, "range");
          for (let i = 0; i < 200; i++) {
            const x = r.next();
            expect(x >= 0 && x < 1).toBe(true);
            const k = r.int(n);
            expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
            const u = r.u32();
            expect(Number.isInteger(u) && u >= 0 && u <= 0xffffffff).toBe(true);
          }
        },
      ),
      { numRuns: 100, seed: 2 },
    );
  });

  it("is uniform by a chi-square test over 20 bins", () => {
    const bins = 20;
    const n = 1_000_000;
    const r = stream(12345, "chi-square");
    const counts = new Float64Array(bins);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      counts[Math.floor(x * bins)]++;
      sum += x;
    }
    const x2 = chiSquare(counts, new Float64Array(bins).fill(n / bins));
    // 19 degrees of freedom: the 99.9% point is 43.82 (tables); Wilson-Hilferty agrees
    const critical = chiSquareCritical(bins - 1, Z999);
    expect(Math.abs(critical - 43.82)).toBeLessThan(0.3);
    expect(x2).toBeLessThan(critical);
    // and it is not suspiciously perfect either (0.1% lower point for 19 df is 5.41)
    expect(x2).toBeGreaterThan(5.41);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
  });

  it("has uncorrelated successive draws", () => {
    const n = 500_000;
    const r = stream(99, "lag-1");
    let prev = r.next();
    let s = 0;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      s += (prev - 0.5) * (x - 0.5);
      prev = x;
    }
    // each product has variance (1/12)^2, so the lag-1 correlation has standard error 1/sqrt(n)
    expect(Math.abs((s / n) * 12)).toBeLessThan(4 / Math.sqrt(n));
  });
});

describe("distributions", () => {
  const N = 200_000;

  /** E[X^4] of the uniform distribution on [a, b]. */
  const uniform4 = (a: number, b: number) => (b ** 5 - a ** 5) / (5 * (b - a));
  /**
   * Γ exactly at integers and half-integers, which is all the Weibull cases
   * need, so the expected moments do not lean on the kernel's own gamma().
   */
  const gammaFn = (x: number): number => {
    if (Number.isInteger(x)) {
      let f = 1;
      for (let k = 2; k < x; k++) f *= k;
      return f;
    }
    if (Number.isInteger(x - 0.5)) {
      let g = Math.sqrt(Math.PI);
      for (let y = 0.5; y < x; y++) g *= y;
      return g;
    }
    throw new Error(`gamma(${x}) not tabulated in the test`);
  };

  /** Exact E[X^4], computed independently of the code under test (Infinity when it does not exist). */
  function fourthMoment(spec: DistSpec): number {
    switch (spec.type) {
      case "constant":
        return spec.value ** 4;
      case "uniform":
        return uniform4(spec.min, spec.max);
      case "exponential":
        return 24 * spec.mean ** 4;
      case "normal": {
        const { mean: m, stddev: s } = spec;
        return m ** 4 + 6 * m * m * s * s + 3 * s ** 4;
      }
      case "lognormal": {
        if ("median" in spec) {
          const mu = Math.log(spec.median);
          const sigma = (Math.log(spec.p99) - mu) / 2.3263478740408408;
          return Math.exp(4 * mu + 8 * sigma * sigma);
        }
        return Math.exp(4 * spec.mu + 8 * spec.sigma * spec.sigma);
      }
      case "pareto":
        return spec.shape > 4 ? (spec.shape * spec.scale ** 4) / (spec.shape - 4) : Number.POSITIVE_INFINITY;
      case "weibull":
        return spec.scale ** 4 * gammaFn(1 + 4 / spec.shape);
      case "empirical": {
        const w = spec.weights ?? spec.values.map(() => 1);
        const tot = w.reduce((a, b) => a + b, 0);
        return spec.values.reduce((a, v, i) => a + (w[i] / tot) * v ** 4, 0);
      }
      case "histogram": {
        const tot = spec.buckets.reduce((a, b) => a + b.weight, 0);
        return spec.buckets.reduce((a, b) => a + (b.weight / tot) * uniform4(b.from, b.to), 0);
      }
      case "mixture": {
        const tot = spec.parts.reduce((a, p) => a + p.weight, 0);
        return spec.parts.reduce((a, p) => a + (p.weight / tot) * fourthMoment(p.dist), 0);
      }
    }
  }

  /** Exact means, written down independently of the sampler's own. */
  const cases: { name: string; spec: DistSpec; mean: number }[] = [
    { name: "constant", spec: { type: "constant", value: 7 }, mean: 7 },
    { name: "uniform", spec: { type: "uniform", min: 5, max: 15 }, mean: 10 },
    { name: "exponential", spec: { type: "exponential", mean: 3 }, mean: 3 },
    // ten standard deviations above zero, so the truncation at zero is invisible
    { name: "normal", spec: { type: "normal", mean: 100, stddev: 10 }, mean: 100 },
    { name: "lognormal mu/sigma", spec: { type: "lognormal", mu: 1, sigma: 0.5 }, mean: Math.exp(1.125) },
    {
      name: "lognormal median/p99",
      spec: { type: "lognormal", median: 10, p99: 50 },
      mean: 10 * Math.exp((Math.log(5) / 2.3263478740408408) ** 2 / 2),
    },
    { name: "pareto shape 2.5", spec: { type: "pareto", scale: 2, shape: 2.5 }, mean: (2.5 * 2) / 1.5 },
    { name: "pareto shape 5", spec: { type: "pareto", scale: 2, shape: 5 }, mean: 2.5 },
    // shape 2: mean = scale Γ(1.5) = scale sqrt(pi)/2
    { name: "weibull shape 2", spec: { type: "weibull", scale: 4, shape: 2 }, mean: 2 * Math.sqrt(Math.PI) },
    // shape 0.5: mean = scale Γ(3) = 2 scale (heavier than exponential)
    { name: "weibull shape 0.5", spec: { type: "weibull", scale: 1.5, shape: 0.5 }, mean: 3 },
    {
      name: "empirical weighted",
      spec: { type: "empirical", values: [1, 2, 5, 10], weights: [4, 3, 2, 1] },
      mean: (4 + 6 + 10 + 10) / 10,
    },
    { name: "empirical unweighted", spec: { type: "empirical", values: [3, 4, 8] }, mean: 5 },
    {
      name: "histogram",
      spec: {
        type: "histogram",
        buckets: [
          { from: 0, to: 10, weight: 3 },
          { from: 10, to: 100, weight: 1 },
        ],
      },
      mean: 0.75 * 5 + 0.25 * 55,
    },
    {
      name: "mixture",
      spec: {
        type: "mixture",
        parts: [
          { weight: 9, dist: { type: "exponential", mean: 10 } },
          { weight: 1, dist: { type: "uniform", min: 100, max: 300 } },
        ],
      },
      mean: 0.9 * 10 + 0.1 * 200,
    },
  ];

  for (const { name, spec, mean } of cases) {
    it(`${name}: sample moments agree with .mean and .secondMoment`, () => {
      const s = sampler(spec);
      expect(s.mean).toBeCloseTo(mean, 10);
      const rng = stream(2024, `dist/${name}`);
      let m1 = 0;
      let m2 = 0;
      for (let i = 0; i < N; i++) {
        const x = s.sample(rng);
        if (!(x >= 0)) throw new Error(`negative or NaN sample ${x}`);
        m1 += x;
        m2 += x * x;
      }
      m1 /= N;
      m2 /= N;
      // standard error of the mean from the stated moments; the floor keeps a
      // zero-variance distribution from demanding bit-exact summation
      const se1 = Math.sqrt(Math.max(0, s.secondMoment - s.mean ** 2) / N);
      expect(Math.abs(m1 - s.mean)).toBeLessThanOrEqual(4 * se1 + 1e-12 * s.mean);

      const m4 = fourthMoment(spec);
      if (Number.isFinite(m4)) {
        // X^2 has variance E[X^4] - E[X^2]^2. Its sample mean converges more
        // slowly to normality for skewed X (lognormal, Pareto), so allow 5
        // standard errors rather than 4.
        const se2 = Math.sqrt(Math.max(0, m4 - s.secondMoment ** 2) / N);
        expect(Math.abs(m2 - s.secondMoment)).toBeLessThanOrEqual(5 * se2 + 1e-12 * s.secondMoment);
      }
    });
  }

  it("lognormal by median/p99 really has that median and p99", () => {
    const s = sampler({ type: "lognormal", median: 10, p99: 50 });
    const rng = stream(5, "dist/lognormal-quantiles");
    let belowMedian = 0;
    let belowP99 = 0;
    for (let i = 0; i < N; i++) {
      const x = s.sample(rng);
      if (x <= 10) belowMedian++;
      if (x <= 50) belowP99++;
    }
    const binomSe = (p: number) => Math.sqrt((p * (1 - p)) / N);
    expect(Math.abs(belowMedian / N - 0.5)).toBeLessThan(4 * binomSe(0.5));
    expect(Math.abs(belowP99 / N - 0.99)).toBeLessThan(4 * binomSe(0.99));
  });

  it("pareto with infinite variance reports an infinite second moment", () => {
    expect(sampler({ type: "pareto", scale: 1, shape: 1.5 }).secondMoment).toBe(Number.POSITIVE_INFINITY);
    expect(sampler({ type: "pareto", scale: 1, shape: 1 }).mean).toBe(Number.POSITIVE_INFINITY);
  });

  it("the same stream gives the same samples", () => {
    const s = sampler({ type: "lognormal", mu: 0, sigma: 1 });
    const a = stream(3, "x");
    const b = stream(3, "x");
    for (let i = 0; i < 100; i++) expect(s.sample(a)).toBe(s.sample(b));
  });
});

describe("keys", () => {
  const binomSe = (p: number, n: number) => Math.sqrt((p * (1 - p)) / n);

  function checkZipf(n: number, s: number, samples: number, seed: number) {
    const z = keySampler({ type: "zipf", keys: n, s });
    const rng = stream(seed, `zipf/${n}/${s}`);
    const top = new Float64Array(10);
    for (let i = 0; i < samples; i++) {
      const k = z.sample(rng);
      if (!(Number.isInteger(k) && k >= 0 && k < n)) throw new Error(`key ${k} outside [0, ${n})`);
      if (k < 10) top[k]++;
    }
    for (let k = 0; k < 10; k++) {
      const p = z.probability(k);
      expect(Math.abs(top[k] / samples - p)).toBeLessThan(4 * binomSe(p, samples));
    }
    // probabilities fall with rank as k^-s
    expect(z.probability(1) / z.probability(0)).toBeCloseTo(2 ** -s, 12);
  }

  it("zipf n=1000, s=1.1: top-10 frequencies match probability(k)", () => {
    checkZipf(1000, 1.1, 1_000_000, 1);
  });

  it("zipf n=1e9, s=0.99: top-10 frequencies match probability(k)", () => {
    checkZipf(1e9, 0.99, 1_000_000, 2);
  });

  it("zipf n=1000, s=1.1: the whole distribution passes chi-square", () => {
    const n = 1000;
    const samples = 1_000_000;
    const z = new ZipfKeys(n, 1.1);
    const rng = stream(3, "zipf/chi");
    const counts = new Float64Array(n);
    for (let i = 0; i < samples; i++) counts[z.sample(rng)]++;
    const expected = Float64Array.from({ length: n }, (_, k) => samples * z.probability(k));
    // smallest expected count is about 70, comfortably above the usual 5
    expect(Math.min(...expected)).toBeGreaterThan(5);
    expect(chiSquare(counts, expected)).toBeLessThan(chiSquareCritical(n - 1, Z999));
    // probability() is normalised
    expect(expected.reduce((a, b) => a + b, 0) / samples).toBeCloseTo(1, 12);
  });

  it("zipf normalisation for huge n agrees with direct summation where feasible", () => {
    // n = 3e5 exercises the Euler-Maclaurin tail beyond 1e5 terms; compare to the exact sum
    const n = 300_000;
    const s = 0.99;
    let h = 0;
    for (let i = n; i >= 1; i--) h += i ** -s;
    expect(new ZipfKeys(n, s).probability(0)).toBeCloseTo(1 / h, 12);
  });

  it("zipf memory does not depend on n", () => {
    const before = process.memoryUsage().heapUsed;
    const zs = [new ZipfKeys(1e9, 0.99), new ZipfKeys(2 ** 40, 1.2)];
    const rng = stream(4, "zipf/memory");
    for (const z of zs) {
      for (let i = 0; i < 1000; i++) {
        const k = z.sample(rng);
        if (!(k >= 0 && k < z.keys)) throw new Error(`key ${k} out of range`);
      }
    }
    // an n-sized table would need gigabytes; allow generous slack for GC noise
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });

  it("hotspot puts hotTraffic of the requests on the hot keys, spread evenly", () => {
    const spec = { type: "hotspot", keys: 1_000_000, hotKeys: 1000, hotTraffic: 0.8 } as const;
    const h = keySampler(spec);
    const rng = stream(5, "hotspot");
    const n = 500_000;
    let hot = 0;
    let firstHalfOfHot = 0;
    for (let i = 0; i < n; i++) {
      const k = h.sample(rng);
      if (!(Number.isInteger(k) && k >= 0 && k < spec.keys)) throw new Error(`key ${k} out of range`);
      if (k < spec.hotKeys) {
        hot++;
        if (k < spec.hotKeys / 2) firstHalfOfHot++;
      }
    }
    expect(Math.abs(hot / n - 0.8)).toBeLessThan(4 * binomSe(0.8, n));
    expect(Math.abs(firstHalfOfHot / hot - 0.5)).toBeLessThan(4 * binomSe(0.5, hot));
    expect(h.probability(0) * spec.hotKeys).toBeCloseTo(0.8, 12);
    expect(h.probability(spec.hotKeys) * (spec.keys - spec.hotKeys)).toBeCloseTo(0.2, 12);
  });

  it("uniform keys have mean (n - 1)/2 and stay in range", () => {
    const n = 1_000_000;
    const u = keySampler({ type: "uniform", keys: n });
    const rng = stream(6, "uniform-keys");
    const samples = 500_000;
    let sum = 0;
    for (let i = 0; i < samples; i++) {
      const k = u.sample(rng);
      if (!(Number.isInteger(k) && k >= 0 && k < n)) throw new Error(`key ${k} out of range`);
      sum += k;
    }
    // discrete uniform on 0..n-1 has variance (n^2 - 1)/12
    const se = Math.sqrt((n * n - 1) / 12 / samples);
    expect(Math.abs(sum / samples - (n - 1) / 2)).toBeLessThan(4 * se);
    expect(u.probability(123)).toBe(1 / n);
  });
});

describe("KeyedDraws: draws that belong to a key", () => {
  it("gives a key the same draws every time, whatever was drawn in between", () => {
    const d = new KeyedDraws(7);
    const first = [d.at(42).next(), d.at(42).next()];
    d.at(99).next();
    expect(d.at(42).next()).toBe(first[0]);
    const r = d.at(2 ** 40 + 3);
    const a = [r.next(), r.next()];
    d.at(7).next();
    const again = d.at(2 ** 40 + 3);
    expect([again.next(), again.next()]).toEqual(a);
    expect(a[0]).not.toBe(a[1]);
  });

  it("is uniform over keys: mean 1/2 and variance 1/12 within 5 standard errors", () => {
    const d = new KeyedDraws(1);
    const n = 100_000;
    let sum = 0;
    let sq = 0;
    for (let k = 0; k < n; k++) {
      const u = d.at(k).next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      sq += u * u;
    }
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sq / n - mean * mean - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / n));
  });

  it("differs between seeds", () => {
    expect(new KeyedDraws(1).at(5).next()).not.toBe(new KeyedDraws(2).at(5).next());
  });
});
