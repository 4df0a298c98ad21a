// A consumer group reading a topic (MQ-05, MQ-10..MQ-12): instances, each
// with `concurrency` workers, that are a service whose requests come from the
// log. Each live instance owns some partitions (at most one instance per
// partition; instances beyond the partition count idle) and loops: fetch a
// batch from its partitions (the broker holds an empty fetch until messages
// arrive), commit the batch's offsets before or after processing it, run the
// steps for every message (as a service runs a route: computing, calling,
// reading, writing, publishing), and fetch again.
//
// Where the commit goes decides what a crash does (MQ-10, MQ-11): committed
// before processing, the messages a dead instance was processing are never
// processed (lost); committed after, the ones it processed but had not
// committed are processed again by the partition's next owner (duplicated).
// A dedup store of processed message ids turns those redeliveries into skips.
//
// Membership changes rebalance the group (eager, stop-the-world): a dead
// instance is noticed after the session timeout, a restarted one rejoins at
// once; every live instance finishes its batch and stops fetching, and after
// the rebalance pause the partitions are shared out again, each new owner
// starting at the committed offset.
//
// An autoscaled group (MQ-05, MQ-12) changes its membership the same way: a
// launched instance joins once it has booted; a drained one leaves, finishing
// and committing the batch it holds first (its fetch sent before the drain is
// still processed), and stops once the rebalance has shared its partitions
// out. Only instances in service own partitions.
import { ABSENT, DedupStore } from "../mechanisms/dedup-store.js";
import type { GroupState } from "./consumer-group.js";
import { DRAINING, IN_SERVICE } from "./fleet.js";
import { type Job, OP_COMMIT_OFFSETS, OP_FETCH, OP_MESSAGE } from "./job.js";
import { LatencyRecorder } from "../metrics/latency.js";
import { OK } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Service, type ServiceConfig } from "./service.js";
import type { Topic } from "./topic.js";

export type CommitMode = "before" | "after";

export interface ConsumerConfig extends ServiceConfig {
  topic: Topic;
  group: GroupState;
  groupName: string;
  /** route index of the messages (their steps are the plan for any route) */
  route: number;
  commit: CommitMode;
  /** the group joins (its first assignment) at this time */
  startMs: number;
  /** after this time an instance that finds no message stops fetching (the run is over) */
  stopMs: number;
  sessionTimeoutMs: number;
  rebalancePauseMs: number;
  /** tries per delivery of a message before it is given up */
  attempts: number;
  /** wait before fetching again after a failed fetch or commit */
  retryBackoffMs: number;
  /** ids of processed messages are remembered this long (null: no dedup) */
  dedupTtlMs: number | null;
  /** lag above which an alert second is counted: in messages, or in ms of age (null: none) */
  alertAboveMessages: number | null;
  alertAboveMs: number | null;
}

/** what an instance is doing */
const DOWN = 0;
const IDLE = 1;
/** a poll is scheduled */
const WAITING = 2;
const FETCHING = 3;
/** commit before processing: waiting for the commit to be acknowledged */
const COMMIT_BEFORE = 4;
const PROCESSING = 5;
/** commit after processing: waiting for its acknowledgement */
const COMMIT_AFTER = 6;

export class Consumer extends Service {
  override readonly kind = "consumer";
  readonly topic: Topic;
  readonly group: GroupState;
  private readonly phase: Uint8Array;
  private readonly outstanding: Int32Array;
  /** per instance: when its current batch's fetch was sent (a draining instance still processes that batch) */
  private readonly fetchedAt: Float64Array;
  private readonly dedup: DedupStore | null;
  private pollEv = -1;
  private joinEv = -1;
  private detectEv = -1;
  private rebalanceEv = -1;
  /** the incarnation a pending detection of each instance's death is for */
  private readonly detectFor: Int32Array;
  private rebalancing = false;
  private rebalanceEnd = 0;
  private rebalanceToken = 0;
  rebalances = 0;
  private deliveries = 0;
  private dedupSkipped = 0;
  private processedAtTick = 0;
  private maxLag = 0;
  private maxLagMs = 0;
  private alertSeconds = 0;
  private readonly lagSeries: number[] = [];
  private readonly lagSecondsSeries: number[] = [];
  private readonly processedSeries: number[] = [];
  /** from the request a message descends from to the end of the message's first completed processing */
  private readonly endToEnd = new LatencyRecorder();
  private readonly partitionLag: number[][];
  private readonly partitionLagSeconds: number[][];

