// Builds gateways and limiter stores from their validated specs: each limit's
// limiter per plan (a tier's rate scales the limit, or the rate and burst, in
// proportion), the routes it covers and their costs, and each route's backends.
import { Gateway, type LimitInfo } from "../components/gateway.js";
import { type LimitDef, type LimitKey, LimitSet } from "../components/limit-set.js";
import { LimiterStore } from "../components/limiter-store.js";
import { QUEUE_FULL } from "../components/outcomes.js";
import type { Component, Sim } from "../components/runtime.js";
import type { Step } from "../components/service.js";
import { sampler } from "../kernel/distributions.js";
import { isBucket, type LimiterSpec, SlidingLog } from "../mechanisms/rate-limiters.js";
import { DEFAULTS, queueCap } from "./defaults.js";
import type { ComponentSpec, Design } from "./schema.js";

type GatewaySpec = Extract<ComponentSpec, { kind: "gateway" }>;
type LimitSpec = NonNullable<GatewaySpec["limits"]>[number];
type StepSpec = Extract<ComponentSpec, { kind: "service" }>["routes"][string][number];
type LimitStepSpec = Extract<StepSpec, { limit: unknown }>;
/** What a limiter is made of: a gateway's limit or a limit step's. */
type LimitCore = Pick<LimitSpec, "algorithm" | "limit" | "window" | "rate" | "burst" | "tiers">;
type StoreSpec = Extract<ComponentSpec, { kind: "limiter-store" }>;

/** Every plan named by a workload's population gets a tier index, in order of first mention. */
export function registerTiers(d: Design, sim: Sim): void {
  for (const c of Object.values(d.components))
    if (c.kind === "workload") for (const t of Object.keys(c.population?.tiers ?? {})) sim.tierIndex(t);
}

export function buildLimiterStore(name: string, c: StoreSpec): LimiterStore {
  const D = DEFAULTS.limiterStore;
  return new LimiterStore(name, {
    instances: c.instances ?? D.instances,
    concurrency: c.concurrency ?? D.concurrency,
    queue: queueCap(c.queue, D.queue),
    rejectCause: QUEUE_FULL,
    opTime: sampler(c.opTime ?? D.opTime),
  });
}

/** A gateway without its backends (they may be balancers, built later: see defineGatewayRoutes). */
export function buildGateway(
  name: string,
  c: GatewaySpec,
  d: Design,
  sim: Sim,
  byName: Map<string, Component>,
): Gateway {
  const D = DEFAULTS.gateway;
  const limits = c.limits ?? [];
  const store = c.store !== undefined && c.store !== "local" ? (byName.get(c.store) as LimiterStore) : null;
  return new Gateway(name, {
    instances: c.instances ?? D.instances,
    concurrency: c.concurrency ?? D.concurrency,
    queue: queueCap(c.queue, D.queue),
    rejectCause: QUEUE_FULL,
    compute: sampler(c.compute ?? D.compute),
    auth: c.auth ? { time: sampler(c.auth.time), failRate: c.auth.failRate ?? 0 } : null,
    limits: limits.map((l) => limitDef(l, sim, keySpace(d, l.key, sim))),
    limitInfo: limits.map((l, i) => limitInfo(l, i, limits, sim)),
    store,
    onStoreFailure: c.onStoreFailure ?? D.onStoreFailure,
    storeTimeoutMs: c.storeTimeout ?? D.storeTimeout,
    atomic: c.atomic ?? D.atomic,
  });
}

export function defineGatewayRoutes(
  gw: Gateway,
  c: GatewaySpec,
  sim: Sim,
  byName: Map<string, Component>,
): void {
  const routes = new Map<number, Component[]>();
  let fallback: Component[] | null = null;
  for (const [route, to] of Object.entries(c.routes)) {
    const list = [to].flat().map((n) => byName.get(n)!);
    if (route === "*") fallback = list;
    else routes.set(sim.routeIndex(route), list);
  }
  gw.define(routes, fallback);
}

/** A count that is a whole number but for the rounding of a rate times a window. */
function tidy(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) < 1e-9 * Math.max(1, r) ? r : x;
}

/** The limiter of one plan: the limit as written, or scaled to the plan's rate. */
function specFor(l: LimitCore, tierRate: number | undefined): LimiterSpec {
  if (isBucket(l.algorithm)) {
    const rate = l.rate!;
    const r = tierRate ?? rate;
    return { algorithm: l.algorithm, ratePerSec: r, burst: tidy((l.burst! * r) / rate) };
  }
  const windowMs = l.window!;
  const limit = tierRate === undefined ? l.limit! : tidy((tierRate * windowMs) / 1000);
  return { algorithm: l.algorithm as "fixed-window", limit, windowMs };
}

