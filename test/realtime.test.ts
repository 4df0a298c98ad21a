// The realtime gateway against the closed forms of its four connection
// models (request load, delivery latency, wasted responses, connections and
// memory), and its reconnect storms after a gateway crash: who reconnects,
// how spread out, what the registry and the offline store do with events.
// Networks are constant so that each expectation is exact up to sampling.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Realtime } from "../src/components/realtime.js";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import type { LatencySummary } from "../src/metrics/latency.js";
import { rejection, runText } from "./support/run.js";

interface Rt {
  kind: string;
  connections: { mean: number; max: number; meanPerInstance: number; maxPerInstance: number };
  memory: { perConnectionBytes: number; meanBytes: number; maxPerInstanceBytes: number };
  requests: { total: number; perSecond: number; empty: number; refused: number };
  events: {
    published: number;
    delivered: number;
    redelivered: number;
    lost: number;
    pending: number;
    latencyMs: LatencySummary;
  };
  registry: { entries: number; updates: number; staleRoutes: number };
  reconnects: {
    disconnected: number;
    attempts: number;
    reconnected: number;
    peakPerSecond: number;
    timeToReconnectMs: LatencySummary;
  };
  byInstance: { alive: boolean; connections: number; meanConnections: number; maxConnections: number }[];
  series: { connections: number[]; requests: number[]; connects: number[]; delivered: number[] };
}

/** one-way client latency (ms) of every design here */
const D = 20;

function design(gateway: string, opts: { duration?: string; faults?: string; extra?: string } = {}): string {
  return `
duration: ${opts.duration ?? "60s"}
network: { latency: { client: ${D}ms, sameZone: 0ms } }
components:
  gw: { kind: realtime, ${gateway} }
${opts.extra ?? ""}
${opts.faults ? `faults:\n${opts.faults}` : ""}
`;
}

function run(text: string, seed = 1): Rt {
  return runText(text, [], { seed }).components.gw as unknown as Rt;
}

/** Runs the design, then keeps going for `extraMs` with no new events, so that whatever was published is delivered. */
function drained(text: string, extraMs: number, seed = 1): { report: Rt; gw: Realtime } {
  const { design: d } = loadDesign(text, "inline.yaml");
  const simulation = buildSimulation(d, seed);
  const r = simulation.run({ maxEvents: 1e8, maxWallMs: 60_000 });
  simulation.sim.q.run(r.durationMs + extraMs, 1e8);
  const gw = simulation.sim.components.find((c) => c.name === "gw") as Realtime;
  return { report: gw.report(simulation.sim.q.now) as unknown as Rt, gw };
}

/** |x - want| within k standard errors */
function near(x: number, want: number, se: number, k = 4): void {
  expect(Math.abs(x - want), `${x} vs ${want} (se ${se})`).toBeLessThanOrEqual(k * se);
}

describe("short polling", () => {
  const I = 2000;
  const gw = (rate: string) =>
    `model: short-poll, clients: 2000, instances: 2, interval: ${I / 1000}s, eventsPerUser: ${rate}`;

  it("loads the servers with clients / interval requests, whatever the event rate", () => {
    const quiet = run(design(gw("0.01/s")));
    const busy = run(design(gw("1/s")));
    // every client polls at phase + k x interval; a poll counts when it reaches its instance
    const want = (2000 * (60_000 - D)) / I;
    near(quiet.requests.total, want, Math.sqrt(2000 * 0.25));
    expect(busy.requests.total).toBe(quiet.requests.total);
    expect(quiet.requests.perSecond).toBeCloseTo(quiet.requests.total / 60, 9);
    expect(quiet.requests.refused).toBe(0);
    // a poll holds a connection only while it is answered: Little's law, rate x requestTime (1ms)
    near(quiet.connections.mean, (2000 / I) * 1000 * 0.001, 0.05);
  });

  it("delivers an event after interval/2 on average, plus the way back; most answers are empty", () => {
    const lambda = 0.05; // per user per second
    const { report } = drained(design(gw(`${lambda}/s`)), 3 * I);
    const e = report.events;
    expect(e.pending).toBe(0);
    expect(e.delivered).toBe(e.published);
    // the poll that answers an event comes a uniform time in [0, interval) after it
    near(e.latencyMs.mean, I / 2 + D, I / Math.sqrt(12 * e.delivered));
    expect(e.latencyMs.max).toBeLessThanOrEqual(I + D + 1);
  });

  it("answers a poll empty when no event came for its user during the interval before it", () => {
    const lambda = 0.05;
    const r = run(design(gw(`${lambda}/s`)));
    const polls = r.requests.total;
    // a client's first answer (after its phase, the way there and 1ms of handling) covers the run so far
    const first =
      (Math.exp((-lambda * (D + 1)) / 1000) * (1 - Math.exp((-lambda * I) / 1000))) / ((lambda * I) / 1000);
    const p = Math.exp((-lambda * I) / 1000);
    const want = 2000 * first + (polls - 2000) * p;
    near(r.requests.empty, want, Math.sqrt(polls * p * (1 - p)));
  });
});

