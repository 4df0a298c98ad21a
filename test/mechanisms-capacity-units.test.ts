import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readCapacityUnits, writeCapacityUnits } from "../src/mechanisms/capacity-units.js";

describe("capacity units", () => {
  it("charge a strong read one unit per started 4 KiB, an eventual read half, a write one per started 1 KiB", () => {
    expect(readCapacityUnits(1024, true)).toBe(1);
    expect(readCapacityUnits(1024, false)).toBe(0.5);
    expect(readCapacityUnits(4096, true)).toBe(1);
    expect(readCapacityUnits(4097, true)).toBe(2);
    expect(readCapacityUnits(6 * 1024, false)).toBe(1);
    expect(writeCapacityUnits(1024)).toBe(1);
    expect(writeCapacityUnits(1025)).toBe(2);
    expect(writeCapacityUnits(6 * 1024)).toBe(6);
  });

  it("charge at least one unit's worth, an empty item included", () => {
    expect(readCapacityUnits(0, true)).toBe(1);
    expect(readCapacityUnits(0, false)).toBe(0.5);
    expect(writeCapacityUnits(0)).toBe(1);
  });

  it("eventual reads always cost half of strong ones, and both grow with size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e7 }), fc.integer({ min: 0, max: 1e5 }), (bytes, more) => {
        expect(readCapacityUnits(bytes, false) * 2).toBe(readCapacityUnits(bytes, true));
        expect(readCapacityUnits(bytes + more, true)).toBeGreaterThanOrEqual(readCapacityUnits(bytes, true));
        expect(writeCapacityUnits(bytes)).toBeGreaterThanOrEqual(readCapacityUnits(bytes, true));
      }),
    );
  });

  it("rejects sizes that are not sizes", () => {
    expect(() => readCapacityUnits(-1, true)).toThrow(RangeError);
    expect(() => writeCapacityUnits(Number.NaN)).toThrow(RangeError);
  });
});
