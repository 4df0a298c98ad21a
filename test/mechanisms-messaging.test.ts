// The pure parts of the messaging model: the partition log (segments,
// retention, compaction, truncation), the delivery ledger's classes, group
// assignment and the dedup store.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ABSENT, CLAIMED, DedupStore, DONE } from "../src/mechanisms/dedup-store.js";
import { DeliveryLedger } from "../src/mechanisms/delivery-ledger.js";
import { assignPartitions } from "../src/mechanisms/group-assignment.js";
import { PartitionLog } from "../src/mechanisms/partition-log.js";
import { QueueStore } from "../src/mechanisms/queue-store.js";

describe("partition log", () => {
  it("numbers messages from 0 and returns what was appended", () => {
    const log = new PartitionLog(4, 1);
    for (let i = 0; i < 10; i++) expect(log.append(100 + i, i % 3, i * 10, 50)).toBe(i);
    expect([log.id(7), log.key(7), log.time(7), log.size(7)]).toEqual([107, 1, 70, 50]);
    expect([log.start, log.end, log.length, log.bytes]).toEqual([0, 10, 10, 500]);
  });

  it("keeps each message's origin (its append time when none is given), across recycled segments", () => {
    const log = new PartitionLog(2, 1);
    log.append(0, 0, 10, 1);
    log.append(1, 0, 20, 1, 3);
    expect([log.origin(0), log.origin(1)]).toEqual([10, 3]);
    for (let i = 2; i < 6; i++) log.append(i, 0, 10 * i, 1, i);
    log.compact(4);
    // the first segment's arrays were given to the last
    for (let i = 6; i < 8; i++) log.append(i, 0, 10 * i, 1, 100 + i);
    expect([4, 5, 6, 7].map((o) => log.origin(o))).toEqual([4, 5, 106, 107]);
  });

  it("links each message to the previous one of its key", () => {
    const log = new PartitionLog(4, 1);
    const keys = [5, 6, 5, 7, 6, 5];
    keys.forEach((k, i) => log.append(i, k, i, 1));
    expect(keys.map((_, o) => log.prev(o))).toEqual([-1, -1, 0, -1, 1, 2]);
  });

  it("deletes whole segments by time, oldest first, never the active one", () => {
    const log = new PartitionLog(10, 1);
    for (let t = 0; t < 35; t++) log.append(t, t, t, 1);
    const gone: [number, number][] = [];
    // segments hold times 0-9, 10-19, 20-29, 30-34: a segment goes once its newest is at or before the cutoff
    log.retain(18, Infinity, (a, b) => gone.push([a, b]));
    expect(gone).toEqual([[0, 10]]);
    log.retain(1000, Infinity, (a, b) => gone.push([a, b]));
    expect(gone).toEqual([
      [0, 10],
      [10, 20],
      [20, 30],
    ]);
    expect([log.start, log.length, log.bytes]).toEqual([30, 5, 5]);
    expect(() => log.key(29)).toThrow(/not held/);
  });

  it("deletes the oldest segments while the rest still hold the size limit", () => {
    const log = new PartitionLog(10, 1);
    for (let i = 0; i < 50; i++) log.append(i, i, 0, 100);
    // 5 segments of 1000 bytes: a 2500-byte limit keeps the newest 3 (3000 >= 2500 > 2000)
    log.retain(-Infinity, 2500, () => {});
    expect([log.start, log.bytes]).toEqual([20, 3000]);
  });

  it("keeps a deleted segment's details while a message of it is being processed", () => {
    const log = new PartitionLog(10, 1);
    for (let i = 0; i < 25; i++) log.append(i, i, i, 1);
    log.pin(3);
    log.retain(100, Infinity, () => {});
    expect(log.start).toBe(20);
    expect(log.holds(3)).toBe(true);
    expect(log.holds(13)).toBe(false);
    log.unpin(3);
    expect(log.holds(3)).toBe(false);
  });

  it("compaction keeps memory to what is not yet committed, however many messages pass", () => {
    const log = new PartitionLog(100, 1);
    let maxHeld = 0;
    for (let i = 0; i < 100_000; i++) {
      log.append(i, i % 50, i, 1);
      // a consumer 150 messages behind
      log.compact(i - 150);
      maxHeld = Math.max(maxHeld, log.held);
    }
    // the active segment, and the sealed ones not wholly below the floor: at most 150 + 2 x 100
    expect(maxHeld).toBeLessThanOrEqual(350);
    expect(log.length).toBe(100_000);
    expect(log.time(99_999)).toBe(99_999);
  });

  it("truncation removes the tail and gives its offsets out again", () => {
    const log = new PartitionLog(4, 1);
    for (let i = 0; i < 10; i++) log.append(i, i % 2, i, 10);
    log.truncate(5);
    expect([log.end, log.bytes]).toEqual([5, 50]);
    expect(log.append(99, 1, 99, 10)).toBe(5);
    // the previous message of key 1 is now offset 3 (offsets 5, 7 and 9 went)
    expect(log.prev(5)).toBe(3);
  });
});

