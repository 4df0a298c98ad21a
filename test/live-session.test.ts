// The live session is the batch engine run step by step: advanced in any
// chunks, watched or not, it ends with the batch run's report; its
// interventions act at the simulated time they are made, show in the report,
// and replay to the same run.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadDesign } from "../src/design/load.js";
import { LiveError, LiveSession } from "../src/live/session.js";
import type { Report } from "../src/report/json.js";
import { runDesign } from "../src/run.js";

const strip = (r: Report) => JSON.stringify({ ...r, engine: { ...r.engine, wallMs: 0, eventsPerSec: 0 } });
const load = (file: string) => loadDesign(readFileSync(file, "utf8"), file);

const SAMPLES = [
  "examples/theory/mm1.yaml",
  "examples/resilience/retry-storm.yaml",
  "examples/data/failover.yaml",
  "examples/data/cap-partition.yaml",
  "examples/cache/node-failure.yaml",
  "examples/messaging/consumer-lag.yaml",
  "examples/edge/multi-region.yaml",
];

describe("a live session run to its end", () => {
  for (const file of SAMPLES)
    it(`${file}: gives the batch run's report byte for byte`, () => {
      const loaded = load(file);
      const opts = { seed: 7, durationMs: 15_000 };
      const live = new LiveSession(loaded, opts);
      live.runToEnd();
      expect(live.done).toBe(true);
      expect(strip(live.report())).toBe(strip(runDesign(loaded, opts)));
    });

  it("advanced in random chunks, watched between them, gives the batch report (property)", () => {
    const loaded = load("examples/resilience/retry-storm.yaml");
    const opts = { seed: 3, durationMs: 25_000 };
    const batch = strip(runDesign(loaded, opts));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            stepMs: fc.integer({ min: 0, max: 4000 }),
            maxEvents: fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constant(Number.POSITIVE_INFINITY)),
            look: fc.constantFrom("none", "frame", "detail", "report", "series"),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (steps) => {
          const live = new LiveSession(loaded, opts);
          let target = 0;
          for (const s of steps) {
            target += s.stepMs;
            live.advance(target, s.maxEvents);
            if (s.look === "frame") live.frame(false);
            else if (s.look === "detail") live.frame(true);
            else if (s.look === "report") live.report();
            else if (s.look === "series") live.series(0);
          }
          live.runToEnd();
          expect(strip(live.report())).toBe(batch);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("an event budget stops an advance between events of the same time, and the clock stays put", () => {
    const live = new LiveSession(load("examples/theory/mm1.yaml"), { seed: 1, durationMs: 10_000 });
    const n = live.advance(5000, 100);
    expect(n).toBe(100);
    expect(live.nowMs).toBeLessThan(5000);
    live.advance(5000);
    expect(live.nowMs).toBe(5000);
    expect(live.advance(5000)).toBe(0);
  });
});

describe("frames", () => {
  it("count the calls sent along each edge since the previous frame", () => {
    // mm1: the clients send every request to the server, nothing else is sent
    const live = new LiveSession(load("examples/theory/mm1.yaml"), { seed: 2, durationMs: 10_000 });
    live.advance(2000);
    const f1 = live.frame();
    const generated1 = live.report().requests.total;
    expect(f1.flows).toEqual([{ from: "clients", to: "server", count: generated1 }]);
    live.advance(4000);
    const f2 = live.frame();
    expect(f2.flows[0].count).toBe(live.report().requests.total - generated1);
    // with no time passed, nothing flowed
    expect(live.frame().flows).toEqual([]);
  });

  it("show utilisation over the frame near rho, and health from kills", () => {
    // M/M/1 at rho = 0.8: the busy fraction over 20 s is 0.8 within a few percent
    const live = new LiveSession(load("examples/theory/mm1.yaml"), { seed: 4, durationMs: 60_000 });
    live.advance(1000);
    live.frame();
    live.advance(21_000);
    const f = live.frame();
    expect(f.nowMs).toBe(21_000);
    expect(f.status.server.utilization).toBeGreaterThan(0.74);
    expect(f.status.server.utilization).toBeLessThan(0.86);
    expect(f.status.server.health).toBe("up");
    expect(f.status.clients.utilization).toBeNull();
    // a frame with no time since the last (a pause) shows the last frame's utilisation, not 0
    expect(live.frame().status.server.utilization).toBe(f.status.server.utilization);
    live.act("server", { type: "kill" });
    const down = live.frame();
    expect(down.status.server.health).toBe("down");
    expect(down.status.server.facts.instances).toBe("0/1 up");
    live.act("server", { type: "restart" });
    expect(live.frame().status.server.health).toBe("up");
  });

  it("carry the series so far, from a given row on", () => {
    const live = new LiveSession(load("examples/theory/mm1.yaml"), { seed: 4, durationMs: 10_000 });
    live.advance(5000);
    const all = live.series();
    expect(all.t).toEqual([1, 2, 3, 4, 5]);
    expect(live.series(3).t).toEqual([4, 5]);
    expect(all.throughput.reduce((a, b) => a + b, 0)).toBe(live.report().requests.ok - okAfterLastTick(live));
  });
});

/** Requests answered since the last whole second (not yet in a series row). */
function okAfterLastTick(live: LiveSession): number {
  const s = live.series();
  return live.report().requests.ok - s.throughput.reduce((a, b) => a + b, 0);
}

describe("interventions", () => {
  it("a kill fails requests from the time it is made, shows in the report, and a restart ends it", () => {
    const live = new LiveSession(load("examples/theory/mm1.yaml"), { seed: 5, durationMs: 20_000 });
    live.advance(5000);
    expect(live.report().requests.failed).toBe(0);
    live.act("server", { type: "kill" });
    live.advance(8000);
    live.act("server", { type: "restart" });
    live.runToEnd();
    const r = live.report();
    expect(r.faults).toEqual([
      { description: "kill server[0]", targets: ["server"], startMs: 5000, endMs: 8000 },
    ]);
    // nothing serves for 3 s: at 800/s about 2400 requests fail, Poisson: within 5 sigma
    const lost = r.requests.failed;
    expect(Math.abs(lost - 2400)).toBeLessThan(5 * Math.sqrt(2400) + 1);
    // the errors fall in seconds 6..8 of the series, none before or after
    const errors = r.series.errors;
    expect(errors.slice(0, 5).every((e) => e === 0)).toBe(true);
    expect(errors.slice(5, 8).every((e) => e > 0)).toBe(true);
    expect(errors.slice(9).every((e) => e === 0)).toBe(true);
  });

  it("slowing a node adds its ms to every job there (M/G/1 mean by Pollaczek-Khinchine)", () => {
    // 80/s into service 5ms + exp(1ms): E[S] = 6ms, E[S^2] = 25 + 2*5*1 + 2 = 37ms^2, rho = 0.48,
    // W = E[S] + lambda E[S^2] / (2 (1 - rho)) = 6 + 0.08 * 37 / 1.04 = 8.85ms
    const live = new LiveSession(load("examples/theory/mm1.yaml"), { seed: 6, durationMs: 60_000 });
    live.setTraffic(0.1);
    live.act("server", { type: "slow", ms: 5 });
    live.runToEnd();
    const mean = live.report().latencyMs.mean;
    expect(Math.abs(mean - 8.85) / 8.85).toBeLessThan(0.1);
  });

  it("a traffic factor scales the arrival rate from then on (Poisson counts within 5 sigma)", () => {
    const live = new LiveSession(load("examples/theory/mm1.yaml"), { seed: 8, durationMs: 40_000 });
    live.advance(10_000);
    const before = live.report().requests.total;
    live.setTraffic(0.5);
    live.advance(30_000);
    const during = live.report().requests.total - before;
    // 20 s at 400/s
    expect(Math.abs(during - 8000)).toBeLessThan(5 * Math.sqrt(8000));
    expect(Math.abs(before - 8000)).toBeLessThan(5 * Math.sqrt(8000));
  });

  it("replaying the log on a fresh session gives the same report", () => {
    const loaded = load("examples/resilience/retry-storm.yaml");
    const opts = { seed: 9, durationMs: 30_000 };
    const live = new LiveSession(loaded, opts);
    live.advance(3000, 777); // stopped by the budget between events
    live.act("backend-naive", { type: "kill" });
    live.advance(6000);
    live.setTraffic(1.7);
    live.act("api-breaker", { type: "slow", ms: 20 });
    live.advance(9000, 5000);
    live.act("backend-naive", { type: "restart" });
    live.runToEnd();
    const original = strip(live.report());
    expect(live.log).toHaveLength(4);
    const again = LiveSession.replay(loaded, opts, live.log);
    again.runToEnd();
    expect(strip(again.report())).toBe(original);
    // and it differs from the run without them
    expect(strip(runDesign(loaded, opts))).not.toBe(original);
  });

  it("kills and restarts one instance of many; a whole-node kill restarted one instance at a time", () => {
    // hello's api: 3 instances (its planned kill is at 20 s, after this test's interventions)
    const loaded = load("examples/hello.yaml");
    const opts = { seed: 3, durationMs: 15_000 };
    const live = new LiveSession(loaded, opts);
    const api = () => live.frame().status.api;
    live.advance(2000);
    expect(api().instances).toEqual({ total: 3, down: [] });

    live.act("api", { type: "kill", instance: 1 });
    expect(api()).toMatchObject({ health: "degraded", instances: { down: [1] } });
    expect(api().facts.instances).toBe("2/3 up");
    // the whole node: the two still up go down too (the one already down is not killed twice)
    live.act("api", { type: "kill" });
    expect(api()).toMatchObject({ health: "down", instances: { down: [0, 1, 2] } });
    live.advance(3000);
    live.act("api", { type: "restart", instance: 1 });
    expect(api()).toMatchObject({ health: "degraded", instances: { down: [0, 2] } });
    live.act("api", { type: "restart" });
    expect(api()).toMatchObject({ health: "up", instances: { down: [] } });

    // killed as a whole, then one instance restarted: the others stay down throughout
    live.advance(4000);
    live.act("api", { type: "kill" });
    live.act("api", { type: "restart", instance: 0 });
    expect(api().instances!.down).toEqual([1, 2]);
    live.advance(5000);
    live.act("api", { type: "restart" });
    live.runToEnd();
    const r = live.report();
    expect(
      r.faults.filter((f) => f.startMs < 20_000).map((f) => [f.description, f.startMs, f.endMs]),
    ).toEqual([
      ["kill api[1]", 2000, 3000],
      ["kill api[0,2]", 2000, 3000],
      ["kill api[0,1,2]", 4000, 4000],
      ["kill api[1,2]", 4000, 5000],
    ]);
    // and the log replays to the same run
    const again = LiveSession.replay(loaded, opts, live.log);
    again.runToEnd();
    expect(strip(again.report())).toBe(strip(r));
  });

  it("refuses an instance the node does not have", () => {
    const live = new LiveSession(load("examples/hello.yaml"), { seed: 1, durationMs: 5000 });
    expect(() => live.act("api", { type: "kill", instance: 3 })).toThrow(/has 3 instances \(0\.\.2\), not 3/);
    expect(() => live.act("api", { type: "restart", instance: -1 })).toThrow(LiveError);
    expect(() => live.act("api", { type: "kill", instance: 0.5 })).toThrow(LiveError);
    expect(live.log).toEqual([]);
  });

  it("refuses what cannot be done, with the reason, and logs nothing", () => {
    const live = new LiveSession(load("examples/theory/mm1.yaml"), { seed: 1, durationMs: 5000 });
    expect(() => live.act("nope", { type: "kill" })).toThrow(/no component named 'nope'/);
    expect(() => live.act("clients", { type: "kill" })).toThrow(LiveError);
    expect(() => live.act("server", { type: "partition" })).toThrow(/single zone/);
    expect(() => live.act("server", { type: "slow", ms: -1 })).toThrow(/0 or more/);
    expect(() => live.setTraffic(0)).toThrow(/above 0/);
    expect(live.log).toEqual([]);
    live.runToEnd();
    expect(() => live.setTraffic(2)).toThrow(/over/);
  });

  it("partitioning a node's zone cuts it from the other zones, until a restart heals it", () => {
    const loaded = load("examples/data/cap-partition.yaml");
    const opts = { seed: 2, durationMs: 20_000 };
    const live = new LiveSession(loaded, opts);
    live.advance(2000);
    live.act("accounts", { type: "partition" });
    const f = live.report().faults.at(-1)!;
    expect(f.description).toMatch(/^partition \S+ from the rest$/);
    expect(f.startMs).toBe(2000);
    expect(live.frame().status.accounts.facts.faults).toBe("partitioned");
    expect(live.frame().status.accounts.health).toBe("degraded");
    live.advance(6000);
    live.act("accounts", { type: "restart" });
    expect(live.report().faults.at(-1)!.endMs).toBe(6000);
    expect(live.frame().status.accounts.facts.faults).toBeUndefined();
    live.runToEnd();
    expect(strip(live.report())).not.toBe(strip(runDesign(loaded, opts)));
  });
});
