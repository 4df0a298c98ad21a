// What the commands share: reading design files, option parsing with usage
// errors (exit code 2), and the seed list of replications.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { formatDiagnostic } from "../design/errors.js";
import { type LoadedDesign, loadDesign } from "../design/load.js";
import { DEFAULT_SEED } from "../run.js";

export class UsageError extends Error {}

export function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === "ENOENT" ? `no such file: ${file}` : `cannot read ${file}: ${(e as Error).message}`,
    );
  }
}

export function readDesign(file: string, sets: string[]): LoadedDesign {
  const loaded = loadDesign(readText(file), file, sets);
  for (const w of loaded.source.warnings) process.stderr.write(`warning: ${formatDiagnostic(w)}\n`);
  return loaded;
}

export function option<T>(value: string | undefined, parse: (v: string) => T, what: string): T | undefined {
  if (value === undefined) return undefined;
  try {
    return parse(value);
  } catch (e) {
    throw new UsageError(`${what}: ${(e as Error).message}`);
  }
}

export const collect = (v: string, prev: string[]) => [...prev, v];

export function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new Error("expected a whole number from 0 to 4294967295");
  return n;
}

export function positiveInt(max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`expected a whole number from 1 to ${max}`);
    return n;
  };
}

/** --duration is an override like any other, so the design's own checks apply to it. */
export function withDuration(sets: string[], duration: string | undefined): string[] {
  return duration === undefined ? sets : [...sets, `duration=${JSON.stringify(duration)}`];
}

/**
 * The seeds of the replications: `count` consecutive seeds from --seed, else
 * the design's seed, else 1. Every design and grid point runs with the same
 * list (common random numbers).
 */
export function seedList(base: number | undefined, designSeed: number | undefined, count: number): number[] {
  const first = base ?? designSeed ?? DEFAULT_SEED;
  if (first + count - 1 > 0xffffffff)
    throw new UsageError(`--seeds: seeds from ${first} would pass 4294967295`);
  return Array.from({ length: count }, (_, i) => first + i);
}

/** Written whole under a temporary name and renamed, so a reader never sees half a file. */
export function writeOutput(file: string, content: string): void {
  const tmp = `${file}.partial`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as Error).message}`);
  }
}
