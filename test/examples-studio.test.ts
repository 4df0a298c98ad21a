// The studio's load example (examples/studio/ten-thousand-rps.yaml) does what
// its story says: 10,000 requests a second, all answered, spread evenly over
// the API instances, which are as busy as Little's law says.
import { describe, expect, it } from "vitest";
import { runFile } from "./support/run.js";

const FILE = "examples/studio/ten-thousand-rps.yaml";
const RATE = 10_000;

describe(FILE, () => {
  const r = runFile(FILE);
  const seconds = r.durationMs / 1000;
  const api = r.components.api as unknown as {
    utilization: number;
    latencyMs: { mean: number };
    rejected: number;
  };
  const lb = r.components.lb as unknown as { pools: { api: { forwarded: number[] } } };

  it("offers 10,000 requests a second (Poisson: within 5 standard deviations)", () => {
    const expected = RATE * seconds;
    expect(Math.abs(r.requests.total - expected)).toBeLessThan(5 * Math.sqrt(expected));
  });

  it("answers every request: the API has ample headroom", () => {
    expect(r.requests.failed).toBe(0);
    expect(api.rejected).toBe(0);
    // all but those still in flight at the end (at most ~10 ms of arrivals)
    expect(r.requests.inFlight).toBeLessThan(RATE * 0.05);
  });

  it("least connections spreads the requests evenly over the 8 instances", () => {
    const fwd = lb.pools.api.forwarded;
    const total = fwd.reduce((a, b) => a + b, 0);
    expect(fwd).toHaveLength(8);
    // at least as even as a binomial split (least connections does better than random)
    const sd = Math.sqrt(total * (1 / 8) * (7 / 8));
    for (const n of fwd) expect(Math.abs(n - total / 8)).toBeLessThan(5 * sd);
  });

  it("the API is as busy as Little's law says: arrival rate x time a worker is held / workers", () => {
    const workers = 8 * 16;
    const busy = (r.requests.total / seconds) * (api.latencyMs.mean / 1000);
    expect(api.utilization).toBeCloseTo(busy / workers, 2);
    expect(api.utilization).toBeLessThan(0.3);
  });
});
