import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConsistentHashPartitioner,
  DirectoryPartitioner,
  GeoPartitioner,
  HashModPartitioner,
  JumpPartitioner,
  KEY_LIMIT,
  type Partitioner,
  RangePartitioner,
  RendezvousPartitioner,
  SlotPartitioner,
  allSubKeys,
  imbalance,
  movedFraction,
  saltedKeys,
  subKey,
} from "../src/mechanisms/partitioning.js";

const KEYS = 100_000;
const keys = Array.from({ length: KEYS }, (_, k) => k);

/** Four binomial standard deviations of an observed fraction with probability p over n keys. */
const binomialTol = (p: number, n = KEYS) => 4 * Math.sqrt((p * (1 - p)) / n);

/** Every key that moved went to `target`; returns how many moved. */
function movesOnlyTo(before: Partitioner, after: Partitioner, target: number): number {
  let moved = 0;
  let elsewhere = 0;
  for (const k of keys) {
    const a = before.shardOf(k);
    const b = after.shardOf(k);
    if (a === b) continue;
    moved++;
    if (b !== target) elsewhere++;
  }
  expect(elsewhere).toBe(0);
  return moved;
}

function loads(p: Partitioner, ks: Iterable<number>): number[] {
  const out = new Array<number>(p.shards).fill(0);
  for (const k of ks) out[p.shardOf(k)]++;
  return out;
}

describe("resharding cost 4 -> 5 shards (SH-03, SH-04, SH-19)", () => {
  it("hash mod N moves about 80% of keys", () => {
    // A key stays iff h mod 4 == h mod 5, i.e. h mod 20 in {0,1,2,3}: p(stay) = 4/20.
    const f = movedFraction(new HashModPartitioner(4), new HashModPartitioner(5), keys);
    expect(Math.abs(f - 0.8)).toBeLessThan(binomialTol(0.8)); // ±0.0051
  });

  it("consistent hashing moves about 1/5, all of it onto the new shard", () => {
    const before = new ConsistentHashPartitioner(4, 150);
    const after = new ConsistentHashPartitioner(5, 150);
    const moved = movesOnlyTo(before, after, 4);
    const f = moved / KEYS;
    expect(movedFraction(before, after, keys)).toBe(f);
    // The moved fraction is the new shard's arc share plus binomial key noise.
    // The share of 150 of 750 random positions is Beta(150, 600): sd =
    // sqrt(p(1-p)/751) = 0.0146, which dominates; bound by 4 sd of the sum.
    const arcSd = Math.sqrt((0.2 * 0.8) / 751);
    expect(Math.abs(f - 0.2)).toBeLessThan(4 * Math.sqrt(arcSd ** 2 + (0.2 * 0.8) / KEYS)); // ±0.059
    // Given the ring, only the key noise remains.
    expect(Math.abs(f - after.ring.share(4))).toBeLessThan(binomialTol(after.ring.share(4)));
  });

  it("rendezvous moves about 1/5, all of it onto the new shard", () => {
    const moved = movesOnlyTo(new RendezvousPartitioner(4), new RendezvousPartitioner(5), 4);
    expect(Math.abs(moved / KEYS - 0.2)).toBeLessThan(binomialTol(0.2)); // ±0.0051
  });

  it("jump hash moves about 1/5, all of it onto the new shard", () => {
    const moved = movesOnlyTo(new JumpPartitioner(4), new JumpPartitioner(5), 4);
    expect(Math.abs(moved / KEYS - 0.2)).toBeLessThan(binomialTol(0.2));
  });
});

