// Checks of a service's capacity changes (autoscale, drain, cost) that the
// schema cannot express, and the few derived figures the builder shares with
// them: the autoscaling target in the metric's unit, the fleet's initial size
// and how many instance slots to allocate.
import type { ScalingMetric } from "../components/autoscaler.js";
import { DEFAULTS } from "./defaults.js";
import type { UnitError } from "./errors.js";
import type { ComponentSpec, Design } from "./schema.js";
import { didYouMean } from "./suggest.js";
import { parseCount, parsePercent, parseRate } from "./units.js";
import type { Problem } from "./validate.js";

type ServiceSpec = Extract<ComponentSpec, { kind: "service" }>;

const TARGET_UNITS: Record<ScalingMetric, { parse: (v: string | number) => number; expected: string }> = {
  utilization: { parse: parsePercent, expected: "a percentage such as 60%" },
  "rps-per-instance": { parse: parseRate, expected: "a rate per instance such as 100/s" },
  queue: { parse: parseCount, expected: "a number of waiting requests per instance, such as 5" },
  lag: { parse: parseCount, expected: "a number of messages of lag per instance, such as 1k" },
};

/** The autoscaling target in the metric's own unit (a fraction, requests per second, a count). */
export function autoscaleTarget(metric: ScalingMetric, raw: string | number): number {
  return TARGET_UNITS[metric].parse(raw);
}

/** Instances a service starts with: `instances`, else autoscale.min, else 1. */
export function initialInstances(c: ServiceSpec): number {
  return c.instances ?? c.autoscale?.min ?? DEFAULTS.service.instances;
}

/**
 * Instance slots to allocate: twice the largest fleet, so that a whole fleet
 * can be launched while as many instances are still draining.
 */
export function fleetSlots(c: ServiceSpec): number {
  const fleet = Math.max(initialInstances(c), c.autoscale?.max ?? 0);
  const beside = c.deployments?.some((x) => x.strategy === "blue-green" || x.strategy === "canary");
  return c.autoscale || beside ? 2 * fleet : fleet;
}

/** A service's autoscale, or a consumer group's (whose metric may also be lag). */
type AutoscaleSpec = Omit<NonNullable<ServiceSpec["autoscale"]>, "metric"> & { metric?: ScalingMetric };

/** Checks of an autoscaling policy (a service's or a consumer group's) against itself and the starting fleet. */
export function autoscalePolicyProblems(
  at: (...p: (string | number)[]) => (string | number)[],
  a: AutoscaleSpec,
  instances: number | undefined,
): Problem[] {
  const out: Problem[] = [];
  if (a.min > a.max)
    out.push({
      path: at("autoscale", "max"),
      message: `autoscale.max (${a.max}) is below autoscale.min (${a.min})`,
      expected: `a whole number >= ${a.min}`,
    });
  if (instances !== undefined && (instances < a.min || instances > a.max))
    out.push({
      path: at("instances"),
      message: `the fleet starts with ${instances} instances, outside autoscale's ${a.min}..${a.max}`,
      hint: "leave instances out to start at autoscale.min",
    });
  const metric = a.metric ?? "utilization";
  const unit = TARGET_UNITS[metric];
  let target = Number.NaN;
  try {
    target = unit.parse(a.target);
  } catch (e) {
    const err = e as UnitError;
    out.push({
      path: at("autoscale", "target"),
      message: `${metric} target: ${err.message}`,
      expected: unit.expected,
      suggestion: err.suggestion,
      hint: err.hint,
    });
  }
  if (!Number.isNaN(target) && !(target > 0))
    out.push({ path: at("autoscale", "target"), message: "the target must be greater than zero" });
  else if (metric === "utilization" && target > 1)
    out.push({
      path: at("autoscale", "target"),
      message: `a utilization target of ${target * 100}% can never be reached`,
      expected: "a percentage up to 100%, typically 50% to 70%",
    });
  if (a.tolerance !== undefined && a.tolerance >= 1)
    out.push({
      path: at("autoscale", "tolerance"),
      message: "a tolerance of 100% or more never lets the fleet scale in",
      expected: "a percentage below 100%, typically 10%",
    });
  return out;
}

export function capacityProblems(name: string, c: ServiceSpec, d: Design): Problem[] {
  const out: Problem[] = [];
  const at = (...p: (string | number)[]) => ["components", name, ...p];
  const a = c.autoscale;
  if (a) {
    out.push(...autoscalePolicyProblems(at, a, c.instances));
    // a balancer's weights name instances one by one; an autoscaled fleet's change
    for (const [lbName, lb] of Object.entries(d.components))
      if (lb.kind === "load-balancer" && lb.backend === name && lb.weights)
        out.push({
          path: ["components", lbName, "weights"],
          message: `weights give each instance of "${name}" a share, but "${name}" is autoscaled: its instances come and go`,
          hint: "remove weights (autoscaled instances are identical)",
          atKey: true,
        });
  }
  const r = c.resize;
  if (r) {
    if (
      r.concurrency === undefined &&
      r.speed === undefined &&
      r.costPerHour === undefined &&
      r.instanceType === undefined
    )
      out.push({
        path: at("resize"),
        message:
          "a resize changes nothing: give the new type's concurrency, speed, costPerHour or instanceType",
        atKey: true,
      });
    const priced =
      r.costPerHour !== undefined ? "costPerHour" : r.instanceType !== undefined ? "instanceType" : null;
    if (priced && c.costPerHour === undefined && c.instanceType === undefined)
      out.push({
        path: at("resize", priced),
        message: "the new type has a price but the old one has none",
        hint: "add costPerHour to the service (or its instanceType): the price of the type it starts with",
        atKey: true,
      });
    if (r.at >= d.duration)
      out.push({
        path: at("resize", "at"),
        message: `the resize at ${r.at / 1000}s comes after the run ends (${d.duration / 1000}s)`,
        hint: "move it earlier, or make the run longer",
      });
  }
  out.push(...deploymentProblems(c, at, d));
  out.push(...sessionProblems(name, c, at, d));
  const split = c.deployments?.find((x) => x.strategy === "blue-green" || x.strategy === "canary");
  if (c.discovery && split)
    out.push({
      path: at("discovery"),
      message: `a ${split.strategy} deployment splits traffic between versions, which callers picking from their own cached instance lists do not do`,
      hint: "put a load balancer in front of the service and remove discovery, or deploy with strategy: rolling",
      atKey: true,
    });
  return out;
}

