// archsim sweep design.yaml --set path=values ...: the grid of every
// combination, each point run with the same seeds on the worker pool; a table
// of means and 95% confidence intervals, knees, CSV and JSON files.
import type { Command } from "commander";
import { DesignError, type Diagnostic } from "../design/errors.js";
import { loadDesign } from "../design/load.js";
import { renderSweepHtml } from "../sweep/html.js";
import { resolveSweepPath } from "../sweep/paths.js";
import {
  defaultColumns,
  type PointRuns,
  renderSweep,
  summarizeSweep,
  sweepCsv,
  type SweepResult,
} from "../sweep/summary.js";
import { cartesian, parseSweepSet, type SweepParameter, SweepSpecError } from "../sweep/values.js";
import { runBatch } from "./batch.js";
import { defaultJobs } from "./pool.js";
import {
  collect,
  option,
  parseSeed,
  positiveInt,
  readDesign,
  readText,
  seedList,
  UsageError,
  withDuration,
  writeOutput,
} from "./shared.js";
import type { RunTask, TaskResult } from "./task.js";

interface SweepOptions {
  set: string[];
  fix: string[];
  seed?: string;
  seeds: string;
  duration?: string;
  jobs?: string;
  metrics?: string;
  kneeFactor: string;
  csv?: string;
  json?: string;
  html?: string;
}

/** Grids beyond this are almost certainly a typo in a range. */
const MAX_POINTS = 100_000;

function parseParameters(args: string[], data: unknown): SweepParameter[] {
  const diags: Diagnostic[] = [];
  const params: SweepParameter[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    try {
      const p = parseSweepSet(arg);
      const full = resolveSweepPath(p.path, data).join(".");
      if (seen.has(full)) throw new SweepSpecError(`${full} is swept twice`, "one --set per path");
      seen.add(full);
      params.push(p);
    } catch (e) {
      if (!(e instanceof SweepSpecError)) throw e;
      diags.push({
        file: "--set",
        line: 0,
        col: 0,
        path: [],
        message: `${arg}: ${e.message}`,
        expected: e.expected,
        suggestion: e.suggestion,
      });
    }
  }
  if (diags.length) throw new DesignError(diags);
  return params;
}

/** Every value, then every grid point, through the design's own loader: bad values fail before any run. */
function checkGrid(
  text: string,
  file: string,
  base: string[],
  params: SweepParameter[],
  points: string[][],
): void {
  for (const p of params) for (const v of p.values) loadDesign(text, file, [...base, `${p.path}=${v}`]);
  if (params.length > 1)
    for (const pt of points) loadDesign(text, file, [...base, ...pt.map((v, i) => `${params[i].path}=${v}`)]);
}

