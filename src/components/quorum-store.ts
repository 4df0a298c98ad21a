// A Dynamo-style leaderless key-value store. Every node is a connection pool
// (workers) with a bounded queue; a consistent-hash ring with virtual nodes
// places each key on N distinct nodes, its preference list. The first live
// node of that list coordinates a call: it sends the read or write to the
// replicas and answers once R (reads) or W (writes) of them have, so whether a
// read sees the latest write emerges from which replicas answered first.
// Versions come from a per-key logical clock and the highest wins (last writer
// wins). Optional: read repair (of every replica the coordinator hears answer
// with an older version, late answers included) and sloppy quorum with hinted
// handoff. Sub-requests are the store calling itself, from the coordinator's
// node to each replica's, so they pay the network and queue for workers.
import type { Sampler } from "../kernel/distributions.js";
import { hashString, KeyedDraws } from "../kernel/rng.js";
import { readCapacityUnits, writeCapacityUnits } from "../mechanisms/capacity-units.js";
import { summarize } from "../mechanisms/consistency.js";
import { HashRing, hash32 } from "../mechanisms/hashing.js";
import { LatencyRecorder } from "../metrics/latency.js";
import {
  type ConsistencyLevel,
  consistencyLevel,
  type DatacenterLevel,
  datacenterQuorum,
  majority,
  quorumRead,
  type ReplicaVersion,
} from "../mechanisms/quorum.js";
import { type Job, OP_READ, OP_WRITE, RUNNING } from "./job.js";
import { ERROR, NO_HEALTHY_BACKEND, OK, QUORUM_FAILED } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { ReadVerdicts } from "./read-verdicts.js";
import { Station, type StationConfig } from "./station.js";
import type { Store } from "./store.js";

/**
 * A replica count, or a Cassandra-style level resolved against N (against
 * each datacenter's replicas for the datacenter-aware levels).
 */
export type QuorumLevel = number | ConsistencyLevel | DatacenterLevel;

/** Replicas a call waits for: R for reads, W for writes (default: a majority of N). */
export interface QuorumPolicy {
  r?: QuorumLevel;
  w?: QuorumLevel;
}

export interface QuorumStoreConfig extends StationConfig {
  readTime: Sampler;
  writeTime: Sampler;
  valueSize: Sampler;
  /** N: replicas of each key, at most the number of nodes (with datacenters: their sum) */
  replicationFactor: number;
  /**
   * Replicas per datacenter (Cassandra's NetworkTopologyStrategy): a
   * datacenter is a network region, named here, and a key's replicas in it
   * are the first `replicas` distinct nodes of that region clockwise from the
   * key. Without it, the first N distinct nodes clockwise, wherever they are.
   */
  datacenters?: { name: string; replicas: number }[];
  /** ring positions per node */
  vnodes: number;
  /** sloppy quorum: a write meant for a dead replica goes to the next live node on the ring, which keeps a hint */
  hintedHandoff: boolean;
  /** a read sends the newest version it saw to replicas that answered with an older one */
  readRepair: boolean;
  /** anti-entropy: every this many ms, replicas of each key compare and the stale ones are repaired (0: off) */
  antiEntropyMs?: number;
  /** a hint older than this is dropped instead of replayed (Cassandra's max hint window); default: kept */
  hintTtlMs?: number;
  /** R and W of calls that carry no policy of their own (policy 0); a majority of N by default */
  quorum?: QuorumPolicy;
}

/** What a level counts: any replicas, those of the coordinator's datacenter, or a quorum in each datacenter. */
const ANY = 0;
const LOCAL = 1;
const EACH = 2;

/** Replicas a call at `level` needs in bucket `b` (in datacenter `dc` for a local level). */
function needIn(level: Need, b: number, dc: number): number {
  if (level.mode === ANY) return b === 0 ? level.count : 0;
  if (level.mode === EACH) return level.perDc[b];
  if (b > 0) return 0;
  // a local level in a datacenter without replicas can never be met: nothing counts there
  return dc < 0 ? 1 : level.perDc[dc];
}

/** A read or write level resolved against the store's placement. */
interface Need {
  mode: typeof ANY | typeof LOCAL | typeof EACH;
  /** ANY: replicas to hear from */
  count: number;
  /** LOCAL: replicas needed when the coordinator is in datacenter d; EACH: replicas needed in d */
  perDc: number[];
  /** as reported: the count, or the datacenter-aware level's name */
  label: number | string;
}

// What a sub-request does on its replica, kept in job.aux (Station.kill's
// answering copies carry aux, not phase or step).
/** the coordinator's read or write on one replica */
const REPLICA = 0;
/** a write stored as a hint for a dead replica, whose node is in job.step */
const HINT = 1;
/** read repair, fire and forget */
const REPAIR = 2;
/** a hint delivered to the replica it was meant for, fire and forget */
const REPLAY = 3;

