// What a cache node does besides plain get, set and delete, chosen per cache:
// how reads reach the store (cache-aside: the service loads on a miss;
// read-through: the node loads), how writes do (invalidate or update after
// the service's write, write-through, write-behind, write-around), how a hot
// key's expiry is kept from stampeding the store, TTL jitter, negative
// caching and a Bloom filter of the keys that exist.
//
// The node (cache.ts) hands each operation here once its worker has served
// it. A node that must call its store (a read-through load, a write-through
// write) suspends the operation, freeing its worker, and gives it a worker
// again when the store answers, to store the value: a load costs two cache
// operations and the store's time. Write-behind keeps the writes it
// acknowledged in a buffer of dirty keys, flushed to the store every interval;
// several writes of a key before a flush become one store write, and the
// writes still buffered when the node dies are lost, counted exactly.
import { MISSING_KEYS, notFound } from "../kernel/keys.js";
import type { Rng } from "../kernel/rng.js";
import { BloomFilter } from "../mechanisms/bloom-filter.js";
import type { CacheStore } from "../mechanisms/cache-store.js";
import { jitteredTtl, xfetchEarly } from "../mechanisms/xfetch.js";
import { type Job, OP_READ, OP_WRITE } from "./job.js";
import { INSTANCE_DOWN, OK } from "./outcomes.js";
import type { Component, Sim } from "./runtime.js";
import type { Store } from "./store.js";

export type ReadStrategy = "cache-aside" | "read-through";
export type WriteStrategy = "invalidate" | "update" | "write-through" | "write-behind" | "write-around";
export type StampedeDefence =
  "none" | "lock" | "coalesce" | "stale-while-revalidate" | "xfetch" | "refresh-ahead";

export const READ_STRATEGIES: readonly ReadStrategy[] = ["cache-aside", "read-through"];
export const WRITE_STRATEGIES: readonly WriteStrategy[] = [
  "invalidate",
  "update",
  "write-through",
  "write-behind",
  "write-around",
];
export const STAMPEDE_DEFENCES: readonly StampedeDefence[] = [
  "none",
  "lock",
  "coalesce",
  "stale-while-revalidate",
  "xfetch",
  "refresh-ahead",
];

export interface StampedeConfig {
  defence: StampedeDefence;
  /** lock: a request that finds the key locked asks again after retryAfterMs, or takes the expired value */
  whileLocked: "retry" | "stale";
  retryAfterMs: number;
  /** lock: a lock its holder never released lapses after this; bounds a background refresh in progress too */
  lockTtlMs: number;
  /** how long past its TTL an entry may still be served (stale-while-revalidate, lock with whileLocked: stale) */
  staleForMs: number;
  /** xfetch: > 1 recomputes earlier, < 1 later */
  beta: number;
  /** refresh-ahead: a hit in this last fraction of the TTL starts a background refresh */
  refreshAhead: number;
}

export interface BloomConfig {
  falsePositiveRate: number;
  /** the filter is a snapshot of the keys that exist, rebuilt this often (Infinity: never) */
  rebuildEveryMs: number;
  /** keys 0..keySpace-1 exist from the start */
  keySpace: number;
}

export interface CacheStrategy {
  reads: ReadStrategy;
  writes: WriteStrategy;
  /** write-behind: a flush every interval writes at most `flushBatch` dirty keys */
  flushIntervalMs: number;
  flushBatch: number;
  /** each entry's TTL is drawn uniformly from ttl * [1 - ttlJitter, 1 + ttlJitter] */
  ttlJitter: number;
  /** "not found" answers are cached this long (0: not cached) */
  negativeTtlMs: number;
  stampede: StampedeConfig;
  bloom: BloomConfig | null;
  /** keys 0..prewarm-1 (the most popular) are in the cache when the run starts */
  prewarm: number;
}

export const PLAIN_CACHE: CacheStrategy = {
  reads: "cache-aside",
  writes: "invalidate",
  flushIntervalMs: 1000,
  flushBatch: 1000,
  ttlJitter: 0,
  negativeTtlMs: 0,
  stampede: {
    defence: "none",
    whileLocked: "retry",
    retryAfterMs: 50,
    lockTtlMs: 10_000,
    staleForMs: 0,
    beta: 1,
    refreshAhead: 0.2,
  },
  bloom: null,
  prewarm: 0,
};