describe("RangePartitioner (SH-02)", () => {
  it("uniform ranges put boundaries at multiples of keySpace / shards, half-open", () => {
    const p = RangePartitioner.fromUniformRanges(4, 100_000);
    expect(p.splitPoints()).toEqual([25_000, 50_000, 75_000]);
    expect([0, 24_999, 25_000, 49_999, 50_000, 99_999, 10 ** 12].map((k) => p.shardOf(k))).toEqual([
      0, 0, 1, 1, 2, 3, 3,
    ]);
    expect(p.rangeOf(0)).toEqual([0, 25_000]);
    expect(p.rangeOf(3)).toEqual([75_000, KEY_LIMIT]);
    // Uneven division spreads the remainder over the first shards, one key each.
    expect(RangePartitioner.fromUniformRanges(3, 10).splitPoints()).toEqual([4, 7]);
  });

  it("a split moves exactly the upper part of the split shard to a new shard", () => {
    const before = RangePartitioner.fromUniformRanges(4, 100_000);
    const after = before.split(1, 37_500);
    expect(after.shards).toBe(5);
    expect(after.rangeOf(1)).toEqual([25_000, 37_500]);
    expect(after.rangeOf(4)).toEqual([37_500, 50_000]);
    for (const k of keys) {
      const expected = k >= 37_500 && k < 50_000 ? 4 : before.shardOf(k);
      if (after.shardOf(k) !== expected) expect.fail(`key ${k}`);
    }
    expect(movedFraction(before, after, keys)).toBe(12_500 / KEYS);
    // Splitting again keeps earlier shard ids stable.
    const again = after.split(4, 40_000);
    expect([37_500, 40_000, 60_000].map((k) => again.shardOf(k))).toEqual([4, 5, 2]);
  });

  it("rejects split points outside the shard and unsorted boundaries", () => {
    const p = RangePartitioner.fromUniformRanges(4, 100);
    expect(() => p.split(1, 25)).toThrow(RangeError);
    expect(() => p.split(1, 50)).toThrow(RangeError);
    expect(() => new RangePartitioner([10, 10])).toThrow(RangeError);
    expect(() => new RangePartitioner([0])).toThrow(RangeError);
    expect(() => new RangePartitioner([5], [0, 0])).toThrow(RangeError);
  });
});

describe("hot shard: monotonically increasing keys (SH-02, SH-20)", () => {
  // The 10,000 newest ids of a table that was range-sharded when it held 1M rows.
  const fresh = Array.from({ length: 10_000 }, (_, i) => 1_000_000 + i);

  it("range partitioning sends all of them to the last shard", () => {
    const l = loads(RangePartitioner.fromUniformRanges(8, 1_000_000), fresh);
    expect(l).toEqual([0, 0, 0, 0, 0, 0, 0, 10_000]);
    const im = imbalance(l);
    expect(im.maxOverMean).toBe(8);
    expect(im.cv).toBeCloseTo(Math.sqrt(7), 12);
  });

  it("hash partitioning spreads them evenly", () => {
    // Each load is Binomial(10000, 1/8): sd / mean = sqrt((7/8) / 1250) = 0.026;
    // a population cv of 0.08 (3x that) needs a chi-square(7) of ~73.
    for (const p of [new HashModPartitioner(8), new RendezvousPartitioner(8), new JumpPartitioner(8)]) {
      expect(imbalance(loads(p, fresh)).cv).toBeLessThan(0.08);
    }
    // The ring adds arc noise: a shard's share of 1200 positions has relative
    // sd sqrt(7/1201) = 0.076; with key noise 0.081, so allow ~3x.
    expect(imbalance(loads(new ConsistentHashPartitioner(8, 150), fresh)).cv).toBeLessThan(0.25);
  });
});

describe("ConsistentHashPartitioner weights (SH-06)", () => {
  it("3:1 weights give about 75% / 25% of keys", () => {
    const p = new ConsistentHashPartitioner(2, 100, [3, 1]);
    const f = loads(p, keys)[0] / KEYS;
    // 300 of 400 positions: Beta(300, 100), sd = sqrt(0.75 * 0.25 / 401) = 0.0216.
    expect(Math.abs(f - 0.75)).toBeLessThan(4 * Math.sqrt((0.75 * 0.25) / 401 + (0.75 * 0.25) / KEYS));
    expect(() => new ConsistentHashPartitioner(2, 100, [1])).toThrow(RangeError);
    expect(() => new ConsistentHashPartitioner(2, 100, [0, 0])).toThrow(RangeError);
  });
});

