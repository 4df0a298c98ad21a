import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  consistencyLevel,
  datacenterQuorum,
  majority,
  quorumOverlap,
  quorumRead,
  survivesFailures,
  toleratedFailures,
  writeQuorumsOverlap,
  writeSucceeds,
  type ReplicaVersion,
} from "../src/mechanisms/quorum.js";

function popcount(x: number): number {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c;
}

/** A quorum configuration with 1 <= r, w <= n <= 7. */
const arbConfig = fc
  .integer({ min: 1, max: 7 })
  .chain((n) =>
    fc.record({ n: fc.constant(n), r: fc.integer({ min: 1, max: n }), w: fc.integer({ min: 1, max: n }) }),
  );

/** k distinct replicas out of n, in a random order (the order replies arrive in). */
const arbPick = (n: number, k: number) =>
  fc.shuffledSubarray(
    Array.from({ length: n }, (_, i) => i),
    { minLength: k, maxLength: k },
  );

describe("quorum arithmetic", () => {
  it("matches the catalogue's (N, R, W) configurations", () => {
    expect(quorumOverlap(3, 2, 2)).toBe(true);
    expect(quorumOverlap(3, 1, 1)).toBe(false);
    expect(quorumOverlap(3, 3, 1)).toBe(true);
    expect(quorumOverlap(3, 1, 3)).toBe(true);
    // (3,2,2) tolerates one failure on each path; (3,3,1) reads fail with any replica down.
    expect(toleratedFailures(3, 2)).toBe(1);
    expect(survivesFailures(3, 2, 1)).toBe(true);
    expect(survivesFailures(3, 3, 1)).toBe(false);
    expect(survivesFailures(3, 1, 2)).toBe(true);
    expect(survivesFailures(3, 1, 3)).toBe(false);
  });

  it("consistency levels: ONE, QUORUM, ALL; N=3 QUORUM fails with two replicas unreachable", () => {
    expect([1, 2, 3, 4, 5].map((n) => consistencyLevel("quorum", n))).toEqual([1, 2, 2, 3, 3]);
    expect(consistencyLevel("one", 5)).toBe(1);
    expect(consistencyLevel("all", 5)).toBe(5);
    const q = consistencyLevel("quorum", 3);
    expect(survivesFailures(3, q, 2)).toBe(false);
    expect(quorumOverlap(3, q, q)).toBe(true);
  });

  it("an even N buys no extra failure tolerance over the odd N below it", () => {
    expect(toleratedFailures(4, majority(4))).toBe(1);
    expect(toleratedFailures(3, majority(3))).toBe(1);
    expect(toleratedFailures(5, majority(5))).toBe(2);
    expect(writeQuorumsOverlap(4, 2)).toBe(false);
    expect(writeQuorumsOverlap(4, 3)).toBe(true);
  });

  it("write success is a count of acknowledgements", () => {
    expect(writeSucceeds(2, 2)).toBe(true);
    expect(writeSucceeds(1, 2)).toBe(false);
  });

  it("rejects impossible configurations", () => {
    expect(() => quorumOverlap(3, 4, 1)).toThrow(RangeError);
    expect(() => quorumOverlap(3, 0, 1)).toThrow(RangeError);
    expect(() => quorumOverlap(0, 1, 1)).toThrow(RangeError);
    expect(() => consistencyLevel("quorum", 0)).toThrow(RangeError);
    expect(() => survivesFailures(3, 2, 4)).toThrow(RangeError);
    expect(() => quorumRead([], 0)).toThrow(RangeError);
  });

  it("r + w > n is exactly the condition under which every read set meets every write set (exhaustive, n <= 6)", () => {
    for (let n = 1; n <= 6; n++) {
      for (let r = 1; r <= n; r++) {
        for (let w = 1; w <= n; w++) {
          let allMeet = true;
          for (let a = 0; a < 1 << n && allMeet; a++) {
            if (popcount(a) !== r) continue;
            for (let b = 0; b < 1 << n; b++) {
              if (popcount(b) === w && (a & b) === 0) {
                allMeet = false;
                break;
              }
            }
          }
          expect(quorumOverlap(n, r, w)).toBe(allMeet);
        }
      }
    }
  });
});

