// A topic of a log (Kafka-style, MQ-04..MQ-09): P partitions spread over
// broker nodes. A producer's message goes to partition hash(key) mod P, whose
// leader broker appends it (a broker is a station: request handler threads
// and a bounded queue, so a broker has a throughput and fills up). Messages
// stay for the retention period whatever is consumed; each consumer group
// reads them at its own pace from its own offsets. Fetches and offset
// commits are answered by the topic without a handler thread: appends are
// what a broker's capacity is spent on.
//
// Replication (MQ-08, MQ-09): each partition has `factor` replicas on
// consecutive brokers, the first leading. Followers fetch from the leader in
// a loop (each fetch returns what the leader has, and tells the leader how
// far the follower got); the high watermark is the offset every in-sync
// replica has, and consumers read only below it. With acks `leader` a
// publish is acknowledged once the leader has appended it; with `all`, once
// every in-sync replica has it. When a leader dies, after `failoverMs` an
// in-sync follower takes over with the log it has: messages beyond it (the
// unreplicated tail) are gone, and with acks `leader` some of them had been
// acknowledged.
//
// In-sync replicas (Kafka's ISR): a follower that has not been caught up to
// the leader's end for `replicaLagMaxMs` (cut off by a network partition, or
// too slow) leaves the in-sync set, checked every half of that time as Kafka
// does, and the high watermark stops waiting for it; it rejoins once it has
// caught up to the high watermark. With acks `all`, a publish to a partition
// with fewer than `minInsync` in-sync replicas is refused with
// not-enough-replicas, before its append or, if the set shrank meanwhile,
// when it would have been acknowledged (the message is then in the log, not
// acknowledged). minInsync 1 favours availability (the leader alone may
// acknowledge, and its death then takes the partition offline); minInsync =
// factor favours consistency (one lagging follower stops all publishes).
//
// Broker semantics (docs/brokers.md): a fire-and-forget topic (core NATS,
// Redis Pub/Sub) keeps nothing: its log is only what is on its way to the
// subscribers, deleted once every group has taken it, and its consumers
// acknowledge nothing (see Consumer: what a member misses while it is down
// is lost). A Redis Pub/Sub subscriber whose pending output exceeds the
// output buffer limit is disconnected, and what was pending is lost. Tiered
// storage (Pulsar) offloads sealed segments older than a threshold to object
// storage: the report splits the retained bytes between the two.
import type { Sampler } from "../kernel/distributions.js";
import {
  ConsistentHashPartitioner,
  HashModPartitioner,
  type Partitioner,
} from "../mechanisms/partitioning.js";
import { PartitionLog } from "../mechanisms/partition-log.js";
import type { GroupState } from "./consumer-group.js";
import { IntQueue } from "./int-queue.js";
import { type Job, OP_COMMIT_OFFSETS, OP_FETCH } from "./job.js";
import { INSTANCE_DOWN, NOT_ENOUGH_REPLICAS, OK } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";

export type Acks = "leader" | "all";

export type PartitionerKind = "modulo" | "consistent-hash";

export interface TopicConfig extends StationConfig {
  /** partitions allocated: those in use from the start, and those a repartition adds */
  partitions: number;
  /** partitions in use from the start */
  initialPartitions: number;
  partitioner: PartitionerKind;
  /** the partition count grows to `partitions` at `atMs` (null: never) */
  repartition: { atMs: number; partitions: number } | null;
  /** time a broker's handler thread spends appending one message */
  appendTime: Sampler;
  /** messages per log segment (retention deletes whole segments) */
  segmentSize: number;
  /** per partition: messages older than this may go (Infinity: kept) */
  retentionMs: number;
  /** per partition: bytes above which the oldest segments go (Infinity: no limit) */
  retentionBytes: number;
  /** consumer groups that will read the topic */
  groups: number;
  /** longest a fetch waits at the broker for messages before it is answered empty */
  fetchWaitMs: number;
  /** replicas per partition (1: none besides the leader) */
  replicationFactor: number;
  acks: Acks;
  /** time from a leader's death to a follower taking over */
  failoverMs: number;
  /** with acks all: in-sync replicas (the leader included) a publish needs */
  minInsync: number;
  /** a follower not caught up for this long leaves the in-sync replicas (Kafka's replica.lag.time.max.ms) */
  replicaLagMaxMs: number;
  /** nothing kept: delivered messages go, and a disconnected subscriber misses what is published */
  fireAndForget: boolean;
  /** bytes a subscriber may be behind before it is disconnected (Infinity: no limit) */
  outputBufferBytes: number;
  /** sealed segments older than this are offloaded to object storage (Infinity: never) */
  tieredAfterMs: number;
}

