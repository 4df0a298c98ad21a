// An orchestrated saga, run by a service route's saga step: its stages are
// calls to participants, each doing a local transaction behind one of its
// routes, made in order. When a stage fails (an error, a refusal, a timeout
// once the caller's call policy has spent its retries), the stages already
// done are compensated: their undo routes are called in reverse order. There
// is no atomicity, only convergence: between a saga's first committed stage
// and its end (completed, or every done stage undone), the system is
// temporarily inconsistent, and that window is what the report measures.
// A compensation that fails leaves the saga stuck (counted; the remaining
// compensations still run, best effort).
//
// The orchestrator keeps its sagas in memory: a saga whose instance dies
// under it is interrupted (counted), as with an orchestrator without a
// durable log to resume from.
import { LatencyRecorder } from "../metrics/latency.js";
import type { Job } from "./job.js";
import { OK, TIMEOUT } from "./outcomes.js";
import type { Component } from "./runtime.js";

export interface SagaStage {
  name: string;
  /** the participant (a service, or a balancer in front of one) */
  target: Component;
  /** the route doing the stage's work (-1: the request's own) */
  route: number;
  /** the route compensating it (-1: nothing to undo) */
  undo: number;
}

/** Counts of one stage over the run. */
export interface StageStats {
  done: number;
  failed: number;
  undone: number;
  undoFailed: number;
}

/** Counts of one saga step (one route's saga) over the run. */
export class SagaStats {
  started = 0;
  completed = 0;
  /** failed at a stage; every stage done before it was undone */
  compensated = 0;
  /** failed at its first stage: nothing was done, nothing to undo */
  aborted = 0;
  /** failed, and at least one compensation failed too: left inconsistent */
  compensationFailed = 0;
  /** its orchestrating instance died under it */
  interrupted = 0;
  /** from the first stage done to the end, for sagas that completed or were compensated */
  readonly inconsistency = new LatencyRecorder();
  readonly stages: StageStats[];

  constructor(readonly names: string[]) {
    this.stages = names.map(() => ({ done: 0, failed: 0, undone: 0, undoFailed: 0 }));
  }
}

export interface SagaStep {
  type: "saga";
  stages: SagaStage[];
  stats: SagaStats;
}

/** What the service running a saga step does for it. */
export interface SagaHost {
  now(): number;
  /** gives back an answered call's job */
  release(c: Job): void;
  /** Calls `route` of `target` for `job`'s current step; `part` numbers the call within the step (its call path). */
  sagaCall(job: Job, target: Component, route: number, part: number): void;
  /** The saga completed: the route goes on with its next step. */
  sagaDone(job: Job): void;
  /** The saga failed (compensated or not): the request fails with `cause`. */
  sagaFailed(job: Job, cause: number): void;
}

/** One saga in flight. */
interface Run {
  job: Job;
  /** the job's serial: a pooled job reused later is not this saga's */
  serial: number;
  step: SagaStep;
  /** stages done so far (forward), or the stage being undone (compensating) */
  done: number;
  stage: number;
  compensating: boolean;
  cause: number;
  /** when the first stage's success came back (-1: none yet) */
  firstEffect: number;
  undoFailed: boolean;
}

export class SagaRunner {
  /** sagas in flight, by the id of the request's job at the orchestrator */
  private readonly runs = new Map<number, Run>();

  constructor(private readonly host: SagaHost) {}

  begin(job: Job, step: SagaStep): void {
    step.stats.started++;
    const run: Run = {
      job,
      serial: job.serial,
      step,
      done: 0,
      stage: 0,
      compensating: false,
      cause: OK,
      firstEffect: -1,
      undoFailed: false,
    };
    this.runs.set(job.id, run);
    this.forward(run);
  }

  /** Calls the next stage, unless the request's deadline has passed: then nobody waits for the saga to finish. */
  private forward(run: Run): void {
    if (run.job.deadline <= this.host.now()) return this.compensate(run, TIMEOUT);
    const stage = run.step.stages[run.done];
    this.host.sagaCall(run.job, stage.target, stage.route, 2 * run.done);
  }

  /** A stage's call, or a compensation's, came back. */
  answered(job: Job, c: Job): void {
    const run = this.runs.get(job.id)!;
    const stats = run.step.stats;
    // (validation allows no fallback on a participant: a default answer would fake a stage)
    const outcome = c.outcome;
    const ok = outcome === OK;
    this.host.release(c);
    if (run.compensating) {
      const s = stats.stages[run.stage];
      if (ok) s.undone++;
      else {
        s.undoFailed++;
        run.undoFailed = true;
      }
      run.stage--;
      return this.undoNext(run);
    }
    const s = stats.stages[run.done];
    if (!ok) {
      s.failed++;
      return this.compensate(run, outcome);
    }
    s.done++;
    if (run.done === 0) run.firstEffect = this.host.now();
    run.done++;
    if (run.done < run.step.stages.length) return this.forward(run);
    stats.completed++;
    stats.inconsistency.record(this.host.now() - run.firstEffect);
    this.runs.delete(job.id);
    this.host.sagaDone(job);
  }

  /**
   * Undoes the stages done, last first. Compensations run whatever the
   * request's deadline: the client may have given up, but the effects of the
   * stages done must still be undone.
   */
  private compensate(run: Run, cause: number): void {
    run.compensating = true;
    run.cause = cause;
    run.stage = run.done - 1;
    run.job.deadline = Infinity;
    this.undoNext(run);
  }

  private undoNext(run: Run): void {
    const stages = run.step.stages;
    // a stage without an undo route has nothing to take back
    while (run.stage >= 0 && stages[run.stage].undo < 0) run.stage--;
    if (run.stage >= 0) {
      const stage = stages[run.stage];
      return this.host.sagaCall(run.job, stage.target, stage.undo, 2 * run.stage + 1);
    }
    const stats = run.step.stats;
    if (run.undoFailed) stats.compensationFailed++;
    else if (run.done === 0) stats.aborted++;
    else {
      stats.compensated++;
      stats.inconsistency.record(this.host.now() - run.firstEffect);
    }
    this.runs.delete(run.job.id);
    this.host.sagaFailed(run.job, run.cause);
  }

  /** The orchestrating instance died: the saga's state is gone with it. */
  interrupted(job: Job): void {
    const run = this.runs.get(job.id);
    if (!run) return;
    run.step.stats.interrupted++;
    this.runs.delete(job.id);
  }

  /** Sagas of `step` still running, and those whose instance died with an answer still pending. */
  pending(step: SagaStep): { inFlight: number; interrupted: number } {
    let inFlight = 0;
    let interrupted = 0;
    for (const run of this.runs.values()) {
      if (run.step !== step) continue;
      if (run.job.cancelled || run.job.serial !== run.serial) interrupted++;
      else inFlight++;
    }
    return { inFlight, interrupted };
  }
}

/** The report of one saga step. */
export function sagaReport(step: SagaStep, runner: SagaRunner): Record<string, unknown> {
  const s = step.stats;
  const { inFlight, interrupted } = runner.pending(step);
  return {
    started: s.started,
    completed: s.completed,
    compensated: s.compensated,
    aborted: s.aborted,
    compensationFailed: s.compensationFailed,
    interrupted: s.interrupted + interrupted,
    inFlight,
    inconsistencyMs: s.inconsistency.summary(),
    stages: Object.fromEntries(s.names.map((name, i) => [name, { ...s.stages[i] }])),
  };
}
