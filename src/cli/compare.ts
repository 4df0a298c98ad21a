// archsim compare a.yaml b.yaml ...: every design run with the same seeds, the
// headline metrics side by side (src/report/compare.ts).
import type { Command } from "commander";
import { compareRuns, type CompareInput, renderCompare } from "../report/compare.js";
import { renderCompareHtml } from "../report/compare-html.js";
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
import type { RunTask } from "./task.js";

interface CompareOptions {
  seed?: string;
  seeds: string;
  duration?: string;
  set: string[];
  jobs?: string;
  json?: boolean;
  html?: string;
}

/** Column names: the file names without extension, or the paths when those collide. */
function labels(files: string[]): string[] {
  const short = files.map((f) => f.replace(/^.*[\\/]/, "").replace(/\.(ya?ml|json)$/i, ""));
  return new Set(short).size === short.length ? short : files;
}

export function addCompare(cli: Command): void {
  cli
    .command("compare")
    .description("run several designs with the same seeds and compare their headline metrics")
    .argument("<files...>", "two or more design files; deltas are against the first")
    .option("--seed <n>", "first seed (default: the first design's seed, else 1)")
    .option(
      "--seeds <k>",
      "run k seeds (seed, seed+1, ...) per design: mean and 95% confidence interval",
      "1",
    )
    .option("--duration <time>", "simulated time for every design (e.g. 30s)")
    .option("--set <path=value>", "override a field in every design (repeatable)", collect, [])
    .option("--jobs <n>", "worker threads (default: the number of cores)")
    .option("--json", "print the comparison as JSON")
    .option("--html <file>", "also write an HTML page: the table and the designs' time series overlaid")
    .action(async (files: string[], o: CompareOptions) => {
      if (files.length < 2) throw new UsageError("compare needs at least two design files");
      const seed = option(o.seed, parseSeed, "--seed");
      const count = option(o.seeds, positiveInt(1000), "--seeds")!;
      const jobs = option(o.jobs, positiveInt(1024), "--jobs") ?? defaultJobs();
      const sets = withDuration(o.set, o.duration);
      // load every design first: a typo in the third file should not cost the first two runs
      const designs = files.map((file) => ({ file, text: readText(file), loaded: readDesign(file, sets) }));
      const seeds = seedList(seed, designs[0].loaded.design.seed, count);
      const tasks: RunTask[] = designs.flatMap((d, i) =>
        seeds.map((s, j) => ({
          id: i * seeds.length + j,
          text: d.text,
          file: d.file,
          sets,
          seed: s,
          full: o.html !== undefined && j === 0,
        })),
      );
      const { results, interrupted } = await runBatch(tasks, jobs);
      const names = labels(files);
      const inputs: CompareInput[] = designs.map((_, i) => {
        const done = seeds.flatMap((s, j) => {
          const r = results.get(i * seeds.length + j);
          return r ? [{ seed: s, r }] : [];
        });
        return { design: names[i], seeds: done.map((d) => d.seed), runs: done.map((d) => d.r.metrics) };
      });
      const stopped = [...results.values()].filter((r) => r.stoppedBy).length;
      if (stopped)
        process.stderr.write(
          `archsim: ${stopped} run(s) stopped by a budget cover only part of their duration\n`,
        );
      const result = { ...compareRuns(inputs), complete: !interrupted };
      if (o.html) {
        // the time series of each design's first seed (the same seed for all)
        const runs = designs.flatMap((_, i) => {
          const report = results.get(i * seeds.length)?.report;
          return report ? [{ label: names[i], report }] : [];
        });
        writeOutput(o.html, renderCompareHtml(result, runs));
      }
      process.stdout.write(o.json ? `${JSON.stringify(result, null, 2)}\n` : `${renderCompare(result)}\n`);
      if (interrupted) {
        process.stderr.write(
          `archsim: interrupted; the comparison covers the ${results.size} of ${tasks.length} runs that finished\n`,
        );
        process.exitCode = 130;
      }
    });
}