/** most messages a follower copies per fetch (Kafka's replica.fetch.max.bytes, 1MiB, of 1KiB messages) */
const REPLICA_FETCH_MAX = 1000;

/** what a follower's fetch loop is doing */
const PARKED = 0;
/** the leader's answer (messages) is on its way to the follower */
const SENDING = 1;
/** the follower's next fetch (its new offset) is on its way to the leader */
const ASKING = 2;
/** its broker is down, or it leads */
const OUT = 3;

export class Topic extends Station {
  readonly kind = "topic";
  readonly logs: PartitionLog[];
  /** per partition: the broker (instance) that leads it, -1 while none does */
  readonly leader: Int32Array;
  /** per partition: offset below which messages are visible to consumers (the high watermark) */
  readonly hw: Float64Array;
  private partitioner: Partitioner;
  /** partitions in use (the first `active` of the logs) */
  private active: number;
  private repartitionEv = -1;
  /** told when the partition count changes: the consumer groups, which rebalance */
  readonly onRepartition: (() => void)[] = [];
  /** until the repartition: every key published (to count the keys it moves) */
  private keysSeen: Set<number> | null = null;
  /** after it: per moved key, its old partition, until its first message in the new one */
  private readonly movedFrom = new Map<number, number>();
  /** per partition: offset of a moved key's first message there -> the key's previous message elsewhere */
  private readonly crossPrevs: Map<number, readonly [number, number]>[];
  private repartitioned: { atMs: number; keys: number; movedKeys: number } | null = null;
  /** the consumer groups reading this topic, by group index, and by the consumer component's index */
  readonly groups: GroupState[] = [];
  private readonly groupOfCaller: GroupState[] = [];
  private readonly tcfg: TopicConfig;
  private readonly rf: number;
  private appendedEv = -1;
  private fetchWaitEv = -1;
  private replicatedEv = -1;
  private askedEv = -1;
  private electEv = -1;
  private isrCheckEv = -1;
  /** message ids given to producers: one per publish call, kept by its retries */
  private ids = 0;
  private readonly appendedPer: Float64Array;
  private deletedMessages = 0;
  /** appends of publishes whose producer had stopped waiting (timed out): a retry may append them again */
  private appendedAfterTimeout = 0;
  private fetches = 0;
  private emptyFetches = 0;
  /** timers of parked fetches: job id and serial per slot */
  private waitJob: number[] = [];
  private waitSerial: number[] = [];
  private readonly freeWaits: number[] = [];

  // ---- replication, per replica slot (partition * rf + j; slot j is on broker (p + j) mod brokers) ----
  /** per partition: the slot that leads, -1 while the partition has no leader */
  private readonly leaderSlot: Int32Array;
  /** per slot: the end of the replica's log, and what the leader knows of it */
  private readonly rep: Float64Array;
  private readonly known: Float64Array;
  private readonly fetchState: Uint8Array;
  /** per slot: the leader's end when it answered the follower's fetch */
  private readonly sendingTo: Float64Array;
  private readonly inSync: Uint8Array;
  /** per slot: bumped by each event scheduled for it, so that events overtaken by a failure are ignored */
  private readonly seq: Int32Array;
  /** per partition: bumped when its leader dies or comes back, to call off a pending election */
  private readonly electSeq: Int32Array;
  /** per partition: the slot that led it last (while it has no leader, the one that died) */
  private readonly lastLeaderSlot: Int32Array;
  /** per partition: publishes appended and waiting for the high watermark (acks all), by offset order */
  private readonly awaiting: IntQueue[];
  /** per partition: offset below which every message has been acknowledged to its producer */
  private readonly ackedEnd: Float64Array;
  private failovers = 0;
  private truncated = 0;
  private acknowledgedLost = 0;
  private offlineSince: Float64Array;
  private offlineMs = 0;
  /** per slot: when the follower was last caught up to the leader's end */
  private readonly caughtUpAt: Float64Array;
  /** per slot: the leader's end and the time when it last sent the follower messages */
  private readonly answerEnd: Float64Array;
  private readonly answerAt: Float64Array;
  private isrShrinks = 0;
  private isrExpands = 0;
  private notEnoughReplicas = 0;
  readonly fireAndForget: boolean;
  /** the largest message appended (a cheap bound before a subscriber's backlog is measured) */
  private maxSize = 0;
  private appendedBytes = 0;
  private disconnects = 0;
  private lostToDisconnect = 0;

