import { grown } from "../kernel/typed-arrays.js";
// Rate limiters over integer keys (a user, an IP, an API key, a tier, or one
// global key), each key with its own state, as a gateway (or a Redis script)
// keeps them. Six algorithms behind one interface:
//
//  token-bucket     B tokens refilled at R per second, lazily (tokens, last refill)
//  leaky-bucket     the leaky bucket as a meter, i.e. GCRA (one "theoretical
//                   arrival time" per key): admits exactly what a token bucket
//                   of the same rate and burst admits
//  leaky-queue      the leaky bucket as a queue: a FIFO drained at R per second;
//                   an admitted request waits its turn (delayMs), a request that
//                   would overflow the queue is dropped
//  fixed-window     a counter per aligned window (INCR + EXPIRE)
//  sliding-log      the timestamps of the admitted requests of the last window
//  sliding-counter  this window's count plus the previous one's, weighted by
//                   how much of it the sliding window still covers
//
// Every check may cost several units (cost-weighted limits), and every refusal
// says when the same request would be admitted (Retry-After) if nothing else
// arrived meanwhile. That time is exact: each algorithm computes the instant
// it would admit the request and admits it iff now has reached it, so a retry
// at now + retryAfterMs is admitted and one any earlier is not. Times are
// compared at a resolution of TIME_EPSILON_MS (1 ns), which absorbs the
// rounding of now + retryAfterMs.
//
// `peek` decides without changing a key's state and `take` then counts the
// request: a caller with several limits peeks them all and takes from each
// only if every one admits, so that a refused request is counted nowhere.
//
// Memory is bounded as Redis key TTLs bound it: a key idle for as long as its
// state takes to become a fresh key's (a full bucket, a window gone by) is
// dropped lazily, by a sweep that looks at two keys per count, so at most
// about twice the keys active within that time are held. Dropping such a key
// changes no decision. A sliding log holds one entry per admitted request of
// the last window, so its memory grows with the limit.
//
// `now` is in ms and must not go backwards between calls on one limiter.

export const RATE_ALGORITHMS = [
  "token-bucket",
  "leaky-bucket",
  "leaky-queue",
  "fixed-window",
  "sliding-log",
  "sliding-counter",
] as const;
export type RateAlgorithm = (typeof RATE_ALGORITHMS)[number];

/** The algorithms configured by a rate and a burst; the others by a limit per window. */
export const BUCKET_ALGORITHMS: readonly RateAlgorithm[] = ["token-bucket", "leaky-bucket", "leaky-queue"];

export function isBucket(a: RateAlgorithm): a is BucketAlgorithm {
  return BUCKET_ALGORITHMS.includes(a);
}

export type BucketAlgorithm = "token-bucket" | "leaky-bucket" | "leaky-queue";
export type WindowAlgorithm = "fixed-window" | "sliding-log" | "sliding-counter";

export type LimiterSpec =
  | {
      algorithm: BucketAlgorithm;
      /** units per second refilled (token bucket) or drained (leaky buckets) */
      ratePerSec: number;
      /** the bucket's capacity in units: the largest burst admitted at once (the queue's size for leaky-queue) */
      burst: number;
    }
  | {
      algorithm: WindowAlgorithm;
      /** units admitted per window */
      limit: number;
      windowMs: number;
    };

/** Resolution of time comparisons (ms). */
export const TIME_EPSILON_MS = 1e-6;

export interface RateLimiter {
  readonly algorithm: RateAlgorithm;
  /** after a refusing peek or check: ms until the request would be admitted (Infinity: it costs more than the limit, never) */
  retryAfterMs: number;
  /** after an admitting peek or check: ms the request waits before it goes on (leaky-queue; 0 for the others) */
  delayMs: number;
  /** Whether `cost` units for `key` would be admitted at `now`; changes no key's state. */
  peek(key: number, now: number, cost: number): boolean;
  /** Counts `cost` units for `key` at `now` (after a peek at the same time that admitted them). */
  take(key: number, now: number, cost: number): void;
  /** peek, and take if admitted. */
  check(key: number, now: number, cost: number): boolean;
  /** keys held now, and the most held at once */
  readonly keys: number;
  /** a key this long without a take is dropped, its state being a fresh key's by then (Infinity: never) */
  idleMs: number;
  readonly maxKeys: number;
  /** forgets every key (a restarted process's in-memory limiter) */
  clear(): void;
}

