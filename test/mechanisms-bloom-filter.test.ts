import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BloomFilter, bloomFalsePositiveRate, bloomParameters } from "../src/mechanisms/bloom-filter.js";

describe("Bloom filter sizing", () => {
  it("m = -n ln p / (ln 2)^2 bits and k = (m/n) ln 2 hashes", () => {
    expect(bloomParameters(1000, 0.01)).toEqual({ bits: 9586, hashes: 7 });
    expect(bloomParameters(1e6, 0.001)).toEqual({ bits: 14377588, hashes: 10 });
    expect(bloomParameters(10, 0.5).hashes).toBe(1);
    // at the optimal k the theoretical rate is the target
    for (const [n, p] of [
      [1000, 0.01],
      [5e4, 0.001],
      [300, 0.2],
    ]) {
      const { bits, hashes } = bloomParameters(n, p);
      expect(bloomFalsePositiveRate(bits, hashes, n) / p).toBeGreaterThan(0.9);
      expect(bloomFalsePositiveRate(bits, hashes, n) / p).toBeLessThan(1.1);
    }
    expect(() => bloomParameters(0, 0.01)).toThrow(RangeError);
    expect(() => bloomParameters(100, 0)).toThrow(RangeError);
    expect(() => bloomParameters(100, 1)).toThrow(RangeError);
    expect(() => new BloomFilter(0, 3)).toThrow(RangeError);
    expect(() => new BloomFilter(64, 0)).toThrow(RangeError);
  });
});

describe("Bloom filter behaviour", () => {
  it("has no false negatives (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.maxSafeNat(), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        fc.integer(),
        (keys, p, seed) => {
          const f = BloomFilter.forCapacity(keys.length, p, seed);
          for (const k of keys) f.add(k);
          for (const k of keys) expect(f.mightContain(k)).toBe(true);
          expect(f.count).toBe(keys.length);
        },
      ),
      { seed: 5, numRuns: 300 },
    );
  });

  it("is deterministic per seed, and clear() empties it for a rebuild", () => {
    const a = BloomFilter.forCapacity(500, 0.05, 9);
    const b = BloomFilter.forCapacity(500, 0.05, 9);
    const c = BloomFilter.forCapacity(500, 0.05, 10);
    for (let i = 0; i < 500; i++) for (const f of [a, b, c]) f.add(i * 31 + 2 ** 40);
    let same = 0;
    let differ = 0;
    for (let j = 0; j < 20_000; j++) {
      const k = 2 ** 45 + j;
      if (a.mightContain(k) !== b.mightContain(k)) same++;
      if (a.mightContain(k) !== c.mightContain(k)) differ++;
    }
    expect(same).toBe(0);
    expect(differ).toBeGreaterThan(0);
    expect(a.fillRatio).toBeGreaterThan(0.3);
    a.clear();
    expect(a.fillRatio).toBe(0);
    expect(a.count).toBe(0);
    for (let i = 0; i < 500; i++) expect(a.mightContain(i * 31 + 2 ** 40)).toBe(false);
  });

  // For each (n, p), several filters, each queried with M keys never added.
  // Given a filter's bits, an absent key is a false positive with probability
  // fill^k (its k probes land on set bits), so the measured rate is binomial
  // around fill^k. Across filters the fill itself varies: the number of empty
  // bits after kn uniform throws into m has variance m e^-λ (1 - (1 + λ) e^-λ),
  // λ = kn/m, which moves fill^k by k·fill^(k-1) per unit of fill. The checks
  // use 4 standard deviations of the relevant sum (each holds at 99.99%).
  const M = 200_000;
  const Z = 4;
  for (const [n, p] of [
    [1000, 0.01],
    [10_000, 0.05],
    [5000, 0.001],
    [2000, 0.1],
    [200, 0.02],
  ]) {
    it(`n=${n}, p=${p}: measured false-positive rate within tolerance of (1 - e^{-kn/m})^k`, () => {
      for (let seed = 0; seed < 4; seed++) {
        const f = BloomFilter.forCapacity(n, p, seed);
        for (let i = 0; i < n; i++) f.add(i * 7919 + 13);
        let fp = 0;
        for (let j = 0; j < M; j++) if (f.mightContain(1e12 + j)) fp++;
        const rate = fp / M;
        const { bits: m, hashes: k } = f;
        const lambda = (k * n) / m;
        const empty = Math.exp(-lambda);
        const fillTheory = 1 - empty;
        const fillVar = (empty * (1 - (1 + lambda) * empty)) / m;
        expect(Math.abs(f.fillRatio - fillTheory)).toBeLessThan(Z * Math.sqrt(fillVar));

        const q = f.expectedFalsePositiveRate();
        expect(q).toBeCloseTo(bloomFalsePositiveRate(m, k, n), 15);
        const slope = (k * q) / fillTheory;
        const sd = Math.sqrt((q * (1 - q)) / M + slope * slope * fillVar);
        expect(Math.abs(rate - q)).toBeLessThan(Z * sd);

        // conditional on this filter: purely binomial around fill^k (double hashing
        // adds a small excess at small m, so only where m is in the thousands)
        if (m >= 5000) {
          const qf = f.estimatedFalsePositiveRate;
          expect(Math.abs(rate - qf)).toBeLessThan(Z * Math.sqrt((qf * (1 - qf)) / M));
        }
      }
    });
  }
});
