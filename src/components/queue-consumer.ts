// Competing consumers of a work queue (MQ-01, MQ-10, MQ-11, MQ-15, MQ-16):
// instances, each with `concurrency` workers, that are a service whose
// requests are the queue's messages. Each instance keeps up to `batch`
// messages in hand (RabbitMQ's prefetch): whenever it has room it asks the
// queue for more (a receive waits at the queue for a message). A message is
// acknowledged (deleted) before processing (at most once: a crash loses it)
// or after (at least once: a crash leaves it invisible until its visibility
// timeout, then it is delivered again); a message whose steps fail is given
// back (nacked) to be received again, up to the queue's maxReceives. A dedup
// store of processed message ids skips redeliveries.
//
// Autoscaled, a launched instance starts receiving once it has booted; a
// drained one stops asking, finishes what it holds (a receive already
// answered included) and stops.
import { ABSENT, DedupStore } from "../mechanisms/dedup-store.js";
import { type Job, OP_COMMIT_OFFSETS, OP_FETCH, OP_MESSAGE, OP_REPLY } from "./job.js";
import { LatencyRecorder } from "../metrics/latency.js";
import { messageJob } from "./message-job.js";
import { DRAINING, IN_SERVICE } from "./fleet.js";
import { OK } from "./outcomes.js";
import type { Queue } from "./queue.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Service, type ServiceConfig } from "./service.js";

export interface QueueConsumerConfig extends ServiceConfig {
  source: Queue;
  /** route index of the messages */
  route: number;
  ackBefore: boolean;
  /** messages an instance holds at once (prefetch) */
  batch: number;
  /** after this time an instance whose receive comes back empty stops asking (the run is over) */
  stopMs: number;
  /** tries of a delivery whose steps fail, in place, before it is given back */
  attempts: number;
  retryBackoffMs: number;
  dedupTtlMs: number | null;
  alertAboveMessages: number | null;
  alertAboveMs: number | null;
}

export class QueueConsumer extends Service {
  override readonly kind = "consumer";
  readonly queue: Queue;
  readonly ackBefore: boolean;
  /** per instance: the messages the queue last handed over (slot and receipt) */
  readonly bufSlot: Int32Array[];
  readonly bufReceipt: Int32Array[];
  /** per instance: bumped each time it dies, so that its late receives are recognised */
  readonly incarnation: Int32Array;
  /** per instance: messages the queue put in its buffer for the receive on its way back (0: none) */
  readonly filled: Int32Array;
  private readonly receiving: Uint8Array;
  /** per instance: when its pending receive was sent (a draining instance still processes its answer) */
  private readonly receivedAt: Float64Array;
  private readonly outstanding: Int32Array;
  private readonly dedup: DedupStore | null;
  private pollEv = -1;
  private deliveries = 0;
  /** the most messages one instance held unacknowledged at once (at most the prefetch) */
  private maxUnacked = 0;
  private dedupSkipped = 0;
  private completions = 0;
  private completionsAtTick = 0;
  private maxLag = 0;
  private maxLagMs = 0;
  private alertSeconds = 0;
  private readonly lagSeries: number[] = [];
  private readonly lagSecondsSeries: number[] = [];
  private readonly processedSeries: number[] = [];
  /** from the request a message descends from to the end of the message's first completed processing */
  private readonly endToEnd = new LatencyRecorder();

  constructor(
    name: string,
    readonly qc: QueueConsumerConfig,
  ) {
    super(name, qc);
    this.queue = qc.source;
    this.ackBefore = qc.ackBefore;
    // instance slots: a fleet that grows launches into spare ones
    const n = this.instances();
    this.receivedAt = new Float64Array(n);
    this.bufSlot = Array.from({ length: n }, () => new Int32Array(qc.batch));
    this.bufReceipt = Array.from({ length: n }, () => new Int32Array(qc.batch));
    this.incarnation = new Int32Array(n);
    this.filled = new Int32Array(n);
    this.receiving = new Uint8Array(n);
    this.outstanding = new Int32Array(n);
    this.dedup = qc.dedupTtlMs !== null ? new DedupStore(qc.dedupTtlMs) : null;
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.pollEv = sim.q.on((m) => this.poll(m));
    // a drained instance stops asking: a receive waiting at the queue is called off
    this.fleet.onPhase((m, phase) => {
      if (phase !== DRAINING || this.receiving[m] === 0) return;
      if (this.queue.dropWaiting(this.index, m) > 0) this.receiving[m] = 0;
    });
  }

