import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stream } from "../src/kernel/rng.js";
import { type CacheStats, CacheStore, emptyCacheStats } from "../src/mechanisms/cache-store.js";
import { EVICTION_POLICIES, type EvictionPolicyName } from "../src/mechanisms/eviction.js";

/**
 * A deliberately naive reference: entries in an array, victims found by a
 * linear scan over explicit recency, insertion and frequency counters. It
 * shares no code with the store, only the documented semantics.
 */
interface RefEntry {
  key: number;
  version: number;
  size: number;
  expiresAt: number;
  lastUse: number;
  inserted: number;
  freq: number;
  wseq: number;
}

class RefCache {
  entries: RefEntry[] = [];
  clock = 0;
  wseq = 0;
  stats: CacheStats = emptyCacheStats();
  constructor(
    readonly policy: EvictionPolicyName,
    readonly maxEntries: number,
    readonly maxBytes: number,
    readonly ttl: number,
  ) {}

  private find(key: number) {
    return this.entries.find((e) => e.key === key);
  }
  private drop(e: RefEntry) {
    this.entries = this.entries.filter((x) => x !== e);
  }
  get bytes() {
    return this.entries.reduce((s, e) => s + e.size, 0);
  }
  private argmin(score: (e: RefEntry) => number[]): RefEntry | null {
    let best: RefEntry | null = null;
    let bs: number[] = [];
    for (const e of this.entries) {
      const s = score(e);
      const less = best === null || s[0] < bs[0] || (s[0] === bs[0] && s[1] < bs[1]);
      if (less) {
        best = e;
        bs = s;
      }
    }
    return best;
  }
  private victim(now: number): RefEntry | null {
    switch (this.policy) {
      case "lru":
        return this.argmin((e) => [e.lastUse, 0]);
      case "mru":
        return this.argmin((e) => [-e.lastUse, 0]);
      case "fifo":
        return this.argmin((e) => [e.inserted, 0]);
      case "lifo":
        return this.argmin((e) => [-e.inserted, 0]);
      case "lfu":
        return this.argmin((e) => [e.freq, e.lastUse]);
      case "ttl-only": {
        const v = this.argmin((e) => [e.expiresAt, e.wseq]);
        return v && v.expiresAt <= now ? v : null;
      }
      default:
        throw new Error("no reference for random");
    }
  }
  private evict(v: RefEntry, now: number) {
    if (v.expiresAt <= now) this.stats.expirations++;
    else this.stats.evictions++;
    this.drop(v);
  }

  get(key: number, now: number): number | undefined {
    const e = this.find(key);
    if (!e) {
      this.stats.misses++;
      return undefined;
    }
    if (e.expiresAt <= now) {
      this.stats.expirations++;
      this.stats.misses++;
      this.drop(e);
      return undefined;
    }
    this.stats.hits++;
    e.lastUse = ++this.clock;
    e.freq++;
    return e.version;
  }

  set(key: number, version: number, size: number, now: number, ttl?: number): boolean {
    const life = ttl === undefined ? this.ttl : ttl > 0 ? ttl : Number.POSITIVE_INFINITY;
    let e = this.find(key);
    if (e && e.expiresAt <= now) {
      this.stats.expirations++;
      this.drop(e);
      e = undefined;
    }
    if (size > this.maxBytes || this.maxEntries < 1) {
      if (e) this.drop(e);
      this.stats.rejections++;
      return false;
    }
    if (e) {
      e.version = version;
      e.size = size;
      e.expiresAt = now + life;
      e.wseq = ++this.wseq;
      e.lastUse = ++this.clock;
      e.freq++;
      this.stats.updates++;
      while (this.bytes > this.maxBytes) {
        const v = this.victim(now);
        if (v === null || v === e) {
          this.drop(e);
          this.stats.rejections++;
          return false;
        }
        this.evict(v, now);
      }
      return true;
    }
    while (this.entries.length >= this.maxEntries || this.bytes + size > this.maxBytes) {
      const v = this.victim(now);
      if (v === null) {
        this.stats.rejections++;
        return false;
      }
      this.evict(v, now);
    }
    const t = ++this.clock;
    this.entries.push({
      key,
      version,
      size,
      expiresAt: now + life,
      lastUse: t,
      inserted: t,
      freq: 1,
      wseq: ++this.wseq,
    });
    this.stats.inserts++;
    return true;
  }

  delete(key: number): boolean {
    const e = this.find(key);
    if (!e) return false;
    this.drop(e);
    return true;
  }
}