/**
 * A limiter for `spec`. With `keySpace`, every key must be a whole number
 * below it (user ids, say), and keys are found by index rather than hashed.
 */
export function createLimiter(spec: LimiterSpec, keySpace = 0): RateLimiter {
  switch (spec.algorithm) {
    case "token-bucket":
      return new TokenBucket(spec.ratePerSec, spec.burst, keySpace);
    case "leaky-bucket":
      return new LeakyBucketMeter(spec.ratePerSec, spec.burst, keySpace);
    case "leaky-queue":
      return new LeakyBucketQueue(spec.ratePerSec, spec.burst, keySpace);
    case "fixed-window":
      return new FixedWindow(spec.limit, spec.windowMs, keySpace);
    case "sliding-log":
      return new SlidingLog(spec.limit, spec.windowMs, keySpace);
    case "sliding-counter":
      return new SlidingCounter(spec.limit, spec.windowMs, keySpace);
  }
}

/**
 * Time (ms) after which a key's state equals a fresh key's, counted from its
 * last take: the idle TTL of its keys.
 */
export function idleMs(spec: LimiterSpec): number {
  if (spec.algorithm === "sliding-counter") return 2 * spec.windowMs;
  if ("windowMs" in spec) return spec.windowMs;
  return (spec.burst * 1000) / spec.ratePerSec;
}

function positive(what: string, v: number): void {
  if (!(v > 0) || Number.isNaN(v)) throw new RangeError(`rate limiter: ${what} must be > 0, got ${v}`);
}

/**
 * Keys to slots, with lazy expiry of idle keys: each new count also looks at
 * the next two slots in turn and drops them if idle, as Redis samples keys
 * with a TTL, so a sweep of every slot takes half as many counts as there are
 * slots, and at most twice the keys active within the idle time are held.
 * A slot found idle but not yet swept is a fresh key to every algorithm
 * (that is what the idle time means), so when a key goes changes nothing.
 * Subclasses keep their state in columns indexed by slot.
 */
abstract class Keyed {
  retryAfterMs = 0;
  delayMs = 0;
  maxKeys = 0;
  private readonly slots = new Map<number, number>();
  private keyOf = new Float64Array(16);
  /** time of each slot's last take; NaN for a free slot */
  private touched = new Float64Array(16).fill(Number.NaN);
  private readonly free: number[] = [];
  private used = 0;
  private slotCapacity = 16;
  private cursor = 0;

  /** with a key space: slot + 1 of each key (0: none), in place of the map */
  private readonly dense: Int32Array | null;
  private live = 0;

  /**
   * Keys this long without a take are dropped (Infinity: kept for ever). With
   * a key space (every key a whole number below it), keys are found by index
   * rather than by hashing, for 4 bytes per possible key.
   */
  constructor(
    public idleMs: number,
    keySpace = 0,
  ) {
    this.dense = keySpace > 0 ? new Int32Array(keySpace) : null;
  }

  get keys(): number {
    return this.live;
  }

  /** Fresh state in a new slot. */
  protected abstract reset(slot: number): void;
  /** Grows the subclass's columns to `capacity` slots. */
  protected abstract grow(capacity: number): void;
  /** A slot's key was dropped (expired or cleared). */
  protected dropped(_slot: number): void {}

  /** the key last looked up and its slot: a take follows its peek with the same key */
  private lastKey = Number.NaN;
  private lastSlot = -1;

  /** The key's slot, or -1 for a key without state (a fresh key). */
  protected lookup(key: number, _now: number): number {
    if (key === this.lastKey) return this.lastSlot;
    const s = this.dense !== null ? this.dense[key] - 1 : (this.slots.get(key) ?? -1);
    this.lastKey = key;
    this.lastSlot = s;
    return s;
  }

