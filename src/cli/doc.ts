// `archsim doc`: keeps the numbers quoted in Markdown documents, and the
// charts drawn beside them, true by re-running the designs they name
// (src/report/doc-fill.ts has the format). --check leaves the files alone and
// fails if any number or chart is out of date.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { DocFillError, docRuns, fillDoc } from "../report/doc-fill.js";
import type { Report } from "../report/json.js";
import { runDesign } from "../run.js";
import { readDesign, readText, UsageError, writeOutput } from "./shared.js";

export interface FilledDoc {
  text: string;
  /** chart files, by path (relative to the document's directory resolved) -> SVG text */
  charts: Map<string, string>;
}

/** The reports of the runs a document declares, by run name. */
export function docReports(file: string, text: string): Record<string, Report> {
  try {
    const reports: Record<string, Report> = {};
    for (const run of docRuns(text))
      reports[run.name] = runDesign(readDesign(run.file, run.sets), { seed: run.seed });
    return reports;
  } catch (e) {
    if (e instanceof DocFillError) throw new UsageError(`${file}:${e.line}: ${e.message}`);
    throw e;
  }
}

/** The document with every marked value re-derived from fresh runs (or the given reports), and its charts. */
export function filledDoc(file: string, text: string, given?: Record<string, Report>): FilledDoc {
  const reports = given ?? docReports(file, text);
  try {
    const named = new Map<string, string>();
    const filled = fillDoc(text, reports, named);
    const charts = new Map([...named].map(([f, svg]) => [join(dirname(file), f), svg]));
    return { text: filled, charts };
  } catch (e) {
    if (e instanceof DocFillError) throw new UsageError(`${file}:${e.line}: ${e.message}`);
    throw e;
  }
}

/** The files of a document that differ from what a fresh fill gives. */
export function staleParts(file: string, text: string, doc: FilledDoc): string[] {
  const stale = doc.text === text ? [] : [file];
  for (const [chart, svg] of doc.charts)
    if (!existsSync(chart) || readFileSync(chart, "utf8") !== svg) stale.push(chart);
  return stale;
}

export function addDoc(cli: Command): void {
  cli
    .command("doc")
    .description(
      "re-run the designs a Markdown document names and refresh the numbers and charts it shows from them",
    )
    .argument(
      "<files...>",
      "Markdown files with <!-- runs -->, <!--v run:path format--> and <!--chart--> markers",
    )
    .option("--check", "change nothing; exit 1 if a quoted number or a chart is out of date")
    .action((files: string[], o: { check?: boolean }) => {
      const stale: string[] = [];
      for (const file of files) {
        const text = readText(file);
        const doc = filledDoc(file, text);
        const parts = staleParts(file, text, doc);
        if (!parts.length) continue;
        if (o.check) {
          stale.push(...parts);
          continue;
        }
        for (const [chart, svg] of doc.charts) {
          mkdirSync(dirname(chart), { recursive: true });
          writeOutput(chart, svg);
        }
        writeOutput(file, doc.text);
        process.stdout.write(`${file}: updated (${parts.join(", ")})\n`);
      }
      if (stale.length) {
        process.stderr.write(`out of date (run archsim doc on its document): ${stale.join(", ")}\n`);
        process.exitCode = 1;
      }
    });
}
