// A cache cluster (Redis- or Memcached-like): nodes that each hold a slice of
// the keys in a real key store under a real eviction policy, so hit ratios
// emerge from the keys requested. Clients shard keys over the nodes (ring,
// mod N or rendezvous); a dead node is taken out of the ring once clients
// notice, which remaps its keys, and with mod N most of everyone else's too:
// the miss storm lands on the database. Each node may have replicas that
// receive its writes asynchronously and take over when it dies. Values carry
// the data version they were read at, so stale hits can be measured.
import type { Sampler } from "../kernel/distributions.js";
import { HashRing, hash32, modN, rendezvous, type UsableSet } from "../mechanisms/hashing.js";
import { CacheStore, type EvictionPolicyName } from "../mechanisms/cache-store.js";
import { type Job, OP_DELETE, OP_READ, OP_WRITE } from "./job.js";
import { NO_HEALTHY_BACKEND, OK } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";

export type CacheSharding = "consistent-hash" | "hash" | "rendezvous";

export interface CacheConfig extends StationConfig {
  opTime: Sampler;
  /** capacity of each node */
  maxEntries?: number;
  maxBytes?: number;
  policy: EvictionPolicyName;
  ttlMs?: number;
  agingWindow?: number;
  doorkeeper?: boolean;
  /** nodes the keys are sharded over; instances = nodes × (1 + replicas) */
  nodes: number;
  replicas: number;
  sharding: CacheSharding;
  vnodes: number;
  /** time for clients to notice a dead node and take it out of the ring */
  ejectMs: number;
  /** time for a replica to be promoted when its node's primary dies */
  failoverMs: number;
  /** the most popular keys (numbered from 0) are kept on `copies` nodes each, and read from any */
  hotKeys: { top: number; copies: number } | null;
}

export class Cache extends Station implements UsableSet {
  readonly kind = "cache";
  private done = -1;
  private ejectEv = -1;
  private failoverEv = -1;
  private readonly stores: CacheStore[];
  private readonly per: number;
  /** per node: the member (0..replicas) serving it, and whether clients keep it in the ring */
  private readonly primaryOf: Int32Array;
  private readonly inRing: Uint8Array;
  private readonly ring: HashRing | null;
  /** nodes in the ring, in order (mod N counts over these) */
  private ringNodes: number[];
  private readonly diedAt: Float64Array;
  private readonly gets: Float64Array;
  private readonly hits: Float64Array;
  private sets = 0;
  private deletes = 0;
  private ejections = 0;
  private rejoins = 0;
  private failovers = 0;
  private hitSeries: number[] = [];
  /** evictions, expirations and admission refusals of stores lost to restarts */
  private pastEvictions = 0;
  private pastExpirations = 0;
  private pastRejected = 0;
  private windowGets = 0;
  private windowHits = 0;

  constructor(
    name: string,
    private readonly cc: CacheConfig,
  ) {
    super(name, cc);
    this.per = 1 + cc.replicas;
    this.stores = Array.from({ length: cc.instances }, () => this.newStore());
    this.primaryOf = new Int32Array(cc.nodes);
    this.inRing = new Uint8Array(cc.nodes).fill(1);
    this.ringNodes = Array.from({ length: cc.nodes }, (_, i) => i);
    this.ring =
      cc.sharding === "consistent-hash" && cc.nodes > 1 ? new HashRing(this.ringNodes, cc.vnodes) : null;
    this.diedAt = new Float64Array(cc.instances).fill(-1);
    this.gets = new Float64Array(cc.instances);
    this.hits = new Float64Array(cc.instances);
  }

  private newStore(): CacheStore {
    return new CacheStore({
      maxEntries: this.cc.maxEntries,
      maxBytes: this.cc.maxBytes,
      policy: this.cc.policy,
      ttl: this.cc.ttlMs,
      agingWindow: this.cc.agingWindow,
      doorkeeper: this.cc.doorkeeper,
      rand: () => this.rng.next(),
    });
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.done = sim.q.on((id) => this.complete(id));
    this.ejectEv = sim.q.on((instance) => this.eject(instance));
    this.failoverEv = sim.q.on((node) => this.promote(node));
  }

  /** Whether clients still send a node's keys to it (the ring walks past nodes they took out). */
  usable(node: number): boolean {
    return this.inRing[node] === 1;
  }

