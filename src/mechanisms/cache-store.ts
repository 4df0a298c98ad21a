// A key-value cache store holding real keys under a real eviction policy, so
// a cache's hit ratio emerges from the keys it is asked for. Values are a
// data version and a size: enough to measure staleness and memory without
// storing payloads. Time is an argument; the store owns no clock.
import {
  createEvictionPolicy,
  type EvictionPolicy,
  type EvictionPolicyName,
  PolicyNode,
} from "./eviction.js";

export type { EvictionPolicyName } from "./eviction.js";

export interface CacheValue {
  /** version of the source data this value was read at */
  version: number;
  /** bytes the value occupies */
  size: number;
  /** what else the holder records about the value (e.g. whose response it is); 0 if absent */
  tag?: number;
}

export interface CacheEntry {
  readonly key: number;
  readonly version: number;
  readonly size: number;
  readonly tag: number;
  /** absolute expiry time in ms (Infinity: never) */
  readonly expiresAt: number;
}

export interface CacheStoreOptions {
  maxEntries?: number;
  maxBytes?: number;
  policy: EvictionPolicyName;
  /** default time to live in ms; absent or 0 means entries never expire */
  ttl?: number;
  /** uniform [0, 1) source for random eviction (the component's seeded stream) */
  rand?: () => number;
  /** lfu-aging: references between halvings of the counts (default 10 × maxEntries) */
  agingWindow?: number;
  /** w-tinylfu: seed of the frequency sketch's hashes (default 0) */
  seed?: number;
  /** w-tinylfu: a Bloom-filter doorkeeper in front of the frequency sketch (default false) */
  doorkeeper?: boolean;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** live entries removed to make room */
  evictions: number;
  /** entries removed because their time to live had passed */
  expirations: number;
  /** new keys admitted */
  inserts: number;
  /** existing keys overwritten */
  updates: number;
  /** writes not stored: too large, or no room under ttl-only */
  rejections: number;
  /**
   * evictions of an entry the admission filter (w-tinylfu) refused to let
   * into the main space in place of its victim; included in evictions
   */
  rejectedAdmissions: number;
}

/** Counters of a store that has done nothing yet. */
export function emptyCacheStats(): CacheStats {
  return {
    hits: 0,
    misses: 0,
    evictions: 0,
    expirations: 0,
    inserts: 0,
    updates: 0,
    rejections: 0,
    rejectedAdmissions: 0,
  };
}

class StoredEntry extends PolicyNode implements CacheEntry {
  version = 0;
  size = 0;
  tag = 0;
}

/**
 * Every operation is O(1) except under ttl-only (O(log n) heap) and
 * lfu-aging (O(1) amortised: a periodic O(n) halving). Entry
 * objects are recycled after removal, so an entry returned by get or peek is
 * only valid until the next set or delete on the same store.
 */
export class CacheStore {
  readonly policyName: EvictionPolicyName;
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** default time to live (Infinity: none) */
  readonly ttl: number;
  readonly stats: CacheStats = emptyCacheStats();
  private readonly map = new Map<number, StoredEntry>();
  private readonly policy: EvictionPolicy<StoredEntry>;
  private usedBytes = 0;
  private seq = 0;
  /** removed entries chained through `next`, reused by the next insert */
  private spare: StoredEntry | null = null;

  constructor(opts: CacheStoreOptions) {
    const maxEntries = opts.maxEntries ?? Number.POSITIVE_INFINITY;
    const maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
    if (!(maxEntries >= 0)) throw new RangeError(`CacheStore: maxEntries must be >= 0, got ${maxEntries}`);
    if (!(maxBytes >= 0)) throw new RangeError(`CacheStore: maxBytes must be >= 0, got ${maxBytes}`);
    const ttl = opts.ttl ?? 0;
    if (!(ttl >= 0)) throw new RangeError(`CacheStore: ttl must be >= 0, got ${ttl}`);
    this.policyName = opts.policy;
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.ttl = ttl > 0 ? ttl : Number.POSITIVE_INFINITY;
    // The policy's capacity is in entries; a byte-bounded store leaves it to estimate (see EvictionPolicyOptions).
    this.policy = createEvictionPolicy<StoredEntry>(opts.policy, {
      rand: opts.rand,
      capacity: maxEntries,
      agingWindow: opts.agingWindow,
      seed: opts.seed,
      doorkeeper: opts.doorkeeper,
    });
  }

  /** Entries held, including expired ones not yet reclaimed. */
  get size(): number {
    return this.map.size;
  }

  /** Bytes held, including expired entries not yet reclaimed. */
  get bytes(): number {
    return this.usedBytes;
  }

  /** Hits over lookups so far (0 before any lookup). */
  get hitRatio(): number {
    const n = this.stats.hits + this.stats.misses;
    return n === 0 ? 0 : this.stats.hits / n;
  }