describe("long polling", () => {
  const T = 10_000;
  const lambda = 0.05;
  const text = design(
    `model: long-poll, clients: 2000, instances: 2, timeout: ${T / 1000}s, requestTime: 1ms, eventsPerUser: ${lambda}/s`,
    { duration: "120s" },
  );
  // between an answer and the next held request: the way back, the way there, the request's handling
  const G = D + D + 1;
  // a cycle is the gap, then (unless an event came during the gap) a hold of min(Exp(lambda), T)
  const cycleMs = G + (Math.exp((-lambda * G) / 1000) * (1 - Math.exp((-lambda * T) / 1000)) * 1000) / lambda;

  it("holds one connection per client and re-requests after each answer or timeout", () => {
    const r = run(text);
    near(r.requests.perSecond, 2000 / (cycleMs / 1000), (0.01 * 2000) / (cycleMs / 1000), 1);
    // a request comes back empty when no event came during its gap and its timeout
    const p = Math.exp((-lambda * (G + T)) / 1000);
    near(r.requests.empty / r.requests.total, p, Math.sqrt((p * (1 - p)) / r.requests.total), 5);
    // every client's request is held, except during its short gaps
    near(r.connections.mean, 2000 * (1 - (D + D) / cycleMs), 5);
    expect(r.connections.max).toBe(2000);
    expect(r.memory.meanBytes).toBeCloseTo(r.connections.mean * 8192, 6);
  });

  it("delivers in one network trip, except events that come between requests", () => {
    const { report } = drained(text, 2 * T);
    const e = report.events;
    expect(e.delivered).toBe(e.published);
    expect(e.latencyMs.p50).toBeCloseTo(D, 1);
    // by PASTA a share G/cycle of events comes during a gap, and waits a uniform part of it
    const share = G / cycleMs;
    const extra = (share * G) / 2;
    const se = Math.sqrt(e.delivered * share * ((G * G) / 3)) / e.delivered;
    near(e.latencyMs.mean, D + extra, se, 5);
  });
});

describe("server push (sse, websocket)", () => {
  for (const model of ["sse", "websocket"] as const)
    it(`${model}: no request per event, one connection per client, latency one way`, () => {
      const { report } = drained(
        design(`model: ${model}, clients: 3000, instances: 3, eventsPerUser: 0.1/s`),
        1000,
      );
      expect(report.requests.total).toBe(0);
      expect(report.byInstance.map((i) => i.connections)).toEqual([1000, 1000, 1000]);
      expect(report.connections.mean).toBeCloseTo(3000, 9);
      const perConnection = model === "sse" ? 4096 : 2048;
      expect(report.memory.meanBytes).toBeCloseTo(3000 * perConnection, 3);
      expect(report.memory.maxPerInstanceBytes).toBe(1000 * perConnection);
      expect(report.events.delivered).toBe(report.events.published);
      expect(report.events.latencyMs.mean).toBeCloseTo(D, 9);
      expect(report.events.latencyMs.max).toBeCloseTo(D, 9);
    });

  it("adds the publisher's hop to the gateway instance", () => {
    const text = design("model: websocket, clients: 100, eventsPerUser: 1/s").replace(
      "sameZone: 0ms",
      "sameZone: 3ms",
    );
    const { report } = drained(text, 1000);
    expect(report.events.latencyMs.mean).toBeCloseTo(D + 3, 9);
  });
});

