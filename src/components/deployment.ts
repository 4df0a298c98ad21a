// Deployments of new versions of a service, one after another, by one of
// three strategies:
// - rolling: instances are replaced by the new version a batch at a time
//   (drained, restarted); capacity dips by the batch; both versions serve
//   meanwhile, in proportion to their instances;
// - blue-green: a second full fleet of the new version boots beside the old;
//   once all of it serves, all traffic switches at once; the old fleet is
//   kept (and paid for) for the bake time, so that a rollback is a switch
//   back, then drained;
// - canary: extra instances of the new version get a growing share of the
//   traffic, step by step (each held for the bake time), then the whole
//   fleet is replaced.
// While a deployment runs, what the new version's instances serve is judged
// every window; a breach of the abort rule (error rate or p99 above a
// threshold, over at least minRequests requests) rolls it back: traffic
// returns to the old version at once (blue-green, canary), or the replaced
// instances are rolled back a batch at a time (rolling).
import type { Sampler } from "../kernel/distributions.js";
import type { Rng } from "../kernel/rng.js";
import { type Fleet, type FleetController, IN_SERVICE } from "./fleet.js";
import { Roll } from "./rolling.js";
import type { Station } from "./station.js";
import type { VersionSpec, Versions } from "./versions.js";

export type Strategy = "rolling" | "blue-green" | "canary";
export const STRATEGIES: readonly Strategy[] = ["rolling", "blue-green", "canary"];

export interface AbortRule {
  /** fraction of the new version's requests failing, above which it is rolled back */
  errorRate: number | null;
  p99Ms: number | null;
  windowMs: number;
  minRequests: number;
}

export interface DeploymentConfig {
  atMs: number;
  version: VersionSpec;
  strategy: Strategy;
  /** rolling: instances replaced at once */
  batch: number;
  /** time a new (or restarted) instance takes to serve */
  boot: Sampler;
  /** canary: traffic shares, ascending, below 1 (the last step is 100%) */
  steps: number[];
  /** canary: time each step is held; blue-green: time the old fleet is kept after the switch */
  bakeMs: number;
  abort: AbortRule | null;
}

type Outcome = "pending" | "in-progress" | "promoted" | "rolled-back";

interface Run {
  cfg: DeploymentConfig;
  /** version index of the new version, and of the one it replaces */
  v: number;
  old: number;
  outcome: Outcome;
  startedAt: number | null;
  finishedAt: number | null;
  abortReason: string | null;
  events: { t: number; event: string }[];
  /** blue-green and canary: the instances of the new version launched so far */
  fresh: number[];
  /** canary: the step under way (steps.length: the final 100% step) */
  step: number;
  /** blue-green: traffic has switched to the new fleet */
  switched: boolean;
  /** how many of `fresh` must serve before the next move */
  waitingFor: number;
  /** the fewest instances in service while it ran */
  minInService: number;
}

export class Deployer implements FleetController {
  readonly key = "deployments";
  private readonly runs: Run[];
  private readonly forward: Roll;
  private readonly back: Roll;
  private current = -1;
  private readonly queue: number[] = [];
  private rng!: Rng;
  /** timers of an earlier phase of a deployment are ignored */
  private token = 0;
  private timerEv = -1;
  private windowEv = -1;
  private pendingTimer: "bake" | "step" = "bake";

  constructor(
    private readonly station: Station,
    private readonly versions: Versions,
    cfgs: DeploymentConfig[],
    private readonly drainMs: number,
  ) {
    const fleet = station.fleet;
    fleet.versions = versions;
    const boot = () => Math.max(0, this.run().cfg.boot.sample(this.rng));
    const restarting = (instances: number[]) =>
      this.note(
        `restarting ${instances.length === 1 ? "instance" : "instances"} ${instances.join(", ")} as ${
          this.versions.specs[fleet.launchVersion].name
        }`,
      );
    this.forward = new Roll(fleet, {
      batch: 1,
      restartMs: boot,
      drainMs,
      done: () => this.rolled(),
      onBatch: restarting,
      stopped: () => this.rollBack(),
    });
    this.back = new Roll(fleet, {
      batch: 1,
      restartMs: boot,
      drainMs,
      done: () => this.rolledBack(),
      onBatch: restarting,
    });
    this.runs = cfgs.map((cfg) => ({
      cfg,
      v: versions.add(cfg.version),
      old: -1,
      outcome: "pending",
      startedAt: null,
      finishedAt: null,
      abortReason: null,
      events: [],
      fresh: [],
      step: 0,
      switched: false,
      waitingFor: 0,
      minInService: Number.POSITIVE_INFINITY,
    }));
    fleet.onPhase((i, phase) => this.changed(i, phase));
  }

