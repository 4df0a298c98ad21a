// What services, databases and cache nodes have in common: a number of
// instances, each with a fixed number of workers (threads, connections) and a
// bounded FIFO queue in front of them. Instances can be killed and restarted
// (faults), and launched, drained and stopped (capacity changes: see
// fleet.ts); arrays are sized for the most instances the station can have.
import { LatencyRecorder } from "../metrics/latency.js";
import { TimeWeighted } from "../metrics/time-weighted.js";
import { IntQueue } from "./int-queue.js";
import { type Job, OP_ABORT, OP_COMMIT, QUEUED, RUNNING } from "./job.js";
import { INSTANCE_DOWN, NO_HEALTHY_BACKEND, OK, SHED, TIMEOUT } from "./outcomes.js";
import type { ClientDiscovery } from "./discovery.js";
import { DRAINING, Fleet, IN_SERVICE } from "./fleet.js";
import { Component, type ComponentReport, type Sim } from "./runtime.js";

export interface StationConfig {
  /** instances at the start */
  instances: number;
  /** instance slots to allocate, for fleets that grow (default: instances) */
  slots?: number;
  /** workers per instance */
  concurrency: number;
  /** queue capacity per instance (Infinity = unbounded) */
  queue: number;
  /** cause reported when the queue is full */
  rejectCause: number;
  /**
   * load shedding: per priority class (0 = most important), the queue length
   * at which arrivals of that class are refused with `shed`; absent: none
   */
  shedAt?: number[];
}

export abstract class Station extends Component {
  protected readonly busy: Int32Array;
  /** 0: killed by a fault (whatever its lifecycle) */
  protected readonly alive: Uint8Array;
  /** launches, drains and stops instances, and keeps their per-instance type */
  readonly fleet: Fleet;
  /** client-side discovery: direct callers pick from their own cached instance lists */
  discovery: ClientDiscovery | null = null;
  protected readonly queues: IntQueue[];
  /** jobs given a worker by `finish`, waiting for `beginReady` */
  private readonly ready = new IntQueue();
  private beginning = false;
  /** extra time added to every job's work, by a latency fault */
  protected slowMs = 0;
  private rr = 0;
  private readonly busyTW = new TimeWeighted();
  /** workers of instances in service or draining: what utilisation divides by */
  private readonly capacityTW = new TimeWeighted();
  private readonly queueTW = new TimeWeighted();
  protected readonly latency = new LatencyRecorder();
  protected arrivals = 0;
  protected rejected = 0;
  protected completed = 0;
  protected failed = 0;
  /** calls dropped unserved because their deadline had passed, and arrivals shed */
  protected expired = 0;
  protected shed = 0;
  private utilSeries: number[] = [];
  private queueSeries: number[] = [];
  private arrivalSeries: number[] = [];
  private arrivalsAtTick = 0;

  constructor(
    name: string,
    protected readonly cfg: StationConfig,
  ) {
    super(name);
    const slots = Math.max(cfg.slots ?? 0, cfg.instances);
    this.busy = new Int32Array(slots);
    this.alive = new Uint8Array(slots).fill(1);
    this.queues = Array.from({ length: slots }, () => new IntQueue());
    this.fleet = new Fleet(this, slots, cfg.instances, cfg.concurrency);
    this.capacityTW.change(cfg.instances * cfg.concurrency, 0);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.fleet.attach(sim);
    this.discovery?.attach(sim);
  }

  override start(): void {
    this.fleet.start();
  }

  /** The job has a worker; do its work and eventually call `finish`. */
  protected abstract begin(job: Job): void;

  /**
   * Whether a job is traffic from a caller, counted in arrivals, completions
   * and latency. Work a component gives itself (a replica applying its log, a
   * quorum coordinator's sub-requests) holds workers and shows in
   * utilisation, but is not traffic.
   */
  protected isTraffic(job: Job): boolean {
    return job.caller !== this.index;
  }

  /** Instance slots (faults and balancers address instances by slot). */
  override instances(): number {
    return this.busy.length;
  }

  isAlive(instance: number): boolean {
    return this.alive[instance] === 1;
  }

  /** Extra delay a probe or job sees from a latency fault. */
  slowness(): number {
    return this.slowMs;
  }

  override slow(ms: number): void {
    this.slowMs = ms;
  }