describe("a gateway crash", () => {
  const B = 1000;
  const kill = "  - { kill: gw, instance: 0, at: 10s, for: 20s }";

  it("websocket: the dead instance's clients reconnect after their jittered backoff; the offline store loses nothing", () => {
    const text = design(
      "model: websocket, clients: 2000, instances: 2, eventsPerUser: 0.1/s, offlineStore: true",
      {
        duration: "40s",
        faults: kill,
      },
    );
    const { report: r } = drained(text, 1000);
    expect(r.reconnects.disconnected).toBe(1000);
    expect(r.reconnects.reconnected).toBe(1000);
    expect(r.reconnects.attempts).toBe(1000);
    expect(r.registry.updates).toBe(1000);
    expect(r.requests.total).toBe(1000); // the handshakes
    // full jitter: a uniform wait in [0, base), then one way to the instance
    const t = r.reconnects.timeToReconnectMs;
    near(t.mean, B / 2 + D, B / Math.sqrt(12 * 1000));
    expect(t.max).toBeLessThanOrEqual(B + D);
    // everyone moved to the survivor; the restarted instance gets nobody back
    expect(r.byInstance.map((i) => i.connections)).toEqual([0, 2000]);
    expect(r.byInstance[1].maxConnections).toBe(2000);
    const e = r.events;
    expect(e.lost).toBe(0);
    expect(e.pending).toBe(0);
    expect(e.delivered).toBe(e.published);
    // events routed to the dead instance waited in the store and came after the reconnect
    expect(r.registry.staleRoutes).toBeGreaterThan(0);
    expect(e.redelivered).toBeGreaterThanOrEqual(r.registry.staleRoutes);
  });

  it("websocket without an offline store: what is sent to a client between the crash and its re-registration is lost", () => {
    const lambda = 0.1;
    const text = design(`model: websocket, clients: 2000, instances: 2, eventsPerUser: ${lambda}/s`, {
      duration: "40s",
      faults: kill,
    });
    const { report: r } = drained(text, 1000);
    const t = r.reconnects.timeToReconnectMs;
    // events on their way (published in the last one-way before the crash) and published until re-registration
    const want = (lambda / 1000) * (t.mean * t.count + 1000 * D);
    near(r.events.lost, want, Math.sqrt(want));
    expect(r.events.delivered + r.events.lost).toBe(r.events.published);
    expect(r.events.redelivered).toBe(0);
  });

  it("sse: EventSource's fixed retry brings every client back at the same moment", () => {
    const r = run(
      design("model: sse, clients: 2000, instances: 2, eventsPerUser: 0.01/s", {
        duration: "20s",
        faults: kill,
      }),
    );
    const t = r.reconnects.timeToReconnectMs;
    expect(t.count).toBe(1000);
    expect(t.mean).toBeCloseTo(3000 + D, 6);
    expect(t.max).toBeCloseTo(3000 + D, 6);
    expect(r.reconnects.peakPerSecond).toBe(1000);
    expect(r.series.connects[13]).toBe(1000);
  });

  it("short-poll: clients find out at their next poll, so the storm spreads over an interval", () => {
    const I = 2000;
    const r = run(
      design(
        `model: short-poll, clients: 2000, instances: 2, interval: ${I / 1000}s, eventsPerUser: 0.01/s`,
        {
          duration: "20s",
          faults: kill,
        },
      ),
    );
    expect(r.reconnects.disconnected).toBe(1000);
    expect(r.reconnects.reconnected).toBe(1000);
    // the next poll reaches the dead instance a uniform time into the interval, the refusal comes
    // back, then the backoff, then the reconnecting poll reaches a live instance
    const t = r.reconnects.timeToReconnectMs;
    near(t.mean, I / 2 + D + B / 2 + D, Math.sqrt((I * I) / 12 + (B * B) / 12) / Math.sqrt(1000));
    expect(r.reconnects.peakPerSecond).toBeLessThan(700);
  });

  it("a full survivor refuses the storm: only its spare capacity reconnects until the instance comes back", () => {
    const text = design(
      "model: websocket, clients: 1000, instances: 2, connections: 600, eventsPerUser: 0.01/s",
      {
        duration: "90s",
        faults: "  - { kill: gw, instance: 0, at: 10s, for: 30s }",
      },
    );
    const r = run(text);
    expect(r.byInstance.every((i) => i.maxConnections <= 600)).toBe(true);
    expect(r.byInstance[1].maxConnections).toBe(600);
    expect(r.requests.refused).toBeGreaterThan(0);
    expect(r.reconnects.attempts).toBeGreaterThan(r.reconnects.reconnected);
    // the refused ones got in once the instance was back (backoff capped at 30s)
    expect(r.reconnects.reconnected).toBe(500);
    expect(r.connections.max).toBe(1000);
  });

  for (const model of ["short-poll", "long-poll", "sse", "websocket"] as const)
    it(`${model}: with an offline store no event is lost to crashes; without one some are`, () => {
      const faults = `${kill}\n  - { kill: gw, instance: 1, at: 25s, for: 5s }`;
      const gw = `model: ${model}, clients: 500, instances: 2, eventsPerUser: 0.5/s`;
      const kept = drained(design(`${gw}, offlineStore: true`, { duration: "40s", faults }), 60_000).report;
      expect(kept.events.lost).toBe(0);
      expect(kept.events.pending).toBe(0);
      expect(kept.events.delivered).toBe(kept.events.published);
      expect(kept.events.redelivered).toBeGreaterThan(0);
      const fired = drained(design(gw, { duration: "40s", faults }), 60_000).report;
      expect(fired.events.lost).toBeGreaterThan(0);
      expect(fired.events.delivered + fired.events.lost).toBe(fired.events.published);
    });
});

