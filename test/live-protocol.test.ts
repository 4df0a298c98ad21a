// The engine worker's side of the protocol, run in Node: load, play at a
// pace, step, act, change the traffic, and report, one message at a time.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadDesign } from "../src/design/load.js";
import { MAX_BEHIND_WALL_MS } from "../src/live/pace.js";
import { type EngineFrame, EngineHost, type FromEngine } from "../src/live/protocol.js";
import { runDesign } from "../src/run.js";

const MM1 = readFileSync("examples/theory/mm1.yaml", "utf8").replace("duration: 2000s", "duration: 20s");

function frame(out: FromEngine[]): EngineFrame {
  const f = out.find((m) => m.type === "frame");
  if (!f || f.type !== "frame") throw new Error(`no frame in ${JSON.stringify(out.map((m) => m.type))}`);
  return f;
}

describe("engine host", () => {
  it("loads a design stopped at time 0 and names its components", () => {
    const h = new EngineHost();
    const out = h.handle({ type: "load", text: MM1, file: "mm1.yaml", seed: 3 }, 0);
    expect(out[0]).toEqual({
      type: "loaded",
      design: "mm1",
      seed: 3,
      durationMs: 20_000,
      components: expect.arrayContaining(["clients", "server"]),
    });
    expect(frame(out).frame.nowMs).toBe(0);
    expect(frame(out).playing).toBe(false);
  });

  it("says why a design cannot run, with its location", () => {
    const h = new EngineHost();
    const out = h.handle(
      { type: "load", text: MM1.replace("instances: 1", "instances: -1"), file: "mm1.yaml" },
      0,
    );
    expect(out).toHaveLength(1);
    expect(out[0].type).toBe("invalid");
    expect((out[0] as { message: string }).message).toMatch(/^mm1\.yaml:\d+:\d+: /);
    expect(h.handle({ type: "tick" }, 0)).toEqual([{ type: "refused", message: "no design loaded" }]);
    // a design that cannot run replaces a run that could: play is refused, not applied to the old run
    h.handle({ type: "load", text: MM1, file: "mm1.yaml" }, 0);
    expect(h.handle({ type: "load", text: "nonsense: [", file: "mm1.yaml" }, 0)[0].type).toBe("invalid");
    expect(h.handle({ type: "play" }, 0)).toEqual([{ type: "refused", message: "no design loaded" }]);
  });

  it("plays at the speed asked: the clock follows wall time x speed", () => {
    const h = new EngineHost();
    h.handle({ type: "load", text: MM1, file: "mm1.yaml" }, 0);
    h.handle({ type: "speed", speed: 10 }, 0);
    h.handle({ type: "play" }, 1000);
    // ticks every 16 ms, as animation frames come: the engine keeps up with x10 of an 800/s M/M/1
    let f: EngineFrame | null = null;
    for (let wall = 1016; wall <= 1200; wall += 16) f = frame(h.handle({ type: "tick" }, wall));
    expect(f!.frame.nowMs).toBeCloseTo(1920, 6);
    expect(f!.droppedMs).toBe(0);
    expect(f!.playing).toBe(true);
    // paused, ticks move nothing
    h.handle({ type: "pause" }, 1200);
    expect(frame(h.handle({ type: "tick" }, 5000)).frame.nowMs).toBeCloseTo(1920, 6);
    // a resume restarts the pace where it stands: no jump for the time paused
    h.handle({ type: "play" }, 6000);
    expect(frame(h.handle({ type: "tick" }, 6010)).frame.nowMs).toBeCloseTo(2020, 6);
  });

  it("drops the time it cannot catch up", () => {
    const h = new EngineHost();
    h.handle({ type: "load", text: MM1, file: "mm1.yaml" }, 0);
    h.handle({ type: "play" }, 0);
    const f = frame(h.handle({ type: "tick" }, 10_000));
    expect(f.frame.nowMs).toBe(MAX_BEHIND_WALL_MS);
    expect(f.droppedMs).toBe(10_000 - MAX_BEHIND_WALL_MS);
    expect(f.lagging).toBe(true);
    // the next frame, on time, is not lagging
    expect(frame(h.handle({ type: "tick" }, 10_016)).lagging).toBe(false);
  });

  it("steps, sends each series row once, and ends with the batch report", () => {
    const h = new EngineHost();
    h.handle({ type: "load", text: MM1, file: "mm1.yaml", seed: 5 }, 0);
    const rows: number[] = [];
    for (let i = 0; i < 8; i++) {
      const f = frame(h.handle({ type: "step", ms: 2500 }, i));
      expect(f.seriesFrom).toBe(rows.length);
      rows.push(...(f.series.t ?? []));
    }
    expect(rows).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const last = frame(h.handle({ type: "tick" }, 99));
    expect(last.done).toBe(true);
    const out = h.handle({ type: "report" }, 100);
    expect(out[0].type).toBe("report");
    const report = (out[0] as { report: ReturnType<typeof runDesign> }).report;
    const batch = runDesign(loadDesign(MM1, "mm1.yaml"), { seed: 5 });
    const strip = (r: typeof batch) => JSON.stringify({ ...r, engine: undefined });
    expect(strip(report)).toBe(strip(batch));
  });

  it("as fast as possible: each tick is bounded by the event budget, not the clock", () => {
    const h = new EngineHost();
    h.handle({ type: "load", text: MM1, file: "mm1.yaml" }, 0);
    h.handle({ type: "speed", speed: "max" }, 0);
    h.handle({ type: "play" }, 0);
    let f = frame(h.handle({ type: "tick" }, 1));
    const first = f.events;
    expect(f.done).toBe(false);
    expect(first).toBeGreaterThan(0);
    for (let i = 2; i < 10_000 && !f.done; i++) f = frame(h.handle({ type: "tick" }, i));
    expect(f.done).toBe(true);
    expect(f.playing).toBe(false);
  });

  it("applies actions and traffic, refuses bad ones with the reason, and logs what it applied", () => {
    const h = new EngineHost();
    h.handle({ type: "load", text: MM1, file: "mm1.yaml" }, 0);
    h.handle({ type: "step", ms: 1000 }, 0);
    const killed = frame(h.handle({ type: "act", name: "server", action: { type: "kill" } }, 0));
    expect(killed.frame.status.server.health).toBe("down");
    expect(h.handle({ type: "act", name: "ghost", action: { type: "kill" } }, 0)).toEqual([
      { type: "refused", message: "no component named 'ghost'" },
    ]);
    expect(frame(h.handle({ type: "traffic", factor: 2 }, 0)).traffic).toBe(2);
    expect(h.handle({ type: "speed", speed: 5000 }, 0)[0].type).toBe("refused");
    expect(h.handle({ type: "step", ms: 0 }, 0)[0].type).toBe("refused");
    const out = h.handle({ type: "report" }, 0)[0];
    if (out.type !== "report") throw new Error(out.type);
    expect(out.log.map((e) => [e.atMs, e.what.type])).toEqual([
      [1000, "node"],
      [1000, "traffic"],
    ]);
    expect(out.report.faults).toEqual([
      { description: "kill server[0]", targets: ["server"], startMs: 1000, endMs: null },
    ]);
  });
});
