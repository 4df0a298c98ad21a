// One cache node (Redis- or Memcached-like): a worker pool serving get, set
// and delete on a real key store under a real eviction policy, so the hit
// ratio emerges from the keys requested. Values carry the data version they
// were read at, so stale hits can be measured.
import type { Sampler } from "../kernel/distributions.js";
import { CacheStore, type EvictionPolicyName } from "../mechanisms/cache-store.js";
import { CacheBehaviour, type CacheStrategy, FILTERED, HIT, PLAIN_CACHE, TAKEN } from "./cache-writes.js";
import { type Job, OP_DELETE, OP_PUT, OP_READ, OP_WRITE } from "./job.js";
import { OK } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";

export interface CacheConfig extends StationConfig {
  opTime: Sampler;
  maxEntries?: number;
  maxBytes?: number;
  policy: EvictionPolicyName;
  ttlMs?: number;
  /** read and write strategies, stampede and penetration defences (cache-writes.ts) */
  strategy?: CacheStrategy;
}

export class Cache extends Station {
  readonly kind = "cache";
  private done = -1;
  private store: CacheStore;
  private gets = 0;
  private hits = 0;
  private sets = 0;
  private deletes = 0;
  private hitSeries: number[] = [];
  /** evictions and expirations of stores lost to restarts */
  private pastEvictions = 0;
  private pastExpirations = 0;
  private windowGets = 0;
  private windowHits = 0;
  readonly behaviour: CacheBehaviour;

  constructor(
    name: string,
    private readonly cc: CacheConfig,
  ) {
    super(name, cc);
    this.store = this.newStore();
    this.behaviour = new CacheBehaviour(cc.strategy ?? PLAIN_CACHE, cc.ttlMs ?? 0, {
      component: this,
      store: () => this.store,
      isAlive: (i) => this.isAlive(i),
      suspend: (job) => this.suspend(job),
      resume: (job) => this.resume(job),
      respond: (job, outcome) => this.respond(job, outcome),
    });
  }

  private newStore(): CacheStore {
    return new CacheStore({
      maxEntries: this.cc.maxEntries,
      maxBytes: this.cc.maxBytes,
      policy: this.cc.policy,
      ttl: this.cc.ttlMs,
      rand: () => this.rng.next(),
    });
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.done = sim.q.on((id) => this.complete(id));
    this.behaviour.attach(sim, this.rng);
  }

  override start(): void {
    this.behaviour.start();
  }

  /** The cache's own calls to its store (read-through, write-through, write-behind) come back here. */
  override onReply(job: Job): void {
    this.behaviour.onReply(job);
  }

  protected begin(job: Job): void {
    this.sim.q.schedule(this.cc.opTime.sample(this.rng) + this.slowMs, this.done, job.id);
  }

  private complete(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    const now = this.sim.now;
    const b = this.behaviour;
    if (b.isResumed(job)) {
      this.sets++;
      return this.finish(job, b.resumed(this.store, job, now));
    }
    if (job.op === OP_READ) {
      const got = b.read(this.store, job, now);
      if (got !== FILTERED) {
        this.gets++;
        this.windowGets++;
      }
      if (got === HIT) {
        this.hits++;
        this.windowHits++;
      }
      if (got === TAKEN) return;
    } else if (job.op === OP_WRITE) {
      this.sets++;
      b.fill(this.store, job, now);
    } else if (job.op === OP_PUT) {
      if (b.put(this.store, job, now) === TAKEN) return;
      this.sets++;
    } else if (job.op === OP_DELETE) {
      if (b.delete(this.store, job)) this.deletes++;
    }
    this.finish(job, OK);
  }

  override kill(instance: number): void {
    if (!this.isAlive(instance)) return;
    super.kill(instance);
    this.behaviour.killed();
  }

  /** A restarted node comes back empty: memory does not survive the process. */
  override restart(instance: number): void {
    super.restart(instance);
    this.pastEvictions += this.store.stats.evictions;
    this.pastExpirations += this.store.stats.expirations;
    this.store = this.newStore();
  }

  override tick(second: number): void {
    super.tick(second);
    this.hitSeries.push(
      this.windowGets > 0 ? Math.round((this.windowHits / this.windowGets) * 1000) / 1000 : 0,
    );
    this.windowGets = 0;
    this.windowHits = 0;
  }

  report(now: number): ComponentReport {
    const base = this.stationReport(now);
    const st = this.store.stats;
    const b = this.behaviour;
    return {
      ...base,
      hitRatio: this.gets > 0 ? this.hits / this.gets : 0,
      gets: this.gets,
      hits: this.hits,
      misses: this.gets - this.hits,
      sets: this.sets,
      deletes: this.deletes,
      evictions: this.pastEvictions + st.evictions,
      expirations: this.pastExpirations + st.expirations,
      entries: this.store.size,
      bytes: this.store.bytes,
      ...b.report(),
      series: { ...(base.series as object), hitRatio: this.hitSeries },
    };
  }
}
