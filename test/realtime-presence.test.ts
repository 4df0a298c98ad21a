// The realtime gateway's devices, churn, keepalive heartbeats, presence and
// typing indicators against their arithmetic: presence writes = connected
// devices / interval, offline detection = ttl less the age of the last write,
// a dead connection noticed = timeout less the time since the last
// heartbeat, fan-out audiences, and every event copy accounted once per
// device. Networks are constant so that each expectation is exact up to
// sampling.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Realtime } from "../src/components/realtime.js";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import type { LatencySummary } from "../src/metrics/latency.js";
import { rejection, runText } from "./support/run.js";

interface Rt {
  events: {
    published: number;
    copies: number;
    delivered: number;
    lost: number;
    pending: number;
    redelivered: number;
  };
  registry: { entries: number };
  reconnects: { reconnected: number; timeToReconnectMs: LatencySummary };
  devices?: { connections: number; connected: number };
  churn?: { sessionsEnded: number; ungraceful: number; returned: number };
  heartbeats?: { deadConnectionsNoticed: number; pushedIntoVoid: number; noticeDelayMs: LatencySummary };
  presence?: {
    writes: number;
    wentOnline: number;
    wentOffline: number;
    gracefulOffline: number;
    offlineDetectionMs: LatencySummary;
    staleUserSeconds: number;
    onlineUsers: number;
    fanout: { messages: number };
  };
  typing?: {
    bursts: number;
    sent: number;
    copies: number;
    delivered: number;
    dropped: number;
    inFlight: number;
  };
}

/** one-way client latency (ms) */
const D = 20;

function design(gateway: string, opts: { duration?: string; faults?: string } = {}): string {
  return `
duration: ${opts.duration ?? "60s"}
network: { latency: { client: ${D}ms, sameZone: 0ms } }
components:
  gw: { kind: realtime, model: websocket, ${gateway} }
${opts.faults ? `faults:\n${opts.faults}` : ""}
`;
}

function run(text: string, seed = 1): Rt {
  return runText(text, [], { seed }).components.gw as unknown as Rt;
}

function near(x: number, want: number, se: number, k = 4): void {
  expect(Math.abs(x - want), `${x} vs ${want} (se ${se})`).toBeLessThanOrEqual(k * se);
}

describe("presence writes", () => {
  it("= connected devices / interval (each device's writes from its own phase)", () => {
    const I = 5;
    const T = 62;
    const r = run(
      design(`clients: 3000, instances: 2, eventsPerUser: 1/h, presence: { interval: ${I}s }`, {
        duration: `${T}s`,
      }),
    );
    // a device whose last write was a uniform part of an interval ago writes floor(T/I) or one more times
    const frac = T / I - Math.floor(T / I);
    near(r.presence!.writes, (3000 * T) / I, Math.sqrt(3000 * frac * (1 - frac)));
    // nobody went offline: nothing stale, no change to fan out
    expect(r.presence!.staleUserSeconds).toBe(0);
    expect(r.presence!.wentOffline).toBe(0);
    expect(r.presence!.onlineUsers).toBe(3000);
  });

  it("with several devices, each device writes (the user's entry)", () => {
    const r = run(
      design(
        `clients: 1000, instances: 2, eventsPerUser: 1/h, devices: { shares: [0.5, 0.5] }, presence: { interval: 5s }`,
        {
          duration: "60s",
        },
      ),
    );
    expect(r.presence!.writes).toBe((r.devices!.connections * 60) / 5);
    expect(r.registry.entries).toBe(r.devices!.connections);
  });
});

