// Builds a mint step (a URL shortener's new short codes) from its design.
import { PRIMARY_READS } from "../components/database.js";
import { MintStep } from "../components/mint-step.js";
import type { Component, Sim } from "../components/runtime.js";
import type { Store } from "../components/store.js";
import { CounterRanges, RandomCodes, codeSpace } from "../mechanisms/short-codes.js";
import { DEFAULTS } from "./defaults.js";
import type { Preload } from "./schema.js";

export interface MintSpec {
  codes: "counter" | "random";
  length: number;
  store?: string;
  range?: number;
  bloom?: { bits: number; hashes: number };
  attempts?: number;
  preload?: Preload;
  name?: string;
}

/** Codes in use at the start, out of `space` (validation keeps it below the space). */
export function preloadCount(p: Preload | undefined, space: number): number {
  if (p === undefined) return 0;
  return "count" in p ? p.count : Math.round(p.share * space);
}

/**
 * The `i`-th step of a route of service `service`: its draws, preloaded codes
 * and filter come from streams of the run's seed named after it.
 */
export function mintStep(
  service: string,
  route: string,
  i: number,
  spec: MintSpec,
  byName: Map<string, Component>,
  sim: Sim,
): MintStep {
  const space = codeSpace(spec.length);
  const preloaded = preloadCount(spec.preload, space);
  const stream = `${service}/mint/${route}/${i}`;
  const store = spec.store ? (byName.get(spec.store) as Store) : null;
  let counter: CounterRanges | null = null;
  let random: RandomCodes | null = null;
  if (spec.codes === "counter")
    counter = new CounterRanges(spec.range ?? DEFAULTS.mintRange, preloaded, space);
  else {
    random = new RandomCodes({
      space,
      bloom: spec.bloom ? { ...spec.bloom, seed: sim.stream(`${stream}/bloom`).int(2 ** 31) } : null,
      read: store !== null,
    });
    random.preload(preloaded, sim.stream(`${stream}/preload`));
  }
  return new MintStep(
    spec.name ?? route,
    route,
    spec.length,
    space,
    preloaded,
    store,
    store ? store.readPolicy(PRIMARY_READS) : 0,
    spec.attempts ??
      (spec.codes === "random" && !store ? DEFAULTS.mintFilterAttempts : Number.POSITIVE_INFINITY),
    counter,
    random,
    sim.stream(stream),
  );
}
