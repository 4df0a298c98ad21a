// examples/messaging/realtime.yaml shows what it says: the four connection
// models side by side on the same events, and a WebSocket gateway crash with
// and without an offline store. Every expectation is derived from the design.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadDesign } from "../src/design/load.js";
import type { LatencySummary } from "../src/metrics/latency.js";
import { runFile } from "./support/run.js";

const file = "examples/messaging/realtime.yaml";

interface Rt {
  clients: number;
  instances: number;
  connections: { meanPerInstance: number };
  memory: { meanBytes: number; perConnectionBytes: number };
  requests: { total: number; perSecond: number; empty: number };
  events: {
    published: number;
    delivered: number;
    lost: number;
    pending: number;
    redelivered: number;
    latencyMs: LatencySummary;
  };
  registry: { updates: number; staleRoutes: number };
  reconnects: { disconnected: number; reconnected: number; timeToReconnectMs: LatencySummary };
  byInstance: { connections: number }[];
}

describe(file, () => {
  const { design } = loadDesign(readFileSync(file, "utf8"), file);
  const r = runFile(file);
  const gw = (name: string) => r.components[name] as unknown as Rt;
  const spec = (name: string) =>
    design.components[name] as Extract<(typeof design.components)[string], { kind: "realtime" }>;
  const constant = (d: unknown) => (d as { type: string; value: number }).value;
  const durationMs = design.duration;
  const oneWay = constant(design.network!.latency!.client);
  const hop = constant(design.network!.latency!.sameZone);
  const chat = design.components.chat as Extract<(typeof design.components)[string], { kind: "workload" }>;
  const arrival = chat.arrival as { rate: number };
  // every message notifies its recipient, one of keys.count clients
  const perUser = arrival.rate / chat.routes[0].keys!.count!;
  const near = (x: number, want: number, tol: number) =>
    expect(Math.abs(x - want), `${x} vs ${want}`).toBeLessThanOrEqual(tol);

  it("feeds the same events to every gateway", () => {
    const published = ["poll", "longpoll", "sse", "ws", "pubsub"].map((n) => gw(n).events.published);
    expect(new Set(published).size).toBe(1);
    expect(published[0]).toBeGreaterThanOrEqual(r.requests.ok);
  });

  it("short polling: clients / interval requests, mostly empty, events wait interval/2 for the next poll", () => {
    const p = gw("poll");
    const I = spec("poll").interval!;
    near(p.requests.perSecond, p.clients / (I / 1000), 0.005 * (p.clients / (I / 1000)));
    // an answer is empty when no event came for its client during the interval before it
    near(p.requests.empty / p.requests.total, Math.exp((-perUser * I) / 1000), 0.01);
    // wait W ~ uniform(0, I) then one way back; events whose answer would come after the end are still pending
    // (published at t, delivered iff t + W + oneWay <= the end): E[W + oneWay | delivered]
    const a = durationMs - oneWay;
    const num = ((a - oneWay) * I * I) / 2 - (I * I * I) / 3 + a * oneWay * I;
    const mean = num / (a * I - (I * I) / 2);
    near(p.events.latencyMs.mean, mean, (4 * I) / Math.sqrt(12 * p.events.delivered));
    expect(p.events.latencyMs.mean).toBeGreaterThan(40 * gw("ws").events.latencyMs.mean);
  });

  it("long polling: one held request per client, near-push latency, far fewer requests than short polling", () => {
    const l = gw("longpoll");
    near(l.connections.meanPerInstance, l.clients / l.instances, 0.01 * (l.clients / l.instances));
    near(l.events.latencyMs.p50, oneWay + hop, 0.2);
    const T = spec("longpoll").timeout!;
    // a cycle: the way back and there again, then a hold ended by an event or the timeout
    const gap = 2 * oneWay + 1;
    const cycle =
      gap + (Math.exp((-perUser * gap) / 1000) * (1 - Math.exp((-perUser * T) / 1000)) * 1000) / perUser;
    near(l.requests.perSecond, l.clients / (cycle / 1000), 0.03 * (l.clients / (cycle / 1000)));
    expect(l.requests.perSecond).toBeLessThan(gw("poll").requests.perSecond / 2);
  });

  it("SSE and WebSockets: no request per event, one connection per client, latency = the network's", () => {
    const s = gw("sse");
    expect(s.requests.total).toBe(0);
    expect(s.events.latencyMs.mean).toBeCloseTo(oneWay + hop, 6);
    const w = gw("ws");
    near(w.events.latencyMs.p50, oneWay + hop, 0.2);
    near(
      w.memory.meanBytes,
      w.clients * w.memory.perConnectionBytes,
      0.01 * w.clients * w.memory.perConnectionBytes,
    );
  });

  for (const name of ["ws", "pubsub"])
    it(`${name}: the crash's clients reconnect elsewhere after the backoff, and the registry follows`, () => {
      const w = gw(name);
      const share = w.clients / w.instances;
      expect(w.reconnects.disconnected).toBe(share);
      expect(w.reconnects.reconnected).toBe(share);
      expect(w.registry.updates).toBe(share);
      // full jitter from a 1s base, then one way to the new instance
      const t = w.reconnects.timeToReconnectMs;
      near(t.mean, 1000 / 2 + oneWay, (4 * 1000) / Math.sqrt(12 * share));
      // the restarted instance gets nobody back
      expect(w.byInstance[1].connections).toBe(0);
    });

  it("the offline store loses nothing; fire-and-forget pub/sub loses what was sent during the reconnect", () => {
    const w = gw("ws");
    expect(w.events.lost).toBe(0);
    expect(w.events.redelivered).toBeGreaterThanOrEqual(w.registry.staleRoutes);
    expect(w.events.delivered + w.events.pending).toBe(w.events.published);
    const p = gw("pubsub");
    const t = p.reconnects.timeToReconnectMs;
    // sent to a client between (one hop and one way before) the crash and its re-registration
    const want = (perUser / 1000) * (t.mean * t.count + t.count * (oneWay + hop));
    near(p.events.lost, want, 4 * Math.sqrt(want));
    expect(p.events.lost).toBeGreaterThan(0);
  });
});
