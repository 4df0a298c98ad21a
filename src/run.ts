// The typed API: load a design, run it, get the report.
import type { RunBudget } from "./components/simulation.js";
import { costSection } from "./cost/cost.js";
import { buildSimulation } from "./design/build.js";
import type { LoadedDesign } from "./design/load.js";
import { MAX_DURATION_MS } from "./design/validate.js";
import { buildReport, type Report } from "./report/json.js";
import { VERSION } from "./version.js";

export interface RunOptions {
  seed?: number;
  /** overrides the design's duration */
  durationMs?: number;
  maxEvents?: number;
  maxWallMs?: number;
  onProgress?: RunBudget["onProgress"];
}

export const DEFAULT_SEED = 1;
export const DEFAULT_MAX_EVENTS = 2e9;
export const DEFAULT_MAX_WALL_MS = 30 * 60 * 1000;

export function runDesign(loaded: LoadedDesign, opts: RunOptions = {}): Report {
  if (opts.durationMs !== undefined && !(opts.durationMs > 0 && opts.durationMs <= MAX_DURATION_MS))
    throw new RangeError(`durationMs must be in (0, ${MAX_DURATION_MS}], got ${opts.durationMs}`);
  const design = opts.durationMs ? { ...loaded.design, duration: opts.durationMs } : loaded.design;
  const seed = opts.seed ?? design.seed ?? DEFAULT_SEED;
  const simulation = buildSimulation(design, seed);
  const result = simulation.run({
    maxEvents: opts.maxEvents ?? DEFAULT_MAX_EVENTS,
    maxWallMs: opts.maxWallMs ?? DEFAULT_MAX_WALL_MS,
    onProgress: opts.onProgress,
  });
  const clientRoutes = Object.values(design.components).flatMap((c) =>
    c.kind === "workload" ? c.routes.map((r) => r.route) : [],
  );
  return buildReport(result, {
    design: design.name ?? loaded.file.replace(/^.*[\\/]/, "").replace(/\.(ya?ml|json)$/i, ""),
    seed,
    version: VERSION,
    slo: design.slo ?? [],
    clientRoutes,
    cost: costSection(design, result.components, result.simulatedMs),
  });
}
