// A simulation run step by step, for the studio: advanced by simulated time
// within an event budget per call (a frame's worth of work), watched frame by
// frame, and changed while it runs (kill, restart, slow or partition a node;
// scale the traffic). The same engine as a batch run: advanced to its end
// with no intervention, it produces the batch run's report.
import type { FaultAction, FaultRecord } from "../components/faults.js";
import { Component } from "../components/runtime.js";
import type { RunResult, Simulation } from "../components/simulation.js";
import { buildSimulation } from "../design/build.js";
import { DEFAULTS } from "../design/defaults.js";
import type { LoadedDesign } from "../design/load.js";
import type { Design } from "../design/schema.js";
import type { Report } from "../report/json.js";
import { prepareRun, reportOf } from "../run.js";
import type { Flow, LiveFrame, NodeAction } from "./frame.js";
import { StatusProbe } from "./status.js";

/** A change made while the run goes on. */
export type Intervention =
  { type: "node"; name: string; action: NodeAction } | { type: "traffic"; factor: number };

/**
 * An intervention and the exact point it was made at: the simulated time and
 * the number of events fired by then (several events can share a time, and a
 * budgeted advance may stop between them).
 */
export interface LoggedIntervention {
  atMs: number;
  atEvent: number;
  what: Intervention;
}

/** A request the session refuses (the node cannot be killed, no such node...): the reason, for the user. */
export class LiveError extends Error {}

export interface LiveOptions {
  seed?: number;
  durationMs?: number;
}

export class LiveSession {
  readonly design: Design;
  readonly seed: number;
  readonly log: LoggedIntervention[] = [];
  private readonly simulation: Simulation;
  private readonly probe: StatusProbe;
  private readonly flows: Int32Array;
  private wallMs = 0;
  private factor = 1;
  /** live faults injected on each node, by name (their nemesis ids; a kill's instances) */
  private readonly injected = new Map<
    string,
    { id: number; type: FaultAction["type"]; instances?: number[] }[]
  >();

  constructor(
    private readonly loaded: LoadedDesign,
    opts: LiveOptions = {},
  ) {
    const { design, seed } = prepareRun(loaded, opts);
    this.design = design;
    this.seed = seed;
    this.simulation = buildSimulation(design, seed);
    const sim = this.simulation.sim;
    const n = sim.components.length;
    this.flows = new Int32Array(n * n);
    sim.flows = this.flows;
    this.probe = new StatusProbe(sim);
    this.simulation.start();
  }

  get nowMs(): number {
    return this.simulation.sim.q.now;
  }

  get durationMs(): number {
    return this.simulation.durationMs;
  }

  get events(): number {
    return this.simulation.sim.q.fired;
  }

  /** the traffic factor in force */
  get traffic(): number {
    return this.factor;
  }

  /** Every event of the duration has fired and the clock stands at its end. */
  get done(): boolean {
    return this.simulation.done && this.nowMs >= this.durationMs;
  }

  /** The faults so far, planned and injected (as the report lists them). */
  get faults(): FaultRecord[] {
    return this.simulation.nemesis.log.map((f) => ({ ...f }));
  }

  /** Names of the components, in the design's order of building. */
  get components(): string[] {
    return this.simulation.sim.components.map((c) => c.name);
  }

  /**
   * Fires the events due up to `untilMs` (capped at the duration), at most
   * `maxEvents`; returns how many fired. When every event up to `untilMs`
   * has fired, the clock moves on to it, so that quiet stretches pass.
   */
  advance(untilMs: number, maxEvents = Number.POSITIVE_INFINITY): number {
    const t0 = performance.now();
    const until = Math.min(untilMs, this.durationMs);
    const n = this.simulation.advance(until, maxEvents);
    if (n < maxEvents) this.simulation.sim.q.advanceTo(until);
    this.wallMs += performance.now() - t0;
    return n;
  }

  /** Advances to the end of the duration. */
  runToEnd(): void {
    this.advance(this.durationMs);
  }

  /**
   * What the run looks like now: each component's status and the calls sent
   * along each edge since the previous frame. `detail` also reads the facts
   * only the components' reports hold (dearer: ask for it a few times a second).
   */
  frame(detail = true): LiveFrame {
    const sim = this.simulation.sim;
    const n = sim.components.length;
    const flows: Flow[] = [];
    for (let i = 0; i < this.flows.length; i++) {
      const count = this.flows[i];
      if (count === 0) continue;
      flows.push({ from: sim.components[Math.floor(i / n)].name, to: sim.components[i % n].name, count });
    }
    this.flows.fill(0);
    return { nowMs: this.nowMs, status: this.probe.take(this.nowMs, this.simulation.nemesis, detail), flows };
  }

