// A work queue (SQS/RabbitMQ-style, MQ-01..MQ-03, MQ-15, MQ-16, MQ-19,
// MQ-20): producers send messages to it; consumers compete for them, each
// message going to one consumer at a time. A received message is invisible
// until its consumer acknowledges (deletes) it, or gives it back (a nack), or
// its visibility timeout runs out, when it is visible again and redelivered;
// a message received more than maxReceives times goes to the dead-letter
// queue instead. The queue's nodes are a station: sends take a node's thread
// for `opTime`, so the queue has a throughput (the catalogue's figures). A
// bounded queue (maxLength) refuses sends when full, or holds them until
// there is room: the producers' backpressure.
//
// Broker semantics (docs/brokers.md): a Redis list (LPUSH + BRPOP) hands out
// one message per BRPOP and removes it (its consumers acknowledge nothing, so
// one that dies loses what it popped); an idle consumer's BRPOP times out and
// is issued again. Both commands take the node's single thread for `opTime`
// (a BRPOP is not counted as a request, only in utilisation). A
// Redis stream read by a consumer group keeps a delivered entry pending
// until it is XACKed; the consumers' XAUTOCLAIM, run every `claimEveryMs`,
// hands an entry pending longer than the min-idle time to a live consumer
// (the visibility timeout, rounded up to the next claim run), and the
// stream keeps every entry after its ack: they can be read again.
import type { Sampler } from "../kernel/distributions.js";
import { type QueueOrder, QueueStore } from "../mechanisms/queue-store.js";
import { LatencyRecorder } from "../metrics/latency.js";
import { IntQueue } from "./int-queue.js";
import { CorrelationTable, MATCHED } from "../mechanisms/correlation.js";
import { type Job, OP_COMMIT_OFFSETS, OP_FETCH, OP_REPLY } from "./job.js";
import { INSTANCE_DOWN, NO_HEALTHY_BACKEND, OK, QUEUE_FULL } from "./outcomes.js";
import type { QueueConsumer } from "./queue-consumer.js";
import type { ComponentReport, Sim } from "./runtime.js";

/** priority classes, most important first (as the design file's route priorities) */
const PRIORITIES = ["critical", "high", "normal", "low"];
import { Station, type StationConfig } from "./station.js";

export type Overflow = "reject" | "block";

/** A component whose request steps wait on this queue's replies (a service). */
interface RpcCaller {
  rpc: { replied(job: Job): void };
}

export interface QueueConfig extends StationConfig {
  order: QueueOrder;
  /** time a node spends taking in one message */
  opTime: Sampler;
  visibilityMs: number;
  /** receives after which a message goes to the dead-letter queue (0: no limit) */
  maxReceives: number;
  /** most messages held (Infinity: no limit), and what a send finds when it is full */
  maxLength: number;
  overflow: Overflow;
  /** longest a receive waits for a message before it is answered empty */
  receiveWaitMs: number;
  /** work-queue (SQS, RabbitMQ), list (Redis LPUSH/BRPOP) or stream-group (Redis Streams) */
  semantics: "work-queue" | "list" | "stream-group";
  /** stream-group: how often the consumers run XAUTOCLAIM */
  claimEveryMs: number;
}

export class Queue extends Station {
  readonly kind = "queue";
  readonly store: QueueStore;
  readonly semantics: QueueConfig["semantics"];
  /** where messages received too often go (set once every queue is built) */
  deadLetter: Queue | null = null;
  /**
   * a request queue (request steps publish to it): its consumers reply to
   * every message, and this table matches the replies to the callers waiting
   */
  rpc: CorrelationTable | null = null;
  private readonly roundTrip = new LatencyRecorder();
  private readonly qcfg: QueueConfig;
  private readonly readers: QueueConsumer[] = [];
  private sentEv = -1;
  private visibleEv = -1;
  private waitEv = -1;
  /** receives waiting for a message (job ids, oldest first) */
  private readonly waiting = new IntQueue();
  /** sends waiting for room (block overflow) */
  private readonly blocked = new IntQueue();
  /** visibility timers: message slot and receipt per timer slot */
  private timerSlot: number[] = [];
  private timerReceipt: number[] = [];
  private readonly freeTimers: number[] = [];
  /** receive-wait timers: job id and serial per timer slot */
  private waitJob: number[] = [];
  private waitSerial: number[] = [];
  private readonly freeWaits: number[] = [];
  private refused = 0;
  private blockedSends = 0;
  private redeliveries = 0;
  private nacks = 0;
  private receivedFromDeadLetter = 0;
  /** copies exchanges routed here, and those refused because the queue was full */
  private routedIn = 0;
  private refusedRouted = 0;
  private maxDepth = 0;
  /** list: BRPOPs issued, and those that timed out empty (an idle consumer's, issued again) */
  private pops = 0;
  private emptyPops = 0;
  /** time from a message's arrival to its first receive, overall and per priority class */
  private readonly wait = new LatencyRecorder();
  private readonly waitByClass = Array.from({ length: 4 }, () => new LatencyRecorder());
  private readonly depthSeries: number[] = [];
  private readonly ageSeries: number[] = [];