  constructor(name: string, cfg: TopicConfig) {
    super(name, cfg);
    this.tcfg = cfg;
    this.fireAndForget = cfg.fireAndForget;
    const P = cfg.partitions;
    this.rf = cfg.replicationFactor;
    this.logs = Array.from({ length: P }, () => new PartitionLog(cfg.segmentSize, cfg.groups));
    this.leader = new Int32Array(P);
    this.leaderSlot = new Int32Array(P);
    for (let p = 0; p < P; p++) this.leader[p] = p % cfg.instances;
    this.hw = new Float64Array(P);
    this.active = cfg.initialPartitions;
    this.partitioner = makePartitioner(cfg.partitioner, this.active);
    this.crossPrevs = Array.from({ length: P }, () => new Map());
    if (cfg.repartition) this.keysSeen = new Set();
    this.appendedPer = new Float64Array(P);
    const slots = P * this.rf;
    this.rep = new Float64Array(slots);
    this.known = new Float64Array(slots);
    this.fetchState = new Uint8Array(slots);
    this.sendingTo = new Float64Array(slots);
    this.inSync = new Uint8Array(slots).fill(1);
    this.seq = new Int32Array(slots);
    this.electSeq = new Int32Array(P);
    this.lastLeaderSlot = new Int32Array(P);
    for (let p = 0; p < P; p++) this.fetchState[p * this.rf] = OUT;
    this.awaiting = Array.from({ length: P }, () => new IntQueue());
    this.ackedEnd = new Float64Array(P);
    this.offlineSince = new Float64Array(P).fill(-1);
    this.caughtUpAt = new Float64Array(slots);
    this.answerEnd = new Float64Array(slots);
    this.answerAt = new Float64Array(slots);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.appendedEv = sim.q.on((id) => this.appended(id));
    this.fetchWaitEv = sim.q.on((slot) => this.waited(slot));
    this.replicatedEv = sim.q.on((arg) => this.replicated(arg));
    this.askedEv = sim.q.on((arg) => this.asked(arg));
    this.electEv = sim.q.on((arg) => this.elect(arg));
    this.isrCheckEv = sim.q.on(() => this.checkIsr());
    this.repartitionEv = sim.q.on(() => this.repartition());
  }

  override start(): void {
    super.start();
    if (this.rf > 1) this.sim.q.schedule(this.tcfg.replicaLagMaxMs / 2, this.isrCheckEv, 0);
    if (this.tcfg.repartition) this.sim.q.at(this.tcfg.repartition.atMs, this.repartitionEv, 0);
  }

  // ---------- partition count change (MQ-13) ----------

  /**
   * Partitions are added: from now on keys go to hash(key) over the new
   * count. A key that lands elsewhere than before has its older messages
   * in the old partition, read independently of its newer ones in the new:
   * its order holds only if the old ones are processed first. The groups
   * rebalance to take the new partitions.
   */
  private repartition(): void {
    const to = this.tcfg.repartition!.partitions;
    const before = this.partitioner;
    const after = makePartitioner(this.tcfg.partitioner, to);
    let moved = 0;
    for (const key of this.keysSeen!) {
      const q = before.shardOf(key);
      if (after.shardOf(key) === q) continue;
      moved++;
      this.movedFrom.set(key, q);
    }
    this.repartitioned = { atMs: this.sim.now, keys: this.keysSeen!.size, movedKeys: moved };
    this.keysSeen = null;
    this.partitioner = after;
    this.active = to;
    for (const g of this.groups) g.active = to;
    for (const f of this.onRepartition) f();
  }

  /** The previous message of the same key in another partition, for the first of a moved key's messages in its new one. */
  readonly crossPrevOf = (p: number, o: number): readonly [number, number] | null =>
    this.crossPrevs[p].get(o) ?? null;

  /** Registers the group a consumer component reads the topic as. */
  addGroup(callerIndex: number, g: GroupState): void {
    if (g.index !== this.groups.length) throw new Error(`group ${g.index} registered out of order`);
    g.active = this.active;
    if (this.tcfg.repartition) g.ledger.crossPrev = this.crossPrevOf;
    this.groups.push(g);
    this.groupOfCaller[callerIndex] = g;
  }

  /** A new message id, for a publish call (its retries carry the same). */
  newMessageId(): number {
    return this.ids++;
  }

