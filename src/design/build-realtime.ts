// Builds a realtime gateway from its design entry, defaults applied.
import { type PresenceConfig, type PresenceTier, Realtime } from "../components/realtime.js";
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
    devices: c.devices ? c.devices.shares : null,
    churn: c.churn
      ? { sessionMs: c.churn.session, awayMs: c.churn.away, ungraceful: c.churn.ungraceful ?? 0 }
      : null,
    heartbeat: c.heartbeat
      ? {
          intervalMs: c.heartbeat.interval,
          timeoutMs: c.heartbeat.timeout ?? D.heartbeatTimeoutFactor * c.heartbeat.interval,
        }
      : null,
    presence: c.presence ? presenceConfig(c.presence) : null,
    typing: c.typing
      ? {
          burstsPerSec: c.typing.rate,
          durationMs: c.typing.duration ?? D.typingDuration,
          keystrokesPerSec: c.typing.keystrokes ?? D.typingKeystrokes,
          debounceMs: c.typing.debounce ?? D.typingDebounce,
        }
      : null,
    conversations: c.conversations
      ? {
          members: c.conversations.members ?? D.conversationMembers,
          ordering: c.conversations.ordering ?? "server-sequence",
          skewMs: c.conversations.clockSkew ?? 0,
        }
      : null,
  });
}

/** One tier (the interval given, or the default) unless tiers are given; a TTL defaults to 3 intervals. */
export function presenceTiers(p: NonNullable<RealtimeSpec["presence"]>): PresenceTier[] {
  const D = DEFAULTS.realtime;
  if (p.tiers)
    return p.tiers.map((t) => ({
      name: t.name,
      intervalMs: t.interval,
      ttlMs: t.ttl ?? D.presenceTtlFactor * t.interval,
      share: t.share,
    }));
  const interval = p.interval ?? D.presenceInterval;
  return [{ intervalMs: interval, ttlMs: p.ttl ?? D.presenceTtlFactor * interval, share: 1 }];
}

function presenceConfig(p: NonNullable<RealtimeSpec["presence"]>): PresenceConfig {
  return {
    tiers: presenceTiers(p),
    global: (p.scope ?? "global") === "global",
    channelSize: p.channelSize ?? DEFAULTS.realtime.channelSize,
    fanout: p.fanout ?? "push",
    bulkOffline: p.bulkOffline ?? false,
  };
}

/** Whether a component is a service with a notify step addressed by `to` (what the workload must draw). */
export function notifies(c: ComponentSpec, to: "key" | "user"): boolean {
  return (
    c.kind === "service" &&
    Object.values(c.routes).some((steps) => steps.some((s) => "notify" in s && (s.to ?? "key") === to))
  );
}