describe("delivery ledger", () => {
  it("classifies a message by what happened to it", () => {
    const log = new PartitionLog(8, 1);
    for (let i = 0; i < 6; i++) log.append(i, i, i, 1);
    const l = new DeliveryLedger(0, [log]);
    l.from[0] = 0;
    for (let o = 0; o < 5; o++) l.fetched(0, o);
    l.completed(0, 0);
    l.fetched(0, 0);
    l.completed(0, 0); // processed twice
    l.completed(0, 1);
    l.fetched(0, 1);
    l.skipped(0, 1); // a redelivery the dedup store caught: still once
    l.dropped(0, 2, 3); // committed past it, then abandoned: lost
    l.dropped(0, 3, 3); // not committed: it will come again
    l.gaveUp(0, 4);
    const c = l.counts(() => log.end);
    expect(c).toMatchObject({
      messages: 6,
      processedOnce: 1,
      duplicated: 1,
      lost: 1,
      failed: 1,
      pending: 2,
      processings: 3,
    });
  });

  it("counts a message completed before the previous one of its key as out of order", () => {
    const log = new PartitionLog(8, 1);
    // keys: a b a a
    [1, 2, 1, 1].forEach((k, i) => log.append(i, k, i, 1));
    const l = new DeliveryLedger(0, [log]);
    l.from[0] = 0;
    for (let o = 0; o < 4; o++) l.fetched(0, o);
    l.completed(0, 2); // before offset 0, its key's previous
    l.completed(0, 1);
    l.completed(0, 0);
    l.completed(0, 3); // its previous (2) is done
    expect(l.outOfOrder).toBe(1);
  });

  it("keeps every message in exactly one class under any sequence of events", () => {
    type Op = { kind: number; o: number };
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.integer({ min: 0, max: 5 }), o: fc.integer({ min: 0, max: 19 }) }), {
          maxLength: 200,
        }),
        (ops: Op[]) => {
          const log = new PartitionLog(5, 1);
          for (let i = 0; i < 20; i++) log.append(i, i % 4, i, 1);
          const l = new DeliveryLedger(0, [log]);
          l.from[0] = 0;
          const inflight = new Map<number, number>();
          let committed = 0;
          for (const { kind, o } of ops) {
            const n = inflight.get(o) ?? 0;
            if (kind === 0 && n < 3 && o >= log.start) {
              l.fetched(0, o);
              inflight.set(o, n + 1);
            } else if (kind >= 1 && kind <= 4 && n > 0) {
              inflight.set(o, n - 1);
              if (kind === 1) l.completed(0, o);
              else if (kind === 2) l.skipped(0, o);
              else if (kind === 3) l.gaveUp(0, o);
              else l.dropped(0, o, committed);
            } else if (kind === 5) committed = Math.min(20, committed + 3);
          }
          const c = l.counts(() => log.end);
          const classes = c.processedOnce + c.duplicated + c.deduped + c.lost + c.failed + c.pending;
          return classes === c.messages && c.pending >= 0 && c.lostToRetention <= c.lost;
        },
      ),
    );
  });

  it("counts messages deleted unread as lost to retention, but not those being processed", () => {
    const log = new PartitionLog(5, 1);
    for (let i = 0; i < 12; i++) log.append(i, i, i, 1);
    const l = new DeliveryLedger(0, [log]);
    l.from[0] = 0;
    l.fetched(0, 0);
    l.completed(0, 0);
    l.fetched(0, 1);
    log.retain(100, Infinity, (a, b) => l.deleted(0, a, b));
    // segments [0,5) and [5,10) went: 8 unread lost; 0 was processed; 1 is still being processed
    expect([l.lost, l.lostToRetention]).toEqual([8, 8]);
    l.dropped(0, 1, 0); // its copy died: it can never be read again
    expect([l.lost, l.lostToRetention]).toEqual([9, 9]);
    expect(l.counts(() => log.end).pending).toBe(2);
  });
});

describe("group assignment", () => {
  it("range gives contiguous runs, the first members one extra; round robin deals them out", () => {
    expect(Array.from(assignPartitions("range", 5, [0, 1]))).toEqual([0, 0, 0, 1, 1]);
    expect(Array.from(assignPartitions("round-robin", 5, [0, 1]))).toEqual([0, 1, 0, 1, 0]);
    expect(Array.from(assignPartitions("range", 3, []))).toEqual([-1, -1, -1]);
  });

  it("gives every partition to exactly one live member, evenly; members beyond the partition count idle", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("range" as const, "round-robin" as const),
        fc.integer({ min: 1, max: 40 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 20 }),
        (strategy, partitions, members) => {
          const owner = assignPartitions(strategy, partitions, members);
          const per = new Map(members.map((m) => [m, 0]));
          for (const o of owner) {
            if (!per.has(o)) return false;
            per.set(o, per.get(o)! + 1);
          }
          const counts = [...per.values()];
          const idle = counts.filter((n) => n === 0).length;
          return (
            Math.max(...counts) - Math.min(...counts) <= 1 &&
            idle === Math.max(0, members.length - partitions)
          );
        },
      ),
    );
  });
});