describe("DirectoryPartitioner (SH-10)", () => {
  it("explicit assignments override the fallback; unassign restores it", () => {
    const fallback = new HashModPartitioner(4);
    const dir = new DirectoryPartitioner(fallback, 5);
    expect(dir.shards).toBe(5);
    for (let k = 0; k < 1000; k++) expect(dir.shardOf(k)).toBe(fallback.shardOf(k));

    // a hot tenant gets the dedicated shard 4, which the fallback never uses
    dir.assign(42, 4);
    const other = (fallback.shardOf(7) + 1) % 4;
    dir.assign(7, other);
    expect(dir.size).toBe(2);
    expect(dir.shardOf(42)).toBe(4);
    expect(dir.shardOf(7)).toBe(other);

    const before = dir.clone();
    dir.assign(42, 3);
    expect(before.shardOf(42)).toBe(4);
    expect(dir.size).toBe(2);
    // moving one directory entry moves exactly one key
    expect(movedFraction(before, dir, keys.slice(0, 1000))).toBe(1 / 1000);

    expect(dir.unassign(42)).toBe(true);
    expect(dir.unassign(42)).toBe(false);
    expect(dir.shardOf(42)).toBe(fallback.shardOf(42));
    expect(dir.size).toBe(1);
    expect(() => dir.assign(1, 5)).toThrow(RangeError);
    expect(() => new DirectoryPartitioner(fallback, 3)).toThrow(RangeError);
  });
});

describe("GeoPartitioner (SH-14)", () => {
  it("routes by the key's region and refuses unknown regions", () => {
    // regions US/EU/APAC by key mod 10 in 70/20/10 proportions; EU and APAC share shard 1
    const region = (k: number) => (k % 10 < 7 ? 0 : k % 10 < 9 ? 1 : 2);
    const p = new GeoPartitioner(region, [0, 1, 1]);
    expect(p.shards).toBe(2);
    expect(loads(p, keys)).toEqual([70_000, 30_000]);
    expect(() => new GeoPartitioner(() => 3, [0, 1, 1]).shardOf(0)).toThrow(RangeError);
  });
});

describe("imbalance", () => {
  it("computes mean, max, population cv and max / mean", () => {
    const im = imbalance([1, 2, 3, 4]);
    expect(im.mean).toBe(2.5);
    expect(im.max).toBe(4);
    // population variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25
    expect(im.cv).toBeCloseTo(Math.sqrt(1.25) / 2.5, 15);
    expect(im.maxOverMean).toBe(1.6);
    expect(imbalance([5, 5, 5])).toEqual({ mean: 5, max: 5, cv: 0, maxOverMean: 1 });
    expect(imbalance([0, 0])).toEqual({ mean: 0, max: 0, cv: 0, maxOverMean: 1 });
    expect(() => imbalance([])).toThrow(RangeError);
    expect(() => imbalance([1, -1])).toThrow(RangeError);
  });
});

describe("salting a hot key (SH-20)", () => {
  it("sub-keys are deterministic, distinct and in range; 5 keys x 100 buckets = 500 sub-keys", () => {
    const all = [0, 1, 2, 3, 4].flatMap((k) => allSubKeys(k, 100));
    expect(new Set(all).size).toBe(500);
    for (const s of all) expect(Number.isInteger(s) && s >= 0 && s < KEY_LIMIT).toBe(true);
    expect(allSubKeys(3, 100)[17]).toBe(subKey(3, 17));
    expect(saltedKeys(3, 100)).toEqual(allSubKeys(3, 100));
    expect(subKey(2 ** 40 + 3, 5)).not.toBe(subKey(3, 5));
  });

  it("one hot key's buckets land on about `buckets` distinct hash shards", () => {
    // 100 sub-keys over 10,000 shards: expected pairwise collisions
    // C(100, 2) / 10,000 = 0.495, and P(Poisson(0.495) >= 5) ~ 2e-4.
    const p = new HashModPartitioner(10_000);
    const hit = new Set(allSubKeys(123_456, 100).map((s) => p.shardOf(s)));
    expect(hit.size).toBeGreaterThanOrEqual(96);
    // Over few shards the writes of one key now load every shard: 100 buckets
    // in 8 shards miss a given shard with probability (7/8)^100 ~ 2e-6.
    const l = loads(new HashModPartitioner(8), allSubKeys(123_456, 100));
    expect(l.every((x) => x > 0)).toBe(true);
  });
});

