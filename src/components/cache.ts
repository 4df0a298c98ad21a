// A cache cluster (Redis- or Memcached-like): nodes that each hold a slice of
// the keys in a real key store under a real eviction policy, so hit ratios
// emerge from the keys requested. Clients shard keys over the nodes (ring,
// mod N or rendezvous); a dead node is taken out of the ring once clients
// notice, which remaps its keys, and with mod N most of everyone else's too:
// the miss storm lands on the database. Each node may have replicas that
// receive its writes asynchronously and take over when it dies; a replica
// that comes back (or a primary that returns after it was replaced) first
// copies its primary's whole data set, a full resync whose length grows with
// the data, and cannot be promoted until it is done. Values carry the data
// version they were read at, so stale hits can be measured.
import type { Sampler } from "../kernel/distributions.js";
import { HashRing, hash32, modN, rendezvous, type UsableSet } from "../mechanisms/hashing.js";
import { CacheStore, type EvictionPolicyName } from "../mechanisms/cache-store.js";
import { CacheBehaviour, type CacheStrategy, FILTERED, HIT, PLAIN_CACHE, TAKEN } from "./cache-writes.js";
import { type Job, OP_DELETE, OP_PUT, OP_READ, OP_WRITE } from "./job.js";
import { NO_HEALTHY_BACKEND, OK } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";

/** event arguments carry (generation, instance) pairs */
const INSTANCE_SPAN = 65536;

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
  /** bytes per ms a full resync copies from a primary to a replica that (re)joins it */
  resyncBytesPerMs: number;
  /** the most popular keys (numbered from 0) are kept on `copies` nodes each, and read from any */
  hotKeys: { top: number; copies: number } | null;
  /** read and write strategies, stampede and penetration defences (cache-writes.ts) */
  strategy?: CacheStrategy;
}

