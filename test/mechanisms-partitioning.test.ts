import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CompositePartitioner,
  ConsistentHashPartitioner,
  DirectoryPartitioner,
  GeoPartitioner,
  HashModPartitioner,
  INSTAGRAM_IDS,
  JumpPartitioner,
  KEY_LIMIT,
  type KeyList,
  ListPartitioner,
  LogicalShardPartitioner,
  type Partitioner,
  RangePartitioner,
  RendezvousPartitioner,
  RoundRobinPartitioner,
  SlotPartitioner,
  allSubKeys,
  decodeShardedId,
  encodeShardedId,
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
    ["list", (n) => new ListPartitioner(n, [{ shard: n - 1, keys: [[0, 99], 500] }], 0)],
    [
      "composite",
      (n) => {
        const half = n >> 1;
        const lower = Array.from({ length: half }, (_, i) => i);
        const upper = Array.from({ length: n - half }, (_, i) => half + i);
        return new CompositePartitioner(n, half > 0 ? [{ keys: [[0, 999]], shards: lower }] : [], upper);
      },
    ],
    ["logical", (n) => new LogicalShardPartitioner(n, 256)],
    // placement follows the order keys are first seen, the same for both instances here
    ["round-robin", (n) => new RoundRobinPartitioner(n)],
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

describe("list partitioning (SH-11)", () => {
  it("puts listed keys and ranges on their shard, both ends included, and the rest on the default", () => {
    const p = new ListPartitioner(
      3,
      [
        { shard: 0, keys: [1, 2, 3] },
        { shard: 1, keys: [[10, 20], 42] },
      ],
      2,
    );
    expect([1, 2, 3, 9, 10, 15, 20, 21, 42, 0, 4, 43, 10 ** 12].map((k) => p.shardOf(k))).toEqual([
      0, 0, 0, 2, 1, 1, 1, 2, 1, 2, 2, 2, 2,
    ]);
    expect(p.isListed(20)).toBe(true);
    expect(p.isListed(21)).toBe(false);
    // overlapping entries of one shard merge; a key listed for two shards is a contradiction
    expect(new ListPartitioner(2, [{ shard: 1, keys: [[0, 10], [5, 15], 7] }], 0).shardOf(15)).toBe(1);
    expect(
      () =>
        new ListPartitioner(
          2,
          [
            { shard: 0, keys: [[0, 10]] },
            { shard: 1, keys: [10] },
          ],
          0,
        ),
    ).toThrow(/key 10 is listed for shards 0 and 1/);
    expect(() => new ListPartitioner(2, [{ shard: 2, keys: [1] }], 0)).toThrow(RangeError);
    expect(() => new ListPartitioner(2, [], 2)).toThrow(RangeError);
    expect(() => new ListPartitioner(2, [{ shard: 0, keys: [[5, 4]] }], 1)).toThrow(/empty/);
    expect(() => new ListPartitioner(2, [{ shard: 0, keys: [-1] }], 1)).toThrow(RangeError);
  });

  it("every listed key lands on its listed shard, every other key on the default (fast-check)", () => {
    // disjoint ranges by construction: each starts after the previous one's end plus a gap
    const spans = fc.array(
      fc.record({
        gap: fc.integer({ min: 1, max: 1000 }),
        len: fc.integer({ min: 0, max: 1000 }),
        shard: fc.integer({ min: 0, max: 7 }),
      }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(spans, fc.integer({ min: 0, max: 7 }), (raw, dflt) => {
        const lists: KeyList[] = Array.from({ length: 8 }, (_, shard) => ({ shard, keys: [] }));
        const ranges: [number, number, number][] = [];
        let at = 0;
        for (const { gap, len, shard } of raw) {
          const lo = at + gap;
          ranges.push([lo, lo + len, shard]);
          (lists[shard].keys as [number, number][]).push([lo, lo + len]);
          at = lo + len;
        }
        const p = new ListPartitioner(8, lists, dflt);
        for (const [lo, hi, shard] of ranges) {
          for (const k of [lo, (lo + hi) >> 1, hi]) expect(p.shardOf(k)).toBe(shard);
          // a gap is at least one key wide: the neighbours of a range are unlisted
          // unless the next range starts right there (gap 1 leaves none between)
          if (!ranges.some(([l, h]) => lo - 1 >= l && lo - 1 <= h)) expect(p.shardOf(lo - 1)).toBe(dflt);
          if (!ranges.some(([l, h]) => hi + 1 >= l && hi + 1 <= h)) expect(p.shardOf(hi + 1)).toBe(dflt);
        }
        expect(p.shardOf(at + 1)).toBe(dflt);
      }),
      { numRuns: 200 },
    );
  });
});

describe("composite partitioning: list, then hash (SH-13)", () => {
  // ids 0..49,999 are the EU's, on shards 0-1; everyone else is hashed over shards 2-5
  const p = new CompositePartitioner(6, [{ keys: [[0, 49_999]], shards: [0, 1] }], [2, 3, 4, 5]);

  it("keeps each key inside its group, spread evenly by hash within it", () => {
    const l = loads(p, keys);
    expect(l[0] + l[1]).toBe(50_000);
    expect(l[2] + l[3] + l[4] + l[5]).toBe(50_000);
    // within a group each shard's share is binomial
    expect(Math.abs(l[0] / 50_000 - 0.5)).toBeLessThan(binomialTol(0.5, 50_000));
    for (const s of [2, 3, 4, 5])
      expect(Math.abs(l[s] / 50_000 - 0.25)).toBeLessThan(binomialTol(0.25, 50_000));
    expect(p.groupOf(49_999)).toBe(0);
    expect(p.groupOf(50_000)).toBe(1);
  });

  it("lands every key on a shard of its own group (fast-check)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (k) => {
        const s = p.shardOf(k);
        expect(k < 50_000 ? [0, 1] : [2, 3, 4, 5]).toContain(s);
      }),
    );
  });

  it("refuses a shard in two groups and an empty group", () => {
    expect(() => new CompositePartitioner(4, [{ keys: [1], shards: [0, 1] }], [1, 2])).toThrow(
      /shard 1 is in two groups/,
    );
    expect(() => new CompositePartitioner(4, [{ keys: [1], shards: [] }], [1])).toThrow(RangeError);
    expect(() => new CompositePartitioner(4, [], [4])).toThrow(RangeError);
  });
});

