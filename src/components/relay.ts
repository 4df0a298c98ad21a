// A relay (TX-06, TX-11, MQ-23): one process that moves events from a
// database to a topic. Its rows are either a transactional outbox (written by
// write steps with `outbox:` in the same transaction as their row, so a
// committed write always has its event row) or the database's change log
// (every committed write, captured as a change keyed by the row's key: CDC).
//
// It polls: a query on the database (a read on shard 0's primary, holding a
// connection) returns the oldest unsent rows, up to `batch`; it publishes
// them, and marks the acknowledged ones sent (a write on the same primary). A
// full batch polls again at once, otherwise the next poll is `interval`
// later. Rows of one partition are published one after another (a producer
// with one request in flight per partition), so a key's events reach the
// topic in commit order; a failed publish stops its partition's chain, and
// the rest wait for the next poll. A poll or a mark the database refuses (it
// is down) is retried at the next poll; rows published but not marked are
// published again.
//
// If the relay dies after the broker appended a row but before it marked the
// row sent, the next poll publishes it again: a duplicate (at-least-once),
// with the same message id, which a consumer's dedup absorbs. No committed
// row is ever skipped. For a change feed it also counts, per change, when
// the consumer of its topic applies it to the index: the index's staleness.
import type { Sampler } from "../kernel/distributions.js";
import { ChangeApplies } from "../mechanisms/change-applies.js";
import { EventRows } from "../mechanisms/event-rows.js";
import { LatencyRecorder } from "../metrics/latency.js";
import type { Database } from "./database.js";
import { type Job, OP_MARK, OP_PUBLISH, OP_READ } from "./job.js";
import { OK } from "./outcomes.js";
import { Component, type ComponentReport, type EventLedger, type Sim } from "./runtime.js";
import type { Topic } from "./topic.js";

export type RelaySource = "outbox" | "log";

export interface RelayConfig {
  source: RelaySource;
  intervalMs: number;
  batch: number;
  /** bytes of each message */
  size: Sampler;
}

export class Relay extends Component implements EventLedger {
  readonly kind = "relay";
  readonly rows = new EventRows();
  /** change feeds only: the index's applies of the captured changes */
  readonly applies: ChangeApplies | null;
  private readonly staleness = new LatencyRecorder();
  /** index in Sim.ledgers: the outbox writes, the relay's publishes and the index's applies carry it */
  ledgerIndex = 0;
  private alive = true;
  /** extra time before each poll (a slow fault) */
  private slowMs = 0;
  private busy = false;
  private pollEv = -1;
  /** bumped by each death: timers of an earlier life are ignored */
  private life = 0;
  /**
   * when the current life began: a call sent before it belongs to an earlier
   * life (kept by the copy a dying callee answers with, unlike the job id)
   */
  private bornAt = 0;
  /** the batch under way: its rows, the acknowledged ones, per-partition chains still to send */
  private batchRows: number[] = [];
  private acked: number[] = [];
  private chains = new Map<number, number[]>();
  private chainsOpen = 0;
  private polls = 0;
  private failedPublishes = 0;
  private maxLagMs = 0;
  private maxIndexLagMs = 0;
  private readonly lagSeries: number[] = [];
  private readonly indexLagSeries: number[] = [];

  constructor(
    name: string,
    readonly cfg: RelayConfig,
    readonly db: Database,
    readonly topic: Topic,
  ) {
    super(name);
    this.applies = cfg.source === "log" ? new ChangeApplies() : null;
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.ledgerIndex = sim.ledgers.push(this) - 1;
    this.pollEv = sim.q.on((life) => {
      if (life === this.life) this.poll();
    });
  }

  override start(): void {
    this.sim.q.schedule(this.cfg.intervalMs, this.pollEv, this.life);
  }

  /** Nothing calls a relay (validation names it only as a fault target). */
  accept(job: Job): void {
    throw new Error(`relay ${this.name} received a call (job ${job.id})`);
  }

  // ---- capture

  /** A write step with `outbox:` committed: its event row is in the same transaction. Index applies, for a change feed. */
  committed(job: Job): void {
    if (this.applies) return this.indexApplied(job);
    this.capture(job.key);
  }

  /** A change feed: the database committed a write of `key`. */
  capture(key: number): void {
    const id = this.topic.newMessageId();
    this.rows.append(id, key, this.sim.now);
    this.applies?.capture(id, key, this.sim.now);
  }

  /** The topic appended one of this relay's messages. */
  appended(job: Job): void {
    this.rows.appended(job.aux);
  }

  private indexApplied(job: Job): void {
    if (job.msg < 0) return;
    const ms = this.applies!.apply(job.msg, this.sim.now);
    if (ms >= 0) this.staleness.record(ms);
  }

  // ---- the polling loop

  /** Queries the database for unsent rows. */
  private poll(): void {
    if (!this.alive || this.busy) return;
    this.polls++;
    this.busy = true;
    this.ask(OP_READ);
  }

  /** A query of the outbox table (or the log) on shard 0's primary: a poll's read, or its mark. */
  private ask(op: number): void {
    const c = this.sim.child(null, this, 0);
    c.op = op;
    c.shard = 0;
    this.sim.send(c, this.db, -1, this.slowMs);
  }