  accept(job: Job): void {
    if (this.isTraffic(job)) this.arrivals++;
    let i = job.instance;
    if (i < 0) {
      i = this.discovery ? this.discovery.pick(job.caller) : this.pickInstance();
      if (i < 0) return this.refuse(job, NO_HEALTHY_BACKEND);
      job.instance = i;
    } else if (this.fleet.inbound[i] > 0) this.fleet.inbound[i]--;
    if (this.alive[i] === 0 || !this.fleet.admits(i, job.start)) {
      this.refuse(job, INSTANCE_DOWN);
      if (this.fleet.phase[i] === DRAINING) this.fleet.checkDrained(i);
      return;
    }
    job.enqueued = this.sim.now;
    if (this.busy[i] < this.fleet.workers[i]) this.startJob(job);
    else if (
      this.cfg.shedAt &&
      this.queues[i].length >= this.cfg.shedAt[job.priority] &&
      this.isTraffic(job)
    ) {
      this.shed++;
      this.refuse(job, SHED);
    }
    // internal work (a replica's log apply) waits its turn but is never turned away
    else if (this.queues[i].length < this.cfg.queue || !this.isTraffic(job)) {
      job.state = QUEUED;
      this.queues[i].push(job.id);
      this.queueTW.change(1, this.sim.now);
    } else this.refuse(job, this.cfg.rejectCause);
  }

  /** The instance a direct caller's call goes to; it is on its way, which a drain waits for. */
  override pick(job: Job): number {
    const i = this.discovery ? this.discovery.pick(job.caller) : this.pickInstance();
    if (i >= 0) this.fleet.inbound[i]++;
    return i;
  }

  /**
   * Callers without a load balancer spread calls round robin over live
   * instances in service (of the version a deployment's traffic split
   * chooses, if any has one in service).
   */
  private pickInstance(): number {
    const want = this.fleet.versions?.choose() ?? -1;
    if (want >= 0) {
      const i = this.nextInstance(want);
      if (i >= 0) return i;
    }
    return this.nextInstance(-1);
  }

  private nextInstance(version: number): number {
    const n = this.busy.length;
    const phase = this.fleet.phase;
    const versionOf = this.fleet.version;
    for (let k = 0; k < n; k++) {
      const i = (this.rr + k) % n;
      if (this.alive[i] === 1 && phase[i] === IN_SERVICE && (version < 0 || versionOf[i] === version)) {
        this.rr = i + 1;
        return i;
      }
    }
    return -1;
  }

  protected refuse(job: Job, cause: number): void {
    if (this.isTraffic(job)) this.rejected++;
    job.outcome = cause;
    this.sim.reply(job);
  }

  private startJob(job: Job): void {
    job.state = RUNNING;
    this.busy[job.instance]++;
    this.busyTW.change(1, this.sim.now);
    this.work(job);
  }

  /**
   * Begins a job that has a worker, unless nobody waits for it any more: work
   * whose propagated deadline has passed is dropped unserved (its caller has
   * already given up), which frees the worker for work that still matters.
   */
  private work(job: Job): void {
    if (job.deadline <= this.sim.now && this.droppable(job)) {
      this.expired++;
      return this.finish(job, TIMEOUT);
    }
    this.begin(job);
  }

  /**
   * Whether expired work may be dropped: traffic somebody awaited, and not the
   * second round of a two-phase commit (a commit or abort must land whatever
   * the request's deadline, or its rows stay locked).
   */
  private droppable(job: Job): boolean {
    if (!this.isTraffic(job) || job.op === OP_COMMIT || job.op === OP_ABORT) return false;
    return job.parent >= 0 || this.sim.components[job.caller].isClient;
  }

  /** The job's work is done: free the worker, start the next in line, reply. */
  protected finish(job: Job, outcome: number): void {
    this.handOn(job);
    this.respond(job, outcome);
  }

  /**
   * Frees the worker `job` holds without answering it: the component keeps
   * the job while it waits on a call of its own (a cache loading from its
   * database), and answers it later with `respond`, or gives it a worker
   * again with `resume`.
   */
  protected suspend(job: Job): void {
    this.handOn(job);
    this.beginReady();
  }

  /** A suspended job wants a worker again: it waits its turn, and is never turned away. */
  protected resume(job: Job): void {
    const i = job.instance;
    if (this.alive[i] === 0) return this.respond(job, INSTANCE_DOWN);
    if (this.busy[i] < this.fleet.workers[i]) return this.startJob(job);
    job.state = QUEUED;
    this.queues[i].push(job.id);
    this.queueTW.change(1, this.sim.now);
  }

  /** Counts and replies to a job that holds no worker (finished, or suspended). */
  protected respond(job: Job, outcome: number): void {
    if (this.isTraffic(job)) {
      if (outcome === OK) this.completed++;
      else this.failed++;
      this.latency.record(this.sim.now - job.enqueued);
    }
    job.outcome = outcome;
    const i = job.instance;
    const versions = this.fleet.versions;
    if (versions && this.isTraffic(job))
      versions.served(this.fleet.version[i], outcome, this.sim.now - job.enqueued);
    this.sim.reply(job);
    this.beginReady();
    if (this.fleet.phase[i] === DRAINING) this.fleet.checkDrained(i);
  }

  /** Frees the job's worker; the head of the queue takes it (its work begins in beginReady). */
  private handOn(job: Job): void {
    const i = job.instance;
    const now = this.sim.now;
    job.state = 0;
    this.busy[i]--;
    this.busyTW.change(-1, now);
    const q = this.queues[i];
    if (q.length > 0) {
      // the freed worker goes to the head of the queue before anyone else can
      // take it, but its work begins after the reply
      this.queueTW.change(-1, now);
      const next = this.sim.pool.jobs[q.shift()];
      next.state = RUNNING;
      this.busy[i]++;
      this.busyTW.change(1, now);
      this.ready.push(next.id);
    }
  }

