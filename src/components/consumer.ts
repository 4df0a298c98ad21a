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
// With auto-commit, every interval an instance commits what it has fetched,
// processed or not: a crash may do both. A dedup store of processed message
// ids turns redeliveries into skips.
//
// Membership changes rebalance the group (eager, stop-the-world): a dead
// instance is noticed after the session timeout, a restarted one rejoins at
// once; every live instance finishes its batch and stops fetching, and after
// the rebalance pause the partitions are shared out again, each new owner
// starting at the committed offset. A cooperative group stops only the
// partitions that change owner (see cooperative-rebalance.ts).
//
// An autoscaled group (MQ-05, MQ-12) changes its membership the same way: a
// launched instance joins once it has booted; a drained one leaves, finishing
// and committing the batch it holds first (its fetch sent before the drain is
// still processed), and stops once the rebalance has shared its partitions
// out. Only instances in service own partitions.
//
// On a fire-and-forget topic (core NATS, Redis Pub/Sub) nothing waits for a
// subscriber: the group commits before processing (nothing is acknowledged,
// so what a dying instance held is lost), and when the partitions are shared
// out again, a partition whose owner had died (or restarted, a new
// connection) starts at the end: what was published while nobody was
// subscribed to it is lost, never replayed.
import { ABSENT, DedupStore } from "../mechanisms/dedup-store.js";
import type { GroupState } from "./consumer-group.js";
import { DRAINING, IN_SERVICE } from "./fleet.js";
import { type Job, OP_COMMIT_OFFSETS, OP_FETCH, OP_MESSAGE } from "./job.js";
import { LatencyRecorder } from "../metrics/latency.js";
import { messageJob } from "./message-job.js";
import { CooperativeRebalance } from "./cooperative-rebalance.js";
import { type ResetResult, type ResetTarget, resetOffsets } from "./offset-reset.js";
import { OK } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Service, type ServiceConfig } from "./service.js";
import type { Topic } from "./topic.js";

export type CommitMode = "before" | "after" | "auto";