export class QuorumStore extends Station implements Store {
  readonly kind = "quorum-store";
  /** index of this store in the consistency checker */
  storeId = 0;
  /** N */
  readonly replicationFactor: number;
  private readonly ring: HashRing;
  /**
   * The preference list of every ring position: its first N distinct nodes
   * clockwise (per datacenter, the first of each datacenter's nodes up to its
   * replicas). Built on attach, once the nodes' zones are known.
   */
  private prefs: Int32Array = new Int32Array(0);
  private readonly policies: { r: Need; w: Need }[];
  /** replicas per datacenter (one entry, N, without datacenters) */
  private readonly factors: number[];
  private readonly dcAware: boolean;
  /** per node: its datacenter (-1: a region holding no replicas) and its network region */
  private nodeDc: Int32Array = new Int32Array(0);
  private nodeRegion: Int32Array = new Int32Array(0);
  /** per network region: the datacenter it is (-1: none) */
  private regionDc: Int32Array = new Int32Array(0);
  /** per-call counters are kept per bucket: one, or one per datacenter */
  private readonly buckets: number;
  /** per node: the version of each key it holds (kept across restarts: disk) */
  private readonly data: Map<number, number>[];
  /** per key: the last version handed to a write */
  private readonly clock = new Map<number, number>();
  /** per (holder, home) node pair: hinted versions held for home */
  private readonly hints: (Map<number, number> | undefined)[];
  private liveNodes: number;
  private doneEv = -1;
  // Coordinator state, indexed by the coordinator job's id, so it is bounded by
  // calls in flight. Per call: what its level counts and in which datacenter;
  // per bucket (`buckets` wide) replicas needed and asked, answers and
  // failures so far; and (N wide) the nodes asked with the dead replica each
  // stands in for, and the replicas and versions of the read answers that count.
  private mode = new Int32Array(0);
  private callDc = new Int32Array(0);
  /** offset of the call key's preference list in the table */
  private callAt = new Int32Array(0);
  /** 1 for a strongly consistent call: its level waits for a majority of the replicas it counts */
  private strong = new Int32Array(0);
  private need = new Int32Array(0);
  private asked = new Int32Array(0);
  private oks = new Int32Array(0);
  private fails = new Int32Array(0);
  private answers = new Int32Array(0);
  private pending = new Int32Array(0);
  private planNode = new Int32Array(0);
  private planHome = new Int32Array(0);
  private respNode = new Int32Array(0);
  private respVersion = new Float64Array(0);
  /** nodes already in a call's plan, by call stamp */
  private readonly mark: Float64Array;
  private stamp = 0;
  private reads = 0;
  private writes = 0;
  private quorumFailures = 0;
  private readRepairs = 0;
  private antiEntropyRepairs = 0;
  private hintsExpired = 0;
  /** per (holder, home) pair like hints: when each pending hint was stored */
  private readonly hintAt: (Map<number, number> | undefined)[] = [];
  private entropyEv = -1;
  private hintsStored = 0;
  private hintsReplayed = 0;
  private replicaRejections = 0;
  private readonly readsAt: Float64Array;
  private readonly writesAt: Float64Array;
  private readonly verdicts = new ReadVerdicts();
  /**
   * Convergence (CM-06): per key, the acknowledged writes that some replica of
   * the key's preference list does not hold yet (nor anything newer): the
   * key's offset in the preference table, then [version, acknowledgedAt]
   * pairs. Keys leave the map once every such write has reached every
   * replica, so it holds only writes not yet everywhere; their lists are
   * reused.
   */
  private readonly unconverged = new Map<number, number[]>();
  private readonly spareLists: number[][] = [];
  private unconvergedWrites = 0;
  private readonly convergence = new LatencyRecorder();
  /** Capacity units consumed (DynamoDB's): reads by consistency, and writes by their size */
  private readUnits = 0;
  private writeUnits = 0;
  private strongReads = 0;
  private eventualReads = 0;
  /** draws the size of each acknowledged write, apart from the store's own stream */
  /** a value's size belongs to its key (capacity units and cache copies agree) */
  private sizes!: KeyedDraws;

  constructor(
    name: string,
    private readonly qs: QuorumStoreConfig,
  ) {
    super(name, qs);
    const nodes = qs.instances;
    const dcs = qs.datacenters;
    if (dcs) {
      if (dcs.length === 0) throw new RangeError(`${name}: datacenters must list at least one`);
      for (const d of dcs)
        if (!Number.isInteger(d.replicas) || d.replicas < 1)
          throw new RangeError(
            `${name}: replicas in ${d.name} must be a positive integer, got ${d.replicas}`,
          );
    }
    const n = dcs ? dcs.reduce((sum, d) => sum + d.replicas, 0) : qs.replicationFactor;
    if (dcs && n !== qs.replicationFactor)
      throw new RangeError(
        `${name}: replicationFactor ${qs.replicationFactor} is not the sum of the datacenters' replicas (${n})`,
      );
    if (!Number.isInteger(n) || n < 1 || n > nodes)
      throw new RangeError(`${name}: replicationFactor must be an integer in [1, ${nodes}], got ${n}`);
    if (!Number.isInteger(qs.vnodes) || qs.vnodes < 1)
      throw new RangeError(`${name}: vnodes must be a positive integer, got ${qs.vnodes}`);
    this.replicationFactor = n;
    this.dcAware = dcs !== undefined;
    this.factors = dcs ? dcs.map((d) => d.replicas) : [n];
    this.buckets = this.factors.length;
    this.ring = new HashRing(
      Array.from({ length: nodes }, (_, i) => i),
      qs.vnodes,
    );
    this.policies = [this.resolve(qs.quorum ?? {})];
    this.data = Array.from({ length: nodes }, () => new Map<number, number>());
    this.hints = new Array(nodes * nodes);
    this.liveNodes = nodes;
    this.mark = new Float64Array(nodes);
    this.readsAt = new Float64Array(nodes);
    this.writesAt = new Float64Array(nodes);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.place();
    this.sizes = new KeyedDraws(hashString(`${this.name}/sizes`));
    this.doneEv = sim.q.on((id) => this.complete(id));
    this.entropyEv = sim.q.on(() => this.antiEntropy());
  }

