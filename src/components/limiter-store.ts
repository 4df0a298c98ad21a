// A central counter store for rate limits (Redis-like): instances with
// workers and a queue, each check taking `opTime`, that keeps one LimitSet per
// gateway and answers each gateway call atomically, as a Lua script would.
// Every gateway instance then shares the same counters, at the price of a
// network round trip per request, of the store's capacity, and of a
// dependency that can fail.
//
// Calls: a check (check-and-increment in one step), or, for gateways that are
// not atomic, a peek (would the request be admitted?) and a separate take
// (count it, whatever the counters say now): between the two, other gateways
// read the same counters, which is the read-then-increment race.
//
// The answer is always `ok` (the store did answer); what it decided travels
// back on the call: `version` holds the bit mask of the limits that refused
// (0: admitted) and `retryAfterMs` the Retry-After of a refusal, or the wait
// a leaky-queue limit imposes on an admitted request.
//
// A request's keys are checked together on the instance owning its first
// limit's key (as a hash tag keeps a script's keys on one Redis cluster node),
// so a dead instance fails the checks of its keys only. The counters
// themselves are one keyspace that survives a restart (a persisted or
// replicated Redis).
import type { Sampler } from "../kernel/distributions.js";
import { hash32 } from "../mechanisms/hashing.js";
import { type Job, OP_READ, OP_ROUTE, OP_WRITE } from "./job.js";
import { keyOf, type LimitDef, LimitSet } from "./limit-set.js";
import { OK } from "./outcomes.js";
import type { Component, ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";

/** check-and-increment, atomically */
export const STORE_CHECK = OP_ROUTE;
/** read only: would the request be admitted? */
export const STORE_PEEK = OP_READ;
/** increment only, unconditionally */
export const STORE_TAKE = OP_WRITE;

export interface LimiterStoreConfig extends StationConfig {
  /** time one call takes on a worker */
  opTime: Sampler;
}

export class LimiterStore extends Station {
  readonly kind = "limiter-store";
  /** each calling gateway's limits, by the gateway's component index */
  private readonly sets = new Map<number, LimitSet>();
  private doneEv = -1;
  private checks = 0;
  private peeks = 0;
  private takes = 0;
  private refusals = 0;

  constructor(
    name: string,
    private readonly sc: LimiterStoreConfig,
  ) {
    super(name, sc);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.doneEv = sim.q.on((id) => this.done(id));
  }

  /** A gateway's limits get counters of their own here. */
  register(gateway: Component, limits: readonly LimitDef[]): LimitSet {
    const set = new LimitSet(limits);
    this.sets.set(gateway.index, set);
    return set;
  }

  setOf(gateway: Component): LimitSet | undefined {
    return this.sets.get(gateway.index);
  }

  /** The instance owning the request's first limit key. */
  override pick(job: Job): number {
    const n = this.cfg.instances;
    if (n === 1) return 0;
    const set = this.sets.get(job.caller);
    let key = 0;
    if (set)
      for (let l = 0; l < set.defs.length; l++)
        if (set.covers(l, job.route)) {
          key = keyOf(set.defs[l].key, job);
          break;
        }
    return hash32(key) % n;
  }

  protected begin(job: Job): void {
    this.sim.q.schedule(this.sc.opTime.sample(this.rng) + this.slowMs, this.doneEv, job.id);
  }

  private done(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    const set = this.sets.get(job.caller);
    let refused = 0;
    if (set) {
      const now = this.sim.now;
      if (job.op === STORE_TAKE) {
        this.takes++;
        set.take(job, now);
      } else if (job.op === STORE_PEEK) {
        this.peeks++;
        refused = set.peek(job, now);
      } else {
        this.checks++;
        refused = set.check(job, now);
      }
      job.retryAfterMs = refused !== 0 ? set.retryAfterMs : set.delayMs;
    }
    if (refused !== 0) this.refusals++;
    job.version = refused;
    this.finish(job, OK);
  }

  report(now: number): ComponentReport {
    let keys = 0;
    let maxKeys = 0;
    for (const set of this.sets.values())
      for (let l = 0; l < set.defs.length; l++) {
        const k = set.keysOf(l);
        keys += k.keys;
        maxKeys += k.maxKeys;
      }
    return {
      ...this.stationReport(now),
      checks: this.checks,
      peeks: this.peeks,
      takes: this.takes,
      refusals: this.refusals,
      keys,
      maxKeys,
    };
  }
}