describe("round-robin partitioning (SH-12)", () => {
  it("places the i-th new key on shard i mod n and never moves a placed key", () => {
    const p = new RoundRobinPartitioner(3);
    expect([100, 7, 100, 55, 7, 1, 2].map((k) => p.shardOf(k))).toEqual([0, 1, 0, 2, 1, 0, 1]);
    expect(p.size).toBe(5);
    expect(p.has(55)).toBe(true);
    expect(p.has(56)).toBe(false);
    expect(() => p.shardOf(-1)).toThrow(RangeError);
  });

  it("balances distinct keys exactly, whatever their values and repeats (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }),
        (n, ks) => {
          const p = new RoundRobinPartitioner(n);
          const where = new Map<number, number>();
          for (const k of ks) {
            const s = p.shardOf(k);
            expect(where.get(k) ?? s).toBe(s);
            where.set(k, s);
          }
          const counts = new Array<number>(n).fill(0);
          for (const s of where.values()) counts[s]++;
          // m distinct keys: the first m mod n shards hold one more than the others
          const m = where.size;
          expect(counts).toEqual(
            Array.from({ length: n }, (_, s) => Math.floor(m / n) + (s < m % n ? 1 : 0)),
          );
        },
      ),
    );
  });

  it("spreads any run of new keys exactly evenly, where hashing is only even on average", () => {
    const fresh = Array.from({ length: 10_000 }, (_, i) => 1_000_000 + i);
    expect(loads(new RoundRobinPartitioner(8), fresh)).toEqual(new Array<number>(8).fill(1250));
  });
});

describe("logical -> physical shards (SH-16)", () => {
  it("deals logical shards out in runs and hashes each key to a fixed logical shard", () => {
    const p = new LogicalShardPartitioner(4);
    expect(p.logicalShards).toBe(4096);
    expect(p.logicalCounts()).toEqual([1024, 1024, 1024, 1024]);
    expect(p.physicalOf(0)).toBe(0);
    expect(p.physicalOf(4095)).toBe(3);
    for (const k of keys.slice(0, 1000)) expect(p.shardOf(k)).toBe(p.physicalOf(p.logicalOf(k)));
    expect(() => new LogicalShardPartitioner(8, 4)).toThrow(RangeError);
    expect(() => new LogicalShardPartitioner(2, 4, [0, 1, 2, 0])).toThrow(RangeError);
    expect(() => p.reshard(5000)).toThrow(RangeError);
  });

  it("4 -> 5 physical shards reassigns a fifth of the logical shards, and moves their keys only", () => {
    const before = new LogicalShardPartitioner(4);
    const after = before.reshard(5);
    const moved = before.reassigned(after);
    // the fewest possible: the new shard's fair share, taken from the four old ones
    expect(moved).toHaveLength(after.logicalCounts()[4]);
    expect(Math.abs(moved.length - 4096 / 5)).toBeLessThan(1);
    for (const l of moved) expect(after.physicalOf(l)).toBe(4);
    const movedSet = new Set(moved);
    let movedKeys = 0;
    for (const k of keys) {
      const m = before.shardOf(k) !== after.shardOf(k);
      if (m !== movedSet.has(before.logicalOf(k))) expect.fail(`key ${k}`);
      if (m) movedKeys++;
    }
    // keys follow their logical shards: ~(P' - P) / P' = 1/5 of them
    expect(Math.abs(movedKeys / KEYS - 0.2)).toBeLessThan(binomialTol(0.2));
  });

  it("moving one logical shard moves exactly its keys, and can bring in a new physical shard", () => {
    const p = new LogicalShardPartitioner(2, 64);
    const q = p.move(5, 2);
    expect(q.shards).toBe(3);
    expect(p.reassigned(q)).toEqual([5]);
    for (const k of keys.slice(0, 20_000)) {
      const expected = p.logicalOf(k) === 5 ? 2 : p.shardOf(k);
      if (q.shardOf(k) !== expected) expect.fail(`key ${k}`);
    }
    expect(() => p.move(5, 3)).toThrow(RangeError);
  });

  it("reassigns only what evenness needs, growing or shrinking, and moves only those keys (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 12, max: 600 }),
        fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { maxLength: 50 }),
        (from, to, logical, ks) => {
          const before = new LogicalShardPartitioner(from, logical);
          const after = before.reshard(to);
          const moved = new Set(before.reassigned(after));
          // a logical shard must leave a physical shard only while it holds more than its new share
          const target = (s: number) => (s < to ? Math.floor(logical / to) + (s < logical % to ? 1 : 0) : 0);
          const minimum = before.logicalCounts().reduce((n, c, s) => n + Math.max(0, c - target(s)), 0);
          expect(moved.size).toBe(minimum);
          expect(after.logicalCounts()).toEqual(Array.from({ length: to }, (_, s) => target(s)));
          for (const k of ks) {
            expect(after.logicalOf(k)).toBe(before.logicalOf(k));
            expect(before.shardOf(k) !== after.shardOf(k)).toBe(moved.has(before.logicalOf(k)));
          }
        },
      ),
    );
  });
});