function deploymentProblems(
  c: ServiceSpec,
  at: (...p: (string | number)[]) => (string | number)[],
  d: Design,
) {
  const out: Problem[] = [];
  const names = new Set([c.version ?? DEFAULTS.deploy.version]);
  c.deployments?.forEach((x, k) => {
    const p = (...rest: (string | number)[]) => at("deployments", k, ...rest);
    const strategy = x.strategy ?? DEFAULTS.deploy.strategy;
    if (names.has(x.version))
      out.push({
        path: p("version"),
        message: `version "${x.version}" is already running or deployed: each deployment brings a new version`,
        hint: "give each deployment its own version name",
      });
    names.add(x.version);
    if (x.at >= d.duration)
      out.push({
        path: p("at"),
        message: `the deployment at ${x.at / 1000}s comes after the run ends (${d.duration / 1000}s)`,
      });
    const only = (field: "batch" | "steps" | "bake", allowed: string[]) => {
      if (x[field] !== undefined && !allowed.includes(strategy))
        out.push({
          path: p(field),
          message: `${field} applies to ${allowed.join(" and ")} deployments, not ${strategy}`,
          hint: `remove ${field}, or set strategy: ${allowed[0]}`,
          atKey: true,
        });
    };
    only("batch", ["rolling"]);
    only("steps", ["canary"]);
    only("bake", ["canary", "blue-green"]);
    x.steps?.forEach((share, i) => {
      const prev = i > 0 ? x.steps![i - 1] : 0;
      if (!(share > prev))
        out.push({
          path: p("steps", i),
          message: `canary steps must grow: ${share * 100}% follows ${prev * 100}%`,
        });
    });
    if (x.abort && x.abort.errorRate === undefined && x.abort.p99 === undefined)
      out.push({
        path: p("abort"),
        message: "an abort rule needs a threshold: errorRate, p99 or both",
        atKey: true,
      });
  });
  return out;
}

function sessionProblems(
  name: string,
  c: ServiceSpec,
  at: (...p: (string | number)[]) => (string | number)[],
  d: Design,
): Problem[] {
  const out: Problem[] = [];
  if (c.sessions === "shared" && c.sessionStore === undefined)
    out.push({
      path: at("sessions"),
      message: "shared sessions live in a store every instance reads: name it",
      hint: "add sessionStore: <a cache or database>",
      atKey: true,
    });
  if (c.sessionStore === undefined) return out;
  if (c.sessions !== "shared") {
    out.push({
      path: at("sessionStore"),
      message: `a session store is for shared sessions, and "${name}" has ${c.sessions ? `${c.sessions} sessions` : "none"}`,
      hint: "add sessions: shared, or remove sessionStore",
      atKey: true,
    });
    return out;
  }
  const store = d.components[c.sessionStore];
  const candidates = Object.keys(d.components).filter((n) =>
    ["cache", "database"].includes(d.components[n].kind),
  );
  if (!store || (store.kind !== "cache" && store.kind !== "database")) {
    out.push({
      path: at("sessionStore"),
      message: store
        ? `session store "${c.sessionStore}" is a ${store.kind}`
        : `session store "${c.sessionStore}" is not a component of this design`,
      expected: candidates.length ? `one of ${candidates.join(", ")}` : "a cache or a database",
      suggestion: store ? undefined : didYouMean(c.sessionStore, candidates),
    });
    return out;
  }
  if (store.kind === "cache" && store.reads === "read-through")
    out.push({
      path: at("sessionStore"),
      message: `cache "${c.sessionStore}" reads through to a database on a miss, but sessions are only ever created by the service`,
      hint: "use a cache-aside cache (the default) for sessions",
    });
  if (store.kind === "database" && store.sharding?.directory)
    out.push({
      path: at("sessionStore"),
      message: `database "${c.sessionStore}" finds keys through a directory service; sessions are read straight by user`,
      hint: "keep sessions in a database sharded by hash (or not sharded)",
    });
  // sessions are keyed by user: data keys in the same store would be the same keys
  for (const [other, o] of Object.entries(d.components))
    if (o.kind === "service")
      for (const [route, steps] of Object.entries(o.routes))
        steps.forEach((s, i) => {
          const names = Object.entries(s)
            .filter(([k]) => ["read", "write", "update", "transaction", "cache"].includes(k))
            .map(([, v]) => v);
          if (names.includes(c.sessionStore))
            out.push({
              path: ["components", other, "routes", route, i],
              message: `"${c.sessionStore}" is "${name}"'s session store; it holds sessions only`,
              hint: "give the sessions a store of their own",
            });
        });
  return out;
}
