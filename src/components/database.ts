// A database: one primary and optional replicas, each node a connection pool
// (workers) with a bounded wait queue. Writes commit on the primary and bump
// the key's version; replicas apply the replicated log as work that competes
// with their reads, so lag emerges. Reads are routed per read step (primary,
// a replica picked by a policy, read-your-writes strategies) and report
// exactly which version they saw.
import type { Sampler } from "../kernel/distributions.js";
import { fmix32 } from "../kernel/rng.js";
import { summarize } from "../mechanisms/consistency.js";
import { IntQueue } from "./int-queue.js";
import { type Job, OP_APPLY, OP_READ, OP_WRITE } from "./job.js";
import { ERROR, INSTANCE_DOWN, NOT_PRIMARY, OK } from "./outcomes.js";
import { type FailoverConfig, type ReplicationConfig, ReplicaSet } from "./replica-set.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";
import type { Store } from "./store.js";

export interface DatabaseConfig extends StationConfig {
  readTime: Sampler;
  writeTime: Sampler;
  valueSize: Sampler;
  /** time a replica spends applying one log entry, holding one of its connections */
  applyTime: Sampler;
  replication: ReplicationConfig;
  failover: FailoverConfig | null;
}

export type ReplicaPick = "round-robin" | "least-loaded" | "nearest" | "sticky";
export type ReadYourWrites = "none" | "primary-after-write" | "bounded-lag" | "wait-for-position";

/** Where one read step's reads go. */
export interface ReadPolicy {
  from: "primary" | "replica";
  pick: ReplicaPick;
  readYourWrites: ReadYourWrites;
  /** primary-after-write: how long after a user's write their reads go to the primary */
  windowMs: number;
  /** bounded-lag: replicas lagging more than this are skipped */
  maxLagMs: number;
}

export const PRIMARY_READS: ReadPolicy = {
  from: "primary",
  pick: "round-robin",
  readYourWrites: "none",
  windowMs: 0,
  maxLagMs: 0,
};

export class Database extends Station implements Store {
  readonly kind = "database";
  /** index of this store in the consistency checker */
  storeId = 0;
  readonly rs: ReplicaSet;
  private done = -1;
  private readonly policies: ReadPolicy[] = [PRIMARY_READS];
  /** per user: log position and time of their last write (bounded by users) */
  private readonly lastWritePos = new Map<number, number>();
  private readonly lastWriteAt = new Map<number, number>();
  /** writes committed on the primary, waiting for replica acknowledgements */
  private readonly waiting = new IntQueue();
  private readonly applying: Uint8Array;
  /** wait-for-position reads held per node until it has applied their position */
  private readonly parked: number[][];
  private readonly candidates: Int32Array;
  private rrRead = 0;
  private reads = 0;
  private writes = 0;
  private readonly readsByNode: Float64Array;
  private primaryReadsAfterWrite = 0;
  private lagBypasses = 0;
  private positionWaits = 0;
  private readonly maxLag: Float64Array;
  private readonly lagSeries: number[][];
  private readonly lagPosSeries: number[][];
  private window = [0, 0, 0];
  private readonly violationSeries: number[][] = [[], [], []];

  constructor(
    name: string,
    private readonly db: DatabaseConfig,
  ) {
    super(name, db);
    const n = db.instances;
    this.rs = new ReplicaSet(this, n, db.replication, db.failover);
    this.applying = new Uint8Array(n);
    this.parked = Array.from({ length: n }, () => []);
    this.candidates = new Int32Array(n);
    this.readsByNode = new Float64Array(n);
    this.maxLag = new Float64Array(n);
    this.lagSeries = Array.from({ length: n }, () => []);
    this.lagPosSeries = Array.from({ length: n }, () => []);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.done = sim.q.on((id) => this.complete(id));
    this.rs.attach();
  }

  override start(): void {
    this.rs.start();
  }

