// Single-leader replication of one database's nodes: the primary appends each
// commit to a write-ahead log and ships it over the network to every replica;
// replicas receive entries in order and apply them one at a time (the host
// database runs the apply as work on the replica, competing with reads), so
// lag emerges from network delay, apply speed and load. Synchronous modes
// count acknowledgements; failover is Raft-style: heartbeats, a detection
// timeout, randomised election timeouts, votes only for a candidate whose log
// is at least as complete, a majority of all nodes to win.
import type { Sampler } from "../kernel/distributions.js";
import type { Rng } from "../kernel/rng.js";
import { ReplicationLog } from "../mechanisms/replication-log.js";
import { PairFifo } from "./pair-fifo.js";
import type { Sim } from "./runtime.js";

export const FOLLOWER = 0;
export const CANDIDATE = 1;
export const LEADER = 2;
const ROLE_NAMES = ["replica", "candidate", "primary"] as const;

export type ReplicationMode = "async" | "sync" | "semi-sync";

export interface ReplicationConfig {
  mode: ReplicationMode;
  /** replica acknowledgements a write waits for: all replicas for sync, 0 for async */
  acks: number;
  /**
   * Entries the primary's log keeps (a capped log, like MongoDB's oplog or a
   * binlog retention limit); a replica that has not received the entries it
   * needs before they age out cannot catch up from the log and must copy a
   * snapshot. Infinity keeps every entry until all replicas have applied it.
   */
  retention: number;
  /** time to copy a snapshot to a replica that must be rebuilt; null: instant */
  snapshot: Sampler | null;
}

export interface FailoverConfig {
  heartbeatMs: number;
  /** silence after which a replica suspects the primary */
  timeoutMs: number;
  /** election timeouts are drawn uniformly from [electionMs, 2 × electionMs] */
  electionMs: number;
  /** time for clients to learn the new primary once it is elected */
  discoveryMs: number;
  /**
   * Fencing tokens: a deposed primary's writes are refused. Without them, a
   * primary cut off from the majority keeps accepting writes from the clients
   * that still reach it (split brain) until it learns of the new term.
   */
  fencing: boolean;
}

/** What the replica set needs from the database that owns it. */
export interface ReplicaHost {
  readonly sim: Sim;
  readonly rng: Rng;
  readonly netRng: Rng;
  zoneOf(node: number): number;
  isAlive(node: number): boolean;
  /** `node` has received entries it has not applied and is not applying one */
  applyPending(node: number): void;
  /** acknowledgements moved: writes waiting for them may be released */
  acksChanged(): void;
  /** a failover promoted `node`; `survivor(key)` is the version it holds of each key */
  promoted(node: number, survivor: (key: number) => number): number;
  /** an entry every node has applied, committed at `committedAt`: it can no longer be lost */
  durable(key: number, version: number, committedAt: number): void;
}

export interface FailoverRecord {
  /** when the old primary died, or (cut off alive) when a replica last heard its heartbeat; null if unknown */
  lostAtMs: number | null;
  /** first replica to suspect it */
  detectedAtMs: number | null;
  electedAtMs: number | null;
  /** when clients started sending writes to the new primary */
  discoveredAtMs: number | null;
  from: number;
  to: number | null;
  term: number | null;
  /** acknowledged writes the new primary did not have */
  lostAcknowledgedWrites: number;
}

/** Key of a log entry that holds no data: the lag monitor's canary, shipped and applied like any entry. */
export const MARKER = -1;

// where a replica stands with the log
const STREAMING = 0;
/** fell off the log (or must be rebuilt): waits to copy a snapshot */
const NEEDS_SNAPSHOT = 1;
const COPYING = 2;

// election and heartbeat messages
const HEARTBEAT = 0;
const VOTE_REQUEST = 1;
const VOTE_REPLY = 2;