  /** The node a key belongs to under the clients' current view, or -1 if none is left. */
  nodeOf(key: number): number {
    const n = this.cc.nodes;
    if (n === 1) return this.inRing[0] === 1 ? 0 : -1;
    const h = hash32(key);
    switch (this.cc.sharding) {
      case "consistent-hash":
        return this.ring!.ownerIn(h, this);
      case "hash": {
        const live = this.ringNodes;
        return live.length === 0 ? -1 : live[modN(h, live.length)];
      }
      case "rendezvous":
        return rendezvous(h, n, (i) => this.inRing[i] === 1);
    }
  }

  /**
   * Clients route each operation to the node that owns its key (an internal
   * one names its instance). A hot key lives on `copies` nodes: its owner and
   * the next ones in the ring's node order; each operation picks one at
   * random, so its load is spread, and a delete there is passed on to the
   * others.
   */
  override pick(job: Job): number {
    const hot = this.cc.hotKeys;
    const node =
      hot && job.key < hot.top ? this.copyNode(job.key, this.rng.int(hot.copies)) : this.nodeOf(job.key);
    return node < 0 ? -1 : this.instanceOf(node);
  }

  /** The node holding copy c of a hot key (distinct nodes while there are enough in the ring). */
  private copyNode(key: number, c: number): number {
    const owner = this.nodeOf(key);
    if (c === 0 || owner < 0) return owner;
    const ring = this.ringNodes;
    return ring[(ring.indexOf(owner) + c) % ring.length];
  }

  private instanceOf(node: number): number {
    return node * this.per + this.primaryOf[node];
  }

  override accept(job: Job): void {
    if (job.instance < 0 && job.caller !== this.index) return this.refuse(job, NO_HEALTHY_BACKEND);
    super.accept(job);
  }

  protected begin(job: Job): void {
    this.sim.q.schedule(this.cc.opTime.sample(this.rng) + this.slowMs, this.done, job.id);
  }

  private complete(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    const now = this.sim.now;
    const i = job.instance;
    const store = this.stores[i];
    const internal = job.caller === this.index;
    if (job.op === OP_READ) {
      this.gets[i]++;
      this.windowGets++;
      const e = store.get(job.key, now);
      if (e) {
        this.hits[i]++;
        this.windowHits++;
        job.hit = true;
        job.version = e.version;
        job.size = e.size;
      } else job.hit = false;
    } else if (job.op === OP_WRITE) {
      if (!internal) this.sets++;
      store.set(job.key, { version: job.version, size: job.size }, now);
    } else if (job.op === OP_DELETE) {
      if (!internal) this.deletes++;
      store.delete(job.key);
    }
    // a node's own writes (and a hot key's delete passed on from another node) stream to its replicas
    const fromOtherNode = internal && Math.floor(job.callerInstance / this.per) !== Math.floor(i / this.per);
    if ((!internal || fromOtherNode) && job.op !== OP_READ) this.replicate(job, i);
    if (!internal && job.op === OP_DELETE) this.deleteCopies(job, i);
    this.finish(job, OK);
  }

  /** An invalidated hot key goes from every node holding a copy. */
  private deleteCopies(job: Job, from: number): void {
    const hot = this.cc.hotKeys;
    if (!hot || job.key >= hot.top) return;
    const here = Math.floor(from / this.per);
    const done = new Set([here]);
    for (let c = 0; c < hot.copies; c++) {
      const node = this.copyNode(job.key, c);
      if (node < 0 || done.has(node)) continue;
      done.add(node);
      this.internalCall(job, from, this.instanceOf(node));
    }
  }

  /** A call from one instance of the cache to another (replication, copies), over the network. */
  private internalCall(job: Job, from: number, to: number): void {
    const c = this.sim.pool.alloc();
    c.op = job.op;
    c.key = job.key;
    c.version = job.version;
    c.size = job.size;
    c.caller = this.index;
    c.callerInstance = from;
    c.start = this.sim.now;
    this.sim.send(c, this, to);
  }

  /** A primary streams its sets and deletes to its node's replicas, asynchronously. */
  private replicate(job: Job, from: number): void {
    const node = Math.floor(from / this.per);
    for (let m = 0; m < this.per; m++) {
      const to = node * this.per + m;
      if (to === from || this.alive[to] === 0) continue;
      this.internalCall(job, from, to);
    }
  }

  /** Only replication streams come back to the cache. */
  override onReply(job: Job): void {
    this.sim.release(job);
  }

