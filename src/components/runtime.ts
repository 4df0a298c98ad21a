// The simulation runtime that components share: the clock, the job pool and
// the transport that carries calls and replies across the network. A call with
// zero network delay is delivered synchronously (no event spent on it).
import { EventQueue } from "../kernel/event-queue.js";
import type { ConsistencyChecker } from "../mechanisms/consistency.js";
import type { Network } from "../kernel/network.js";
import { type Rng, stream } from "../kernel/rng.js";
import { type Job, JobPool } from "./job.js";
import { TIMEOUT } from "./outcomes.js";
import { CallGuards } from "./call-guard.js";
import { CallPaths } from "../mechanisms/idempotency.js";

export interface ComponentReport {
  kind: string;
  utilization: number;
  [field: string]: unknown;
}

/**
 * Told about the writes and publishes that carry its index (Job.ledger): a
 * dual write pairs a route's write with its publish, an outbox relay takes
 * the rows committed with writes and counts its appends, a change feed counts
 * the changes its consumer applies to an index.
 */
export interface EventLedger {
  /** a write carrying this ledger committed on a database primary */
  committed(job: Job): void;
  /** a publish carrying this ledger was appended to a topic's log, or taken in by a queue */
  appended(job: Job): void;
}

export abstract class Component {
  abstract readonly kind: string;
  index = -1;
  sim!: Sim;
  /** this component's own random stream, and one for its outgoing network hops */
  rng!: Rng;
  netRng!: Rng;
  /** the zone each instance lives in */
  zones: number[] = [0];
  /** true for workloads: their calls start on the internet, not in a zone */
  readonly isClient: boolean = false;
  /**
   * true for a part of the client itself (a DNS stub resolver): calls to it
   * and its replies cross no network.
   */
  readonly inClient: boolean = false;
  /** guard index (Sim.guards) per callee component index, for calls this component guards; null: none */
  guardOf: number[] | null = null;

  constructor(readonly name: string) {}

  attach(sim: Sim, index: number): void {
    this.sim = sim;
    this.index = index;
    this.rng = sim.stream(this.name);
    this.netRng = sim.stream(`${this.name}/net`);
  }

  zoneOf(instance: number): number {
    return instance < 0 ? this.zones[0] : this.zones[instance % this.zones.length];
  }

  /** Called once all components are attached; start timers here. */
  start(): void {}

  /**
   * The instance a call addressed to "any instance" goes to, chosen as it
   * leaves the caller, so that its network hop (and any partition) is the
   * one to that instance; -1 leaves the choice to the component on arrival.
   */
  pick(_job: Job): number {
    return -1;
  }

  /** A call arrives. */
  abstract accept(job: Job): void;

  /** A call this component made has returned. */
  onReply(job: Job): void {
    throw new Error(`${this.kind} ${this.name} received a reply it did not ask for (job ${job.id})`);
  }

  /** Once per simulated second, for time series. */
  tick(_second: number): void {}

  abstract report(now: number): ComponentReport;

  /** Faults. Components that have no instances to kill say so at validation. */
  instances(): number {
    return 1;
  }
  kill(_instance: number): void {}
  restart(_instance: number): void {}
  /** extra processing delay (ms) on every job; 0 clears it */
  slow(_ms: number): void {}
  /** a network partition began or healed: links this component keeps open may need resuming */
  networkChanged(): void {}
  /** a fault began or ended (instances killed or restarted, slowness changed) */
  faultsChanged(): void {}
}