  partitionOf(key: number): number {
    return this.partitioner.shardOf(key);
  }

  /** The broker holding replica slot j of partition p. */
  private brokerOf(p: number, j: number): number {
    return (p + j) % this.tcfg.instances;
  }

  /** Offset below which partition p can be read now; -1 while it has no live leader. */
  readonly readable = (p: number): number => {
    const b = this.leader[p];
    return b >= 0 && this.alive[b] === 1 ? this.hw[p] : -1;
  };

  override pick(job: Job): number {
    if (job.op === OP_FETCH || job.op === OP_COMMIT_OFFSETS) return -1;
    job.shard = this.partitionOf(job.key);
    const b = this.leader[job.shard];
    // a partition without a leader: its last leader, who is down, refuses the publish
    return b >= 0 ? b : this.brokerOf(job.shard, this.lastLeader(job.shard));
  }

  override accept(job: Job): void {
    if (job.op === OP_FETCH) return this.fetch(job);
    if (job.op === OP_COMMIT_OFFSETS) return this.commit(job);
    // a publish sent to a chosen instance (not through pick) still needs its partition
    if (job.instance < 0) job.instance = this.pick(job);
    super.accept(job);
  }

  protected begin(job: Job): void {
    this.sim.q.schedule(this.tcfg.appendTime.sample(this.rng) + this.slowMs, this.appendedEv, job.id);
  }

  private appended(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    const p = job.shard;
    // leadership moved while the append was under way: the old leader cannot take it
    if (this.leader[p] !== job.instance) return this.finish(job, INSTANCE_DOWN);
    // acks all: too few replicas in sync to make the message safe, so it is not taken
    if (this.tcfg.acks === "all" && this.isrSize(p) < this.tcfg.minInsync) {
      this.notEnoughReplicas++;
      return this.finish(job, NOT_ENOUGH_REPLICAS);
    }
    if (job.abandoned) this.appendedAfterTimeout++;
    const log = this.logs[p];
    if (this.keysSeen) this.keysSeen.add(job.key);
    const q = this.movedFrom.get(job.key);
    if (q !== undefined && q !== p) {
      // a moved key's first message in its new partition: its predecessor is the old one's latest
      this.movedFrom.delete(job.key);
      const prev = this.logs[q].lastOffsetOf(job.key);
      if (prev >= 0) this.crossPrevs[p].set(log.end, [q, prev]);
    }
    // the message carries when its request began (work no request asked for: its publish call)
    job.expect = log.append(
      job.aux,
      job.key,
      this.sim.now,
      job.size,
      job.origin >= 0 ? job.origin : job.start,
    );
    if (job.ledger > 0) this.sim.ledgers[job.ledger]!.appended(job);
    this.appendedPer[p]++;
    if (this.tcfg.acks === "leader") {
      this.ackedEnd[p] = log.end;
      this.finish(job, OK);
    } else {
      // acknowledged once every in-sync replica has it (the worker is free meanwhile)
      this.awaiting[p].push(job.id);
      this.suspend(job);
    }
    for (let j = 0; j < this.rf; j++) this.wake(p, j);
    this.advance(p);
    this.appendedBytes += job.size;
    if (job.size > this.maxSize) this.maxSize = job.size;
    if (this.tcfg.outputBufferBytes !== Infinity) this.checkOutputBuffers(p);
  }

  /**
   * Redis Pub/Sub: a subscriber whose output buffer (what it has not read
   * yet) exceeds the limit is disconnected at once; what was in the buffer
   * is lost, and it gets only what is published after it reconnects.
   */
  private checkOutputBuffers(p: number): void {
    const limit = this.tcfg.outputBufferBytes;
    for (const g of this.groups) {
      const m = g.owner[p];
      if (m < 0 || !g.isAlive(m)) continue;
      let behind = 0;
      for (const q of g.assigned[m]) behind += Math.max(0, this.hw[q] - g.position[q]);
      if (behind * this.maxSize <= limit) continue;
      let bytes = 0;
      for (const q of g.assigned[m]) bytes += this.logs[q].bytesFrom(g.position[q]);
      if (bytes <= limit) continue;
      this.disconnects++;
      for (const q of g.assigned[m]) {
        const to = this.hw[q];
        this.lostToDisconnect += g.ledger.skippedOver(q, g.position[q], to);
        g.position[q] = to;
        if (g.committed[q] < to) g.committed[q] = to;
      }
    }
  }