  /** A lookup: counts a hit or a miss, informs the policy, drops the entry if it has expired. */
  get(key: number, now: number): CacheEntry | undefined {
    const e = this.map.get(key);
    if (e === undefined) {
      this.stats.misses++;
      return undefined;
    }
    if (e.expiresAt <= now) {
      this.stats.expirations++;
      this.remove(e);
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    this.policy.access(e);
    return e;
  }

  /** Reads without side effects: no statistics, no recency or frequency change, no expiry. */
  peek(key: number, now: number): CacheEntry | undefined {
    const e = this.map.get(key);
    return e !== undefined && e.expiresAt > now ? e : undefined;
  }

  has(key: number, now: number): boolean {
    return this.peek(key, now) !== undefined;
  }

  /**
   * Stores value under key, evicting as the policy dictates until both the
   * entry and byte limits hold. ttl overrides the store default (0: never
   * expires). Returns false if the value was not stored: it is larger than
   * the whole cache, or ttl-only has no expired entry to reclaim, or the
   * policy chose the overwritten entry itself as the victim. A refused
   * overwrite also drops the old value, so the store never keeps serving a
   * version older than a write it was given.
   */
  set(key: number, value: CacheValue, now: number, ttl?: number): boolean {
    const life = ttl === undefined ? this.ttl : ttl > 0 ? ttl : Number.POSITIVE_INFINITY;
    const expiresAt = now + life;
    const size = value.size;
    const st = this.stats;
    let e = this.map.get(key);
    if (e !== undefined && e.expiresAt <= now) {
      st.expirations++;
      this.remove(e);
      e = undefined;
    }
    if (size > this.maxBytes || this.maxEntries < 1) {
      if (e !== undefined) this.remove(e);
      st.rejections++;
      return false;
    }
    if (e !== undefined) {
      this.usedBytes += size - e.size;
      e.size = size;
      e.version = value.version;
      e.tag = value.tag ?? 0;
      e.expiresAt = expiresAt;
      e.seq = ++this.seq;
      this.policy.update(e);
      st.updates++;
      while (this.usedBytes > this.maxBytes) {
        const v = this.policy.victim(now, key);
        if (v === null || v === e) {
          this.remove(e);
          st.rejections++;
          return false;
        }
        this.evict(v, now);
      }
      return true;
    }
    while (this.map.size >= this.maxEntries || this.usedBytes + size > this.maxBytes) {
      const v = this.victimFor(key, now);
      if (v === null) {
        st.rejections++;
        return false;
      }
      this.evict(v, now);
    }
    let fresh = this.spare;
    if (fresh !== null) this.spare = fresh.next as StoredEntry | null;
    else fresh = new StoredEntry();
    fresh.next = null;
    fresh.key = key;
    fresh.version = value.version;
    fresh.size = size;
    fresh.tag = value.tag ?? 0;
    fresh.expiresAt = expiresAt;
    fresh.seq = ++this.seq;
    this.map.set(key, fresh);
    this.usedBytes += size;
    this.policy.insert(fresh);
    st.inserts++;
    return true;
  }

  /** Removes key (expired or not); true if an entry was held. */
  delete(key: number): boolean {
    const e = this.map.get(key);
    if (e === undefined) return false;
    this.remove(e);
    return true;
  }

  /** Active expiry: reclaims every expired entry (O(n)); returns how many. */
  purgeExpired(now: number): number {
    let n = 0;
    for (const e of this.map.values()) {
      if (e.expiresAt <= now) {
        this.remove(e);
        n++;
      }
    }
    this.stats.expirations += n;
    return n;
  }

  /** Drops every entry (a flush or a restart); statistics are kept. */
  clear(): void {
    for (const e of this.map.values()) this.remove(e);
  }

  /** Keys held, in no particular order (for reports and tests, not the hot path). */
  keys(): IterableIterator<number> {
    return this.map.keys();
  }

  /**
   * The entry to evict to make room for a new key: the policy's victim,
   * unless the policy has an admission filter and the entry competing for the
   * victim's place (its candidate) loses the duel, in which case the
   * candidate goes. An expired contender goes without a duel.
   */
  private victimFor(key: number, now: number): StoredEntry | null {
    const policy = this.policy;
    const v = policy.victim(now, key);
    if (v === null || policy.candidate === undefined) return v;
    const c = policy.candidate(now);
    if (c === null || c === v || v.expiresAt <= now) return v;
    if (c.expiresAt <= now) return c;
    if (policy.admit!(c, v)) return v;
    this.stats.rejectedAdmissions++;
    return c;
  }

  private evict(v: StoredEntry, now: number): void {
    const live = v.expiresAt > now;
    if (live) this.stats.evictions++;
    else this.stats.expirations++;
    this.remove(v, live);
  }

  private remove(e: StoredEntry, evicted = false): void {
    this.map.delete(e.key);
    this.policy.remove(e, evicted);
    this.usedBytes -= e.size;
    e.bucket = null;
    e.prev = null;
    e.next = this.spare;
    this.spare = e;
  }
}
