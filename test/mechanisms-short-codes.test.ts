import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stream } from "../src/kernel/rng.js";
import { bloomFalsePositiveRate } from "../src/mechanisms/bloom-filter.js";
import {
  BASE62,
  CounterRanges,
  DRAW_FULL,
  DRAW_READ,
  DRAW_TAKEN,
  RandomCodes,
  UsedCodes,
  base62,
  codeSpace,
} from "../src/mechanisms/short-codes.js";

type Rng = { int(n: number): number };

/** One creation, start to end, with the store's reads answered at once: the code, or -1 (gave up). */
function mintNow(r: RandomCodes, rng: Rng, attempts = Number.POSITIVE_INFINITY): number {
  r.begin(attempts);
  for (let draws = 0; draws < attempts; draws++) {
    let v = r.draw(rng);
    if (v === DRAW_READ) v = r.readBack(r.candidate);
    if (v === DRAW_TAKEN) return r.candidate;
    if (v === DRAW_FULL) break;
  }
  r.giveUp();
  return -1;
}

/** Geometric draws with redraw chance q: mean 1/(1-q), variance q/(1-q)^2. */
const geometricVariance = (q: number): number => q / (1 - q) ** 2;

describe("short codes: base62", () => {
  it("writes a code in base62, padded to its length", () => {
    expect(base62(0, 3)).toBe("000");
    expect(base62(61, 1)).toBe("Z");
    expect(base62(62, 2)).toBe("10");
    expect(base62(codeSpace(7) - 1, 7)).toBe("ZZZZZZZ");
    expect(codeSpace(7)).toBe(3_521_614_606_208);
  });

  it("distinct codes of a space have distinct texts of its length, read back exactly (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.double({ min: 0, max: 1, noNaN: true }), (len, u) => {
        const code = Math.min(codeSpace(len) - 1, Math.floor(u * codeSpace(len)));
        const text = base62(code, len);
        expect(text).toHaveLength(len);
        const back = [...text].reduce((v, ch) => v * 62 + BASE62.indexOf(ch), 0);
        expect(back).toBe(code);
      }),
      { seed: 3, numRuns: 300 },
    );
  });
});

describe("short codes: the record of codes in use", () => {
  it("a bitmap and a set record the same codes (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 4999 }), { maxLength: 300 }), (codes) => {
        const bitmap = new UsedCodes(5000);
        const set = new UsedCodes(2 ** 40); // large space: a set
        for (const c of codes) expect(bitmap.add(c)).toBe(set.add(c));
        expect(bitmap.size).toBe(new Set(codes).size);
        expect(set.size).toBe(bitmap.size);
        expect([...bitmap.codes()].sort((a, b) => a - b)).toEqual([...new Set(codes)].sort((a, b) => a - b));
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  it("a preload marks exactly that many codes, spread evenly over the space", () => {
    for (const share of [0.3, 0.9]) {
      const space = 3844; // 62^2
      const u = new UsedCodes(space);
      const count = Math.round(share * space);
      u.preload(count, stream(1, `preload ${share}`));
      expect(u.size).toBe(count);
      expect([...u.codes()]).toHaveLength(count);
      // each half of the space holds a hypergeometric share: sd below sqrt(count/4)
      const low = [...u.codes()].filter((c) => c < space / 2).length;
      expect(Math.abs(low - count / 2)).toBeLessThan(5 * Math.sqrt(count / 4));
    }
  });
});

describe("short codes: counter ranges", () => {
  it("ids are unique, increase within each range, and every id handed out is minted, held or skipped (property)", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("take" as const), instance: fc.nat({ max: 3 }) }),
      fc.record({ kind: fc.constant("lose" as const), instance: fc.nat({ max: 3 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.nat({ max: 100 }),
        fc.array(op, { maxLength: 400 }),
        (R, start, ops) => {
          const c = new CounterRanges(R, start, 1e9);
          const minted = new Set<number>();
          const last: number[] = [-1, -1, -1, -1];
          for (const o of ops) {
            if (o.kind === "lose") {
              c.lose(o.instance);
              last[o.instance] = -1;
              continue;
            }
            let id = c.take(o.instance);
            if (id === -1) {
              c.grant(o.instance); // the counter's store answered
              id = c.take(o.instance);
            }
            expect(id).toBeGreaterThanOrEqual(start);
            expect(minted.has(id)).toBe(false);
            minted.add(id);
            // within an instance's ranges, ids only grow (a new range starts past every earlier one)
            expect(id).toBeGreaterThan(last[o.instance]);
            last[o.instance] = id;
          }
          expect(c.minted).toBe(minted.size);
          expect(c.minted + c.skipped + c.held).toBe(c.issued);
          expect(c.issued).toBe(c.blocks * R);
        },
      ),
      { seed: 9, numRuns: 200 },
    );
  });

  it("one call to the counter per R ids; a crash skips the rest of the range", () => {
    const c = new CounterRanges(1000, 500, 1e6);
    expect(c.take(0)).toBe(-1);
    c.grant(0);
    for (let i = 0; i < 300; i++) expect(c.take(0)).toBe(500 + i);
    expect(c.blocks).toBe(1);
    expect(c.lose(0)).toBe(700);
    expect(c.skipped).toBe(700);
    expect(c.take(0)).toBe(-1);
    c.grant(0);
    expect(c.take(0)).toBe(1500); // never reused: the counter moved on
    c.grantLost(); // a range for an instance that is gone
    expect(c.skipped).toBe(1700);
  });

  it("past the space the counter refuses", () => {
    const c = new CounterRanges(10, 55, 62);
    c.grant(0);
    for (let i = 55; i < 62; i++) expect(c.take(0)).toBe(i);
    expect(c.take(0)).toBe(-2);
    expect(c.exhausted).toBe(1);
  });
});