export interface ConsumerConfig extends ServiceConfig {
  topic: Topic;
  group: GroupState;
  groupName: string;
  /** route index of the messages (their steps are the plan for any route) */
  route: number;
  commit: CommitMode;
  /** with commit auto: time between an instance's commits of its fetch positions */
  autoCommitIntervalMs: number;
  /** eager: a rebalance stops every instance; cooperative: only partitions changing owner stop */
  rebalance: "eager" | "cooperative";
  /** offset resets, by time: each stops the group as a rebalance does, and applies when it ends */
  resets: { atMs: number; to: ResetTarget }[];
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
  private autoCommitEv = -1;
  private resetEv = -1;
  /** resets whose time has come, applied when the rebalance they began ends */
  private readonly dueResets: number[] = [];
  private readonly resetResults: (ResetResult & { atMs: number })[] = [];
  private resetsApplied = 0;
  /** per instance: restarted since the last assignment (a new process, with no positions of its own) */
  private readonly restarted: Uint8Array;
  /** the incarnation a pending detection of each instance's death is for */
  private readonly detectFor: Int32Array;
  private rebalancing = false;
  /** the rebalance under way stops every instance (always, unless cooperative; and for an offset reset) */
  private stopAll = false;
  private readonly coop: CooperativeRebalance | null;
  /** partitions taken from a live instance by eager rebalances */
  private eagerRevoked = 0;
  private rebalanceEnd = 0;
  private rebalanceToken = 0;
  rebalances = 0;
  private deliveries = 0;
  /** fire and forget: messages published while their partition had no live subscriber */
  private missed = 0;
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
    this.restarted = new Uint8Array(n);
    this.coop = ccfg.rebalance === "cooperative" ? new CooperativeRebalance(ccfg.group) : null;
    ccfg.group.cooperative = this.coop !== null;
    ccfg.group.isAlive = (m) => this.alive[m] === 1;
    // partitions added to the topic: the group rebalances to take them
    ccfg.topic.onRepartition.push(() => this.beginRebalance());
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
    this.autoCommitEv = sim.q.on((arg) => this.autoCommit(arg));
    this.resetEv = sim.q.on((i) => {
      this.dueResets.push(i);
      // resetting offsets needs the whole group stopped, cooperative or not
      this.beginRebalance(true);
    });
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
    this.ccfg.resets.forEach((r, i) => this.sim.q.at(r.atMs, this.resetEv, i));
    this.group.keepHistory = this.ccfg.resets.length > 0;
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
    for (const m of this.live()) {
      this.schedulePoll(m, 0);
      this.scheduleAutoCommit(m);
    }
  }

  // ---------- auto-commit (commit: auto) ----------

  /** Instance m's next auto-commit, one interval from now (called off by its death: see autoCommit). */
  private scheduleAutoCommit(m: number): void {
    if (this.ccfg.commit !== "auto") return;
    const arg = this.group.incarnation[m] * this.phase.length + m;
    this.sim.q.schedule(this.ccfg.autoCommitIntervalMs, this.autoCommitEv, arg);
  }

  /**
   * Commits instance m's fetch positions, processed or not (as a client
   * committing in the background every interval does): a crash then loses
   * what was fetched before the commit and not yet processed, and processes
   * again what was processed since the commit.
   */
  private autoCommit(arg: number): void {
    const n = this.phase.length;
    const m = arg % n;
    if (this.alive[m] === 0 || Math.floor(arg / n) !== this.group.incarnation[m]) return;
    if (this.group.assigned[m].length > 0) {
      this.group.snapshotPositions(m);
      this.sendCommit(m, 1);
    }
    this.scheduleAutoCommit(m);
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
    if (this.rebalancing && (this.stopAll || !this.coop)) return this.maybeFinishRebalance();
    if (this.rebalancing && this.coop) {
      // its batch is done: partitions it lost are given up
      this.coop.released(m);
      this.maybeFinishRebalance();
    }
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

  /** kind 1: an auto-commit of m's recorded positions; 0: its batch's end */
  private sendCommit(m: number, kind = 0): void {
    const c = this.sim.child(null, this, m);
    c.op = OP_COMMIT_OFFSETS;
    c.aux = kind;
    c.expect = this.group.incarnation[m];
    this.sim.send(c, this.topic, -1);
  }

  private committedReply(c: Job): void {
    const m = c.callerInstance;
    const stale = c.expect !== this.group.incarnation[m];
    const ok = c.outcome === OK;
    const auto = c.aux === 1;
    this.sim.release(c);
    // an auto-commit's reply changes nothing: the instance did not wait for it
    if (stale || auto) return;
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
      const job = messageJob(
        sim,
        this.index,
        m,
        this.ccfg.route,
        log.key(o),
        this.fetchedAt[m],
        log.origin(o),
      );
      // the message's id: its calls carry it (a change feed's index counts its applies by it)
      job.msg = log.id(o);
      // the message's partition and offset
      job.shard = p;
      job.expect = o;
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
      const again = messageJob(this.sim, this.index, m, job.route, job.key, job.start, job.origin);
      again.msg = job.msg;
      again.shard = p;
      again.expect = o;
      again.attempt = job.attempt + 1;
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
    if (this.coop && this.rebalancing) {
      this.coop.released(m);
      this.maybeFinishRebalance();
    }
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
    this.restarted[m] = 1;
    if (this.group.joined) this.scheduleAutoCommit(m);
    this.beginRebalance();
  }

  private beginRebalance(stopAll = false): void {
    if (!this.group.joined) return;
    this.rebalances++;
    this.rebalancing = true;
    this.rebalanceEnd = this.sim.now + this.ccfg.rebalancePauseMs;
    this.sim.q.schedule(this.ccfg.rebalancePauseMs, this.rebalanceEv, ++this.rebalanceToken);
    if (this.coop && !stopAll && !this.stopAll)
      return this.coop.begin(this.live(), (m) => this.restarted[m] === 1);
    if (!this.stopAll) {
      // every partition a running instance owns is taken from it
      const g = this.group;
      for (let p = 0; p < g.partitions; p++) {
        const m = g.owner[p];
        if (m >= 0 && this.alive[m] === 1 && this.restarted[m] === 0) this.eagerRevoked++;
      }
    }
    this.stopAll = true;
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
    if (this.coop && !this.stopAll) return this.finishCooperative();
    // members and the instances leaving (draining) finish their batches first
    const fleet = this.fleet.phase;
    for (let m = 0; m < this.phase.length; m++)
      if (this.alive[m] === 1 && (fleet[m] === IN_SERVICE || fleet[m] === DRAINING) && this.phase[m] !== IDLE)
        return;
    const live = this.live();
    this.rebalancing = false;
    this.stopAll = false;
    this.coop?.clear();
    // with auto-commit, an instance commits its positions before it rejoins (its batch is done);
    // a restarted one has none to commit
    if (this.ccfg.commit === "auto")
      for (const m of live)
        if (this.restarted[m] === 0) {
          this.group.snapshotPositions(m);
          this.group.commitPositions(m);
        }
    if (this.topic.fireAndForget) this.missWhileUnsubscribed();
    this.restarted.fill(0);
    for (const i of this.dueResets) this.applyReset(i);
    this.dueResets.length = 0;
    this.group.assign(live);
    for (const m of live) this.schedulePoll(m, 0);
    // those leaving own nothing now: they stop
    for (let m = 0; m < this.phase.length; m++) if (fleet[m] === DRAINING) this.fleet.checkDrained(m);
  }

  /**
   * Fire and forget: each partition whose owner died (or came back as a new
   * connection) had no subscriber since; its next owner starts at the end,
   * and what it skips is lost.
   */
  private missWhileUnsubscribed(): void {
    const g = this.group;
    for (let p = 0; p < g.partitions; p++) {
      const m = g.owner[p];
      if (m >= 0 && this.alive[m] === 1 && this.restarted[m] === 0) continue;
      const end = this.topic.readable(p);
      if (end < 0) continue;
      this.missed += g.ledger.skippedOver(p, g.committed[p], end);
      g.committed[p] = Math.max(g.committed[p], end);
      g.position[p] = g.committed[p];
    }
  }

  /** Every instance has given up the partitions it lost: they go to their new owners. */
  private finishCooperative(): void {
    const coop = this.coop!;
    if (!coop.settled) return;
    this.rebalancing = false;
    this.restarted.fill(0);
    const g = this.group;
    // with auto-commit, a member commits the positions of the partitions it gives up (its batch is done)
    const givenUp = (p: number, from: number): void => {
      if (from >= 0 && this.alive[from] === 1 && g.position[p] > g.committed[p])
        g.committed[p] = g.position[p];
    };
    for (const m of coop.finish(this.ccfg.commit === "auto" ? givenUp : undefined)) {
      if (this.alive[m] === 0) continue;
      // an instance that had nothing to read starts again; one waiting at the broker is answered
      if (this.phase[m] === IDLE) this.schedulePoll(m, 0);
      else if (this.group.parked[m] >= 0) this.topic.answerParked(this.group, m);
    }
  }

  /** The group is stopped: its committed offsets move to the reset's target. */
  private applyReset(i: number): void {
    const topic = this.topic;
    const r = resetOffsets(this.group, this.ccfg.resets[i].to, (p) => topic.hw[p]);
    this.resetResults[i] = { atMs: this.sim.now, ...r };
    // after the last reset, the details of committed messages may go again
    if (++this.resetsApplied === this.ccfg.resets.length) this.group.keepHistory = false;
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

  /** Each reset: when it was asked for, when it applied (the group stopped), where to, and what it did. */
  private resetsReport(): Record<string, number | string | null>[] {
    return this.ccfg.resets.map((r, i) => {
      const done = this.resetResults[i] as (ResetResult & { atMs: number }) | undefined;
      return {
        at: r.atMs,
        appliedAt: done ? done.atMs : null,
        to: targetName(r.to),
        skipped: done ? done.skipped : 0,
        replayed: done ? done.replayed : 0,
      };
    });
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
      delivery: {
        ...counts,
        deliveries: this.deliveries,
        ...(this.topic.fireAndForget ? { missedWhileUnsubscribed: this.missed } : {}),
      },
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
      rebalance: this.ccfg.rebalance,
      partitionsRevoked: this.eagerRevoked + (this.coop?.revoked ?? 0),
      commitsRefused: g.commitsRefused,
      assignment: g.assigned.map((a, m) => (this.member(m) ? [...a] : [])),
      idleInstances: g.assigned.filter((a, m) => this.member(m) && a.length === 0).length,
      ...(this.ccfg.resets.length > 0 ? { resets: this.resetsReport() } : {}),
      ...(this.dedup ? { dedup: { skipped: this.dedupSkipped, ids: this.dedup.size } } : {}),
    };
  }
}

function targetName(to: ResetTarget): string | number {
  if (typeof to === "string") return to;
  return "offset" in to ? to.offset : `${to.time}ms`;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