describe("quorum read", () => {
  it("returns the freshest of the first R answers and lists the stale ones for repair", () => {
    const replies: ReplicaVersion[] = [
      { replica: 2, version: 3 },
      { replica: 0, version: 5 },
      { replica: 4, version: 5 },
      { replica: 1, version: 9 },
    ];
    expect(quorumRead(replies, 3)).toEqual({ version: 5, from: 0, repair: [2] });
    // The fourth reply arrives after the read completed: it neither wins nor gets repaired.
    expect(quorumRead(replies, 2)).toEqual({ version: 5, from: 0, repair: [2] });
    expect(quorumRead(replies, 4)).toEqual({ version: 9, from: 1, repair: [2, 0, 4] });
    expect(quorumRead(replies, 5)).toBeNull();
    expect(quorumRead([{ replica: 0, version: 0 }], 1)).toEqual({ version: 0, from: 0, repair: [] });
  });

  /**
   * Sequential writes with versions 1..k; write i reaches a random W-subset
   * synchronously (those acknowledge it), and may later reach some of the
   * lagging replicas too. A replica holds the highest version it received.
   */
  const arbHistory = arbConfig.chain(({ n, r, w }) =>
    fc.record({
      n: fc.constant(n),
      r: fc.constant(r),
      w: fc.constant(w),
      writes: fc.array(fc.record({ acked: arbPick(n, w), lagging: fc.subarray([...Array(n).keys()]) }), {
        minLength: 1,
        maxLength: 8,
      }),
      read: arbPick(n, r),
    }),
  );

  function replay(
    n: number,
    writes: readonly { acked: number[]; lagging: number[] }[],
    lateDelivery: boolean,
  ) {
    const held = new Array<number>(n).fill(0);
    writes.forEach(({ acked, lagging }, i) => {
      for (const x of acked) held[x] = Math.max(held[x], i + 1);
      if (lateDelivery) for (const x of lagging) held[x] = Math.max(held[x], i + 1);
    });
    return held;
  }

  it("with R + W > N, any R replicas include the latest acknowledged write, and repair brings the others up", () => {
    fc.assert(
      fc.property(
        arbHistory.filter(({ n, r, w }) => r + w > n),
        fc.boolean(),
        ({ n, r, writes, read }, late) => {
          const held = replay(n, writes, late);
          const res = quorumRead(
            read.map((replica) => ({ replica, version: held[replica] })),
            r,
          );
          expect(res).not.toBeNull();
          expect(res!.version).toBe(writes.length);
          for (const x of res!.repair) held[x] = res!.version;
          for (const x of read) expect(held[x]).toBe(writes.length);
        },
      ),
    );
  });

  it("with R + W <= N, a read can miss the latest write: a counterexample by construction for every such config", () => {
    let checked = 0;
    for (let n = 1; n <= 7; n++) {
      for (let r = 1; r <= n; r++) {
        for (let w = 1; w <= n; w++) {
          if (quorumOverlap(n, r, w)) continue;
          // The write lands on the first W replicas and the read asks the last R: disjoint since R + W <= N.
          const held = replay(n, [{ acked: [...Array(w).keys()], lagging: [] }], false);
          const read = Array.from({ length: r }, (_, i) => n - 1 - i);
          const res = quorumRead(
            read.map((replica) => ({ replica, version: held[replica] })),
            r,
          );
          expect(res!.version).toBe(0);
          checked++;
        }
      }
    }
    // n(n-1)/2 configs per n with R + W <= N, summed over n = 1..7.
    expect(checked).toBe(56);
  });
});

describe("datacenter-aware levels", () => {
  it("count the coordinator's datacenter only for LOCAL_ONE and LOCAL_QUORUM", () => {
    expect(datacenterQuorum("local-quorum", [3, 3], 0)).toEqual([2, 0]);
    expect(datacenterQuorum("local-quorum", [3, 5], 1)).toEqual([0, 3]);
    expect(datacenterQuorum("local-one", [3, 3], 1)).toEqual([0, 1]);
    // a coordinator in a datacenter without replicas cannot meet a local level
    expect(datacenterQuorum("local-quorum", [3, 0], 1)).toBeNull();
    expect(datacenterQuorum("local-one", [3, 3], -1)).toBeNull();
  });

  it("need a majority in every datacenter holding replicas for EACH_QUORUM", () => {
    expect(datacenterQuorum("each-quorum", [3, 3], -1)).toEqual([2, 2]);
    expect(datacenterQuorum("each-quorum", [1, 4, 0], 0)).toEqual([1, 3, 0]);
  });

  it("EACH_QUORUM reads meet every LOCAL_QUORUM or EACH_QUORUM write, in every datacenter", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }), (factors) => {
        const each = datacenterQuorum("each-quorum", factors, -1)!;
        factors.forEach((f, d) => {
          const local = datacenterQuorum("local-quorum", factors, d)!;
          // within datacenter d two majorities of its f replicas overlap
          expect(each[d] + local[d]).toBeGreaterThan(f);
          expect(each[d] + each[d]).toBeGreaterThan(f);
        });
      }),
    );
  });

  it("rejects factors that are not counts", () => {
    expect(() => datacenterQuorum("each-quorum", [3, -1], 0)).toThrow(RangeError);
    expect(() => datacenterQuorum("local-one", [2.5], 0)).toThrow(RangeError);
  });
});