  /**
   * The per-second series (the report's `series`: t, throughput, errors,
   * p50/p95/p99, errors by cause...) from row `fromRow` on, for charts that
   * append what is new.
   */
  series(fromRow = 0): Record<string, number[]> {
    const all = this.simulation.metrics.series.toJSON();
    const out: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(all)) out[k] = v.slice(fromRow);
    return out;
  }

  /** The JSON report of the run so far (the final report once done). */
  report(): Report {
    const result: RunResult = this.done
      ? this.simulation.finish(null, this.wallMs)
      : this.simulation.result(null, this.wallMs);
    return reportOf(this.loaded, this.design, this.seed, result);
  }

  /** Applies an action to a node now, and logs it. */
  act(name: string, action: NodeAction): void {
    this.apply({ type: "node", name, action });
  }

  /** Scales every workload's arrival rate by `factor` from now on (1: as designed), and logs it. */
  setTraffic(factor: number): void {
    this.apply({ type: "traffic", factor });
  }

  /** Applies an intervention now; it is logged only if it was applied. */
  apply(what: Intervention): void {
    if (this.done) throw new LiveError("the run is over: start a new one to change it");
    if (what.type === "traffic") this.traffic_(what.factor);
    else this.nodeAction(what.name, what.action);
    this.log.push({ atMs: this.nowMs, atEvent: this.events, what });
  }

  /**
   * A fresh session of the same design and seed with `log` applied at the
   * points it records: the same run as the one that made the log.
   */
  static replay(loaded: LoadedDesign, opts: LiveOptions, log: readonly LoggedIntervention[]): LiveSession {
    const s = new LiveSession(loaded, opts);
    for (const entry of log) {
      if (entry.atEvent < s.events || entry.atMs < s.nowMs)
        throw new LiveError(`the log is out of order at ${entry.atMs}ms (event ${entry.atEvent})`);
      s.simulation.advance(entry.atMs, entry.atEvent - s.events);
      if (s.events !== entry.atEvent)
        throw new LiveError(`the log does not match this design and seed at ${entry.atMs}ms`);
      s.simulation.sim.q.advanceTo(entry.atMs);
      s.apply(entry.what);
    }
    return s;
  }

  private traffic_(factor: number): void {
    if (!(factor > 0 && factor <= 1000))
      throw new LiveError(`a traffic factor must be above 0 and at most 1000, got ${factor}`);
    for (const w of this.simulation.workloads) w.setRateFactor(factor);
    this.factor = factor;
  }

  private nodeAction(name: string, action: NodeAction): void {
    const sim = this.simulation.sim;
    const c = sim.components.find((x) => x.name === name);
    if (!c) throw new LiveError(`no component named '${name}'`);
    const nemesis = this.simulation.nemesis;
    const mine = this.injected.get(name) ?? [];
    const endAll = (type?: FaultAction["type"]) => {
      for (const f of mine.filter((f) => type === undefined || f.type === type)) nemesis.end(f.id);
      this.injected.set(
        name,
        mine.filter((f) => type !== undefined && f.type !== type),
      );
    };
    const add = (a: FaultAction) => {
      const list = this.injected.get(name) ?? [];
      list.push({
        id: nemesis.inject(a),
        type: a.type,
        instances: a.type === "kill" ? a.instances : undefined,
      });
      this.injected.set(name, list);
    };
    const instance = (i: number | undefined): number | undefined => {
      if (i === undefined) return undefined;
      if (!(Number.isInteger(i) && i >= 0 && i < c.instances()))
        throw new LiveError(
          `${c.kind} '${name}' has ${c.instances()} instance${c.instances() === 1 ? "" : "s"} (0..${c.instances() - 1}), not ${i}`,
        );
      return i;
    };
    switch (action.type) {
      case "kill": {
        if (c.isClient || c.kill === Component.prototype.kill)
          throw new LiveError(`${c.kind} '${name}' has no instances to kill`);
        const one = instance(action.instance);
        // the instances asked for that no live kill of ours holds down already
        const killed = new Set(mine.flatMap((f) => (f.type === "kill" ? (f.instances ?? []) : [])));
        const all = Array.from({ length: c.instances() }, (_, i) => i);
        const instances = (one === undefined ? all : [one]).filter((i) => !killed.has(i));
        if (instances.length > 0) add({ type: "kill", target: c, instances });
        return;
      }
      case "restart": {
        const one = instance(action.instance);
        // restarting a node ends every live fault on it: its kill, its slowness, its partition
        if (one === undefined) return endAll();
        // one instance: the kills that hold it down end; one that held others too is replaced by a
        // kill of those others, made first, so that they never come up in between (kills compose)
        for (const f of mine.filter((f) => f.type === "kill" && f.instances?.includes(one))) {
          const others = (f.instances ?? []).filter((i) => i !== one);
          if (others.length > 0) add({ type: "kill", target: c, instances: others });
          nemesis.end(f.id);
          const list = this.injected.get(name) ?? [];
          this.injected.set(
            name,
            list.filter((x) => x.id !== f.id),
          );
        }
        return;
      }
      case "slow": {
        if (!(action.ms >= 0 && Number.isFinite(action.ms)))
          throw new LiveError(`slowness must be a number of ms, 0 or more; got ${action.ms}`);
        if (c.slow === Component.prototype.slow) throw new LiveError(`${c.kind} '${name}' cannot be slowed`);
        endAll("slow");
        if (action.ms > 0) add({ type: "slow", target: c, ms: action.ms });
        return;
      }
      case "partition": {
        if (c.isClient)
          throw new LiveError(`'${name}' is a workload: users reach the system over the internet`);
        if (sim.net.zoneNames.length < 2)
          throw new LiveError("the design has a single zone: there is nothing to partition it from");
        if (mine.some((f) => f.type === "partition")) return;
        // the node's zone: where its first instance lives (a node spread over zones keeps the others)
        const zones = [c.zoneOf(0)];
        add({
          type: "partition",
          zones,
          names: zones.map((z) => sim.net.zoneNames[z]),
          timeoutMs: DEFAULTS.partitionTimeout,
        });
        return;
      }
    }
  }
}
