// `archsim doc`: keeps the numbers quoted in Markdown documents true by
// re-running the designs they name (src/report/doc-fill.ts has the format).
// --check leaves the files alone and fails if any number is out of date.
import type { Command } from "commander";
import { DocFillError, docRuns, fillDoc } from "../report/doc-fill.js";
import { runDesign } from "../run.js";
import { readDesign, readText, UsageError, writeOutput } from "./shared.js";

/** The document with every marked value re-derived from fresh runs. */
export function filledDoc(file: string, text: string): string {
  try {
    const reports: Record<string, unknown> = {};
    for (const run of docRuns(text)) {
      const loaded = readDesign(run.file, run.sets);
      reports[run.name] = runDesign(loaded, { seed: run.seed });
    }
    return fillDoc(text, reports);
  } catch (e) {
    if (e instanceof DocFillError) throw new UsageError(`${file}:${e.line}: ${e.message}`);
    throw e;
  }
}

export function addDoc(cli: Command): void {
  cli
    .command("doc")
    .description("re-run the designs a Markdown document names and refresh the numbers it quotes from them")
    .argument("<files...>", "Markdown files with <!-- runs --> and <!--v run:path format--> markers")
    .option("--check", "change nothing; exit 1 if a quoted number is out of date")
    .action((files: string[], o: { check?: boolean }) => {
      const stale: string[] = [];
      for (const file of files) {
        const text = readText(file);
        const filled = filledDoc(file, text);
        if (filled === text) continue;
        if (o.check) stale.push(file);
        else {
          writeOutput(file, filled);
          process.stdout.write(`${file}: updated\n`);
        }
      }
      if (stale.length) {
        process.stderr.write(`out of date (run archsim doc ${stale.join(" ")}): ${stale.join(", ")}\n`);
        process.exitCode = 1;
      }
    });
}