  /**
   * Where each node is (its region, and the datacenter that region is), and
   * so where each key's replicas are: the preference table.
   */
  private place(): void {
    const net = this.sim.net;
    const nodes = this.qs.instances;
    const dcs = this.qs.datacenters ?? [];
    this.nodeRegion = Int32Array.from({ length: nodes }, (_, i) => net.zoneRegion[this.zoneOf(i)]);
    // without datacenters the whole cluster is one
    this.regionDc = new Int32Array(net.regionNames.length).fill(this.dcAware ? -1 : 0);
    dcs.forEach((d, i) => {
      const r = net.region(d.name);
      if (r < 0) throw new RangeError(`${this.name}: datacenter ${d.name} is not a region of the network`);
      this.regionDc[r] = i;
    });
    this.nodeDc = Int32Array.from(this.nodeRegion, (r) => this.regionDc[r]);
    const held = this.factors.map(() => 0);
    for (const d of this.nodeDc) if (d >= 0) held[d]++;
    this.factors.forEach((f, d) => {
      if (held[d] < f)
        throw new RangeError(
          `${this.name}: ${f} replicas in ${dcs[d]?.name ?? "the cluster"} need as many nodes there; it has ${held[d]}`,
        );
    });
    this.prefs = preferenceTable(this.ring, this.nodeDc, this.factors);
  }

  override start(): void {
    if (this.qs.antiEntropyMs) this.sim.q.schedule(this.qs.antiEntropyMs, this.entropyEv, 0);
  }

  /**
   * A round of anti-entropy (Cassandra's repair, Dynamo's Merkle-tree
   * exchange): for every key, the live replicas that can reach each other
   * compare versions and each stale one is sent the newest, as background
   * writes. Comparing is free here; the repairs cost what writes cost.
   */
  private antiEntropy(): void {
    const n = this.replicationFactor;
    for (const key of this.clock.keys()) {
      const at = this.ring.successor(hash32(key)) * n;
      let best = -1;
      let newest = 0;
      for (let i = 0; i < n; i++) {
        const node = this.prefs[at + i];
        const v = this.versionAt(node, key);
        if (this.isAlive(node) && v > newest) {
          newest = v;
          best = node;
        }
      }
      if (best < 0) continue;
      for (let i = 0; i < n; i++) {
        const node = this.prefs[at + i];
        if (node !== best && this.reaches(best, node) && this.versionAt(node, key) < newest) {
          this.antiEntropyRepairs++;
          this.fire(REPAIR, best, node, key, newest);
        }
      }
    }
    this.sim.q.schedule(this.qs.antiEntropyMs!, this.entropyEv, 0);
  }

  /**
   * Registers a step's R and W (either left out: the store's own); its calls
   * carry the returned index in job.policy.
   */
  readPolicy(options: QuorumPolicy): number {
    const own = this.qs.quorum ?? {};
    const p = this.resolve({ r: options.r ?? own.r, w: options.w ?? own.w });
    const same = this.policies.findIndex((q) => q.r.label === p.r.label && q.w.label === p.w.label);
    return same >= 0 ? same : this.policies.push(p) - 1;
  }

  private resolve(options: QuorumPolicy): { r: Need; w: Need } {
    const n = this.replicationFactor;
    const need = (name: string, level: QuorumLevel | undefined): Need => {
      if (level === "local-one" || level === "local-quorum" || level === "each-quorum") {
        if (!this.dcAware)
          throw new RangeError(`${this.name}: ${name} ${level} needs replicas placed per datacenter`);
        const perDc =
          level === "each-quorum"
            ? datacenterQuorum(level, this.factors, -1)!
            : this.factors.map((_, d) => datacenterQuorum(level, this.factors, d)![d]);
        return { mode: level === "each-quorum" ? EACH : LOCAL, count: 0, perDc, label: level };
      }
      const x =
        level === undefined ? majority(n) : typeof level === "number" ? level : consistencyLevel(level, n);
      if (!Number.isInteger(x) || x < 1 || x > n)
        throw new RangeError(`${this.name}: ${name} must be an integer in [1, ${n}], got ${x}`);
      return { mode: ANY, count: x, perDc: [], label: x };
    };
    return { r: need("r", options.r), w: need("w", options.w) };
  }

