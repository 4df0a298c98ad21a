// Every cache, edge, resilience and messaging example is deterministic (same design and seed, same
// report byte for byte), accounts for every request, and leaks no job once
// arrivals stop and the work drains. New examples are picked up as they land.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import { renderReportHtml } from "../src/report/html/index.js";
import type { Report } from "../src/report/json.js";
import { renderText } from "../src/report/text.js";
import { runFile } from "./support/run.js";

const strip = (r: Report) => JSON.stringify({ ...r, engine: undefined });
const dirs = [
  "examples/cache",
  "examples/edge",
  "examples/resilience",
  "examples/messaging",
  "examples/cost",
  "examples/studio",
].filter((d) => existsSync(d));
const files = dirs.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => `${d}/${f}`),
);

describe("cache, edge, resilience and messaging examples", () => {
  it("exist", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(`${file}: the same seed gives the same report, and every request is accounted for`, () => {
      const a = runFile(file, [], { seed: 91 });
      const b = runFile(file, [], { seed: 91 });
      expect(strip(a)).toBe(strip(b));
      expect(a.requests.ok + a.requests.failed + a.requests.inFlight).toBe(a.requests.total);
      // the terminal summary and the HTML page render whatever the design holds
      expect(renderText(a)).toContain("requests");
      expect(renderReportHtml(a)).toContain("</html>");
      expect(a.requests.total).toBeGreaterThan(1000);
    });

    it(`${file}: once arrivals stop and work drains, every request is answered and every job is free`, () => {
      const { design } = loadDesign(readFileSync(file, "utf8"), file);
      const simulation = buildSimulation(design, 5);
      const r = simulation.run({ maxEvents: 5e7, maxWallMs: 60_000 });
      simulation.sim.q.run(r.durationMs + 600_000, 5e7);
      expect(simulation.workloads.reduce((s, w) => s + w.answered, 0)).toBe(r.generated);
      expect(simulation.sim.pool.live).toBe(0);
    });
  }
});
