// A gateway's rate limits, applied together to a request: each limit counts
// per key (the user, the client IP, the API key, the plan, or one global
// key), with its own algorithm, its own limit per plan (tier), the routes it
// covers and what each route costs. A gateway instance keeps one LimitSet of
// its own (local counters); a central limiter store keeps one per gateway
// (shared counters).
//
// Several limits at once: the request is admitted only if every limit in its
// scope admits it, and then it is counted in every one; a request one limit
// refuses is counted in none. Counting it in the limits that would have
// admitted it would spend a user's quota on requests that never got through
// (a per-IP limit could then lock out a user whom only a per-user limit
// refused); so all limits are peeked first and taken from only when all agree,
// as an atomic multi-key script does.
import { createLimiter, type LimiterSpec, type RateLimiter } from "../mechanisms/rate-limiters.js";
import type { Job } from "./job.js";

export const LIMIT_KEYS = ["user", "ip", "apiKey", "tier", "global"] as const;
/**
 * What a limit step in a service route or a consumer counts by: a gateway's
 * keys, or the request's (the message's) own key, such as a notification's
 * recipient.
 */
export const STEP_LIMIT_KEYS = [...LIMIT_KEYS, "key"] as const;
export type LimitKey = (typeof STEP_LIMIT_KEYS)[number];

/**
 * What a limit step does with a request over its limit: skip (the request
 * ends there, ok, its remaining steps skipped) or fail (it ends with cause
 * rate-limited).
 */
export const LIMIT_OUTCOMES = ["skip", "fail"] as const;
export type LimitOutcome = (typeof LIMIT_OUTCOMES)[number];

export interface LimitDef {
  key: LimitKey;
  /** by tier index (Sim.tiers): the limiter for that plan's keys, null for an unlimited plan */
  perTier: (LimiterSpec | null)[];
  /** by route index: whether the limit applies (absent: every route) */
  routes: boolean[] | null;
  /** by route index: units a request of that route costs (absent entries: 1) */
  cost: number[];
  /** every key is a whole number below this (0: unknown, keys are hashed) */
  keySpace: number;
}

export function keyOf(key: LimitKey, job: Job): number {
  switch (key) {
    case "user":
      return job.user;
    case "ip":
      return job.ip;
    case "apiKey":
      return job.apiKey;
    case "tier":
      return job.tier;
    case "global":
      return 0;
    case "key":
      return job.key;
  }
}

/** Most limits one gateway may have: refusals are reported as a bit mask. */
export const MAX_LIMITS = 16;

export class LimitSet {
  /** [limit][tier]: one limiter per plan, null where the plan is unlimited */
  private readonly limiters: (RateLimiter | null)[][];
  /** after peek or check: the longest Retry-After of the refusing limits */
  retryAfterMs = 0;
  /** after an admitting peek or check: the longest wait a leaky-queue limit imposes */
  delayMs = 0;

  constructor(readonly defs: readonly LimitDef[]) {
    if (defs.length > MAX_LIMITS) throw new RangeError(`at most ${MAX_LIMITS} limits, got ${defs.length}`);
    this.limiters = defs.map((d) => d.perTier.map((spec) => (spec ? createLimiter(spec, d.keySpace) : null)));
  }

  /** Whether limit `l` covers the route. */
  covers(l: number, route: number): boolean {
    const r = this.defs[l].routes;
    return r === null || r[route] === true;
  }

  /** Whether any limit covers the route. */
  coversAny(route: number): boolean {
    for (let l = 0; l < this.defs.length; l++) if (this.covers(l, route)) return true;
    return false;
  }

  costOf(l: number, route: number): number {
    return this.defs[l].cost[route] ?? 1;
  }

  /** The limiter limit `l` applies to a request of this tier (null: unlimited). */
  limiter(l: number, tier: number): RateLimiter | null {
    const byTier = this.limiters[l];
    // null is an unlimited plan; a tier the limit was not built for has the base limit
    return tier < byTier.length ? byTier[tier] : byTier[0];
  }

  /**
   * Which limits would refuse the request at `now`, as a bit mask (0: every
   * one admits it); changes nothing.
   */
  peek(job: Job, now: number): number {
    let refused = 0;
    this.retryAfterMs = 0;
    this.delayMs = 0;
    for (let l = 0; l < this.defs.length; l++) {
      if (!this.covers(l, job.route)) continue;
      const lim = this.limiter(l, job.tier);
      if (lim === null) continue;
      if (lim.peek(keyOf(this.defs[l].key, job), now, this.costOf(l, job.route))) {
        if (lim.delayMs > this.delayMs) this.delayMs = lim.delayMs;
      } else {
        refused |= 1 << l;
        if (lim.retryAfterMs > this.retryAfterMs) this.retryAfterMs = lim.retryAfterMs;
      }
    }
    if (refused !== 0) this.delayMs = 0;
    return refused;
  }

  /** Counts the request in every limit that covers it (after a peek that admitted it). */
  take(job: Job, now: number): void {
    this.delayMs = 0;
    for (let l = 0; l < this.defs.length; l++) {
      if (!this.covers(l, job.route)) continue;
      const lim = this.limiter(l, job.tier);
      if (lim === null) continue;
      lim.take(keyOf(this.defs[l].key, job), now, this.costOf(l, job.route));
      if (lim.delayMs > this.delayMs) this.delayMs = lim.delayMs;
    }
  }

  /** peek, then take if every limit admits: the atomic check-and-increment. */
  check(job: Job, now: number): number {
    const refused = this.peek(job, now);
    if (refused === 0) this.take(job, now);
    return refused;
  }

  /** Keys limit `l` holds over its plans' limiters, now and at most (the sum of each limiter's peak). */
  keysOf(l: number): { keys: number; maxKeys: number } {
    let keys = 0;
    let maxKeys = 0;
    for (const lim of this.limiters[l])
      if (lim) {
        keys += lim.keys;
        maxKeys += lim.maxKeys;
      }
    return { keys, maxKeys };
  }

  clear(): void {
    for (const byTier of this.limiters) for (const l of byTier) l?.clear();
  }
}
