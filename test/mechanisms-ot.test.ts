// Operational transformation: concrete transforms, and convergence (TP1) for
// any pair of concurrent operations and any pair of concurrent sequences.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { apply, applyAll, NOOP, type Op, transform, transformSeq } from "../src/mechanisms/ot.js";

const ins = (pos: number, ch: string, site: number): Op => ({ type: "insert", pos, ch, site });
const del = (pos: number): Op => ({ type: "delete", pos });

/** An operation valid on a text of length `len`, made at `site`. */
const opOn = (len: number, site: number): fc.Arbitrary<Op> => {
  const insert = fc.integer({ min: 0, max: len }).map((pos) => ins(pos, site === 1 ? "x" : "y", site));
  return len === 0 ? insert : fc.oneof(insert, fc.integer({ min: 0, max: len - 1 }).map(del));
};

/** A sequence of operations made one after another at `site`, starting from a text of length `len`. */
const seqOn = (len: number, site: number, n: number): fc.Arbitrary<Op[]> =>
  n === 0
    ? fc.constant([])
    : opOn(len, site).chain((op) =>
        seqOn(len + (op.type === "insert" ? 1 : op.type === "delete" ? -1 : 0), site, n - 1).map((rest) => [
          op,
          ...rest,
        ]),
      );

const text = fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 12 });

describe("OT transform", () => {
  it("applies inserts and deletes, and refuses positions outside the text", () => {
    expect(apply("abc", ins(1, "x", 0))).toBe("axbc");
    expect(apply("abc", del(2))).toBe("ab");
    expect(apply("abc", NOOP)).toBe("abc");
    expect(() => apply("abc", del(3))).toThrow(RangeError);
    expect(() => apply("abc", ins(4, "x", 0))).toThrow(RangeError);
  });

  it("shifts an insert past a concurrent insert before it, and orders ties by site", () => {
    expect(transform(ins(3, "x", 1), ins(1, "y", 2))).toEqual(ins(4, "x", 1));
    expect(transform(ins(1, "x", 1), ins(3, "y", 2))).toEqual(ins(1, "x", 1));
    expect(transform(ins(2, "x", 1), ins(2, "y", 2))).toEqual(ins(2, "x", 1));
    expect(transform(ins(2, "y", 2), ins(2, "x", 1))).toEqual(ins(3, "y", 2));
    expect(() => transform(ins(2, "x", 1), ins(2, "y", 1))).toThrow(/sites must differ/);
  });

  it("turns a delete of a character already deleted into a no-op", () => {
    expect(transform(del(2), del(2))).toEqual(NOOP);
    expect(transform(del(4), del(2))).toEqual(del(3));
    expect(transform(del(4), ins(0, "x", 1))).toEqual(del(5));
  });

  it("TP1: a then transform(b, a) equals b then transform(a, b), for any concurrent pair", () => {
    fc.assert(
      fc.property(
        text.chain((s) => fc.tuple(fc.constant(s), opOn(s.length, 1), opOn(s.length, 2))),
        ([s, a, b]) => {
          expect(apply(apply(s, a), transform(b, a))).toBe(apply(apply(s, b), transform(a, b)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("two sites' concurrent sequences converge, keeping every insert and deleting each character once", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 10 }).chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.integer({ min: 0, max: 6 }).chain((n) => seqOn(s.length, 1, n)),
            fc.integer({ min: 0, max: 6 }).chain((n) => seqOn(s.length, 2, n)),
          ),
        ),
        ([s, a, b]) => {
          const [a2, b2] = transformSeq(a, b);
          const merged = applyAll(applyAll(s, a), b2);
          expect(merged).toBe(applyAll(applyAll(s, b), a2));
          // a site never deletes what the other inserted (it never saw it): site 1
          // types x and site 2 types y, so each site's letters survive the merge
          const count = (t: string, ch: string): number => t.split(ch).length - 1;
          expect(count(merged, "x")).toBe(count(applyAll(s, a), "x"));
          expect(count(merged, "y")).toBe(count(applyAll(s, b), "y"));
        },
      ),
      { numRuns: 500 },
    );
  });
});