  /** Recomputes partition p's high watermark; acknowledges and announces what it passed. */
  private advance(p: number): void {
    const ls = this.leaderSlot[p];
    if (ls < 0) return;
    const end = this.logs[p].end;
    let hw = end;
    for (let j = 0; j < this.rf; j++) {
      const s = p * this.rf + j;
      if (j !== ls && this.inSync[s] === 1 && this.known[s] < hw) hw = this.known[s];
    }
    if (hw <= this.hw[p]) return;
    this.hw[p] = hw;
    if (this.tcfg.acks === "all") {
      this.ackedEnd[p] = hw;
      const q = this.awaiting[p];
      // replicated by every in-sync replica, but those are too few: in the log, yet refused
      const enough = this.isrSize(p) >= this.tcfg.minInsync;
      while (q.length > 0 && this.sim.pool.jobs[q.peek()].expect < hw) {
        if (!enough) this.notEnoughReplicas++;
        this.respond(this.sim.pool.jobs[q.shift()], enough ? OK : NOT_ENOUGH_REPLICAS);
      }
    }
    this.arrived(p);
  }

  // ---------- replication ----------

  /** In-sync replicas of partition p, its leader included. */
  private isrSize(p: number): number {
    let n = 0;
    for (let j = 0; j < this.rf; j++) n += this.inSync[p * this.rf + j];
    return n;
  }

  /** Every replicaLagMax/2: followers not caught up for replicaLagMax leave the in-sync replicas. */
  private checkIsr(): void {
    const now = this.sim.now;
    for (let p = 0; p < this.logs.length; p++) {
      const ls = this.leaderSlot[p];
      if (ls < 0) continue;
      const end = this.logs[p].end;
      let shrunk = false;
      for (let j = 0; j < this.rf; j++) {
        const s = p * this.rf + j;
        if (j === ls || this.inSync[s] === 0) continue;
        // a follower whose fetch waits at the leader with nothing to copy is caught up
        if (this.fetchState[s] === PARKED && this.known[s] >= end) this.caughtUpAt[s] = now;
        if (now - this.caughtUpAt[s] > this.tcfg.replicaLagMaxMs) {
          this.inSync[s] = 0;
          this.isrShrinks++;
          shrunk = true;
        }
      }
      if (shrunk) this.advance(p);
    }
    this.sim.q.schedule(this.tcfg.replicaLagMaxMs / 2, this.isrCheckEv, 0);
  }

  private slotEvent(s: number): number {
    this.seq[s] = (this.seq[s] + 1) % Math.floor(0x7fffffff / this.seq.length);
    return this.seq[s] * this.seq.length + s;
  }

  /** The slot an event is for, or -1 if a later event for that slot overtook it. */
  private slotOf(arg: number): number {
    const s = arg % this.seq.length;
    return Math.floor(arg / this.seq.length) === this.seq[s] ? s : -1;
  }

  /** A parked follower of p in slot j gets what the leader has beyond it. */
  private wake(p: number, j: number): void {
    const s = p * this.rf + j;
    const ls = this.leaderSlot[p];
    if (ls < 0 || j === ls || this.fetchState[s] !== PARKED) return;
    const end = this.logs[p].end;
    if (this.rep[s] >= end) return;
    const from = this.zoneOf(this.brokerOf(p, ls));
    const to = this.zoneOf(this.brokerOf(p, j));
    // a follower cut off from its leader waits for the partition to heal (networkChanged)
    if (this.sim.net.partitioned && this.sim.net.isCut(from, to)) return;
    this.fetchState[s] = SENDING;
    this.sendingTo[s] = Math.min(end, this.rep[s] + REPLICA_FETCH_MAX);
    this.answerEnd[s] = end;
    this.answerAt[s] = this.sim.now;
    const d = this.sim.net.delay(from, to, this.netRng) + this.tcfg.appendTime.sample(this.rng);
    this.sim.q.schedule(d, this.replicatedEv, this.slotEvent(s));
  }

  /** The leader's answer reached the follower, which appended it and asks for more. */
  private replicated(arg: number): void {
    const s = this.slotOf(arg);
    if (s < 0) return;
    const p = Math.floor(s / this.rf);
    const j = s % this.rf;
    if (this.sendingTo[s] > this.rep[s]) this.rep[s] = Math.min(this.sendingTo[s], this.logs[p].end);
    this.fetchState[s] = ASKING;
    const ls = this.leaderSlot[p];
    const d =
      ls < 0
        ? 0
        : this.sim.net.delay(
            this.zoneOf(this.brokerOf(p, j)),
            this.zoneOf(this.brokerOf(p, ls)),
            this.netRng,
          );
    this.sim.q.schedule(d, this.askedEv, this.slotEvent(s));
  }