  constructor(
    name: string,
    readonly ccfg: ConsumerConfig,
  ) {
    super(name, ccfg);
    this.topic = ccfg.topic;
    this.group = ccfg.group;
    // instance slots: a fleet that grows launches into spare ones
    const n = this.instances();
    this.phase = new Uint8Array(n).fill(IDLE);
    this.outstanding = new Int32Array(n);
    this.fetchedAt = new Float64Array(n);
    this.detectFor = new Int32Array(n).fill(-1);
    this.dedup = ccfg.dedupTtlMs !== null ? new DedupStore(ccfg.dedupTtlMs) : null;
    const P = ccfg.group.partitions;
    this.partitionLag = Array.from({ length: P }, () => []);
    this.partitionLagSeconds = Array.from({ length: P }, () => []);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.pollEv = sim.q.on((m) => this.polled(m));
    this.joinEv = sim.q.on(() => this.join());
    this.detectEv = sim.q.on((m) => this.detected(m));
    this.rebalanceEv = sim.q.on((token) => {
      if (token === this.rebalanceToken) this.maybeFinishRebalance();
    });
    // a drained instance leaves the group (launched ones join in instanceStarted)
    this.fleet.onPhase((m, phase) => {
      if (phase === DRAINING && this.alive[m] === 1) this.beginRebalance();
    });
  }

  override start(): void {
    super.start();
    this.sim.q.at(this.ccfg.startMs, this.joinEv, 0);
  }

  /** Messages are the consumer's traffic: counted, timed and shown in its utilisation. */
  protected override isTraffic(job: Job): boolean {
    return job.op === OP_MESSAGE || super.isTraffic(job);
  }

  /** Instances that are members of the group: alive and in service (not booting, draining or stopped). */
  private live(): number[] {
    const out: number[] = [];
    for (let m = 0; m < this.phase.length; m++) if (this.member(m)) out.push(m);
    return out;
  }

  private member(m: number): boolean {
    return this.alive[m] === 1 && this.fleet.phase[m] === IN_SERVICE;
  }

  /** Messages published and not yet committed, over the partitions (what a lag-based autoscaler tracks). */
  totalLag(): number {
    let lag = 0;
    for (let p = 0; p < this.group.partitions; p++) lag += this.group.lag(p, this.topic.hw[p]);
    return lag;
  }

  /**
   * A draining instance is done once it holds no batch, no fetch or commit is
   * on its way, and it owns no partition (the rebalance has moved them).
   */
  override idle(m: number): boolean {
    if (!super.idle(m)) return false;
    return this.phase[m] === DOWN || (this.phase[m] === IDLE && this.group.assigned[m].length === 0);
  }

  /** A launched instance has booted: it joins the group. */
  override instanceStarted(m: number): void {
    this.phase[m] = IDLE;
    this.beginRebalance();
  }

  private join(): void {
    const topic = this.topic;
    this.group.join((p) => topic.hw[p]);
    this.group.assign(this.live());
    for (const m of this.live()) this.schedulePoll(m, 0);
  }

  private schedulePoll(m: number, delay: number): void {
    this.phase[m] = WAITING;
    this.sim.q.schedule(delay, this.pollEv, m);
  }

  private polled(m: number): void {
    if (this.phase[m] !== WAITING) return; // a kill or a rebalance overtook it
    this.poll(m);
  }

  private poll(m: number): void {
    this.phase[m] = IDLE;
    if (this.rebalancing) return this.maybeFinishRebalance();
    if (this.group.assigned[m].length === 0) return;
    this.phase[m] = FETCHING;
    this.fetchedAt[m] = this.sim.now;
    this.group.batchLen[m] = 0;
    const f = this.sim.child(null, this, m);
    f.op = OP_FETCH;
    f.expect = this.group.incarnation[m];
    this.sim.send(f, this.topic, -1);
  }