describe("notify steps", () => {
  it("publish one event per request, for the client named by the key or the user", () => {
    for (const to of ["key", "user"]) {
      const text = `
duration: 20s
network: { latency: { client: ${D}ms, sameZone: 1ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 200/s }
    population: { users: 300 }
    routes: [{ route: POST /message, keys: { count: 300 } }]
  api:
    kind: service
    instances: 2
    concurrency: 8
    routes: { "POST /message": [{ compute: 1ms }, { notify: gw, to: ${to} }] }
  gw: { kind: realtime, model: websocket, clients: 300, offlineStore: true }
`;
      const rep = runText(text);
      const gw = rep.components.gw as unknown as Rt;
      // every request that got past its notify step, answered or still on its way back
      expect(gw.events.published).toBeGreaterThanOrEqual(rep.requests.ok);
      expect(gw.events.published).toBeLessThanOrEqual(rep.requests.ok + rep.requests.inFlight);
      expect(gw.events.published).toBeGreaterThan(3000);
      // service zone -> gateway (1ms), then one way to the client
      expect(gw.events.latencyMs.mean).toBeCloseTo(D + 1, 9);
    }
  });
});

describe("the gateway's books", () => {
  it("is deterministic", () => {
    const text = design("model: long-poll, clients: 500, instances: 3, eventsPerUser: 0.2/s", {
      duration: "30s",
      faults: "  - { kill: gw, instance: 1, at: 5s, for: 10s }",
    });
    expect(JSON.stringify(runText(text, [], { seed: 7 }))).not.toBe("");
    const a = runText(text, [], { seed: 7 });
    const b = runText(text, [], { seed: 7 });
    expect(JSON.stringify({ ...a.components, engine: 0 })).toBe(
      JSON.stringify({ ...b.components, engine: 0 }),
    );
  });

  it("accounts for every event and never holds more than capacity, under any crashes (property)", () => {
    const models = ["short-poll", "long-poll", "sse", "websocket"] as const;
    const kill = fc.record({
      instance: fc.nat(2),
      at: fc.integer({ min: 0, max: 18 }),
      for: fc.integer({ min: 1, max: 10 }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...models),
        fc.boolean(),
        fc.integer({ min: 20, max: 60 }),
        fc.array(kill, { maxLength: 4 }),
        fc.nat(1000),
        (model, store, capacity, kills, seed) => {
          // every kill ends within the run, so that its instance restarts
          const faults = kills.map(
            (k) =>
              `  - { kill: gw, instance: ${k.instance}, at: ${k.at}s, for: ${Math.min(k.for, 19 - k.at)}s }`,
          );
          const rhythm =
            model === "short-poll" ? "interval: 1s, " : model === "long-poll" ? "timeout: 2s, " : "";
          const text = design(
            `model: ${model}, clients: 60, instances: 3, connections: ${capacity}, ${rhythm}eventsPerUser: 1/s, offlineStore: ${store}, reconnect: { base: 200ms, cap: 2s }`,
            { duration: "20s", faults: faults.length ? faults.join("\n") : undefined },
          );
          // after the run every instance is back: everyone reconnects and whatever waits is delivered
          const { report: r, gw } = drained(text, 120_000, seed);
          const e = r.events;
          expect(e.delivered + e.lost + e.pending).toBe(e.published);
          expect(e.pending).toBe(0);
          if (store) expect(e.lost).toBe(0);
          expect(r.byInstance.every((i) => i.maxConnections <= capacity)).toBe(true);
          expect(r.reconnects.reconnected).toBeLessThanOrEqual(r.reconnects.attempts);
          // nothing left on its way but each client's own business: a long poll's request (held or
          // travelling), a short poll's timer and at most one poll or answer
          const own = { sse: 0, websocket: 0, "long-poll": 60, "short-poll": 120 }[model];
          expect(gw.messagesInFlight).toBeLessThanOrEqual(own);
          if (model !== "short-poll") expect(r.registry.entries).toBe(60);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe("validation", () => {
  const base = (gw: string, more = "") => `
duration: 10s
components:
  gw: { kind: realtime, ${gw} }
${more}`;

  it("runs a design whose only traffic is a gateway's own events", () => {
    expect(() => loadDesign(base("model: sse, clients: 10, eventsPerUser: 1/s"), "x.yaml")).not.toThrow();
    expect(rejection(base("model: sse, clients: 10"))).toMatch(/no workload.*eventsPerUser/s);
  });

  it("refuses fields of another model, with the reason", () => {
    expect(rejection(base("model: websocket, clients: 10, interval: 1s, eventsPerUser: 1/s"))).toMatch(
      /interval applies to model: short-poll; "gw" uses websocket[\s\S]*open connection/,
    );
    expect(rejection(base("model: short-poll, clients: 10, timeout: 10s, eventsPerUser: 1/s"))).toMatch(
      /timeout applies to model: long-poll/,
    );
    expect(rejection(base("model: sse, clients: 10, pause: 1s, eventsPerUser: 1/s"))).toMatch(
      /pause applies to model: long-poll/,
    );
  });

  it("refuses a model it does not know, a backoff capped below its base, a zero rate, a huge population", () => {
    expect(rejection(base("model: websockets, clients: 10"))).toMatch(/websocket/);
    expect(
      rejection(base("model: websocket, clients: 10, eventsPerUser: 1/s, reconnect: { base: 5s, cap: 1s }")),
    ).toMatch(/cap 1000ms\) is shorter than the first one \(base 5000ms/);
    expect(rejection(base("model: sse, clients: 10, eventsPerUser: 1/s, reconnect: { base: 5s }"))).toMatch(
      /give cap as well/,
    );
    expect(rejection(base("model: sse, clients: 10, eventsPerUser: 0/s"))).toMatch(/greater than zero/);
    expect(rejection(base("model: sse, clients: 20M, eventsPerUser: 1/s"))).toMatch(/at most 10000000/);
  });

  it("checks notify targets and gateway kills", () => {
    const svc = (target: string) => `
duration: 10s
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 10/s }, routes: [{ route: GET /x }] }
  api: { kind: service, routes: { "*": [{ notify: ${target} }] } }
  gw: { kind: realtime, model: websocket, clients: 10, instances: 2 }
  other: { kind: service, routes: { "*": [{ compute: 1ms }] } }
`;
    expect(rejection(svc("gww"))).toMatch(/notify "gww" is not a component[\s\S]*gw/);
    expect(rejection(svc("other"))).toMatch(/notify "other" is a service/);
    expect(() =>
      loadDesign(`${svc("gw")}faults: [{ kill: gw, instance: 1, at: 1s }]\n`, "x.yaml"),
    ).not.toThrow();
    expect(rejection(`${svc("gw")}faults: [{ kill: gw, instance: 2, at: 1s }]\n`)).toMatch(
      /instance 2 does not exist: "gw" has 2/,
    );
    expect(
      rejection(`${svc("gw")}  bad: { kind: realtime, model: sse, clients: 5, zone: nowhere }\n`),
    ).toMatch(/unknown zone "nowhere"/);
  });
});