  /** The N nodes that hold `key`, in ring order. */
  preferenceList(key: number): number[] {
    const at = this.ring.successor(hash32(key)) * this.replicationFactor;
    return Array.from(this.prefs.subarray(at, at + this.replicationFactor));
  }

  /** Version of `key` held by `node` (0: none), dead or alive. */
  versionAt(node: number, key: number): number {
    return this.data[node].get(key) ?? 0;
  }

  /** Keys written so far whose N replicas do not all hold the same version. */
  divergentKeys(): number {
    const n = this.replicationFactor;
    let diverged = 0;
    for (const key of this.clock.keys()) {
      const at = this.ring.successor(hash32(key)) * n;
      const v = this.versionAt(this.prefs[at], key);
      for (let i = 1; i < n; i++) {
        if (this.versionAt(this.prefs[at + i], key) !== v) {
          diverged++;
          break;
        }
      }
    }
    return diverged;
  }

  /**
   * Callers send to the key's coordinator (a token-aware driver): the first
   * replica they can reach, else any node they can reach, which coordinates
   * without holding the key. The store plans the rest on arrival. With
   * datacenters the driver is also datacenter-aware: it tries the nodes of
   * the caller's own region first, so the coordinator is local.
   */
  override pick(job: Job): number {
    if (job.op !== OP_READ && job.op !== OP_WRITE) return -1;
    const from = this.sim.components[job.caller].zoneOf(job.callerInstance);
    const net = this.sim.net;
    const ok = (node: number) => this.isAlive(node) && !net.isCut(from, this.zoneOf(node));
    // read the preference table in place: this runs for every call
    const n = this.replicationFactor;
    const at = this.ring.successor(hash32(job.key)) * n;
    if (this.dcAware) {
      const region = net.zoneRegion[from];
      for (let i = 0; i < n; i++) {
        const node = this.prefs[at + i];
        if (this.nodeRegion[node] === region && ok(node)) return node;
      }
      for (let node = 0; node < this.qs.instances; node++)
        if (this.nodeRegion[node] === region && ok(node)) return node;
    }
    for (let i = 0; i < n; i++) if (ok(this.prefs[at + i])) return this.prefs[at + i];
    for (let node = 0; node < this.qs.instances; node++) if (ok(node)) return node;
    return -1;
  }

  /** Whether `from` can get an answer from `node`: it is up and no partition lies between them. */
  private reaches(from: number, node: number): boolean {
    return this.isAlive(node) && (from < 0 || !this.sim.net.isCut(this.zoneOf(from), this.zoneOf(node)));
  }

  override accept(job: Job): void {
    if (job.caller === this.index) return this.acceptReplica(job);
    this.arrivals++;
    job.enqueued = this.sim.now;
    if (job.op !== OP_READ && job.op !== OP_WRITE) return this.refuse(job, ERROR);
    if (this.liveNodes === 0) return this.refuse(job, NO_HEALTHY_BACKEND);
    this.coordinate(job);
  }

  /**
   * Plans the call (live preference-list replicas, and for a sloppy write a
   * stand-in for each dead one), fails it at once if too few can answer, as
   * Cassandra's UnavailableException does, and otherwise fans it out.
   */
  private coordinate(job: Job): void {
    const sim = this.sim;
    const write = job.op === OP_WRITE;
    const p = this.policies[job.policy];
    const level = write ? p.w : p.r;
    const co = sim.pool.alloc();
    const id = co.id;
    this.track(id);
    const from = job.instance >= 0 && this.isAlive(job.instance) ? job.instance : -1;
    // a local level counts the coordinator's datacenter (without a live
    // coordinator yet, the caller's)
    const dc =
      level.mode !== LOCAL
        ? -1
        : from >= 0
          ? this.nodeDc[from]
          : this.regionDc[sim.net.zoneRegion[sim.components[job.caller].zoneOf(job.callerInstance)]];
    // writes go to every replica whatever they wait for; a local read asks only local ones
    const only = level.mode === LOCAL && !write ? dc : -1;
    const position = this.ring.successor(hash32(job.key));
    this.callAt[id] = position * this.replicationFactor;
    const asked = this.plan(id, position, write && this.qs.hintedHandoff, from, only);
    if (!this.available(id, level, dc, asked)) {
      sim.release(co);
      this.quorumFailures++;
      return this.refuse(job, QUORUM_FAILED);
    }
    // the node the caller reached coordinates; without one, the first live
    // node of the preference list (a stand-in if none is live)
    const base = id * this.replicationFactor;
    let coordinator = from >= 0 ? from : this.planNode[base];
    for (let i = 0; from < 0 && i < asked; i++) {
      if (this.planHome[base + i] < 0) {
        coordinator = this.planNode[base + i];
        break;
      }
    }
    // the caller waits on the coordinator: if it dies, Station.kill answers the caller
    job.instance = coordinator;
    job.state = RUNNING;
    co.inherit(job);
    co.op = job.op;
    co.instance = coordinator;
    co.parent = job.id;
    co.version = write ? this.nextVersion(job.key) : -1;
    // all counted before any is sent, so an early answer cannot release the call mid-loop
    this.pending[id] = asked;
    for (let i = 0; i < asked; i++) this.ask(co, this.planNode[base + i], this.planHome[base + i]);
  }