export class ReplicaSet {
  readonly n: number;
  readonly log = new ReplicationLog();
  /** data version of each key per node; memory follows keys written, per node */
  readonly versions: Map<number, number>[];
  /** log positions each node has received and applied (the primary: everything it committed) */
  readonly received: Float64Array;
  readonly applied: Float64Array;
  /** highest position each replica has acknowledged, as the primary knows it */
  private readonly acked: Float64Array;
  /** bumped when a node's link is reset (death, failover): messages of an older generation are dropped */
  private readonly gen: Int32Array;
  private readonly shipQ: PairFifo[];
  private readonly ackQ: PairFifo[];
  private readonly lastShip: Float64Array;
  private readonly lastAck: Float64Array;
  readonly role: Uint8Array;
  private readonly nodeTerm: Int32Array;
  private readonly votedFor: Int32Array;
  private readonly votes: Int32Array;
  private readonly lastHeard: Float64Array;
  private readonly electionAt: Float64Array;
  /** time of each node's one pending failure-detector check (-1: none), so checks never pile up */
  private readonly checkAt: Float64Array;
  /** nodes that hold entries the current primary never had: they must resync when they return */
  private readonly divergent: Uint8Array;
  primary = 0;
  /** where the log was last truncated by a failover */
  private cut = 0;
  /** where clients send writes (and primary reads): the primary they know of */
  /** per client zone: the primary its clients know of (a partition can hide a failover from them) */
  private writeTargets = new Int32Array(0);
  /** primaries replaced while cut off and unfenced, still acting as primary (split brain) */
  private readonly deposed: Uint8Array;
  /** STREAMING, NEEDS_SNAPSHOT or COPYING: a node that is not streaming serves no reads and cannot stand */
  private readonly sync: Uint8Array;
  /** COPYING: the primary's position when the snapshot was taken, its data, and when the copy ends */
  private readonly snapFrom: Float64Array;
  private readonly snapData: (Map<number, number> | null)[];
  private readonly snapDue: Float64Array;
  /** not streaming: commit time of the oldest entry the node lacks, so its lag keeps growing from there */
  private readonly staleSince: Float64Array;
  /** snapshots begun, restarted (the log moved past them, or the primary changed) and replicas that fell off the log */
  snapshots = 0;
  snapshotRestarts = 0;
  fellOffLog = 0;
  term = 1;
  readonly failovers: FailoverRecord[] = [];
  private open: FailoverRecord | null = null;
  private readonly msgs = new Messages();
  private shipEv = -1;
  private ackEv = -1;
  private msgEv = -1;
  private tickEv = -1;
  private checkEv = -1;
  private electEv = -1;
  private discoverEv = -1;
  private snapEv = -1;

  constructor(
    private readonly host: ReplicaHost,
    nodes: number,
    readonly replication: ReplicationConfig,
    readonly failover: FailoverConfig | null,
  ) {
    this.n = nodes;
    this.versions = Array.from({ length: nodes }, () => new Map<number, number>());
    this.received = new Float64Array(nodes);
    this.applied = new Float64Array(nodes);
    this.acked = new Float64Array(nodes);
    this.gen = new Int32Array(nodes);
    this.shipQ = Array.from({ length: nodes }, () => new PairFifo());
    this.ackQ = Array.from({ length: nodes }, () => new PairFifo());
    this.lastShip = new Float64Array(nodes);
    this.lastAck = new Float64Array(nodes);
    this.role = new Uint8Array(nodes);
    this.role[0] = LEADER;
    this.nodeTerm = new Int32Array(nodes).fill(1);
    this.votedFor = new Int32Array(nodes).fill(-1);
    this.votes = new Int32Array(nodes);
    this.lastHeard = new Float64Array(nodes);
    this.electionAt = new Float64Array(nodes).fill(-1);
    this.checkAt = new Float64Array(nodes).fill(-1);
    this.divergent = new Uint8Array(nodes);
    this.deposed = new Uint8Array(nodes);
    this.sync = new Uint8Array(nodes);
    this.snapFrom = new Float64Array(nodes);
    this.snapData = new Array<Map<number, number> | null>(nodes).fill(null);
    this.snapDue = new Float64Array(nodes).fill(-1);
    this.staleSince = new Float64Array(nodes);
  }

