// A service's side of its caches: what a read step does with a cache's
// answer (a hit, possibly stale or due for a background refresh; a miss it
// must load, alone, holding the key's lock, or sharing another request's
// load; a lock to wait for), what it fills after loading, and what a write
// step does to the cache (invalidate, update, nothing, or send the write
// through the cache).
import { notFound } from "../kernel/keys.js";
import { Cache } from "./cache.js";
import { type CacheStrategy, FROM_STORE, LOCKED, PLAIN_CACHE, REFRESH, UNLOCK } from "./cache-writes.js";
import { type Job, OP_DELETE, OP_READ, OP_WRITE } from "./job.js";
import { OK } from "./outcomes.js";
import type { Component, Sim } from "./runtime.js";
import type { Store } from "./store.js";

/** The part of a read or write step the client needs. */
export interface CachedStep {
  store: Store;
  cache: Component | null;
  policy: number;
}

/** What the service lends: its component, plan lookup, and the way a read ends. */
export interface CacheClientHost {
  readonly component: Component;
  /** the step a job (or a call made for it, which carries its route and step index) is at */
  stepOf(job: Job): CachedStep;
  /** the read returned `version` (a value of `size` bytes): judge it, and go on with the next step */
  serve(job: Job, store: Store, version: number, size: number, hit: boolean): void;
  /** read the store for the request (the cache missed, or cannot answer) */
  readStore(job: Job, store: Store, policy: number): void;
  finish(job: Job, outcome: number): void;
  /** the step is done with a fallback answer (the store's read failed and its caller's policy fell back) */
  fellBack(job: Job): void;
}

/** job.phase of a call that refreshes a key in the background (its parent is no one) */
const BACKGROUND = 1;

/** A cache's strategy, or plain cache-aside for a component that is not one of ours. */
export function strategyOf(cache: Component | null): CacheStrategy {
  return cache instanceof Cache ? cache.behaviour.cfg : PLAIN_CACHE;
}

/** Whether a write step sends its write through the cache (write-through, write-behind). */
export function writesThrough(cache: Component | null): boolean {
  const w = strategyOf(cache).writes;
  return cache !== null && (w === "write-through" || w === "write-behind");
}

export class CacheClient {
  private sim!: Sim;
  private askAgainEv = -1;
  /** coalescing, per instance: keys this instance is loading for the cache, the loading request and those waiting for it */
  private readonly flights: Map<number, { leader: number; waiting: number[] }>[] = [];

  constructor(private readonly host: CacheClientHost) {}

  attach(sim: Sim): void {
    this.sim = sim;
    this.askAgainEv = sim.q.on((id) => this.askAgain(id));
  }

  /** The cache answered a read step's get. */
  answered(job: Job, c: Job, step: CachedStep): void {
    const sim = this.sim;
    const outcome = c.outcome;
    const flags = c.aux;
    const hit = c.hit;
    const version = c.version;
    const size = c.size;
    sim.release(c);
    if (outcome === OK && hit) {
      if (flags & REFRESH) this.refresh(job, step);
      return this.host.serve(job, step.store, version, size, true);
    }
    // read-through: the cache loaded it, or failed to
    if (flags & FROM_STORE) {
      if (outcome !== OK) return this.host.finish(job, outcome);
      return this.host.serve(job, step.store, version, size, false);
    }
    const cfg = strategyOf(step.cache);
    if (outcome === OK && flags & LOCKED) {
      sim.q.schedule(cfg.stampede.retryAfterMs, this.askAgainEv, job.id);
      return;
    }
    // a miss, or the cache cannot answer: load from the store, or wait for this instance's load of the key
    if (cfg.stampede.defence === "coalesce" && outcome === OK) {
      const flights = (this.flights[job.instance] ??= new Map());
      const f = flights.get(job.key);
      if (f !== undefined) {
        f.waiting.push(job.id);
        (step.cache as Cache).behaviour.noteCoalesced();
        return;
      }
      flights.set(job.key, { leader: job.id, waiting: [] });
    }
    this.host.readStore(job, step.store, step.policy);
  }