  override start(): void {
    super.start();
    for (let m = 0; m < this.instances(); m++)
      if (this.fleet.phase[m] === IN_SERVICE) this.sim.q.schedule(0, this.pollEv, m);
  }

  /** A launched instance has booted: it starts receiving. */
  override instanceStarted(m: number): void {
    this.poll(m);
  }

  /** A draining instance is done once it holds no message and no receive is on its way. */
  override idle(m: number): boolean {
    return super.idle(m) && this.receiving[m] === 0 && this.outstanding[m] === 0;
  }

  /** Messages held by the queue (not yet deleted): what a lag-based autoscaler tracks. */
  totalLag(): number {
    return this.queue.store.depth;
  }

  protected override isTraffic(job: Job): boolean {
    return job.op === OP_MESSAGE || super.isTraffic(job);
  }

  /** Asks the queue for messages if the instance has room for some and is not already asking. */
  private poll(m: number): void {
    if (this.alive[m] === 0 || this.receiving[m] === 1 || this.fleet.phase[m] !== IN_SERVICE) return;
    const room = this.qc.batch - this.outstanding[m];
    if (room <= 0) return;
    this.receiving[m] = 1;
    this.receivedAt[m] = this.sim.now;
    this.filled[m] = 0;
    const r = this.sim.child(null, this, m);
    r.op = OP_FETCH;
    r.aux = room;
    r.expect = this.incarnation[m];
    this.sim.send(r, this.queue, -1);
  }

  override onReply(c: Job): void {
    if (c.op === OP_MESSAGE) return this.messageEnded(c);
    if (c.op === OP_FETCH) return this.received(c);
    // acknowledgements, nacks and replies are sent without waiting
    if (c.op === OP_COMMIT_OFFSETS || c.op === OP_REPLY) return this.sim.release(c);
    super.onReply(c);
  }

  private received(c: Job): void {
    const m = c.callerInstance;
    const stale = c.expect !== this.incarnation[m];
    const ok = c.outcome === OK;
    const n = ok ? c.aux : 0;
    this.sim.release(c);
    if (stale) return;
    this.receiving[m] = 0;
    this.filled[m] = 0;
    if (!ok) {
      this.sim.q.schedule(this.qc.retryBackoffMs, this.pollEv, m);
      return;
    }
    const store = this.queue.store;
    const now = this.sim.now;
    this.deliveries += n;
    for (let k = 0; k < n; k++) {
      const s = this.bufSlot[m][k];
      const receipt = this.bufReceipt[m][k];
      if (this.dedup) {
        const id = store.id(s);
        if (this.dedup.status(id, now) !== ABSENT) {
          this.dedupSkipped++;
          store.skipped(s);
          if (!this.ackBefore) this.settle(m, s, receipt, false);
          continue;
        }
        this.dedup.claim(id);
      }
      const job = messageJob(
        this.sim,
        this.index,
        m,
        this.qc.route,
        store.key(s),
        this.receivedAt[m],
        store.origin(s),
      );
      job.priority = store.priorityClass(s);
      job.shard = s;
      job.expect = receipt;
      if (++this.outstanding[m] > this.maxUnacked) this.maxUnacked = this.outstanding[m];
      this.accept(job);
    }
    if (this.fleet.phase[m] === DRAINING) return this.fleet.checkDrained(m);
    if (n === 0 && now >= this.qc.stopMs) return;
    // ask again at once: the receive waits at the queue if there is nothing
    this.sim.q.schedule(0, this.pollEv, m);
  }

  /** Acknowledges (deletes) or nacks one receive, without waiting for the answer. */
  private settle(m: number, s: number, receipt: number, nack: boolean): void {
    const a = this.sim.child(null, this, m);
    a.op = OP_COMMIT_OFFSETS;
    a.shard = s;
    a.expect = receipt;
    a.aux = nack ? 1 : 0;
    this.sim.send(a, this.queue, -1);
  }