  constructor(name: string, cfg: QueueConfig) {
    super(name, cfg);
    this.qcfg = cfg;
    this.semantics = cfg.semantics;
    this.store = new QueueStore(cfg.order);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.sentEv = sim.q.on((id) => this.sent(id));
    this.visibleEv = sim.q.on((t) => this.visibilityOver(t));
    this.waitEv = sim.q.on((t) => this.waitOver(t));
  }

  private ids = 0;

  /** A new message id, for a send (its retries carry the same). */
  newMessageId(): number {
    return this.ids++;
  }

  /**
   * How long a request queue remembers a settled request after its deadline:
   * long enough for redeliveries (a visibility timeout per receive allowed)
   * to come back with a duplicate or late reply.
   */
  keepRepliesMs(): number {
    return this.qcfg.visibilityMs * ((this.qcfg.maxReceives || 2) + 1);
  }

  addReader(callerIndex: number, c: QueueConsumer): void {
    this.readers[callerIndex] = c;
  }

  override accept(job: Job): void {
    // a Redis list's BRPOP is a command: it waits for the node's thread like an LPUSH
    if (job.op === OP_FETCH) return this.qcfg.semantics === "list" ? super.accept(job) : this.receive(job);
    if (job.op === OP_COMMIT_OFFSETS) return this.settle(job);
    super.accept(job);
  }

  protected begin(job: Job): void {
    this.sim.q.schedule(this.qcfg.opTime.sample(this.rng) + this.slowMs, this.sentEv, job.id);
  }

  /** Receives are not the queue's traffic (its sends are): a BRPOP holds a thread, but is not counted as a request. */
  protected override isTraffic(job: Job): boolean {
    return job.op !== OP_FETCH && super.isTraffic(job);
  }

  private sent(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    if (job.op === OP_FETCH) {
      // the BRPOP has been executed: the thread is free, the receive answered or left blocking
      this.suspend(job);
      return this.receive(job);
    }
    if (job.op === OP_REPLY) {
      this.replied(job.aux);
      return this.finish(job, OK);
    }
    if (this.store.depth >= this.qcfg.maxLength) {
      if (this.qcfg.overflow === "reject") {
        this.refused++;
        return this.finish(job, QUEUE_FULL);
      }
      // held, without its thread, until a message is deleted
      this.blockedSends++;
      this.blocked.push(job.id);
      return this.suspend(job);
    }
    this.take(job);
    this.finish(job, OK);
  }

  private take(job: Job): void {
    // the message carries when its request began (work no request asked for: its send)
    this.store.enqueue(
      job.aux,
      job.key,
      this.sim.now,
      job.priority,
      job.origin >= 0 ? job.origin : job.start,
    );
    if (job.ledger > 0) this.sim.ledgers[job.ledger]!.appended(job);
    if (this.store.depth > this.maxDepth) this.maxDepth = this.store.depth;
    this.wakeReceivers();
  }

  /**
   * A copy an exchange routed here (the exchange's node did the work): false,
   * and counted, if the queue is full, whatever its overflow (an exchange
   * does not hold a publish for one of its queues).
   */
  takeRouted(key: number, priorityClass: number, origin: number): boolean {
    if (this.store.depth >= this.qcfg.maxLength) {
      this.refusedRouted++;
      return false;
    }
    this.routedIn++;
    this.store.enqueue(this.newMessageId(), key, this.sim.now, priorityClass, origin);
    if (this.store.depth > this.maxDepth) this.maxDepth = this.store.depth;
    this.wakeReceivers();
    return true;
  }

