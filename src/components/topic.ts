// A topic of a log (Kafka-style, MQ-04..MQ-09): P partitions spread over
// broker nodes. A producer's message goes to partition hash(key) mod P, whose
// leader broker appends it (a broker is a station: request handler threads
// and a bounded queue, so a broker has a throughput and fills up). Messages
// stay for the retention period whatever is consumed; each consumer group
// reads them at its own pace from its own offsets. Fetches and offset
// commits are answered by the topic without a handler thread: appends are
// what a broker's capacity is spent on.
import type { Sampler } from "../kernel/distributions.js";
import { HashModPartitioner } from "../mechanisms/partitioning.js";
import { PartitionLog } from "../mechanisms/partition-log.js";
import type { GroupState } from "./consumer-group.js";
import { type Job, OP_COMMIT_OFFSETS, OP_FETCH } from "./job.js";
import { INSTANCE_DOWN, OK } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";

export interface TopicConfig extends StationConfig {
  partitions: number;
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
}

export class Topic extends Station {
  readonly kind = "topic";
  readonly logs: PartitionLog[];
  /** per partition: the broker (instance) that leads it */
  readonly leader: Int32Array;
  /** per partition: offset below which messages are visible to consumers (the high watermark) */
  readonly hw: Float64Array;
  private readonly partitioner: HashModPartitioner;
  /** the consumer groups reading this topic, by group index, and by the consumer component's index */
  readonly groups: GroupState[] = [];
  private readonly groupOfCaller: GroupState[] = [];
  private appendedEv = -1;
  private fetchWaitEv = -1;
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

  private readonly tcfg: TopicConfig;

  constructor(name: string, cfg: TopicConfig) {
    super(name, cfg);
    this.tcfg = cfg;
    this.logs = Array.from({ length: cfg.partitions }, () => new PartitionLog(cfg.segmentSize, cfg.groups));
    this.leader = new Int32Array(cfg.partitions);
    for (let p = 0; p < cfg.partitions; p++) this.leader[p] = p % cfg.instances;
    this.hw = new Float64Array(cfg.partitions);
    this.partitioner = new HashModPartitioner(cfg.partitions);
    this.appendedPer = new Float64Array(cfg.partitions);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.appendedEv = sim.q.on((id) => this.appended(id));
    this.fetchWaitEv = sim.q.on((slot) => this.waited(slot));
  }

  /** Registers the group a consumer component reads the topic as; returns its index. */
  addGroup(callerIndex: number, g: GroupState): void {
    if (g.index !== this.groups.length) throw new Error(`group ${g.index} registered out of order`);
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

  /** Offset below which partition p can be read now; -1 while its leader is down. */
  readonly readable = (p: number): number => (this.alive[this.leader[p]] === 1 ? this.hw[p] : -1);

  override pick(job: Job): number {
    if (job.op === OP_FETCH || job.op === OP_COMMIT_OFFSETS) return -1;
    job.shard = this.partitionOf(job.key);
    return this.leader[job.shard];
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
    const now = this.sim.now;
    if (job.abandoned) this.appendedAfterTimeout++;
    this.logs[p].append(job.aux, job.key, now, job.size);
    this.appendedPer[p]++;
    this.hw[p] = this.logs[p].end;
    this.finish(job, OK);
    this.arrived(p);
  }

  /** New messages are readable in partition p: wake the fetches parked by its owners. */
  private arrived(p: number): void {
    for (const g of this.groups) {
      const m = g.owner[p];
      if (m >= 0 && g.parked[m] >= 0) this.answerParked(g, m);
    }
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
    job.outcome = job.expect === g.incarnation[m] && g.commit(m) ? OK : INSTANCE_DOWN;
    this.sim.reply(job);
  }

  // ---------- retention ----------

  override tick(second: number): void {
    super.tick(second);
    const now = this.sim.now;
    for (let p = 0; p < this.logs.length; p++) {
      const log = this.logs[p];
      log.retain(now - this.tcfg.retentionMs, this.tcfg.retentionBytes, (from, to) => {
        this.deletedMessages += to - from;
        for (const g of this.groups) g.deleted(p, from, to);
      });
      let floor = this.hw[p];
      for (const g of this.groups) floor = Math.min(floor, g.floor(p));
      log.compact(floor);
    }
  }

  override restart(instance: number): void {
    super.restart(instance);
    // the partitions it leads can be read again
    for (let p = 0; p < this.leader.length; p++) if (this.leader[p] === instance) this.arrived(p);
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
    return {
      ...base,
      partitions: this.logs.length,
      messages: this.logs.reduce((s, l) => s + l.end, 0),
      messagesPerPartition: Array.from(this.appendedPer),
      appendedAfterTimeout: this.appendedAfterTimeout,
      retained,
      retainedBytes: bytes,
      deletedByRetention: this.deletedMessages,
      heldInMemory: held,
      fetches: this.fetches,
      emptyFetches: this.emptyFetches,
    };
  }
}