  /** Where clients in `zone` send writes (and primary reads). */
  writeTargetFor(zone: number): number {
    return zone >= 0 && zone < this.writeTargets.length ? this.writeTargets[zone] : this.primary;
  }

  /** The primary clients know of when no zone is involved (the store's own work). */
  get writeTarget(): number {
    return this.primary;
  }

  /** A primary replaced while cut off, still accepting writes because nothing fences it. */
  isDeposedLeader(node: number): boolean {
    return this.deposed[node] === 1 && this.role[node] === LEADER;
  }

  /** A deposed leader wrote what the primary never will have: it must be rebuilt when it rejoins. */
  diverged(node: number): void {
    this.divergent[node] = 1;
  }

  attach(): void {
    this.writeTargets = new Int32Array(this.host.sim.net.zoneNames.length);
    const q = this.host.sim.q;
    this.shipEv = q.on((r) => this.shipArrived(r));
    this.ackEv = q.on((r) => this.ackArrived(r));
    this.msgEv = q.on((m) => this.message(m));
    this.tickEv = q.on(() => this.heartbeat());
    this.checkEv = q.on((r) => this.check(r));
    this.electEv = q.on((r) => this.electionTimer(r));
    this.discoverEv = q.on((i) => this.discovered(i));
    this.snapEv = q.on((r) => this.snapshotCopied(r));
  }

  start(): void {
    const f = this.failover;
    if (!f) return;
    this.host.sim.q.schedule(f.heartbeatMs, this.tickEv, 0);
    for (let r = 0; r < this.n; r++) if (r !== this.primary) this.armCheck(r);
  }

  get now(): number {
    return this.host.sim.now;
  }

  roleName(node: number): string {
    return ROLE_NAMES[this.role[node]];
  }

  isPrimary(node: number): boolean {
    return node === this.primary && this.role[node] === LEADER;
  }

  /** A node that cannot follow the log (it fell off it, or is copying a snapshot): no reads, no votes for it. */
  isRecovering(node: number): boolean {
    return this.sync[node] !== STREAMING;
  }

  // ---------------------------------------------------------------- the log

  /** The primary committed `version` of `key` (or a MARKER): log it and ship it. Returns its position. */
  commit(key: number, version: number): number {
    const p = this.primary;
    if (key !== MARKER) this.versions[p].set(key, version);
    const pos = this.log.append(key, version, this.now);
    this.received[p] = pos;
    this.applied[p] = pos;
    const oldest = pos - this.replication.retention; // entries at or below it have aged out
    for (let r = 0; r < this.n; r++) {
      if (r === p) continue;
      if (this.sync[r] === STREAMING && this.received[r] < oldest) this.fellOff(r);
      else if (this.sync[r] === COPYING && this.snapFrom[r] < oldest) {
        // the log moved past the snapshot's position before the copy finished: start over
        this.snapshotRestarts++;
        this.abandonSnapshot(r);
        this.startSnapshot(r);
      } else this.ship(r, pos);
    }
    if (this.n === 1 || oldest > this.log.tail) this.trim();
    return pos;
  }

  /** The entries a replica needs next have aged out of the primary's log: only a snapshot can bring it back. */
  private fellOff(r: number): void {
    this.fellOffLog++;
    this.needsSnapshot(r);
    this.startSnapshot(r);
  }

  private needsSnapshot(r: number): void {
    const next = this.applied[r] + 1;
    this.staleSince[r] = next >= this.log.tail && next <= this.log.head ? this.log.time(next) : this.now;
    this.sync[r] = NEEDS_SNAPSHOT;
    this.resetLink(r);
  }