  /** The follower's fetch reached the leader: the leader learns how far it got. */
  private asked(arg: number): void {
    const s = this.slotOf(arg);
    if (s < 0) return;
    const p = Math.floor(s / this.rf);
    const j = s % this.rf;
    this.fetchState[s] = PARKED;
    if (this.leaderSlot[p] < 0) return;
    this.known[s] = this.rep[s];
    // caught up: to the leader's end now, or to its end when it last sent (as Kafka's leader judges)
    if (this.rep[s] >= this.logs[p].end) this.caughtUpAt[s] = this.sim.now;
    else if (this.rep[s] >= this.answerEnd[s] && this.answerAt[s] > this.caughtUpAt[s])
      this.caughtUpAt[s] = this.answerAt[s];
    // a follower back from the dead, or back in touch, rejoins the in-sync replicas once it has the high watermark
    if (this.inSync[s] === 0 && this.rep[s] >= this.hw[p]) {
      this.inSync[s] = 1;
      this.isrExpands++;
      this.caughtUpAt[s] = this.sim.now;
    }
    this.advance(p);
    this.wake(p, j);
  }

  /** New messages are readable in partition p: wake the fetches parked by its owners. */
  private arrived(p: number): void {
    for (const g of this.groups) {
      const m = g.owner[p];
      if (m >= 0 && g.parked[m] >= 0) this.answerParked(g, m);
    }
  }

  override kill(b: number): void {
    if (this.alive[b] === 0) return;
    super.kill(b);
    const now = this.sim.now;
    for (let p = 0; p < this.logs.length; p++)
      for (let j = 0; j < this.rf; j++) {
        if (this.brokerOf(p, j) !== b) continue;
        const s = p * this.rf + j;
        this.slotEvent(s); // calls off its pending replication event
        if (j === this.leaderSlot[p]) {
          // the leader is gone: publishes waiting for replicas fail, the partition is offline
          const q = this.awaiting[p];
          while (q.length > 0) this.respond(this.sim.pool.jobs[q.shift()], INSTANCE_DOWN);
          this.rep[s] = this.logs[p].end;
          this.inSync[s] = 0;
          this.leaderSlot[p] = -1;
          this.leader[p] = -1;
          this.offlineSince[p] = now;
          if (this.rf > 1) this.sim.q.schedule(this.tcfg.failoverMs, this.electEv, this.electionFor(p));
        } else {
          if (this.inSync[s] === 1) this.isrShrinks++;
          this.inSync[s] = 0;
          this.advance(p);
        }
        this.fetchState[s] = OUT;
      }
  }

  override restart(b: number): void {
    if (this.alive[b] === 1) return;
    super.restart(b);
    for (let p = 0; p < this.logs.length; p++)
      for (let j = 0; j < this.rf; j++) {
        if (this.brokerOf(p, j) !== b) continue;
        const s = p * this.rf + j;
        if (this.leaderSlot[p] < 0) {
          // a partition without a leader: its last leader takes it back, or any replica that was in sync
          if (this.lastLeader(p) === j || this.inSync[s] === 1) this.takeOver(p, j);
          continue;
        }
        // a follower again: it keeps its log (no longer than the leader's) and catches up
        this.rep[s] = Math.min(this.rep[s], this.logs[p].end);
        this.known[s] = this.rep[s];
        this.fetchState[s] = PARKED;
        this.wake(p, j);
      }
  }

  private lastLeader(p: number): number {
    return this.lastLeaderSlot[p];
  }

  private electionFor(p: number): number {
    this.electSeq[p]++;
    return this.electSeq[p] * this.logs.length + p;
  }

  /** The controller elects a new leader for p among its live in-sync followers. */
  private elect(arg: number): void {
    const P = this.logs.length;
    const p = arg % P;
    if (Math.floor(arg / P) !== this.electSeq[p] || this.leaderSlot[p] >= 0) return;
    for (let j = 0; j < this.rf; j++) {
      const s = p * this.rf + j;
      if (this.inSync[s] === 1 && this.alive[this.brokerOf(p, j)] === 1) return this.takeOver(p, j);
    }
    // no live in-sync replica: the partition stays offline until one comes back (no unclean election)
  }