/** What a get came to: answered as a hit or a miss, answered by the filter, or kept (the node loads the key). */
export const MISS = 0;
export const HIT = 1;
export const FILTERED = 2;
export const TAKEN = 3;

// Flags in job.aux of a node's answer to a get.
/** the value served had expired (stale-while-revalidate, or a lock's stale waiters) */
export const STALE_HIT = 1;
/** the caller should reload the key in the background and fill it (cache-aside) */
export const REFRESH = 2;
/** another caller holds the key's lock: ask again after retryAfterMs */
export const LOCKED = 4;
/** read-through: the node read the store, and its answer (a failure too) is final */
export const FROM_STORE = 8;
/** the Bloom filter says the key exists nowhere: "not found" without asking the store */
export const FILTERED_OUT = 16;

/** In job.aux of a delete: only release the key's lock (its holder found nothing to fill). */
export const UNLOCK = 1;

/** job.phase of a suspended operation given a worker again to store what its store call returned */
const RESUMED = 1;
/** a value's size when nothing says otherwise (a write's new value whose key was never read) */
const DEFAULT_SIZE = 1024;

/** What the cache lends: its simulation handles, its nodes' stores and its station's suspend and answer. */
export interface CacheHost {
  readonly component: Component;
  /** the store of an instance (a node, or one of its replicas) */
  store(instance: number): CacheStore;
  /** the store of the node that owns a key (null: no node left) */
  storeOfKey(key: number): CacheStore | null;
  isAlive(instance: number): boolean;
  suspend(job: Job): void;
  resume(job: Job): void;
  respond(job: Job, outcome: number): void;
}

/** Writes acknowledged by a write-behind node and not yet in the store. */
interface Dirty {
  version: number;
  size: number;
  /** acknowledged writes it stands for (coalesced into one store write) */
  writes: number;
  /** the version the store holds (or will, once earlier flushes land) if these writes are lost */
  base: number;
  /** the instance whose memory holds them, and its life then (a flush that fails after a crash cannot be retried) */
  instance: number;
  generation: number;
}

export class CacheBehaviour {
  private sim!: Sim;
  private rng!: Rng;
  /** the store behind the cache: the one the service steps that use it read and write */
  backing: Store | null = null;
  /** per key: until when its lock is held, and until when a background refresh is under way */
  private readonly locks = new Map<number, number>();
  private readonly refreshing = new Map<number, number>();
  /** xfetch: per key, how long its value took to compute (ms) */
  private readonly deltas = new Map<number, number>();
  /** read-through with coalesce, per instance: keys being loaded, and the gets waiting for each load */
  private readonly loading: Map<number, number[]>[] = [];
  /** suspended operations with a store call in flight */
  private readonly suspended = new Set<number>();
  /** write-behind, per instance: dirty keys in the order they became dirty; and flushes in flight, one per key */
  private readonly dirty: Map<number, Dirty>[] = [];
  private readonly flushing = new Map<number, Dirty>();
  /** per instance: its lives so far (a restart starts a new one) */
  private readonly generation: number[] = [];
  private flushEv = -1;
  private flushRound = 0;
  private rebuildEv = -1;
  private filter: BloomFilter | null = null;
  private readonly grace: number;
  // counters
  private loads = 0;
  private loadFailures = 0;
  private writeThroughs = 0;
  private writeThroughFailures = 0;
  private acknowledged = 0;
  private flushes = 0;
  private flushedWrites = 0;
  private coalescedWrites = 0;
  private flushFailures = 0;
  private lost = 0;
  private maxDirty = 0;
  private staleHits = 0;
  private locksTaken = 0;
  private lockWaits = 0;
  private coalesced = 0;
  private refreshes = 0;
  private earlyRecomputes = 0;
  private negativeFills = 0;
  private negativeHits = 0;
  private bloomChecks = 0;
  private bloomRejected = 0;
  private absentLookups = 0;
  private falsePositives = 0;
  private wrongRejections = 0;
  private rebuilds = 0;
  private prewarmed = 0;