  /** Registers a read step's routing policy; the step's reads carry the returned index. */
  readPolicy(p: ReadPolicy): number {
    const same = this.policies.findIndex((q) => JSON.stringify(q) === JSON.stringify(p));
    return same >= 0 ? same : this.policies.push(p) - 1;
  }

  get replicas(): number {
    return this.db.instances - 1;
  }

  protected override isTraffic(job: Job): boolean {
    return job.op !== OP_APPLY;
  }

  /** Clients (a topology-aware driver or proxy) route each query to a node as it leaves. */
  override pick(job: Job): number {
    if (job.op === OP_WRITE) return this.rs.writeTarget;
    if (job.op === OP_READ) return this.routeRead(job);
    return -1;
  }

  override accept(job: Job): void {
    if (job.instance < 0 && job.op !== OP_APPLY) job.instance = this.pick(job);
    if (job.op === OP_READ) {
      const node = job.instance;
      const p = this.policies[job.policy];
      if (p.readYourWrites === "wait-for-position" && !this.rs.isPrimary(node) && this.isAlive(node)) {
        const need = this.lastWritePos.get(job.user) ?? 0;
        if (this.rs.applied[node] < need) {
          this.positionWaits++;
          job.aux = need;
          this.parked[node].push(job.id);
          return;
        }
      }
    }
    super.accept(job);
  }

  private routeRead(job: Job): number {
    const p = this.policies[job.policy];
    const rs = this.rs;
    if (p.from === "primary" || rs.n === 1) return rs.writeTarget;
    if (p.readYourWrites === "primary-after-write") {
      const t = this.lastWriteAt.get(job.user);
      if (t !== undefined && this.sim.now - t < p.windowMs) {
        this.primaryReadsAfterWrite++;
        return rs.writeTarget;
      }
    }
    const r = this.pickReplica(job, p);
    if (r >= 0) return r;
    if (p.readYourWrites === "bounded-lag") this.lagBypasses++;
    return rs.writeTarget; // no replica fit: the primary serves it
  }

  private pickReplica(job: Job, p: ReadPolicy): number {
    const rs = this.rs;
    const c = this.candidates;
    const net = this.sim.net;
    const from = this.sim.components[job.caller].zoneOf(job.callerInstance);
    let k = 0;
    for (let r = 0; r < rs.n; r++) {
      // a driver stops using replicas it cannot reach
      if (rs.isPrimary(r) || !this.isAlive(r) || net.isCut(from, this.zoneOf(r))) continue;
      if (p.readYourWrites === "bounded-lag" && rs.lagMs(r) > p.maxLagMs) continue;
      c[k++] = r;
    }
    if (k === 0) return -1;
    switch (p.pick) {
      case "round-robin":
        return c[this.rrRead++ % k];
      case "sticky":
        return c[fmix32(job.user) % k];
      case "least-loaded": {
        let best = c[0];
        for (let i = 1; i < k; i++) if (this.load(c[i]) < this.load(best)) best = c[i];
        return best;
      }
      case "nearest": {
        const zone = from;
        const dist = (r: number) => {
          const z = this.zoneOf(r);
          return z === zone ? 0 : net.zoneRegion[z] === net.zoneRegion[zone] ? 1 : 2;
        };
        let bestDist = 3;
        for (let i = 0; i < k; i++) bestDist = Math.min(bestDist, dist(c[i]));
        let m = 0;
        for (let i = 0; i < k; i++) if (dist(c[i]) === bestDist) c[m++] = c[i];
        return c[this.rrRead++ % m];
      }
    }
  }

  private load(node: number): number {
    return this.busy[node] + this.queues[node].length;
  }

  protected begin(job: Job): void {
    const t =
      job.op === OP_APPLY ? this.db.applyTime : job.op === OP_WRITE ? this.db.writeTime : this.db.readTime;
    this.sim.q.schedule(t.sample(this.rng) + this.slowMs, this.done, job.id);
  }