  /** Copies the primary's data as of now to r (a dump plus its log position), if r can be reached. */
  private startSnapshot(r: number): void {
    const p = this.primary;
    if (this.sync[r] !== NEEDS_SNAPSHOT) return;
    if (!this.host.isAlive(r) || !this.host.isAlive(p) || this.role[p] !== LEADER || this.severed(p, r))
      return;
    this.sync[r] = COPYING;
    this.snapshots++;
    this.snapFrom[r] = this.applied[p];
    this.snapData[r] = new Map(this.versions[p]);
    const d = this.replication.snapshot ? this.replication.snapshot.sample(this.host.rng) : 0;
    this.snapDue[r] = this.now + d;
    this.host.sim.q.at(this.snapDue[r], this.snapEv, r);
  }

  private abandonSnapshot(r: number): void {
    this.sync[r] = NEEDS_SNAPSHOT;
    this.snapData[r] = null;
    this.snapDue[r] = -1;
  }

  /** The copy landed: the replica holds the snapshot's data and streams the log from its position on. */
  private snapshotCopied(r: number): void {
    if (this.now !== this.snapDue[r] || this.sync[r] !== COPYING) return; // superseded
    this.snapDue[r] = -1;
    if (this.deposed[r] === 1) {
      this.deposed[r] = 0;
      this.role[r] = FOLLOWER;
    }
    this.versions[r] = this.snapData[r]!;
    this.snapData[r] = null;
    const at = this.snapFrom[r];
    this.received[r] = at;
    this.applied[r] = at;
    this.acked[r] = at;
    this.divergent[r] = 0;
    this.sync[r] = STREAMING;
    this.ship(r, this.log.head);
    this.trim();
    this.host.applyPending(r);
  }

  /**
   * Whether live replicas acknowledged `pos` as the mode requires: sync needs
   * every replica that is up (a dead one leaves the synchronous set, as
   * Patroni's synchronous mode does, until it returns), semi-sync needs `acks`
   * of them and waits as long as it takes.
   */
  acknowledged(pos: number): boolean {
    const p = this.primary;
    // Leaving the synchronous set is a configuration change, which needs a
    // majority: a primary cut off from one keeps waiting for the replicas it
    // cannot reach, so it cannot acknowledge what the majority side lacks.
    let reachable = 1;
    for (let r = 0; r < this.n; r++) if (r !== p && this.host.isAlive(r) && !this.severed(p, r)) reachable++;
    const canReconfigure = reachable >= Math.floor(this.n / 2) + 1;
    let have = 0;
    let members = 0;
    for (let r = 0; r < this.n; r++) {
      // a node rebuilding from a snapshot is out of the synchronous set until it streams again
      if (r === p || !this.host.isAlive(r) || this.sync[r] !== STREAMING) continue;
      if (canReconfigure && this.severed(p, r)) continue;
      members++;
      if (this.acked[r] >= pos) have++;
    }
    return have >= (this.replication.mode === "sync" ? members : this.replication.acks);
  }

  /** Next position `node` should apply, or -1 if it is caught up with what it received. */
  nextToApply(node: number): number {
    if (this.sync[node] !== STREAMING) return -1;
    return this.applied[node] < this.received[node] ? this.applied[node] + 1 : -1;
  }

  /** Generation of a node's link: an apply begun under an older one is void. */
  generation(node: number): number {
    return this.gen[node];
  }

  /** A replica finished applying `pos`. */
  apply(node: number, pos: number): void {
    if (pos !== this.applied[node] + 1 || pos > this.received[node] || this.sync[node] !== STREAMING) return;
    const key = this.log.key(pos);
    if (key !== MARKER) this.versions[node].set(key, this.log.version(pos));
    this.applied[node] = pos;
    this.trim();
  }

