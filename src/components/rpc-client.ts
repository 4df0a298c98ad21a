// The caller's side of request-reply over a queue (RPC, MQ-15): a route step
// publishes a request (its correlation id the message's id, its reply-to
// the caller) and waits, holding its worker, for the reply or its timeout,
// whichever comes first. The broker's side is the queue's correlation table
// (queue.ts), which hands a matched reply back here.
//
// The request job waits in one of three phases: SENT (the publish is not
// yet acknowledged; a reply may already come), ANSWERED (it did) and WAITING
// (acknowledged, waiting for the reply with a timer). While it waits with no
// call out, a crash of its instance leaves it to the timer, which releases it.
import type { Sampler } from "../kernel/distributions.js";
import { type Job, OP_PUBLISH } from "./job.js";
import { OK, TIMEOUT } from "./outcomes.js";
import type { Queue } from "./queue.js";
import type { Component, Sim } from "./runtime.js";

export interface RequestStep {
  type: "request";
  queue: Queue;
  timeoutMs: number;
  size: Sampler;
}

/** job.phase values of a request step (clear of the service's other phases) */
const SENT = 8;
const ANSWERED = 9;
const WAITING = 10;

export interface RpcHost {
  sim: () => Sim;
  component: Component;
  sample: (s: Sampler) => number;
  /** the request step of the job's current step */
  stepOf: (job: Job) => RequestStep;
  proceed: (job: Job) => void;
  finish: (job: Job, outcome: number) => void;
}

export class RpcClient {
  private timerEv = -1;
  /** timer slots: job id, its serial and the correlation id awaited */
  private tJob: number[] = [];
  private tSerial: number[] = [];
  private tCorr: number[] = [];
  private readonly free: number[] = [];

  constructor(private readonly host: RpcHost) {}

  attach(sim: Sim): void {
    this.timerEv = sim.q.on((t) => this.expired(t));
  }

  /** Publishes the request; the job waits for the broker's acknowledgement, then for the reply. */
  begin(job: Job, step: RequestStep): void {
    const sim = this.host.sim();
    const corr = step.queue.newMessageId();
    job.aux = corr;
    job.phase = SENT;
    step.queue.rpc!.expect(corr, sim.now, sim.now + step.timeoutMs, job.id, job.serial);
    const c = sim.child(job, this.host.component, job.instance);
    c.op = OP_PUBLISH;
    c.aux = corr;
    c.size = this.host.sample(step.size);
    sim.send(c, step.queue, -1);
  }

  /** The request's publish was answered. */
  sent(job: Job, c: Job, step: RequestStep): void {
    const sim = this.host.sim();
    const outcome = c.outcome;
    sim.release(c);
    const rpc = step.queue.rpc!;
    if (outcome !== OK) {
      rpc.withdraw(job.aux);
      return this.host.finish(job, outcome);
    }
    if (job.phase === ANSWERED) return this.host.proceed(job);
    job.phase = WAITING;
    const left = rpc.owner(job.aux).sentAt + step.timeoutMs - sim.now;
    const t = this.free.pop() ?? this.tJob.length;
    this.tJob[t] = job.id;
    this.tSerial[t] = job.serial;
    this.tCorr[t] = job.aux;
    sim.q.schedule(Math.max(0, left), this.timerEv, t);
  }

  /** The job was cancelled (its instance died) while its publish was out. */
  interrupted(job: Job, step: RequestStep): void {
    step.queue.rpc!.gone(job.aux);
  }

  /** The queue matched a reply to this waiting job. */
  replied(job: Job): void {
    if (job.phase === SENT) {
      job.phase = ANSWERED;
      return;
    }
    this.host.proceed(job);
  }

  private expired(t: number): void {
    const sim = this.host.sim();
    const id = this.tJob[t];
    const serial = this.tSerial[t];
    const corr = this.tCorr[t];
    this.free.push(t);
    const job = sim.pool.jobs[id];
    // answered and gone on (its job perhaps reused): nothing to do
    if (job.serial !== serial || job.phase !== WAITING || job.aux !== corr) return;
    const rpc = this.host.stepOf(job).queue.rpc!;
    if (job.cancelled) {
      rpc.gone(corr);
      return sim.release(job);
    }
    rpc.timeout(corr);
    job.phase = 0;
    this.host.finish(job, TIMEOUT);
  }
}