describe("ids that carry their shard (SH-16)", () => {
  const layout = fc
    .record({
      timeBits: fc.integer({ min: 0, max: 53 }),
      shardBits: fc.integer({ min: 0, max: 31 }),
      seqBits: fc.integer({ min: 0, max: 30 }),
    })
    .filter((l) => l.timeBits + l.shardBits + l.seqBits <= 64);
  const below = (bits: number) =>
    fc.integer({ min: 0, max: Math.min(2 ** bits - 1, Number.MAX_SAFE_INTEGER) });

  it("decodes every id to the fields it was made from (fast-check)", () => {
    fc.assert(
      fc.property(
        layout.chain((l) =>
          fc.tuple(fc.constant(l), below(l.timeBits), below(l.shardBits), below(l.seqBits)),
        ),
        ([l, timeMs, shard, seq]) => {
          const id = encodeShardedId({ timeMs, shard, seq }, l);
          expect(id >= 0n && id < 1n << BigInt(l.timeBits + l.shardBits + l.seqBits)).toBe(true);
          expect(decodeShardedId(id, l)).toEqual({ timeMs, shard, seq });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("sorts ids by time first (Instagram's layout: 41 + 13 + 10 bits)", () => {
    const t = 2 ** 41 - 1;
    const max = encodeShardedId({ timeMs: t, shard: 8191, seq: 1023 });
    expect(max).toBe((1n << 64n) - 1n);
    expect(decodeShardedId(max, INSTAGRAM_IDS)).toEqual({ timeMs: t, shard: 8191, seq: 1023 });
    const early = encodeShardedId({ timeMs: 1000, shard: 8191, seq: 1023 });
    const late = encodeShardedId({ timeMs: 1001, shard: 0, seq: 0 });
    expect(early < late).toBe(true);
    expect(() => encodeShardedId({ timeMs: 2 ** 41, shard: 0, seq: 0 })).toThrow(RangeError);
    expect(() => encodeShardedId({ timeMs: 0, shard: 8192, seq: 0 })).toThrow(RangeError);
    expect(() => encodeShardedId({ timeMs: 0, shard: 0, seq: 1024 })).toThrow(RangeError);
    expect(() => decodeShardedId(1n << 64n)).toThrow(RangeError);
    expect(() => decodeShardedId(-1n)).toThrow(RangeError);
    expect(() =>
      encodeShardedId({ timeMs: 0, shard: 0, seq: 0 }, { timeBits: 41, shardBits: 13, seqBits: 11 }),
    ).toThrow(RangeError);
  });

  it("routes an id from its bits to its owner's shard, before and after a resharding (fast-check)", () => {
    const p = new LogicalShardPartitioner(4);
    const q = p.reshard(7);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        below(41),
        below(10),
        (owner, timeMs, seq) => {
          const id = p.idFor(owner, timeMs, seq);
          expect(decodeShardedId(id).shard).toBe(p.logicalOf(owner));
          expect(p.shardOfId(id)).toBe(p.shardOf(owner));
          // the id never changes; the table it is read through does
          expect(q.shardOfId(id)).toBe(q.shardOf(owner));
        },
      ),
    );
  });
});