  constructor(
    readonly cfg: CacheStrategy,
    private readonly ttlMs: number,
    private readonly host: CacheHost,
  ) {
    const d = cfg.stampede;
    const stale =
      d.defence === "stale-while-revalidate" || (d.defence === "lock" && d.whileLocked === "stale");
    // an expired entry is kept this much longer, to be served stale
    this.grace = stale && ttlMs > 0 ? d.staleForMs : 0;
  }

  attach(sim: Sim, rng: Rng): void {
    this.sim = sim;
    this.rng = rng;
    this.flushEv = sim.q.on(() => this.flush());
    this.rebuildEv = sim.q.on(() => this.buildFilter());
  }

  start(): void {
    if (this.cfg.writes === "write-behind") this.sim.q.schedule(this.cfg.flushIntervalMs, this.flushEv, 0);
    if (this.cfg.bloom) this.buildFilter();
    // pre-warming: the hottest keys were loaded before the traffic was let in, as
    // the store had them (nothing has written them yet)
    const checker = this.sim.consistency;
    for (let key = 0; key < this.cfg.prewarm; key++) {
      const store = this.host.storeOfKey(key);
      if (store === null) continue;
      const version = checker?.latestCommitted(this.storeId, key) ?? 0;
      this.store(store, key, version, this.backing!.valueSizeOf?.(key) ?? DEFAULT_SIZE, this.sim.now, 0);
      if (store.has(key, this.sim.now)) this.prewarmed++;
    }
  }

  private get storeId(): number {
    return this.backing!.storeId;
  }

  // ---- gets

  /** A get has been served by a worker: answer it (HIT, MISS, FILTERED) or keep it (TAKEN). */
  read(store: CacheStore, job: Job, now: number): number {
    const key = job.key;
    const d = this.cfg.stampede;
    job.aux = 0;
    if (this.filter && key >= MISSING_KEYS && !this.filterPasses(key)) {
      job.hit = true;
      job.version = 0;
      job.size = 0;
      job.aux = FILTERED_OUT;
      return FILTERED;
    }
    // write-behind: what the node acknowledged and has not flushed is the newest value
    const b = this.dirtyOf(job.instance).get(key) ?? this.flushing.get(key);
    if (b !== undefined && b.instance === job.instance) return this.hit(job, b.version, b.size);
    const e = store.get(key, now);
    if (e !== undefined) {
      const freshUntil = e.expiresAt - this.grace;
      if (now < freshUntil) {
        if (d.defence === "xfetch") {
          const delta = this.deltas.get(key) ?? 0;
          if (delta > 0 && xfetchEarly(now, freshUntil, delta, d.beta, 1 - this.rng.next())) {
            this.earlyRecomputes++;
            return this.miss(store, job);
          }
        } else if (d.defence === "refresh-ahead" && freshUntil - now < d.refreshAhead * this.ttlMs)
          this.refresh(store, job, now);
        return this.hit(job, e.version, e.size);
      }
      // expired, but kept to be served stale
      if (d.defence === "lock" && this.tryLock(key, now)) return this.miss(store, job);
      this.staleHits++;
      this.hit(job, e.version, e.size);
      job.aux |= STALE_HIT;
      if (d.defence === "stale-while-revalidate") this.refresh(store, job, now);
      return HIT;
    }
    if (d.defence === "lock" && !this.tryLock(key, now)) {
      this.lockWaits++;
      job.hit = false;
      job.aux = LOCKED;
      return MISS;
    }
    return this.miss(store, job);
  }

  private hit(job: Job, version: number, size: number): number {
    job.hit = true;
    job.version = version;
    job.size = size;
    if (notFound(job.key, version)) this.negativeHits++;
    return HIT;
  }

