// A built design ready to run: the runtime, its components, the client-side
// metrics and the nemesis. `run` advances virtual time to the end of the
// design's duration, within an event budget and a wall-clock budget.
import type { ConsistencyReport } from "../mechanisms/consistency.js";
import { RequestMetrics } from "../metrics/requests.js";
import type { FaultRecord, Nemesis } from "./faults.js";
import { CAUSES } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import type { Workload } from "./workload.js";

export interface RunBudget {
  maxEvents: number;
  maxWallMs: number;
  /** called now and then with the fraction of simulated time done */
  onProgress?: (fraction: number, wallMs: number) => void;
}

export interface RunResult {
  durationMs: number;
  simulatedMs: number;
  events: number;
  wallMs: number;
  /** why the run ended before its duration, if it did */
  stoppedBy: "event-budget" | "wall-budget" | null;
  routes: string[];
  metrics: RequestMetrics;
  generated: number;
  answered: number;
  components: Record<string, ComponentReport>;
  faults: FaultRecord[];
  /** the consistency checker's verdicts, overall and by route index (null: no database) */
  consistency: ConsistencyReport | null;
}

/** Events fired between checks of the budgets and the progress callback. */
const CHUNK = 1 << 16;

export class Simulation {
  readonly metrics: RequestMetrics;
  private readonly tickEv: number;

  constructor(
    readonly sim: Sim,
    readonly durationMs: number,
    readonly workloads: Workload[],
    readonly nemesis: Nemesis,
    metrics?: RequestMetrics,
  ) {
    this.metrics = metrics ?? new RequestMetrics(CAUSES, sim.routes.length);
    this.tickEv = sim.q.on((s) => this.tick(s));
  }

  private tick(second: number): void {
    this.metrics.tick(second);
    for (const c of this.sim.components) c.tick(second);
    this.sim.guards.tick();
    if ((second + 1) * 1000 <= this.durationMs) this.sim.q.at((second + 1) * 1000, this.tickEv, second + 1);
  }

  /**
   * Runs to the end of the duration within the budgets: `start`, `advance`
   * in chunks, `finish`. The live studio drives the same three steps itself.
   */
  run(budget: RunBudget): RunResult {
    const { sim, durationMs } = this;
    const q = sim.q;
    this.start();
    const t0 = performance.now();
    let stoppedBy: RunResult["stoppedBy"] = null;
    for (;;) {
      const room = Math.min(CHUNK, budget.maxEvents - q.fired);
      if (room <= 0) {
        stoppedBy = "event-budget";
        break;
      }
      const n = this.advance(durationMs, room);
      const wall = performance.now() - t0;
      if (n < room) break; // nothing left before the end
      if (wall > budget.maxWallMs) {
        stoppedBy = "wall-budget";
        break;
      }
      budget.onProgress?.(q.now / durationMs, wall);
    }
    return this.finish(stoppedBy, performance.now() - t0);
  }

  private started = false;

  /** Starts the components, the nemesis and the per-second tick (once). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const { sim, durationMs } = this;
    for (const c of sim.components) c.start();
    this.nemesis.start(durationMs);
    if (durationMs >= 1000) sim.q.at(1000, this.tickEv, 1);
  }

  /**
   * Fires the events due at or before `untilMs` (never past the duration), at
   * most `maxEvents` of them; returns how many fired. The clock stays at the
   * last event fired.
   */
  advance(untilMs: number, maxEvents: number): number {
    return this.sim.q.run(Math.min(untilMs, this.durationMs), maxEvents);
  }

  /** Whether every event up to the end of the duration has fired. */
  get done(): boolean {
    return this.sim.q.peekTime() > this.durationMs;
  }

  /** Ends the run: the clock moves to the end of the duration unless a budget stopped it. */
  finish(stoppedBy: RunResult["stoppedBy"], wallMs: number): RunResult {
    if (!stoppedBy) this.sim.q.advanceTo(this.durationMs);
    return this.result(stoppedBy, wallMs);
  }

  /** What the run has produced so far, at the current time (the components' reports read, not changed). */
  result(stoppedBy: RunResult["stoppedBy"], wallMs: number): RunResult {
    const { sim, durationMs } = this;
    const q = sim.q;
    const now = q.now;
    const components: Record<string, ComponentReport> = {};
    for (const c of sim.components)
      if (c.kind !== "workload" || c.guardOf !== null) components[c.name] = c.report(now);
    // each caller's guarded calls, by dependency
    for (const g of sim.guards.list) {
      const r = components[g.caller.name];
      const calls = (r.calls ??= {}) as Record<string, unknown>;
      calls[g.callee.name] = g.report(now);
    }
    return {
      durationMs,
      simulatedMs: now,
      events: q.fired,
      wallMs,
      stoppedBy,
      routes: sim.routes,
      metrics: this.metrics,
      generated: this.workloads.reduce((s, w) => s + w.generated, 0),
      answered: this.workloads.reduce((s, w) => s + w.answered, 0),
      components,
      faults: this.nemesis.log,
      consistency: sim.consistency?.counts() ?? null,
    };
  }
}