  /** The key's slot, created fresh if needed, marked as taken from at `now`. */
  protected claim(key: number, now: number): number {
    this.sweep(now);
    let s = this.lookup(key, now);
    if (s < 0) {
      s = this.free.pop() ?? this.used++;
      if (s >= this.slotCapacity) this.enlarge();
      if (this.dense !== null) this.dense[key] = s + 1;
      else this.slots.set(key, s);
      this.lastSlot = s;
      if (++this.live > this.maxKeys) this.maxKeys = this.live;
      this.keyOf[s] = key;
      this.reset(s);
    }
    this.touched[s] = now;
    return s;
  }

  clear(): void {
    for (let s = 0; s < this.used; s++) if (!Number.isNaN(this.touched[s])) this.drop(s);
  }

  /** Drops the next two slots in turn if they have been idle long enough. */
  private sweep(now: number): void {
    for (let k = 0; k < 2 && this.used > 0; k++) {
      const s = this.cursor;
      this.cursor = s + 1 < this.used ? s + 1 : 0;
      if (this.touched[s] + this.idleMs <= now) this.drop(s);
    }
  }

  private drop(s: number): void {
    if (s === this.lastSlot) {
      this.lastKey = Number.NaN;
      this.lastSlot = -1;
    }
    if (this.dense !== null) this.dense[this.keyOf[s]] = 0;
    else this.slots.delete(this.keyOf[s]);
    this.touched[s] = Number.NaN;
    this.live--;
    this.free.push(s);
    this.dropped(s);
  }

  private enlarge(): void {
    const cap = this.slotCapacity * 2;
    this.keyOf = grown(this.keyOf, cap);
    this.touched = grown(this.touched, cap, Number.NaN);
    this.slotCapacity = cap;
    this.grow(cap);
  }

  check(key: number, now: number, cost: number): boolean {
    if (!this.peek(key, now, cost)) return false;
    this.take(key, now, cost);
    return true;
  }

  abstract peek(key: number, now: number, cost: number): boolean;
  abstract take(key: number, now: number, cost: number): void;

  /** Admits iff now has reached `allowAt`; otherwise sets the Retry-After. */
  protected admitAt(allowAt: number, now: number): boolean {
    if (now + TIME_EPSILON_MS >= allowAt) return true;
    this.retryAfterMs = allowAt - now;
    return false;
  }

  protected never(): boolean {
    this.retryAfterMs = Number.POSITIVE_INFINITY;
    return false;
  }
}

/**
 * Token bucket, refilled lazily: per key the tokens left at its last take
 * and the time of that take. A request costing n is admitted once the bucket
 * holds n tokens: at last + (n - tokens) / rate.
 */
export class TokenBucket extends Keyed implements RateLimiter {
  readonly algorithm = "token-bucket";
  private tokens = new Float64Array(16);
  private last = new Float64Array(16);
  /** tokens per ms */
  private readonly perMs: number;

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    keySpace = 0,
  ) {
    positive("rate", ratePerSec);
    positive("burst", burst);
    super((burst * 1000) / ratePerSec, keySpace);
    this.perMs = ratePerSec / 1000;
  }

  /** Tokens the key's bucket holds at `now`. */
  level(key: number, now: number): number {
    const s = this.lookup(key, now);
    return s < 0 ? this.burst : Math.min(this.burst, this.tokens[s] + (now - this.last[s]) * this.perMs);
  }

  peek(key: number, now: number, cost: number): boolean {
    this.delayMs = 0;
    if (cost > this.burst) return this.never();
    const s = this.lookup(key, now);
    if (s < 0) return true;
    return this.admitAt(this.last[s] + (cost - this.tokens[s]) / this.perMs, now);
  }

  take(key: number, now: number, cost: number): void {
    const level = this.level(key, now);
    const s = this.claim(key, now);
    // a take admitted within the time resolution may find a hair less than
    // cost: the bucket never goes below empty, so it never admits more
    this.tokens[s] = Math.max(0, level - cost);
    this.last[s] = now;
  }

  protected reset(s: number): void {
    this.tokens[s] = this.burst;
    this.last[s] = 0;
  }

  protected grow(cap: number): void {
    this.tokens = grown(this.tokens, cap);
    this.last = grown(this.last, cap);
  }
}

