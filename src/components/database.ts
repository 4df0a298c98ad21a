// A database: one or more shards, each a replication group of a primary and
// optional replicas, each node a connection pool (workers) with a bounded wait
// queue. A key lives on one shard. Writes commit on its shard's primary and
// bump the key's version; replicas apply the replicated log as work that
// competes with their reads, so lag emerges. Reads are routed per read step
// (primary, a replica picked by a policy, read-your-writes strategies) and
// report exactly which version they saw. Resharding copies the keys that
// move, one at a time per source shard, as work on both primaries.
//
// Isolation (per database, overridable per read and update step) is executed
// by the mechanisms that give it: read committed and repeatable read read the
// latest committed version without locking (MVCC); repeatable read refuses a
// read-modify-write whose key changed since its read (first committer wins);
// serializable reads take shared row locks (two-phase locking: readers and
// writers wait for each other, and two updates that both hold the row shared
// deadlock, one aborted); read uncommitted reads a write still in progress on
// the primary, or a prepared two-phase-commit write.
import type { Sampler } from "../kernel/distributions.js";
import { fmix32, hashString, KeyedDraws, type Rng } from "../kernel/rng.js";
import { summarize } from "../mechanisms/consistency.js";
import {
  ApplyLedger,
  idempotencyKey,
  KEY_ABSENT,
  KEY_EXPIRED,
  KEY_FOUND,
  KeyTable,
} from "../mechanisms/idempotency.js";
import { DEADLOCK, EXCLUSIVE, LockTable, SHARED, WAIT } from "../mechanisms/lock-table.js";
import { LatencyRecorder } from "../metrics/latency.js";
import { IntQueue } from "./int-queue.js";
import {
  type Job,
  OP_ABORT,
  OP_APPLY,
  OP_COMMIT,
  OP_MARK,
  OP_MIGRATE,
  OP_PREPARE,
  OP_READ,
  OP_READ_LOCK,
  OP_READ_SHARED,
  OP_WRITE,
} from "./job.js";
import { CONFLICT, ERROR, INSTANCE_DOWN, NOT_PRIMARY, OK } from "./outcomes.js";
import { type CanaryConfig, LagCanary } from "./lag-canary.js";
import {
  DIVERGES,
  type FailoverConfig,
  MARKER,
  type ReplicaHost,
  type ReplicationConfig,
  ReplicaSet,
} from "./replica-set.js";
import type { ReshardPlan, ShardMap } from "./shard-map.js";
import type { Component, ComponentReport, Sim } from "./runtime.js";
import { ReadVerdicts } from "./read-verdicts.js";
import { Station, type StationConfig } from "./station.js";
import type { Store } from "./store.js";

export interface DatabaseConfig extends StationConfig {
  readTime: Sampler;
  writeTime: Sampler;
  valueSize: Sampler;
  /** time a replica spends applying one log entry, holding one of its connections */
  applyTime: Sampler;
  /**
   * time every read, and every write or replica apply, adds for the size of
   * the data it works on (a skip list's log N levels, a sort's N log N)
   */
  sizeCost: { readMs: number; writeMs: number };
  replication: ReplicationConfig;
  failover: FailoverConfig | null;
  /** nodes per shard: the primary and its replicas (instances = shard capacity x this) */
  nodesPerShard: number;
  sharding: ShardMap;
  reshard: ReshardPlan | null;
  /** application-level lag monitoring by canary writes */
  canary: CanaryConfig | null;
  /** the isolation level of reads and read-modify-writes that do not set their own */
  isolation: Isolation;
}

/** A change-data-capture connector reading the primaries' logs: told every committed write. */
export interface ChangeFeed {
  capture(key: number): void;
}

export type Isolation = "read-uncommitted" | "read-committed" | "repeatable-read" | "serializable";

/**
 * An idempotency key on a write step: the database keeps a table of keys
 * beside its data, each with the result of the write that inserted it, for
 * `ttlMs`. A write whose key is in the table gets the stored result and is not
 * applied.
 */
export interface IdempotencyPolicy {
  ttlMs: number;
  /** the client makes a new key each time it retries the request (only the service's own retries share one) */
  perAttempt: boolean;
  /**
   * atomic: the lookup and the insert are one step, when the write commits (a
   * unique key inserted in the write's transaction); otherwise the key is
   * looked up when the write starts and inserted when it commits, and two
   * attempts whose writes overlap can both find it absent
   */
  atomic: boolean;
}

export type ReplicaPick = "round-robin" | "least-loaded" | "nearest" | "sticky";
/** version-check is the client's own loop (see the service's read step): routing treats it as none */
export type ReadYourWrites =
  "none" | "primary-after-write" | "bounded-lag" | "wait-for-position" | "version-check";

/** Where one read step's reads go, and at which isolation level they run. */
export interface ReadPolicy {
  from: "primary" | "replica";
  pick: ReplicaPick;
  readYourWrites: ReadYourWrites;
  /** primary-after-write: how long after a user's write their reads go to the primary */
  windowMs: number;
  /** bounded-lag: replicas lagging more than this are skipped */
  maxLagMs: number;
  /** null: the database's own level */
  isolation: Isolation | null;
}

export const PRIMARY_READS: ReadPolicy = {
  from: "primary",
  pick: "round-robin",
  readYourWrites: "none",
  windowMs: 0,
  maxLagMs: 0,
  isolation: null,
};

/** Pause before retrying a resharding copy that failed because a node was down. */
const MIGRATION_RETRY_MS = 100;