  /** A miss: the caller loads (cache-aside), or the node does, the caller waiting (read-through). */
  private miss(store: CacheStore, job: Job): number {
    job.hit = false;
    if (this.cfg.reads !== "read-through") return MISS;
    void store;
    if (this.cfg.stampede.defence === "coalesce") {
      const loading = (this.loading[job.instance] ??= new Map());
      const waiting = loading.get(job.key);
      if (waiting !== undefined) {
        // single flight: wait for the node's load under way
        this.coalesced++;
        waiting.push(job.id);
        this.host.suspend(job);
        return TAKEN;
      }
      loading.set(job.key, []);
    }
    this.loads++;
    this.call(job, OP_READ);
    return TAKEN;
  }

  /** Suspends `job` and sends its call to the store; the answer comes to onReply. */
  private call(job: Job, op: number): void {
    const c = this.sim.child(job, this.host.component, job.instance);
    c.op = op;
    c.policy = job.policy;
    this.suspended.add(job.id);
    this.host.suspend(job);
    this.sim.send(c, this.backing!, -1);
  }

  private tryLock(key: number, now: number): boolean {
    const until = this.locks.get(key);
    if (until !== undefined && until > now) return false;
    this.locks.set(key, now + this.cfg.stampede.lockTtlMs);
    this.locksTaken++;
    return true;
  }

  /** Starts one background refresh of the key, unless one is under way: the caller's (cache-aside) or the node's own. */
  private refresh(store: CacheStore, job: Job, now: number): void {
    const until = this.refreshing.get(job.key);
    if (until !== undefined && until > now) return;
    this.refreshing.set(job.key, now + this.cfg.stampede.lockTtlMs);
    this.refreshes++;
    void store;
    if (this.cfg.reads !== "read-through") {
      job.aux |= REFRESH;
      return;
    }
    const c = this.sim.child(job, this.host.component, job.instance);
    c.parent = -1;
    c.op = OP_READ;
    c.policy = job.policy;
    this.sim.send(c, this.backing!, -1);
  }

  // ---- sets and deletes

  /** A set sent by a service (a cache-aside fill, an update after a write); job.aux carries the load time. */
  fill(store: CacheStore, job: Job, now: number): void {
    this.store(store, job.key, job.version, job.size, now, job.aux);
  }

  /** A delete: an invalidation (true), or (UNLOCK) a lock holder that found nothing to fill (false). */
  delete(store: CacheStore, job: Job): boolean {
    this.locks.delete(job.key);
    if (job.aux === UNLOCK) return false;
    this.deltas.delete(job.key);
    store.delete(job.key);
    return true;
  }

  /**
   * Stores a value loaded or written: releases the key's lock and refresh,
   * draws its TTL (jittered; a "not found" gets the negative TTL, or is not
   * stored), and keeps an expired entry `grace` longer to be served stale.
   */
  private store(
    store: CacheStore,
    key: number,
    version: number,
    size: number,
    now: number,
    delta: number,
  ): void {
    this.locks.delete(key);
    this.refreshing.delete(key);
    const negative = notFound(key, version);
    if (negative && !(this.cfg.negativeTtlMs > 0)) return;
    if (!(size > 0)) size = this.sizeOf(store, key, now);
    if (this.cfg.stampede.defence === "xfetch" && delta > 0) this.deltas.set(key, delta);
    let life = negative ? this.cfg.negativeTtlMs : this.ttlMs;
    if (negative) this.negativeFills++;
    if (!(life > 0)) {
      store.set(key, { version, size }, now);
      return;
    }
    if (!negative && this.cfg.ttlJitter > 0) life = jitteredTtl(life, this.cfg.ttlJitter, this.rng.next());
    store.set(key, { version, size }, now, life + this.grace);
  }

  /** A written value's size: its key's (sizes belong to keys), as the store would return it. */
  private sizeOf(store: CacheStore, key: number, now: number): number {
    return this.backing?.valueSizeOf?.(key) ?? store.peek(key, now)?.size ?? DEFAULT_SIZE;
  }