  private complete(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    const node = job.instance;
    const rs = this.rs;
    switch (job.op) {
      case OP_APPLY:
        if (job.aux === rs.generation(node)) {
          rs.apply(node, job.key);
          this.unpark(node);
        }
        return this.finish(job, OK);
      case OP_WRITE: {
        // a write queued at a primary that was deposed meanwhile
        if (!rs.isPrimary(node)) return this.finish(job, NOT_PRIMARY);
        this.writes++;
        const v = (rs.versions[node].get(job.key) ?? 0) + 1;
        const pos = rs.commit(job.key, v);
        this.sim.consistency?.committed(this.storeId, job.key, v, this.sim.now);
        job.version = v;
        this.lastWritePos.set(job.user, pos);
        this.lastWriteAt.set(job.user, this.sim.now);
        if (rs.replication.acks === 0) return this.finish(job, OK);
        // the connection stays busy until enough replicas have the entry
        job.aux = pos;
        this.waiting.push(job.id);
        return this.acksChanged();
      }
      case OP_READ:
        this.reads++;
        this.readsByNode[node]++;
        job.version = rs.versions[node].get(job.key) ?? 0;
        job.size = Math.round(this.db.valueSize.sample(this.rng));
        return this.finish(job, OK);
      default:
        return this.finish(job, ERROR);
    }
  }

  // ---- ReplicaHost

  acksChanged(): void {
    while (this.waiting.length > 0) {
      const job = this.sim.pool.jobs[this.waiting.peek()];
      if (job.cancelled) {
        this.waiting.shift();
        this.sim.release(job);
        continue;
      }
      if (!this.rs.acknowledged(job.aux)) return;
      this.waiting.shift();
      this.finish(job, OK);
    }
  }

  applyPending(node: number): void {
    if (this.applying[node] === 1 || !this.isAlive(node)) return;
    const pos = this.rs.nextToApply(node);
    if (pos < 0) return;
    this.applying[node] = 1;
    const job = this.sim.pool.alloc();
    job.op = OP_APPLY;
    job.caller = this.index;
    job.callerInstance = node;
    job.callee = this.index;
    job.instance = node;
    job.key = pos;
    job.aux = this.rs.generation(node);
    job.start = this.sim.now;
    super.accept(job);
  }

  /** Only apply jobs come back to the database: the node may apply its next entry. */
  override onReply(job: Job): void {
    const node = job.instance;
    this.sim.release(job);
    this.applying[node] = 0;
    this.applyPending(node);
  }

  promoted(_node: number, survivor: (key: number) => number): number {
    // writes still waiting at a primary that lost its office will never be acknowledged
    while (this.waiting.length > 0) {
      const job = this.sim.pool.jobs[this.waiting.shift()];
      if (job.cancelled) this.sim.release(job);
      else this.finish(job, NOT_PRIMARY);
    }
    return this.sim.consistency?.rollback(this.storeId, survivor, this.sim.now) ?? 0;
  }

  durable(key: number, version: number): void {
    this.sim.consistency?.durableThrough(this.storeId, key, version, this.sim.now);
  }

  private unpark(node: number): void {
    const list = this.parked[node];
    if (list.length === 0) return;
    const applied = this.rs.applied[node];
    let keep = 0;
    const ready: number[] = [];
    for (const id of list) {
      if (this.sim.pool.jobs[id].aux <= applied) ready.push(id);
      else list[keep++] = id;
    }
    list.length = keep;
    for (const id of ready) super.accept(this.sim.pool.jobs[id]);
  }

  // ---- faults

  override kill(node: number): void {
    if (!this.isAlive(node)) return;
    super.kill(node);
    this.rs.killed(node);
    const parked = this.parked[node];
    this.parked[node] = [];
    for (const id of parked) {
      this.arrivals++;
      this.refuse(this.sim.pool.jobs[id], INSTANCE_DOWN);
    }
    // the primary's death cancelled its waiting writes; a replica's may complete a sync set
    this.acksChanged();
  }

  override networkChanged(): void {
    this.rs.networkChanged();
  }

  override restart(node: number): void {
    if (this.isAlive(node)) return;
    super.restart(node);
    this.rs.restarted(node);
  }

