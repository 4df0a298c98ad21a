// Load balancing under mixed request costs (examples/lb-algorithms.yaml):
// 10 single-worker instances, 90% of requests 1ms and 10% 20ms, 70% load.
// Theory: policies that see outstanding work approach join-the-shortest-queue
// (least-connections); sampling two (power-of-two choices) gets most of the
// benefit; load-blind policies (round robin, random) let short requests queue
// behind long ones. So p99(round-robin) > p99(power-of-two) > p99(least-connections).
import { describe, expect, it } from "vitest";
import { runFile } from "./support/run.js";

const p99 = (algorithm: string, seed: number) =>
  runFile("examples/lb-algorithms.yaml", [`components.lb.algorithm=${algorithm}`, "duration=120s"], { seed })
    .latencyMs.p99;

describe("load-balancing policies", () => {
  it("orders p99 as queueing theory predicts: round-robin > power-of-two > least-connections", () => {
    for (const seed of [1, 2]) {
      const rr = p99("round-robin", seed);
      const random = p99("random", seed);
      const p2c = p99("power-of-two", seed);
      const lc = p99("least-connections", seed);
      // the gaps are large (about 2x each); 1.3x margins keep the test far from noise
      expect(rr).toBeGreaterThan(1.3 * p2c);
      expect(random).toBeGreaterThan(1.3 * p2c);
      expect(p2c).toBeGreaterThan(1.3 * lc);
    }
  });

  it("round robin gives every instance the same share", () => {
    const r = runFile(
      "examples/lb-algorithms.yaml",
      ["components.lb.algorithm=round-robin", "duration=20s"],
      { seed: 3 },
    );
    const pools = r.components.lb.pools as Record<string, { forwarded: number[] }>;
    const shares = pools.app.forwarded;
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
  });
});