  /** Replication lag of a node in ms: age of the oldest entry it has not applied. */
  lagMs(node: number): number {
    if (this.sync[node] !== STREAMING) return this.now - this.staleSince[node];
    // a node awaiting a rebuild needs nothing from the log, which may be trimmed past it
    const next = Math.max(this.current(node) + 1, this.log.tail);
    return next > this.log.head ? 0 : this.now - this.log.time(next);
  }

  lagPositions(node: number): number {
    return this.log.head - this.current(node);
  }

  /** Position up to which a node's data agrees with the log (a divergent node only up to the cut). */
  private current(node: number): number {
    return this.divergent[node] === 1 ? Math.min(this.applied[node], this.cut) : this.applied[node];
  }

  /**
   * Releases entries every streaming node has applied (a node copying a
   * snapshot holds the log from its snapshot's position; one that fell off
   * holds nothing); they are durable from now on.
   */
  private trim(): void {
    let min = this.log.head;
    for (let r = 0; r < this.n; r++) {
      const at =
        this.sync[r] === STREAMING ? this.applied[r] : this.sync[r] === COPYING ? this.snapFrom[r] : min;
      if (at < min) min = at;
    }
    for (let pos = this.log.tail; pos <= min; pos++)
      if (this.log.key(pos) !== MARKER)
        this.host.durable(this.log.key(pos), this.log.version(pos), this.log.time(pos));
    this.log.trimThrough(min);
  }

  private delay(from: number, to: number): number {
    return this.host.sim.net.delay(this.host.zoneOf(from), this.host.zoneOf(to), this.host.netRng);
  }

  /** A partition separates two nodes: whatever one sends the other is lost. */
  private severed(a: number, b: number): boolean {
    return this.host.sim.net.isCut(this.host.zoneOf(a), this.host.zoneOf(b));
  }

  /** After a partition heals, the primary's streams reconnect and resume from each replica's position. */
  networkChanged(): void {
    const p = this.primary;
    if (!this.host.isAlive(p) || this.role[p] !== LEADER) return;
    // clients that were cut off from the news of a failover reconnect to the current primary
    this.repoint();
    this.host.acksChanged(); // the synchronous set may have changed
    for (let r = 0; r < this.n; r++) {
      if (r === p || !this.host.isAlive(r) || this.severed(p, r)) continue;
      if (this.divergent[r] === 1) this.resync(r);
      if (this.sync[r] === NEEDS_SNAPSHOT) this.startSnapshot(r);
      else if (this.received[r] < this.log.head) this.ship(r, this.log.head);
    }
  }

  /** Sends everything up to `pos` to replica r, in order behind what is already on the wire. */
  private ship(r: number, pos: number): void {
    if (this.sync[r] !== STREAMING) return;
    if (!this.host.isAlive(r) || !this.host.isAlive(this.primary) || this.severed(this.primary, r)) return;
    const t = Math.max(this.lastShip[r], this.now + this.delay(this.primary, r));
    this.lastShip[r] = t;
    this.shipQ[r].push(pos, this.gen[r]);
    this.host.sim.q.at(t, this.shipEv, r);
  }

  private shipArrived(r: number): void {
    const q = this.shipQ[r];
    const pos = q.first;
    const g = q.second;
    q.shift();
    if (g !== this.gen[r] || !this.host.isAlive(r) || pos <= this.received[r]) return;
    this.received[r] = pos;
    this.host.applyPending(r);
    if (this.replication.acks > 0 && !this.severed(r, this.primary)) {
      const t = Math.max(this.lastAck[r], this.now + this.delay(r, this.primary));
      this.lastAck[r] = t;
      this.ackQ[r].push(pos, g);
      this.host.sim.q.at(t, this.ackEv, r);
    }
  }

  private ackArrived(r: number): void {
    const q = this.ackQ[r];
    const pos = q.first;
    const g = q.second;
    q.shift();
    if (g !== this.gen[r] || !this.host.isAlive(this.primary)) return;
    if (pos > this.acked[r]) {
      this.acked[r] = pos;
      this.host.acksChanged();
    }
  }

