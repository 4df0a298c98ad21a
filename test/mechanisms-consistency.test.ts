import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConsistencyChecker, MONOTONIC, RYW, STALE } from "../src/mechanisms/consistency.js";

const ALICE = 1;
const BOB = 2;
const KEY = 42;

describe("hand-built scenarios", () => {
  it("judges a read by what the session knew when it began, if told", () => {
    const c = new ConsistencyChecker({ routes: 1, stores: 1 });
    // Alice's read of v0 is in flight when her write of v1 is acknowledged
    const own = c.ownWrite(0, ALICE, KEY);
    const seen = c.lastSeen(0, ALICE, KEY);
    expect([own, seen]).toEqual([0, 0]);
    c.committed(0, KEY, 1, 5);
    c.writeAcknowledged(0, ALICE, KEY, 1, 6);
    // concurrent with her write: neither stale (v0 was the latest at its start) nor a violation
    expect(c.read(0, 0, ALICE, KEY, 0, 0, 7, own, seen)).toBe(0);
    // without the start values, everything acknowledged before it completed binds it
    expect(c.read(0, 0, ALICE, KEY, 0, 0, 8)).toBe(RYW);
    // a read that begins after the acknowledgement is bound by it
    expect(c.read(0, 0, ALICE, KEY, 1, 0, 9, c.ownWrite(0, ALICE, KEY), c.lastSeen(0, ALICE, KEY))).toBe(
      STALE | RYW,
    );
    // two reads in flight together: the one that returns older data second is not a step back
    c.committed(0, KEY, 2, 10);
    const seenBefore = c.lastSeen(0, BOB, KEY);
    expect(c.read(0, 0, BOB, KEY, 2, 2, 11, 0, seenBefore)).toBe(0);
    expect(c.read(0, 0, BOB, KEY, 1, 1, 12, 0, seenBefore)).toBe(0);
    expect(c.lastSeen(0, BOB, KEY)).toBe(2);
  });

  it("a lagging replica breaks read-your-writes for the writer, and is merely stale for others", () => {
    const c = new ConsistencyChecker({ routes: 2, stores: 1 });
    c.committed(0, KEY, 1, 10);
    c.writeAcknowledged(0, ALICE, KEY, 1, 10);
    const start = c.latestCommitted(0, KEY);
    expect(start).toBe(1);

    expect(c.read(0, 0, ALICE, KEY, start, 0, 11)).toBe(STALE | RYW);
    expect(c.read(0, 1, BOB, KEY, start, 0, 12)).toBe(STALE);
    expect(c.read(0, 0, BOB, KEY, start, 1, 13)).toBe(0);

    const r = c.counts();
    expect(r).toMatchObject({ reads: 3, stale: 2, ryw: 1, monotonic: 0 });
    expect(r.staleRate).toBeCloseTo(2 / 3);
    expect(r.rywRate).toBeCloseTo(1 / 3);
    expect(r.firstAt).toEqual({ stale: 11, ryw: 11, monotonic: null });
    expect(r.byRoute[0]).toMatchObject({ reads: 2, stale: 1, ryw: 1 });
    expect(r.byRoute[1]).toMatchObject({ reads: 1, stale: 1, ryw: 0, rywRate: 0 });
    expect(r.byStore[0]).toMatchObject({ reads: 3, stale: 2, ryw: 1 });
  });

  it("going back from v2 to v1 is a monotonic-read violation, and v1 stays the bar only until v2 is seen again", () => {
    const c = new ConsistencyChecker({ routes: 1, stores: 1 });
    c.committed(0, KEY, 1, 0);
    c.committed(0, KEY, 2, 1);
    expect(c.read(0, 0, BOB, KEY, 2, 2, 2)).toBe(0);
    // The read started before v2 committed, so v1 is not stale; it is still a step back for Bob.
    expect(c.read(0, 0, BOB, KEY, 1, 1, 3)).toBe(MONOTONIC);
    expect(c.read(0, 0, ALICE, KEY, 1, 1, 3)).toBe(0);
    expect(c.counts()).toMatchObject({ reads: 3, stale: 0, ryw: 0, monotonic: 1, firstAt: { monotonic: 3 } });
  });

  it("fresh reads of anything, including never-written keys, flag nothing", () => {
    const c = new ConsistencyChecker({ routes: 1, stores: 2 });
    expect(c.latestCommitted(1, 7)).toBe(0);
    expect(c.read(1, 0, ALICE, 7, 0, 0, 0)).toBe(0);
    c.committed(1, 7, 1, 1);
    c.writeAcknowledged(1, ALICE, 7, 1, 1);
    expect(c.read(1, 0, ALICE, 7, 1, 1, 2)).toBe(0);
    expect(c.read(1, 0, BOB, 7, 1, 1, 2)).toBe(0);
    const r = c.counts();
    expect(r).toMatchObject({ reads: 3, stale: 0, ryw: 0, monotonic: 0, staleRate: 0 });
    expect(r.byStore[0].reads).toBe(0);
    expect(r.byStore[1].reads).toBe(3);
  });

  it("stores are independent: a write acknowledged in one store says nothing about another", () => {
    const c = new ConsistencyChecker({ routes: 1, stores: 2 });
    c.committed(0, KEY, 5, 0);
    c.writeAcknowledged(0, ALICE, KEY, 5, 0);
    expect(c.read(1, 0, ALICE, KEY, 0, 0, 1)).toBe(0);
    expect(c.latestCommitted(1, KEY)).toBe(0);
  });

  it("async failover loses the acknowledged writes the promoted replica never received", () => {
    const c = new ConsistencyChecker({ routes: 1, stores: 1 });
    for (let v = 1; v <= 10; v++) {
      c.committed(0, KEY, v, v);
      c.writeAcknowledged(0, ALICE, KEY, v, v);
    }
    c.read(0, 0, BOB, KEY, 10, 10, 11);
    // The replica had applied through v7 when the primary died.
    expect(c.lostAcknowledgedWrites(0, () => 7)).toBe(3);
    expect(c.rollback(0, () => 7, 12)).toBe(3);
    expect(c.latestCommitted(0, KEY)).toBe(7);
    // The new primary reuses v8..v10 for new writes; the old ones stay lost.
    c.committed(0, KEY, 8, 13);
    c.writeAcknowledged(0, BOB, KEY, 8, 13);
    expect(c.lostAcknowledgedWrites(0, () => 8)).toBe(3);
    // Bob saw v10 before the failover: v8 now is a step back for him, and for Alice a lost write.
    expect(c.read(0, 0, BOB, KEY, 8, 8, 14)).toBe(MONOTONIC);
    expect(c.read(0, 0, ALICE, KEY, 8, 8, 14)).toBe(RYW);
  });

  it("divergence counts keys on which replicas disagree", () => {
    const c = new ConsistencyChecker({ routes: 1, stores: 1 });
    const a = new Map([
      [1, 3],
      [2, 5],
      [3, 1],
    ]);
    const b = new Map([
      [1, 3],
      [2, 4],
    ]);
    const at = (m: Map<number, number>) => (k: number) => m.get(k) ?? 0;
    expect(c.divergence([at(a), at(b)], [1, 2, 3, 4])).toBe(2);
    expect(c.divergence([at(a), at(a), at(a)], [1, 2, 3])).toBe(0);
    expect(c.divergence([at(a)], [1, 2, 3])).toBe(0);
  });

  it("rejects indices out of range and survivors below a declared durable version", () => {
    expect(() => new ConsistencyChecker({ routes: 0, stores: 1 })).toThrow(RangeError);
    const c = new ConsistencyChecker({ routes: 2, stores: 1 });
    expect(() => c.read(0, 2, 0, 0, 0, 0, 0)).toThrow(RangeError);
    expect(() => c.committed(1, 0, 1, 0)).toThrow(RangeError);
    c.committed(0, KEY, 4, 0);
    c.durableThrough(0, KEY, 3, 0);
    expect(() => c.lostAcknowledgedWrites(0, () => 2)).toThrow(/durable/);
    expect(() => c.rollback(0, () => 2, 1)).toThrow(/durable/);
  });
});