  override onReply(c: Job): void {
    if (c.op === OP_MESSAGE) return this.messageEnded(c);
    if (c.op === OP_FETCH) return this.fetched(c);
    if (c.op === OP_COMMIT_OFFSETS) return this.committedReply(c);
    super.onReply(c);
  }

  private fetched(c: Job): void {
    const m = c.callerInstance;
    const stale = c.expect !== this.group.incarnation[m];
    const ok = c.outcome === OK;
    const n = c.aux;
    this.sim.release(c);
    if (stale) return; // the instance died meanwhile; its batch was dropped then
    if (!ok) {
      // the answer was lost (a partition): whatever the broker handed over is fetched again
      this.unfetch(m);
      return this.schedulePoll(m, this.ccfg.retryBackoffMs);
    }
    if (n === 0) {
      if (this.sim.now >= this.ccfg.stopMs) {
        this.phase[m] = IDLE;
        return;
      }
      return this.schedulePoll(m, 0);
    }
    this.deliveries += n;
    if (this.ccfg.commit === "before") {
      this.phase[m] = COMMIT_BEFORE;
      return this.sendCommit(m);
    }
    this.dispatch(m);
  }

  /** Gives back the messages of m's batch that it will not process; the partition's position goes back to them. */
  private unfetch(m: number): void {
    const g = this.group;
    const P = g.batchP[m];
    const O = g.batchO[m];
    for (let k = 0; k < g.batchLen[m]; k++) {
      g.ledger.dropped(P[k], O[k], g.committed[P[k]]);
      if (O[k] < g.position[P[k]]) g.position[P[k]] = O[k];
    }
    g.batchLen[m] = 0;
  }

  private sendCommit(m: number): void {
    const c = this.sim.child(null, this, m);
    c.op = OP_COMMIT_OFFSETS;
    c.expect = this.group.incarnation[m];
    this.sim.send(c, this.topic, -1);
  }

  private committedReply(c: Job): void {
    const m = c.callerInstance;
    const stale = c.expect !== this.group.incarnation[m];
    const ok = c.outcome === OK;
    this.sim.release(c);
    if (stale) return;
    if (this.phase[m] === COMMIT_BEFORE) {
      if (ok) return this.dispatch(m);
      // the commit may or may not have landed: the batch is not processed (committed, it is lost)
      this.unfetch(m);
      return this.schedulePoll(m, this.ccfg.retryBackoffMs);
    }
    // after processing: the next batch's commit covers this one's partitions if this one failed
    this.batchEnded(m);
  }

  /** Hands every message of m's batch to its workers. */
  private dispatch(m: number): void {
    const sim = this.sim;
    const g = this.group;
    const n = g.batchLen[m];
    this.phase[m] = PROCESSING;
    // one more than the messages, so that messages finishing at once do not end the batch early
    this.outstanding[m] = n + 1;
    for (let k = 0; k < n; k++) {
      const p = g.batchP[m][k];
      const o = g.batchO[m][k];
      const log = this.topic.logs[p];
      if (this.dedup) {
        const id = log.id(o);
        if (this.dedup.status(id, sim.now) !== ABSENT) {
          this.dedupSkipped++;
          g.ledger.skipped(p, o);
          this.outstanding[m]--;
          continue;
        }
        this.dedup.claim(id);
      }
      const job = sim.pool.alloc();
      job.req = job.id;
      job.caller = this.index;
      job.callerInstance = m;
      job.callee = this.index;
      job.instance = m;
      job.op = OP_MESSAGE;
      job.route = this.ccfg.route;
      job.key = log.key(o);
      // the message's partition and offset
      job.shard = p;
      job.expect = o;
      // sent when the batch was fetched: an instance draining since then still processes it
      job.start = this.fetchedAt[m];
      job.origin = log.origin(o);
      this.accept(job);
    }
    if (--this.outstanding[m] === 0) this.batchProcessed(m);
  }