  // ---------------------------------------------------------------- node faults

  killed(node: number): void {
    this.resetLink(node);
    if (this.sync[node] === COPYING) this.abandonSnapshot(node);
    if (node === this.primary && this.role[node] === LEADER) {
      // what it had sent but replicas had not yet received dies with it (its
      // socket buffers and the packets on the wire): async loses those writes
      for (let r = 0; r < this.n; r++) this.resetLink(r);
      if (!this.open) {
        this.open = this.record(this.now, node);
        this.failovers.push(this.open);
      }
    }
  }

  restarted(node: number): void {
    this.lastHeard[node] = this.now;
    if (node === this.primary && this.role[node] === LEADER) {
      // nobody replaced it: it carries on, and replicas catch up from where they were
      if (this.open && this.open.to === null) this.open = null;
      for (let r = 0; r < this.n; r++) if (r !== node) this.ship(r, this.log.head);
      return;
    }
    this.role[node] = FOLLOWER;
    this.nodeTerm[node] = Math.max(this.nodeTerm[node], this.term);
    if (this.divergent[node] === 1 || this.received[node] > this.log.head) this.resync(node);
    if (this.sync[node] === NEEDS_SNAPSHOT) this.startSnapshot(node);
    this.acked[node] = Math.min(this.acked[node], this.received[node]);
    this.ship(node, this.log.head);
    this.host.applyPending(node);
    if (this.failover) this.armCheck(node);
  }

  /** Voids everything in flight to and from a node. */
  private resetLink(node: number): void {
    this.gen[node]++;
    this.shipQ[node].clear();
    this.ackQ[node].clear();
    this.lastShip[node] = 0;
    this.lastAck[node] = 0;
  }

  /**
   * A node that holds a discarded suffix is rebuilt from the primary (pg_rewind
   * or a fresh copy): by a snapshot that takes time if one is configured,
   * else at once.
   */
  private resync(node: number): void {
    if (this.replication.snapshot) {
      if (this.sync[node] === STREAMING) this.needsSnapshot(node);
      return this.startSnapshot(node);
    }
    if (this.deposed[node] === 1) {
      this.deposed[node] = 0;
      this.role[node] = FOLLOWER;
    }
    this.versions[node] = new Map(this.versions[this.primary]);
    this.received[node] = this.applied[this.primary];
    this.applied[node] = this.applied[this.primary];
    this.acked[node] = this.applied[node];
    this.divergent[node] = 0;
    this.trim();
  }

  // ---------------------------------------------------------------- failover

  private heartbeat(): void {
    const f = this.failover!;
    const p = this.primary;
    if (this.host.isAlive(p) && this.role[p] === LEADER) {
      for (let r = 0; r < this.n; r++)
        if (r !== p && this.host.isAlive(r)) this.send(HEARTBEAT, p, r, this.nodeTerm[p], 0);
    }
    this.host.sim.q.schedule(f.heartbeatMs, this.tickEv, 0);
  }

  private send(type: number, from: number, to: number, term: number, value: number): void {
    if (this.severed(from, to)) return;
    const m = this.msgs.alloc(type, from, to, term, value);
    this.host.sim.q.schedule(this.delay(from, to), this.msgEv, m);
  }

  private armCheck(r: number): void {
    this.checkAt[r] = Math.max(this.now, this.lastHeard[r] + this.failover!.timeoutMs);
    this.host.sim.q.at(this.checkAt[r], this.checkEv, r);
  }