export class Database extends Station implements Store {
  readonly kind = "database";
  /** index of this store in the consistency checker */
  storeId = 0;
  /** connectors streaming every committed write to a topic (CDC) */
  readonly feeds: ChangeFeed[] = [];
  /** directory-based sharding: the lookup service callers ask first (set once the design is built) */
  directory: { service: Component; ttlMs: number } | null = null;
  /** one replication group per shard (capacity: the most shards the run will have) */
  readonly groups: ReplicaSet[];
  readonly shards: ShardMap;
  private readonly per: number;
  private done = -1;
  private reshardEv = -1;
  private retryEv = -1;
  private readonly policies: ReadPolicy[] = [PRIMARY_READS];
  /** idempotency-key policies of the steps that write here (index 0: no key) */
  private readonly keyPolicies: (IdempotencyPolicy | null)[] = [null];
  /** the logical writes applied (duplicates are counted by them), and the idempotency-key table */
  private readonly ledger = new ApplyLedger();
  private readonly keys = new KeyTable();
  private duplicateApplies = 0;
  private windowDuplicates = 0;
  private readonly duplicateSeries: number[] = [];
  private keyHits = 0;
  private keyInserts = 0;
  private expiredReapplies = 0;
  private raceDuplicates = 0;
  private newKeyDuplicates = 0;
  /** per shard, per user: log position and time of their last write (bounded by users) */
  private readonly lastWritePos: Map<number, number>[];
  private readonly lastWriteAt = new Map<number, number>();
  /** per shard: writes committed on the primary, waiting for replica acknowledgements */
  private readonly waiting: IntQueue[];
  private readonly applying: Uint8Array;
  /** wait-for-position reads held per node until it has applied their position */
  private readonly parked: number[][];
  /** per source shard: keys still to copy to their new shard, and whether a copy is under way */
  private migrations: number[][] = [];
  private readonly migrating: Uint8Array;
  private readonly candidates: Int32Array;
  private rrRead = 0;
  private reads = 0;
  private writes = 0;
  /** reads and writes in the current second, and per second so far */
  private windowReads = 0;
  private windowWrites = 0;
  private readonly readSeries: number[] = [];
  private readonly writeSeries: number[] = [];
  private readonly readsByNode: Float64Array;
  private primaryReadsAfterWrite = 0;
  private lagBypasses = 0;
  private positionWaits = 0;
  private versionRetries = 0;
  private versionFallbacks = 0;
  private splitBrainWrites = 0;
  /**
   * Row locks: two-phase commit's prepared rows, SELECT ... FOR UPDATE and
   * serializable reads' shared locks. Calls waiting for a lock hold their
   * connection; those waiting before they can run (a serializable read) are
   * in beforeBegin, the others re-run their completion when woken.
   */
  private readonly locks = new LockTable();
  private readonly lockWaiters = new Map<number, number[]>();
  private readonly beforeBegin = new Set<number>();
  /** calls that have waited for a lock and are not done yet */
  private readonly waited = new Set<number>();
  /** rows written by a prepared transaction that has not committed or aborted yet: key -> transaction */
  private readonly prepared = new Map<number, number>();
  /**
   * Read uncommitted: writes in progress on a primary, per key (a write by job
   * id + 1, a prepared transaction by -(txn + 1)), the key each tracked write
   * job changes, and the dirty reads each uncommitted write was seen by.
   * Kept only when some read runs at read uncommitted.
   */
  private tracksDirty = false;
  private readonly uncommitted = new Map<number, number[]>();
  private readonly writing = new Map<number, number>();
  private readonly seenDirty = new Map<number, number>();
  private dirtyReads = 0;
  private dirtyReadsAborted = 0;
  private serializationFailures = 0;
  private deadlocks = 0;
  /** statement-based replication: reads a replica served from a value it computed differently */
  private divergentReads = 0;
  private nondeterministicWrites = 0;
  private statementEntries = 0;
  private rowEntries = 0;
  private logBytes = 0;
  /**
   * Which writes are non-deterministic, and statement sizes, are drawn from
   * streams of their own: they reshuffle nothing else, and the same writes
   * are non-deterministic whatever the format (a fair comparison). A row
   * entry's images are the key's own value size.
   */
  private binlogRng: Rng | null = null;
  private entrySizeRng: Rng | null = null;
  private txnPrepared = 0;
  private txnCommitted = 0;
  private txnAborted = 0;
  private txnConflicts = 0;
  private lockWaits = 0;
  /** read-modify-writes that overwrote a write they never saw, and conditional ones refused for it */
  private lostUpdates = 0;
  private conflicts = 0;
  /** keys written by a deposed primary (bounded by keys) */
  private readonly splitBrainKeys = new Set<number>();
  private readonly maxLag: Float64Array;
  private readonly lagSeries: number[][];
  private readonly lagPosSeries: number[][];
  private readonly verdicts = new ReadVerdicts();
  /** a value's size belongs to its key: every read of it (and every cache copy) has the same size */
  private readonly sizes: KeyedDraws;
  private readonly canary: LagCanary | null;
  private canaryEv = -1;
  /** time from each commit until every node of its shard applied it */
  private readonly convergence = new LatencyRecorder();

  constructor(
    name: string,
    private readonly db: DatabaseConfig,
  ) {
    super(name, db);
    const n = db.instances;
    this.per = db.nodesPerShard;
    this.shards = db.sharding;
    const capacity = n / this.per;
    this.groups = Array.from(
      { length: capacity },
      (_, g) => new ReplicaSet(new ShardHost(this, g, this.per), this.per, db.replication, db.failover),
    );
    this.lastWritePos = Array.from({ length: capacity }, () => new Map<number, number>());
    this.waiting = Array.from({ length: capacity }, () => new IntQueue());
    this.migrating = new Uint8Array(capacity);
    this.applying = new Uint8Array(n);
    this.parked = Array.from({ length: n }, () => []);
    this.candidates = new Int32Array(this.per);
    this.readsByNode = new Float64Array(n);
    this.maxLag = new Float64Array(n);
    this.lagSeries = Array.from({ length: n }, () => []);
    this.lagPosSeries = Array.from({ length: n }, () => []);
    this.canary = db.canary ? new LagCanary(db.canary, capacity, this.per) : null;
    this.sizes = new KeyedDraws(hashString(name));
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    // the writes of service steps are told apart by their call paths
    sim.paths.enabled = true;
    this.done = sim.q.on((id) => this.complete(id));
    this.reshardEv = sim.q.on(() => this.reshard());
    this.retryEv = sim.q.on((shard) => this.copyNext(shard));
    this.canaryEv = sim.q.on(() => this.writeCanaries());
    for (const g of this.groups) g.attach();
    this.binlogRng = sim.stream(`${this.name}/binlog`);
    this.entrySizeRng = sim.stream(`${this.name}/binlog-size`);
  }

  override start(): void {
    this.tracksDirty = this.policies.some((p) => this.levelOf(p) === "read-uncommitted");
    // shards that only a resharding brings in start then
    for (let g = 0; g < this.shards.shards; g++) this.groups[g].start();
    if (this.db.reshard) this.sim.q.at(this.db.reshard.atMs, this.reshardEv, 0);
    if (this.canary) this.sim.q.schedule(this.canary.config.intervalMs, this.canaryEv, 0);
  }

  /** The lag monitor writes a timestamp to every shard's primary (a write that fails is skipped). */
  private writeCanaries(): void {
    const canary = this.canary!;
    for (let g = 0; g < this.shards.shards; g++) {
      const rs = this.groups[g];
      if (!rs.isPrimary(rs.primary) || !this.isAlive(g * this.per + rs.primary)) continue;
      canary.wrote(g, rs.commit(MARKER, 0), this.sim.now);
    }
    this.sim.q.schedule(canary.config.intervalMs, this.canaryEv, 0);
  }

