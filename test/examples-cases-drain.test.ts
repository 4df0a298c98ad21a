// The design cases and the learning path, run briefly: every request is
// accounted for once, and once arrivals stop and the work drains every
// request is answered and no job is left in the pool. (Their own tests run
// them at full length and check the pages' numbers; determinism is checked
// there too, since a page whose runs changed is stale.) Runs are cut to 30 s
// so the leak check stays cheap; the drain allows two hours for the slowest
// pipelines (a 20-minute transcode behind a 30-minute visibility timeout).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";

const yamlUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlUnder(join(dir, e.name)) : e.name.endsWith(".yaml") ? [join(dir, e.name)] : [],
  );
const files = [...yamlUnder("examples/cases"), ...yamlUnder("examples/learn")].sort();

describe("design cases and learning-path designs drain cleanly", () => {
  it("exist", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  for (const file of files) {
    it(`${file}: every request accounted for; after the drain all answered, no job leaked`, () => {
      const { design } = loadDesign(readFileSync(file, "utf8"), file, ["duration=30s"]);
      const simulation = buildSimulation(design, 7);
      const r = simulation.run({ maxEvents: 5e7, maxWallMs: 60_000 });
      const answered = () => simulation.workloads.reduce((s, w) => s + w.answered, 0);
      expect(answered()).toBeLessThanOrEqual(r.generated);
      // step the drain a minute at a time: periodic work (heartbeats, health
      // checks) never stops, so running to the full two hours would be slow
      for (let t = r.durationMs; t < r.durationMs + 2 * 3600_000; t += 60_000) {
        if (answered() === r.generated && simulation.sim.pool.live === 0) break;
        simulation.sim.q.run(t + 60_000, 5e7);
      }
      expect(answered()).toBe(r.generated);
      expect(simulation.sim.pool.live).toBe(0);
    });
  }
});
