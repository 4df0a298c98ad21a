// Terminal lines for realtime gateways: connections and memory per instance,
// request load, event delivery, and the reconnect storms.
import type { LatencySummary } from "../metrics/latency.js";
import type { Report } from "./json.js";

interface RealtimeReport {
  model: string;
  instances: number;
  clients: number;
  connections: { meanPerInstance: number; maxPerInstance: number; capacityPerInstance: number };
  memory: { maxPerInstanceBytes: number };
  requests: { perSecond: number; empty: number; total: number; refused: number };
  events: {
    published: number;
    copies?: number;
    delivered: number;
    redelivered: number;
    lost: number;
    latencyMs: LatencySummary;
  };
  reconnects: {
    disconnected: number;
    reconnected: number;
    peakPerSecond: number;
    timeToReconnectMs: LatencySummary;
  };
  devices?: { connections: number; meanPerUser: number };
  heartbeats?: { deadConnectionsNoticed: number; pushedIntoVoid: number; noticeDelayMs: LatencySummary };
  presence?: {
    writesPerSecond: number;
    offlineDetectionMs: LatencySummary;
    staleUserSeconds: number;
    fanout: { mode: string; scope: string; perSecond: number };
  };
  typing?: { sent: number; suppressed: number; delivered: number; dropped: number };
}

const n = (v: number) => (v > 0 && v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString("en-US"));

function bytes(v: number): string {
  if (v >= 1024 ** 3) return `${(v / 1024 ** 3).toFixed(1)}GiB`;
  if (v >= 1024 ** 2) return `${(v / 1024 ** 2).toFixed(1)}MiB`;
  if (v >= 1024) return `${(v / 1024).toFixed(1)}KiB`;
  return `${Math.round(v)}B`;
}

/** Two lines per gateway: load and delivery, then its reconnect storms if it had any. */
export function realtimeLines(rep: Report, ms: (v: number) => string): string[] {
  const out: string[] = [];
  for (const [name, c] of Object.entries(rep.components)) {
    if (c.kind !== "realtime") continue;
    const r = c as unknown as RealtimeReport;
    const e = r.events;
    // only polls can come back empty; a push gateway's requests are its handshakes
    const polls = r.model === "short-poll" || r.model === "long-poll";
    const empty =
      polls && r.requests.total > 0
        ? ` (${((100 * r.requests.empty) / r.requests.total).toFixed(1)}% empty)`
        : "";
    out.push(
      `${name}: ${r.model}, ${n(r.clients)} clients on ${r.instances} instances: ${n(r.connections.meanPerInstance)} connections per instance (peak ${n(r.connections.maxPerInstance)} of ${n(r.connections.capacityPerInstance)}, ${bytes(r.memory.maxPerInstanceBytes)}), ${r.requests.perSecond.toFixed(1)} requests/s${empty}`,
      `  events: ${n(e.published)} published${e.copies !== undefined && e.copies !== e.published ? ` (${n(e.copies)} device copies)` : ""}, ${n(e.delivered)} delivered (${n(e.redelivered)} redelivered), ${n(e.lost)} lost; latency mean ${ms(e.latencyMs.mean)}, p99 ${ms(e.latencyMs.p99)}`,
    );
    const s = r.reconnects;
    if (s.disconnected > 0 || s.reconnected > 0)
      out.push(
        `  reconnects: ${n(s.disconnected)} sessions lost, ${n(s.reconnected)} reconnected after mean ${ms(s.timeToReconnectMs.mean)} (p99 ${ms(s.timeToReconnectMs.p99)}), peak ${n(s.peakPerSecond)}/s`,
      );
    out.push(...extraLines(r, ms));
  }
  return out;
}

/** Devices, dead connections, presence and typing, for the gateways that have them. */
function extraLines(r: RealtimeReport, ms: (v: number) => string): string[] {
  const out: string[] = [];
  if (r.devices)
    out.push(
      `  devices: ${n(r.devices.connections)} connections (${r.devices.meanPerUser.toFixed(2)} per user), every event fanned out to each`,
    );
  const h = r.heartbeats;
  if (h && h.deadConnectionsNoticed > 0)
    out.push(
      `  dead connections: ${n(h.deadConnectionsNoticed)} noticed after mean ${ms(h.noticeDelayMs.mean)}; ${n(h.pushedIntoVoid)} pushes into the void meanwhile`,
    );
  const p = r.presence;
  if (p)
    out.push(
      `  presence: ${p.writesPerSecond.toFixed(1)} writes/s; offline shown after mean ${ms(p.offlineDetectionMs.mean)} (p99 ${ms(p.offlineDetectionMs.p99)}); ${n(p.staleUserSeconds)} stale green-dot user-seconds; ${p.fanout.mode} fan-out (${p.fanout.scope}) ${n(p.fanout.perSecond)} messages/s`,
    );
  const t = r.typing;
  if (t)
    out.push(
      `  typing: ${n(t.sent)} events sent (${n(t.suppressed)} keystrokes debounced), ${n(t.delivered)} delivered, ${n(t.dropped)} dropped`,
    );
  return out;
}
