// Checks of a realtime gateway's settings: fields that belong to another
// connection model, a reconnect backoff whose cap is below its base, a
// population too large to keep per-user state for.
import { DEFAULTS } from "./defaults.js";
import type { ComponentSpec } from "./schema.js";
import type { Problem } from "./validate.js";

type RealtimeSpec = Extract<ComponentSpec, { kind: "realtime" }>;

/** Per-user state is ~60 bytes: 10M clients is ~600MB before any event. */
export const MAX_REALTIME_CLIENTS = 10_000_000;

/** Which model each model-specific field belongs to. */
const ONLY_FOR: { field: "interval" | "timeout" | "pause"; model: RealtimeSpec["model"] }[] = [
  { field: "interval", model: "short-poll" },
  { field: "timeout", model: "long-poll" },
  { field: "pause", model: "long-poll" },
];

export function realtimeProblems(name: string, c: RealtimeSpec): Problem[] {
  const out: Problem[] = [];
  const at = (...p: (string | number)[]) => ["components", name, ...p];
  for (const { field, model } of ONLY_FOR)
    if (c[field] !== undefined && c.model !== model)
      out.push({
        path: at(field),
        message: `${field} applies to model: ${model}; "${name}" uses ${c.model}`,
        hint:
          c.model === "short-poll"
            ? "a short-poll client's rhythm is its interval"
            : c.model === "long-poll"
              ? "a long-poll client's request is held for timeout, then it asks again after pause"
              : `${c.model} clients hold an open connection: there is no polling to set`,
        atKey: true,
      });
  if (c.clients > MAX_REALTIME_CLIENTS)
    out.push({
      path: at("clients"),
      message: `${c.clients} clients: archsim keeps state per client, and more than ${MAX_REALTIME_CLIENTS} would need gigabytes`,
      expected: `at most ${MAX_REALTIME_CLIENTS}`,
      hint: "simulate a share of the population (one gateway cell) and scale the results",
    });
  if (c.eventsPerUser !== undefined && !(c.eventsPerUser > 0))
    out.push({
      path: at("eventsPerUser"),
      message: "eventsPerUser must be greater than zero",
      hint: "leave it out if the gateway's events come only from notify steps",
    });
  if (c.memoryPerConnection !== undefined && !(c.memoryPerConnection > 0))
    out.push({ path: at("memoryPerConnection"), message: "memoryPerConnection must be greater than zero" });
  const r = c.reconnect;
  if (r) {
    const dflt = c.model === "sse" ? DEFAULTS.realtime.sseReconnect : DEFAULTS.realtime.reconnect;
    const base = r.base ?? dflt.baseMs;
    const cap = r.cap ?? dflt.capMs;
    if (cap < base)
      out.push({
        path: at("reconnect", r.cap !== undefined ? "cap" : "base"),
        message: `the longest wait (cap ${cap}ms) is shorter than the first one (base ${base}ms)`,
        hint:
          r.cap !== undefined ? `raise cap to at least ${base}ms` : `give cap as well, at least ${base}ms`,
      });
  }
  return out;
}