/**
 * The leaky bucket as a meter: the generic cell rate algorithm. Each unit
 * is due one emission interval T = 1/rate after the previous one; a key's
 * theoretical arrival time (TAT) is when its bucket would be empty again.
 * A request of n units is admitted if, once added, the bucket holds at most
 * `burst` units: max(TAT, now) + nT - now <= burst·T.
 */
export class LeakyBucketMeter extends Keyed implements RateLimiter {
  readonly algorithm = "leaky-bucket";
  private tat = new Float64Array(16);
  /** emission interval, ms per unit */
  protected readonly t: number;

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    keySpace = 0,
  ) {
    positive("rate", ratePerSec);
    positive("burst", burst);
    super((burst * 1000) / ratePerSec, keySpace);
    this.t = 1000 / ratePerSec;
  }

  peek(key: number, now: number, cost: number): boolean {
    this.delayMs = 0;
    if (cost > this.burst) return this.never();
    const s = this.lookup(key, now);
    if (s < 0) return true;
    return this.admitAt(Math.max(this.tat[s], now) + (cost - this.burst) * this.t, now);
  }

  take(key: number, now: number, cost: number): void {
    const s = this.lookup(key, now);
    const tat = s < 0 ? now : Math.max(this.tat[s], now);
    this.tat[this.claim(key, now)] = tat + cost * this.t;
  }

  protected reset(s: number): void {
    this.tat[s] = Number.NEGATIVE_INFINITY;
  }

  protected grow(cap: number): void {
    this.tat = grown(this.tat, cap);
  }
}

/**
 * The leaky bucket as a queue: requests wait in a FIFO of `queueSize` units
 * that drains at `rate`, so they leave perfectly evenly spaced whatever the
 * arrivals. Per key, the time its drain is free again (D). A request of n
 * units leaves at max(D, now) (delayMs after it arrived) and holds the drain
 * for n/rate; it is dropped if the queue then held more than `capacity`
 * units: (D - now)·rate + n > queueSize.
 */
export class LeakyBucketQueue extends Keyed implements RateLimiter {
  readonly algorithm = "leaky-queue";
  private drainFree = new Float64Array(16);
  private readonly t: number;

  constructor(
    readonly ratePerSec: number,
    readonly queueSize: number,
    keySpace = 0,
  ) {
    positive("rate", ratePerSec);
    positive("queue size", queueSize);
    super((queueSize * 1000) / ratePerSec, keySpace);
    this.t = 1000 / ratePerSec;
  }

  peek(key: number, now: number, cost: number): boolean {
    this.delayMs = 0;
    if (cost > this.queueSize) return this.never();
    const s = this.lookup(key, now);
    if (s < 0) return true;
    const d = this.drainFree[s];
    if (!this.admitAt(d + (cost - this.queueSize) * this.t, now)) return false;
    this.delayMs = Math.max(0, d - now);
    return true;
  }

  take(key: number, now: number, cost: number): void {
    const s0 = this.lookup(key, now);
    const leaves = s0 < 0 ? now : Math.max(this.drainFree[s0], now);
    this.delayMs = leaves - now;
    this.drainFree[this.claim(key, now)] = leaves + cost * this.t;
  }

  protected reset(s: number): void {
    this.drainFree[s] = Number.NEGATIVE_INFINITY;
  }

  protected grow(cap: number): void {
    this.drainFree = grown(this.drainFree, cap);
  }
}

/** Index of the aligned window holding `now`. */
function windowOf(now: number, windowMs: number): number {
  return Math.floor((now + TIME_EPSILON_MS) / windowMs);
}

/**
 * A counter per aligned window [kW, (k+1)W): up to `limit` units per window,
 * however they bunch up, so `limit` at the end of one window and `limit` at
 * the start of the next pass within moments of each other.
 */