  /**
   * A write sent through the node. Write-through: the node writes the store
   * and answers once the store has committed and the value is stored (TAKEN).
   * Write-behind: the node stores the value, marks the key dirty and answers
   * at once, with the version the flush will install.
   */
  put(store: CacheStore, job: Job, now: number): number {
    if (this.cfg.writes === "write-through") {
      this.writeThroughs++;
      this.call(job, OP_WRITE);
      return TAKEN;
    }
    const checker = this.sim.consistency!;
    const key = job.key;
    const base = checker.latestCommitted(this.storeId, key);
    const version = base + 1;
    // acknowledged as the key's latest state before any store has it: the store now lags
    checker.committed(this.storeId, key, version, now);
    const size = job.size > 0 ? job.size : this.sizeOf(store, key, now);
    const dirty = this.dirtyOf(job.instance);
    let d = dirty.get(key);
    if (d === undefined) {
      d = { version, size, writes: 0, base, instance: job.instance, generation: 0 };
      dirty.set(key, d);
      const n = this.dirtyKeys;
      if (n > this.maxDirty) this.maxDirty = n;
    } else this.coalescedWrites++;
    d.version = version;
    d.size = size;
    d.writes++;
    this.acknowledged++;
    this.store(store, key, version, size, now, 0);
    job.version = version;
    job.hit = false;
    return OK;
  }

  /** A suspended operation has its worker back: store what the store returned, and answer. */
  resumed(store: CacheStore, job: Job, now: number): number {
    job.phase = 0;
    job.aux = FROM_STORE;
    // the time since the get arrived stands for the time to compute the value (xfetch)
    this.store(store, job.key, job.version, job.size, now, now - job.enqueued);
    return OK;
  }

  isResumed(job: Job): boolean {
    return job.phase === RESUMED;
  }

  // ---- the store's answers

  onReply(c: Job): void {
    if (c.parent >= 0) return this.answered(c);
    if (c.op === OP_WRITE) return this.flushed(c);
    // a read-through node's background refresh
    const sim = this.sim;
    if (c.outcome === OK && this.host.isAlive(c.callerInstance))
      this.store(this.host.store(c.callerInstance), c.key, c.version, c.size, sim.now, sim.now - c.start);
    sim.release(c);
  }

  /** The store answered a suspended operation's call (a read-through load or a write-through write). */
  private answered(c: Job): void {
    const sim = this.sim;
    const job = sim.pool.jobs[c.parent];
    const outcome = c.outcome;
    const version = c.version;
    const size = c.size;
    sim.release(c);
    if (job.cancelled) return sim.release(job); // the node died meanwhile; its caller was answered then
    this.suspended.delete(job.id);
    const loading = this.loading[job.instance];
    const waiting = job.op === OP_READ ? loading?.get(job.key) : undefined;
    if (waiting !== undefined) loading!.delete(job.key);
    if (outcome !== OK) {
      if (job.op === OP_READ) {
        this.loadFailures++;
        this.locks.delete(job.key);
      } else this.writeThroughFailures++;
      job.aux = FROM_STORE;
      for (const id of waiting ?? []) this.answerWaiter(id, outcome, 0, 0);
      return this.host.respond(job, outcome);
    }
    for (const id of waiting ?? []) this.answerWaiter(id, OK, version, size);
    job.version = version;
    if (job.op === OP_READ) job.size = size;
    job.phase = RESUMED;
    this.host.resume(job);
  }

  /** A get that waited for another's load shares its answer. */
  private answerWaiter(id: number, outcome: number, version: number, size: number): void {
    const w = this.sim.pool.jobs[id];
    w.hit = false;
    w.version = version;
    w.size = size;
    w.aux = FROM_STORE;
    this.host.respond(w, outcome);
  }

  // ---- write-behind