  private get fleet(): Fleet {
    return this.station.fleet;
  }

  private run(): Run {
    return this.runs[this.current];
  }

  start(): void {
    const sim = this.station.sim;
    this.rng = sim.stream(`${this.station.name}/deploy`);
    this.versions.rng = this.rng;
    const beginEv = sim.q.on((k) => this.due(k));
    this.timerEv = sim.q.on((token) => this.timer(token));
    this.windowEv = sim.q.on((token) => this.judge(token));
    this.runs.forEach((r, k) => {
      sim.q.at(r.cfg.atMs, beginEv, k);
    });
  }

  private note(event: string): void {
    this.run().events.push({ t: this.station.sim.now, event });
  }

  /** A deployment's time has come: it starts now, or after the one under way. */
  private due(k: number): void {
    if (this.current >= 0) {
      this.queue.push(k);
      this.runs[k].events.push({ t: this.station.sim.now, event: "queued behind the deployment under way" });
      return;
    }
    this.begin(k);
  }

  private begin(k: number): void {
    const sim = this.station.sim;
    const fleet = this.fleet;
    this.current = k;
    const r = this.run();
    r.old = fleet.launchVersion;
    r.outcome = "in-progress";
    r.startedAt = sim.now;
    r.minInService = fleet.inService;
    this.token++;
    this.versions.takeWindow(r.v);
    if (r.cfg.abort) sim.q.schedule(r.cfg.abort.windowMs, this.windowEv, this.token);
    const { strategy } = r.cfg;
    this.note(`started (${strategy})`);
    if (strategy === "rolling") {
      fleet.launchVersion = r.v;
      this.forward.batchSize = r.cfg.batch;
      this.forward.start((i) => fleet.version[i] !== r.v);
      return;
    }
    // the old fleet's size is what the new one must carry; scaling waits meanwhile
    fleet.scalingPaused = true;
    if (strategy === "blue-green") this.launchFresh(fleet.inService);
    else this.enterStep(0);
  }

  /** Launches new-version instances until `n` of them are up or booting, and waits for them to serve. */
  private launchFresh(n: number): void {
    const r = this.run();
    const fleet = this.fleet;
    const before = r.fresh.length;
    while (r.fresh.length < n) {
      const slot = fleet.freeSlot();
      if (slot < 0) break;
      r.fresh.push(slot);
      fleet.launchSlot(slot, Math.max(0, r.cfg.boot.sample(this.rng)), r.v);
    }
    r.waitingFor = r.fresh.length;
    const added = r.fresh.length - before;
    if (added > 0)
      this.note(
        `launched ${added} ${added === 1 ? "instance" : "instances"} of ${r.cfg.version.name} (${r.fresh.length} in all)`,
      );
    this.checkReady();
  }

  private serving(r: Run): number {
    let n = 0;
    for (const i of r.fresh) if (this.fleet.phase[i] === IN_SERVICE && this.fleet.version[i] === r.v) n++;
    return n;
  }

  private changed(_i: number, phase: number): void {
    if (this.current < 0) return;
    const r = this.run();
    if (this.fleet.inService < r.minInService) r.minInService = this.fleet.inService;
    if (phase === IN_SERVICE && r.outcome === "in-progress" && r.waitingFor > 0) this.checkReady();
  }

  /** The new instances asked for all serve: switch (blue-green) or move the canary's share. */
  private checkReady(): void {
    const r = this.run();
    if (r.waitingFor === 0 || this.serving(r) < r.waitingFor) return;
    r.waitingFor = 0;
    const sim = this.station.sim;
    if (r.cfg.strategy === "blue-green") {
      this.versions.split(r.old, r.v, 1);
      r.switched = true;
      this.note(`switched all traffic to ${r.cfg.version.name}`);
      this.pendingTimer = "bake";
      sim.q.schedule(r.cfg.bakeMs, this.timerEv, this.token);
      return;
    }
    const share = r.step < r.cfg.steps.length ? r.cfg.steps[r.step] : 1;
    this.versions.split(r.old, r.v, share);
    this.note(`${(share * 100).toFixed(share < 0.1 ? 1 : 0)}% of traffic to ${r.cfg.version.name}`);
    if (share >= 1) return this.promote();
    this.pendingTimer = "step";
    sim.q.schedule(r.cfg.bakeMs, this.timerEv, this.token);
  }