export class FixedWindow extends Keyed implements RateLimiter {
  readonly algorithm = "fixed-window";
  private win = new Float64Array(16);
  private count = new Float64Array(16);

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    keySpace = 0,
  ) {
    positive("limit", limit);
    positive("window", windowMs);
    super(windowMs, keySpace);
  }

  peek(key: number, now: number, cost: number): boolean {
    this.delayMs = 0;
    if (cost > this.limit) return this.never();
    const s = this.lookup(key, now);
    const k = windowOf(now, this.windowMs);
    const used = s >= 0 && this.win[s] === k ? this.count[s] : 0;
    if (used + cost <= this.limit) return true;
    return this.admitAt((k + 1) * this.windowMs, now);
  }

  take(key: number, now: number, cost: number): void {
    const k = windowOf(now, this.windowMs);
    const s = this.claim(key, now);
    if (this.win[s] !== k) {
      this.win[s] = k;
      this.count[s] = 0;
    }
    this.count[s] += cost;
  }

  protected reset(s: number): void {
    this.win[s] = Number.NaN;
    this.count[s] = 0;
  }

  protected grow(cap: number): void {
    this.win = grown(this.win, cap);
    this.count = grown(this.count, cap);
  }
}

/**
 * The exact sliding window: per key, the (time, cost) of the requests
 * admitted in the last window (now - W, now], oldest first. A request is
 * admitted if their units plus its own fit in `limit`; otherwise once enough
 * of the oldest entries have aged out. With an infinite limit it is a meter:
 * the units any key got through in the last window (`unitsInWindow`).
 *
 * The entries of every key live in one pool (a linked queue per key), so a
 * request costs no allocation and a key no array of its own.
 */
export class SlidingLog extends Keyed implements RateLimiter {
  readonly algorithm = "sliding-log";
  /** after a take: the key's units in the window, the new request's included */
  unitsInWindow = 0;
  /** per slot: its oldest and newest entry (-1: none) and the units they hold */
  private first = new Int32Array(16);
  private last = new Int32Array(16);
  private sum = new Float64Array(16);
  /** the entry pool: time, cost and the next entry of the same key (or of the free list) */
  private at = new Float64Array(64);
  private cost = new Float64Array(64);
  private chain = new Int32Array(64);
  private freeEntry = -1;
  private usedEntries = 0;
  /** entries held over all keys, now and at most */
  entries = 0;
  maxEntries = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    keySpace = 0,
  ) {
    positive("limit", limit);
    positive("window", windowMs);
    super(windowMs, keySpace);
  }

  peek(key: number, now: number, cost: number): boolean {
    this.delayMs = 0;
    if (cost > this.limit) return this.never();
    const s = this.lookup(key, now);
    if (s < 0) return true;
    this.trim(s, now);
    if (this.sum[s] + cost <= this.limit) return true;
    // the oldest entries must age out until the request fits
    const need = this.sum[s] + cost - this.limit;
    let freed = 0;
    for (let e = this.first[s]; ; e = this.chain[e]) {
      freed += this.cost[e];
      if (freed >= need) return this.admitAt(this.at[e] + this.windowMs, now);
    }
  }

  take(key: number, now: number, cost: number): void {
    const s = this.claim(key, now);
    this.trim(s, now);
    const e = this.newEntry();
    this.at[e] = now;
    this.cost[e] = cost;
    this.chain[e] = -1;
    if (this.last[s] >= 0) this.chain[this.last[s]] = e;
    else this.first[s] = e;
    this.last[s] = e;
    this.sum[s] += cost;
    this.unitsInWindow = this.sum[s];
    if (++this.entries > this.maxEntries) this.maxEntries = this.entries;
  }

  /** Drops the key's entries that have left the window. */
  private trim(s: number, now: number): void {
    let e = this.first[s];
    while (e >= 0 && this.at[e] + this.windowMs <= now + TIME_EPSILON_MS) {
      this.sum[s] -= this.cost[e];
      const n = this.chain[e];
      this.freeOne(e);
      e = n;
    }
    this.first[s] = e;
    if (e < 0) {
      this.last[s] = -1;
      this.sum[s] = 0; // no rounding residue from many subtractions
    }
  }

  private newEntry(): number {
    const e = this.freeEntry;
    if (e >= 0) {
      this.freeEntry = this.chain[e];
      return e;
    }
    if (this.usedEntries === this.at.length) {
      const cap = this.at.length * 2;
      this.at = grown(this.at, cap);
      this.cost = grown(this.cost, cap);
      this.chain = grown(this.chain, cap);
    }
    return this.usedEntries++;
  }

  private freeOne(e: number): void {
    this.chain[e] = this.freeEntry;
    this.freeEntry = e;
    this.entries--;
  }

  protected reset(s: number): void {
    this.first[s] = -1;
    this.last[s] = -1;
    this.sum[s] = 0;
  }

  protected override dropped(s: number): void {
    for (let e = this.first[s]; e >= 0;) {
      const n = this.chain[e];
      this.freeOne(e);
      e = n;
    }
    this.reset(s);
  }

  protected grow(cap: number): void {
    this.first = grown(this.first, cap);
    this.last = grown(this.last, cap);
    this.sum = grown(this.sum, cap);
  }
}