  private nextPoll(ms: number): void {
    this.busy = false;
    this.sim.q.schedule(ms, this.pollEv, this.life);
  }

  /** The batch is read: publish its rows, one chain per partition. */
  private publishBatch(): void {
    this.batchRows = this.rows.unsent(this.cfg.batch);
    this.acked = [];
    this.chains = new Map();
    for (const pos of this.batchRows) {
      const p = this.topic.partitionOf(this.rows.key(pos));
      const chain = this.chains.get(p);
      if (chain) chain.push(pos);
      else this.chains.set(p, [pos]);
    }
    this.chainsOpen = this.chains.size;
    if (this.chainsOpen === 0) return this.nextPoll(this.cfg.intervalMs);
    // reversed, so that pop() takes the oldest
    for (const [p, chain] of this.chains) {
      chain.reverse();
      this.sendNext(p);
    }
  }

  private sendNext(p: number): void {
    const chain = this.chains.get(p)!;
    const pos = chain.pop();
    if (pos === undefined) {
      if (--this.chainsOpen === 0) this.batchDone();
      return;
    }
    const c = this.sim.child(null, this, 0);
    c.op = OP_PUBLISH;
    c.key = this.rows.key(pos);
    c.aux = this.rows.id(pos);
    c.msg = pos;
    c.ledger = this.ledgerIndex;
    c.size = this.cfg.size.sample(this.rng);
    this.sim.send(c, this.topic, -1);
  }

  override onReply(c: Job): void {
    const mine = this.alive && c.start >= this.bornAt;
    const ok = c.outcome === OK;
    const op = c.op;
    const pos = c.msg;
    const p = op === OP_PUBLISH ? this.topic.partitionOf(c.key) : -1;
    this.sim.release(c);
    if (!mine) return; // an answer to a life that has ended
    if (op === OP_READ) return ok ? this.publishBatch() : this.nextPoll(this.cfg.intervalMs);
    if (op === OP_MARK) return this.marked(ok);
    if (ok) {
      this.acked.push(pos);
      return this.sendNext(p);
    }
    // the rest of this partition's rows wait for the next poll, in order
    this.failedPublishes++;
    this.chains.set(p, []);
    this.sendNext(p);
  }

  private batchDone(): void {
    if (this.acked.length === 0) return this.marked(false);
    this.ask(OP_MARK);
  }

  /** The acknowledged rows are marked sent (unless the mark failed); poll again at once after a full batch. */
  private marked(ok: boolean): void {
    if (ok) for (const pos of this.acked) this.rows.markSent(pos);
    const full =
      ok && this.batchRows.length === this.cfg.batch && this.acked.length === this.batchRows.length;
    this.batchRows = [];
    this.acked = [];
    this.nextPoll(full ? 0 : this.cfg.intervalMs);
  }

  // ---- faults

  override kill(_instance: number): void {
    if (!this.alive) return;
    this.alive = false;
    this.busy = false;
    this.life++;
    // answers on their way are dropped when they come (see onReply)
    this.batchRows = [];
    this.acked = [];
    this.chains = new Map();
  }

  override slow(ms: number): void {
    this.slowMs = ms;
  }

  override restart(_instance: number): void {
    if (this.alive) return;
    this.alive = true;
    this.bornAt = this.sim.now;
    this.poll();
  }

  // ---- reports

  private lagMs(): number {
    const t = this.rows.oldestUnsent();
    return t < 0 ? 0 : this.sim.now - t;
  }

  private indexLagMs(): number {
    const t = this.applies?.oldestUnapplied() ?? -1;
    return t < 0 ? 0 : this.sim.now - t;
  }

  override tick(): void {
    const lag = this.lagMs();
    this.maxLagMs = Math.max(this.maxLagMs, lag);
    this.lagSeries.push(round3(lag / 1000));
    if (this.applies) {
      const il = this.indexLagMs();
      this.maxIndexLagMs = Math.max(this.maxIndexLagMs, il);
      this.indexLagSeries.push(round3(il / 1000));
    }
  }

  report(): ComponentReport {
    const rows = this.rows;
    const lag = this.lagMs();
    const out: ComponentReport = {
      kind: this.kind,
      utilization: 0,
      source: this.cfg.source,
      database: this.db.name,
      topic: this.topic.name,
      captured: rows.end,
      published: rows.published,
      duplicatesPublished: rows.duplicates,
      unsent: rows.pending,
      failedPublishes: this.failedPublishes,
      polls: this.polls,
      lag: { seconds: round3(lag / 1000), maxSeconds: round3(Math.max(this.maxLagMs, lag) / 1000) },
      series: { lagSeconds: this.lagSeries } as Record<string, number[]>,
    };
    const a = this.applies;
    if (a) {
      const il = this.indexLagMs();
      out.index = {
        applied: a.applied,
        duplicateApplies: a.duplicateApplies,
        outOfOrder: a.outOfOrder,
        unapplied: a.unapplied,
        stalenessMs: this.staleness.summary(),
        lag: { seconds: round3(il / 1000), maxSeconds: round3(Math.max(this.maxIndexLagMs, il) / 1000) },
      };
      (out.series as Record<string, number[]>).indexLagSeconds = this.indexLagSeries;
    }
    return out;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
