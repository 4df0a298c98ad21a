// The pace: simulated time as a function of real time at a speed, with a
// limit on catching up; and the event budget that keeps a frame short.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FRAME_WALL_MS,
  frameBudget,
  MAX_BEHIND_WALL_MS,
  MAX_FRAME_EVENTS,
  MIN_FRAME_EVENTS,
  paceTarget,
  SPEEDS,
  startPace,
  validSpeed,
} from "../src/live/pace.js";

describe("pace", () => {
  it("moves the simulated clock at speed x real time while the engine keeps up", () => {
    for (const speed of [0.1, 1, 10, 1000]) {
      const p = startPace(speed, 5000, 200);
      // the engine is where the pace put it last time: never behind
      const a = paceTarget(p, 5100, 200);
      expect(a.targetMs).toBeCloseTo(200 + 100 * speed, 9);
      expect(a.droppedMs).toBe(0);
      expect(a.pace).toBe(p);
    }
  });

  it("never goes back when the wall clock does", () => {
    const p = startPace(2, 1000, 50);
    expect(paceTarget(p, 900, 50).targetMs).toBe(50);
  });

  it("drops what it cannot catch up: at most MAX_BEHIND_WALL_MS of real time ahead of the engine", () => {
    // a hidden tab: 10 s of wall time pass, the engine stood still at 300 ms
    const p = startPace(4, 0, 0);
    const step = paceTarget(p, 10_000, 300);
    expect(step.targetMs).toBe(300 + MAX_BEHIND_WALL_MS * 4);
    expect(step.droppedMs).toBe(40_000 - step.targetMs);
    // re-anchored: from there it plays at speed again
    expect(paceTarget(step.pace, 10_100, step.targetMs).targetMs).toBe(step.targetMs + 400);
  });

  it("property: the target is monotone in wall time and within the catch-up limit", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SPEEDS.filter((s) => s !== "max")),
        fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (speed, gaps, keep) => {
          let pace = startPace(speed, 0, 0);
          let wall = 0;
          let sim = 0;
          let last = 0;
          let dropped = 0;
          for (const g of gaps) {
            wall += g;
            const step = paceTarget(pace, wall, sim);
            expect(step.targetMs).toBeGreaterThanOrEqual(last - 1e-9);
            expect(step.targetMs - sim).toBeLessThanOrEqual(MAX_BEHIND_WALL_MS * (speed as number) + 1e-9);
            dropped += step.droppedMs;
            pace = step.pace;
            last = step.targetMs;
            // the engine gets some of the way there
            sim += (step.targetMs - sim) * keep;
          }
          // what was dropped plus how far the target got is exactly wall x speed
          expect(last + dropped).toBeCloseTo(wall * (speed as number), 6);
        },
      ),
    );
  });

  it("as fast as possible: no target but the event budget", () => {
    const p = startPace("max", 0, 0);
    expect(paceTarget(p, 123, 45).targetMs).toBe(Number.POSITIVE_INFINITY);
  });

  it("refuses speeds outside x0.1..x1000", () => {
    expect(validSpeed(0.05)).toBe(false);
    expect(validSpeed(1001)).toBe(false);
    expect(validSpeed(Number.NaN)).toBe(false);
    expect(validSpeed("fast")).toBe(false);
    expect(() => startPace(0, 0, 0)).toThrow(RangeError);
    expect(SPEEDS.every(validSpeed)).toBe(true);
  });
});

describe("frame budget", () => {
  it("aims at FRAME_WALL_MS from the measured events per ms", () => {
    // 10k events took 20 ms: 500 events/ms, so 8 ms is 4000 events
    expect(frameBudget(10_000, 10_000, 20)).toBe(500 * FRAME_WALL_MS);
  });

  it("moves at most fourfold per frame and stays within its bounds", () => {
    expect(frameBudget(10_000, 10_000, 1)).toBe(40_000);
    expect(frameBudget(10_000, 10_000, 10_000)).toBe(2500);
    expect(frameBudget(MIN_FRAME_EVENTS, 1, 1000)).toBe(MIN_FRAME_EVENTS);
    expect(frameBudget(MAX_FRAME_EVENTS, MAX_FRAME_EVENTS, 1)).toBe(MAX_FRAME_EVENTS);
  });

  it("a frame too short to time doubles a budget it used up, and keeps one it did not", () => {
    expect(frameBudget(4000, 4000, 0.5)).toBe(8000);
    expect(frameBudget(4000, 10, 0.5)).toBe(4000);
  });
});