// Random interleavings of several sessions over several keys, stores and routes.
const STORES = 2;
const ROUTES = 3;
const opArb = fc.record({
  write: fc.boolean(),
  // an unacknowledged write commits but the client never hears back
  acked: fc.boolean(),
  store: fc.nat(STORES - 1),
  route: fc.nat(ROUTES - 1),
  session: fc.nat(3),
  key: fc.nat(3),
  // reads: which version to return; writes: ignored
  pick: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  overlapping: fc.nat(3),
});

describe("classification against reference models", () => {
  it("a linearizable store never produces a stale, RYW or monotonic violation", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const c = new ConsistencyChecker({ routes: ROUTES, stores: STORES });
        let now = 0;
        const write = (store: number, session: number, key: number, acked: boolean) => {
          const v = c.latestCommitted(store, key) + 1;
          c.committed(store, key, v, now);
          if (acked) c.writeAcknowledged(store, session, key, v, now);
        };
        for (const op of ops) {
          now++;
          if (op.write) {
            write(op.store, op.session, op.key, op.acked);
            continue;
          }
          // Other clients' writes commit while the read is in flight; a
          // linearizable read returns a version from anywhere in that window.
          const start = c.latestCommitted(op.store, op.key);
          for (let i = 0; i < op.overlapping; i++) write(op.store, 100, op.key, true);
          const returned = start + Math.floor(op.pick * (op.overlapping + 1));
          expect(c.read(op.store, op.route, op.session, op.key, start, returned, now)).toBe(0);
        }
        const r = c.counts();
        expect(r.stale + r.ryw + r.monotonic).toBe(0);
        expect(r.reads).toBe(ops.filter((o) => !o.write).length);
      }),
      { seed: 2024, numRuns: 300 },
    );
  });

  it("a store returning random older versions is flagged exactly where a naive model says", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const c = new ConsistencyChecker({ routes: ROUTES, stores: STORES });
        // Naive model: every version ever acknowledged to and read by each session.
        const latest = new Map<string, number>();
        const ackedBy = new Map<string, number[]>();
        const seenBy = new Map<string, number[]>();
        const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);
        const maxOf = (xs: number[] | undefined) => (xs ?? []).reduce((a, b) => Math.max(a, b), 0);
        const empty = () => ({ reads: 0, stale: 0, ryw: 0, monotonic: 0 });
        const want = {
          ...empty(),
          byRoute: [...Array(ROUTES)].map(empty),
          byStore: [...Array(STORES)].map(empty),
        };

        ops.forEach((op, now) => {
          const sk = `${op.store}/${op.key}`;
          const ssk = `${op.store}/${op.session}/${op.key}`;
          const top = latest.get(sk) ?? 0;
          if (op.write) {
            latest.set(sk, top + 1);
            c.committed(op.store, op.key, top + 1, now);
            if (op.acked) {
              push(ackedBy, ssk, top + 1);
              c.writeAcknowledged(op.store, op.session, op.key, top + 1, now);
            }
            return;
          }
          const returned = Math.floor(op.pick * (top + 1));
          let flags = 0;
          if (returned < top) flags |= STALE;
          if (returned < maxOf(ackedBy.get(ssk))) flags |= RYW;
          if (returned < maxOf(seenBy.get(ssk))) flags |= MONOTONIC;
          push(seenBy, ssk, returned);
          for (const t of [want, want.byRoute[op.route], want.byStore[op.store]]) {
            t.reads++;
            if (flags & STALE) t.stale++;
            if (flags & RYW) t.ryw++;
            if (flags & MONOTONIC) t.monotonic++;
          }
          expect(c.latestCommitted(op.store, op.key)).toBe(top);
          expect(c.read(op.store, op.route, op.session, op.key, top, returned, now)).toBe(flags);
        });

        const got = c.counts();
        const shape = (x: { reads: number; stale: number; ryw: number; monotonic: number }) => ({
          reads: x.reads,
          stale: x.stale,
          ryw: x.ryw,
          monotonic: x.monotonic,
        });
        expect(shape(got)).toEqual(shape(want));
        expect(got.byRoute.map(shape)).toEqual(want.byRoute);
        expect(got.byStore.map(shape)).toEqual(want.byStore);
        if (got.reads > 0) expect(got.staleRate).toBeCloseTo(want.stale / want.reads);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe("lost acknowledged writes", () => {
  const KEYS = 3;
  const frac = fc.double({ min: 0, max: 1, noNaN: true });
  const lossOp = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("commit" as const),
        key: fc.nat(KEYS - 1),
        acked: fc.boolean(),
      }),
    },
    // an acknowledgement arriving late, out of order, or twice
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant("ack" as const), key: fc.nat(KEYS - 1), n: fc.nat() }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("durable" as const), key: fc.nat(KEYS - 1), frac }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("rollback" as const),
        fracs: fc.array(frac, { minLength: KEYS, maxLength: KEYS }),
      }),
    },
  );

  it("acknowledgements in any order and with repeats are counted once each", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 60 }),
        fc.nat(60),
        (order, survivor) => {
          const c = new ConsistencyChecker({ routes: 1, stores: 1 });
          for (const v of order) c.writeAcknowledged(0, 0, KEY, v, 0);
          for (const v of order.slice(0, 5)) c.writeAcknowledged(0, 0, KEY, v, 0);
          expect(c.lostAcknowledgedWrites(0, () => survivor)).toBe(order.filter((v) => v > survivor).length);
          // the runs are maximal: one per block of consecutive acknowledged versions
          const sorted = [...order].sort((a, b) => a - b);
          const blocks = sorted.filter((v, i) => i === 0 || v !== sorted[i - 1] + 1).length;
          expect(c.stats().ackRuns).toBe(blocks);
        },
      ),
      { seed: 3, numRuns: 1000 },
    );
  });

  it("equals a naive count over every acknowledged version, across rollbacks and durability hints", () => {
    fc.assert(
      fc.property(
        fc.array(lossOp, { maxLength: 200 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: KEYS, maxLength: KEYS }),
        (ops, endFracs) => {
          const c = new ConsistencyChecker({ routes: 1, stores: 1 });
          const committed = new Array<number>(KEYS).fill(0);
          const durable = new Array<number>(KEYS).fill(0);
          const acked = [...Array(KEYS)].map(() => new Set<number>());
          let naiveLost = 0;
          // A survivor between what is durable and what was committed.
          const between = (k: number, f: number) =>
            durable[k] + Math.floor(f * (committed[k] - durable[k] + 0.999));
          const ack = (k: number, v: number) => {
            acked[k].add(v);
            c.writeAcknowledged(0, 9, k, v, 0);
          };

          for (const op of ops) {
            if (op.kind === "commit") {
              committed[op.key]++;
              c.committed(0, op.key, committed[op.key], 0);
              if (op.acked) ack(op.key, committed[op.key]);
            } else if (op.kind === "ack") {
              if (committed[op.key] > 0) ack(op.key, 1 + (op.n % committed[op.key]));
            } else if (op.kind === "durable") {
              durable[op.key] = between(op.key, op.frac);
              c.durableThrough(0, op.key, durable[op.key], 0);
            } else {
              const survivors = op.fracs.map((f, k) => between(k, f));
              let lost = 0;
              for (let k = 0; k < KEYS; k++) {
                for (const v of acked[k]) {
                  if (v > survivors[k]) {
                    lost++;
                    acked[k].delete(v);
                  }
                }
                committed[k] = survivors[k];
              }
              naiveLost += lost;
              expect(c.rollback(0, (k) => survivors[k], 0)).toBe(lost);
            }
          }

          const survivors = endFracs.map((f, k) => between(k, f));
          let expected = naiveLost;
          for (let k = 0; k < KEYS; k++) for (const v of acked[k]) if (v > survivors[k]) expected++;
          expect(c.lostAcknowledgedWrites(0, (k) => survivors[k] ?? 0)).toBe(expected);
          // asking does not change the answer
          expect(c.lostAcknowledgedWrites(0, (k) => survivors[k] ?? 0)).toBe(expected);
          // nothing committed is lost if everything survives
          expect(c.lostAcknowledgedWrites(0, (k) => committed[k] ?? 0)).toBe(naiveLost);
        },
      ),
      { seed: 11, numRuns: 500 },
    );
  });
});

