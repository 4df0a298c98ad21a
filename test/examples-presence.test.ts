// examples/messaging/presence.yaml and multi-device.yaml show what their
// stories say: presence writes, stale green dots and tiered savings against
// the heartbeat arithmetic, bulk offline marking on a crash, and per-device
// fan-out with debounced, never-stored typing indicators. Every expectation
// is derived from the design.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadDesign } from "../src/design/load.js";
import type { LatencySummary } from "../src/metrics/latency.js";
import { runFile } from "./support/run.js";

interface Presence {
  writes: number;
  writesPerSecond: number;
  byTier: { intervalMs: number; ttlMs: number; share: number; connections: number; writes: number }[];
  wentOnline: number;
  wentOffline: number;
  bulkMarked: number;
  offlineDetectionMs: LatencySummary;
  staleUserSeconds: number;
  fanout: { messages: number };
}

interface Rt {
  clients: number;
  instances: number;
  events: {
    published: number;
    copies: number;
    delivered: number;
    redelivered: number;
    lost: number;
    pending: number;
    latencyMs: LatencySummary;
  };
  reconnects: { reconnected: number };
  devices?: { connections: number; meanPerUser: number; usersByCount: number[] };
  churn?: { sessionsEnded: number; ungraceful: number; returned: number };
  presence?: Presence;
  typing?: {
    bursts: number;
    keystrokes: number;
    suppressed: number;
    sent: number;
    copies: number;
    delivered: number;
    dropped: number;
    inFlight: number;
  };
}

type Spec = Extract<ReturnType<typeof loadDesign>["design"]["components"][string], { kind: "realtime" }>;

function load(file: string) {
  const { design } = loadDesign(readFileSync(file, "utf8"), file);
  const r = runFile(file);
  return {
    design,
    gw: (n: string) => r.components[n] as unknown as Rt,
    spec: (n: string) => design.components[n] as Spec,
  };
}

/** |x - want| within `tol` */
const near = (x: number, want: number, tol: number) =>
  expect(Math.abs(x - want), `${x} vs ${want} (tolerance ${tol})`).toBeLessThanOrEqual(tol);

/** the mean of f over [a, b] by the midpoint rule */
function average(f: (x: number) => number, a: number, b: number, n = 2000): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += f(a + ((i + 0.5) * (b - a)) / n);
  return s / n;
}

describe("examples/messaging/presence.yaml", () => {
  const { design, gw, spec } = load("examples/messaging/presence.yaml");
  const T = design.duration / 1000;
  const churned = ["beat10s", "beat60s", "tiered"];

  for (const name of churned)
    it(`${name}: presence writes = connected devices / interval, plus one per connect`, () => {
      const g = gw(name);
      const c = spec(name).churn!;
      const S = c.session / 1000;
      // per device: sessions start at rate 1/(S + A); one of length L writes at connect and every I: 1/(1 - e^{-I/S}) on average
      let want = 0;
      let variance = 0;
      for (const t of g.presence!.byTier) {
        const perSession = 1 / (1 - Math.exp(-t.intervalMs / 1000 / S));
        const sessions = (t.connections * T) / (S + c.away / 1000);
        want += sessions * perSession;
        // a session's writes are geometric (sd ~ mean), and the number of sessions is ~Poisson
        variance += 2 * sessions * perSession * perSession;
      }
      near(g.presence!.writes, want, 4 * Math.sqrt(variance));
      expect(g.presence!.writesPerSecond).toBeCloseTo(g.presence!.writes / T, 9);
    });

  it("a longer interval: fewer writes, staler dots; tiers save ~70% of the writes", () => {
    const b10 = gw("beat10s").presence!;
    const b60 = gw("beat60s").presence!;
    const tiered = gw("tiered").presence!;
    // 6x the interval: ~1/6 of the periodic writes (connect writes come on top of both)
    expect(b60.writes).toBeLessThan(b10.writes / 4);
    expect(b60.staleUserSeconds).toBeGreaterThan(4 * b10.staleUserSeconds);
    // the catalogue's mix: 20% x 1 + 50% x 10/60 + 30% x 10/300 of the 10s writes
    const ratio = tiered.byTier.reduce((s, t) => s + t.share * (10_000 / t.intervalMs), 0);
    expect(ratio).toBeCloseTo(0.2 + 0.5 / 6 + 0.3 / 30, 12);
    // connect writes (one per session in every tier) lift it a little: ~0.5 per session on ~120 writes
    near(tiered.writes / b10.writes, ratio, 0.04);
    expect(1 - tiered.writes / b10.writes).toBeGreaterThan(0.65);
  });

  for (const name of ["beat10s", "beat60s"])
    it(`${name}: a vanished user is shown offline ttl - (age of the last write) later; stale user-seconds follow`, () => {
      const g = gw(name);
      const p = spec(name).presence!;
      const I = p.interval! / 1000;
      const ttl = p.ttl! / 1000;
      const A = spec(name).churn!.away / 1000;
      const d = g.presence!.offlineDetectionMs;
      expect(d.max / 1000).toBeLessThanOrEqual(ttl + 1e-6);
      expect(d.count).toBeGreaterThan(0);
      // delays are uniform on [ttl - I, ttl]; only users still away when the entry expires are detected (weight e^{-d/A})
      const w = average((x) => Math.exp(-x / A), ttl - I, ttl);
      const mean = average((x) => x * Math.exp(-x / A), ttl - I, ttl) / w;
      near(d.mean / 1000, mean, (4 * I) / Math.sqrt(12 * d.count));
      // every ungraceful leave (at a uniform time t) is stale for min(delay, time away, T - t)
      const ung = gw(name).churn!.ungraceful;
      const per = average(
        (t) => average((x) => A * (1 - Math.exp(-Math.min(x, T - t) / A)), ttl - I, ttl, 50),
        0,
        T,
        400,
      );
      near(g.presence!.staleUserSeconds, ung * per, 4 * Math.sqrt(ung) * ttl * 0.5);
    });

  it("changes are pushed to the user's channel: ~99 x the online share per change", () => {
    for (const name of churned) {
      const g = gw(name);
      const c = spec(name).churn!;
      const share = c.session / (c.session + c.away);
      const changes = g.presence!.wentOnline + g.presence!.wentOffline;
      const perChange = g.presence!.fanout.messages / changes;
      near(perChange, (spec(name).presence!.channelSize! - 1) * share, 0.05 * 99 * share);
    }
  });

  it("crash: the dead instance's users stay green until their entries expire, within ttl", () => {
    const g = gw("crash");
    const p = spec("crash").presence!;
    const I = p.interval! / 1000;
    const ttl = p.ttl! / 1000;
    const d = g.presence!.offlineDetectionMs;
    expect(d.count).toBe(g.clients / g.instances);
    expect(d.max / 1000).toBeLessThanOrEqual(ttl + 1e-6);
    near(d.mean / 1000, ttl - I / 2, (4 * I) / Math.sqrt(12 * d.count));
    // they reconnect only after the keepalive timeout less one interval (>= ttl): each episode ends by expiry
    const hb = spec("crash").heartbeat!;
    expect((hb.timeout! - hb.interval) / 1000).toBeGreaterThanOrEqual(ttl);
    near(g.presence!.staleUserSeconds, (d.mean * d.count) / 1000, 1e-6 * g.presence!.staleUserSeconds);
    expect(g.reconnects.reconnected).toBe(d.count);
  });

  it("crashBulk: bulk offline marking leaves no stale dot", () => {
    const g = gw("crashBulk");
    expect(g.presence!.bulkMarked).toBe(g.clients / g.instances);
    expect(g.presence!.offlineDetectionMs.max).toBe(0);
    expect(g.presence!.staleUserSeconds).toBe(0);
    expect(gw("crash").presence!.staleUserSeconds).toBeGreaterThan(0);
  });
});

