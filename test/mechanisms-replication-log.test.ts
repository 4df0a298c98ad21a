import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReplicationLog } from "../src/mechanisms/replication-log.js";

describe("replication log", () => {
  it("numbers entries from 1 and returns what was appended", () => {
    const log = new ReplicationLog();
    expect(log.append(7, 1, 10)).toBe(1);
    expect(log.append(8, 3, 11)).toBe(2);
    expect([log.key(2), log.version(2), log.time(2)]).toEqual([8, 3, 11]);
    expect(() => log.key(3)).toThrow(/not held/);
  });

  it("keeps each entry's size and flags, across growth", () => {
    const log = new ReplicationLog();
    for (let i = 1; i <= 3000; i++) log.append(i, 1, i, 10 * i, i % 3 === 0 ? 1 : 0);
    log.trimThrough(1000);
    for (let i = 1001; i <= 3000; i++) log.append(i, 1, i);
    expect([log.bytes(2999), log.flags(2999), log.flags(3000)]).toEqual([29_990, 0, 1]);
    expect([log.bytes(5000), log.flags(5000)]).toEqual([0, 0]);
  });

  it("holds only entries not yet trimmed, so memory follows lag", () => {
    const log = new ReplicationLog();
    let maxHeld = 0;
    for (let i = 1; i <= 100_000; i++) {
      log.append(i, 1, i);
      // a follower 10 entries behind
      log.trimThrough(i - 10);
      maxHeld = Math.max(maxHeld, log.size);
    }
    expect(maxHeld).toBe(10);
    expect(log.tail).toBe(99_991);
    expect(log.key(100_000)).toBe(100_000);
  });

  it("truncation drops the unreplicated suffix and appends continue after it", () => {
    const log = new ReplicationLog();
    for (let i = 1; i <= 5; i++) log.append(i, i, i);
    log.trimThrough(2);
    log.truncateAfter(3);
    expect(log.head).toBe(3);
    expect(log.append(42, 9, 6)).toBe(4);
    expect(log.key(4)).toBe(42);
    expect(() => log.truncateAfter(1)).toThrow(/trimmed/);
  });

  it("matches a plain array model under any interleaving (property)", () => {
    type Op = { t: "append"; k: number } | { t: "trim"; back: number } | { t: "truncate"; back: number };
    const op = fc.oneof(
      fc.record({ t: fc.constant("append" as const), k: fc.integer({ min: 0, max: 1e6 }) }),
      fc.record({ t: fc.constant("trim" as const), back: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ t: fc.constant("truncate" as const), back: fc.integer({ min: 0, max: 5 }) }),
    );
    fc.assert(
      fc.property(fc.array(op as fc.Arbitrary<Op>, { maxLength: 3000 }), (ops) => {
        const log = new ReplicationLog();
        const model: number[] = []; // model[pos - 1] = key
        let tail = 1;
        for (const o of ops) {
          if (o.t === "append") {
            model.push(o.k);
            expect(log.append(o.k, model.length, 0)).toBe(model.length);
          } else if (o.t === "trim") {
            const to = Math.max(0, model.length - o.back);
            log.trimThrough(to);
            tail = Math.max(tail, Math.min(to, model.length) + 1);
          } else {
            const to = Math.max(tail - 1, model.length - o.back);
            log.truncateAfter(to);
            model.length = Math.min(model.length, to);
          }
          expect(log.head).toBe(model.length);
          expect(log.tail).toBe(tail);
          for (let p = tail; p <= model.length; p++) expect(log.key(p)).toBe(model[p - 1]);
        }
      }),
      { numRuns: 60 },
    );
  });
});
