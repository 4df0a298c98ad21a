// What a caller does around each call to one dependency (the client side of
// resilience): a timeout, retries with backoff and a retry budget, a circuit
// breaker, a bulkhead (a cap on concurrent calls), deadline propagation and a
// fallback. Guards sit in the transport (Sim.send and the reply path), so every
// component's calls get them alike and the components never see an attempt,
// only the call's final answer. A timed-out attempt is abandoned, not stopped:
// the callee keeps working on it unless the call carried its deadline.
import { type BackoffConfig, backoffDelay } from "../mechanisms/backoff.js";
import {
  BREAKER_STATES,
  type BreakerConfig,
  CircuitBreaker,
  CLOSED,
  OPEN,
} from "../mechanisms/circuit-breaker.js";
import { RetryBudget, type RetryBudgetConfig } from "../mechanisms/retry-budget.js";
import type { Job } from "./job.js";
import { BULKHEAD_FULL, CIRCUIT_OPEN, OK, TIMEOUT } from "./outcomes.js";
import type { Component, Sim } from "./runtime.js";

export interface RetryPolicy {
  /** most attempts per call, the first included */
  attempts: number;
  /** null: retry at once */
  backoff: BackoffConfig | null;
  /** per cause index: 1 if a failure with that cause is retried */
  retryOn: Uint8Array;
  budget: RetryBudgetConfig | null;
  /** wait at least a rate limiter's Retry-After */
  honourRetryAfter: boolean;
}

export interface CallPolicy {
  /** the caller stops waiting for an attempt after this long (Infinity: never) */
  timeoutMs: number;
  retry: RetryPolicy | null;
  breaker: BreakerConfig | null;
  /** most calls in flight at once per caller instance (0: no cap) */
  bulkhead: number;
  /** the call carries its deadline (the sooner of its own and its request's); callees drop expired work */
  propagateDeadline: boolean;
  /** a call that finally fails is answered with a degraded (fallback) answer instead of its error */
  fallback: boolean;
}

/** Most breaker transitions kept for the report (the rest are counted). */
const MAX_TRANSITIONS = 1000;

export interface GuardReport {
  calls: number;
  attempts: number;
  retries: number;
  amplification: number;
  timeouts: number;
  retriesDenied: number;
  failed: number;
  fallbacks: number;
  bulkheadRejected?: number;
  breaker?: {
    opened: number;
    shortCircuited: number;
    openMs: number;
    transitions: { t: number; instance: number; state: string }[];
    transitionsDropped: number;
  };
  series: { calls: number[]; attempts: number[]; timeouts: number[] };
}

/** One caller's guard for calls to one callee. */
export class Guard {
  readonly inflight: Int32Array;
  readonly breakers: CircuitBreaker[] | null;
  readonly budgets: RetryBudget[] | null;
  calls = 0;
  attempts = 0;
  retries = 0;
  timeouts = 0;
  retriesDenied = 0;
  failed = 0;
  fallbacks = 0;
  bulkheadRejected = 0;
  shortCircuited = 0;
  opened = 0;
  openMs = 0;
  /** per caller instance: when its breaker last left the closed state, and whether it is closed */
  private readonly openSince: Float64Array;
  private readonly wasClosed: Uint8Array;
  readonly transitions: { t: number; instance: number; state: string }[] = [];
  private transitionsDropped = 0;
  private readonly series = { calls: [] as number[], attempts: [] as number[], timeouts: [] as number[] };
  private at = { calls: 0, attempts: 0, timeouts: 0 };

  constructor(
    readonly index: number,
    readonly caller: Component,
    readonly callee: Component,
    readonly policy: CallPolicy,
    instances: number,
  ) {
    this.inflight = new Int32Array(instances);
    this.openSince = new Float64Array(instances);
    this.wasClosed = new Uint8Array(instances).fill(1);
    const b = policy.breaker;
    this.breakers = b
      ? Array.from({ length: instances }, (_, i) => new CircuitBreaker(b, (s, t) => this.changed(i, s, t)))
      : null;
    const budget = policy.retry?.budget;
    this.budgets = budget ? Array.from({ length: instances }, () => new RetryBudget(budget)) : null;
  }