  /** Publishes the reply to a request (its correlation id the request's message id), without waiting. */
  private reply(m: number, corr: number): void {
    const r = this.sim.child(null, this, m);
    r.op = OP_REPLY;
    r.aux = corr;
    this.sim.send(r, this.queue, -1);
  }

  private messageEnded(job: Job): void {
    const store = this.queue.store;
    const m = job.instance;
    const s = job.shard;
    const id = this.dedup ? store.id(s) : 0;
    if (this.alive[m] === 0) {
      // died with it: deleted already (ack before) it is lost; otherwise its visibility timeout brings it back
      store.dropped(s);
      this.dedup?.release(id);
      return this.sim.release(job);
    }
    if (job.outcome === OK) {
      if (store.completed(s)) this.endToEnd.record(this.sim.now - job.origin);
      this.completions++;
      this.dedup?.record(id, this.sim.now);
      // a request's reply goes to the broker before the message is acknowledged
      if (this.queue.rpc) this.reply(m, store.id(s));
      if (!this.ackBefore) this.settle(m, s, job.expect, false);
    } else if (job.attempt + 1 < this.qc.attempts) {
      const again = messageJob(this.sim, this.index, m, job.route, job.key, job.start, job.origin);
      again.priority = job.priority;
      again.shard = s;
      again.expect = job.expect;
      again.attempt = job.attempt + 1;
      this.sim.release(job);
      return this.accept(again);
    } else {
      // given back to be received again (or, deleted already, lost)
      store.dropped(s);
      this.dedup?.release(id);
      if (!this.ackBefore) this.settle(m, s, job.expect, true);
    }
    this.sim.release(job);
    this.outstanding[m]--;
    this.poll(m);
  }

  override kill(m: number): void {
    if (this.alive[m] === 0) return;
    super.kill(m);
    this.incarnation[m]++;
    this.queue.dropWaiting(this.index, m);
    // a receive answered but not yet arrived: its messages are dropped with the instance
    const store = this.queue.store;
    for (let k = 0; k < this.filled[m]; k++) store.dropped(this.bufSlot[m][k]);
    this.filled[m] = 0;
    this.receiving[m] = 0;
    this.outstanding[m] = 0;
    if (this.fleet.phase[m] === DRAINING) this.fleet.checkDrained(m);
  }

  override restart(m: number): void {
    if (this.alive[m] === 1) return;
    super.restart(m);
    this.poll(m);
  }

  override tick(second: number): void {
    super.tick(second);
    const store = this.queue.store;
    const lag = store.depth;
    const oldest = store.oldest();
    const lagMs = oldest === Infinity ? 0 : this.sim.now - oldest;
    this.lagSeries.push(lag);
    this.lagSecondsSeries.push(Math.round(lagMs) / 1000);
    this.processedSeries.push(this.completions - this.completionsAtTick);
    this.completionsAtTick = this.completions;
    if (lag > this.maxLag) this.maxLag = lag;
    if (lagMs > this.maxLagMs) this.maxLagMs = lagMs;
    const { alertAboveMessages: am, alertAboveMs: ams } = this.qc;
    if ((am !== null && lag > am) || (ams !== null && lagMs > ams)) this.alertSeconds++;
  }

  override report(now: number): ComponentReport {
    const base = super.report(now);
    const store = this.queue.store;
    const oldest = store.oldest();
    const series = base.series as Record<string, number[]>;
    series.lag = this.lagSeries;
    series.lagSeconds = this.lagSecondsSeries;
    series.processed = this.processedSeries;
    const alerting = this.qc.alertAboveMessages !== null || this.qc.alertAboveMs !== null;
    return {
      ...base,
      queue: this.queue.name,
      commit: this.ackBefore ? "before" : "after",
      processings: this.completions,
      deliveries: this.deliveries,
      maxUnacked: this.maxUnacked,
      endToEndMs: this.endToEnd.summary(),
      lag: {
        messages: store.depth,
        seconds: oldest === Infinity ? 0 : Math.round(now - oldest) / 1000,
        maxMessages: this.maxLag,
        maxSeconds: Math.round(this.maxLagMs) / 1000,
        ...(alerting ? { alertSeconds: this.alertSeconds } : {}),
      },
      ...(this.dedup ? { dedup: { skipped: this.dedupSkipped, ids: this.dedup.size } } : {}),
    };
  }
}