  /**
   * Begins the jobs handed a worker by `finish`. Work that completes at once
   * finishes inside `begin` and hands its worker on again; doing that in this
   * loop rather than by recursion keeps the stack flat however long the queue.
   */
  private beginReady(): void {
    if (this.beginning) return;
    this.beginning = true;
    while (this.ready.length > 0) {
      const job = this.sim.pool.jobs[this.ready.shift()];
      if (job.state === RUNNING) this.work(job);
      else if (job.cancelled) this.sim.release(job); // killed before it began: nothing else holds it
    }
    this.beginning = false;
  }

  override kill(instance: number): void {
    if (this.alive[instance] === 0) return;
    this.alive[instance] = 0;
    this.discovery?.killed(instance);
    this.dropWork(instance);
    if (this.fleet.phase[instance] === DRAINING) this.fleet.checkDrained(instance);
  }

  /**
   * Fails everything the instance holds with instance-down: its queue and its
   * running jobs (a crash, or a drain whose timeout ran out).
   */
  dropWork(instance: number): number {
    const now = this.sim.now;
    let dropped = 0;
    const queued = this.queues[instance].drain();
    this.queueTW.change(-queued.length, now);
    for (const id of queued) {
      const job = this.sim.pool.jobs[id];
      job.state = 0;
      if (this.isTraffic(job)) dropped++;
      this.refuse(job, INSTANCE_DOWN);
    }
    // Running jobs have an event or a downstream call pending: their caller is
    // answered at once through a copy, and the original is marked so that
    // whatever is pending releases it instead of resuming it.
    for (const job of this.sim.pool.jobs) {
      if (job.state !== RUNNING || job.callee !== this.index || job.instance !== instance || job.cancelled)
        continue;
      const copy = this.sim.standIn(job);
      copy.outcome = INSTANCE_DOWN;
      job.cancelled = true;
      job.parent = -1;
      job.state = 0;
      if (this.isTraffic(job)) {
        this.failed++;
        dropped++;
      }
      this.sim.reply(copy);
    }
    this.busyTW.change(-this.busy[instance], now);
    this.busy[instance] = 0;
    return dropped;
  }

  override restart(instance: number): void {
    this.alive[instance] = 1;
  }

  /**
   * Whether the instance holds no work: nothing running or queued. (Only
   * services drain, and a service holds its worker for the whole request.)
   */
  idle(instance: number): boolean {
    return this.busy[instance] === 0 && this.queues[instance].length === 0;
  }

  /** An instance was launched and has booted: it starts cold (subclasses clear per-instance state). */
  instanceStarted(_instance: number): void {}

  /** Workers in service changed by `delta` (an instance started, stopped or was resized). */
  capacityChanged(delta: number): void {
    this.capacityTW.change(delta, this.sim.now);
  }

  /** Integrals since the start, for an autoscaler's windowed averages. */
  loadIntegrals(now: number): { busy: number; capacity: number; queue: number; arrivals: number } {
    return {
      busy: this.busyTW.integral(now),
      capacity: this.capacityTW.integral(now),
      queue: this.queueTW.integral(now),
      arrivals: this.arrivals,
    };
  }

  override tick(second: number): void {
    const now = this.sim.now;
    const capacity = this.capacityTW.takeWindow(now);
    const busy = this.busyTW.takeWindow(now);
    this.utilSeries.push(capacity > 0 ? round3(busy / capacity) : 0);
    this.queueSeries.push(round3(this.queueTW.takeWindow(now) / 1000));
    this.arrivalSeries.push(this.arrivals - this.arrivalsAtTick);
    this.arrivalsAtTick = this.arrivals;
    this.fleet.tick(second);
  }

  protected stationReport(now: number): ComponentReport {
    const capacity = this.capacityTW.integral(now);
    const fleet = this.fleet.report(now);
    return {
      kind: this.kind,
      instances: this.cfg.instances,
      utilization: capacity > 0 ? this.busyTW.integral(now) / capacity : 0,
      queueLength: now > 0 ? this.queueTW.integral(now) / now : 0,
      maxQueueLength: this.queueTW.max,
      arrivals: this.arrivals,
      completed: this.completed,
      failed: this.failed,
      rejected: this.rejected,
      latencyMs: this.latency.summary(),
      ...(this.expired > 0 ? { expired: this.expired } : {}),
      ...(this.cfg.shedAt ? { shed: this.shed } : {}),
      series: {
        utilization: this.utilSeries,
        queueLength: this.queueSeries,
        arrivals: this.arrivalSeries,
        ...fleet?.series,
      },
      ...(fleet && { capacity: fleet.capacity }),
      ...(this.discovery && { discovery: this.discovery.report() }),
    };
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