  /** A replica's failure detector: has it heard from a primary within the timeout? */
  private check(r: number): void {
    if (this.now !== this.checkAt[r]) return; // superseded by a later arming
    this.checkAt[r] = -1;
    if (!this.host.isAlive(r) || this.role[r] === LEADER) return;
    if (this.now < this.lastHeard[r] + this.failover!.timeoutMs) return this.armCheck(r);
    if (!this.open) {
      // the primary is alive but cut off (or too slow): it was lost when its heartbeats stopped arriving
      let last = 0;
      for (let j = 0; j < this.n; j++)
        if (j !== this.primary && this.lastHeard[j] > last) last = this.lastHeard[j];
      this.open = this.record(last, this.primary);
      this.failovers.push(this.open);
    }
    if (this.open.detectedAtMs === null) this.open.detectedAtMs = this.now;
    if (this.electionAt[r] < this.now) this.scheduleElection(r);
  }

  private scheduleElection(r: number): void {
    const e = this.failover!.electionMs;
    const t = this.now + e + this.host.rng.next() * e;
    this.electionAt[r] = t;
    this.host.sim.q.at(t, this.electEv, r);
  }

  private electionTimer(r: number): void {
    if (this.now !== this.electionAt[r]) return; // superseded
    this.electionAt[r] = -1;
    if (!this.host.isAlive(r) || this.role[r] === LEADER) return;
    if (this.now - this.lastHeard[r] < this.failover!.timeoutMs) {
      // a primary spoke up meanwhile (or this node granted a vote): stand down
      this.role[r] = FOLLOWER;
      this.armCheck(r);
      return;
    }
    // a node without the log's recent entries is not electable (MongoDB's RECOVERING state)
    if (this.sync[r] !== STREAMING) return this.armCheck(r);
    this.role[r] = CANDIDATE;
    this.nodeTerm[r]++;
    this.votedFor[r] = r;
    this.votes[r] = 1;
    for (let j = 0; j < this.n; j++)
      if (j !== r && this.host.isAlive(j)) this.send(VOTE_REQUEST, r, j, this.nodeTerm[r], this.received[r]);
    // a split vote or lost messages: try again in a later term
    this.scheduleElection(r);
  }

  private message(m: number): void {
    const { type, from, to, term, value } = this.msgs.read(m);
    this.msgs.free(m);
    if (!this.host.isAlive(to)) return;
    if (term > this.nodeTerm[to]) {
      this.nodeTerm[to] = term;
      this.votedFor[to] = -1;
      if (this.role[to] === LEADER && this.failover) this.armCheck(to); // a deposed primary may stand again
      this.role[to] = FOLLOWER;
    }
    switch (type) {
      case HEARTBEAT:
        if (term === this.nodeTerm[to]) {
          this.lastHeard[to] = this.now;
          this.role[to] = FOLLOWER;
        }
        return;
      case VOTE_REQUEST: {
        const grant =
          term === this.nodeTerm[to] &&
          (this.votedFor[to] === -1 || this.votedFor[to] === from) &&
          value >= this.received[to];
        if (grant) {
          this.votedFor[to] = from;
          this.lastHeard[to] = this.now; // granting a vote restarts the voter's own timer
        }
        this.send(VOTE_REPLY, to, from, this.nodeTerm[to], grant ? 1 : 0);
        return;
      }
      case VOTE_REPLY:
        if (this.role[to] !== CANDIDATE || term !== this.nodeTerm[to] || value !== 1) return;
        if (++this.votes[to] >= Math.floor(this.n / 2) + 1) this.elected(to);
        return;
    }
  }