describe("dedup store", () => {
  it("remembers processed ids for the ttl; a claim is dropped when released", () => {
    const d = new DedupStore(1000);
    expect(d.status(7, 0)).toBe(ABSENT);
    d.claim(7);
    expect(d.status(7, 0)).toBe(CLAIMED);
    d.release(7);
    expect(d.status(7, 0)).toBe(ABSENT);
    d.claim(7);
    d.record(7, 10);
    expect(d.status(7, 1009)).toBe(DONE);
    expect(d.status(7, 1010)).toBe(ABSENT);
    expect(d.size).toBe(0);
  });

  it("holds only the ids of the last ttl, however many pass", () => {
    const d = new DedupStore(100);
    let max = 0;
    for (let t = 0; t < 100_000; t++) {
      d.claim(t);
      d.record(t, t);
      d.status(-1, t);
      max = Math.max(max, d.size);
    }
    expect(max).toBeLessThanOrEqual(101);
  });
});

describe("queue store", () => {
  it("standard: oldest first, and a message made visible again goes to the back", () => {
    const q = new QueueStore("standard");
    for (let i = 0; i < 3; i++) q.enqueue(i, i, i, 2);
    const a = q.take();
    q.release(a);
    expect([q.take(), q.take(), q.take()].map((s) => q.id(s))).toEqual([1, 2, 0]);
    expect(q.take()).toBe(-1);
    expect([q.depth, q.inFlight]).toEqual([3, 3]);
  });

  it("fifo: one message of a key out at a time, in order; other keys go on", () => {
    const q = new QueueStore("fifo");
    // keys: a a b
    [7, 7, 8].forEach((k, i) => q.enqueue(i, k, i, 2));
    const first = q.take();
    const second = q.take();
    expect([q.id(first), q.id(second)]).toEqual([0, 2]);
    expect(q.take()).toBe(-1); // key 7's next waits for its first
    q.release(first); // given back: it is next again, ahead of its successor
    expect(q.id(q.take())).toBe(0);
    q.delivered(first);
    q.completed(first);
    q.delete(first);
    expect(q.id(q.take())).toBe(1);
  });

  it("keeps each message's origin, and says which completed processing is the first", () => {
    const st = new QueueStore("standard");
    const a = st.enqueue(1, 1, 50, 0, 7);
    const b = st.enqueue(2, 2, 60, 0);
    expect([st.origin(a), st.origin(b)]).toEqual([7, 60]);
    expect(st.take()).toBe(a);
    st.delivered(a);
    st.release(a);
    expect(st.take()).toBe(b);
    st.delivered(b);
    expect(st.take()).toBe(a);
    st.delivered(a);
    // two copies of a were out: the first to complete is its first processing, the other a duplicate
    expect(st.completed(a)).toBe(true);
    expect(st.completed(a)).toBe(false);
    expect(st.completed(b)).toBe(true);
    expect([st.processedOnce, st.duplicated]).toEqual([1, 1]);
  });

  it("priority: the most important class first, oldest first within it", () => {
    const q = new QueueStore("priority");
    [3, 0, 3, 1].forEach((c, i) => q.enqueue(i, i, i, c));
    expect([q.take(), q.take(), q.take(), q.take()].map((s) => q.id(s))).toEqual([1, 3, 0, 2]);
  });

  it("keeps every message in exactly one class, and frees what it no longer needs", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("standard" as const, "fifo" as const, "priority" as const),
        fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 300 }),
        (order, ops) => {
          const q = new QueueStore(order);
          const copies: number[] = [];
          let t = 0;
          for (const op of ops) {
            t++;
            if (op === 0) q.enqueue(t, t % 5, t, t % 4);
            else if (op === 1) {
              const s = q.take();
              if (s >= 0) {
                q.delivered(s);
                copies.push(s);
              }
            } else if (copies.length > 0) {
              const s = copies.shift()!;
              const receipt = q.receipt(s);
              if (op === 2) {
                q.completed(s);
                if (q.isOut(s, receipt)) q.delete(s);
              } else if (op === 3) {
                q.dropped(s);
                q.release(s);
              } else if (op === 4) {
                if (q.isOut(s, receipt)) q.delete(s);
                q.dropped(s); // acknowledged before, then died: lost
              } else if (op === 5) q.skipped(s);
              else {
                q.dropped(s);
                if (q.isOut(s, receipt)) q.deadLetter(s);
              }
            }
          }
          const settled = q.processedOnce + q.duplicated + q.deduped + q.lost + q.deadLettered;
          return settled + q.pending === q.enqueued && q.pending >= 0 && q.held <= q.depth + copies.length;
        },
      ),
    );
  });
});
