// An application service: instances with worker pools and bounded queues that
// run each request's route as a sequence of steps. A worker is held for the
// whole route, downstream calls included, as in a thread-per-request server.
import type { Sampler } from "../kernel/distributions.js";
import { type Job, OP_DELETE, OP_READ, OP_ROUTE, OP_WRITE } from "./job.js";
import { OK } from "./outcomes.js";
import type { Component, ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";

export type Step =
  | { type: "compute"; time: Sampler }
  | { type: "call"; target: Component; route: number }
  | { type: "read"; store: Component; cache: Component | null }
  | { type: "write"; store: Component; cache: Component | null };

export type ServiceConfig = StationConfig;

/** phases of a cache-aside read */
const ASK_CACHE = 0;
const ASK_STORE = 1;

export class Service extends Station {
  readonly kind = "service";
  private computeDone = -1;
  private readonly plans: (Step[] | undefined)[] = [];
  private fallback: Step[] | null = null;

  /**
   * Sets the steps per route index; `fallback` serves routes without a plan of
   * their own. Separate from the constructor because steps name other
   * components, which may be built after this one.
   */
  define(plans: Map<number, Step[]>, fallback: Step[] | null): void {
    for (const [route, steps] of plans) this.plans[route] = steps;
    this.fallback = fallback;
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.computeDone = sim.q.on((id) => this.afterCompute(id));
  }

  /** Whether this service has a plan for `route` (checked when a design is built). */
  handles(route: number): boolean {
    return this.plans[route] !== undefined || this.fallback !== null;
  }

  private plan(job: Job): Step[] {
    return this.plans[job.route] ?? (this.fallback as Step[]);
  }

  protected begin(job: Job): void {
    if (this.slowMs > 0) {
      // a slowed instance spends the extra time once per request, holding its worker
      job.step = -1;
      this.sim.q.schedule(this.slowMs, this.computeDone, job.id);
      return;
    }
    job.step = 0;
    this.advance(job);
  }

  /** Runs steps until one has to wait for time to pass or for a reply. */
  private advance(job: Job): void {
    const plan = this.plan(job);
    const sim = this.sim;
    while (job.step < plan.length) {
      const step = plan[job.step];
      switch (step.type) {
        case "compute": {
          const d = step.time.sample(this.rng);
          if (d > 0) {
            sim.q.schedule(d, this.computeDone, job.id);
            return;
          }
          job.step++;
          continue;
        }
        case "call": {
          const c = sim.child(job, this, job.instance);
          c.op = OP_ROUTE;
          if (step.route >= 0) c.route = step.route;
          sim.send(c, step.target, -1);
          return;
        }
        case "read": {
          job.phase = step.cache ? ASK_CACHE : ASK_STORE;
          const c = sim.child(job, this, job.instance);
          c.op = OP_READ;
          sim.send(c, step.cache ?? step.store, -1);
          return;
        }
        case "write": {
          const c = sim.child(job, this, job.instance);
          c.op = OP_WRITE;
          sim.send(c, step.store, -1);
          return;
        }
      }
    }
    this.finish(job, OK);
  }

  private afterCompute(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    job.step++;
    this.advance(job);
  }

  override onReply(c: Job): void {
    const sim = this.sim;
    if (c.parent < 0) return sim.release(c); // fire-and-forget (cache fill or invalidation)
    const job = sim.pool.jobs[c.parent];
    if (job.cancelled) {
      sim.release(c);
      return sim.release(job);
    }
    const step = this.plan(job)[job.step];
    const outcome = c.outcome;
    if (step.type === "read" && job.phase === ASK_CACHE) {
      if (outcome === OK && c.hit) {
        job.version = c.version;
        job.hit = true;
        sim.release(c);
        job.step++;
        return this.advance(job);
      }
      // a miss, or the cache is unreachable: read the store instead
      sim.release(c);
      job.phase = ASK_STORE;
      const r = sim.child(job, this, job.instance);
      r.op = OP_READ;
      sim.send(r, step.store, -1);
      return;
    }
    if (outcome !== OK) {
      sim.release(c);
      return this.finish(job, outcome);
    }
    if (step.type === "read") {
      job.version = c.version;
      job.hit = false;
      if (step.cache) this.fireAndForget(job, step.cache, OP_WRITE, c.version, c.size);
    } else if (step.type === "write") {
      job.version = c.version;
      if (step.cache) this.fireAndForget(job, step.cache, OP_DELETE, c.version, 0);
    }
    sim.release(c);
    job.step++;
    this.advance(job);
  }

  /** Cache-aside fill after a miss, and invalidation after a write. */
  private fireAndForget(job: Job, cache: Component, op: number, version: number, size: number): void {
    const f = this.sim.child(job, this, job.instance);
    f.parent = -1;
    f.op = op;
    f.version = version;
    f.size = size;
    this.sim.send(f, cache, -1);
  }

  report(now: number): ComponentReport {
    return this.stationReport(now);
  }
}
