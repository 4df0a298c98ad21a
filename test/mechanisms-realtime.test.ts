// The realtime gateway's pure parts: per-user mailboxes in one slot pool, and
// the connection registry.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConnectionRegistry } from "../src/mechanisms/connection-registry.js";
import { Mailboxes } from "../src/mechanisms/mailboxes.js";

describe("mailboxes", () => {
  it("numbers each user's events from 0 and hands them out oldest first, by prefix", () => {
    const m = new Mailboxes(3, 10);
    expect(m.append(1, 10, 7)).toBe(0);
    expect(m.append(1, 20, 7)).toBe(1);
    expect(m.append(2, 30, -1)).toBe(0);
    expect(m.append(1, 40, 8)).toBe(2);
    expect(m.newest(1)).toBe(2);
    expect(m.newest(0)).toBe(-1);
    const seen: [number, number][] = [];
    expect(m.takeUpTo(1, 1, (t, tag) => seen.push([t, tag]))).toBe(2);
    expect(seen).toEqual([
      [10, 7],
      [20, 7],
    ]);
    // asking again for what was taken takes nothing
    expect(m.takeUpTo(1, 1, () => seen.push([-1, -1]))).toBe(0);
    expect(m.count(1)).toBe(1);
    expect(m.total).toBe(2);
    expect(m.peak).toBe(4);
    expect(m.clear(2)).toBe(1);
    expect(m.newest(2)).toBe(-1);
    // numbering goes on after a clear
    expect(m.append(2, 50, 0)).toBe(1);
  });

  it("drops the oldest event of a full mailbox and says which", () => {
    const m = new Mailboxes(1, 2);
    const dropped: number[] = [];
    m.append(0, 1, 0, (t) => dropped.push(t));
    m.append(0, 2, 0, (t) => dropped.push(t));
    m.append(0, 3, 0, (t) => dropped.push(t));
    expect(dropped).toEqual([1]);
    const times: number[] = [];
    m.takeUpTo(0, 99, (t) => times.push(t));
    expect(times).toEqual([2, 3]);
  });

  it("reuses freed slots: memory follows the most events ever waiting, not the events seen", () => {
    const m = new Mailboxes(4, 1000);
    for (let round = 0; round < 100; round++) {
      for (let u = 0; u < 4; u++) for (let k = 0; k < 5; k++) m.append(u, round, 0);
      for (let u = 0; u < 4; u++) m.takeUpTo(u, m.newest(u), () => {});
    }
    expect(m.total).toBe(0);
    expect(m.slots).toBe(20);
  });

  it("behaves as one FIFO list per user with a cap (model check)", () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant("append" as const), u: fc.nat(3), tag: fc.integer({ min: -1, max: 5 }) }),
      fc.record({ t: fc.constant("take" as const), u: fc.nat(3), back: fc.nat(4) }),
      fc.record({ t: fc.constant("clear" as const), u: fc.nat(3) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 200 }), (cap, ops) => {
        const m = new Mailboxes(4, cap);
        const model: { seq: number; time: number; tag: number }[][] = [[], [], [], []];
        const next = [0, 0, 0, 0];
        let clock = 0;
        let dropped = 0;
        let modelDropped = 0;
        for (const o of ops) {
          clock++;
          if (o.t === "append") {
            const seq = m.append(o.u, clock, o.tag, () => dropped++);
            expect(seq).toBe(next[o.u]++);
            model[o.u].push({ seq, time: clock, tag: o.tag });
            if (model[o.u].length > cap) {
              model[o.u].shift();
              modelDropped++;
            }
          } else if (o.t === "take") {
            // up to the newest, or some way back from it
            const upTo = m.newest(o.u) - o.back;
            const got: { time: number; tag: number }[] = [];
            m.takeUpTo(o.u, upTo, (time, tag) => got.push({ time, tag }));
            const want = model[o.u].filter((e) => e.seq <= upTo);
            model[o.u] = model[o.u].filter((e) => e.seq > upTo);
            expect(got).toEqual(want.map(({ time, tag }) => ({ time, tag })));
          } else {
            expect(m.clear(o.u)).toBe(model[o.u].length);
            model[o.u] = [];
          }
          for (let u = 0; u < 4; u++) {
            expect(m.count(u)).toBe(model[u].length);
            expect(m.newest(u)).toBe(model[u].length ? model[u][model[u].length - 1].seq : -1);
          }
        }
        expect(dropped).toBe(modelDropped);
        expect(m.total).toBe(model.reduce((s, l) => s + l.length, 0));
        expect(m.slots).toBeLessThanOrEqual(4 * cap);
      }),
    );
  });

  it("refuses a mailbox that holds nothing", () => {
    expect(() => new Mailboxes(1, 0)).toThrow(RangeError);
  });
});

describe("connection registry", () => {
  it("maps users to instances, counts entries per instance, and keeps an entry until it is overwritten", () => {
    const r = new ConnectionRegistry(5, 2);
    r.register(0, 0);
    r.register(1, 0);
    r.register(2, 1);
    expect(r.count(0)).toBe(2);
    expect(r.size).toBe(3);
    // a reconnection elsewhere moves the entry
    r.register(1, 1);
    expect(r.lookup(1)).toBe(1);
    expect(r.count(0)).toBe(1);
    expect(r.count(1)).toBe(2);
    expect(r.updates).toBe(4);
    const at1: number[] = [];
    r.forEachAt(1, (u) => at1.push(u));
    expect(at1).toEqual([1, 2]);
    r.remove(2);
    r.remove(2);
    expect(r.lookup(2)).toBe(-1);
    expect(r.size).toBe(2);
    expect(r.count(1)).toBe(1);
  });

  it("counts match the entries after any sequence of writes (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(9), fc.integer({ min: -1, max: 2 })), { maxLength: 100 }),
        (ops) => {
          const r = new ConnectionRegistry(10, 3);
          const model = new Map<number, number>();
          for (const [u, i] of ops) {
            if (i < 0) {
              r.remove(u);
              model.delete(u);
            } else {
              r.register(u, i);
              model.set(u, i);
            }
          }
          for (let i = 0; i < 3; i++)
            expect(r.count(i)).toBe([...model.values()].filter((v) => v === i).length);
          expect(r.size).toBe(model.size);
          for (let u = 0; u < 10; u++) expect(r.lookup(u)).toBe(model.get(u) ?? -1);
        },
      ),
    );
  });
});
