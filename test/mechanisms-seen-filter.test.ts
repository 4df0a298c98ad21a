import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bloomFalsePositiveRate } from "../src/mechanisms/bloom-filter.js";
import {
  MAX_PAGES,
  SEEN_DUPLICATE,
  SEEN_FALSE_POSITIVE,
  SEEN_NEW,
  SeenFilter,
  urlOf,
} from "../src/mechanisms/seen-filter.js";

describe("seen filter (a crawler's URL-seen test)", () => {
  it("never admits a URL twice, and every skip is a duplicate or a false positive (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 2000 }), { minLength: 1, maxLength: 500 }),
        fc.integer({ min: 8, max: 4096 }),
        fc.integer({ min: 1, max: 8 }),
        (urls, bits, hashes) => {
          const f = new SeenFilter(bits, hashes, 3);
          const admitted = new Set<number>();
          for (const u of urls) {
            const v = f.check(u);
            if (v === SEEN_NEW) {
              expect(admitted.has(u)).toBe(false);
              admitted.add(u);
            } else if (v === SEEN_DUPLICATE) expect(admitted.has(u)).toBe(true);
            else {
              expect(v).toBe(SEEN_FALSE_POSITIVE);
              expect(admitted.has(u)).toBe(false); // never admitted
            }
          }
          const c = f.counts;
          expect(c.checked).toBe(urls.length);
          expect(c.admitted + c.duplicates + c.falsePositives).toBe(c.checked);
          expect(c.admitted).toBe(admitted.size);
          // no false negatives: every URL admitted is seen from then on
          for (const u of admitted) expect(f.check(u)).toBe(SEEN_DUPLICATE);
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it("a filter too small for its URLs skips new ones: the false positives follow (1 - e^{-kn/m})^k", () => {
    // 20,000 distinct URLs into 100,000 bits with 4 hashes (5 bits per URL):
    // the sum over the new URLs of the rate at the filter's fill then
    const f = new SeenFilter(100_000, 4, 11);
    for (let i = 0; i < 20_000; i++) f.check(urlOf(i % 500, Math.floor(i / 500)));
    const c = f.counts;
    const expected = f.expectedFalsePositives;
    let variance = 0;
    for (let i = 0; i < c.admitted + c.falsePositives; i++) {
      const p = bloomFalsePositiveRate(100_000, 4, Math.min(i, c.admitted));
      variance += p * (1 - p);
    }
    expect(expected).toBeGreaterThan(300); // a rate reaching ~9% at the end
    expect(Math.abs(c.falsePositives - expected)).toBeLessThan(6 * Math.sqrt(variance));
    expect(c.duplicates).toBe(0);
    expect(f.expectedFalsePositiveRate).toBeCloseTo(bloomFalsePositiveRate(100_000, 4, c.admitted), 12);
  });

  it("a URL's id is its site and page, distinct for distinct pairs", () => {
    expect(urlOf(0, 5)).toBe(5);
    expect(urlOf(1, 0)).toBe(MAX_PAGES);
    expect(urlOf(3, 7)).not.toBe(urlOf(7, 3));
    expect(Number.isSafeInteger(urlOf(2 ** 33 - 1, MAX_PAGES - 1))).toBe(true);
  });
});