describe("every partitioner (fast-check)", () => {
  const factories: [string, (n: number) => Partitioner][] = [
    ["range", (n) => RangePartitioner.fromUniformRanges(n, 1_000_000)],
    ["hash mod", (n) => new HashModPartitioner(n)],
    ["consistent", (n) => new ConsistentHashPartitioner(n, 20)],
    ["rendezvous", (n) => new RendezvousPartitioner(n)],
    ["jump", (n) => new JumpPartitioner(n)],
    ["directory", (n) => new DirectoryPartitioner(new HashModPartitioner(n))],
    [
      "geo",
      (n) =>
        new GeoPartitioner(
          (k) => k % n,
          Array.from({ length: n }, (_, i) => i),
        ),
    ],
  ];
  const key = fc.oneof(
    fc.integer({ min: 0, max: 1000 }),
    fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  );

  for (const [name, make] of factories) {
    it(`${name}: shardOf is in [0, shards) and deterministic across calls and instances`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 64 }),
          fc.array(key, { minLength: 1, maxLength: 20 }),
          (n, ks) => {
            const a = make(n);
            const b = make(n);
            expect(a.shards).toBe(n);
            for (const k of ks) {
              const s = a.shardOf(k);
              expect(Number.isInteger(s) && s >= 0 && s < n).toBe(true);
              expect(a.shardOf(k)).toBe(s);
              expect(b.shardOf(k)).toBe(s);
            }
          },
        ),
        { numRuns: 100 },
      );
    });
  }
});

describe("hash slots", () => {
  it("deals 16,384 slots out evenly and moves only what evenness needs when growing or shrinking", () => {
    const three = new SlotPartitioner(3);
    expect(three.slots).toBe(16384);
    expect(three.slotCounts()).toEqual([5462, 5461, 5461]);
    const four = three.rebalance(4);
    expect(four.slotCounts()).toEqual([4096, 4096, 4096, 4096]);
    // 3 -> 4 moves exactly the new shard's share of the slots: a quarter of them
    let movedSlots = 0;
    // a slot's owner, learnt from the first key that hashes to it
    const ownerOf = (p: SlotPartitioner) => {
      const o = new Int32Array(16384).fill(-1);
      let found = 0;
      for (let k = 0; found < 16384; k++) {
        const s = p.slotOf(k);
        if (o[s] === -1) {
          o[s] = p.shardOf(k);
          found++;
        }
      }
      return o;
    };
    const before = ownerOf(three);
    const after = ownerOf(four);
    for (let slot = 0; slot < 16384; slot++) if (before[slot] !== after[slot]) movedSlots++;
    expect(movedSlots).toBe(4096);
    // keys follow their slots: ~25% of them move
    const keys = Array.from({ length: 50_000 }, (_, i) => i * 7919);
    expect(Math.abs(movedFraction(three, four, keys) - 0.25)).toBeLessThan(0.01);
    // shrinking 4 -> 3 hands the removed shard's slots out and moves nothing else
    const back = four.rebalance(3);
    expect(back.slotCounts()).toEqual([5462, 5461, 5461]);
    expect(Math.abs(movedFraction(four, back, keys) - 0.25)).toBeLessThan(0.01);
  });
});
