// The target-tracking rule on its own: the fleet size it asks for, its dead
// band, and its cooldowns, checked directly and as properties over random
// histories.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { desiredCapacity, type ScalingPolicy, TargetTracker } from "../src/mechanisms/autoscaling.js";

const policy: ScalingPolicy = {
  min: 2,
  max: 20,
  target: 0.6,
  tolerance: 0.1,
  outCooldownMs: 30_000,
  inCooldownMs: 60_000,
};

describe("desiredCapacity", () => {
  it("asks for as many instances as carry the load at the target", () => {
    // 4 instances at 90% carry 3.6 instances' worth; at 60% that needs 6
    expect(desiredCapacity(4, 0.9, policy)).toBe(6);
    // 10 instances at 12% carry 1.2; at 60% that is 2
    expect(desiredCapacity(10, 0.12, policy)).toBe(2);
    // an exact multiple is not rounded past
    expect(desiredCapacity(3, 1.2, policy)).toBe(6);
  });

  it("leaves the fleet alone inside the dead band, and clamps to [min, max]", () => {
    expect(desiredCapacity(5, 0.64, policy)).toBe(5);
    expect(desiredCapacity(5, 0.55, policy)).toBe(5);
    expect(desiredCapacity(5, 0.7, policy)).toBe(6);
    expect(desiredCapacity(19, 6, policy)).toBe(20);
    expect(desiredCapacity(3, 0, policy)).toBe(2);
  });

  it("stays in [min, max] and grows with the metric", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        (n, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const x = desiredCapacity(n, lo, policy);
          const y = desiredCapacity(n, hi, policy);
          expect(x).toBeGreaterThanOrEqual(policy.min);
          expect(y).toBeLessThanOrEqual(policy.max);
          // outside the dead band the answer is monotone; inside, it is n (clamped)
          const band = (m: number) => Math.abs(m / policy.target - 1) <= policy.tolerance;
          if (!band(lo) && !band(hi)) expect(x).toBeLessThanOrEqual(y);
        },
      ),
    );
  });
});

describe("TargetTracker", () => {
  it("scales out at once, then waits out the scale-out cooldown", () => {
    const t = new TargetTracker(policy);
    expect(t.decide(0, { inService: 4, booting: 0 }, 1)).toEqual({ to: 7, direction: "out" });
    // still overloaded, but within the cooldown
    expect(t.decide(10_000, { inService: 4, booting: 0 }, 1)).toBeNull();
    expect(t.decide(30_000, { inService: 7, booting: 0 }, 1)).toEqual({ to: 12, direction: "out" });
  });

  it("counts booting instances as capacity already asked for", () => {
    const t = new TargetTracker(policy);
    // 4 in service at 90% want 6: the 2 booting already make 6
    expect(t.decide(0, { inService: 4, booting: 2 }, 0.9)).toBeNull();
  });

  it("scales in only with nothing booting, after the scale-in cooldown since any scaling", () => {
    const t = new TargetTracker(policy);
    expect(t.decide(0, { inService: 4, booting: 0 }, 1)?.direction).toBe("out");
    expect(t.decide(20_000, { inService: 4, booting: 3 }, 0.1)).toBeNull();
    expect(t.decide(50_000, { inService: 7, booting: 0 }, 0.1)).toBeNull();
    expect(t.decide(60_000, { inService: 7, booting: 0 }, 0.1)).toEqual({ to: 2, direction: "in" });
  });

  it("over any history: decisions stay in [min, max] and respect both cooldowns", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            dt: fc.integer({ min: 1_000, max: 40_000 }),
            metric: fc.double({ min: 0, max: 2, noNaN: true }),
            boot: fc.boolean(),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        (steps) => {
          const t = new TargetTracker(policy);
          let now = 0;
          let inService = policy.min;
          let booting = 0;
          let lastOut = Number.NEGATIVE_INFINITY;
          let lastAny = Number.NEGATIVE_INFINITY;
          for (const s of steps) {
            now += s.dt;
            // booting instances come into service between decisions, or not yet
            if (!s.boot) {
              inService += booting;
              booting = 0;
            }
            const d = t.decide(now, { inService, booting }, s.metric);
            if (!d) continue;
            expect(d.to).toBeGreaterThanOrEqual(policy.min);
            expect(d.to).toBeLessThanOrEqual(policy.max);
            if (d.direction === "out") {
              expect(d.to).toBeGreaterThan(inService + booting);
              expect(now - lastOut).toBeGreaterThanOrEqual(policy.outCooldownMs);
              booting += d.to - inService - booting;
              lastOut = now;
            } else {
              expect(booting).toBe(0);
              expect(d.to).toBeLessThan(inService);
              expect(now - lastAny).toBeGreaterThanOrEqual(policy.inCooldownMs);
              inService = d.to;
            }
            lastAny = now;
          }
        },
      ),
    );
  });

  it("refuses a policy that cannot hold a fleet", () => {
    expect(() => new TargetTracker({ ...policy, min: 0 })).toThrow(RangeError);
    expect(() => new TargetTracker({ ...policy, min: 5, max: 4 })).toThrow(RangeError);
    expect(() => new TargetTracker({ ...policy, target: 0 })).toThrow(RangeError);
  });
});
