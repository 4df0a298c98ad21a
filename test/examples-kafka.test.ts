// The headline of examples/messaging/min-insync.yaml, from the mechanism:
// under a 10s cut of zone c, the topic needing 2 in-sync replicas of 3 keeps
// acknowledging publishes to the partitions whose follower in c was dropped,
// and the one needing 3 refuses them; neither loses an acknowledged message.
import { describe, expect, it } from "vitest";
import { runFile } from "./support/run.js";

describe("examples/messaging/min-insync.yaml", () => {
  const r = runFile("examples/messaging/min-insync.yaml");
  const RATE = 300;
  const CUT = 10; // seconds
  const DURATION = 20;
  // Poisson counts: a 5-sd margin
  const near = (x: number, mean: number) => Math.abs(x - mean) < 5 * Math.sqrt(mean);
  const outcomes = (route: string) => r.routes[route].requests.byOutcome as Record<string, number>;

  it("strict (minInsync 3): publishes to partitions 0 and 1 are refused for the whole cut", () => {
    // two thirds of 300/s for 10s: the first 2s waiting (then refused after their append), the rest refused at once
    expect(near(outcomes("POST /strict")["not-enough-replicas"], ((RATE * 2) / 3) * CUT)).toBe(true);
  });

  it("available (minInsync 2): they are acknowledged once the follower is dropped", () => {
    // refusals only for the few publishes to partition 2 that were waiting for its followers at the cut
    expect(outcomes("POST /available")["not-enough-replicas"] ?? 0).toBeLessThanOrEqual(10);
    // everything but partition 2 (cut off from the producers) during the cut
    const ok = outcomes("POST /available").ok;
    expect(near(ok, RATE * DURATION - (RATE / 3) * CUT)).toBe(true);
    expect(near(outcomes("POST /strict").ok, RATE * (DURATION - CUT))).toBe(true);
  });

  it("both drop and re-admit the cut-off replicas, and lose nothing acknowledged", () => {
    for (const t of ["available", "strict"]) {
      const rep = r.components[t].replication as Record<string, number>;
      expect(rep.isrShrinks).toBe(4);
      expect(rep.isrExpands).toBe(4);
      expect(rep.acknowledgedLost).toBe(0);
    }
  });
});
