// Every data-tier example is deterministic (same design and seed, same report
// byte for byte, failovers, partitions and reshardings included), accounts
// for every request, and leaks no job once the traffic has drained.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import { renderReportHtml } from "../src/report/html/index.js";
import type { Report } from "../src/report/json.js";
import { renderText } from "../src/report/text.js";
import { runFile } from "./support/run.js";

const strip = (r: Report) => JSON.stringify({ ...r, engine: undefined });

describe("data-tier examples", () => {
  const files = readdirSync("examples/data").filter((f) => f.endsWith(".yaml"));

  it("are all here", () => {
    expect(files.sort()).toEqual(
      [
        "binlog-formats.yaml",
        "cap-partition.yaml",
        "failover.yaml",
        "hot-key.yaml",
        "isolation.yaml",
        "multi-dc.yaml",
        "multi-leader.yaml",
        "quorum.yaml",
        "read-your-writes.yaml",
        "reservations.yaml",
        "sharding.yaml",
        "stale-balance.yaml",
        "sharding-schemes.yaml",
      ].sort(),
    );
  });

  for (const f of files)
    it(`${f}: the same seed gives the same report, and every request is accounted for`, () => {
      const file = `examples/data/${f}`;
      const a = runFile(file, [], { seed: 77, durationMs: 45_000 });
      const b = runFile(file, [], { seed: 77, durationMs: 45_000 });
      expect(strip(a)).toBe(strip(b));
      expect(a.requests.ok + a.requests.failed + a.requests.inFlight).toBe(a.requests.total);
      // the terminal summary and the HTML page render whatever the design holds
      expect(renderText(a)).toContain("requests");
      expect(renderReportHtml(a)).toContain("</html>");
      expect(a.requests.total).toBeGreaterThan(1000);
    });
});

describe("no data-tier job is leaked", () => {
  // faults that end before the run does, so that everything can drain
  const ending: Record<string, string[]> = {
    "failover.yaml": ["faults.0.for=10s", "faults.1.for=10s"],
    "cap-partition.yaml": [],
    "sharding.yaml": [],
    "quorum.yaml": [],
    "multi-leader.yaml": [],
    "multi-dc.yaml": [],
    "read-your-writes.yaml": [],
    "hot-key.yaml": [],
    "isolation.yaml": [],
    "binlog-formats.yaml": [],
  };
  for (const [f, sets] of Object.entries(ending))
    it(`${f}: once arrivals stop and work drains, every request is answered and every job is free`, () => {
      const file = `examples/data/${f}`;
      const { design } = loadDesign(readFileSync(file, "utf8"), file, [...sets, "duration=45s"]);
      const simulation = buildSimulation(design, 5);
      const r = simulation.run({ maxEvents: 5e7, maxWallMs: 60_000 });
      // heartbeats keep ticking; everything else finishes
      simulation.sim.q.run(r.durationMs + 120_000, 5e7);
      expect(simulation.workloads.reduce((s, w) => s + w.answered, 0)).toBe(r.generated);
      expect(simulation.sim.pool.live).toBe(0);
    });
});
