// archsim compare: the headline metrics of several designs run with the same
// seeds, side by side, with deltas against the first design and the better
// value marked. Pure: takes the metrics of finished runs, returns a table.
import { estimate, type Estimate } from "./stats.js";
import { formatValue, type Metric, type MetricInfo } from "./headline.js";

export interface CompareInput {
  design: string;
  /** the seeds whose runs finished, in the same order as `runs` */
  seeds: number[];
  runs: Metric[][];
}

export interface ComparedMetric extends MetricInfo {
  /** per design, over its seeds; null where the design has no such metric (e.g. no cache) */
  values: (Estimate | null)[];
  /**
   * per design: its mean minus the first design's; with several seeds, the
   * estimate is over the paired per-seed differences (the seeds are shared, so
   * the pairing removes the noise both runs have in common). null for the first
   * design and where either lacks the metric.
   */
  deltas: (Estimate | null)[];
  /**
   * indices of the designs with the better value; empty when all are equal, the
   * metric has no direction, or (several seeds) the lead is within the noise
   */
  best: number[];
}

export interface CompareResult {
  designs: string[];
  seeds: number[];
  metrics: ComparedMetric[];
}

export function compareRuns(inputs: CompareInput[]): CompareResult {
  const infos = new Map<string, MetricInfo>();
  for (const d of inputs)
    for (const run of d.runs)
      for (const m of run)
        if (!infos.has(m.key))
          infos.set(m.key, { key: m.key, label: m.label, unit: m.unit, better: m.better });
  const bySeed = inputs.map((d) =>
    d.runs.map((run, i) => ({ seed: d.seeds[i], values: new Map(run.map((m) => [m.key, m.value])) })),
  );
  const metrics: ComparedMetric[] = [];
  for (const info of infos.values()) {
    const values = bySeed.map((runs) => {
      const xs = runs.flatMap((r) => (r.values.has(info.key) ? [r.values.get(info.key)!] : []));
      return xs.length ? estimate(xs) : null;
    });
    const deltas = bySeed.map((runs, i) => {
      if (i === 0 || !values[0] || !values[i]) return null;
      const base = new Map(bySeed[0].map((r) => [r.seed, r.values.get(info.key)]));
      const diffs = runs.flatMap((r) => {
        const a = base.get(r.seed);
        const b = r.values.get(info.key);
        return a !== undefined && b !== undefined ? [b - a] : [];
      });
      return diffs.length ? estimate(diffs) : null;
    });
    const paired = (i: number, j: number) => {
      const other = new Map(bySeed[j].map((r) => [r.seed, r.values.get(info.key)]));
      const diffs = bySeed[i].flatMap((r) => {
        const a = r.values.get(info.key);
        const b = other.get(r.seed);
        return a !== undefined && b !== undefined ? [a - b] : [];
      });
      return estimate(diffs);
    };
    metrics.push({ ...info, values, deltas, best: bestOf(info, values, paired) });
  }
  return {
    designs: inputs.map((d) => d.design),
    seeds: [...new Set(inputs.flatMap((d) => d.seeds))],
    metrics,
  };
}

/**
 * The designs with the better mean. With several seeds, a winner is marked only
 * when the paired 95% interval of its difference from every other design
 * excludes 0: a lead that the seeds' noise could explain is no lead.
 */
function bestOf(
  info: MetricInfo,
  values: (Estimate | null)[],
  paired: (i: number, j: number) => Estimate,
): number[] {
  if (info.better === "none") return [];
  const means = values.map((v) => (v ? v.mean : null));
  const present = means.filter((m): m is number => m !== null);
  if (present.length < 2) return [];
  const top = info.better === "lower" ? Math.min(...present) : Math.max(...present);
  if (present.every((m) => m === top)) return [];
  const winners = means.flatMap((m, i) => (m === top ? [i] : []));
  const clear = winners.every((w) =>
    means.every((m, j) => {
      if (m === null || m === top) return true;
      const d = paired(w, j);
      return d.ci95 === null || Math.abs(d.mean) > d.ci95;
    }),
  );
  return clear ? winners : [];
}

/** A value with its confidence half-width, in the metric's unit. */
export function valueText(info: MetricInfo, e: Estimate | null): string {
  if (!e) return "-";
  const v = formatValue(info.unit, e.mean);
  return e.ci95 === null ? v : `${v} ±${formatValue(info.unit, e.ci95)}`;
}

/** A difference from the first design: absolute (± its paired interval), then relative. */
export function deltaText(info: MetricInfo, d: Estimate | null, base: Estimate | null): string {
  if (!d || !base) return "";
  if (d.mean === 0 && !d.ci95) return "(=)";
  const sign = d.mean > 0 ? "+" : d.mean < 0 ? "-" : "±";
  // a difference of fractions is in percentage points, not a percentage of a percentage
  const fmt = (x: number) =>
    info.unit === "%" ? `${formatValue("count", x * 100)}pp` : formatValue(info.unit, x);
  const pct =
    base.mean !== 0 && info.unit !== "%" ? ` ${sign}${Math.abs((d.mean / base.mean) * 100).toFixed(0)}%` : "";
  const ci = d.ci95 === null ? "" : ` ±${fmt(d.ci95)}`;
  return `(${sign}${fmt(Math.abs(d.mean))}${ci}${pct})`;
}

export function renderCompare(c: CompareResult): string {
  const header = ["metric", ...c.designs.map((d, i) => (i === 0 ? d : `${d} (Δ vs ${c.designs[0]})`))];
  const rows = c.metrics.map((m) => [
    m.label,
    ...m.values.map((v, i) => {
      const mark = m.best.includes(i) ? " *" : "";
      const delta = i === 0 ? "" : ` ${deltaText(m, m.deltas[i], m.values[0])}`;
      return `${valueText(m, v)}${delta}${mark}`.trim();
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join("  ");
  const seeds =
    c.seeds.length === 1
      ? `seed ${c.seeds[0]}`
      : `seeds ${c.seeds[0]}..${c.seeds[c.seeds.length - 1]}: mean ±95% confidence half-width; deltas paired by seed; * only where the lead is beyond that noise`;
  return [
    `compared with the same ${seeds}; * marks the better value`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ].join("\n");
}
