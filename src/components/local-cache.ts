// The in-process (L1) cache of a service: one small store per instance and
// per data store, in front of the shared cache or the store. It answers
// without a network hop, and it is incoherent by nature: a write through one
// instance drops that instance's copy only, so the others serve the old
// version until their copy's TTL runs out (the checker counts those reads).
import { notFound } from "../kernel/keys.js";
import { CacheStore, type EvictionPolicyName } from "../mechanisms/cache-store.js";

export interface LocalCacheConfig {
  maxEntries?: number;
  maxBytes?: number;
  ttlMs: number;
  policy: EvictionPolicyName;
}

export class LocalCache {
  /** [instance][store id]: created on first use */
  private readonly stores: (CacheStore | undefined)[][];
  gets = 0;
  hits = 0;

  constructor(
    instances: number,
    private readonly config: LocalCacheConfig,
    private readonly rand: () => number,
  ) {
    this.stores = Array.from({ length: instances }, () => []);
  }

  private store(instance: number, storeId: number): CacheStore {
    let s = this.stores[instance][storeId];
    if (!s) {
      s = new CacheStore({
        maxEntries: this.config.maxEntries,
        maxBytes: this.config.maxBytes,
        policy: this.config.policy,
        ttl: this.config.ttlMs,
        rand: this.rand,
      });
      this.stores[instance][storeId] = s;
    }
    return s;
  }

  /** The version an instance holds of a key, or -1 on a miss. */
  get(instance: number, storeId: number, key: number, now: number): number {
    this.gets++;
    const e = this.store(instance, storeId).get(key, now);
    if (!e) return -1;
    this.hits++;
    return e.version;
  }

  /** Keeps what a read returned; an answer that found nothing is not kept (an L1 does no negative caching). */
  put(instance: number, storeId: number, key: number, version: number, size: number, now: number): void {
    if (notFound(key, version)) return;
    this.store(instance, storeId).set(key, { version, size }, now);
  }

  /** The instance wrote the key: its own copy goes (the other instances' do not). */
  invalidate(instance: number, storeId: number, key: number): void {
    this.stores[instance][storeId]?.delete(key);
  }

  /** A restarted instance starts with an empty process. */
  clear(instance: number): void {
    this.stores[instance] = [];
  }

  entries(): number {
    let n = 0;
    for (const per of this.stores) for (const s of per) if (s) n += s.size;
    return n;
  }
}
