// Helpers for tests that run designs through the public API.
import { readFileSync } from "node:fs";
import { DesignError } from "../../src/design/errors.js";
import { loadDesign } from "../../src/design/load.js";
import type { Report } from "../../src/report/json.js";
import { type RunOptions, runDesign } from "../../src/run.js";

export function runFile(file: string, sets: string[] = [], opts: RunOptions = {}): Report {
  return runDesign(loadDesign(readFileSync(file, "utf8"), file, sets), opts);
}

export function runText(text: string, sets: string[] = [], opts: RunOptions = {}): Report {
  return runDesign(loadDesign(text, "inline.yaml", sets), opts);
}

/** The message of the DesignError that loading `text` must raise; fails if it loads. */
export function rejection(text: string, file = "bad.yaml"): string {
  try {
    loadDesign(text, file);
  } catch (e) {
    if (e instanceof DesignError) return e.message;
    throw e;
  }
  throw new Error(`expected ${file} to be rejected`);
}

/** Two-sided Student t quantiles at 99.9% confidence (0.9995), by degrees of freedom. */
const T9995: Record<number, number> = {
  2: 31.6,
  3: 12.924,
  4: 8.61,
  5: 6.869,
  6: 5.959,
  7: 5.408,
  9: 4.781,
  19: 3.883,
};

/**
 * Mean, standard error and 99.9% confidence half-width of independent
 * replications. Suites make many such checks, so each is held at 99.9%.
 */
export function confidence(xs: number[]): { mean: number; se: number; half: number } {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const se = sd / Math.sqrt(n);
  return { mean, se, half: (T9995[n - 1] ?? 3.291) * se };
}
