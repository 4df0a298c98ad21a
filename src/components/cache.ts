// One cache node (Redis- or Memcached-like): a worker pool serving get, set
// and delete on a real key store under a real eviction policy, so the hit
// ratio emerges from the keys requested. Values carry the data version they
// were read at, so stale hits can be measured.
import type { Sampler } from "../kernel/distributions.js";
import { CacheStore, type EvictionPolicyName } from "../mechanisms/cache-store.js";
import { type Job, OP_DELETE, OP_READ, OP_WRITE } from "./job.js";
import { OK } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";

export interface CacheConfig extends StationConfig {
  opTime: Sampler;
  maxEntries?: number;
  maxBytes?: number;
  policy: EvictionPolicyName;
  ttlMs?: number;
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

  constructor(
    name: string,
    private readonly cc: CacheConfig,
  ) {
    super(name, cc);
    this.store = this.newStore();
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
  }

  protected begin(job: Job): void {
    this.sim.q.schedule(this.cc.opTime.sample(this.rng) + this.slowMs, this.done, job.id);
  }

  private complete(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    const now = this.sim.now;
    if (job.op === OP_READ) {
      this.gets++;
      this.windowGets++;
      const e = this.store.get(job.key, now);
      if (e) {
        this.hits++;
        this.windowHits++;
        job.hit = true;
        job.version = e.version;
        job.size = e.size;
      } else job.hit = false;
    } else if (job.op === OP_WRITE) {
      this.sets++;
      this.store.set(job.key, { version: job.version, size: job.size }, now);
    } else if (job.op === OP_DELETE) {
      this.deletes++;
      this.store.delete(job.key);
    }
    this.finish(job, OK);
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
      series: { ...(base.series as object), hitRatio: this.hitSeries },
    };
  }
}
