// examples/messaging/chat-websocket.yaml (DC-06, RT-04, RT-07): a chat whose
// messages are stored, then pushed over WebSockets; a gateway instance
// crash makes its users reconnect in a storm and the offline store catches
// them up. Every expectation is derived from the design (the connection
// models themselves are tested with examples/messaging/realtime.yaml).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../src/design/defaults.js";
import { loadDesign } from "../src/design/load.js";
import type { LatencySummary } from "../src/metrics/latency.js";
import { runFile } from "./support/run.js";

const file = "examples/messaging/chat-websocket.yaml";

interface Rt {
  clients: number;
  instances: number;
  events: {
    published: number;
    delivered: number;
    redelivered: number;
    lost: number;
    pending: number;
    latencyMs: LatencySummary;
  };
  registry: { updates: number };
  reconnects: { disconnected: number; reconnected: number; peakPerSecond: number };
  series: { connects: number[] };
}

describe(file, () => {
  const { design } = loadDesign(readFileSync(file, "utf8"), file);
  const r = runFile(file);
  type Spec = (typeof design.components)[string];
  const gw = (name: string) => r.components[name] as unknown as Rt;
  const spec = (name: string) => design.components[name] as Extract<Spec, { kind: "realtime" }>;
  const constant = (d: unknown) => (d as { value: number }).value;
  const oneWay = constant(design.network!.latency!.client);
  const hop = constant(design.network!.latency!.sameZone);
  const senders = design.components.senders as Extract<Spec, { kind: "workload" }>;
  const rate = (senders.arrival as { rate: number }).rate;
  // each message is for one of keys.count recipients: a user gets rate / count messages a second
  const perUser = rate / senders.routes[0].keys!.count!;
  const crash = design.faults![0] as { at: number };
  const crashS = crash.at / 1000;
  const base = spec("ws").reconnect!.base!;
  // a reconnect lands a uniform 0..base after the crash, plus the trip and the handshake
  const shift = oneWay + DEFAULTS.realtime.requestTime;
  const share = spec("ws").clients / spec("ws").instances!;
  // messages for a crashed user, sent between its crash and its re-registration
  const missed = perUser * share * ((base / 2 + shift) / 1000);
  const near = (x: number, want: number, tol: number) =>
    expect(Math.abs(x - want), `${x} vs ${want} (tolerance ${tol})`).toBeLessThanOrEqual(tol);

  it("every message posted is stored, then published once to each gateway", () => {
    const stored = (r.components.messages as unknown as { writes: number }).writes;
    expect(r.requests.failed).toBe(0);
    // requests still on their way at the end may have been stored and not yet answered
    expect(stored).toBeGreaterThanOrEqual(r.requests.ok);
    expect(stored - r.requests.ok).toBeLessThanOrEqual(r.requests.inFlight);
    for (const name of ["ws", "pubsub"]) expect(gw(name).events.published).toBe(stored);
  });

  for (const name of ["ws", "pubsub"])
    it(`${name}: the crash's users reconnect in a storm within the backoff, and the registry follows each`, () => {
      const g = gw(name);
      const c = g.series.connects;
      // none before the crash (everyone connected at the start), all of them just after it
      const first = Math.floor(crashS);
      const last = Math.floor(crashS + (base + shift) / 1000);
      const storm = c.slice(first, last + 1).reduce((a, b) => a + b, 0);
      expect(storm).toBe(share);
      expect(c.reduce((a, b) => a + b, 0) - c[0]).toBe(share);
      // full jitter: a uniform spread over base, so each whole second of it gets 1000 / base of them
      for (let s = first; s <= last; s++) {
        // the part of 0..base whose reconnects land in second s
        const lo = Math.max(0, s * 1000 - crash.at - shift);
        const hi = Math.min(base, (s + 1) * 1000 - crash.at - shift);
        const p = Math.max(0, hi - lo) / base;
        near(c[s], share * p, 4 * Math.sqrt(share * p * (1 - p)) + 1);
      }
      expect(g.reconnects.peakPerSecond).toBeGreaterThan((0.9 * share * 1000) / base);
      expect(g.registry.updates).toBe(share);
    });

  it("ws: the offline store holds what the crashed users missed and delivers it after they reconnect", () => {
    const w = gw("ws");
    expect(w.events.lost).toBe(0);
    expect(w.events.delivered + w.events.pending).toBe(w.events.published);
    near(w.events.redelivered, missed, 4 * Math.sqrt(missed));
    // the longest wait: a message sent just after the crash to a user who came back a whole base later
    expect(w.events.latencyMs.max).toBeLessThanOrEqual(base + shift + oneWay + hop + 1);
    expect(w.events.latencyMs.max).toBeGreaterThan(base / 2);
  });

  it("pubsub: fire and forget drops the same kind of messages; they are only in the database", () => {
    const p = gw("pubsub");
    expect(p.events.redelivered).toBe(0);
    near(p.events.lost, missed, 4 * Math.sqrt(missed));
    expect(p.events.delivered + p.events.lost + p.events.pending).toBe(p.events.published);
    // nobody waits for a push: what is delivered is delivered at once
    expect(p.events.latencyMs.max).toBeLessThanOrEqual(oneWay + hop + 1);
  });
});