describe("ungraceful disconnects", () => {
  const churn = (ungraceful: number, store = false) =>
    design(
      `clients: 2000, instances: 2, eventsPerUser: 6/min, offlineStore: ${store}, churn: { session: 2m, away: 1h, ungraceful: ${ungraceful} }, heartbeat: { interval: 10s, timeout: 30s }, presence: { interval: 10s, ttl: 30s }`,
      { duration: "10m" },
    );

  it("shows a vanished user offline ttl - (age of the last write) later: uniform on [ttl - interval, ttl]", () => {
    const r = run(churn(1));
    const d = r.presence!.offlineDetectionMs;
    // leaves in the last ~25s of the 10 min are not detected yet
    const n = r.churn!.ungraceful;
    expect(d.count).toBeLessThanOrEqual(n);
    near(d.count, n * (1 - 25 / 600), Math.sqrt(n * (25 / 600)));
    expect(d.max).toBeLessThanOrEqual(30_000);
    expect(d.p50).toBeGreaterThanOrEqual(20_000 - 1);
    const se = 10_000 / Math.sqrt(12 * d.count);
    near(d.mean, 25_000, se);
    near(d.p50, 25_000, 2 * se, 5);
    // with a 1h absence nobody is back before the entry expires: each is stale its whole delay (the
    // undetected ones up to the end, less than the ttl)
    const detected = (d.mean * d.count) / 1000;
    expect(r.presence!.staleUserSeconds).toBeGreaterThanOrEqual(detected * (1 - 1e-9));
    expect(r.presence!.staleUserSeconds).toBeLessThanOrEqual(detected + (n - d.count) * 30);
  });

  it("a close frame deletes the entry at once: nothing stale", () => {
    const r = run(churn(0));
    expect(r.presence!.offlineDetectionMs.count).toBe(0);
    expect(r.presence!.gracefulOffline).toBe(r.churn!.sessionsEnded);
    expect(r.presence!.wentOffline).toBe(r.churn!.sessionsEnded);
    expect(r.presence!.staleUserSeconds).toBe(0);
  });

  it("the server notices a vanished client timeout - (time since its last heartbeat) later", () => {
    const r = run(churn(1));
    const h = r.heartbeats!;
    const n = r.churn!.ungraceful;
    expect(h.deadConnectionsNoticed).toBeLessThanOrEqual(n);
    near(h.deadConnectionsNoticed, n * (1 - 25 / 600), Math.sqrt(n * (25 / 600)));
    expect(h.noticeDelayMs.max).toBeLessThanOrEqual(30_000);
    expect(h.noticeDelayMs.p50).toBeGreaterThanOrEqual(20_000 - 1);
    near(h.noticeDelayMs.mean, 25_000, 10_000 / Math.sqrt(12 * h.noticeDelayMs.count));
  });

  it("pushes into the void until noticed: lost without a store, kept with one", () => {
    for (const store of [false, true]) {
      const r = run(churn(1, store));
      const h = r.heartbeats!;
      // 6 events/min per user, each vanished user's registry entry lives ~25s: ~2.5 each
      near(h.pushedIntoVoid, r.churn!.ungraceful * 0.1 * 25, Math.sqrt(r.churn!.ungraceful * 2.5));
      const e = r.events;
      expect(e.delivered + e.lost + e.pending).toBe(e.copies);
      if (store) expect(e.lost).toBe(0);
      else expect(e.lost).toBeGreaterThanOrEqual(h.pushedIntoVoid);
    }
  });

  it("clients of a crashed instance notice after the keepalive timeout, not at once", () => {
    const text = design(
      `clients: 2000, instances: 2, eventsPerUser: 1/min, heartbeat: { interval: 10s, timeout: 30s }, reconnect: { base: 1s }`,
      {
        duration: "2m",
        faults: "  - { kill: gw, instance: 1, at: 30s, for: 30s }",
      },
    );
    const t = run(text).reconnects.timeToReconnectMs;
    expect(t.count).toBe(1000);
    expect(t.p50).toBeGreaterThan(20_000);
    // timeout less a uniform part of an interval, a fully jittered backoff from 1s, one way
    near(t.mean, 25_000 + 500 + D, Math.sqrt(10_000 ** 2 / 12 + 1000 ** 2 / 12) / Math.sqrt(1000));
  });
});

describe("presence fan-out", () => {
  const text = (more: string) =>
    design(
      `clients: 1000, instances: 2, eventsPerUser: 1/h, churn: { session: 1m, away: 1m }, presence: { interval: 10s, ${more} }`,
      { duration: "5m" },
    );

  it("polling: every heartbeat reads the whole audience; channel scope is ~100x smaller", () => {
    const g = run(text("fanout: poll")).presence!;
    expect(g.fanout.messages).toBe(g.writes * 999);
    const c = run(text("fanout: poll, scope: channel, channelSize: 10")).presence!;
    expect(c.fanout.messages).toBe(c.writes * 9);
  });

  it("push: each change reaches the online audience (half of it online here)", () => {
    const g = run(text("fanout: push")).presence!;
    near(g.fanout.messages / (g.wentOnline + g.wentOffline), 999 * 0.5, 0.03 * 999 * 0.5, 1);
    const c = run(text("scope: channel, channelSize: 100")).presence!;
    near(c.fanout.messages / (c.wentOnline + c.wentOffline), 99 * 0.5, 0.03 * 99 * 0.5, 1);
  });
});

describe("typing indicators", () => {
  it("are dropped for devices that are not connected and never wait in a mailbox", () => {
    const r = run(
      design(
        `clients: 500, instances: 2, eventsPerUser: 1/h, churn: { session: 1m, away: 3m }, typing: { rate: 6/min, duration: 3s }`,
        {
          duration: "5m",
        },
      ),
    );
    const t = r.typing!;
    expect(t.delivered + t.dropped + t.inFlight).toBe(t.copies);
    // a recipient is connected a quarter of the time
    near(t.dropped / t.copies, 0.75, Math.sqrt((0.75 * 0.25) / t.copies) + 0.01, 1);
    expect(r.events.copies).toBe(r.events.published);
    expect(r.events.pending).toBeLessThanOrEqual(r.events.published);
  });
});