  private changed(instance: number, state: number, t: number): void {
    if (state === OPEN) this.opened++;
    if (state === CLOSED) this.openMs += t - this.openSince[instance];
    else if (this.wasClosed[instance] === 1) this.openSince[instance] = t;
    this.wasClosed[instance] = state === CLOSED ? 1 : 0;
    if (this.transitions.length < MAX_TRANSITIONS)
      this.transitions.push({ t, instance, state: BREAKER_STATES[state] });
    else this.transitionsDropped++;
  }

  tick(): void {
    this.series.calls.push(this.calls - this.at.calls);
    this.series.attempts.push(this.attempts - this.at.attempts);
    this.series.timeouts.push(this.timeouts - this.at.timeouts);
    this.at = { calls: this.calls, attempts: this.attempts, timeouts: this.timeouts };
  }

  report(now: number): GuardReport {
    let openMs = this.openMs;
    for (let i = 0; i < this.wasClosed.length; i++)
      if (this.wasClosed[i] === 0) openMs += now - this.openSince[i];
    return {
      calls: this.calls,
      attempts: this.attempts,
      retries: this.retries,
      amplification: this.calls > 0 ? this.attempts / this.calls : 0,
      timeouts: this.timeouts,
      retriesDenied: this.retriesDenied,
      failed: this.failed,
      fallbacks: this.fallbacks,
      ...(this.policy.bulkhead > 0 ? { bulkheadRejected: this.bulkheadRejected } : {}),
      ...(this.breakers
        ? {
            breaker: {
              opened: this.opened,
              shortCircuited: this.shortCircuited,
              openMs,
              transitions: this.transitions,
              transitionsDropped: this.transitionsDropped,
            },
          }
        : {}),
      series: this.series,
    };
  }
}

/** Every guard of a run, their timers and retries. */
export class CallGuards {
  readonly list: Guard[] = [];
  private readonly timeoutEv: number;
  private readonly retryEv: number;
  /** timeout timer slots: the job and its serial (-1: the attempt was answered first) */
  private slotJob: number[] = [];
  private slotSerial: number[] = [];
  private readonly freeSlots: number[] = [];
  private readonly rng: { next(): number };

  constructor(private readonly sim: Sim) {
    this.timeoutEv = sim.q.on((slot) => this.timedOut(slot));
    this.retryEv = sim.q.on((id) => this.retryNow(id));
    this.rng = sim.stream("call-guards/backoff");
  }

  /** Installs a guard on calls from `caller` to `callee`. */
  add(caller: Component, callee: Component, policy: CallPolicy): Guard {
    const g = new Guard(this.list.length, caller, callee, policy, Math.max(1, caller.instances()));
    this.list.push(g);
    caller.guardOf ??= [];
    caller.guardOf[callee.index] = g.index;
    return g;
  }

  tick(): void {
    for (const g of this.list) g.tick();
  }

  /** A new call through guard `gi`: its first attempt. */
  first(gi: number, job: Job, callee: Component, instance: number, processing: number): void {
    const g = this.list[gi];
    const sim = this.sim;
    const now = sim.now;
    g.calls++;
    g.budgets?.[slotOf(job)].deposit(now);
    job.guard = gi;
    job.callerAux = job.aux;
    this.attempt(g, job, callee, instance, processing);
  }

  private attempt(g: Guard, job: Job, callee: Component, instance: number, processing: number): void {
    const sim = this.sim;
    const i = slotOf(job);
    const breaker = g.breakers?.[i];
    if (breaker) {
      const ticket = breaker.allow(sim.now);
      if (ticket < 0) {
        g.shortCircuited++;
        job.outcome = CIRCUIT_OPEN;
        return this.giveUp(g, job);
      }
      job.ticket = ticket;
    }
    if (g.policy.bulkhead > 0 && g.inflight[i] >= g.policy.bulkhead) {
      g.bulkheadRejected++;
      job.outcome = BULKHEAD_FULL;
      return this.giveUp(g, job);
    }
    // each attempt carries its own deadline, within its request's
    const overall = this.deadlineOf(job);
    job.deadline = g.policy.propagateDeadline ? Math.min(overall, sim.now + g.policy.timeoutMs) : overall;
    g.inflight[i]++;
    g.attempts++;
    if (job.attempt > 0) g.retries++;
    job.outcome = OK;
    const timeout = g.policy.timeoutMs;
    if (timeout < Infinity) {
      const slot = this.freeSlots.pop() ?? this.slotJob.length;
      this.slotJob[slot] = job.id;
      this.slotSerial[slot] = job.serial;
      job.timer = slot;
      sim.q.schedule(timeout + processing, this.timeoutEv, slot);
    }
    sim.transmit(job, callee, instance, processing);
  }

