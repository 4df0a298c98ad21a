// Checks of the resilience settings that need the whole design: a service's
// `calls` name components it really calls, breaker and backoff numbers are
// consistent, and load shedding has a bounded queue to measure and classes
// shed in order (low before normal before high).
import type { ComponentSpec, Design } from "./schema.js";
import { CallPolicySchema } from "./schema.js";
import { didYouMean } from "./suggest.js";
import { routesOf } from "./validate-messaging.js";
import { stepCalls } from "./validate-saga.js";
import type { Problem } from "./validate.js";
import type { z } from "zod";

type ServiceSpec = Extract<ComponentSpec, { kind: "service" | "consumer" }>;
type GatewaySpec = Extract<ComponentSpec, { kind: "gateway" }>;
type CallPolicySpec = z.output<typeof CallPolicySchema>;

/** The components a service's steps send calls to (its dependencies). */
export function dependenciesOf(c: ServiceSpec, d: Design): string[] {
  const out = new Set<string>();
  for (const steps of Object.values(routesOf(c)))
    for (const s of steps) {
      const step = s as Record<string, unknown>;
      for (const k of ["call", "read", "write", "update", "transaction", "cache", "publish"])
        if (typeof step[k] === "string") out.add(step[k] as string);
      for (const x of stepCalls(s)) out.add(x.call);
    }
  // a directory-sharded database's lookups go to its directory service
  for (const name of [...out]) {
    const db = d.components[name];
    const sharding =
      db?.kind === "database" ? (db.sharding as { directory?: string } | undefined) : undefined;
    if (sharding?.directory) out.add(sharding.directory);
  }
  return [...out];
}

/** The backends an API gateway's routes send to. */
export function gatewayBackends(c: GatewaySpec): string[] {
  return [...new Set(Object.values(c.routes).flatMap((b) => (typeof b === "string" ? [b] : b)))];
}

export function callProblems(name: string, c: ServiceSpec | GatewaySpec, d: Design): Problem[] {
  const out: Problem[] = [];
  const deps = c.kind === "gateway" ? gatewayBackends(c) : dependenciesOf(c, d);
  for (const [target, policy] of Object.entries(c.calls ?? {})) {
    const path = ["components", name, "calls", target];
    if (!deps.includes(target))
      out.push({
        path,
        atKey: true,
        message: d.components[target]
          ? `${c.kind} "${name}" never calls "${target}"`
          : `"${target}" is not a component of this design`,
        expected: deps.length ? `one of its dependencies: ${deps.join(", ")}` : "a component its steps call",
        suggestion: didYouMean(target, deps),
      });
    if (policy.fallback && d.components[target]?.kind === "cache")
      out.push({
        path: [...path, "fallback"],
        message: `a failed lookup in cache "${target}" already falls back: to the store`,
        expected: "no fallback on a cache (put it on the store the cache stands in front of)",
        atKey: true,
      });
    out.push(...policyProblems(path, policy));
  }
  if (c.kind === "service" && c.shedding) {
    const shed = c.shedding;
    if (c.queue === "unbounded" || c.queue === 0)
      out.push({
        path: ["components", name, "shedding"],
        message: "load shedding needs a bounded queue to measure how full it is",
        expected: "a queue of at least 1 (the default is 1000)",
      });
    const order: ["low" | "normal" | "high", number | undefined][] = [
      ["low", shed.low],
      ["normal", shed.normal],
      ["high", shed.high],
    ];
    for (let i = 1; i < order.length; i++)
      for (let j = 0; j < i; j++) {
        const [hiName, hi] = order[i];
        const [loName, lo] = order[j];
        if (hi !== undefined && lo !== undefined && hi < lo)
          out.push({
            path: ["components", name, "shedding", hiName],
            message: `${hiName}-priority requests would be shed before ${loName}-priority ones (${pct(hi)} < ${pct(lo)})`,
            expected: `at least ${pct(lo)}: more important classes are shed later`,
          });
      }
  }
  return out;
}

export function policyProblems(path: (string | number)[], p: CallPolicySpec): Problem[] {
  const out: Problem[] = [];
  const b = p.breaker;
  if (b?.minCalls !== undefined && b.minCalls > (b.window ?? 20))
    out.push({
      path: [...path, "breaker", "minCalls"],
      message: `minCalls ${b.minCalls} is more than the window of ${b.window ?? 20} outcomes the breaker remembers`,
      expected: `at most ${b.window ?? 20}`,
    });
  const backoff = p.retry?.backoff;
  if (
    backoff &&
    backoff !== "none" &&
    backoff.base !== undefined &&
    backoff.cap !== undefined &&
    backoff.cap < backoff.base
  )
    out.push({
      path: [...path, "retry", "backoff", "cap"],
      message: "the cap on the wait is shorter than the first wait (base)",
      expected: `at least ${backoff.base}ms`,
    });
  const budget = p.retry?.budget;
  if (
    budget !== undefined &&
    typeof budget === "object" &&
    budget.window !== undefined &&
    budget.window % 1000 !== 0
  )
    out.push({
      path: [...path, "retry", "budget", "window"],
      message: `a retry budget counts whole seconds; ${budget.window}ms is not`,
      expected: "a whole number of seconds, e.g. 10s",
    });
  return out;
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}
