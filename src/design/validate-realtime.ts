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
  out.push(...pushOnlyProblems(name, c), ...devicesProblems(name, c), ...livenessProblems(name, c));
  out.push(...presenceProblems(name, c), ...conversationProblems(name, c));
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

/** The mechanisms that live on an open connection. */
const PUSH_ONLY = ["devices", "churn", "heartbeat", "presence", "typing"] as const;

function pushOnlyProblems(name: string, c: RealtimeSpec): Problem[] {
  if (c.model === "sse" || c.model === "websocket") return [];
  return PUSH_ONLY.filter((f) => c[f] !== undefined).map((f) => ({
    path: ["components", name, f],
    message: `${f} applies to the connection models sse and websocket; "${name}" uses ${c.model}`,
    hint: "use model: websocket (or sse) to simulate open connections with devices, heartbeats and presence",
    atKey: true,
  }));
}

function devicesProblems(name: string, c: RealtimeSpec): Problem[] {
  const d = c.devices;
  if (!d) return [];
  const out: Problem[] = [];
  const at = (...p: (string | number)[]) => ["components", name, "devices", ...p];
  const max = d.max ?? DEFAULTS.realtime.maxDevices;
  if (d.shares.length > max)
    out.push({
      path: at("shares"),
      message: `${d.shares.length} shares give users up to ${d.shares.length} devices, more than max (${max})`,
      expected: `at most ${max} shares`,
      hint: `raise max to ${d.shares.length}, or fold the larger counts into the share for ${max}`,
    });
  out.push(...sumsToOne(d.shares, at("shares"), "the shares of users with 1, 2, ... devices"));
  if (c.clients * d.shares.length > MAX_REALTIME_CLIENTS)
    out.push({
      path: at("shares"),
      message: `up to ${c.clients * d.shares.length} device connections: archsim keeps state per connection, and more than ${MAX_REALTIME_CLIENTS} would need gigabytes`,
      expected: `clients x devices at most ${MAX_REALTIME_CLIENTS}`,
      hint: "simulate a share of the population and scale the results",
    });
  return out;
}

function livenessProblems(name: string, c: RealtimeSpec): Problem[] {
  const out: Problem[] = [];
  const at = (...p: (string | number)[]) => ["components", name, ...p];
  if ((c.churn?.ungraceful ?? 0) > 0 && !c.heartbeat)
    out.push({
      path: at("churn", "ungraceful"),
      message:
        "sessions that end without a close frame are only ever noticed by heartbeats, and there are none",
      hint: "add heartbeat: { interval: 30s } (a dead connection is then noticed after its timeout)",
    });
  const h = c.heartbeat;
  if (h?.timeout !== undefined && h.timeout < h.interval)
    out.push({
      path: at("heartbeat", "timeout"),
      message: `timeout ${h.timeout}ms is shorter than the heartbeat interval (${h.interval}ms): every live connection would be declared dead between two heartbeats`,
      expected: `at least ${h.interval}ms`,
      hint: `set timeout to 2-3 intervals, e.g. ${2 * h.interval}ms`,
    });
  const t = c.typing;
  if (t) {
    if (!(t.rate > 0))
      out.push({ path: at("typing", "rate"), message: "typing rate must be greater than zero" });
    if (t.keystrokes !== undefined && !(t.keystrokes > 0))
      out.push({ path: at("typing", "keystrokes"), message: "keystrokes must be greater than zero" });
  }
  return out;
}

function presenceProblems(name: string, c: RealtimeSpec): Problem[] {
  const p = c.presence;
  if (!p) return [];
  const out: Problem[] = [];
  const at = (...q: (string | number)[]) => ["components", name, "presence", ...q];
  if (p.tiers) {
    for (const f of ["interval", "ttl"] as const)
      if (p[f] !== undefined)
        out.push({
          path: at(f),
          message: `presence.${f} and presence.tiers both set: each tier has its own ${f}`,
          hint: `give the ${f} on each tier (or drop tiers for one interval)`,
          atKey: true,
        });
    out.push(
      ...sumsToOne(
        p.tiers.map((t) => t.share),
        at("tiers"),
        "the tiers' shares",
      ),
    );
    p.tiers.forEach((t, k) => {
      if (t.ttl !== undefined && t.ttl < t.interval)
        out.push(ttlProblem(at("tiers", k, "ttl"), t.ttl, t.interval));
    });
  } else {
    const interval = p.interval ?? DEFAULTS.realtime.presenceInterval;
    if (p.ttl !== undefined && p.ttl < interval) out.push(ttlProblem(at("ttl"), p.ttl, interval));
  }
  if (p.channelSize !== undefined && p.scope !== "channel")
    out.push({
      path: at("channelSize"),
      message: "channelSize applies to scope: channel",
      hint: "add scope: channel, or drop channelSize (a global audience is every user)",
      atKey: true,
    });
  return out;
}

function ttlProblem(path: (string | number)[], ttl: number, interval: number): Problem {
  return {
    path,
    message: `a presence entry living ${ttl}ms expires before the next heartbeat (every ${interval}ms): online users would flicker offline`,
    expected: `at least ${interval}ms`,
    hint: `a TTL of 2-3 intervals tolerates a lost heartbeat, e.g. ${3 * interval}ms`,
  };
}

function sumsToOne(shares: number[], path: (string | number)[], what: string): Problem[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) <= 1e-9) return [];
  return [
    {
      path,
      message: `${what} add up to ${+sum.toFixed(6)}`,
      expected: "shares adding up to 1 (100%)",
      hint: "scale them so that they add up to 1",
    },
  ];
}

function conversationProblems(name: string, c: RealtimeSpec): Problem[] {
  const members = c.conversations?.members;
  if (members === undefined) return [];
  const at = ["components", name, "conversations", "members"];
  if (members < 2)
    return [
      {
        path: at,
        message: "a conversation of one member has nobody to deliver its messages to",
        expected: "at least 2",
        hint: "use 2 for one-to-one chats, more for groups",
      },
    ];
  if (members > c.clients)
    return [
      {
        path: at,
        message: `conversations of ${members} members, but the gateway has only ${c.clients} clients`,
        expected: `at most ${c.clients}`,
        hint: `lower members, or raise clients to a multiple of ${members}`,
      },
    ];
  return [];
}