  private elected(r: number): void {
    const old = this.primary;
    this.role[r] = LEADER;
    this.electionAt[r] = -1;
    if (old !== r && this.role[old] === LEADER) {
      // fenced (or dead, or within reach of the news): it stops being primary now
      if (this.failover!.fencing || !this.host.isAlive(old) || !this.severed(old, r))
        this.role[old] = FOLLOWER;
      else this.deposed[old] = 1;
    }
    this.primary = r;
    this.term = this.nodeTerm[r];
    // the new primary replays what it received but had not applied, then the
    // log beyond it is gone: nobody who could still be primary has it
    for (let pos = this.applied[r] + 1; pos <= this.received[r]; pos++)
      if (this.log.key(pos) !== MARKER) this.versions[r].set(this.log.key(pos), this.log.version(pos));
    this.applied[r] = this.received[r];
    const cut = this.received[r];
    this.cut = cut;
    for (let j = 0; j < this.n; j++) if (j !== r && this.received[j] > cut) this.divergent[j] = 1;
    this.log.truncateAfter(cut);
    const survivor = this.versions[r];
    const lost = this.host.promoted(r, (key) => survivor.get(key) ?? 0);
    const rec = this.open ?? this.record(null, old);
    if (!this.open) this.failovers.push(rec);
    this.open = null;
    rec.electedAtMs = this.now;
    rec.to = r;
    rec.term = this.term;
    rec.lostAcknowledgedWrites = lost;
    // links restart from the new primary: whatever the old one had in flight is void
    for (let j = 0; j < this.n; j++) {
      this.resetLink(j);
      if (j === r) continue;
      // a snapshot taken from the old primary may hold what the new one lacks: take it again
      if (this.sync[j] === COPYING) {
        this.snapshotRestarts++;
        this.abandonSnapshot(j);
      }
      if (this.sync[j] === NEEDS_SNAPSHOT) this.startSnapshot(j);
      // a node the new primary cannot reach is rebuilt once it can (networkChanged)
      if (this.divergent[j] === 1 && this.host.isAlive(j) && !this.severed(r, j)) this.resync(j);
      this.acked[j] = Math.min(this.received[j], cut);
      this.ship(j, this.log.head);
    }
    this.host.sim.q.schedule(this.failover!.discoveryMs, this.discoverEv, this.failovers.length - 1);
  }

  private record(lostAtMs: number | null, from: number): FailoverRecord {
    return {
      lostAtMs,
      detectedAtMs: null,
      electedAtMs: null,
      discoveredAtMs: null,
      from,
      to: null,
      term: null,
      lostAcknowledgedWrites: 0,
    };
  }

  private discovered(i: number): void {
    const rec = this.failovers[i];
    if (rec.to === null || rec.to !== this.primary) return; // superseded by a later failover
    this.repoint();
    rec.discoveredAtMs = this.now;
    this.host.acksChanged();
  }

  /** Clients in every zone that can reach the primary learn of it; the others keep what they knew. */
  private repoint(): void {
    const net = this.host.sim.net;
    const at = this.host.zoneOf(this.primary);
    for (let z = 0; z < this.writeTargets.length; z++)
      if (!net.isCut(z, at)) this.writeTargets[z] = this.primary;
  }

  /** Milliseconds without a writable primary that clients could reach, up to `now`. */
  unavailableMs(now: number): number {
    let total = 0;
    for (const f of this.failovers) {
      if (f.lostAtMs === null) continue;
      total += (f.discoveredAtMs ?? now) - f.lostAtMs;
    }
    return total;
  }
}

/** A pool of small messages addressed by int id, so events carry ints. */
class Messages {
  private readonly type: number[] = [];
  private readonly from: number[] = [];
  private readonly to: number[] = [];
  private readonly term: number[] = [];
  private readonly value: number[] = [];
  private readonly freeIds: number[] = [];

  alloc(type: number, from: number, to: number, term: number, value: number): number {
    const id = this.freeIds.pop() ?? this.type.length;
    this.type[id] = type;
    this.from[id] = from;
    this.to[id] = to;
    this.term[id] = term;
    this.value[id] = value;
    return id;
  }

  read(id: number): { type: number; from: number; to: number; term: number; value: number } {
    return {
      type: this.type[id],
      from: this.from[id],
      to: this.to[id],
      term: this.term[id],
      value: this.value[id],
    };
  }

  free(id: number): void {
    this.freeIds.push(id);
  }
}