describe("multi-device accounting (property)", () => {
  it("accounts every event copy once per device: delivered, lost, or waiting at the end", () => {
    const kill = fc.record({
      instance: fc.nat(2),
      at: fc.integer({ min: 0, max: 18 }),
      for: fc.integer({ min: 1, max: 10 }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 100 }),
        fc.array(kill, { maxLength: 3 }),
        fc.nat(1000),
        (weights, store, heartbeat, ungraceful, kills, seed) => {
          const sum = weights.reduce((a, b) => a + b, 0);
          const shares = weights.map((w, i) =>
            i === weights.length - 1 ? 1 - weights.slice(0, -1).reduce((a, b) => a + b / sum, 0) : w / sum,
          );
          const faults = kills.map(
            (k) => `  - { kill: gw, instance: ${k.instance}, at: ${k.at}s, for: ${k.for}s }`,
          );
          const hb = heartbeat ? "heartbeat: { interval: 2s, timeout: 5s }, " : "";
          const text = design(
            `clients: 40, instances: 3, eventsPerUser: 1/s, maxPending: 5, offlineStore: ${store}, devices: { shares: [${shares.join(", ")}] }, ` +
              `churn: { session: 5s, away: 3s, ungraceful: ${heartbeat ? ungraceful / 100 : 0} }, ${hb}` +
              `presence: { interval: 1s }, typing: { rate: 1/s, duration: 2s }, reconnect: { base: 200ms, cap: 2s }`,
            { duration: "20s", faults: faults.length ? faults.join("\n") : undefined },
          );
          const { design: d } = loadDesign(text, "inline.yaml");
          const sim = buildSimulation(d, seed);
          const rep = sim.run({ maxEvents: 1e8, maxWallMs: 60_000 });
          const gw = sim.sim.components.find((c) => c.name === "gw") as Realtime;
          let copies = 0;
          for (let c = 0; c < gw.conns; c++) {
            const a = gw.accounting(c);
            expect(a.delivered + a.lost + a.pending, `device ${c}`).toBe(a.copies);
            copies += a.copies;
          }
          const r = rep.components.gw as unknown as Rt;
          expect(copies).toBe(r.events.copies);
          const t = r.typing!;
          expect(t.delivered + t.dropped + t.inFlight).toBe(t.copies);
          expect(t.inFlight).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("is deterministic", () => {
    const text = design(
      `clients: 300, instances: 3, eventsPerUser: 1/s, devices: { shares: [0.6, 0.4] }, churn: { session: 10s, away: 5s, ungraceful: 0.5 }, heartbeat: { interval: 2s }, presence: { interval: 1s, bulkOffline: true }, typing: { rate: 1/s }`,
      { duration: "30s", faults: "  - { kill: gw, instance: 1, at: 5s, for: 10s }" },
    );
    expect(JSON.stringify(runText(text, [], { seed: 3 }).components)).toBe(
      JSON.stringify(runText(text, [], { seed: 3 }).components),
    );
  });
});

describe("validation of devices, churn, heartbeats, presence and typing", () => {
  const gw = (more: string, model = "websocket") => `
duration: 10s
components:
  gw: { kind: realtime, model: ${model}, clients: 10, eventsPerUser: 1/s, ${more} }
`;
  it("refuses them on polling models", () => {
    expect(rejection(gw("devices: { shares: [1] }", "long-poll"))).toMatch(
      /devices applies to the connection models sse and websocket/,
    );
    expect(rejection(gw("presence: { interval: 5s }", "short-poll"))).toMatch(/presence applies/);
  });
  it("refuses shares that do not add up, or more devices than the cap", () => {
    expect(rejection(gw("devices: { shares: [0.5, 0.4] }"))).toMatch(/add up to 0.9[\s\S]*adding up to 1/);
    expect(rejection(gw("devices: { shares: [0.2, 0.2, 0.2, 0.2, 0.2] }"))).toMatch(/more than max \(4\)/);
    expect(rejection(gw("presence: { tiers: [{ interval: 10s, share: 0.5 }] }"))).toMatch(
      /tiers' shares add up to 0.5/,
    );
  });
  it("refuses ungraceful churn without heartbeats, a timeout below the interval, a ttl below it", () => {
    expect(rejection(gw("churn: { session: 1m, away: 1m, ungraceful: 0.1 }"))).toMatch(
      /only ever noticed by heartbeats[\s\S]*heartbeat:/,
    );
    expect(rejection(gw("heartbeat: { interval: 30s, timeout: 10s }"))).toMatch(
      /shorter than the heartbeat interval/,
    );
    expect(rejection(gw("presence: { interval: 30s, ttl: 10s }"))).toMatch(
      /expires before the next heartbeat[\s\S]*90000ms/,
    );
    expect(rejection(gw("presence: { tiers: [{ interval: 30s, ttl: 10s, share: 1 }] }"))).toMatch(
      /expires before the next heartbeat/,
    );
  });
  it("refuses an interval with tiers, and a channel size with a global scope", () => {
    expect(rejection(gw("presence: { interval: 10s, tiers: [{ interval: 10s, share: 1 }] }"))).toMatch(
      /presence.interval and presence.tiers both set/,
    );
    expect(rejection(gw("presence: { channelSize: 50 }"))).toMatch(/channelSize applies to scope: channel/);
  });
});
