import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ZipfKeys } from "../src/kernel/keys.js";
import { stream } from "../src/kernel/rng.js";
import { CountMinSketch, SKETCH_MAX_COUNT } from "../src/mechanisms/count-min-sketch.js";

const keysArb = fc.array(fc.oneof(fc.nat(40), fc.maxSafeNat()), { maxLength: 400 });

function exactCounts(keys: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

describe("count-min sketch", () => {
  it("never underestimates a count below saturation, however crowded (property)", () => {
    fc.assert(
      fc.property(
        keysArb,
        fc.constantFrom(8, 64, 1024),
        fc.integer(),
        fc.boolean(),
        (keys, width, seed, door) => {
          const s = new CountMinSketch({ width, seed, doorkeeper: door });
          for (const k of keys) s.increment(k);
          // the doorkeeper holds the first sighting, so the counters saturate one later
          const cap = SKETCH_MAX_COUNT + (door ? 1 : 0);
          for (const [k, n] of exactCounts(keys))
            expect(s.estimate(k)).toBeGreaterThanOrEqual(Math.min(n, cap));
        },
      ),
      { seed: 11, numRuns: 300 },
    );
  });

  it("is exact when keys do not collide, and saturates at 15", () => {
    const s = new CountMinSketch({ width: 1 << 16, seed: 3 });
    for (let k = 0; k < 20; k++) for (let i = 0; i < k; i++) s.increment(k * 1e9);
    for (let k = 0; k < 20; k++) expect(s.estimate(k * 1e9)).toBe(Math.min(k, 15));
    expect(s.estimate(12345)).toBe(0);
  });

  it("halving halves every estimate, rounding down (property)", () => {
    fc.assert(
      fc.property(keysArb, fc.constantFrom(8, 256), fc.integer(), (keys, width, seed) => {
        const s = new CountMinSketch({ width, seed });
        for (const k of keys) s.increment(k);
        const before = new Map([...exactCounts(keys).keys()].map((k) => [k, s.estimate(k)]));
        s.halve();
        for (const [k, e] of before) expect(s.estimate(k)).toBe(Math.floor(e / 2));
        expect(s.resets).toBe(1);
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it("resets itself every sampleSize additions and discounts what the halving rounded away", () => {
    // 20 keys in 4 x 65,536 counters: no two share a counter
    const s = new CountMinSketch({ width: 1 << 16, sampleSize: 20, seed: 1 });
    for (let k = 0; k < 19; k++) s.increment(k);
    expect(s.resets).toBe(0);
    expect(s.sampled).toBe(19);
    s.increment(19);
    // every counter was 1 and halves to 0, so nothing of the sample remains
    expect(s.resets).toBe(1);
    expect(s.sampled).toBe(0);
    for (let k = 0; k < 20; k++) expect(s.estimate(k)).toBe(0);
    // a key seen 6 times keeps 3
    const t = new CountMinSketch({ width: 1 << 12, sampleSize: 6, seed: 1 });
    for (let i = 0; i < 6; i++) t.increment(7);
    expect(t.resets).toBe(1);
    expect(t.estimate(7)).toBe(3);
    expect(t.sampled).toBe(3);
  });

  it("a saturated key adds nothing to the sample", () => {
    const s = new CountMinSketch({ width: 1 << 10, sampleSize: 1000 });
    for (let i = 0; i < 40; i++) s.increment(5);
    expect(s.estimate(5)).toBe(15);
    expect(s.sampled).toBe(15);
  });

  it("with a doorkeeper, one-hit wonders never reach the counters and the door empties on reset", () => {
    const s = new CountMinSketch({ width: 1 << 12, sampleSize: 1000, doorkeeper: true, seed: 2 });
    for (let k = 0; k < 500; k++) s.increment(k);
    for (let i = 0; i < 4; i++) s.increment(1e6);
    expect(s.estimate(1e6)).toBe(4);
    let ones = 0;
    for (let k = 0; k < 500; k++) if (s.estimate(k) === 1) ones++;
    expect(ones).toBe(500);
    s.halve();
    // counters 3 -> 1, and the doorkeeper's bit is gone
    expect(s.estimate(1e6)).toBe(1);
  });

  it("estimates a skewed stream closely at TinyLFU's proportions", () => {
    // a cache of 1000 entries: 4 x 4096 counters, a sample of 10,000 additions before the first halving
    const s = CountMinSketch.forCapacity(1000, 7);
    expect([s.width, s.depth, s.sampleSize]).toEqual([4096, 4, 10_000]);
    const z = new ZipfKeys(100_000, 0.9);
    const rng = stream(1, "cms-zipf");
    const keys: number[] = [];
    for (let i = 0; i < 9_999; i++) keys.push(z.sample(rng));
    for (const k of keys) s.increment(k);
    expect(s.resets).toBe(0);
    // Cormode and Muthukrishnan: P(excess > e·N/w) <= e^-depth per key
    const bound = (Math.E * keys.length) / s.width;
    let excess = 0;
    let beyond = 0;
    let n = 0;
    for (const [k, c] of exactCounts(keys)) {
      const e = s.estimate(k) - Math.min(c, 15);
      expect(e).toBeGreaterThanOrEqual(0);
      excess += e;
      if (e > bound) beyond++;
      n++;
    }
    expect(beyond / n).toBeLessThan(Math.exp(-s.depth));
    // in practice the minimum of four rows is off by about a third of a count on average
    expect(excess / n).toBeLessThan(0.5);
  });

  it("rejects bad shapes", () => {
    expect(() => new CountMinSketch({ width: 12 })).toThrow(RangeError);
    expect(() => new CountMinSketch({ width: 4 })).toThrow(RangeError);
    expect(() => new CountMinSketch({ width: 64, depth: 0 })).toThrow(RangeError);
    expect(() => new CountMinSketch({ width: 64, sampleSize: 0 })).toThrow(RangeError);
  });
});