  /** A consumer's reply reached the broker: the caller waiting for it resumes (if it still waits). */
  private replied(corr: number): void {
    const rpc = this.rpc!;
    const jobs = this.sim.pool.jobs;
    const kind = rpc.reply(corr, this.sim.now, (owner, serial) => {
      const j = jobs[owner];
      return j.serial === serial && !j.cancelled;
    });
    if (kind !== MATCHED) return;
    const w = rpc.owner(corr);
    this.roundTrip.record(this.sim.now - w.sentAt);
    const job = jobs[w.owner];
    (this.sim.components[job.callee] as unknown as RpcCaller).rpc.replied(job);
  }

  /** A message received too often elsewhere lands here. */
  takeDeadLetter(id: number, key: number, priorityClass: number, origin: number): void {
    this.receivedFromDeadLetter++;
    this.store.enqueue(id, key, this.sim.now, priorityClass, origin);
    if (this.store.depth > this.maxDepth) this.maxDepth = this.store.depth;
    this.wakeReceivers();
  }

  /** Room was made: held sends go in, oldest first. */
  private admitBlocked(): void {
    while (this.blocked.length > 0 && this.store.depth < this.qcfg.maxLength) {
      const job = this.sim.pool.jobs[this.blocked.shift()];
      this.take(job);
      this.respond(job, OK);
    }
  }

  private anyNodeAlive(): boolean {
    for (let i = 0; i < this.alive.length; i++) if (this.alive[i] === 1) return true;
    return false;
  }

  // ---------- receiving ----------

  private receive(job: Job): void {
    const reader = this.readers[job.caller];
    const m = job.callerInstance;
    if (job.expect !== reader.incarnation[m] || !this.anyNodeAlive()) {
      job.aux = 0;
      job.outcome = this.anyNodeAlive() ? INSTANCE_DOWN : NO_HEALTHY_BACKEND;
      this.sim.reply(job);
      return;
    }
    this.pops++;
    if (this.store.hasReady()) return this.answer(job);
    // long poll
    this.waiting.push(job.id);
    const t = this.freeWaits.pop() ?? this.waitJob.length;
    this.waitJob[t] = job.id;
    this.waitSerial[t] = job.serial;
    job.timer = t;
    this.sim.q.schedule(this.qcfg.receiveWaitMs, this.waitEv, t);
  }

  private waitOver(t: number): void {
    const id = this.waitJob[t];
    const serial = this.waitSerial[t];
    this.freeWaits.push(t);
    const job = this.sim.pool.jobs[id];
    if (job.serial !== serial || job.timer !== t) return;
    this.unwait(job.id);
    this.answer(job);
  }

  private unwait(id: number): void {
    const rest = this.waiting.drain();
    for (const w of rest) if (w !== id) this.waiting.push(w);
  }

  private wakeReceivers(): void {
    while (this.waiting.length > 0 && this.store.hasReady())
      this.answer(this.sim.pool.jobs[this.waiting.shift()]);
  }

  /** A dead (or leaving) consumer instance's waiting receive is dropped; returns how many were. */
  dropWaiting(callerIndex: number, m: number): number {
    const rest = this.waiting.drain();
    let dropped = 0;
    for (const id of rest) {
      const job = this.sim.pool.jobs[id];
      if (job.caller === callerIndex && job.callerInstance === m) {
        job.timer = -1;
        this.sim.release(job);
        dropped++;
      } else this.waiting.push(id);
    }
    return dropped;
  }

  /** Hands the receiving instance up to job.aux ready messages. */
  private answer(job: Job): void {
    job.timer = -1;
    const reader = this.readers[job.caller];
    const m = job.callerInstance;
    const store = this.store;
    // a BRPOP pops one message
    const want = this.qcfg.semantics === "list" ? Math.min(job.aux, 1) : job.aux;
    let n = 0;
    while (n < want) {
      const s = store.take();
      if (s < 0) break;
      if (this.qcfg.maxReceives > 0 && store.receiveCount(s) > this.qcfg.maxReceives) {
        // received too often: off to the dead-letter queue (or dropped, without one)
        this.deadLetter?.takeDeadLetter(store.id(s), store.key(s), store.priorityClass(s), store.origin(s));
        store.deadLetter(s);
        continue;
      }
      store.delivered(s);
      if (store.receiveCount(s) === 1) {
        const w = this.sim.now - store.enqueuedAt(s);
        this.wait.record(w);
        this.waitByClass[store.priorityClass(s)].record(w);
      }
      if (reader.ackBefore) store.delete(s);
      else {
        const t = this.freeTimers.pop() ?? this.timerSlot.length;
        this.timerSlot[t] = s;
        this.timerReceipt[t] = store.receipt(s);
        this.sim.q.schedule(this.redeliverAfter(), this.visibleEv, t);
      }
      reader.bufSlot[m][n] = s;
      reader.bufReceipt[m][n] = store.receipt(s);
      n++;
    }
    if (n === 0) this.emptyPops++;
    this.admitBlocked();
    reader.filled[m] = n;
    job.aux = n;
    job.outcome = OK;
    this.sim.reply(job);
  }

