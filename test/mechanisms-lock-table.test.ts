import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEADLOCK, EXCLUSIVE, GRANTED, LockTable, SHARED, WAIT } from "../src/mechanisms/lock-table.js";

describe("lock table", () => {
  it("shares a row among readers and gives a writer it alone", () => {
    const t = new LockTable();
    expect(t.lock(7, 1, SHARED)).toBe(GRANTED);
    expect(t.lock(7, 2, SHARED)).toBe(GRANTED);
    expect(t.lock(7, 3, EXCLUSIVE)).toBe(WAIT);
    expect(t.held).toBe(1);
    t.release(7, 1);
    expect(t.lock(7, 3, EXCLUSIVE)).toBe(WAIT);
    t.release(7, 2);
    expect(t.lock(7, 3, EXCLUSIVE)).toBe(GRANTED);
    expect(t.mode(7, 3)).toBe(EXCLUSIVE);
    // readers wait for the writer
    expect(t.lock(7, 4, SHARED)).toBe(WAIT);
    t.release(7, 3);
    expect(t.lock(7, 4, SHARED)).toBe(GRANTED);
    t.release(7, 4);
    expect(t.busy(7)).toBe(false);
  });

  it("lets a waiting writer go before readers that come after it", () => {
    const t = new LockTable();
    t.lock(1, 1, SHARED);
    expect(t.lock(1, 2, EXCLUSIVE)).toBe(WAIT);
    // a new reader would keep the writer waiting for ever: it queues behind it
    expect(t.lock(1, 3, SHARED)).toBe(WAIT);
    t.release(1, 1);
    expect(t.lock(1, 3, SHARED)).toBe(WAIT);
    expect(t.lock(1, 2, EXCLUSIVE)).toBe(GRANTED);
    t.release(1, 2);
    expect(t.lock(1, 3, SHARED)).toBe(GRANTED);
  });

  it("upgrades the only shared lock in place, and refuses the second of two upgrades (deadlock)", () => {
    const t = new LockTable();
    t.lock(5, 1, SHARED);
    expect(t.lock(5, 1, EXCLUSIVE)).toBe(GRANTED);
    expect(t.mode(5, 1)).toBe(EXCLUSIVE);
    t.release(5, 1);
    t.lock(5, 1, SHARED);
    t.lock(5, 2, SHARED);
    expect(t.lock(5, 1, EXCLUSIVE)).toBe(WAIT);
    expect(t.lock(5, 2, EXCLUSIVE)).toBe(DEADLOCK);
    // the victim still holds its shared lock until it aborts
    expect(t.mode(5, 2)).toBe(SHARED);
    t.release(5, 2);
    expect(t.lock(5, 1, EXCLUSIVE)).toBe(GRANTED);
  });

  it("no-wait requests are granted or refused, never queued", () => {
    const t = new LockTable();
    expect(t.tryLock(9, 1, EXCLUSIVE)).toBe(true);
    expect(t.tryLock(9, 2, EXCLUSIVE)).toBe(false);
    expect(t.tryLock(9, 2, SHARED)).toBe(false);
    t.release(9, 1);
    expect(t.busy(9)).toBe(false);
  });

  it("forgets a request its transaction gave up, and tidies the row", () => {
    const t = new LockTable();
    t.lock(3, 1, EXCLUSIVE);
    expect(t.lock(3, 2, EXCLUSIVE)).toBe(WAIT);
    t.forget(3, 2);
    t.release(3, 1);
    expect(t.busy(3)).toBe(false);
  });

  it("never grants incompatible locks, whatever the order of requests (property)", () => {
    const op = fc.record({
      kind: fc.constantFrom("lock", "lock", "release", "forget", "try"),
      key: fc.integer({ min: 0, max: 2 }),
      txn: fc.integer({ min: 1, max: 5 }),
      exclusive: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const t = new LockTable();
        for (const o of ops) {
          const mode = o.exclusive ? EXCLUSIVE : SHARED;
          if (o.kind === "lock") t.lock(o.key, o.txn, mode);
          else if (o.kind === "try") t.tryLock(o.key, o.txn, mode);
          else if (o.kind === "release") t.release(o.key, o.txn);
          else t.forget(o.key, o.txn);
          for (let key = 0; key <= 2; key++) {
            const modes = [1, 2, 3, 4, 5].map((txn) => t.mode(key, txn));
            const x = modes.filter((m) => m === EXCLUSIVE).length;
            const s = modes.filter((m) => m === SHARED).length;
            expect(x).toBeLessThanOrEqual(1);
            if (x === 1) expect(s).toBe(0);
          }
        }
        for (let key = 0; key <= 2; key++) for (let txn = 1; txn <= 5; txn++) t.release(key, txn);
        expect(t.held).toBe(0);
        for (let key = 0; key <= 2; key++) expect(t.busy(key)).toBe(false);
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
