// Checks of a gateway that need the whole design: its routes go to services
// or balancers, its store is a limiter store (and the store's options are
// given only with one), each limit has the parameters of its algorithm, names
// routes and plans that exist, and can admit the costliest request it covers.
import type { LimitKey } from "../components/limit-set.js";
import { isBucket } from "../mechanisms/rate-limiters.js";
import type { ComponentSpec, Design } from "./schema.js";
import { didYouMean } from "./suggest.js";
import type { Problem } from "./validate.js";

type GatewaySpec = Extract<ComponentSpec, { kind: "gateway" }>;
type StepSpec = Extract<ComponentSpec, { kind: "service" }>["routes"][string][number];
type LimitStepSpec = Extract<StepSpec, { limit: unknown }>;
/** A gateway's limit, or a limit step's (which has a key of its own kind and no routes or costs). */
type LimitSpec = Omit<NonNullable<GatewaySpec["limits"]>[number], "key"> & { key: LimitKey };
type Kind = ComponentSpec["kind"];
type Ref = (
  path: (string | number)[],
  name: string,
  kinds: Kind[],
  role: string,
) => ComponentSpec | undefined;

/** Route names requests can have: those workloads send and those call steps use. */
function knownRoutes(d: Design): Set<string> {
  const out = new Set<string>();
  for (const c of Object.values(d.components)) {
    if (c.kind === "workload") for (const r of c.routes) out.add(r.route);
    if (c.kind === "service")
      for (const steps of Object.values(c.routes))
        for (const s of steps) if ("call" in s && s.route) out.add(s.route);
  }
  return out;
}

/** Plans workloads give their users. */
function knownTiers(d: Design): Set<string> {
  const out = new Set<string>();
  for (const c of Object.values(d.components))
    if (c.kind === "workload") for (const t of Object.keys(c.population?.tiers ?? {})) out.add(t);
  return out;
}

export function gatewayProblems(name: string, c: GatewaySpec, d: Design, ref: Ref): Problem[] {
  const out: Problem[] = [];
  const at = (...p: (string | number)[]) => ["components", name, ...p];

  for (const [route, to] of Object.entries(c.routes)) {
    const list = [to].flat();
    list.forEach((b, i) => {
      ref(
        Array.isArray(to) ? at("routes", route, i) : at("routes", route),
        b,
        ["service", "load-balancer"],
        "backend",
      );
    });
    if (new Set(list).size !== list.length)
      out.push({ path: at("routes", route), message: `route "${route}" names a backend twice` });
  }

  const central = c.store !== undefined && c.store !== "local";
  if (central) ref(at("store"), c.store!, ["limiter-store"], "store");
  for (const field of ["onStoreFailure", "storeTimeout", "atomic"] as const)
    if (c[field] !== undefined && !central)
      out.push({
        path: at(field),
        message: `${field} applies to counters in a limiter store; gateway "${name}" keeps them in each instance`,
        hint: "add store: <a limiter-store>, or remove it",
        atKey: true,
      });
  if (central && !c.limits?.length)
    out.push({
      path: at("store"),
      message: `gateway "${name}" has no limits to keep counters for`,
      hint: "add limits, or remove store",
      atKey: true,
    });

  const routes = knownRoutes(d);
  const tiers = knownTiers(d);
  c.limits?.forEach((l, i) => {
    out.push(...limitProblems(l, at("limits", i), routes, tiers));
  });
  return out;
}

/**
 * A limit step's problems: those of a gateway's limit, and, in a consumer,
 * keys a message does not have (it carries only its key: no user, IP, API
 * key or plan).
 */
export function limitStepProblems(
  s: LimitStepSpec,
  p: (string | number)[],
  kind: "service" | "consumer",
  d: Design,
): Problem[] {
  const at = [...p, "limit"];
  const out = limitProblems(s.limit, at, knownRoutes(d), knownTiers(d));
  if (kind === "consumer" && s.limit.key !== "key" && s.limit.key !== "global")
    out.push({
      path: [...at, "key"],
      message: `a message carries only its key; a consumer cannot count it per ${s.limit.key}`,
      hint: "use key: key (e.g. the recipient the message was keyed by) or key: global",
    });
  if (kind === "consumer" && s.limit.tiers)
    out.push({
      path: [...at, "tiers"],
      message: "a message carries no plan; a consumer's limit applies as written to every message",
      hint: "remove tiers",
      atKey: true,
    });
  return out;
}