  /**
   * Sets call `id`'s counters for `level` (in datacenter `dc` for a local
   * one) over the `asked` nodes planned, and says whether enough of them were
   * planned in every bucket for the call to be able to succeed.
   */
  private available(id: number, level: Need, dc: number, asked: number): boolean {
    const b0 = id * this.buckets;
    this.mode[id] = level.mode;
    this.callDc[id] = dc;
    this.strong[id] = this.isStrong(level, dc) ? 1 : 0;
    this.answers[id] = 0;
    for (let b = 0; b < this.buckets; b++) {
      this.need[b0 + b] = needIn(level, b, dc);
      this.asked[b0 + b] = 0;
      this.oks[b0 + b] = 0;
      this.fails[b0 + b] = 0;
    }
    const plan = id * this.replicationFactor;
    for (let i = 0; i < asked; i++) {
      const b = this.bucketOf(id, this.planNode[plan + i]);
      if (b >= 0) this.asked[b0 + b]++;
    }
    for (let b = 0; b < this.buckets; b++) if (this.asked[b0 + b] < this.need[b0 + b]) return false;
    return true;
  }

  /**
   * Whether a call at `level` (from datacenter `dc`) is strongly consistent,
   * DynamoDB's distinction: it waits for a majority of the replicas it counts
   * (all N, or those of its datacenter), so it meets every such write. One
   * replica of several is an eventually consistent read.
   */
  private isStrong(level: Need, dc: number): boolean {
    if (level.mode === ANY) return level.count >= majority(this.replicationFactor);
    if (level.mode === EACH) return true;
    return dc >= 0 && level.perDc[dc] >= majority(this.factors[dc]);
  }

  /** The bucket an answer from `node` counts in for call `id`, or -1 if its level does not count it. */
  private bucketOf(id: number, node: number): number {
    const mode = this.mode[id];
    if (mode === ANY) return 0;
    const d = this.nodeDc[node];
    if (mode === EACH) return d;
    return d === this.callDc[id] && d >= 0 ? 0 : -1;
  }