type Op =
  | { t: "get"; key: number }
  | { t: "set"; key: number; size: number; ttl?: number }
  | { t: "del"; key: number }
  | { t: "tick"; dt: number };

const KEY_SPACE = 10;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("get" as const), key: fc.nat(KEY_SPACE - 1) }) },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        t: fc.constant("set" as const),
        key: fc.nat(KEY_SPACE - 1),
        size: fc.integer({ min: 1, max: 6 }),
        ttl: fc.constantFrom(0, 3, 10),
      },
      { requiredKeys: ["t", "key", "size"] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("del" as const), key: fc.nat(KEY_SPACE - 1) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("tick" as const), dt: fc.nat(4) }) },
);

const configArb = fc.record({
  maxEntries: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
  maxBytes: fc.option(fc.integer({ min: 3, max: 20 }), { nil: undefined }),
  ttl: fc.option(fc.constantFrom(5, 20), { nil: undefined }),
});

/** All entries including expired ones not yet reclaimed (peek at the beginning of time). */
function heldKeys(store: CacheStore): number[] {
  return Array.from(store.keys()).sort((a, b) => a - b);
}

function checkAgainstReference(policy: EvictionPolicyName) {
  fc.assert(
    fc.property(configArb, fc.array(opArb, { maxLength: 120 }), (cfg, ops) => {
      const store = new CacheStore({ policy, ...cfg });
      const ref = new RefCache(
        policy,
        cfg.maxEntries ?? Infinity,
        cfg.maxBytes ?? Infinity,
        cfg.ttl ?? Infinity,
      );
      let now = 0;
      let version = 0;
      for (const op of ops) {
        switch (op.t) {
          case "get": {
            const got = store.get(op.key, now);
            expect(got?.version).toBe(ref.get(op.key, now));
            break;
          }
          case "set": {
            version++;
            const a = store.set(op.key, { version, size: op.size }, now, op.ttl);
            expect(a).toBe(ref.set(op.key, version, op.size, now, op.ttl));
            break;
          }
          case "del":
            expect(store.delete(op.key)).toBe(ref.delete(op.key));
            break;
          case "tick":
            now += op.dt;
            break;
        }
        expect(heldKeys(store)).toEqual(ref.entries.map((e) => e.key).sort((a, b) => a - b));
        expect(store.bytes).toBe(ref.bytes);
        expect(store.stats).toEqual(ref.stats);
      }
    }),
    { seed: 1234, numRuns: 2000 },
  );
}

describe("CacheStore against a naive reference (model-based)", () => {
  for (const policy of ["lru", "lfu", "fifo", "ttl-only", "mru", "lifo"] as const) {
    it(`${policy}: same hits, versions, admissions, contents and statistics`, () =>
      checkAgainstReference(policy));
  }
});

describe("CacheStore invariants", () => {
  it("never exceeds maxEntries or maxBytes, for every policy", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EVICTION_POLICIES),
        configArb,
        fc.array(opArb, { maxLength: 150 }),
        fc.integer(),
        (policy, cfg, ops, seed) => {
          const rng = stream(seed, "evict");
          const store = new CacheStore({ policy, ...cfg, rand: () => rng.next() });
          let now = 0;
          for (const op of ops) {
            if (op.t === "get") store.get(op.key, now);
            else if (op.t === "set") store.set(op.key, { version: 1, size: op.size }, now, op.ttl);
            else if (op.t === "del") store.delete(op.key);
            else now += op.dt;
            expect(store.size).toBeLessThanOrEqual(cfg.maxEntries ?? Infinity);
            expect(store.bytes).toBeLessThanOrEqual(cfg.maxBytes ?? Infinity);
            let sum = 0;
            for (const k of heldKeys(store)) sum += store.peek(k, Number.NEGATIVE_INFINITY)!.size;
            expect(store.bytes).toBe(sum);
          }
        },
      ),
      { seed: 99, numRuns: 400 },
    );
  });

  it("random eviction picks victims uniformly with the supplied stream", () => {
    const rng = stream(17, "random-evict");
    const store = new CacheStore({ policy: "random", maxEntries: 10, rand: () => rng.next() });
    const survived = new Array(10).fill(0);
    for (let trial = 0; trial < 2000; trial++) {
      store.clear();
      for (let k = 0; k < 10; k++) store.set(k, { version: 0, size: 1 }, 0);
      store.set(100, { version: 0, size: 1 }, 0);
      for (let k = 0; k < 10; k++) if (store.has(k, 0)) survived[k]++;
    }
    // each of the 10 is the victim with probability 1/10
    for (const s of survived) expect(Math.abs(s / 2000 - 0.9)).toBeLessThan(4 * Math.sqrt(0.09 / 2000));
    expect(() => new CacheStore({ policy: "random", maxEntries: 1 })).toThrow(/rand/);
  });
});

