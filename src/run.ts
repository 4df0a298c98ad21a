// The typed API: load a design, run it, get the report.
import type { RunBudget, RunResult } from "./components/simulation.js";
import { costSection } from "./cost/cost.js";
import { buildSimulation } from "./design/build.js";
import type { LoadedDesign } from "./design/load.js";
import type { Design } from "./design/schema.js";
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
  const { design, seed } = prepareRun(loaded, opts);
  const simulation = buildSimulation(design, seed);
  const result = simulation.run({
    maxEvents: opts.maxEvents ?? DEFAULT_MAX_EVENTS,
    maxWallMs: opts.maxWallMs ?? DEFAULT_MAX_WALL_MS,
    onProgress: opts.onProgress,
  });
  return reportOf(loaded, design, seed, result);
}

/** The design as run (duration overridden) and the seed it runs with. */
export function prepareRun(
  loaded: LoadedDesign,
  opts: Pick<RunOptions, "seed" | "durationMs"> = {},
): { design: Design; seed: number } {
  if (opts.durationMs !== undefined && !(opts.durationMs > 0 && opts.durationMs <= MAX_DURATION_MS))
    throw new RangeError(`durationMs must be in (0, ${MAX_DURATION_MS}], got ${opts.durationMs}`);
  const design = opts.durationMs ? { ...loaded.design, duration: opts.durationMs } : loaded.design;
  return { design, seed: opts.seed ?? design.seed ?? DEFAULT_SEED };
}

/** The JSON report of a run's result (complete or so far). */
export function reportOf(loaded: LoadedDesign, design: Design, seed: number, result: RunResult): Report {
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