export class Cache extends Station implements UsableSet {
  readonly kind = "cache";
  private done = -1;
  private ejectEv = -1;
  private failoverEv = -1;
  private resyncEv = -1;
  /** per instance: holds its node's data (a replica in sync, or a primary); 0 while a resync is due or running */
  private readonly synced: Uint8Array;
  /** per instance: a resync in progress (its completion event carries the generation, so a kill voids it) */
  private readonly syncing: Uint8Array;
  private readonly syncGen: Float64Array;
  private readonly syncStart: Float64Array;
  private resyncs = 0;
  private resyncMs = 0;
  private unpromotable = 0;
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
  readonly behaviour: CacheBehaviour;

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
    this.synced = new Uint8Array(cc.instances).fill(1);
    this.syncing = new Uint8Array(cc.instances);
    this.syncGen = new Float64Array(cc.instances);
    this.syncStart = new Float64Array(cc.instances);
    this.gets = new Float64Array(cc.instances);
    this.hits = new Float64Array(cc.instances);
    this.behaviour = new CacheBehaviour(cc.strategy ?? PLAIN_CACHE, cc.ttlMs ?? 0, {
      component: this,
      store: (i) => this.stores[i],
      storeOfKey: (key) => {
        const node = this.nodeOf(key);
        return node < 0 ? null : this.stores[this.instanceOf(node)];
      },
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
    this.resyncEv = sim.q.on((arg) => this.resynced(arg % INSTANCE_SPAN, Math.floor(arg / INSTANCE_SPAN)));
    this.behaviour.attach(sim, this.rng);
  }

  override start(): void {
    this.behaviour.start();
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
    const b = this.behaviour;
    // what the operation stored, for its node's replicas: a set, a delete, or nothing
    let wrote = job.op;
    if (b.isResumed(job)) {
      // a suspended load or write-through write is back with the store's answer: store it
      this.sets++;
      const outcome = b.resumed(store, job, now);
      this.replicate(job, i, OP_WRITE);
      return this.finish(job, outcome);
    }
    if (job.op === OP_READ) {
      const got = b.read(store, job, now);
      if (got !== FILTERED) {
        this.gets[i]++;
        this.windowGets++;
      }
      if (got === HIT) {
        this.hits[i]++;
        this.windowHits++;
      }
      if (got === TAKEN) return;
    } else if (job.op === OP_WRITE) {
      if (!internal) this.sets++;
      b.fill(store, job, now);
    } else if (job.op === OP_PUT) {
      if (b.put(store, job, now) === TAKEN) return;
      this.sets++;
      wrote = OP_WRITE;
    } else if (job.op === OP_DELETE) {
      if (!b.delete(store, job))
        wrote = OP_READ; // only a lock released
      else if (!internal) this.deletes++;
    }
    // a node's own writes (and a hot key's delete passed on from another node) stream to its replicas
    const fromOtherNode = internal && Math.floor(job.callerInstance / this.per) !== Math.floor(i / this.per);
    if ((!internal || fromOtherNode) && wrote !== OP_READ) this.replicate(job, i, wrote);
    if (!internal && wrote === OP_DELETE) this.deleteCopies(job, i);
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
  private internalCall(job: Job, from: number, to: number, op = job.op): void {
    const c = this.sim.pool.alloc();
    c.op = op;
    c.key = job.key;
    c.version = job.version;
    c.size = job.size;
    c.caller = this.index;
    c.callerInstance = from;
    c.start = this.sim.now;
    this.sim.send(c, this, to);
  }

  /**
   * A primary streams its sets and deletes to its node's replicas,
   * asynchronously. A replica in a full resync gets none: the copy it
   * receives at the end already holds them (the primary buffers them, as
   * Redis does).
   */
  private replicate(job: Job, from: number, op: number): void {
    const node = Math.floor(from / this.per);
    for (let m = 0; m < this.per; m++) {
      const to = node * this.per + m;
      if (to === from || this.alive[to] === 0 || this.synced[to] === 0) continue;
      this.internalCall(job, from, to, op);
    }
  }

  /** Replication streams come back to the cache, and its own calls to its store (cache-writes.ts). */
  override onReply(job: Job): void {
    if (job.callee === this.index) return this.sim.release(job);
    this.behaviour.onReply(job);
  }

  override kill(instance: number): void {
    if (this.alive[instance] === 0) return;
    super.kill(instance);
    this.behaviour.killed(instance);
    this.diedAt[instance] = this.sim.now;
    const node = Math.floor(instance / this.per);
    // its own resync ends with it; a primary's death ends its replicas' resyncs too
    this.stopResync(instance);
    this.synced[instance] = 0;
    if (this.primaryOf[node] !== instance - node * this.per) return;
    for (let m = 0; m < this.per; m++) this.stopResync(node * this.per + m);
    if (this.per > 1) this.sim.q.schedule(this.cc.failoverMs, this.failoverEv, node);
    else this.sim.q.schedule(this.cc.ejectMs, this.ejectEv, instance);
  }

  /**
   * A replica of a node whose primary died takes over, holding what it was
   * sent; one that never finished its resync holds nothing to take over
   * with, and is passed over. With none left, clients give the node up.
   */
  private promote(node: number): void {
    const base = node * this.per;
    if (this.alive[base + this.primaryOf[node]] === 1) return; // it came back meanwhile
    for (let m = 0; m < this.per; m++) {
      if (this.alive[base + m] === 1 && this.synced[base + m] === 0) this.unpromotable++;
      if (this.alive[base + m] === 1 && this.synced[base + m] === 1) {
        this.primaryOf[node] = m;
        this.failovers++;
        this.resyncReplicas(node);
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
    const m = instance - node * this.per;
    if (this.primaryOf[node] === m || this.alive[node * this.per + this.primaryOf[node]] === 0) {
      // no primary to copy from: it serves the node, empty
      this.primaryOf[node] = m;
      this.synced[instance] = 1;
    } else this.synced[instance] = 0;
    if (this.inRing[node] === 0) {
      this.inRing[node] = 1;
      this.rejoins++;
      this.ringNodes = Array.from({ length: this.cc.nodes }, (_, n) => n).filter((n) => this.inRing[n] === 1);
    }
    this.resyncReplicas(node);
  }

  // ---------- full resync ----------

  /**
   * Every live replica of the node that does not hold its data starts a
   * full resync from the node's primary: a snapshot of the primary's data
   * crosses at resyncBytesPerMs, and the writes made meanwhile follow it.
   */
  private resyncReplicas(node: number): void {
    const primary = node * this.per + this.primaryOf[node];
    if (this.alive[primary] === 0) return;
    for (let m = 0; m < this.per; m++) {
      const i = node * this.per + m;
      if (i === primary || this.alive[i] === 0 || this.synced[i] === 1 || this.syncing[i] === 1) continue;
      this.syncing[i] = 1;
      this.syncStart[i] = this.sim.now;
      this.resyncs++;
      const ms = this.stores[primary].bytes / this.cc.resyncBytesPerMs;
      this.sim.q.schedule(ms, this.resyncEv, this.syncGen[i] * INSTANCE_SPAN + i);
    }
  }

  /** A resync in progress is cut short (the replica or its primary died): it holds nothing usable. */
  private stopResync(i: number): void {
    if (this.syncing[i] === 0) return;
    this.resyncMs += this.sim.now - this.syncStart[i];
    this.syncing[i] = 0;
    this.syncGen[i]++;
  }

  /** A resync is done: the replica now holds exactly what its primary holds (with the same expiry times). */
  private resynced(i: number, gen: number): void {
    if (gen !== this.syncGen[i] || this.syncing[i] === 0) return;
    const node = Math.floor(i / this.per);
    const from = this.stores[node * this.per + this.primaryOf[node]];
    const to = this.stores[i];
    const now = this.sim.now;
    to.clear();
    for (const key of from.keys()) {
      const e = from.peek(key, now);
      if (!e) continue;
      const life = e.expiresAt - now;
      to.set(key, { version: e.version, size: e.size }, now, life === Number.POSITIVE_INFINITY ? 0 : life);
    }
    this.resyncMs += now - this.syncStart[i];
    this.syncing[i] = 0;
    this.synced[i] = 1;
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
      ...this.behaviour.report(),
    };
    if (this.cc.nodes > 1 || this.per > 1) {
      out.cluster = {
        sharding: this.cc.sharding,
        ejections: this.ejections,
        rejoins: this.rejoins,
        failovers: this.failovers,
        resyncs: this.resyncs,
        resyncMs: this.resyncMs,
        unpromotable: this.unpromotable,
        nodes: Array.from({ length: this.cc.instances }, (_, i) => {
          const node = Math.floor(i / this.per);
          const s = this.stores[i];
          return {
            node,
            role: i === node * this.per + this.primaryOf[node] ? "primary" : "replica",
            alive: this.alive[i] === 1,
            inRing: this.inRing[node] === 1,
            syncing: this.syncing[i] === 1,
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
