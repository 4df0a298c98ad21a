// Turns the resilience settings of a design into runtime objects: a call
// policy per (caller, dependency) installed as a guard in the transport, and
// load-shedding thresholds per priority class.
import type { CallPolicy } from "../components/call-guard.js";
import { CAUSES, type Cause } from "../components/outcomes.js";
import type { Component, Sim } from "../components/runtime.js";
import { DEFAULTS } from "./defaults.js";
import { type CallPolicySchema, PRIORITIES } from "./schema.js";
import type { z } from "zod";

type CallPolicySpec = z.output<typeof CallPolicySchema>;

export function callPolicy(p: CallPolicySpec): CallPolicy {
  const D = DEFAULTS.calls;
  const r = p.retry;
  const b = p.breaker;
  const budget = r?.budget;
  const backoff = r?.backoff ?? {};
  const retryOn = new Uint8Array(CAUSES.length);
  for (const cause of r?.on ?? D.retryOn) retryOn[CAUSES.indexOf(cause as Cause)] = 1;
  return {
    timeoutMs: p.timeout ?? Infinity,
    retry: r
      ? {
          attempts: r.attempts,
          backoff:
            backoff === "none"
              ? null
              : {
                  baseMs: backoff.base ?? D.backoffBase,
                  capMs: backoff.cap ?? D.backoffCap,
                  multiplier: backoff.multiplier ?? D.backoffMultiplier,
                  jitter: backoff.jitter ?? D.jitter,
                },
          retryOn,
          budget:
            budget === undefined
              ? null
              : typeof budget === "number"
                ? { ratio: budget, minPerSecond: D.budgetMinPerSecond, windowMs: D.budgetWindow }
                : {
                    ratio: budget.ratio,
                    minPerSecond: budget.minPerSecond ?? D.budgetMinPerSecond,
                    windowMs: budget.window ?? D.budgetWindow,
                  },
          honourRetryAfter: r.honourRetryAfter ?? true,
        }
      : null,
    breaker: b
      ? {
          failureRate: b.failureRate ?? D.breakerFailureRate,
          window: b.window ?? D.breakerWindow,
          minCalls: b.minCalls ?? b.window ?? D.breakerWindow,
          openMs: b.open ?? D.breakerOpen,
          probes: b.probes ?? D.breakerProbes,
        }
      : null,
    bulkhead: p.bulkhead ?? 0,
    propagateDeadline: p.propagateDeadline ?? false,
    fallback: p.fallback ?? false,
  };
}

/** Guards calls from `caller` to `callee` with the policy `spec`. */
export function guardCalls(sim: Sim, caller: Component, callee: Component, spec: CallPolicySpec): void {
  sim.guards.add(caller, callee, callPolicy(spec));
}

/** Priority class index of a route (0 = critical). */
export function priorityIndex(p: (typeof PRIORITIES)[number] | undefined): number {
  return PRIORITIES.indexOf(p ?? "normal");
}

/** Queue length per priority class at which its arrivals are shed (critical: never, only a full queue). */
export function shedThresholds(
  s: { low?: number; normal?: number; high?: number } | undefined,
  queue: number,
): number[] | undefined {
  if (!s) return undefined;
  const at = (f: number | undefined) => (f === undefined ? Infinity : Math.ceil(f * queue));
  return [Infinity, at(s.high), at(s.normal), at(s.low)];
}