export class Sim {
  readonly q = new EventQueue(4096);
  readonly pool = new JobPool();
  readonly components: Component[] = [];
  readonly routes: string[] = [];
  /** users' plans (tiers), by name; index 0 is no tier */
  readonly tiers: string[] = [""];
  /** distinct header sets requests carry; index 0 is no headers */
  readonly headerSets: Record<string, string>[] = [{}];
  /** judges every read and acknowledged write of every database (null: no database) */
  consistency: ConsistencyChecker | null = null;
  /** the last transaction id handed out (two-phase commit) */
  txnSeq = 0;
  /** call paths, numbered: with a request, they name a logical write (duplicate applies are counted by it) */
  readonly paths = new CallPaths();
  /** event ledgers, by the index writes and publishes carry (Job.ledger; 0: none) */
  readonly ledgers: (EventLedger | null)[] = [null];
  /**
   * Calls sent per (caller, callee) pair, caller * components + callee, for
   * the studio's edge animation; null (the default, and in batch runs): not counted.
   */
  flows: Int32Array | null = null;
  private readonly alive = new Set<number>();
  private readonly deliverEv: number;
  private readonly replyEv: number;
  private readonly zeroNet: boolean;

  constructor(
    readonly seed: number,
    readonly net: Network,
    zeroNetwork: boolean,
  ) {
    this.zeroNet = zeroNetwork;
    this.deliverEv = this.q.on((id) => {
      const job = this.pool.jobs[id];
      this.components[job.callee].accept(job);
    });
    this.replyEv = this.q.on((id) => this.delivered(this.pool.jobs[id]));
    this.guards = new CallGuards(this);
  }

  /** timeouts, retries, breakers and bulkheads of the components' calls */
  readonly guards: CallGuards;

  get now(): number {
    return this.q.now;
  }

  stream(name: string): Rng {
    return stream(this.seed, name);
  }

  add(component: Component): void {
    component.attach(this, this.components.length);
    this.components.push(component);
  }

  routeIndex(name: string): number {
    let i = this.routes.indexOf(name);
    if (i < 0) i = this.routes.push(name) - 1;
    return i;
  }

  tierIndex(name: string): number {
    let i = this.tiers.indexOf(name);
    if (i < 0) i = this.tiers.push(name) - 1;
    return i;
  }

  headerSetIndex(headers: Record<string, string>): number {
    const key = JSON.stringify(Object.entries(headers).sort());
    let i = this.headerSets.findIndex((h) => JSON.stringify(Object.entries(h).sort()) === key);
    if (i < 0) i = this.headerSets.push(headers) - 1;
    return i;
  }

  /** A new call from `caller` (instance `callerInstance`) on behalf of `parent`. */
  child(parent: Job | null, caller: Component, callerInstance: number): Job {
    const job = this.pool.alloc();
    if (parent) {
      job.inherit(parent);
      // a request's own calls are made for its client's attempt; deeper ones inherit it
      if (parent.parent < 0) job.round = parent.attempt;
      job.parent = parent.id;
    }
    job.caller = caller.index;
    job.callerInstance = callerInstance;
    job.start = this.q.now;
    return job;
  }

  release(job: Job): void {
    this.pool.release(job);
  }

  /**
   * The requests some work of which still exists: a job that carries them (an
   * attempt in progress or abandoned, a retry waiting for its backoff, a call
   * made for them). Only these can still apply a write or look up a key.
   * A scan of the job pool (its size is the most work ever in flight at
   * once); the set is reused by the next call.
   */
  liveRequests(): Set<number> {
    this.alive.clear();
    for (const j of this.pool.jobs) if (j.reqNo >= 0) this.alive.add(j.reqNo);
    return this.alive;
  }

  /**
   * A copy of `job` that answers its caller in its place (the callee died
   * under it and the original stays behind until its pending work lets go of
   * it): the call's timeout, if armed, now watches the copy.
   */
  standIn(job: Job): Job {
    const copy = this.pool.alloc();
    copy.copyCall(job);
    if (job.timer >= 0) {
      this.guards.retarget(job.timer, copy);
      job.timer = -1;
    }
    return copy;
  }

  /** A proxy's call came back: its answer becomes the answer to the call it was made for. */
  relay(c: Job): void {
    const job = this.pool.jobs[c.parent];
    job.outcome = c.outcome;
    job.version = c.version;
    job.hit = c.hit;
    job.degraded = c.degraded;
    job.retryAfterMs = c.retryAfterMs;
    this.pool.release(c);
    this.reply(job);
  }