  /** Every interval, each node sends up to flushBatch of its dirty keys to the store, one write each, oldest first. */
  private flush(): void {
    const cfg = this.cfg;
    this.sim.q.schedule(cfg.flushIntervalMs, this.flushEv, 0);
    // nodes take turns going first, so none is kept waiting on a key another keeps flushing
    const n0 = this.dirty.length;
    this.flushRound++;
    for (let k = 0; k < n0; k++) {
      const dirty = this.dirty[(this.flushRound + k) % n0];
      if (dirty === undefined) continue;
      let n = 0;
      for (const [key, d] of dirty) {
        if (n >= cfg.flushBatch) break;
        // one flush per key at a time, so the store never installs an older value over a newer one
        if (this.flushing.has(key)) continue;
        n++;
        dirty.delete(key);
        d.generation = this.gen(d.instance);
        this.flushing.set(key, d);
        const c = this.sim.pool.alloc();
        c.caller = this.host.component.index;
        c.callerInstance = d.instance;
        c.start = this.sim.now;
        c.op = OP_WRITE;
        c.key = key;
        c.version = d.version;
        this.flushes++;
        this.sim.send(c, this.backing!, -1);
      }
    }
  }

  private flushed(c: Job): void {
    const sim = this.sim;
    const key = c.key;
    const ok = c.outcome === OK;
    sim.release(c);
    const d = this.flushing.get(key)!;
    this.flushing.delete(key);
    if (ok) {
      this.flushedWrites += d.writes;
      return;
    }
    this.flushFailures++;
    const dirty = this.dirtyOf(d.instance);
    if (d.generation === this.gen(d.instance) && this.host.isAlive(d.instance)) {
      // dirty again, ahead of newer writes of the key if it has any
      const now = dirty.get(key);
      if (now === undefined) dirty.set(key, d);
      else {
        now.writes += d.writes;
        now.base = Math.min(now.base, d.base);
      }
      return;
    }
    // the node that kept these writes died before the store took them
    this.lost += d.writes;
    this.rollback(new Map([[key, this.survivor(key, d.base, -1)]]));
  }

  /**
   * The version of `key` the store will end with if the writes of
   * `instance` (-1: of the flush that failed) are lost: what it had before
   * them, or the newest version another node still holds for it.
   */
  private survivor(key: number, base: number, instance: number): number {
    // writes another node flushed since may have passed it
    let v = Math.max(base, this.backing!.versionOf?.(key) ?? 0);
    const f = this.flushing.get(key);
    if (f !== undefined && f.instance !== instance) v = Math.max(v, f.version);
    this.dirty.forEach((dirty, i) => {
      const d = i === instance ? undefined : dirty?.get(key);
      if (d !== undefined) v = Math.max(v, d.version);
    });
    return v;
  }

  private dirtyOf(instance: number): Map<number, Dirty> {
    return (this.dirty[instance] ??= new Map());
  }

  private gen(instance: number): number {
    return this.generation[instance] ?? 0;
  }

  private get dirtyKeys(): number {
    let n = 0;
    for (const d of this.dirty) n += d?.size ?? 0;
    return n;
  }

  /** The consistency checker forgets the lost versions: each key is back to what the store will hold. */
  private rollback(survivors: Map<number, number>): void {
    const checker = this.sim.consistency;
    if (!checker || survivors.size === 0) return;
    const store = this.storeId;
    checker.rollback(store, (k) => survivors.get(k) ?? checker.latestCommitted(store, k), this.sim.now);
  }

  // ---- faults

  /** An instance died: its memory is gone (dirty writes, loads under way); callers waiting on it fail. */
  killed(instance: number): void {
    const sim = this.sim;
    this.generation[instance] = this.gen(instance) + 1;
    for (const id of this.suspended) {
      const job = sim.pool.jobs[id];
      if (job.instance !== instance) continue;
      this.suspended.delete(id);
      const copy = sim.standIn(job);
      copy.enqueued = job.enqueued;
      job.cancelled = true; // released when its store call returns
      this.host.respond(copy, INSTANCE_DOWN);
    }
    const loading = this.loading[instance];
    if (loading !== undefined) {
      for (const waiting of loading.values())
        for (const id of waiting) this.answerWaiter(id, INSTANCE_DOWN, 0, 0);
      loading.clear();
    }
    const dirty = this.dirtyOf(instance);
    const survivors = new Map<number, number>();
    for (const [key, d] of dirty) {
      this.lost += d.writes;
      survivors.set(key, this.survivor(key, d.base, instance));
    }
    dirty.clear();
    this.rollback(survivors);
  }

  // ---- penetration

