// The archsim command: a thin shell over the API. Exit codes: 0 success,
// 1 an SLO failed, 2 invalid input or usage, 3 a run stopped by its budget,
// 70 an internal error, 130 interrupted (compare and sweep keep what finished).
import { writeFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { DesignError, formatDiagnostic } from "../design/errors.js";
import { jsonSchema } from "../design/schema.js";
import { parseCount, parseDuration } from "../design/units.js";
import { emitDesign, starterModel } from "../estimate/emit.js";
import { estimate, EstimateError } from "../estimate/estimate.js";
import { inputFromFile, inputFromValues } from "../estimate/input.js";
import { renderEstimate } from "../estimate/text.js";
import { renderReportHtml } from "../report/html/index.js";
import { renderText } from "../report/text.js";
import { DEFAULT_MAX_EVENTS, runDesign } from "../run.js";
import { VERSION } from "../version.js";
import { addCompare } from "./compare.js";
import { addDoc } from "./doc.js";
import { progressBar } from "./progress.js";
import { addStudio } from "./studio.js";
import { collect, option, parseSeed, readDesign, readText, UsageError, withDuration } from "./shared.js";
import { addSweep } from "./sweep.js";

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
        const seed = option(o.seed, parseSeed, "--seed");
        const sets = withDuration(o.set, o.duration);
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

  addCompare(cli);
  addSweep(cli);
  addDoc(cli);
  addStudio(cli);

  cli
    .command("estimate")
    .description(
      "back-of-envelope capacity: users -> requests/s -> storage -> bandwidth -> cache -> instances, with the queueing prediction",
    )
    .argument("[file]", "a YAML file of inputs (same names as the flags, in camelCase); flags override it")
    .option("--dau <count>", "daily active users, e.g. 10M")
    .option("--actions <count>", "actions (requests) per user per day")
    .option("--ratio <r:w>", "read:write ratio (default 10:1)")
    .option("--read-size <size>", "bytes a read returns (default 1KB)")
    .option("--write-size <size>", "bytes a write stores (default 1KB)")
    .option("--retention <time>", "how long data is kept, e.g. 5y or 30d (default 5y)")
    .option("--replication <n>", "copies of the data (default 3)")
    .option("--peak <factor>", "peak rate / average rate (default 2)")
    .option("--capacity <rate>", "requests/s one instance handles (default from --instance-type, else 1k/s)")
    .option("--instance-type <type>", "the service's instance type, e.g. m5.large (prices it)")
    .option("--concurrency <n>", "workers per instance (default 8)")
    .option("--target <percent>", "utilisation at peak to size for (default 70%)")
    .option("--json", "print the estimate as JSON")
    .option("--emit <file>", "write a starter design for the estimate to this file")
    .option("--keys <n>", "keys of the emitted design (default: its requests / 100, 1k to 100k)")
    .option("--duration <time>", "simulated time of the emitted design (default 60s)")
    .action((file: string | undefined, o: Record<string, string | undefined>) => {
      const flags = {
        dau: o.dau,
        actionsPerUser: o.actions,
        readWrite: o.ratio,
        readSize: o.readSize,
        writeSize: o.writeSize,
        retention: o.retention,
        replication: o.replication,
        peakFactor: o.peak,
        capacity: o.capacity,
        instanceType: o.instanceType,
        concurrency: o.concurrency,
        targetUtilization: o.target,
        keys: o.keys,
        duration: o.duration,
      };
      let parsed;
      try {
        parsed = file === undefined ? inputFromValues(flags) : inputFromFile(readText(file), file, flags);
      } catch (e) {
        if (e instanceof DesignError) throw e;
        throw new UsageError((e as Error).message);
      }
      try {
        const result = estimate(parsed.input);
        if (o.emit !== undefined) {
          const text = emitDesign(result, parsed.starter);
          writeFileSync(o.emit, text);
        }
        const out = o.json
          ? JSON.stringify(
              o.emit !== undefined ? { ...result, starter: starterModel(result, parsed.starter) } : result,
              null,
              2,
            )
          : renderEstimate(result) +
            (o.emit !== undefined ? `\n\nwrote ${o.emit}: run it with archsim run ${o.emit}` : "");
        process.stdout.write(`${out}\n`);
      } catch (e) {
        if (e instanceof EstimateError) throw new UsageError(e.message);
        throw e;
      }
    });

  cli
    .command("schema")
    .description("print the design file's JSON Schema")
    .action(() => {
      process.stdout.write(`${JSON.stringify(jsonSchema(), null, 2)}\n`);
    });
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
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

void main(process.argv);
