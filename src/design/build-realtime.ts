// Builds a realtime gateway from its design entry, defaults applied.
import { Realtime } from "../components/realtime.js";
import type { BackoffConfig } from "../mechanisms/backoff.js";
import { DEFAULTS } from "./defaults.js";
import type { ComponentSpec, Design } from "./schema.js";

type RealtimeSpec = Extract<ComponentSpec, { kind: "realtime" }>;

export function buildRealtime(name: string, c: RealtimeSpec, d: Design): Realtime {
  const D = DEFAULTS.realtime;
  const base: BackoffConfig = c.model === "sse" ? D.sseReconnect : D.reconnect;
  const r = c.reconnect ?? {};
  return new Realtime(name, {
    model: c.model,
    clients: c.clients,
    instances: c.instances ?? D.instances,
    capacity: c.connections ?? D.connections[c.model],
    memoryPerConnection: c.memoryPerConnection ?? D.memoryPerConnection[c.model],
    intervalMs: c.interval ?? D.interval,
    holdMs: c.timeout ?? D.timeout,
    pauseMs: c.pause ?? D.pause,
    requestMs: c.requestTime ?? D.requestTime,
    eventsPerUser: c.eventsPerUser ?? 0,
    offlineStore: c.offlineStore ?? false,
    maxPending: c.maxPending ?? D.maxPending,
    reconnect: {
      baseMs: r.base ?? base.baseMs,
      capMs: r.cap ?? base.capMs,
      multiplier: r.multiplier ?? base.multiplier,
      jitter: r.jitter ?? base.jitter,
    },
    balancing: c.balancing ?? D.balancing,
    stopMs: d.duration,
  });
}

/** Whether a component is a service with a notify step addressed by `to` (what the workload must draw). */
export function notifies(c: ComponentSpec, to: "key" | "user"): boolean {
  return (
    c.kind === "service" &&
    Object.values(c.routes).some((steps) => steps.some((s) => "notify" in s && (s.to ?? "key") === to))
  );
}