  /**
   * Sends `job` to instance `instance` of `callee` (-1: the callee chooses),
   * after `processing` ms spent by the sender (folded into the same event).
   */
  send(job: Job, callee: Component, instance: number, processing = 0): void {
    const guards = this.components[job.caller].guardOf;
    if (guards !== null && job.guard < 0) {
      const g = guards[callee.index];
      // fire-and-forget calls (a cache fill) have nobody waiting to time out or retry
      if (g !== undefined && (job.parent >= 0 || this.components[job.caller].isClient))
        return this.guards.first(g, job, callee, instance, processing);
    }
    this.transmit(job, callee, instance, processing);
  }

  /** Sends one attempt of a call, guarded or not. */
  transmit(job: Job, callee: Component, instance: number, processing: number): void {
    job.callee = callee.index;
    job.instance = instance < 0 ? callee.pick(job) : instance;
    if (this.flows !== null) this.flows[job.caller * this.components.length + callee.index]++;
    if (this.net.partitioned && this.cutOff(job, callee)) return this.lost(job);
    const d = this.hop(job, true) + processing;
    if (d > 0) this.q.schedule(d, this.deliverEv, job.id);
    else callee.accept(job);
  }

  /** Returns `job` to its caller with its outcome set. */
  reply(job: Job): void {
    this.replyTimed(job);
  }

  /**
   * `reply`, returning the one-way delay before the caller receives the
   * answer, for a callee that measures what its caller sees.
   */
  replyTimed(job: Job): number {
    if (this.net.partitioned && this.cutOff(job, this.components[job.callee])) {
      this.lost(job);
      return this.net.partitionTimeoutMs;
    }
    const d = this.hop(job, false);
    if (d > 0) this.q.schedule(d, this.replyEv, job.id);
    else this.delivered(job);
    return d;
  }

  /** An answer reached its caller's side: dropped if nobody waits, judged by the call's guard if it has one. */
  private delivered(job: Job): void {
    if (job.abandoned) return this.pool.release(job);
    if (job.guard >= 0) return this.guards.settle(job);
    this.answer(job);
  }

  /** Hands a call's final answer to its caller; a degraded answer makes the request degraded. */
  answer(job: Job): void {
    if (job.degraded && job.parent >= 0) this.pool.jobs[job.parent].degraded = true;
    this.components[job.caller].onReply(job);
  }

  /**
   * Whether a partition separates the two ends of a call. Users reach the
   * system over the internet and are never cut off; `instance` -1 (the callee
   * picks) is judged by its first zone.
   */
  private cutOff(job: Job, callee: Component): boolean {
    const caller = this.components[job.caller];
    if (caller.isClient || (caller === callee && job.callerInstance === job.instance)) return false;
    return this.net.isCut(caller.zoneOf(job.callerInstance), callee.zoneOf(job.instance));
  }

  /** The call or its reply was lost in a partition: the caller gives up after the timeout. */
  private lost(job: Job): void {
    job.outcome = TIMEOUT;
    this.q.schedule(this.net.partitionTimeoutMs, this.replyEv, job.id);
  }

  private hop(job: Job, outbound: boolean): number {
    // work a component hands to its own instance (a replica applying its log) crosses no network
    if (job.caller === job.callee && job.callerInstance === job.instance) return 0;
    const extra = this.net.extra(job.caller * 65536 + job.callee);
    if (this.zeroNet) return extra;
    const caller = this.components[job.caller];
    const callee = this.components[job.callee];
    if (callee.inClient) return 0;
    const zone = callee.zoneOf(job.instance);
    const rng = outbound ? caller.netRng : callee.netRng;
    if (caller.isClient) return this.net.clientDelay(job.region, zone, rng) + extra;
    return this.net.delay(caller.zoneOf(job.callerInstance), zone, rng) + extra;
  }
}