  /** Replica j leads p from now on, with the log it has: anything beyond it is truncated. */
  private takeOver(p: number, j: number): void {
    const log = this.logs[p];
    const s = p * this.rf + j;
    const was = this.lastLeader(p);
    const end = Math.max(this.rep[s], log.start, this.hw[p]);
    if (end < log.end) {
      this.truncated += log.end - end;
      this.acknowledgedLost += Math.max(0, this.ackedEnd[p] - end);
      this.ackedEnd[p] = Math.min(this.ackedEnd[p], end);
      log.truncate(end);
    }
    if (j !== was) this.failovers++;
    this.leaderSlot[p] = j;
    this.lastLeaderSlot[p] = j;
    this.leader[p] = this.brokerOf(p, j);
    this.fetchState[s] = OUT;
    this.inSync[s] = 1;
    this.electSeq[p]++;
    if (this.offlineSince[p] >= 0) {
      this.offlineMs += this.sim.now - this.offlineSince[p];
      this.offlineSince[p] = -1;
    }
    for (let k = 0; k < this.rf; k++) {
      if (k === j) continue;
      const f = p * this.rf + k;
      // followers drop whatever the new leader does not have, and fetch from it
      this.rep[f] = Math.min(this.rep[f], end);
      this.known[f] = this.rep[f];
      this.caughtUpAt[f] = this.sim.now;
      this.answerEnd[f] = Infinity;
      this.slotEvent(f);
      if (this.alive[this.brokerOf(p, k)] === 1) {
        this.fetchState[f] = PARKED;
        this.wake(p, k);
      } else this.fetchState[f] = OUT;
    }
    this.advance(p);
    this.arrived(p);
  }

  override networkChanged(): void {
    for (let p = 0; p < this.logs.length; p++) for (let j = 0; j < this.rf; j++) this.wake(p, j);
  }

  // ---------- consumers ----------

  private fetch(job: Job): void {
    const g = this.groupOfCaller[job.caller];
    const m = job.callerInstance;
    this.fetches++;
    // a fetch from a member that has died since it was sent is not served
    if (job.expect !== g.incarnation[m]) {
      job.aux = 0;
      job.outcome = INSTANCE_DOWN;
      this.sim.reply(job);
      return;
    }
    if (g.hasMessages(m, this.readable)) return this.answer(g, m, job);
    // long poll: wait at the broker for messages, or for fetchWait
    g.parked[m] = job.id;
    const slot = this.freeWaits.pop() ?? this.waitJob.length;
    this.waitJob[slot] = job.id;
    this.waitSerial[slot] = job.serial;
    job.timer = slot;
    this.sim.q.schedule(this.tcfg.fetchWaitMs, this.fetchWaitEv, slot);
  }

  private waited(slot: number): void {
    const id = this.waitJob[slot];
    const serial = this.waitSerial[slot];
    this.freeWaits.push(slot);
    const job = this.sim.pool.jobs[id];
    if (job.serial !== serial || job.timer !== slot) return; // answered already
    const g = this.groupOfCaller[job.caller];
    this.answerParked(g, job.callerInstance);
  }

  /** Answers member m's parked fetch now, with what there is. */
  answerParked(g: GroupState, m: number): void {
    const id = g.parked[m];
    if (id < 0) return;
    g.parked[m] = -1;
    const job = this.sim.pool.jobs[id];
    job.timer = -1;
    this.answer(g, m, job);
  }

  /** A member died: its parked fetch is dropped (nobody will read the answer). */
  dropParked(g: GroupState, m: number): void {
    const id = g.parked[m];
    if (id < 0) return;
    g.parked[m] = -1;
    const job = this.sim.pool.jobs[id];
    job.timer = -1;
    this.sim.release(job);
  }

  private answer(g: GroupState, m: number, job: Job): void {
    const n = g.fill(m, this.readable);
    if (n === 0) this.emptyFetches++;
    job.aux = n;
    job.outcome = OK;
    this.sim.reply(job);
  }

  private commit(job: Job): void {
    const g = this.groupOfCaller[job.caller];
    const m = job.callerInstance;
    // a commit from a member that died while it was on its way is lost with it
    // aux 1: an auto-commit of the member's fetch positions; otherwise its batch's end
    const live = job.expect === g.incarnation[m];
    job.outcome = live && (job.aux === 1 ? g.commitPositions(m) : g.commit(m)) ? OK : INSTANCE_DOWN;
    this.sim.reply(job);
  }

