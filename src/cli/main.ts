// The archsim command: a thin shell over the API. Exit codes: 0 success,
// 1 an SLO failed, 2 invalid input or usage, 3 a run stopped by its budget,
// 70 an internal error.
import { readFileSync, writeFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { DesignError, formatDiagnostic } from "../design/errors.js";
import { loadDesign } from "../design/load.js";
import { jsonSchema } from "../design/schema.js";
import { parseCount, parseDuration } from "../design/units.js";
import { renderReportHtml } from "../report/html/index.js";
import { renderText } from "../report/text.js";
import { DEFAULT_MAX_EVENTS, runDesign } from "../run.js";
import { VERSION } from "../version.js";
import { progressBar } from "./progress.js";

class UsageError extends Error {}

function readDesign(file: string, sets: string[]) {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === "ENOENT" ? `no such file: ${file}` : `cannot read ${file}: ${(e as Error).message}`,
    );
  }
  const loaded = loadDesign(text, file, sets);
  for (const w of loaded.source.warnings) process.stderr.write(`warning: ${formatDiagnostic(w)}\n`);
  return loaded;
}

function option<T>(value: string | undefined, parse: (v: string) => T, what: string): T | undefined {
  if (value === undefined) return undefined;
  try {
    return parse(value);
  } catch (e) {
    throw new UsageError(`${what}: ${(e as Error).message}`);
  }
}

const collect = (v: string, prev: string[]) => [...prev, v];

function writeHtml(file: string, html: string): void {
  try {
    writeFileSync(file, html);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

export function program(): Command {
  const cli = new Command("archsim")
    .description(
      "Executable system design: run an architecture, its traffic and its faults, and measure the outcome.",
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  cli
    .command("run")
    .description("simulate a design and print a summary (or the JSON report)")
    .argument("<file>", "design file (YAML or JSON)")
    .option("--seed <n>", "random seed (default: the design's seed, else 1)")
    .option("--duration <time>", "simulated time, overriding the design (e.g. 30s)")
    .option(
      "--set <path=value>",
      "override a field, e.g. components.api.instances=8 (repeatable)",
      collect,
      [],
    )
    .option("--json", "print the JSON report instead of the summary")
    .option("--html <file>", "also write the report as a self-contained HTML page with charts")
    .addOption(
      new Option("--max-events <n>", "stop after this many events").default(String(DEFAULT_MAX_EVENTS)),
    )
    .option("--max-wall <time>", "stop after this much wall-clock time (e.g. 60s)")
    .action(
      (
        file: string,
        o: {
          seed?: string;
          duration?: string;
          set: string[];
          json?: boolean;
          html?: string;
          maxEvents: string;
          maxWall?: string;
        },
      ) => {
        const seed = option(
          o.seed,
          (v) => {
            const n = Number(v);
            if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
              throw new Error("expected a whole number from 0 to 4294967295");
            return n;
          },
          "--seed",
        );
        // --duration is an override like any other, so the design's own checks apply to it
        const sets = o.duration === undefined ? o.set : [...o.set, `duration=${JSON.stringify(o.duration)}`];
        const maxEvents = option(o.maxEvents, parseCount, "--max-events");
        const maxWallMs = option(o.maxWall, parseDuration, "--max-wall");
        const loaded = readDesign(file, sets);
        const bar = progressBar(process.stderr);
        const report = runDesign(loaded, { seed, maxEvents, maxWallMs, onProgress: bar.update });
        bar.done();
        if (o.html !== undefined) writeHtml(o.html, renderReportHtml(report, loaded.design));
        process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderText(report)}\n`);
        if (report.engine.stoppedBy) {
          process.stderr.write(
            `archsim: the run was stopped by its ${report.engine.stoppedBy === "event-budget" ? "event budget (--max-events)" : "wall-clock budget (--max-wall)"} after ${(report.engine.simulatedMs / 1000).toFixed(1)}s of simulated time; the report covers that part only\n`,
          );
          process.exitCode = 3;
        } else if (report.slo.some((s) => !s.pass)) process.exitCode = 1;
      },
    );

  cli
    .command("validate")
    .description("check a design file and report every problem with its location")
    .argument("<file>")
    .option("--set <path=value>", "override a field before validating (repeatable)", collect, [])
    .action((file: string, o: { set: string[] }) => {
      const loaded = readDesign(file, o.set);
      const n = Object.keys(loaded.design.components).length;
      process.stdout.write(`${file}: valid (${n} components)\n`);
    });

  cli
    .command("schema")
    .description("print the design file's JSON Schema")
    .action(() => {
      process.stdout.write(`${JSON.stringify(jsonSchema(), null, 2)}\n`);
    });
  return cli;
}

export function main(argv: string[]): void {
  try {
    program().parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (e instanceof DesignError) {
      for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      process.stderr.write(
        `archsim: ${e.diagnostics.length} problem${e.diagnostics.length === 1 ? "" : "s"} in the design\n`,
      );
      process.exitCode = 2;
      return;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`archsim: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`archsim: internal error: ${(e as Error).message}\n`);
    if (process.env.ARCHSIM_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    else process.stderr.write("(set ARCHSIM_DEBUG=1 for details, and please report it)\n");
    process.exitCode = 70;
  }
}

main(process.argv);