describe("short codes: random codes", () => {
  const configs = fc.record({
    space: fc.integer({ min: 2, max: 400 }),
    bloom: fc.option(
      fc.record({ bits: fc.integer({ min: 8, max: 4000 }), hashes: fc.integer({ min: 1, max: 6 }) }),
    ),
    read: fc.boolean(),
    share: fc.double({ min: 0, max: 0.95, noNaN: true }),
    attempts: fc.option(fc.integer({ min: 1, max: 20 })),
  });

  it("never takes a code in use, and accounts for every draw (property)", () => {
    fc.assert(
      fc.property(configs, fc.integer({ min: 1, max: 300 }), (cfg, creations) => {
        if (!cfg.bloom && !cfg.read) cfg.read = true;
        const r = new RandomCodes({
          space: cfg.space,
          bloom: cfg.bloom && { ...cfg.bloom, seed: 1 },
          read: cfg.read,
        });
        const rng = stream(2, "draws");
        const preload = Math.floor(cfg.share * cfg.space);
        r.preload(preload, stream(2, "preload"));
        const before = new Set(r.used.codes());
        const codes = new Set<number>();
        for (let i = 0; i < creations; i++) {
          // a filter alone may flag every free code of a small space: its mints are capped (as the builder does)
          const code = mintNow(r, rng, cfg.attempts ?? (cfg.read ? Number.POSITIVE_INFINITY : 1000));
          if (code < 0) continue;
          expect(before.has(code) || codes.has(code)).toBe(false);
          codes.add(code);
        }
        expect(r.minted).toBe(codes.size);
        expect(r.minted + r.gaveUp).toBe(creations);
        expect(r.used.size).toBe(preload + codes.size);
        // a draw is taken, a collision, or a false positive (read or drawn again)
        expect(r.draws).toBe(r.minted + r.collisions + (cfg.read ? 0 : r.falsePositives));
        if (cfg.read) expect(r.reads).toBe(r.draws - (cfg.bloom ? r.minted - r.falsePositives : 0));
        else expect(r.reads).toBe(0);
        if (!cfg.bloom) expect(r.falsePositives).toBe(0);
        if (r.used.size === cfg.space) expect(mintNow(r, rng)).toBe(-1); // full: refused, not endless draws
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it("draws per code follow 1/(1 - n/S) at 50% and 90% occupancy (a read per draw)", () => {
    for (const share of [0.5, 0.9]) {
      const space = codeSpace(3);
      const r = new RandomCodes({ space, bloom: null, read: true });
      r.preload(Math.round(share * space), stream(4, "preload"));
      const rng = stream(4, `draws ${share}`);
      let expected = 0;
      let variance = 0;
      for (let i = 0; i < 2000; i++) {
        const q = r.used.size / space;
        expected += 1 / (1 - q);
        variance += geometricVariance(q);
        mintNow(r, rng);
      }
      expect(r.expectedDraws).toBeCloseTo(expected, 6);
      expect(Math.abs(r.draws - expected)).toBeLessThan(4 * Math.sqrt(variance));
      expect(r.reads).toBe(r.draws);
      expect(r.collisions).toBe(r.draws - 2000);
    }
  });

  it("a Bloom filter alone: a false positive costs a draw though the code is free", () => {
    // a small filter at 90%: f = (1 - e^{-kn/m})^k is large enough to count
    const space = codeSpace(3);
    const n0 = Math.round(0.9 * space);
    const bits = 4 * n0;
    const r = new RandomCodes({ space, bloom: { bits, hashes: 3, seed: 7 }, read: false });
    r.preload(n0, stream(5, "preload"));
    const rng = stream(5, "draws");
    let expected = 0;
    let variance = 0;
    let fpExpected = 0;
    for (let i = 0; i < 2000; i++) {
      const p = r.used.size / space;
      const f = bloomFalsePositiveRate(bits, 3, r.used.size);
      const q = p + (1 - p) * f;
      expected += 1 / (1 - q);
      variance += geometricVariance(q);
      fpExpected += ((1 - p) * f) / (1 - q); // free codes flagged per creation
      mintNow(r, rng);
    }
    expect(fpExpected).toBeGreaterThan(200);
    expect(r.expectedDraws).toBeCloseTo(expected, 6);
    expect(Math.abs(r.draws - expected)).toBeLessThan(4 * Math.sqrt(variance));
    // the filter's own rate is what it measures: false positives near the closed form's
    expect(Math.abs(r.falsePositives - fpExpected)).toBeLessThan(
      5 * Math.sqrt(fpExpected) + 0.1 * fpExpected,
    );
    expect(r.reads).toBe(0);
  });

  it("a Bloom filter with reads: only flagged draws are read, p/(1 - p) + f reads per code", () => {
    const space = codeSpace(3);
    const n0 = Math.round(0.5 * space);
    const r = new RandomCodes({ space, bloom: { bits: 2_000_000, hashes: 7, seed: 3 }, read: true });
    r.preload(n0, stream(6, "preload"));
    const rng = stream(6, "draws");
    let reads = 0;
    let variance = 0;
    for (let i = 0; i < 2000; i++) {
      const p = r.used.size / space;
      reads += p / (1 - p) + bloomFalsePositiveRate(2_000_000, 7, r.used.size);
      variance += geometricVariance(p);
      mintNow(r, rng);
    }
    expect(Math.abs(r.reads - reads)).toBeLessThan(4 * Math.sqrt(variance) + 3);
    expect(r.reads).toBeLessThan(r.draws); // free codes the filter cleared were never read
  });

  it("with attempts, a creation gives up with chance q^a", () => {
    const space = codeSpace(3);
    const r = new RandomCodes({ space, bloom: null, read: true });
    r.preload(Math.round(0.9 * space), stream(8, "preload"));
    const rng = stream(8, "draws");
    for (let i = 0; i < 2000; i++) mintNow(r, rng, 3);
    // ~0.9^3 = 73% give up: binomial sd ~20 over 2,000
    expect(r.expectedGaveUp).toBeGreaterThan(1400);
    expect(Math.abs(r.gaveUp - r.expectedGaveUp)).toBeLessThan(4 * Math.sqrt(2000 * 0.27 * 0.73));
  });

  it("a draw needs a check", () => {
    expect(() => new RandomCodes({ space: 10, bloom: null, read: false })).toThrow(/needs a check/);
  });
});