  /**
   * Writes call `id`'s plan: the replicas of the preference list at ring
   * position `at` that `from` (the coordinator; -1: any) can reach, each
   * unreachable one replaced (if `sloppy`) by the next reachable node
   * clockwise beyond the list (of the same datacenter, when there are
   * datacenters). With `only` >= 0, only the replicas of that datacenter are
   * planned. Returns the number of nodes planned.
   */
  private plan(id: number, at: number, sloppy: boolean, from: number, only: number): number {
    const n = this.replicationFactor;
    const pref = at * n;
    const out = id * n;
    const stamp = ++this.stamp;
    for (let i = 0; i < n; i++) this.mark[this.prefs[pref + i]] = stamp;
    const owners = this.ring.owners;
    const positions = owners.length;
    let cursor = at;
    let walked = 0;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const node = this.prefs[pref + i];
      const dc = this.nodeDc[node];
      if (only >= 0 && dc !== only) continue;
      if (this.reaches(from, node)) {
        this.planNode[out + k] = node;
        this.planHome[out + k++] = -1;
        continue;
      }
      if (!sloppy) continue;
      // a stand-in from the replica's own datacenter counts where it would have
      if (this.dcAware) {
        cursor = at;
        walked = 0;
      }
      while (walked < positions) {
        const o = owners[cursor];
        cursor = cursor + 1 === positions ? 0 : cursor + 1;
        walked++;
        if (this.mark[o] !== stamp && this.nodeDc[o] === dc && this.reaches(from, o)) {
          this.mark[o] = stamp;
          this.planNode[out + k] = o;
          this.planHome[out + k++] = node;
          break;
        }
      }
    }
    return k;
  }

  private nextVersion(key: number): number {
    const v = (this.clock.get(key) ?? 0) + 1;
    this.clock.set(key, v);
    return v;
  }

  /** Sends call `co` to `node`, as a hint for `home` if home >= 0. */
  private ask(co: Job, node: number, home: number): void {
    const s = this.sim.pool.alloc();
    s.inherit(co);
    s.parent = co.id;
    s.caller = this.index;
    s.callerInstance = co.instance;
    s.op = co.op;
    s.version = co.op === OP_WRITE ? co.version : -1;
    s.aux = home < 0 ? REPLICA : HINT;
    s.step = home;
    s.start = this.sim.now;
    // callerInstance is the coordinator, so the hop to another node pays the network
    this.sim.send(s, this, node);
  }

  /** A write nobody waits for: read repair, or a hint going home. */
  private fire(kind: number, from: number, to: number, key: number, version: number): void {
    const s = this.sim.pool.alloc();
    s.caller = this.index;
    s.callerInstance = from;
    s.op = OP_WRITE;
    s.key = key;
    s.version = version;
    s.aux = kind;
    s.start = this.sim.now;
    this.sim.send(s, this, to);
  }

  private acceptReplica(job: Job): void {
    const i = job.instance;
    // a node's queue bounds the calls it serves; repairs and hint replays are
    // background work that waits its turn
    if (
      job.aux <= HINT &&
      this.isAlive(i) &&
      this.busy[i] >= this.cfg.concurrency &&
      this.queues[i].length >= this.cfg.queue
    ) {
      this.replicaRejections++;
      return this.refuse(job, this.cfg.rejectCause);
    }
    super.accept(job);
  }

  protected begin(job: Job): void {
    const t = job.op === OP_READ ? this.qs.readTime : this.qs.writeTime;
    this.sim.q.schedule(t.sample(this.rng) + this.slowMs, this.doneEv, job.id);
  }

  /** A replica finished a sub-request. */
  private complete(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    const node = job.instance;
    if (job.op === OP_READ) {
      job.version = this.versionAt(node, job.key);
      this.readsAt[node]++;
    } else if (job.aux === HINT) this.keepHint(node, job.step, job.key, job.version);
    else this.store(node, job.key, job.version);
    this.finish(job, OK);
  }

  private store(node: number, key: number, version: number): void {
    const m = this.data[node];
    if ((m.get(key) ?? 0) < version) m.set(key, version);
    this.writesAt[node]++;
    const waiting = this.unconverged.get(key);
    if (waiting) this.converge(key, waiting);
  }

  /**
   * The oldest version of `key` among its N replicas, the preference list at
   * offset `at` of the table (dead replicas included: their disk keeps it).
   */
  private oldestReplicaVersion(key: number, at: number): number {
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.replicationFactor; i++)
      min = Math.min(min, this.versionAt(this.prefs[at + i], key));
    return min;
  }

  /**
   * A write of `key` (preference list at offset `at`) was acknowledged: it
   * has converged if every replica already holds it, else it waits.
   */
  private acknowledged(key: number, version: number, at: number): void {
    if (this.oldestReplicaVersion(key, at) >= version) return this.convergence.record(0);
    let waiting = this.unconverged.get(key);
    if (!waiting) {
      waiting = this.spareLists.pop() ?? [];
      waiting.push(at);
      this.unconverged.set(key, waiting);
    }
    waiting.push(version, this.sim.now);
    this.unconvergedWrites++;
  }

  /** A replica of `key` stored a version: the waiting writes every replica now holds have converged. */
  private converge(key: number, waiting: number[]): void {
    const oldest = this.oldestReplicaVersion(key, waiting[0]);
    let kept = 1;
    for (let i = 1; i < waiting.length; i += 2) {
      if (waiting[i] <= oldest) {
        this.convergence.record(this.sim.now - waiting[i + 1]);
        this.unconvergedWrites--;
      } else {
        waiting[kept++] = waiting[i];
        waiting[kept++] = waiting[i + 1];
      }
    }
    waiting.length = kept;
    if (kept === 1) {
      this.unconverged.delete(key);
      waiting.length = 0;
      this.spareLists.push(waiting);
    }
  }

  private keepHint(holder: number, home: number, key: number, version: number): void {
    const slot = holder * this.qs.instances + home;
    let m = this.hints[slot];
    if (m === undefined) {
      m = new Map();
      this.hints[slot] = m;
    }
    if ((m.get(key) ?? 0) < version) {
      m.set(key, version);
      (this.hintAt[slot] ??= new Map()).set(key, this.sim.now);
    }
    this.hintsStored++;
    // home came back (or became reachable) while this hint was on its way
    if (this.reaches(holder, home)) this.fire(REPLAY, holder, home, key, version);
  }

  /** Sends `home` every hint `holder` keeps for it. */
  private replay(holder: number, home: number): void {
    const slot = holder * this.qs.instances + home;
    const m = this.hints[slot];
    if (!m) return;
    const ttl = this.qs.hintTtlMs ?? Number.POSITIVE_INFINITY;
    for (const [key, version] of m) {
      // past the hint window the write stays missing until a repair finds it
      if (this.sim.now - (this.hintAt[slot]?.get(key) ?? 0) > ttl) {
        m.delete(key);
        this.hintAt[slot]?.delete(key);
        this.hintsExpired++;
      } else this.fire(REPLAY, holder, home, key, version);
    }
  }

  /** A sub-request's answer (or Station.kill's copy saying its node died). */
  override onReply(sub: Job): void {
    const sim = this.sim;
    const ok = sub.outcome === OK;
    if (sub.parent < 0) {
      if (ok && sub.aux === REPLAY) this.delivered(sub);
      return sim.release(sub);
    }
    const co = sim.pool.jobs[sub.parent];
    const node = sub.instance;
    const version = sub.version;
    sim.release(sub);
    const id = co.id;
    this.pending[id]--;
    if (co.parent >= 0) this.progress(co, ok, node, version);
    // a reply after the read was answered still shows a replica that is behind
    else if (ok && co.op === OP_READ && version < co.version) this.repair(co, node);
    if (this.pending[id] === 0) sim.release(co);
  }

  private progress(co: Job, ok: boolean, node: number, version: number): void {
    const id = co.id;
    const caller = this.sim.pool.jobs[co.parent];
    if (caller.cancelled) {
      // the coordinator died and Station.kill answered the caller: drop the call
      co.parent = -1;
      this.sim.release(caller);
      return;
    }
    const b = this.bucketOf(id, node);
    // a replica this level does not wait for (a remote one, for a local write)
    if (b < 0) return;
    const at = id * this.buckets + b;
    if (!ok) {
      if (++this.fails[at] > this.asked[at] - this.need[at]) this.answer(co, caller, QUORUM_FAILED);
      return;
    }
    this.oks[at]++;
    if (co.op === OP_READ) {
      const k = this.answers[id]++;
      this.respNode[id * this.replicationFactor + k] = node;
      this.respVersion[id * this.replicationFactor + k] = version;
    }
    const b0 = id * this.buckets;
    for (let i = 0; i < this.buckets; i++) if (this.oks[b0 + i] < this.need[b0 + i]) return;
    if (co.op === OP_WRITE) {
      this.writes++;
      this.sim.consistency?.committed(this.storeId, co.key, co.version, this.sim.now);
      this.acknowledged(co.key, co.version, this.callAt[id]);
      this.writeUnits += writeCapacityUnits(Math.round(this.qs.valueSize.sample(this.sizes.at(co.key))));
      caller.version = co.version;
    } else {
      const base = id * this.replicationFactor;
      const responses: ReplicaVersion[] = [];
      for (let i = 0; i < this.answers[id]; i++)
        responses.push({ replica: this.respNode[base + i], version: this.respVersion[base + i] });
      const result = quorumRead(responses, responses.length)!;
      this.reads++;
      co.version = result.version;
      caller.version = result.version;
      caller.size = Math.round(this.qs.valueSize.sample(this.sizes.at(co.key)));
      const strong = this.strong[id] === 1;
      if (strong) this.strongReads++;
      else this.eventualReads++;
      this.readUnits += readCapacityUnits(caller.size, strong);
      for (const r of result.repair) this.repair(co, r);
    }
    this.answer(co, caller, OK);
  }

  private repair(co: Job, node: number): void {
    if (!this.qs.readRepair || !this.isAlive(co.instance) || !this.isAlive(node)) return;
    this.readRepairs++;
    this.fire(REPAIR, co.instance, node, co.key, co.version);
  }

  /** Answers the caller: OK, or QUORUM_FAILED, the one failure a coordinator decides itself. */
  private answer(co: Job, caller: Job, outcome: typeof OK | typeof QUORUM_FAILED): void {
    co.parent = -1;
    caller.state = 0;
    caller.outcome = outcome;
    if (outcome === OK) this.completed++;
    else {
      this.failed++;
      this.quorumFailures++;
    }
    this.latency.record(this.sim.now - caller.enqueued);
    this.sim.reply(caller);
  }

  /** A hint reached its home node: forget it unless a newer one came meanwhile. */
  private delivered(sub: Job): void {
    this.hintsReplayed++;
    const m = this.hints[sub.callerInstance * this.qs.instances + sub.instance];
    if (m && (m.get(sub.key) ?? 0) <= sub.version) {
      m.delete(sub.key);
      this.hintAt[sub.callerInstance * this.qs.instances + sub.instance]?.delete(sub.key);
    }
  }

  /** Grows the per-call arrays to cover call `id`. */
  private track(id: number): void {
    if (id < this.pending.length) return;
    const cap = Math.max(64, id + 1, this.pending.length * 2);
    const n = this.replicationFactor;
    const d = this.buckets;
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (len: number) => T, width: number): T => {
      const b = make(cap * width);
      b.set(a);
      return b;
    };
    const int = (len: number) => new Int32Array(len);
    this.mode = grow(this.mode, int, 1);
    this.callDc = grow(this.callDc, int, 1);
    this.strong = grow(this.strong, int, 1);
    this.callAt = grow(this.callAt, int, 1);
    this.need = grow(this.need, int, d);
    this.asked = grow(this.asked, int, d);
    this.oks = grow(this.oks, int, d);
    this.fails = grow(this.fails, int, d);
    this.answers = grow(this.answers, int, 1);
    this.pending = grow(this.pending, int, 1);
    this.planNode = grow(this.planNode, int, n);
    this.planHome = grow(this.planHome, int, n);
    this.respNode = grow(this.respNode, int, n);
    this.respVersion = grow(this.respVersion, (len) => new Float64Array(len), n);
  }

  // ---- faults

  override kill(node: number): void {
    if (!this.isAlive(node)) return;
    super.kill(node);
    this.liveNodes--;
  }

  /** The node keeps its data; hints wait on disk until both their holder and their home are up. */
  override restart(node: number): void {
    if (this.isAlive(node)) return;
    super.restart(node);
    this.liveNodes++;
    for (let other = 0; other < this.qs.instances; other++) {
      if (other === node || !this.isAlive(other)) continue;
      this.replay(other, node);
      this.replay(node, other);
    }
  }

  /** A partition healed (or began): hints for homes that can be reached again are replayed. */
  override networkChanged(): void {
    const n = this.qs.instances;
    for (let holder = 0; holder < n; holder++)
      for (let home = 0; home < n; home++)
        if (holder !== home && this.isAlive(holder) && this.reaches(holder, home)) this.replay(holder, home);
  }

  // ---- reporting

  /** The consistency checker's verdict on one read of this store, for the per-second series. */
  noteRead(flags: number): void {
    this.verdicts.note(flags);
  }

  override tick(second: number): void {
    super.tick(second);
    this.verdicts.tick();
  }

  report(now: number): ComponentReport {
    const base = this.stationReport(now);
    const nodes = this.qs.instances;
    const hintsAt = Array.from({ length: nodes }, (_, holder) => {
      let held = 0;
      for (let home = 0; home < nodes; home++) held += this.hints[holder * nodes + home]?.size ?? 0;
      return held;
    });
    const out: ComponentReport = {
      ...base,
      replicationFactor: this.replicationFactor,
      ...(this.qs.datacenters && {
        replication: Object.fromEntries(this.qs.datacenters.map((d) => [d.name, d.replicas])),
      }),
      r: this.policies[0].r.label,
      w: this.policies[0].w.label,
      hintedHandoff: this.qs.hintedHandoff,
      readRepair: this.qs.readRepair,
      reads: this.reads,
      writes: this.writes,
      quorumFailures: this.quorumFailures,
      readRepairs: this.readRepairs,
      antiEntropyRepairs: this.antiEntropyRepairs,
      hintsStored: this.hintsStored,
      hintsReplayed: this.hintsReplayed,
      hintsExpired: this.hintsExpired,
      hintsPending: hintsAt.reduce((sum, held) => sum + held, 0),
      replicaRejections: this.replicaRejections,
      keysWritten: this.clock.size,
      divergentKeys: this.divergentKeys(),
      convergenceMs: this.convergence.summary(),
      unconvergedWrites: this.unconvergedWrites,
      capacityUnits: {
        read: this.readUnits,
        write: this.writeUnits,
        strongReads: this.strongReads,
        eventualReads: this.eventualReads,
      },
      nodes: Array.from({ length: nodes }, (_, i) => ({
        alive: this.isAlive(i),
        zone: this.sim.net.zoneNames[this.zoneOf(i)],
        reads: this.readsAt[i],
        writes: this.writesAt[i],
        keys: this.data[i].size,
        hints: hintsAt[i],
      })),
      series: {
        ...(base.series as Record<string, number[]>),
        ...this.verdicts.series(),
      },
    };
    const checker = this.sim.consistency;
    if (checker) {
      const c = checker.counts().byStore[this.storeId];
      // a node's data outlives its crashes, so a write survives while any node holds it
      const newest = (key: number) => {
        let v = 0;
        for (const m of this.data) v = Math.max(v, m.get(key) ?? 0);
        return v;
      };
      out.consistency = {
        ...summarize(c),
        lostAcknowledgedWrites: checker.lostAcknowledgedWrites(this.storeId, newest),
      };
    }
    return out;
  }
}