describe("examples/messaging/multi-device.yaml", () => {
  const { design, gw, spec } = load("examples/messaging/multi-device.yaml");
  const g = gw("chat");
  const s = spec("chat");
  const oneWay = (design.network!.latency!.client as { value: number }).value;
  const hop = (design.network!.latency!.sameZone as { value: number }).value;
  const away = s.churn!.away / (s.churn!.session + s.churn!.away);

  it("links 1 to 4 devices per user by the shares", () => {
    const shares = s.devices!.shares;
    g.devices!.usersByCount.forEach((n, k) =>
      near(n, g.clients * shares[k], 4 * Math.sqrt(g.clients * shares[k] * (1 - shares[k]))),
    );
    const mean = g.devices!.usersByCount.reduce((a, n, k) => a + n * (k + 1), 0) / g.clients;
    expect(g.devices!.connections).toBe(mean * g.clients);
  });

  it("fans every message out to each device; away devices catch up from the store, none is lost", () => {
    const e = g.events;
    // a message's user is uniform: E[copies] = published x devices per user (variance of the device count: 1)
    const shares = s.devices!.shares;
    const m1 = shares.reduce((a, x, k) => a + x * (k + 1), 0);
    const m2 = shares.reduce((a, x, k) => a + x * (k + 1) ** 2, 0);
    near(e.copies, e.published * g.devices!.meanPerUser, 4 * Math.sqrt(e.published * (m2 - m1 * m1)));
    expect(e.delivered + e.lost + e.pending).toBe(e.copies);
    expect(e.lost).toBe(0);
    expect(e.redelivered).toBeGreaterThan(0);
    near(e.latencyMs.p50, oneWay + hop, 0.2);
    // copies for a device that is away wait: about the away share of them are redelivered or still pending
    near((e.redelivered + e.pending) / e.copies, away, 0.03);
  });

  it("typing: debounced to one event per second, never stored, dropped for away devices", () => {
    const t = g.typing!;
    const T = s.typing!;
    const lambda = T.keystrokes!;
    const D = T.duration! / 1000;
    const gap = T.debounce! / 1000;
    near(t.keystrokes / t.bursts, lambda * D, 4 * Math.sqrt((lambda * D) / t.bursts));
    // sends in a burst: the n-th needs n keystroke gaps plus n-1 debounces within D
    let want = 0;
    for (let n = 1; (n - 1) * gap < D; n++) want += poissonAtLeast(lambda * (D - (n - 1) * gap), n);
    near(t.sent / t.bursts, want, 0.01 * want);
    expect(t.sent + t.suppressed).toBe(t.keystrokes);
    expect(t.sent / t.bursts).toBeLessThanOrEqual(D / gap + 1);
    expect(t.delivered + t.dropped + t.inFlight).toBe(t.copies);
    // a copy is dropped when its device is away (as many as the away share): nothing is queued for it
    near(t.dropped / t.copies, away, 4 * Math.sqrt((away * (1 - away)) / t.copies) + 0.01);
  });
});

/** P(Poisson(mu) >= n) */
function poissonAtLeast(mu: number, n: number): number {
  let term = Math.exp(-mu);
  let below = 0;
  for (let k = 0; k < n; k++) {
    below += term;
    term *= mu / (k + 1);
  }
  return 1 - below;
}