  /** (Re)builds the Bloom filter from the keys that exist now: the initial ones and those written since. */
  private buildFilter(): void {
    const b = this.cfg.bloom!;
    const checker = this.sim.consistency;
    const created: number[] = [];
    if (checker)
      for (const k of checker.keys(this.storeId))
        if (k >= MISSING_KEYS && checker.latestCommitted(this.storeId, k) > 0) created.push(k);
    const f = BloomFilter.forCapacity(
      b.keySpace + created.length,
      b.falsePositiveRate,
      this.rng.int(0x7fffffff),
    );
    for (let k = 0; k < b.keySpace; k++) f.add(k);
    for (const k of created) f.add(k);
    this.filter = f;
    this.rebuilds++;
    if (Number.isFinite(b.rebuildEveryMs)) this.sim.q.schedule(b.rebuildEveryMs, this.rebuildEv, 0);
  }

  /**
   * Asks the filter about a key outside the initial ones (those are all in
   * it, so it always passes them). Measures, against the store's truth, how
   * often it lets an absent key through and how often, being a snapshot, it
   * turns away a key created since it was built.
   */
  private filterPasses(key: number): boolean {
    this.bloomChecks++;
    const pass = this.filter!.mightContain(key);
    const exists = (this.sim.consistency?.latestCommitted(this.storeId, key) ?? 0) > 0;
    if (!exists) {
      this.absentLookups++;
      if (pass) this.falsePositives++;
    } else if (!pass) this.wrongRejections++;
    if (!pass) this.bloomRejected++;
    return pass;
  }

  // ---- report

  /** Counted by the services of a coalescing cache-aside cache: a miss that waited for another's load. */
  noteCoalesced(): void {
    this.coalesced++;
  }

  /** Writes a write-behind node acknowledged that have not reached the store. */
  get pendingWrites(): number {
    let n = 0;
    for (const dirty of this.dirty) for (const d of dirty?.values() ?? []) n += d.writes;
    for (const d of this.flushing.values()) n += d.writes;
    return n;
  }

  report(): Record<string, unknown> {
    const cfg = this.cfg;
    const out: Record<string, unknown> = { reads: cfg.reads, writes: cfg.writes };
    if (cfg.prewarm > 0) out.prewarmed = this.prewarmed;
    if (cfg.reads === "read-through") out.readThrough = { loads: this.loads, failures: this.loadFailures };
    if (cfg.writes === "write-through")
      out.writeThrough = { writes: this.writeThroughs, failures: this.writeThroughFailures };
    if (cfg.writes === "write-behind") {
      out.writesLostOnCrash = this.lost;
      out.writeBehind = {
        acknowledged: this.acknowledged,
        flushes: this.flushes,
        flushed: this.flushedWrites,
        coalesced: this.coalescedWrites,
        pending: this.pendingWrites,
        dirtyKeys: this.dirtyKeys,
        maxDirtyKeys: this.maxDirty,
        flushFailures: this.flushFailures,
      };
    }
    if (cfg.stampede.defence !== "none")
      out.stampede = {
        defence: cfg.stampede.defence,
        staleHits: this.staleHits,
        locksTaken: this.locksTaken,
        lockWaits: this.lockWaits,
        coalesced: this.coalesced,
        backgroundRefreshes: this.refreshes,
        earlyRecomputes: this.earlyRecomputes,
      };
    if (cfg.negativeTtlMs > 0) out.negative = { fills: this.negativeFills, hits: this.negativeHits };
    if (cfg.bloom && this.filter)
      out.bloom = {
        bits: this.filter.bits,
        hashes: this.filter.hashes,
        keys: this.filter.count,
        rebuilds: this.rebuilds,
        checks: this.bloomChecks,
        rejected: this.bloomRejected,
        absentLookups: this.absentLookups,
        falsePositives: this.falsePositives,
        measuredFalsePositiveRate: this.absentLookups > 0 ? this.falsePositives / this.absentLookups : 0,
        expectedFalsePositiveRate: this.filter.expectedFalsePositiveRate(),
        wrongRejections: this.wrongRejections,
      };
    return out;
  }
}