  /** A locked key: ask the cache again (the lock's holder may have filled it). */
  private askAgain(id: number): void {
    const sim = this.sim;
    const job = sim.pool.jobs[id];
    if (job.cancelled) return sim.release(job);
    const step = this.host.stepOf(job);
    const c = sim.child(job, this.host.component, job.instance);
    c.op = OP_READ;
    c.policy = step.policy;
    sim.send(c, step.cache!, -1);
  }

  /**
   * The store answered a read the cache missed: fill the cache (a "not found"
   * only under negative caching; a lock holder with nothing to fill releases
   * the lock) and give the requests that waited for this load the same answer.
   * `c` is still the caller's to release.
   */
  loaded(job: Job, c: Job, step: CachedStep): void {
    const cache = step.cache!;
    const cfg = strategyOf(cache);
    if (c.outcome === OK && !c.degraded && (!notFound(c.key, c.version) || cfg.negativeTtlMs > 0))
      this.fire(job, job.instance, cache, OP_WRITE, c.version, c.size, this.sim.now - c.start);
    else if (cfg.stampede.defence === "lock") this.fire(job, job.instance, cache, OP_DELETE, 0, 0, UNLOCK);
    this.settle(job, c, step);
  }

  /** The request that loaded the key is gone (its instance died): the others still get its answer. */
  abandoned(job: Job, c: Job, step: CachedStep): void {
    this.settle(job, c, step);
  }

  private settle(job: Job, c: Job, step: CachedStep): void {
    const flights = this.flights[job.instance];
    const f = flights?.get(job.key);
    if (f === undefined || f.leader !== job.id) return;
    flights.delete(job.key);
    const sim = this.sim;
    for (const id of f.waiting) {
      const w = sim.pool.jobs[id];
      if (w.cancelled) sim.release(w);
      else if (c.outcome !== OK) this.host.finish(w, c.outcome);
      else if (c.degraded) this.host.fellBack(w);
      else this.host.serve(w, step.store, c.version, c.size, false);
    }
  }

  /** A stale or soon-expiring hit: reload the key in the background and fill the cache, without waiting. */
  private refresh(job: Job, step: CachedStep): void {
    const r = this.sim.child(job, this.host.component, job.instance);
    r.parent = -1;
    r.op = OP_READ;
    r.policy = step.policy;
    r.step = job.step;
    r.phase = BACKGROUND;
    this.sim.send(r, step.store, -1);
  }

  /** A call nobody waits for came back: a background refresh fills the cache; anything else is dropped. */
  detached(c: Job): void {
    if (c.phase === BACKGROUND && c.op === OP_READ && c.outcome === OK) {
      const step = this.host.stepOf(c);
      const cfg = strategyOf(step.cache);
      if (!notFound(c.key, c.version) || cfg.negativeTtlMs > 0)
        this.fire(c, c.callerInstance, step.cache!, OP_WRITE, c.version, c.size, this.sim.now - c.start);
    }
    this.sim.release(c);
  }

  /** A write step's write was acknowledged: invalidate the cache, update it, or (write-around, or written through it) leave it. */
  wrote(job: Job, c: Job, step: CachedStep): void {
    const w = strategyOf(step.cache).writes;
    if (w === "invalidate") this.fire(job, job.instance, step.cache!, OP_DELETE, c.version, 0, 0);
    else if (w === "update") this.fire(job, job.instance, step.cache!, OP_WRITE, c.version, 0, 0);
  }

  /** Sends a set or delete to the cache from `instance` without waiting; `aux` carries a load time, or UNLOCK. */
  private fire(
    job: Job,
    instance: number,
    cache: Component,
    op: number,
    version: number,
    size: number,
    aux: number,
  ): void {
    const sim = this.sim;
    const f = sim.child(job, this.host.component, instance);
    f.parent = -1;
    f.op = op;
    f.version = version;
    f.size = size;
    f.aux = aux;
    sim.send(f, cache, -1);
  }
}