function limitProblems(
  l: LimitSpec,
  p: (string | number)[],
  routes: Set<string>,
  tiers: Set<string>,
): Problem[] {
  const out: Problem[] = [];
  const bucket = isBucket(l.algorithm);
  const needs = bucket ? (["rate", "burst"] as const) : (["limit", "window"] as const);
  for (const f of needs)
    if (l[f] === undefined)
      out.push({
        path: p,
        message: `a ${l.algorithm} limit needs ${f}`,
        hint: bucket ? "e.g. rate: 100/min, burst: 20" : "e.g. limit: 100, window: 1m",
        atKey: true,
      });
  const others = bucket ? (["limit"] as const) : (["rate", "burst"] as const);
  for (const f of others)
    if (l[f] !== undefined)
      out.push({
        path: [...p, f],
        message: `${f} does not apply to ${l.algorithm}, which counts ${bucket ? "with a rate and a burst" : "a limit per window"}`,
        hint: bucket ? "use rate and burst" : "use limit and window",
        atKey: true,
      });
  if (bucket && l.rate !== undefined && !(l.rate > 0))
    out.push({ path: [...p, "rate"], message: "the rate must be greater than zero" });

  const routeRef = (path: (string | number)[], route: string, atKey: boolean) => {
    if (!routes.has(route))
      out.push({
        path,
        message: `no request has route "${route}"`,
        expected: `one of ${[...routes].join(", ")}`,
        suggestion: didYouMean(route, routes),
        atKey,
      });
  };
  l.routes?.forEach((r, j) => {
    routeRef([...p, "routes", j], r, false);
  });
  for (const r of Object.keys(l.cost ?? {})) routeRef([...p, "cost", r], r, true);
  if (l.cost && l.routes)
    for (const r of Object.keys(l.cost))
      if (routes.has(r) && !l.routes.includes(r))
        out.push({
          path: [...p, "cost", r],
          message: `route "${r}" is not among the routes this limit covers`,
          atKey: true,
        });

  if (l.tiers) {
    if (l.key === "ip" || l.key === "global" || l.key === "key")
      out.push({
        path: [...p, "tiers"],
        message: `plans belong to API keys; a limit per ${l.key} counts requests of every plan together`,
        hint: "use key: user, apiKey or tier",
        atKey: true,
      });
    for (const t of Object.keys(l.tiers))
      if (!tiers.has(t))
        out.push({
          path: [...p, "tiers", t],
          message: tiers.size ? `no workload has users on plan "${t}"` : `no workload gives its users plans`,
          expected: tiers.size ? `one of ${[...tiers].join(", ")}` : undefined,
          suggestion: didYouMean(t, tiers),
          hint: tiers.size
            ? undefined
            : "add population.tiers, e.g. { free: 80%, pro: 20% }, to the workload",
          atKey: true,
        });
  }
  if (l.key === "tier" && tiers.size === 0)
    out.push({
      path: [...p, "key"],
      message: "a limit per tier counts each plan's requests, but no workload gives its users plans",
      hint: "add population.tiers to the workload, or use key: global",
    });

  // the costliest request covered must fit in the smallest capacity, or it is never admitted
  if (out.length === 0) {
    const capacity = (rate: number | undefined): number => {
      if (bucket) return rate === undefined ? l.burst! : (l.burst! * rate) / l.rate!;
      return rate === undefined ? l.limit! : (rate * l.window!) / 1000;
    };
    const plans: [string, number][] = [["as written", capacity(undefined)]];
    for (const [t, v] of Object.entries(l.tiers ?? {}))
      if (v !== Number.POSITIVE_INFINITY) plans.push([`plan ${t}`, capacity(v)]);
    for (const [plan, cap] of plans)
      if (cap < 1)
        out.push({
          path: p,
          message: `the limit (${plan}) admits ${Math.round(cap * 1000) / 1000} units at once, less than one request: it would refuse everything`,
          hint: bucket ? "raise burst" : "raise limit, or lengthen window",
          atKey: true,
        });
    for (const [r, cost] of Object.entries(l.cost ?? {}))
      for (const [plan, cap] of plans)
        if (cost > cap + 1e-9)
          out.push({
            path: [...p, "cost", r],
            message: `a request of route "${r}" costs ${cost} units, more than the ${Math.round(cap * 1000) / 1000} the limit (${plan}) ever admits at once: it would always be refused`,
            atKey: true,
          });
  }
  return out;
}