/**
 * Every ring position's preference list: clockwise from it, the first
 * `factors[d]` distinct nodes of each datacenter d (nodes of datacenter -1
 * hold no replicas), in ring order. Position i's list is its own node (if its
 * datacenter takes replicas) followed by position i+1's list without it, less
 * that datacenter's furthest node if there is then one too many; so one walk
 * (for the last position, wrapping round) and one backward sweep fill it.
 */
function preferenceTable(ring: HashRing, nodeDc: Int32Array, factors: readonly number[]): Int32Array {
  const owners = ring.owners;
  const size = owners.length;
  const n = factors.reduce((sum, f) => sum + f, 0);
  const table = new Int32Array(size * n);
  const seen = new Uint8Array(nodeDc.length);
  const taken = new Int32Array(factors.length);
  const last = (size - 1) * n;
  for (let j = size - 1, k = 0; k < n; j = j + 1 === size ? 0 : j + 1) {
    const o = owners[j];
    const d = nodeDc[o];
    if (seen[o] === 0 && d >= 0 && taken[d] < factors[d]) {
      seen[o] = 1;
      taken[d]++;
      table[last + k++] = o;
    }
  }
  for (let i = size - 2; i >= 0; i--) {
    const o = owners[i];
    const d = nodeDc[o];
    const at = i * n;
    const next = at + n;
    if (d < 0) {
      table.copyWithin(at, next, next + n);
      continue;
    }
    table[at] = o;
    // the datacenter's nearest others after o: all but one of the next list's
    let room = factors[d] - 1;
    for (let j = 0, k = 1; k < n; j++) {
      const x = table[next + j];
      if (x === o) continue;
      if (nodeDc[x] === d) {
        if (room === 0) continue;
        room--;
      }
      table[at + k++] = x;
    }
  }
  return table;
}
