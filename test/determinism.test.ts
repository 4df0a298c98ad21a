// Same design + same seed = the same report, byte for byte (outside `engine`,
// which measures the machine). Another seed gives another run.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runFile } from "./support/run.js";

const strip = (r: Report) => JSON.stringify({ ...r, engine: { ...r.engine, wallMs: 0, eventsPerSec: 0 } });

describe("determinism", () => {
  it("the same seed reproduces hello.yaml exactly", () => {
    const a = runFile("examples/hello.yaml", ["duration=20s"], { seed: 5 });
    const b = runFile("examples/hello.yaml", ["duration=20s"], { seed: 5 });
    expect(a.requests.total).toBeGreaterThan(1000);
    expect(strip(a)).toBe(strip(b));
  });

  it("another seed gives a different run", () => {
    const a = runFile("examples/hello.yaml", ["duration=20s"], { seed: 5 });
    const c = runFile("examples/hello.yaml", ["duration=20s"], { seed: 6 });
    expect(strip(a)).not.toBe(strip(c));
    expect(a.requests.total).not.toBe(c.requests.total);
  });

  it("changing one component leaves the others' randomness alone", () => {
    // the workload draws from its own stream, so its arrivals are the same
    // whatever the database does
    const a = runFile("examples/hello.yaml", ["duration=20s"], { seed: 9 });
    const b = runFile("examples/hello.yaml", ["duration=20s", "components.db.readTime=exp(8ms)"], {
      seed: 9,
    });
    expect(b.requests.total).toBe(a.requests.total);
    expect(b.latencyMs.p99).not.toBe(a.latencyMs.p99);
  });
});