  // ---------- retention ----------

  override tick(second: number): void {
    super.tick(second);
    const now = this.sim.now;
    for (let p = 0; p < this.logs.length; p++) {
      const log = this.logs[p];
      if (this.fireAndForget) {
        // nothing is kept: what every group has taken (all of it, with no group) is gone
        let taken = this.hw[p];
        for (const g of this.groups) if (g.joined) taken = Math.min(taken, g.committed[p]);
        log.deliveredUpTo(taken, (from, to) => {
          for (const g of this.groups) g.deleted(p, from, to);
        });
        log.compact(taken);
        continue;
      }
      log.retain(now - this.tcfg.retentionMs, this.tcfg.retentionBytes, (from, to) => {
        this.deletedMessages += to - from;
        for (const g of this.groups) g.deleted(p, from, to);
      });
      let floor = this.hw[p];
      for (const g of this.groups) floor = Math.min(floor, g.floor(p));
      log.compact(floor);
    }
  }

  report(now: number): ComponentReport {
    const base = this.stationReport(now);
    let retained = 0;
    let bytes = 0;
    let held = 0;
    for (const log of this.logs) {
      retained += log.length;
      bytes += log.bytes;
      held += log.held;
    }
    let offlineMs = this.offlineMs;
    for (const since of this.offlineSince) if (since >= 0) offlineMs += now - since;
    return {
      ...base,
      partitions: this.active,
      partitioner: this.tcfg.partitioner,
      ...(this.repartitioned
        ? {
            repartition: {
              at: this.repartitioned.atMs,
              from: this.tcfg.initialPartitions,
              to: this.active,
              keys: this.repartitioned.keys,
              movedKeys: this.repartitioned.movedKeys,
              movedFraction:
                this.repartitioned.keys > 0
                  ? Math.round((this.repartitioned.movedKeys / this.repartitioned.keys) * 1e4) / 1e4
                  : 0,
            },
          }
        : {}),
      messages: this.logs.reduce((s, l) => s + l.end, 0),
      appendedBytes: this.appendedBytes,
      messagesPerPartition: Array.from(this.appendedPer),
      appendedAfterTimeout: this.appendedAfterTimeout,
      retained,
      retainedBytes: bytes,
      // a fire-and-forget topic's log is only messages on their way: none can be read again
      replayable: this.fireAndForget ? 0 : retained,
      ...(this.tcfg.tieredAfterMs !== Infinity ? { tieredStorage: this.tiered(now, bytes) } : {}),
      ...(this.tcfg.outputBufferBytes !== Infinity
        ? {
            outputBuffer: {
              limit: this.tcfg.outputBufferBytes,
              disconnects: this.disconnects,
              lost: this.lostToDisconnect,
            },
          }
        : {}),
      deletedByRetention: this.deletedMessages,
      heldInMemory: held,
      fetches: this.fetches,
      emptyFetches: this.emptyFetches,
      ...(this.rf > 1
        ? {
            replication: {
              factor: this.rf,
              acks: this.tcfg.acks,
              failovers: this.failovers,
              truncated: this.truncated,
              acknowledgedLost: this.acknowledgedLost,
              offlineMs,
              underReplicated: this.underReplicated(),
              minInsync: this.tcfg.minInsync,
              isrShrinks: this.isrShrinks,
              isrExpands: this.isrExpands,
              notEnoughReplicas: this.notEnoughReplicas,
            },
          }
        : {}),
    };
  }

  /** Retained bytes on the brokers' disks and offloaded to object storage. */
  private tiered(now: number, retainedBytes: number): Record<string, number> {
    let offloaded = 0;
    for (const log of this.logs) offloaded += log.bytesSealedBefore(now - this.tcfg.tieredAfterMs);
    return {
      after: this.tcfg.tieredAfterMs,
      offloadedBytes: offloaded,
      brokerBytes: retainedBytes - offloaded,
    };
  }

  /** Partitions with a replica out of sync at the end. */
  private underReplicated(): number {
    let n = 0;
    for (let p = 0; p < this.logs.length; p++)
      for (let j = 0; j < this.rf; j++)
        if (this.inSync[p * this.rf + j] === 0 || this.leaderSlot[p] < 0) {
          n++;
          break;
        }
    return n;
  }
}

function makePartitioner(kind: PartitionerKind, partitions: number): Partitioner {
  return kind === "consistent-hash"
    ? new ConsistentHashPartitioner(partitions)
    : new HashModPartitioner(partitions);
}