describe("TTL expiry (CA-20)", () => {
  it("expires at now + ttl, lazily on read, with per-key overrides", () => {
    const store = new CacheStore({ policy: "lru", maxEntries: 10, ttl: 100 });
    store.set(1, { version: 1, size: 1 }, 0);
    store.set(2, { version: 1, size: 1 }, 0, 500);
    store.set(3, { version: 1, size: 1 }, 0, 0); // 0 overrides the default: never expires
    expect(store.get(1, 99)?.version).toBe(1);
    expect(store.peek(1, 100)).toBeUndefined();
    expect(store.size).toBe(3); // peek does not reclaim
    expect(store.get(1, 100)).toBeUndefined();
    expect(store.stats.expirations).toBe(1);
    expect(store.size).toBe(2);
    expect(store.get(2, 499)).toBeDefined();
    expect(store.get(3, 1e12)).toBeDefined();
    expect(store.purgeExpired(500)).toBe(1);
    expect(store.size).toBe(1);
  });

  it("a TTL shorter than the re-access interval makes every access miss", () => {
    const store = new CacheStore({ policy: "lru", maxEntries: 100, ttl: 30_000 });
    let hits = 0;
    for (let t = 0; t < 3_600_000; t += 60_000) {
      if (store.get(7, t)) hits++;
      else store.set(7, { version: 1, size: 1 }, t);
    }
    expect(hits).toBe(0);
    expect(store.stats.misses).toBe(60);
  });

  it("ttl-only refuses new keys while full of live entries and reclaims expired ones first", () => {
    const store = new CacheStore({ policy: "ttl-only", maxEntries: 2, ttl: 100 });
    expect(store.set(1, { version: 1, size: 1 }, 0)).toBe(true);
    expect(store.set(2, { version: 1, size: 1 }, 10)).toBe(true);
    expect(store.set(3, { version: 1, size: 1 }, 50)).toBe(false);
    expect(store.stats.rejections).toBe(1);
    expect(store.stats.evictions).toBe(0);
    expect(store.set(1, { version: 2, size: 1 }, 60)).toBe(true); // overwrite needs no room, refreshes TTL
    expect(store.set(3, { version: 1, size: 1 }, 110)).toBe(true); // key 2 expired at 110
    expect(heldKeys(store)).toEqual([1, 3]);
    expect(store.stats.expirations).toBe(1);
    // without any TTL nothing ever leaves, so nothing new gets in
    const forever = new CacheStore({ policy: "ttl-only", maxEntries: 1 });
    forever.set(1, { version: 1, size: 1 }, 0);
    expect(forever.set(2, { version: 1, size: 1 }, 1e9)).toBe(false);
  });

  it("refuses an item larger than the cache and drops the value it would have replaced", () => {
    const store = new CacheStore({ policy: "lru", maxBytes: 10 });
    store.set(1, { version: 1, size: 4 }, 0);
    expect(store.set(1, { version: 2, size: 11 }, 0)).toBe(false);
    expect(store.get(1, 0)).toBeUndefined();
    expect(store.bytes).toBe(0);
  });
});

describe("LRU vs LFU under a scan (CA-13, CA-15)", () => {
  it("one pass over cold keys flushes LRU's hot set but not LFU's", () => {
    const hot = 10;
    const result: Record<string, number> = {};
    for (const policy of ["lru", "lfu"] as const) {
      const store = new CacheStore({ policy, maxEntries: 20 });
      const touch = (k: number, t: number) => {
        if (!store.get(k, t)) store.set(k, { version: 1, size: 1 }, t);
      };
      let t = 0;
      for (let round = 0; round < 5; round++) for (let k = 0; k < hot; k++) touch(k, t++);
      for (let k = 1000; k < 2000; k++) touch(k, t++); // the batch scan
      const before = store.stats.hits;
      for (let k = 0; k < hot; k++) touch(k, t++);
      result[policy] = store.stats.hits - before;
    }
    expect(result.lru).toBe(0);
    expect(result.lfu).toBe(hot);
  });
});