  /** A message's processing ended: completed, failed, or cut short by the instance's death. */
  private messageEnded(job: Job): void {
    const g = this.group;
    const m = job.instance;
    const p = job.shard;
    const o = job.expect;
    const id = this.dedup ? this.topic.logs[p].id(o) : 0;
    if (this.alive[m] === 0) {
      g.ledger.dropped(p, o, g.committed[p]);
      this.dedup?.release(id);
      return this.sim.release(job);
    }
    if (job.outcome === OK) {
      if (g.ledger.completed(p, o)) this.endToEnd.record(this.sim.now - job.origin);
      this.dedup?.record(id, this.sim.now);
    } else if (job.attempt + 1 < this.ccfg.attempts) {
      // another try, at the back of the instance's queue
      const again = this.sim.pool.alloc();
      again.req = again.id;
      again.caller = again.callee = this.index;
      again.callerInstance = again.instance = m;
      again.op = OP_MESSAGE;
      again.route = job.route;
      again.key = job.key;
      again.shard = p;
      again.expect = o;
      again.attempt = job.attempt + 1;
      again.start = job.start;
      again.origin = job.origin;
      this.sim.release(job);
      return this.accept(again);
    } else {
      g.ledger.gaveUp(p, o);
      this.dedup?.release(id);
    }
    this.sim.release(job);
    if (--this.outstanding[m] === 0) this.batchProcessed(m);
  }

  private batchProcessed(m: number): void {
    if (this.ccfg.commit === "after") {
      this.phase[m] = COMMIT_AFTER;
      return this.sendCommit(m);
    }
    this.batchEnded(m);
  }

  private batchEnded(m: number): void {
    this.group.batchLen[m] = 0;
    // through an event, so that a backlog processed in no time does not recurse
    this.schedulePoll(m, 0);
  }

  // ---------- membership ----------

  override kill(m: number): void {
    if (this.alive[m] === 0) return;
    const phase = this.phase[m];
    // its messages in progress end now (dropped: see messageEnded)
    super.kill(m);
    const g = this.group;
    g.incarnation[m]++;
    this.topic.dropParked(g, m);
    // a batch handed over but not yet being processed
    if (phase === FETCHING || phase === COMMIT_BEFORE) this.unfetch(m);
    g.batchLen[m] = 0;
    this.phase[m] = DOWN;
    this.outstanding[m] = 0;
    if (this.fleet.phase[m] === DRAINING) this.fleet.checkDrained(m);
    this.detectFor[m] = g.incarnation[m];
    this.sim.q.schedule(this.ccfg.sessionTimeoutMs, this.detectEv, m);
  }

  /** The group coordinator has not heard from instance m for the session timeout. */
  private detected(m: number): void {
    if (this.alive[m] === 1 || this.detectFor[m] !== this.group.incarnation[m]) return;
    this.detectFor[m] = -1;
    this.beginRebalance();
  }

  override restart(m: number): void {
    if (this.alive[m] === 1) return;
    super.restart(m);
    this.phase[m] = IDLE;
    // a restarted instance whose death was not yet noticed replaces itself at once
    this.detectFor[m] = -1;
    this.beginRebalance();
  }

  private beginRebalance(): void {
    if (!this.group.joined) return;
    this.rebalances++;
    this.rebalancing = true;
    this.rebalanceEnd = this.sim.now + this.ccfg.rebalancePauseMs;
    this.sim.q.schedule(this.ccfg.rebalancePauseMs, this.rebalanceEv, ++this.rebalanceToken);
    for (let m = 0; m < this.phase.length; m++) {
      if (this.alive[m] === 0) continue;
      // fetches waiting at the broker come back (empty) and pending polls are called off
      if (this.group.parked[m] >= 0) this.topic.answerParked(this.group, m);
      if (this.phase[m] === WAITING) this.phase[m] = IDLE;
    }
  }