/**
 * The sliding window counter: per key, the counts of the current aligned
 * window and the previous one. The units in the sliding window are estimated
 * as previous·(1 - f) + current, f being the fraction of the current window
 * gone by, which assumes the previous window's requests were evenly spread:
 * O(1) memory for an error of at most f·previous units over the exact count.
 */
export class SlidingCounter extends Keyed implements RateLimiter {
  readonly algorithm = "sliding-counter";
  private win = new Float64Array(16);
  private cur = new Float64Array(16);
  private before = new Float64Array(16);

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    keySpace = 0,
  ) {
    positive("limit", limit);
    positive("window", windowMs);
    super(2 * windowMs, keySpace);
  }

  /** The estimate of the key's units in the sliding window at `now`. */
  estimate(key: number, now: number): number {
    const s = this.lookup(key, now);
    if (s < 0) return 0;
    const k = windowOf(now, this.windowMs);
    const [prev, cur] = this.counts(s, k);
    const f = (now - k * this.windowMs) / this.windowMs;
    return prev * (1 - f) + cur;
  }

  peek(key: number, now: number, cost: number): boolean {
    this.delayMs = 0;
    const L = this.limit;
    if (cost > L) return this.never();
    const s = this.lookup(key, now);
    if (s < 0) return true;
    const W = this.windowMs;
    const k = windowOf(now, W);
    const [prev, cur] = this.counts(s, k);
    if (cur + cost <= L) {
      // the previous window's weight falls linearly until the request fits
      if (prev <= 0) return true;
      return this.admitAt(k * W + W * (1 - (L - cur - cost) / prev), now);
    }
    // not in this window: in the next, this window's count is the previous one
    return this.admitAt((k + 1) * W + W * Math.max(0, 1 - (L - cost) / cur), now);
  }

  take(key: number, now: number, cost: number): void {
    const k = windowOf(now, this.windowMs);
    const s = this.claim(key, now);
    const [prev, cur] = this.counts(s, k);
    this.win[s] = k;
    this.before[s] = prev;
    this.cur[s] = cur + cost;
  }

  private readonly pair: [number, number] = [0, 0];

  /** [previous, current] counts of a slot as seen from window k. */
  private counts(s: number, k: number): [number, number] {
    const w = this.win[s];
    const p = this.pair;
    if (w === k) {
      p[0] = this.before[s];
      p[1] = this.cur[s];
    } else if (w === k - 1) {
      p[0] = this.cur[s];
      p[1] = 0;
    } else {
      p[0] = 0;
      p[1] = 0;
    }
    return p;
  }

  protected reset(s: number): void {
    this.win[s] = Number.NaN;
    this.cur[s] = 0;
    this.before[s] = 0;
  }

  protected grow(cap: number): void {
    this.win = grown(this.win, cap);
    this.cur = grown(this.cur, cap);
    this.before = grown(this.before, cap);
  }
}
