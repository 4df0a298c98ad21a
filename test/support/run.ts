// Helpers for tests that run designs through the public API.
import { readFileSync } from "node:fs";
import { loadDesign } from "../../src/design/load.js";
import type { Report } from "../../src/report/json.js";
import { type RunOptions, runDesign } from "../../src/run.js";

export function runFile(file: string, sets: string[] = [], opts: RunOptions = {}): Report {
  return runDesign(loadDesign(readFileSync(file, "utf8"), file, sets), opts);
}

export function runText(text: string, sets: string[] = [], opts: RunOptions = {}): Report {
  return runDesign(loadDesign(text, "inline.yaml", sets), opts);
}

/** Two-sided Student t quantiles at 99% confidence, by degrees of freedom. */
const T995: Record<number, number> = {
  1: 63.657,
  2: 9.925,
  3: 5.841,
  4: 4.604,
  5: 4.032,
  6: 3.707,
  7: 3.499,
  9: 3.25,
  19: 2.861,
};

/** Mean and 99% confidence half-width of independent replications. */
export function confidence(xs: number[]): { mean: number; half: number } {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  return { mean, half: (T995[n - 1] ?? 2.576) * (sd / Math.sqrt(n)) };
}