function perTier(l: LimitCore, sim: Sim): (LimiterSpec | null)[] {
  return sim.tiers.map((name, t) => {
    const v = t === 0 ? undefined : l.tiers?.[name];
    return v === Number.POSITIVE_INFINITY ? null : specFor(l, v);
  });
}

function byRoute(sim: Sim, names: string[], value: (name: string) => number): number[] {
  const out: number[] = [];
  for (const n of names) out[sim.routeIndex(n)] = value(n);
  return out;
}

/** Largest index a key of this kind can have, plus one, over every workload: keys are found by index below it. */
function keySpace(d: Design, key: LimitKey, sim: Sim): number {
  if (key === "global") return 1;
  if (key === "tier") return sim.tiers.length;
  // request keys are drawn from each route's own key space: hashed
  if (key === "key") return 0;
  let n = 1;
  for (const c of Object.values(d.components)) {
    if (c.kind !== "workload") continue;
    const users = c.population?.users ?? (c.closed ? c.closed.users : DEFAULTS.users);
    const of = { user: users, ip: c.population?.ips ?? users, apiKey: c.population?.apiKeys ?? users };
    // a workload's ids start at its firstUser
    n = Math.max(n, (c.population?.firstUser ?? 0) + Math.ceil(of[key]));
  }
  // beyond this an index costs more memory than hashing the keys
  return n <= MAX_INDEXED_KEYS ? n : 0;
}

const MAX_INDEXED_KEYS = 1 << 24;

function limitDef(l: LimitSpec, sim: Sim, keys: number): LimitDef {
  const scope = l.routes ? byRoute(sim, l.routes, () => 1) : null;
  return {
    key: l.key,
    keySpace: keys,
    perTier: perTier(l, sim),
    routes: scope ? Array.from(scope, (v) => v === 1) : null,
    cost: byRoute(sim, Object.keys(l.cost ?? {}), (n) => l.cost![n]),
  };
}

/** The window the report measures a limit over, and what each plan may get through in it. */
function limitInfo(l: LimitSpec, i: number, all: LimitSpec[], sim: Sim): LimitInfo {
  const bucket = isBucket(l.algorithm);
  const windowMs = l.window ?? (bucket ? (l.burst! * 1000) / l.rate! : 0);
  const base = `${l.key} ${l.algorithm}`;
  const clash = all.some((o, j) => j !== i && !o.name && `${o.key} ${o.algorithm}` === base);
  return {
    name: l.name ?? (clash ? `${base} #${i + 1}` : base),
    key: l.key,
    algorithm: l.algorithm,
    windowMs,
    perWindow: perTier(l, sim).map((spec) =>
      spec === null
        ? Number.POSITIVE_INFINITY
        : "limit" in spec
          ? spec.limit
          : tidy((spec.ratePerSec * windowMs) / 1000),
    ),
  };
}

/**
 * A limit step of a service route (or a consumer's steps): one limit, on
 * counters of its own. `others` are the limit steps already built for the
 * same component, so that a default name is made unique.
 */
export function buildLimitStep(
  s: LimitStepSpec,
  route: string,
  d: Design,
  sim: Sim,
  others: readonly Step[],
): Extract<Step, { type: "limit" }> {
  const l = s.limit;
  // the window algorithms have a window to measure what each key sends over
  const windowMs = isBucket(l.algorithm) ? null : (l.window ?? null);
  const def: LimitDef = {
    key: l.key,
    keySpace: keySpace(d, l.key, sim),
    perTier: perTier(l, sim),
    routes: null,
    cost: [],
  };
  const base = `${route === "*" ? "" : `${route} `}${l.key} ${l.algorithm}`;
  const n = others.filter((o) => o.type === "limit" && o.stats.name.startsWith(base)).length;
  return {
    type: "limit",
    set: new LimitSet([def]),
    fail: (s.onLimit ?? "skip") === "fail",
    meter: windowMs === null ? null : new SlidingLog(Number.POSITIVE_INFINITY, windowMs, def.keySpace),
    stats: {
      name: l.name ?? (n === 0 ? base : `${base} #${n + 1}`),
      route,
      key: l.key,
      algorithm: l.algorithm,
      onLimit: s.onLimit ?? "skip",
      admitted: 0,
      limited: 0,
      peakPerWindow: windowMs === null ? null : { windowMs, key: -1, units: 0, atMs: 0 },
    },
  };
}