  /** Once the pause is over and every live instance has finished its batch, the partitions are shared out again. */
  private maybeFinishRebalance(): void {
    if (!this.rebalancing || this.sim.now < this.rebalanceEnd) return;
    // members and the instances leaving (draining) finish their batches first
    const fleet = this.fleet.phase;
    for (let m = 0; m < this.phase.length; m++)
      if (this.alive[m] === 1 && (fleet[m] === IN_SERVICE || fleet[m] === DRAINING) && this.phase[m] !== IDLE)
        return;
    this.rebalancing = false;
    const live = this.live();
    this.group.assign(live);
    for (const m of live) this.schedulePoll(m, 0);
    // those leaving own nothing now: they stop
    for (let m = 0; m < this.phase.length; m++) if (fleet[m] === DRAINING) this.fleet.checkDrained(m);
  }

  // ---------- lag ----------

  override tick(second: number): void {
    super.tick(second);
    const g = this.group;
    const topic = this.topic;
    const now = this.sim.now;
    let lag = 0;
    let lagMs = 0;
    for (let p = 0; p < g.partitions; p++) {
      const l = g.lag(p, topic.hw[p]);
      const ms = g.lagMs(p, topic.hw[p], now);
      lag += l;
      if (ms > lagMs) lagMs = ms;
      this.partitionLag[p].push(l);
      this.partitionLagSeconds[p].push(round3(ms / 1000));
    }
    this.lagSeries.push(lag);
    this.lagSecondsSeries.push(round3(lagMs / 1000));
    const processings = g.ledger.processings;
    this.processedSeries.push(processings - this.processedAtTick);
    this.processedAtTick = processings;
    if (lag > this.maxLag) this.maxLag = lag;
    if (lagMs > this.maxLagMs) this.maxLagMs = lagMs;
    const { alertAboveMessages: am, alertAboveMs: ams } = this.ccfg;
    if ((am !== null && lag > am) || (ams !== null && lagMs > ams)) this.alertSeconds++;
  }

  override report(now: number): ComponentReport {
    const base = super.report(now);
    const g = this.group;
    const topic = this.topic;
    const counts = g.ledger.counts((p) => topic.hw[p]);
    let lag = 0;
    let lagMs = 0;
    const partitions = Array.from({ length: g.partitions }, (_, p) => {
      const l = g.lag(p, topic.hw[p]);
      const ms = g.lagMs(p, topic.hw[p], now);
      lag += l;
      lagMs = Math.max(lagMs, ms);
      return {
        partition: p,
        owner: g.owner[p],
        committed: g.committed[p],
        end: topic.hw[p],
        lag: l,
        lagSeconds: round3(ms / 1000),
      };
    });
    const series = base.series as Record<string, number[]>;
    series.lag = this.lagSeries;
    series.lagSeconds = this.lagSecondsSeries;
    series.processed = this.processedSeries;
    for (let p = 0; p < g.partitions; p++) {
      series[`lag:${p}`] = this.partitionLag[p];
      series[`lagSeconds:${p}`] = this.partitionLagSeconds[p];
    }
    const alerting = this.ccfg.alertAboveMessages !== null || this.ccfg.alertAboveMs !== null;
    return {
      ...base,
      topic: topic.name,
      group: this.ccfg.groupName,
      commit: this.ccfg.commit,
      delivery: { ...counts, deliveries: this.deliveries },
      endToEndMs: this.endToEnd.summary(),
      lag: {
        messages: lag,
        seconds: round3(lagMs / 1000),
        maxMessages: this.maxLag,
        maxSeconds: round3(this.maxLagMs / 1000),
        ...(alerting ? { alertSeconds: this.alertSeconds } : {}),
        partitions,
      },
      rebalances: this.rebalances,
      commitsRefused: g.commitsRefused,
      assignment: g.assigned.map((a, m) => (this.member(m) ? [...a] : [])),
      idleInstances: g.assigned.filter((a, m) => this.member(m) && a.length === 0).length,
      ...(this.dedup ? { dedup: { skipped: this.dedupSkipped, ids: this.dedup.size } } : {}),
    };
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