  /** The consistency checker's verdict on one read of this store, for the per-second series. */
  noteRead(flags: number): void {
    for (let k = 0; k < 3; k++) if (flags & (1 << k)) this.window[k]++;
  }

  override tick(second: number): void {
    super.tick(second);
    const rs = this.rs;
    for (let r = 0; r < rs.n; r++) {
      const lag = rs.isPrimary(r) ? 0 : rs.lagMs(r);
      if (lag > this.maxLag[r]) this.maxLag[r] = lag;
      this.lagSeries[r].push(Math.round(lag * 1000) / 1000);
      this.lagPosSeries[r].push(rs.isPrimary(r) ? 0 : rs.lagPositions(r));
    }
    for (let k = 0; k < 3; k++) this.violationSeries[k].push(this.window[k]);
    this.window = [0, 0, 0];
  }

  report(now: number): ComponentReport {
    const base = this.stationReport(now);
    const rs = this.rs;
    const series: Record<string, number[]> = {
      ...(base.series as Record<string, number[]>),
      staleReads: this.violationSeries[0],
      rywViolations: this.violationSeries[1],
      monotonicViolations: this.violationSeries[2],
    };
    const out: ComponentReport = {
      ...base,
      reads: this.reads,
      writes: this.writes,
      keysWritten: rs.versions[rs.primary].size,
      series,
    };
    const checker = this.sim.consistency;
    if (checker) {
      const primaryVersions = rs.versions[rs.primary];
      out.consistency = {
        ...summarize(checker.counts().byStore[this.storeId]),
        lostAcknowledgedWrites: checker.lostAcknowledgedWrites(
          this.storeId,
          (k) => primaryVersions.get(k) ?? 0,
        ),
      };
    }
    if (rs.n > 1) {
      for (let r = 0; r < rs.n; r++) {
        series[`lagMs:${r}`] = this.lagSeries[r];
        series[`lagPositions:${r}`] = this.lagPosSeries[r];
      }
      out.replication = {
        mode: rs.replication.mode,
        acks: rs.replication.acks,
        primary: rs.primary,
        logPosition: rs.log.head,
        logHeld: rs.log.size,
        divergentKeys: this.divergentKeys(),
        primaryReadsAfterWrite: this.primaryReadsAfterWrite,
        lagBypasses: this.lagBypasses,
        positionWaits: this.positionWaits,
        nodes: Array.from({ length: rs.n }, (_, r) => ({
          role: rs.roleName(r),
          alive: this.isAlive(r),
          zone: this.sim.net.zoneNames[this.zoneOf(r)],
          reads: this.readsByNode[r],
          appliedPosition: rs.applied[r],
          lagMs: rs.isPrimary(r) ? 0 : rs.lagMs(r),
          lagPositions: rs.isPrimary(r) ? 0 : rs.lagPositions(r),
          maxLagMs: this.maxLag[r],
        })),
      };
    }
    if (rs.failover) {
      out.failover = {
        failovers: rs.failovers.filter((f) => f.to !== null).length,
        unavailableMs: rs.unavailableMs(now),
        events: rs.failovers.map((f) => ({
          ...f,
          detectionMs: f.detectedAtMs !== null && f.lostAtMs !== null ? f.detectedAtMs - f.lostAtMs : null,
          electionMs:
            f.electedAtMs !== null && f.detectedAtMs !== null ? f.electedAtMs - f.detectedAtMs : null,
        })),
      };
    }
    return out;
  }

  /** Keys whose version differs between live nodes at the end (lag in flight, or split brain). */
  private divergentKeys(): number {
    const checker = this.sim.consistency;
    const rs = this.rs;
    const live: ((key: number) => number)[] = [];
    for (let r = 0; r < rs.n; r++) {
      if (!this.isAlive(r)) continue;
      const m = rs.versions[r];
      live.push((k) => m.get(k) ?? 0);
    }
    if (!checker) return 0;
    return checker.divergence(live, checker.keys(this.storeId));
  }
}