  /** Canary step k: enough new instances for its share (all of the fleet for the last), then the share. */
  private enterStep(k: number): void {
    const r = this.run();
    r.step = k;
    const base = this.fleet.inService - this.serving(r);
    const share = k < r.cfg.steps.length ? r.cfg.steps[k] : 1;
    const want = share >= 1 ? Math.max(base, 1) : Math.max(1, Math.ceil(base * share));
    this.launchFresh(Math.max(want, r.fresh.length));
  }

  private timer(token: number): void {
    if (token !== this.token || this.current < 0) return;
    const r = this.run();
    if (this.pendingTimer === "step") return this.enterStep(r.step + 1);
    // blue-green's bake time passed without an abort
    this.promote();
  }

  /** The new version takes over: the old version's instances drain, new launches run it. */
  private promote(): void {
    const r = this.run();
    const fleet = this.fleet;
    fleet.launchVersion = r.v;
    for (let i = 0; i < fleet.slots; i++) if (fleet.version[i] === r.old) fleet.retire(i, this.drainMs);
    this.versions.unsplit();
    this.finish("promoted");
  }

  /** Every window, the new version's requests are judged against the abort rule. */
  private judge(token: number): void {
    if (token !== this.token || this.current < 0) return;
    const r = this.run();
    const rule = r.cfg.abort!;
    const w = this.versions.takeWindow(r.v);
    this.station.sim.q.schedule(rule.windowMs, this.windowEv, token);
    if (w.requests < rule.minRequests) return;
    const rate = w.errors / w.requests;
    let reason: string | null = null;
    if (rule.errorRate !== null && rate > rule.errorRate)
      reason = `error rate ${(rate * 100).toFixed(2)}% above ${(rule.errorRate * 100).toFixed(2)}%`;
    else if (rule.p99Ms !== null && w.p99 > rule.p99Ms)
      reason = `p99 ${w.p99.toFixed(1)}ms above ${rule.p99Ms}ms`;
    if (reason) this.abort(`${reason} over ${w.requests} requests in ${rule.windowMs / 1000}s`);
  }

  private abort(reason: string): void {
    const r = this.run();
    const fleet = this.fleet;
    this.token++; // no more steps, bakes or windows of this deployment
    r.abortReason = reason;
    this.note(`aborted: ${reason}`);
    fleet.launchVersion = r.old;
    // rolling: the batch under way comes back first, then rollBack
    if (r.cfg.strategy === "rolling") return this.forward.halt();
    // traffic goes back at once: the new instances drain (or stop booting)
    this.versions.unsplit();
    for (const i of r.fresh) fleet.retire(i, this.drainMs);
    this.finish("rolled-back");
  }

  /** A halted rolling deployment's last batch is back: roll the new version's instances back, a batch at a time. */
  private rollBack(): void {
    const r = this.run();
    const fleet = this.fleet;
    this.back.batchSize = r.cfg.batch;
    this.back.start((i) => fleet.version[i] !== r.old);
  }

  private rolled(): void {
    if (this.current < 0 || this.run().outcome !== "in-progress" || this.run().abortReason) return;
    this.finish("promoted");
  }

  private rolledBack(): void {
    if (this.current >= 0 && this.run().abortReason) this.finish("rolled-back");
  }

  private finish(outcome: Outcome): void {
    const r = this.run();
    r.outcome = outcome;
    r.finishedAt = this.station.sim.now;
    this.note(outcome);
    this.token++;
    this.fleet.scalingPaused = false;
    this.current = -1;
    const next = this.queue.shift();
    if (next !== undefined) this.begin(next);
  }

  section(): unknown {
    return this.runs.map((r) => ({
      version: r.cfg.version.name,
      strategy: r.cfg.strategy,
      at: r.cfg.atMs,
      outcome: r.outcome,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      abortReason: r.abortReason,
      minInService: Number.isFinite(r.minInService) ? r.minInService : null,
      events: r.events,
    }));
  }
}