  /** An attempt's answer arrived (the caller still waits for it). */
  settle(c: Job): void {
    if (c.timer >= 0) {
      this.slotSerial[c.timer] = -1;
      c.timer = -1;
    }
    this.judge(this.list[c.guard], c);
  }

  /** The attempt a timer watches is now `job` (a stand-in for the original). */
  retarget(slot: number, job: Job): void {
    if (this.slotSerial[slot] < 0) return;
    this.slotJob[slot] = job.id;
    this.slotSerial[slot] = job.serial;
  }

  private timedOut(slot: number): void {
    const id = this.slotJob[slot];
    const serial = this.slotSerial[slot];
    this.freeSlots.push(slot);
    if (serial < 0) return;
    const sim = this.sim;
    const job = sim.pool.jobs[id];
    if (job.serial !== serial || job.guard < 0)
      throw new Error(`timer ${slot} outlived its attempt (job ${id})`);
    // the callee keeps the attempt; its answer, when it comes, is dropped
    job.abandoned = true;
    job.timer = -1;
    const copy = sim.pool.alloc();
    copy.copyCall(job);
    copy.abandoned = false;
    copy.outcome = TIMEOUT;
    const g = this.list[job.guard];
    g.timeouts++;
    this.judge(g, copy);
  }

  private judge(g: Guard, c: Job): void {
    const sim = this.sim;
    const i = slotOf(c);
    g.inflight[i]--;
    const ok = c.outcome === OK;
    g.breakers?.[i].record(ok, sim.now, c.ticket);
    if (ok) return sim.answer(c);
    const retry = g.policy.retry;
    if (retry && c.attempt + 1 < retry.attempts && retry.retryOn[c.outcome] === 1 && this.awaited(c)) {
      let wait = retry.backoff ? backoffDelay(retry.backoff, c.attempt + 1, c.waitedMs, this.rng.next()) : 0;
      if (retry.honourRetryAfter && c.retryAfterMs > wait) wait = c.retryAfterMs;
      // a retry that could only land after its request's deadline is not worth making
      if (sim.now + wait < this.deadlineOf(c)) {
        if (!g.budgets || g.budgets[i].tryWithdraw(sim.now)) return this.retryLater(c, wait);
        g.retriesDenied++;
      }
    }
    this.giveUp(g, c);
  }

  /** The deadline of the request a call is made for (a root request has none of its own). */
  private deadlineOf(c: Job): number {
    return c.parent >= 0 ? this.sim.pool.jobs[c.parent].deadline : Infinity;
  }

  /** Whether anyone still waits for this call's answer. */
  private awaited(c: Job): boolean {
    return c.parent < 0 || !this.sim.pool.jobs[c.parent].cancelled;
  }

  private giveUp(g: Guard, c: Job): void {
    g.failed++;
    if (g.policy.fallback && c.outcome !== OK) {
      g.fallbacks++;
      c.outcome = OK;
      c.degraded = true;
    }
    this.sim.answer(c);
  }

  /** A fresh attempt of the call `c` made, sent after `wait` ms. */
  private retryLater(c: Job, wait: number): void {
    const sim = this.sim;
    const n = sim.pool.alloc();
    n.copyCall(c);
    n.outcome = c.outcome; // the last failure, should the retry not happen
    n.instance = -1; // the callee (or its balancer) chooses again
    n.aux = c.callerAux;
    n.attempt = c.attempt + 1;
    n.waitedMs = wait;
    n.timer = -1;
    n.ticket = -1;
    n.abandoned = false;
    sim.release(c);
    if (wait > 0) sim.q.schedule(wait, this.retryEv, n.id);
    else this.retryNow(n.id);
  }

  private retryNow(id: number): void {
    const n = this.sim.pool.jobs[id];
    const g = this.list[n.guard];
    if (!this.awaited(n)) return this.sim.answer(n);
    this.attempt(g, n, g.callee, -1, 0);
  }
}

/** The caller instance a call's per-instance guard state belongs to. */
function slotOf(job: Job): number {
  return job.callerInstance < 0 ? 0 : job.callerInstance;
}