export function addSweep(cli: Command): void {
  cli
    .command("sweep")
    .description("run a design over a grid of parameter values, in parallel, and tabulate the metrics")
    .argument("<file>", "design file (YAML or JSON)")
    .option(
      "--set <path=values>",
      "a swept parameter: path=a..b, a..b:step, a..b:xF or v1,v2,... (repeatable)",
      collect,
      [],
    )
    .option(
      "--fix <path=value>",
      "override a field for every point, like run --set (repeatable)",
      collect,
      [],
    )
    .option("--seed <n>", "first seed (default: the design's seed, else 1)")
    .option("--seeds <k>", "seeds per point (seed, seed+1, ...): mean and 95% confidence interval", "1")
    .option("--duration <time>", "simulated time of each run (e.g. 30s)")
    .option("--jobs <n>", "worker threads (default: the number of cores)")
    .option("--metrics <keys>", "table columns, comma-separated metric keys (see docs/compare-and-sweep.md)")
    .option(
      "--knee-factor <f>",
      "a latency knee is where it exceeds f times its value at the first point",
      "10",
    )
    .option("--csv <file>", "write the results as CSV (rewritten as points finish)")
    .option("--json <file>", "write the results as JSON (rewritten as points finish)")
    .option("--html <file>", "write an HTML page: each metric plotted against the first parameter")
    .action(async (file: string, o: SweepOptions) => {
      if (o.set.length === 0) throw new UsageError("sweep needs at least one --set path=values");
      const seed = option(o.seed, parseSeed, "--seed");
      const count = option(o.seeds, positiveInt(1000), "--seeds")!;
      const jobs = option(o.jobs, positiveInt(1024), "--jobs") ?? defaultJobs();
      const kneeFactor = option(
        o.kneeFactor,
        (v) => {
          const f = Number(v);
          if (!(f > 1) || !Number.isFinite(f)) throw new Error("expected a number greater than 1");
          return f;
        },
        "--knee-factor",
      )!;
      const base = withDuration(o.fix, o.duration);
      const text = readText(file);
      const loaded = readDesign(file, base);
      const params = parseParameters(o.set, loaded.source.data);
      const points = cartesian(params);
      if (points.length > MAX_POINTS)
        throw new UsageError(`the grid has ${points.length} points, more than ${MAX_POINTS}`);
      checkGrid(text, file, base, params, points);
      const seeds = seedList(seed, loaded.design.seed, count);
      const tasks: RunTask[] = points.flatMap((pt, i) =>
        seeds.map((s, j) => ({
          id: i * seeds.length + j,
          text,
          file,
          sets: [...base, ...pt.map((v, k) => `${params[k].path}=${v}`)],
          seed: s,
          full: false,
        })),
      );
      const design = loaded.design.name ?? file.replace(/^.*[\\/]/, "").replace(/\.(ya?ml|json)$/i, "");
      const summarize = (results: Map<number, TaskResult>): SweepResult => {
        const runs: PointRuns[] = points.map((values, i) => {
          const done = seeds.flatMap((s, j) => {
            const r = results.get(i * seeds.length + j);
            return r ? [{ s, r }] : [];
          });
          return { values, seeds: done.map((d) => d.s), runs: done.map((d) => d.r.metrics) };
        });
        return summarizeSweep({ design, parameters: params, seeds, points: runs, kneeFactor });
      };
      const columnsOf = (r: SweepResult) =>
        o.metrics ? o.metrics.split(",").map((c) => c.trim()) : defaultColumns(r);
      const write = (r: SweepResult) => {
        if (o.csv) writeOutput(o.csv, sweepCsv(r));
        if (o.json) writeOutput(o.json, `${JSON.stringify(r, null, 2)}\n`);
        if (o.html) writeOutput(o.html, renderSweepHtml(r, columnsOf(r)));
      };
      // an unwritable file should fail now, not after the runs
      write(summarize(new Map()));
      let writeFailure: Error | undefined;
      const { results, interrupted } = await runBatch(tasks, jobs, (task, _r, all) => {
        // a point is finished when its last seed is: rewrite the files so they survive anything
        const point = Math.floor(task.id / seeds.length);
        if (writeFailure || !seeds.every((_, j) => all.has(point * seeds.length + j))) return;
        try {
          write(summarize(all));
        } catch (e) {
          writeFailure = e as Error;
          process.stderr.write(`archsim: ${writeFailure.message}; the files will be written at the end\n`);
        }
      });
      const result = summarize(results);
      write(result);
      const columns = columnsOf(result);
      const unknown = columns.filter((c) => !result.metrics.some((m) => m.key === c));
      if (unknown.length && result.points.length)
        process.stderr.write(
          `archsim: no metric ${unknown.join(", ")}; the metrics are ${result.metrics.map((m) => m.key).join(", ")}\n`,
        );
      const stopped = [...results.values()].filter((r) => r.stoppedBy).length;
      if (stopped)
        process.stderr.write(
          `archsim: ${stopped} run(s) stopped by a budget cover only part of their duration\n`,
        );
      process.stdout.write(`${renderSweep(result, columns)}\n`);
      if (interrupted) {
        process.stderr.write(`archsim: interrupted after ${results.size} of ${tasks.length} runs\n`);
        process.exitCode = 130;
      }
    });
}