  /** A version-check read found its replica behind the user's write: it retries, or (fallback) asks the primary. */
  noteVersionCheck(fallback: boolean): void {
    if (fallback) this.versionFallbacks++;
    else this.versionRetries++;
  }

  /** The version of a key its shard's current primary holds. */
  versionOf(key: number): number {
    return this.primaryVersion(key);
  }

  valueSizeOf(key: number): number {
    return Math.round(this.db.valueSize.sample(this.sizes.at(key)));
  }

  /** Registers a read step's routing policy; the step's reads carry the returned index. */
  readPolicy(p: ReadPolicy): number {
    const same = this.policies.findIndex((q) => JSON.stringify(q) === JSON.stringify(p));
    return same >= 0 ? same : this.policies.push(p) - 1;
  }

  /** Registers a write step's idempotency-key policy; its writes carry the returned index in job.idem. */
  idempotencyPolicy(p: IdempotencyPolicy): number {
    const same = this.keyPolicies.findIndex((q) => JSON.stringify(q) === JSON.stringify(p));
    return same >= 0 ? same : this.keyPolicies.push(p) - 1;
  }

  get replicas(): number {
    return this.per - 1;
  }

  /** Shards a scatter read must ask. */
  get shardCount(): number {
    return this.shards.shards;
  }

  private groupOf(node: number): number {
    return Math.floor(node / this.per);
  }

  private levelOf(p: ReadPolicy): Isolation {
    return p.isolation ?? this.db.isolation;
  }

  /** The isolation level a call runs at: its step's, else the database's. */
  private isolationOf(job: Job): Isolation {
    return this.levelOf(this.policies[job.policy]);
  }

  /** The shard a call is for: its key's, or the one a scatter read names. */
  private shardFor(job: Job): number {
    return job.shard >= 0 ? job.shard : this.shards.shardOf(job.key);
  }

  /** Clients (a topology-aware driver or proxy) route each query to a node as it leaves. */
  override pick(job: Job): number {
    if (job.op === OP_APPLY || job.op === OP_MIGRATE) return -1;
    const g = this.shardFor(job);
    const base = g * this.per;
    const from = this.sim.components[job.caller].zoneOf(job.callerInstance);
    if (job.op !== OP_READ) return base + this.groups[g].writeTargetFor(from);
    return base + this.routeRead(job, g, from);
  }

  override accept(job: Job): void {
    if (job.instance < 0 && job.op !== OP_APPLY && job.op !== OP_MIGRATE) job.instance = this.pick(job);
    if (job.op === OP_READ && job.instance >= 0) {
      const node = job.instance;
      const g = this.groupOf(node);
      const local = node - g * this.per;
      const p = this.policies[job.policy];
      const rs = this.groups[g];
      if (p.readYourWrites === "wait-for-position" && !rs.isPrimary(local) && this.isAlive(node)) {
        const need = this.lastWritePos[g].get(job.user) ?? 0;
        if (rs.applied[local] < need) {
          this.positionWaits++;
          job.aux = need;
          this.parked[node].push(job.id);
          return;
        }
      }
    }
    super.accept(job);
  }

  /** The node of shard g (0..per-1) that serves a read. */
  private routeRead(job: Job, g: number, from: number): number {
    const p = this.policies[job.policy];
    const rs = this.groups[g];
    const primary = rs.writeTargetFor(from);
    if (p.from === "primary" || rs.n === 1) return primary;
    if (p.readYourWrites === "primary-after-write") {
      const t = this.lastWriteAt.get(job.user);
      if (t !== undefined && this.sim.now - t < p.windowMs) {
        this.primaryReadsAfterWrite++;
        return primary;
      }
    }
    const r = this.pickReplica(job, p, g, from);
    if (r >= 0) return r;
    if (p.readYourWrites === "bounded-lag") this.lagBypasses++;
    return primary; // no replica fit: the primary serves it
  }