  /**
   * How long a received, unacknowledged message stays out: the visibility
   * timeout, or for a stream, until the first XAUTOCLAIM run (every
   * claimEvery, from the start) that finds it idle for the min-idle time.
   */
  private redeliverAfter(): number {
    const v = this.qcfg.visibilityMs;
    if (this.qcfg.semantics !== "stream-group") return v;
    const every = this.qcfg.claimEveryMs;
    return Math.ceil((this.sim.now + v) / every) * every - this.sim.now;
  }

  private visibilityOver(t: number): void {
    const s = this.timerSlot[t];
    const receipt = this.timerReceipt[t];
    this.freeTimers.push(t);
    if (!this.store.isOut(s, receipt)) return;
    this.redeliveries++;
    this.store.release(s);
    this.wakeReceivers();
  }

  /** An acknowledgement (delete) or, with aux 1, a nack (visible again now) of one receive. */
  private settle(job: Job): void {
    const s = job.shard;
    const receipt = job.expect;
    // a receipt from an older receive does nothing: the message was given to someone else since
    if (this.store.isOut(s, receipt)) {
      if (job.aux === 1) {
        this.nacks++;
        this.store.release(s);
        this.wakeReceivers();
      } else {
        this.store.delete(s);
        this.admitBlocked();
      }
      job.outcome = OK;
    } else job.outcome = INSTANCE_DOWN;
    this.sim.reply(job);
  }

  override tick(second: number): void {
    super.tick(second);
    this.rpc?.sweep(this.sim.now);
    this.depthSeries.push(this.store.depth);
    const oldest = this.store.oldest();
    this.ageSeries.push(oldest === Infinity ? 0 : Math.round(this.sim.now - oldest) / 1000);
  }

  report(now: number): ComponentReport {
    const base = this.stationReport(now);
    const st = this.store;
    const oldest = st.oldest();
    const series = base.series as Record<string, number[]>;
    series.depth = this.depthSeries;
    series.oldestAgeSeconds = this.ageSeries;
    return {
      ...base,
      order: st.order,
      depth: st.depth,
      maxDepth: this.maxDepth,
      inFlight: st.inFlight,
      oldestAgeSeconds: oldest === Infinity ? 0 : Math.round(now - oldest) / 1000,
      // a stream keeps its entries after their ack; a queue or a list deletes them
      replayable: this.qcfg.semantics === "stream-group" ? st.enqueued : 0,
      ...(this.qcfg.semantics === "list"
        ? { commands: { lpush: st.enqueued, brpop: this.pops, brpopTimedOut: this.emptyPops } }
        : {}),
      refused: this.refused,
      blockedSends: this.blockedSends,
      redeliveries: this.redeliveries,
      nacks: this.nacks,
      deadLettered: st.sentToDeadLetter,
      fromDeadLetter: this.receivedFromDeadLetter,
      ...(this.routedIn + this.refusedRouted > 0 && {
        fromExchanges: { taken: this.routedIn, refused: this.refusedRouted },
      }),
      heldInMemory: st.held,
      waitMs: this.wait.summary(),
      waitMsByPriority: Object.fromEntries(
        PRIORITIES.map((p, i) => [p, this.waitByClass[i].summary()] as const).filter(([, w]) => w.count > 0),
      ),
      ...(this.rpc && {
        requestReply: {
          requests: this.rpc.requests,
          answered: this.rpc.answered,
          timedOut: this.rpc.timedOut,
          lateReplies: this.rpc.late,
          duplicateReplies: this.rpc.duplicates,
          orphanedReplies: this.rpc.orphaned,
          roundTripMs: this.roundTrip.summary(),
        },
      }),
      delivery: {
        messages: st.enqueued,
        processedOnce: st.processedOnce,
        duplicated: st.duplicated,
        deduped: st.deduped,
        lost: st.lost,
        deadLettered: st.deadLettered,
        pending: st.pending,
        outOfOrder: st.outOfOrder,
        processings: st.processings,
      },
    };
  }
}
