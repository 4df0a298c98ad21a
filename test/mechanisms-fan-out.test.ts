import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FanOut, MAX_FAN_OUT_KEYS, fanOutKey } from "../src/mechanisms/fan-out.js";

describe("fan-out keys", () => {
  it("a request's keys are distinct and inside the key space (property)", () => {
    fc.assert(
      fc.property(fc.nat(2 ** 40), fc.integer({ min: 1, max: 3000 }), (key, keys) => {
        const n = Math.min(keys, 500);
        const seen = new Set<number>();
        for (let i = 0; i < n; i++) {
          const k = fanOutKey(key, i, keys);
          expect(Number.isInteger(k) && k >= 0 && k < keys).toBe(true);
          seen.add(k);
        }
        expect(seen.size).toBe(n);
      }),
    );
  });

  it("covers the whole space when the count equals it, and is a function of the key", () => {
    for (const keys of [1, 2, 12, 97, 1024]) {
      const all = new Set(Array.from({ length: keys }, (_, i) => fanOutKey(7, i, keys)));
      expect(all.size).toBe(keys);
    }
    expect(fanOutKey(42, 5, 1000)).toBe(fanOutKey(42, 5, 1000));
    // different authors have different followers
    const a = Array.from({ length: 20 }, (_, i) => fanOutKey(1, i, 100_000));
    const b = Array.from({ length: 20 }, (_, i) => fanOutKey(2, i, 100_000));
    expect(a).not.toEqual(b);
  });

  it("spreads evenly: over many requests each key is hit about equally often", () => {
    // 2,000 requests x 10 keys over 100 keys: 200 hits per key expected, sd ~14
    const hits = new Array<number>(100).fill(0);
    for (let key = 0; key < 2000; key++) for (let i = 0; i < 10; i++) hits[fanOutKey(key, i, 100)]++;
    expect(Math.min(...hits)).toBeGreaterThan(200 - 5 * 14);
    expect(Math.max(...hits)).toBeLessThan(200 + 5 * 14);
  });

  it("stays exact at the largest key space and refuses bad arguments", () => {
    const k = fanOutKey(2 ** 50, MAX_FAN_OUT_KEYS - 1, MAX_FAN_OUT_KEYS);
    expect(Number.isInteger(k) && k < MAX_FAN_OUT_KEYS).toBe(true);
    expect(() => fanOutKey(1, 0, 0)).toThrow(RangeError);
    expect(() => fanOutKey(1, 5, 5)).toThrow(RangeError);
    expect(() => fanOutKey(1, 0, MAX_FAN_OUT_KEYS + 1)).toThrow(RangeError);
  });
});

describe("fan-out progress", () => {
  it("never has more than `concurrency` in flight, sends each call once and ends once (property)", () => {
    fc.assert(
      fc.property(
        fc.nat(200),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.boolean(), { maxLength: 400 }),
        fc.option(fc.nat(250)),
        (total, concurrency, order, failAt) => {
          const f = new FanOut(total, concurrency);
          const inFlight: number[] = [];
          const sent = new Set<number>();
          let answers = 0;
          let ended = false;
          const pump = () => {
            for (let i = f.next(); i >= 0; i = f.next()) {
              expect(sent.has(i)).toBe(false);
              sent.add(i);
              inFlight.push(i);
            }
            expect(f.inFlight).toBeLessThanOrEqual(concurrency);
          };
          pump();
          if (total === 0) expect(f.done()).toBe(true);
          let o = 0;
          while (inFlight.length > 0) {
            // answer the oldest or the newest call, as the order says
            const i = order[o++ % Math.max(1, order.length)] ? inFlight.shift()! : inFlight.pop()!;
            const outcome = failAt !== null && answers === failAt ? 3 : 0;
            answers++;
            const over = f.answered(outcome);
            expect(ended).toBe(false);
            if (over) ended = true;
            else pump();
            expect(i).toBeLessThan(total);
          }
          expect(f.done()).toBe(true);
          if (failAt === null || failAt >= total) {
            expect(sent.size).toBe(total);
            expect(f.failure).toBe(0);
          } else expect(f.failure).toBe(3);
          expect(() => f.answered(0)).toThrow(RangeError);
        },
      ),
    );
  });

  it("stopped: sends nothing more and ends when the last call in flight answers", () => {
    const f = new FanOut(10, 3);
    expect([f.next(), f.next(), f.next(), f.next()]).toEqual([0, 1, 2, -1]);
    f.stopped = true;
    expect(f.answered(0)).toBe(false);
    expect(f.next()).toBe(-1);
    expect(f.answered(0)).toBe(false);
    expect(f.answered(0)).toBe(true);
    expect(() => new FanOut(-1, 1)).toThrow(RangeError);
    expect(() => new FanOut(1, 0)).toThrow(RangeError);
  });
});