describe("memory", () => {
  // Deterministic LCG: the test is about sizes, not randomness quality.
  function lcg(seed: number) {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  function drive(ops: number, opts: { ackProbability: number; replicationLag: number | null }) {
    const KEYS = 100;
    const SESSIONS = 100;
    const rand = lcg(5);
    const c = new ConsistencyChecker({ routes: 2, stores: 1 });
    const latest = new Array<number>(KEYS).fill(0);
    for (let i = 0; i < ops; i++) {
      // Keys spread over the full safe-integer range, as hashed ids would be.
      const k = Math.floor(rand() * KEYS);
      const key = k * 9_007_199_254_740;
      const session = Math.floor(rand() * SESSIONS) * 1_000_003;
      if (rand() < 0.2) {
        const v = ++latest[k];
        c.committed(0, key, v, i);
        if (rand() < opts.ackProbability) c.writeAcknowledged(0, session, key, v, i);
        if (opts.replicationLag !== null && v > opts.replicationLag)
          c.durableThrough(0, key, v - opts.replicationLag, i);
      } else {
        const returned = Math.max(0, latest[k] - Math.floor(rand() * 3));
        c.read(0, i & 1, session, key, latest[k], returned, i);
      }
    }
    return { c, writes: latest.reduce((a, b) => a + b, 0) };
  }

  it("10^6 operations over 100 keys and 100 sessions keep every structure bounded by keys and sessions", () => {
    const { c, writes } = drive(1_000_000, { ackProbability: 0.9, replicationLag: 5 });
    const s = c.stats();
    expect(writes).toBeGreaterThan(150_000);
    expect(s.keys).toBe(100);
    expect(s.sessions).toBeLessThanOrEqual(100);
    expect(s.sessionKeys).toBeLessThanOrEqual(100 * 100);
    expect(s.slotCapacity).toBeLessThanOrEqual(2 * 100 * 100);
    // At most one run per two versions in the five-write replication window.
    expect(s.ackRuns).toBeLessThanOrEqual(100 * 3);
    expect(c.counts().reads).toBe(1_000_000 - writes);
  });

  it("without durability hints, in-order acknowledgements still cost one run per key", () => {
    const { c } = drive(200_000, { ackProbability: 1, replicationLag: null });
    expect(c.stats().ackRuns).toBe(100);
    expect(c.lostAcknowledgedWrites(0, () => 0)).toBeGreaterThan(30_000);
  });
});