  override kill(instance: number): void {
    if (this.alive[instance] === 0) return;
    super.kill(instance);
    this.diedAt[instance] = this.sim.now;
    const node = Math.floor(instance / this.per);
    if (this.primaryOf[node] !== instance - node * this.per) return;
    if (this.per > 1) this.sim.q.schedule(this.cc.failoverMs, this.failoverEv, node);
    else this.sim.q.schedule(this.cc.ejectMs, this.ejectEv, instance);
  }

  /** A replica of a node whose primary died takes over, holding what it was sent; else clients give the node up. */
  private promote(node: number): void {
    const base = node * this.per;
    if (this.alive[base + this.primaryOf[node]] === 1) return; // it came back meanwhile
    for (let m = 0; m < this.per; m++) {
      if (this.alive[base + m] === 1) {
        this.primaryOf[node] = m;
        this.failovers++;
        return;
      }
    }
    const instance = base + this.primaryOf[node];
    const wait = this.diedAt[instance] + this.cc.ejectMs - this.sim.now;
    this.sim.q.schedule(Math.max(0, wait), this.ejectEv, instance);
  }

  /** Clients noticed the node is gone: its keys go to the rest (a remap, and a burst of misses). */
  private eject(instance: number): void {
    const node = Math.floor(instance / this.per);
    if (this.alive[instance] === 1 || this.inRing[node] === 0) return;
    if (this.primaryOf[node] !== instance - node * this.per) return;
    this.inRing[node] = 0;
    this.ejections++;
    this.ringNodes = this.ringNodes.filter((n) => n !== node);
  }

  /**
   * A restarted node comes back empty: memory does not survive the process.
   * A node clients had given up rejoins the ring, and its keys come back to it.
   */
  override restart(instance: number): void {
    if (this.alive[instance] === 1) return;
    super.restart(instance);
    const old = this.stores[instance].stats;
    this.pastEvictions += old.evictions;
    this.pastExpirations += old.expirations;
    this.pastRejected += old.rejectedAdmissions;
    this.stores[instance] = this.newStore();
    this.diedAt[instance] = -1;
    const node = Math.floor(instance / this.per);
    if (this.alive[node * this.per + this.primaryOf[node]] === 0)
      this.primaryOf[node] = instance - node * this.per;
    if (this.inRing[node] === 0) {
      this.inRing[node] = 1;
      this.rejoins++;
      this.ringNodes = Array.from({ length: this.cc.nodes }, (_, n) => n).filter((n) => this.inRing[n] === 1);
    }
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
    let gets = 0;
    let hits = 0;
    let evictions = this.pastEvictions;
    let expirations = this.pastExpirations;
    let rejected = this.pastRejected;
    let entries = 0;
    let bytes = 0;
    for (let i = 0; i < this.cc.instances; i++) {
      const s = this.stores[i];
      gets += this.gets[i];
      hits += this.hits[i];
      evictions += s.stats.evictions;
      expirations += s.stats.expirations;
      rejected += s.stats.rejectedAdmissions;
      // a replica's entries are copies: count memory once per node, on its primary
      const node = Math.floor(i / this.per);
      if (i === node * this.per + this.primaryOf[node]) {
        entries += s.size;
        bytes += s.bytes;
      }
    }
    const out: ComponentReport = {
      ...base,
      hitRatio: gets > 0 ? hits / gets : 0,
      gets,
      hits,
      misses: gets - hits,
      sets: this.sets,
      deletes: this.deletes,
      evictions,
      expirations,
      rejectedAdmissions: rejected,
      entries,
      bytes,
      series: { ...(base.series as object), hitRatio: this.hitSeries },
    };
    if (this.cc.nodes > 1 || this.per > 1) {
      out.cluster = {
        sharding: this.cc.sharding,
        ejections: this.ejections,
        rejoins: this.rejoins,
        failovers: this.failovers,
        nodes: Array.from({ length: this.cc.instances }, (_, i) => {
          const node = Math.floor(i / this.per);
          const s = this.stores[i];
          return {
            node,
            role: i === node * this.per + this.primaryOf[node] ? "primary" : "replica",
            alive: this.alive[i] === 1,
            inRing: this.inRing[node] === 1,
            gets: this.gets[i],
            hitRatio: this.gets[i] > 0 ? this.hits[i] / this.gets[i] : 0,
            entries: s.size,
            bytes: s.bytes,
            evictions: s.stats.evictions,
          };
        }),
      };
    }
    return out;
  }
}