  private pickReplica(job: Job, p: ReadPolicy, g: number, from: number): number {
    const rs = this.groups[g];
    const base = g * this.per;
    const c = this.candidates;
    const net = this.sim.net;
    let k = 0;
    for (let r = 0; r < rs.n; r++) {
      // a driver stops using replicas it cannot reach
      if (rs.isPrimary(r) || !this.isAlive(base + r) || net.isCut(from, this.zoneOf(base + r))) continue;
      if (rs.isRecovering(r)) continue; // rebuilding from a snapshot: not in service

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
        for (let i = 1; i < k; i++) if (this.load(base + c[i]) < this.load(base + best)) best = c[i];
        return best;
      }
      case "nearest": {
        const dist = (r: number) => {
          const z = this.zoneOf(base + r);
          return z === from ? 0 : net.zoneRegion[z] === net.zoneRegion[from] ? 1 : 2;
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
    const op = job.op;
    const read = op === OP_READ || op === OP_READ_LOCK || op === OP_READ_SHARED;
    if ((op === OP_READ_SHARED || (op === OP_READ && job.shard < 0)) && !this.sharedLock(job)) return;
    if (this.tracksDirty && (op === OP_WRITE || op === OP_COMMIT)) this.writeBegins(job);
    // check-then-insert: the key is looked up as the write starts, and inserted only when it commits
    if (job.idem > 0 && (op === OP_WRITE || op === OP_COMMIT) && !this.keyPolicies[job.idem]!.atomic)
      job.phase = this.keys.state(job.path, this.keyOf(job), this.sim.now);
    // a read (or a resharding copy's read half) reads; everything else writes a log record
    const reads = op !== OP_APPLY && (read || (op === OP_MIGRATE && job.phase === 0));
    const t = op === OP_APPLY ? this.db.applyTime : reads ? this.db.readTime : this.db.writeTime;
    // a replica applying a write repeats the write's work on data of the same size
    const size = reads ? this.db.sizeCost.readMs : this.db.sizeCost.writeMs;
    this.sim.q.schedule(t.sample(this.rng) + size + this.slowMs, this.done, job.id);
  }

  /**
   * A serializable read on a primary takes its row's shared lock before it
   * runs (a read-modify-write's keeps it until its write commits, a plain
   * read's is released when it is done); false if it must wait for a writer.
   */
  private sharedLock(job: Job): boolean {
    if (job.op === OP_READ && this.isolationOf(job) !== "serializable") return true;
    const g = this.groupOf(job.instance);
    if (!this.groups[g].isPrimary(job.instance - g * this.per)) return true; // locks live on the primary
    if (job.txn < 0) job.txn = ++this.sim.txnSeq;
    if (this.locks.lock(job.key, job.txn, SHARED) !== WAIT) return true;
    this.beforeBegin.add(job.id);
    this.waitForLock(job);
    return false;
  }

  /** Read uncommitted: a write starts changing its row on the primary, where such reads can see it. */
  private writeBegins(job: Job): void {
    if (this.prepared.get(job.key) === job.txn) return; // a prepared transaction's rows are visible from its prepare
    const g = this.groupOf(job.instance);
    if (!this.groups[g].isPrimary(job.instance - g * this.per)) return;
    this.writing.set(job.id, job.key);
    this.pending(job.key, job.id + 1);
  }

  private pending(key: number, token: number): void {
    const list = this.uncommitted.get(key);
    if (list === undefined) this.uncommitted.set(key, [token]);
    else list.push(token);
  }

  /** An uncommitted write committed or aborted: the dirty reads that saw it read a value that came to be, or never did. */
  private settle(key: number, token: number, committed: boolean): void {
    const list = this.uncommitted.get(key);
    if (list === undefined) return;
    const i = list.indexOf(token);
    if (i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.uncommitted.delete(key);
    const seen = this.seenDirty.get(token);
    if (seen === undefined) return;
    this.seenDirty.delete(token);
    if (!committed) this.dirtyReadsAborted += seen;
  }

  private settleWrite(job: Job, committed: boolean): void {
    const key = this.writing.get(job.id);
    if (key === undefined) return;
    this.writing.delete(job.id);
    this.settle(key, job.id + 1, committed);
  }

  protected override finish(job: Job, outcome: number): void {
    if (this.writing.size > 0) this.settleWrite(job, outcome === OK);
    if (this.waited.size > 0) this.waited.delete(job.id);
    super.finish(job, outcome);
  }

  /**
   * A call whose caller is gone (its node died under it): a write in progress
   * never commits, and the locks its transaction took on this row are
   * released, as a dropped connection's are; a prepared transaction's stay.
   */
  private abandoned(job: Job): void {
    this.settleWrite(job, false);
    this.beforeBegin.delete(job.id);
    this.waited.delete(job.id);
    if (job.txn < 0) return;
    if (this.prepared.get(job.key) === job.txn) this.locks.forget(job.key, job.txn);
    else this.locks.release(job.key, job.txn);
    this.wake(job.key);
  }

  private complete(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) {
      if (job.op !== OP_APPLY && job.op !== OP_MIGRATE) this.abandoned(job);
      return this.sim.release(job);
    }
    const node = job.instance;
    const g = this.groupOf(node);
    const local = node - g * this.per;
    const rs = this.groups[g];
    switch (job.op) {
      case OP_APPLY:
        if (job.aux === rs.generation(local)) {
          rs.apply(local, job.key);
          this.canary?.seen(node, g, rs.applied[local], this.sim.now);
          this.unpark(node, g);
        }
        return this.finish(job, OK);
      case OP_MIGRATE:
        if (job.phase === 0) job.version = rs.versions[local].get(job.key) ?? 0;
        else if ((rs.versions[local].get(job.key) ?? 0) < job.version) rs.commit(job.key, job.version);
        return this.finish(job, rs.isPrimary(local) ? OK : NOT_PRIMARY);
      case OP_WRITE: {
        if (rs.isDeposedLeader(local)) return this.splitBrainWrite(job, rs, local);
        // a write queued at a primary that was deposed meanwhile, or for a key that moved away
        if (!rs.isPrimary(local) || (job.shard < 0 && this.shards.shardOf(job.key) !== g))
          return this.finish(job, NOT_PRIMARY);
        // a row another transaction holds (or reads, serializably): wait for it, keeping the connection
        // (the key is kept: a reply may reach the caller, and the job be reused, at once)
        const key = job.key;
        const queued = this.locks.busy(key);
        if (queued) {
          if (job.txn < 0) job.txn = ++this.sim.txnSeq;
          if (!this.locks.grantable(job.key, job.txn, EXCLUSIVE)) {
            this.locks.lock(job.key, job.txn, EXCLUSIVE); // queues it: later readers wait behind it
            return this.waitForLock(job);
          }
          this.locks.forget(job.key, job.txn);
        }
        // a repeated idempotency key: the stored result, nothing applied
        if (job.idem > 0 && this.keyFound(job)) {
          this.finish(job, OK);
          return queued ? this.wake(key) : undefined;
        }
        const current = rs.versions[local].get(job.key) ?? 0;
        // a write-behind cache's flush of a version the key already has (or passed) is superseded: nothing to write
        if (job.version >= 0 && job.version <= current) {
          job.version = current;
          return this.finish(job, OK);
        }
        if (job.expect >= 0 && current !== job.expect) {
          // the key moved on since this read-modify-write read it
          const level = this.isolationOf(job);
          if (level === "repeatable-read" || level === "serializable") {
            // first committer wins: the database refuses it (could not serialize access)
            this.serializationFailures++;
            this.finish(job, CONFLICT);
            return queued ? this.wake(key) : undefined;
          }
          if (job.conditional) {
            this.conflicts++;
            this.finish(job, CONFLICT);
            return queued ? this.wake(key) : undefined;
          }
          // it overwrites a write it never saw (unless it read one not yet committed)
          if (current > job.expect) this.lostUpdates++;
        }
        this.commitWrite(job, g, rs, local);
        // readers that queued behind it may go on
        return queued ? this.wake(key) : undefined;
      }
      case OP_PREPARE: {
        if (!rs.isPrimary(local) || this.shards.shardOf(job.key) !== g) return this.finish(job, NOT_PRIMARY);
        // no waiting for locks (NO_WAIT): a row another transaction holds (or reads) is a "no" vote, so no deadlock
        if (!this.locks.tryLock(job.key, job.txn, EXCLUSIVE)) {
          this.txnConflicts++;
          return this.finish(job, CONFLICT);
        }
        this.txnPrepared++;
        if (this.prepared.get(job.key) !== job.txn) {
          this.prepared.set(job.key, job.txn);
          if (this.tracksDirty) this.pending(job.key, -(job.txn + 1));
        }
        return this.finish(job, OK);
      }
      case OP_READ_LOCK: {
        if (!rs.isPrimary(local) || this.shards.shardOf(job.key) !== g) return this.finish(job, NOT_PRIMARY);
        if (this.locks.lock(job.key, job.txn, EXCLUSIVE) === WAIT) return this.waitForLock(job);
        this.served(node, g);
        job.version = rs.versions[local].get(job.key) ?? 0;
        return this.finish(job, OK);
      }
      case OP_READ_SHARED:
        // its shared lock was taken before it ran, and is kept for its write
        if (!rs.isPrimary(local) || this.shards.shardOf(job.key) !== g) {
          const released = this.locks.release(job.key, job.txn);
          const key = job.key;
          this.finish(job, NOT_PRIMARY);
          return released ? this.wake(key) : undefined;
        }
        this.served(node, g);
        job.version = rs.versions[local].get(job.key) ?? 0;
        return this.finish(job, OK);
      case OP_COMMIT:
        return this.commitLocked(job, g, rs, local);
      case OP_MARK:
        // a relay's update of its rows (they live beside the data, not in the keyed rows)
        return this.finish(job, rs.isPrimary(local) ? OK : NOT_PRIMARY);
      case OP_ABORT:
        if (this.locks.release(job.key, job.txn)) {
          this.txnAborted++;
          if (this.prepared.get(job.key) === job.txn) {
            this.prepared.delete(job.key);
            this.settle(job.key, -(job.txn + 1), false);
          }
          this.wake(job.key);
        }
        return this.finish(job, OK);
      case OP_READ: {
        // a primary read that reached a node no longer (or not) the primary is refused, not served stale
        const outcome =
          this.policies[job.policy].from === "primary" && !rs.isPrimary(local) && !rs.isDeposedLeader(local)
            ? NOT_PRIMARY
            : this.read(job, node, g, rs, local);
        // a serializable read's shared lock is released once it is done
        const released = job.txn >= 0 && this.locks.release(job.key, job.txn);
        const key = job.key;
        this.finish(job, outcome);
        return released ? this.wake(key) : undefined;
      }
      default:
        return this.finish(job, ERROR);
    }
  }

  private served(node: number, g: number): void {
    this.reads++;
    this.windowReads++;
    this.readsByNode[node]++;
    this.shards.served(g);
  }

  /** Serves a plain read: the committed version, or at read uncommitted one still being written on the primary. */
  private read(job: Job, node: number, g: number, rs: ReplicaSet, local: number): number {
    this.served(node, g);
    job.version = rs.versions[local].get(job.key) ?? 0;
    job.size = Math.round(this.db.valueSize.sample(this.sizes.at(job.key)));
    if (job.shard >= 0) return OK; // a scatter read's key is no row
    if (rs.isPrimary(local)) {
      const writes = this.tracksDirty ? this.uncommitted.get(job.key) : undefined;
      if (writes !== undefined && this.isolationOf(job) === "read-uncommitted") {
        // the row as the latest write in progress left it: the version it will commit, if it does
        job.version++;
        this.dirtyReads++;
        const token = writes[writes.length - 1];
        this.seenDirty.set(token, (this.seenDirty.get(token) ?? 0) + 1);
      }
    } else if (rs.divergedKeys[local].has(job.key)) this.divergentReads++;
    return OK;
  }

  /**
   * Commits a write under a lock its transaction holds: a prepared
   * transaction's or a locking read's exclusive lock, or a serializable
   * read's shared lock, upgraded first (waiting for other readers; if one of
   * them waits to upgrade too, the two would wait for each other forever: this
   * one is aborted, a deadlock). Releases the row.
   */
  private commitLocked(job: Job, g: number, rs: ReplicaSet, local: number): void {
    const key = job.key;
    const held = this.locks.mode(key, job.txn);
    if (held === 0) return this.finish(job, ERROR);
    if (job.idem > 0 && this.keyFound(job)) {
      // a repeated idempotency key: the transaction ends without writing, releasing the row
      this.locks.release(key, job.txn);
      if (this.prepared.get(key) === job.txn) {
        this.prepared.delete(key);
        this.settle(key, -(job.txn + 1), false);
      }
      this.finish(job, OK);
      return this.wake(key);
    }
    if (held === SHARED) {
      const r = this.locks.lock(key, job.txn, EXCLUSIVE);
      if (r === WAIT) return this.waitForLock(job);
      if (r === DEADLOCK) {
        this.deadlocks++;
        this.serializationFailures++;
        this.locks.release(key, job.txn);
        this.finish(job, CONFLICT);
        return this.wake(key);
      }
    }
    this.locks.release(key, job.txn);
    if (this.prepared.get(key) === job.txn) {
      this.prepared.delete(key);
      this.settle(key, -(job.txn + 1), true);
    }
    this.txnCommitted++;
    // a lock kept the row from changing since the read: anything else is an update lost
    const current = rs.versions[local].get(key) ?? 0;
    if (job.expect >= 0 && current > job.expect) this.lostUpdates++;
    this.commitWrite(job, g, rs, local);
    this.wake(key);
  }

  /** Commits a write on shard g's primary: a new version, logged and shipped; acknowledged per the replication mode. */
  private commitWrite(job: Job, g: number, rs: ReplicaSet, local: number): void {
    this.writes++;
    this.windowWrites++;
    this.shards.served(g);
    this.settleWrite(job, true);
    // a write-behind cache's flush installs the version it acknowledged (several coalesced writes at once)
    const v = Math.max((rs.versions[local].get(job.key) ?? 0) + 1, job.version);
    const pos = this.per > 1 ? this.logged(rs, job.key, v) : rs.commit(job.key, v);
    this.sim.consistency?.committed(this.storeId, job.key, v, this.sim.now);
    job.version = v;
    if (job.reqNo >= 0 && job.path > 0) this.applied(job, v);
    // in the same transaction: an outbox row, a dual write's half; the log's change goes to its connectors
    if (job.ledger > 0) this.sim.ledgers[job.ledger]!.committed(job);
    for (const f of this.feeds) f.capture(job.key);
    this.lastWritePos[g].set(job.user, pos);
    this.lastWriteAt.set(job.user, this.sim.now);
    if (rs.replication.acks === 0) return this.finish(job, OK);
    // the connection stays busy until enough replicas have the entry
    job.aux = pos;
    this.waiting[g].push(job.id);
    this.acksChanged(g);
  }

  /** The idempotency key a write carries (job.idem > 0), within its call path. */
  private keyOf(job: Job): number {
    return idempotencyKey(job.reqNo, job.round, this.keyPolicies[job.idem]!.perAttempt);
  }

  /**
   * Looks a write's key up (atomic: now; check-then-insert: the lookup made
   * when the write started, in job.phase). Found: the write is answered with
   * the stored result (true). Otherwise job.phase keeps what the lookup found.
   */
  private keyFound(job: Job): boolean {
    const atomic = this.keyPolicies[job.idem]!.atomic;
    if (atomic) job.phase = this.keys.state(job.path, this.keyOf(job), this.sim.now);
    if (job.phase !== KEY_FOUND) return false;
    this.keyHits++;
    // a write in progress that read-uncommitted readers may have seen: it never commits
    if (this.writing.size > 0) this.settleWrite(job, false);
    job.version = this.keys.result(this.keys.slot(job.path, this.keyOf(job)));
    return true;
  }

  /**
   * A service's write step applied a write: a duplicate if its logical write
   * (request and call path) had been applied before. A keyed write then
   * inserts its key, unless a concurrent attempt inserted it since this one
   * looked (check-then-insert: the unique key refuses the insert, after the
   * write is done).
   */
  private applied(job: Job, version: number): void {
    const duplicate = this.ledger.apply(job.path, job.reqNo);
    let raced = false;
    if (job.idem > 0) {
      const p = this.keyPolicies[job.idem]!;
      const key = this.keyOf(job);
      const now = this.sim.now;
      const found = this.keys.state(job.path, key, now);
      raced = found === KEY_FOUND || (found === KEY_EXPIRED && job.phase === KEY_ABSENT);
      if (!raced) {
        this.keys.put(job.path, key, job.reqNo, version, now + p.ttlMs);
        this.keyInserts++;
      }
    }
    if (!duplicate) return;
    this.duplicateApplies++;
    this.windowDuplicates++;
    if (job.idem === 0) return;
    if (raced) this.raceDuplicates++;
    else if (job.phase === KEY_EXPIRED) this.expiredReapplies++;
    else this.newKeyDuplicates++;
  }

  private waitForLock(job: Job): void {
    // a call woken that must wait again is still the same wait
    if (!this.waited.has(job.id)) {
      this.waited.add(job.id);
      this.lockWaits++;
    }
    let list = this.lockWaiters.get(job.key);
    if (list === undefined) {
      list = [];
      this.lockWaiters.set(job.key, list);
    }
    list.push(job.id);
  }

  /**
   * A row's locks changed: the calls waiting for it try again, in the order
   * they came (they still hold their connections); those that still cannot
   * go on wait again.
   */
  private wake(key: number): void {
    const list = this.lockWaiters.get(key);
    if (list === undefined) return;
    this.lockWaiters.delete(key);
    for (const id of list) {
      if (!this.beforeBegin.delete(id)) {
        this.complete(id);
        continue;
      }
      const job = this.sim.pool.jobs[id];
      if (job.cancelled) {
        this.abandoned(job);
        this.sim.release(job);
      } else this.begin(job);
    }
  }

  /**
   * Logs a write as replication ships it: with statement-based replication,
   * the statement (a few bytes), which a replica replays, computing a value
   * of its own if it calls a non-deterministic function; with row-based, the
   * row's before and after images; mixed logs those statements as rows.
   */
  private logged(rs: ReplicaSet, key: number, version: number): number {
    const r = rs.replication;
    const nondeterministic = r.nondeterministic > 0 && this.binlogRng!.next() < r.nondeterministic;
    if (nondeterministic) this.nondeterministicWrites++;
    const asRow = r.format === "row" || (r.format === "mixed" && nondeterministic);
    let bytes: number;
    if (asRow) {
      this.rowEntries++;
      // an insert (the key's first version) has no before image; the row is the key's value
      bytes = (version > 1 ? 2 : 1) * Math.max(0, Math.round(this.db.valueSize.sample(this.sizes.at(key))));
    } else {
      this.statementEntries++;
      bytes = Math.max(0, Math.round(r.statementSize.sample(this.entrySizeRng!)));
    }
    this.logBytes += bytes;
    return rs.commit(key, version, bytes, nondeterministic && !asRow ? DIVERGES : 0);
  }

  /**
   * A primary that lost its office without knowing it (cut off, no fencing)
   * commits a write the rest of the cluster will never see: it is discarded
   * when the node rejoins and is rebuilt. Counted here, exactly; the
   * consistency checker is not told (job.version -1), since the version
   * numbers of the two histories collide.
   */
  private splitBrainWrite(job: Job, rs: ReplicaSet, local: number): void {
    this.writes++;
    this.windowWrites++;
    this.splitBrainWrites++;
    this.splitBrainKeys.add(job.key);
    rs.versions[local].set(job.key, (rs.versions[local].get(job.key) ?? 0) + 1);
    rs.diverged(local);
    job.version = -1;
    this.finish(job, OK);
  }

  // ---- replica set callbacks

  acksChanged(g: number): void {
    const q = this.waiting[g];
    while (q.length > 0) {
      const job = this.sim.pool.jobs[q.peek()];
      if (job.cancelled) {
        q.shift();
        this.sim.release(job);
        continue;
      }
      if (!this.groups[g].acknowledged(job.aux)) return;
      q.shift();
      this.finish(job, OK);
    }
  }

  applyPending(node: number): void {
    if (this.applying[node] === 1 || !this.isAlive(node)) return;
    const g = this.groupOf(node);
    const local = node - g * this.per;
    // a snapshot may just have brought it forward
    this.canary?.seen(node, g, this.groups[g].applied[local], this.sim.now);
    const pos = this.groups[g].nextToApply(local);
    if (pos < 0) return;
    this.applying[node] = 1;
    const job = this.internal(OP_APPLY, node);
    job.key = pos;
    job.aux = this.groups[g].generation(local);
    super.accept(job);
  }

  /** Work the database gives its own node: log applies and resharding copies. */
  private internal(op: number, node: number): Job {
    const job = this.sim.pool.alloc();
    job.op = op;
    job.caller = this.index;
    job.callerInstance = node;
    job.callee = this.index;
    job.instance = node;
    job.start = this.sim.now;
    return job;
  }

  /** Only internal work comes back to the database. */
  override onReply(job: Job): void {
    const node = job.instance;
    if (job.op === OP_MIGRATE) return this.copied(job);
    this.sim.release(job);
    this.applying[node] = 0;
    this.applyPending(node);
  }

  promoted(g: number, survivor: (key: number) => number): number {
    this.canary?.truncated(g, this.groups[g].log.head);
    // writes still waiting at a primary that lost its office will never be acknowledged
    const q = this.waiting[g];
    while (q.length > 0) {
      const job = this.sim.pool.jobs[q.shift()];
      if (job.cancelled) this.sim.release(job);
      else this.finish(job, NOT_PRIMARY);
    }
    const checker = this.sim.consistency;
    if (!checker) return 0;
    // keys of other shards keep what they have
    return checker.rollback(
      this.storeId,
      (key) => {
        const s = this.shards.shardOf(key);
        return s === g ? survivor(key) : checker.latestCommitted(this.storeId, key);
      },
      this.sim.now,
    );
  }

  /** Every node of its shard applied `version` of `key`: it is durable, and it has converged. */
  durable(key: number, version: number, committedAt: number): void {
    this.sim.consistency?.durableThrough(this.storeId, key, version, this.sim.now);
    this.convergence.record(this.sim.now - committedAt);
  }

  private unpark(node: number, g: number): void {
    const list = this.parked[node];
    if (list.length === 0) return;
    const applied = this.groups[g].applied[node - g * this.per];
    let keep = 0;
    const ready: number[] = [];
    for (const id of list) {
      if (this.sim.pool.jobs[id].aux <= applied) ready.push(id);
      else list[keep++] = id;
    }
    list.length = keep;
    for (const id of ready) super.accept(this.sim.pool.jobs[id]);
  }

  // ---- resharding

  private reshard(): void {
    const plan = this.db.reshard!;
    const before = this.shards.shards;
    this.migrations = this.shards.reshard(plan.shards, this.sim.now, (s) => {
      const rs = this.groups[s];
      return rs.versions[rs.primary].keys();
    });
    for (let g = before; g < plan.shards; g++) this.groups[g].start();
    for (let s = 0; s < this.migrations.length; s++) this.copyNext(s);
  }

  /** Copies the next key of source shard s: a read on its primary, then a write on the new shard's. */
  private copyNext(s: number): void {
    if (this.migrating[s] === 1) return;
    const key = this.migrations[s].pop();
    if (key === undefined) return;
    this.migrating[s] = 1;
    const job = this.internal(OP_MIGRATE, s * this.per + this.groups[s].writeTarget);
    job.key = key;
    job.shard = s;
    job.phase = 0;
    super.accept(job);
  }

  private copied(job: Job): void {
    const s = job.shard;
    const ok = job.outcome === OK;
    const key = job.key;
    if (job.phase === 0 && ok) {
      // the read half is done: write the version it saw on the key's new shard
      const dest = this.shards.homeOf(key);
      const next = this.internal(OP_MIGRATE, dest * this.per + this.groups[dest].writeTarget);
      next.key = key;
      next.shard = s;
      next.phase = 1;
      next.version = job.version;
      this.sim.release(job);
      return super.accept(next);
    }
    const src = this.groups[s];
    const current = src.versions[src.primary].get(key) ?? 0;
    const copiedVersion = job.version;
    this.sim.release(job);
    this.migrating[s] = 0;
    if (ok && current <= copiedVersion) {
      this.shards.migrated(key, this.sim.now);
      src.versions[src.primary].delete(key); // the old shard no longer serves it
      return this.copyNext(s);
    }
    // a write landed meanwhile: copy again; a node was down: again, after a pause
    this.migrations[s].push(key);
    if (ok) this.copyNext(s);
    else this.sim.q.schedule(MIGRATION_RETRY_MS, this.retryEv, s);
  }

  // ---- faults

  override kill(node: number): void {
    if (!this.isAlive(node)) return;
    const g0 = this.groupOf(node);
    const wasPrimary = this.groups[g0].isPrimary(node - g0 * this.per);
    super.kill(node);
    // its transactions die with it, and so do their row locks; prepared ones survive in its log
    if (wasPrimary && this.locks.held > 0)
      for (const key of this.locks.releaseWhere(
        (k) => this.shards.shardOf(k) === g0,
        (k, txn) => this.prepared.get(k) === txn,
      ))
        this.wake(key);
    const g = this.groupOf(node);
    this.groups[g].killed(node - g * this.per);
    const parked = this.parked[node];
    this.parked[node] = [];
    for (const id of parked) {
      this.arrivals++;
      this.refuse(this.sim.pool.jobs[id], INSTANCE_DOWN);
    }
    // the primary's death cancelled its waiting writes; a replica's may complete a sync set
    this.acksChanged(g);
  }

  override networkChanged(): void {
    for (let g = 0; g < this.shards.shards; g++) this.groups[g].networkChanged();
  }

  override restart(node: number): void {
    if (this.isAlive(node)) return;
    super.restart(node);
    const g = this.groupOf(node);
    this.groups[g].restarted(node - g * this.per);
  }

  /** The consistency checker's verdict on one read of this store, for the per-second series. */
  noteRead(flags: number): void {
    this.verdicts.note(flags);
  }

  override tick(second: number): void {
    super.tick(second);
    for (let node = 0; node < this.db.instances; node++) {
      const g = this.groupOf(node);
      const rs = this.groups[g];
      const local = node - g * this.per;
      const primary = rs.isPrimary(local);
      const lag = primary ? 0 : rs.lagMs(local);
      if (lag > this.maxLag[node]) this.maxLag[node] = lag;
      this.lagSeries[node].push(Math.round(lag * 1000) / 1000);
      this.lagPosSeries[node].push(primary ? 0 : rs.lagPositions(local));
    }
    this.canary?.tick(this.sim.now, (node) => {
      const g = this.groupOf(node);
      const local = node - g * this.per;
      return this.groups[g].isPrimary(local) ? -1 : this.groups[g].lagMs(local);
    });
    this.verdicts.tick();
    this.shards.tick();
    this.duplicateSeries.push(this.windowDuplicates);
    this.windowDuplicates = 0;
    // forget the writes and keys of requests none of whose work is left
    if (this.ledger.size > 0 || this.keys.size > 0) {
      const live = this.sim.liveRequests();
      const alive = (req: number) => live.has(req);
      this.ledger.sweep(alive);
      this.keys.sweep(alive);
    }
    this.readSeries.push(this.windowReads);
    this.writeSeries.push(this.windowWrites);
    this.windowReads = 0;
    this.windowWrites = 0;
  }

  /** The version of each key on its shard's current primary: what survives. */
  private primaryVersion = (key: number): number => {
    const rs = this.groups[this.shards.shardOf(key)];
    return rs.versions[rs.primary].get(key) ?? 0;
  };

  report(now: number): ComponentReport {
    const base = this.stationReport(now);
    const used = this.groups.slice(0, this.shards.shards);
    const series: Record<string, number[]> = {
      ...(base.series as Record<string, number[]>),
      reads: this.readSeries,
      writes: this.writeSeries,
      duplicateApplies: this.duplicateSeries,
      ...this.verdicts.series(),
    };
    const keysPerShard = used.map((rs) => rs.versions[rs.primary].size);
    const out: ComponentReport = {
      ...base,
      reads: this.reads,
      writes: this.writes,
      lostUpdates: this.lostUpdates,
      conflicts: this.conflicts,
      duplicateApplies: this.duplicateApplies,
      ...(this.keyPolicies.length > 1 && {
        idempotency: {
          hits: this.keyHits,
          inserts: this.keyInserts,
          expiredReapplies: this.expiredReapplies,
          raceDuplicates: this.raceDuplicates,
          newKeyDuplicates: this.newKeyDuplicates,
        },
      }),
      transactions: {
        prepared: this.txnPrepared,
        committed: this.txnCommitted,
        aborted: this.txnAborted,
        conflicts: this.txnConflicts,
        lockWaits: this.lockWaits,
        locksHeld: this.locks.held,
      },
      isolation: {
        level: this.db.isolation,
        dirtyReads: this.dirtyReads,
        dirtyReadsAborted: this.dirtyReadsAborted,
        serializationFailures: this.serializationFailures,
        deadlocks: this.deadlocks,
      },
      keysWritten: keysPerShard.reduce((a, b) => a + b, 0),
      series,
    };
    const checker = this.sim.consistency;
    if (checker)
      out.consistency = {
        ...summarize(checker.counts().byStore[this.storeId]),
        lostAcknowledgedWrites:
          checker.lostAcknowledgedWrites(this.storeId, this.primaryVersion) + this.splitBrainWrites,
      };
    if (this.groups.length > 1) {
      out.sharding = this.shards.report(keysPerShard);
      for (let s = 0; s < this.shards.capacity; s++) series[`shardRequests:${s}`] = this.shards.opsSeries[s];
    }
    const rs0 = this.groups[0];
    if (this.per > 1) {
      for (let node = 0; node < this.db.instances; node++) {
        series[`lagMs:${node}`] = this.lagSeries[node];
        series[`lagPositions:${node}`] = this.lagPosSeries[node];
        if (this.canary) series[`canaryLagMs:${node}`] = this.canary.series[node];
      }
      out.replication = {
        mode: rs0.replication.mode,
        acks: rs0.replication.acks,
        primary: rs0.primary,
        logPosition: used.reduce((n, rs) => n + rs.log.head, 0),
        logHeld: used.reduce((n, rs) => n + rs.log.size, 0),
        convergenceMs: this.convergence.summary(),
        divergentKeys: this.divergentKeys(),
        format: rs0.replication.format,
        nondeterministicWrites: this.nondeterministicWrites,
        statementEntries: this.statementEntries,
        rowEntries: this.rowEntries,
        logBytes: this.logBytes,
        bytesShipped: used.reduce((n, rs) => n + rs.bytesShipped, 0),
        divergedKeys: used.reduce((n, rs) => n + rs.divergedKeys.reduce((m, d) => m + d.size, 0), 0),
        divergentReads: this.divergentReads,
        fellOffLog: used.reduce((n, rs) => n + rs.fellOffLog, 0),
        snapshots: used.reduce((n, rs) => n + rs.snapshots, 0),
        snapshotRestarts: used.reduce((n, rs) => n + rs.snapshotRestarts, 0),
        ...(this.canary && {
          canary: {
            intervalMs: this.canary.config.intervalMs,
            alertAboveMs: this.canary.config.alertAboveMs,
            written: this.canary.written,
          },
        }),
        primaryReadsAfterWrite: this.primaryReadsAfterWrite,
        lagBypasses: this.lagBypasses,
        positionWaits: this.positionWaits,
        versionRetries: this.versionRetries,
        versionFallbacks: this.versionFallbacks,
        nodes: Array.from({ length: this.db.instances }, (_, node) => {
          const g = this.groupOf(node);
          const rs = this.groups[g];
          const local = node - g * this.per;
          const primary = rs.isPrimary(local);
          return {
            shard: g,
            role: rs.roleName(local),
            alive: this.isAlive(node),
            recovering: rs.isRecovering(local),
            zone: this.sim.net.zoneNames[this.zoneOf(node)],
            reads: this.readsByNode[node],
            appliedPosition: rs.applied[local],
            lagMs: primary ? 0 : rs.lagMs(local),
            lagPositions: primary ? 0 : rs.lagPositions(local),
            maxLagMs: this.maxLag[node],
            divergedKeys: rs.divergedKeys[local].size,
            ...(this.canary && {
              canaryLagMs: this.canary.measured[node],
              maxCanaryLagMs: this.canary.maxMeasured[node],
              alertSeconds: this.canary.alertSeconds[node],
              lagOverSeconds: this.canary.overSeconds[node],
            }),
          };
        }),
      };
    }
    if (this.db.failover) {
      const records = used.flatMap((rs, g) => rs.failovers.map((f) => ({ shard: g, ...f })));
      out.failover = {
        failovers: records.filter((f) => f.to !== null).length,
        splitBrainWrites: this.splitBrainWrites,
        splitBrainKeys: this.splitBrainKeys.size,
        unavailableMs: used.reduce((t, rs) => t + rs.unavailableMs(now), 0),
        events: records.map((f) => ({
          ...f,
          detectionMs: f.detectedAtMs !== null && f.lostAtMs !== null ? f.detectedAtMs - f.lostAtMs : null,
          electionMs:
            f.electedAtMs !== null && f.detectedAtMs !== null ? f.electedAtMs - f.detectedAtMs : null,
        })),
      };
    }
    return out;
  }

  /** Keys whose version differs between live nodes of their shard at the end (lag in flight, or a node to rebuild). */
  private divergentKeys(): number {
    const checker = this.sim.consistency;
    if (!checker) return 0;
    let n = 0;
    for (let g = 0; g < this.shards.shards; g++) {
      const rs = this.groups[g];
      const live: ((key: number) => number)[] = [];
      for (let r = 0; r < rs.n; r++) {
        if (!this.isAlive(g * this.per + r)) continue;
        const m = rs.versions[r];
        live.push((k) => m.get(k) ?? 0);
      }
      const keys = [...checker.keys(this.storeId)].filter((k) => this.shards.shardOf(k) === g);
      n += checker.divergence(live, keys);
    }
    return n;
  }
}

/** What the replica set of shard g sees: its nodes numbered 0..per-1. */
class ShardHost implements ReplicaHost {
  private readonly base: number;

  constructor(
    private readonly db: Database,
    private readonly g: number,
    nodesPerShard: number,
  ) {
    this.base = g * nodesPerShard;
  }

  get sim(): Sim {
    return this.db.sim;
  }
  get rng(): Rng {
    return this.db.rng;
  }
  get netRng(): Rng {
    return this.db.netRng;
  }
  zoneOf(node: number): number {
    return this.db.zoneOf(this.base + node);
  }
  isAlive(node: number): boolean {
    return this.db.isAlive(this.base + node);
  }
  applyPending(node: number): void {
    this.db.applyPending(this.base + node);
  }
  acksChanged(): void {
    this.db.acksChanged(this.g);
  }
  promoted(_node: number, survivor: (key: number) => number): number {
    return this.db.promoted(this.g, survivor);
  }
  durable(key: number, version: number, committedAt: number): void {
    this.db.durable(key, version, committedAt);
  }
}
