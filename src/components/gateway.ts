// An API gateway: instances with workers and a queue, like a service, that
// for each request authenticates it (a cost per request, and refused
// credentials answered `unauthorized`), applies the rate limits that cover its
// route (refusals answered `rate-limited` with a Retry-After) and sends it on
// to the route's backends: one service or balancer, or several at once (API
// composition, as slow as the slowest and failed if any fails).
//
// A worker is held only for the gateway's own work (processing and auth):
// while the request waits for the limiter store, a leaky-queue slot or its
// backends, it holds none, as in an event-driven proxy.
//
// Counters live in each instance (`store: local`: every instance enforces the
// limits alone, so N instances let up to N times the limit through) or in a
// central limiter store that every instance asks, at the price of a round
// trip, with a policy for when it does not answer within `storeTimeout`:
// let everything through (open), refuse everything (closed), or fall back to
// the instance's own counters (local).
import type { Sampler } from "../kernel/distributions.js";
import type { Rng } from "../kernel/rng.js";
import { type RateAlgorithm, SlidingLog } from "../mechanisms/rate-limiters.js";
import type { Job } from "./job.js";
import { keyOf, LIMIT_KEYS, type LimitDef, type LimitKey, LimitSet } from "./limit-set.js";
import { type LimiterStore, STORE_CHECK, STORE_PEEK, STORE_TAKE } from "./limiter-store.js";
import { INSTANCE_DOWN, OK, RATE_LIMITED, UNAUTHORIZED } from "./outcomes.js";
import type { Component, ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";

export const STORE_FAILURE_POLICIES = ["open", "closed", "local"] as const;
export type StoreFailurePolicy = (typeof STORE_FAILURE_POLICIES)[number];

/** What the report says about a limit, besides its counts. */
export interface LimitInfo {
  name: string;
  key: LimitKey;
  algorithm: RateAlgorithm;
  /** the window the report measures each key's throughput over */
  windowMs: number;
  /** by tier index: the units a key may get through per window (Infinity: unlimited) */
  perWindow: number[];
}

export interface GatewayConfig extends StationConfig {
  /** the gateway's own work per request (routing, transformation) */
  compute: Sampler;
  auth: { time: Sampler; failRate: number } | null;
  limits: LimitDef[];
  limitInfo: LimitInfo[];
  /** null: counters in each instance */
  store: LimiterStore | null;
  onStoreFailure: StoreFailurePolicy;
  storeTimeoutMs: number;
  /** false: a read of the counters, then a separate increment (the race) */
  atomic: boolean;
}

/** where a request is while it holds no worker */
const WAIT_STORE = 1;
const WAIT_QUEUE = 2;
const FORWARDED = 3;

export class Gateway extends Station {
  readonly kind = "gateway";
  private readonly gc: GatewayConfig;
  private processedEv = -1;
  private releasedEv = -1;
  private timeoutEv = -1;
  private authRng!: Rng;
  private readonly backends: (Component[] | undefined)[] = [];
  private fallback: Component[] | null = null;
  /** each instance's own counters (local counters, or the fallback when the store fails) */
  private readonly local: LimitSet[];
  /** per limit: units each key got through in the last window, gateway-wide */
  private readonly meters: SlidingLog[];
  /** requests held without a worker, answered for if their instance dies */
  private readonly suspended = new Set<number>();
  /** store calls awaited: the call's number (an int32) -> the request */
  private readonly waiting = new Map<number, number>();
  private storeSeq = 0;

  private admitted = 0;
  private limited = 0;
  private unauthorized = 0;
  private delayed = 0;
  private readonly limitAdmitted: Float64Array;
  private readonly limitLimited: Float64Array;
  private readonly maxSeen: {
    ratio: number;
    units: number;
    key: number;
    tier: number;
    atMs: number;
  }[];
  private tierAdmitted: Float64Array = new Float64Array(1);
  private tierLimited: Float64Array = new Float64Array(1);
  private tierUnauthorized: Float64Array = new Float64Array(1);
  private readonly storeStats = {
    calls: 0,
    failures: 0,
    timeouts: 0,
    lateReplies: 0,
    failOpenPasses: 0,
    failClosedRefusals: 0,
    fallbackChecks: 0,
  };
  private readonly admittedSeries: number[] = [];
  private readonly limitedSeries: number[] = [];
  private admittedAtTick = 0;
  private limitedAtTick = 0;

  constructor(name: string, config: GatewayConfig) {
    super(name, config);
    this.gc = config;
    this.local = Array.from({ length: config.instances }, () => new LimitSet(config.limits));
    this.meters = config.limitInfo.map(
      (info, l) => new SlidingLog(Number.POSITIVE_INFINITY, info.windowMs, config.limits[l].keySpace),
    );
    this.limitAdmitted = new Float64Array(config.limits.length);
    this.limitLimited = new Float64Array(config.limits.length);
    this.maxSeen = config.limits.map(() => ({ ratio: 0, units: 0, key: -1, tier: 0, atMs: 0 }));
  }

  /** Backends per route index; `fallback` serves routes without their own ("*"). */
  define(routes: Map<number, Component[]>, fallback: Component[] | null): void {
    for (const [route, list] of routes) this.backends[route] = list;
    this.fallback = fallback;
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.authRng = sim.stream(`${this.name}/auth`);
    this.processedEv = sim.q.on((id) => this.processed(id));
    this.releasedEv = sim.q.on((id) => this.released(id));
    this.timeoutEv = sim.q.on((token) => this.storeTimedOut(token));
  }

  override start(): void {
    const tiers = this.sim.tiers.length;
    this.tierAdmitted = new Float64Array(tiers);
    this.tierLimited = new Float64Array(tiers);
    this.tierUnauthorized = new Float64Array(tiers);
    this.gc.store?.register(this, this.gc.limits);
  }

  /** Whether this gateway has steps for `route` (checked when a design is built). */
  handles(route: number): boolean {
    return this.backends[route] !== undefined || this.fallback !== null;
  }

  protected begin(job: Job): void {
    let d = this.gc.compute.sample(this.rng) + this.slowMs;
    if (this.gc.auth) d += this.gc.auth.time.sample(this.rng);
    if (d > 0) this.sim.q.schedule(d, this.processedEv, job.id);
    else this.processed(job.id);
  }

  /** The gateway's own work is done: authenticate, then limit. */
  private processed(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    const auth = this.gc.auth;
    if (auth && auth.failRate > 0 && this.authRng.next() < auth.failRate) {
      this.unauthorized++;
      this.tierUnauthorized[job.tier]++;
      return this.finish(job, UNAUTHORIZED);
    }
    // from here on the request waits without a worker
    this.suspended.add(job.id);
    this.suspend(job);
    const limits = this.local[job.instance];
    if (!limits.coversAny(job.route)) return this.pass(job, 0);
    const store = this.gc.store;
    if (store === null) return this.decide(job, limits.check(job, this.sim.now), limits);
    this.askStore(job, this.gc.atomic ? STORE_CHECK : STORE_PEEK);
  }

  /** Acts on a LimitSet's verdict (a mask of refusing limits). */
  private decide(job: Job, refused: number, set: LimitSet): void {
    if (refused !== 0) return this.limit(job, refused, set.retryAfterMs);
    this.countAdmitted(job);
    this.pass(job, set.delayMs);
  }

  private askStore(job: Job, op: number): void {
    const store = this.gc.store!;
    const c = this.sim.child(job, this, job.instance);
    c.op = op;
    // each store call has a number of its own: an answer that comes after its request
    // stopped waiting finds its number gone (even if the request is waiting on another call)
    const token = ++this.storeSeq | 0;
    c.key = token;
    job.phase = WAIT_STORE;
    this.waiting.set(token, job.id);
    this.storeStats.calls++;
    this.sim.send(c, store, -1);
    if (this.waiting.has(token)) this.sim.q.schedule(this.gc.storeTimeoutMs, this.timeoutEv, token);
  }

  private storeAnswered(c: Job): void {
    const sim = this.sim;
    if (c.parent < 0) {
      // the increment of a read-then-increment: nobody waits for it
      if (c.outcome !== OK) this.storeStats.failures++;
      return sim.release(c);
    }
    const token = c.key;
    if (this.waiting.get(token) !== c.parent) {
      // the request stopped waiting (timed out) and has gone on without this answer
      this.storeStats.lateReplies++;
      return sim.release(c);
    }
    this.waiting.delete(token);
    const job = sim.pool.jobs[c.parent];
    const outcome = c.outcome;
    const refused = c.version;
    const wait = c.retryAfterMs;
    const op = c.op;
    sim.release(c);
    if (job.cancelled) return sim.release(job);
    if (outcome !== OK) {
      this.storeStats.failures++;
      return this.storeFailed(job);
    }
    if (refused !== 0) return this.limit(job, refused, wait);
    if (op === STORE_PEEK) {
      // read-then-increment: the increment goes out on its own, and the request goes on
      const t = sim.child(job, this, job.instance);
      t.parent = -1;
      t.op = STORE_TAKE;
      this.storeStats.calls++;
      sim.send(t, this.gc.store!, -1);
    }
    this.countAdmitted(job);
    this.pass(job, wait);
  }

  private storeTimedOut(token: number): void {
    const id = this.waiting.get(token);
    if (id === undefined) return; // answered in time
    this.waiting.delete(token);
    this.storeStats.timeouts++;
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    this.storeFailed(job);
  }

  /** The store failed or did not answer in time: the failure policy decides. */
  private storeFailed(job: Job): void {
    switch (this.gc.onStoreFailure) {
      case "open":
        this.storeStats.failOpenPasses++;
        this.countAdmitted(job);
        return this.pass(job, 0);
      case "closed":
        this.storeStats.failClosedRefusals++;
        return this.limit(job, 0, 0);
      case "local": {
        this.storeStats.fallbackChecks++;
        const set = this.local[job.instance];
        return this.decide(job, set.check(job, this.sim.now), set);
      }
    }
  }

  /** Answers `rate-limited`, counted against the limits that refused (none: the store failed closed). */
  private limit(job: Job, refused: number, retryAfterMs: number): void {
    this.limited++;
    this.tierLimited[job.tier]++;
    for (let l = 0; l < this.gc.limits.length; l++) if ((refused >>> l) & 1) this.limitLimited[l]++;
    job.retryAfterMs = retryAfterMs;
    this.answer(job, RATE_LIMITED);
  }

  private countAdmitted(job: Job): void {
    this.admitted++;
    this.tierAdmitted[job.tier]++;
    const set = this.local[0];
    for (let l = 0; l < this.gc.limits.length; l++) if (set.covers(l, job.route)) this.limitAdmitted[l]++;
  }

  /** The request goes on to its backends, at once or after its leaky-queue wait. */
  private pass(job: Job, delayMs: number): void {
    if (delayMs > 0) {
      this.delayed++;
      job.phase = WAIT_QUEUE;
      this.sim.q.schedule(delayMs, this.releasedEv, job.id);
      return;
    }
    this.forward(job);
  }

  private released(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    this.forward(job);
  }

  private forward(job: Job): void {
    const sim = this.sim;
    this.measure(job);
    const list = this.backends[job.route] ?? this.fallback!;
    job.phase = FORWARDED;
    job.aux = list.length;
    job.version = OK; // the first failure among the answers
    for (const b of list) {
      const c = sim.child(job, this, job.instance);
      c.op = job.op;
      sim.send(c, b, -1);
    }
  }

  /** Records what got through, per limit and key, over the limit's window. */
  private measure(job: Job): void {
    const info = this.gc.limitInfo;
    const set = this.local[0];
    const now = this.sim.now;
    for (let l = 0; l < info.length; l++) {
      if (!set.covers(l, job.route)) continue;
      const limit = info[l].perWindow[job.tier] ?? info[l].perWindow[0];
      if (!Number.isFinite(limit)) continue;
      const key = keyOf(this.gc.limits[l].key, job);
      const meter = this.meters[l];
      meter.take(key, now, set.costOf(l, job.route));
      const ratio = meter.unitsInWindow / limit;
      const m = this.maxSeen[l];
      if (ratio > m.ratio) {
        m.ratio = ratio;
        m.units = meter.unitsInWindow;
        m.key = key;
        m.tier = job.tier;
        m.atMs = now;
      }
    }
  }

  override onReply(c: Job): void {
    const store = this.gc.store;
    if (store !== null && c.callee === store.index) return this.storeAnswered(c);
    const sim = this.sim;
    const job = sim.pool.jobs[c.parent];
    if (c.outcome !== OK && job.version === OK) {
      job.version = c.outcome;
      job.retryAfterMs = c.retryAfterMs; // a backend's own limiter's Retry-After
    }
    sim.release(c);
    if (--job.aux > 0) return;
    if (job.cancelled) return sim.release(job);
    const outcome = job.version;
    job.version = -1; // an aggregate of several answers carries no single version
    this.answer(job, outcome);
  }

  /** Answers a request that holds no worker. */
  private answer(job: Job, outcome: number): void {
    this.suspended.delete(job.id);
    this.respond(job, outcome);
  }

  override kill(instance: number): void {
    if (!this.isAlive(instance)) return;
    super.kill(instance);
    // requests waiting on the store, a queue slot or backends die with their instance;
    // each original is released when what it waits for comes back
    for (const id of this.suspended) {
      const job = this.sim.pool.jobs[id];
      if (job.instance !== instance) continue;
      this.suspended.delete(id);
      const copy = this.sim.standIn(job);
      copy.enqueued = job.enqueued;
      job.cancelled = true;
      this.respond(copy, INSTANCE_DOWN);
    }
  }

  override restart(instance: number): void {
    super.restart(instance);
    // in-process counters do not survive the process
    this.local[instance].clear();
  }

  override tick(second: number): void {
    super.tick(second);
    this.admittedSeries.push(this.admitted - this.admittedAtTick);
    this.limitedSeries.push(this.limited - this.limitedAtTick);
    this.admittedAtTick = this.admitted;
    this.limitedAtTick = this.limited;
  }

  report(now: number): ComponentReport {
    const base = this.stationReport(now);
    const tiers = this.sim.tiers;
    const store = this.gc.store;
    const limits = this.gc.limitInfo.map((info, l) => {
      const m = this.maxSeen[l];
      // wherever this gateway's counters are: the store, the instances, or both with a local fallback
      const central = store?.setOf(this);
      const sets = central ? [central] : [];
      if (!central || this.gc.onStoreFailure === "local") sets.push(...this.local);
      let keys = 0;
      let maxKeys = 0;
      for (const set of sets) {
        const k = set.keysOf(l);
        keys += k.keys;
        maxKeys += k.maxKeys;
      }
      return {
        name: info.name,
        key: info.key,
        algorithm: info.algorithm,
        admitted: this.limitAdmitted[l],
        limited: this.limitLimited[l],
        keys,
        maxKeys,
        maxPerWindow:
          m.key < 0
            ? null
            : {
                windowMs: info.windowMs,
                key: m.key,
                tier: tiers[m.tier] || null,
                units: m.units,
                limit: info.perWindow[m.tier] ?? info.perWindow[0],
                ratio: m.ratio,
                atMs: m.atMs,
              },
      };
    });
    const byKey: Record<string, { admitted: number; limited: number }> = {};
    for (const k of LIMIT_KEYS)
      this.gc.limitInfo.forEach((info, l) => {
        if (info.key !== k) return;
        byKey[k] ??= { admitted: 0, limited: 0 };
        byKey[k].admitted += this.limitAdmitted[l];
        byKey[k].limited += this.limitLimited[l];
      });
    const byTier: Record<string, { admitted: number; limited: number; unauthorized: number }> = {};
    tiers.forEach((name, t) => {
      const seen = this.tierAdmitted[t] + this.tierLimited[t] + this.tierUnauthorized[t];
      if (t === 0 && seen === 0) return;
      byTier[t === 0 ? "none" : name] = {
        admitted: this.tierAdmitted[t],
        limited: this.tierLimited[t],
        unauthorized: this.tierUnauthorized[t],
      };
    });
    return {
      ...base,
      admitted: this.admitted,
      limited: this.limited,
      unauthorized: this.unauthorized,
      delayed: this.delayed,
      limits,
      byKey,
      byTier,
      store: store
        ? {
            name: store.name,
            atomic: this.gc.atomic,
            onStoreFailure: this.gc.onStoreFailure,
            ...this.storeStats,
          }
        : null,
      series: {
        ...(base.series as Record<string, number[]>),
        admitted: this.admittedSeries,
        limited: this.limitedSeries,
      },
    };
  }
}
