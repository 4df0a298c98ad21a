// The results of a sweep: per grid point, each metric's mean and 95% confidence
// interval over the seeds; knees along the first parameter; a table and CSV.
import { formatValue, type Metric, type MetricInfo } from "../report/headline.js";
import { estimate, type Estimate } from "../report/stats.js";
import { detectKnee, kneeRules } from "./knee.js";
import type { SweepParameter } from "./values.js";

export interface PointRuns {
  /** one value per parameter */
  values: string[];
  /** the seeds whose runs finished, in the order of `runs` */
  seeds: number[];
  runs: Metric[][];
}

export interface SweepPoint {
  params: Record<string, string>;
  seeds: number[];
  metrics: Record<string, Estimate>;
}

export interface SweepKnee {
  metric: string;
  label: string;
  /** the parameter the knee is along (the first one) */
  along: string;
  /** the values of the other parameters on this line of the grid */
  at: Record<string, string>;
  rule: string;
  baseline: number | null;
  threshold: number;
  /** the last value of `along` still within the threshold; null if the first already exceeds it */
  lastWithin: string | null;
  firstBeyond: string;
  /** the metric at firstBeyond */
  valueBeyond: number;
}

export interface SweepResult {
  design: string;
  parameters: SweepParameter[];
  seeds: number[];
  /** false when the sweep was interrupted: some points are missing or have fewer seeds */
  complete: boolean;
  gridPoints: number;
  metrics: MetricInfo[];
  points: SweepPoint[];
  knees: SweepKnee[];
}

export function summarizeSweep(o: {
  design: string;
  parameters: SweepParameter[];
  seeds: number[];
  points: PointRuns[];
  kneeFactor: number;
}): SweepResult {
  const infos = new Map<string, MetricInfo>();
  const points: SweepPoint[] = [];
  let complete = true;
  for (const p of o.points) {
    if (p.runs.length < o.seeds.length) complete = false;
    if (p.runs.length === 0) continue;
    const samples = new Map<string, number[]>();
    for (const run of p.runs)
      for (const m of run) {
        if (!infos.has(m.key))
          infos.set(m.key, { key: m.key, label: m.label, unit: m.unit, better: m.better });
        samples.set(m.key, [...(samples.get(m.key) ?? []), m.value]);
      }
    const metrics: Record<string, Estimate> = {};
    for (const [k, xs] of samples) metrics[k] = estimate(xs);
    points.push({
      params: Object.fromEntries(o.parameters.map((q, i) => [q.path, p.values[i]])),
      seeds: p.seeds,
      metrics,
    });
  }
  return {
    design: o.design,
    parameters: o.parameters,
    seeds: o.seeds,
    complete,
    gridPoints: o.points.length,
    metrics: [...infos.values()],
    points,
    knees: findKnees(o.parameters, points, infos, o.kneeFactor),
  };
}

/** Knees along the first parameter, on each line of the grid (each combination of the others). */
function findKnees(
  parameters: SweepParameter[],
  points: SweepPoint[],
  infos: Map<string, MetricInfo>,
  factor: number,
): SweepKnee[] {
  if (parameters.length === 0 || parameters[0].values.length < 2) return [];
  const along = parameters[0].path;
  const others = parameters.slice(1).map((p) => p.path);
  const lines = new Map<string, SweepPoint[]>();
  for (const pt of points) {
    const key = JSON.stringify(others.map((p) => pt.params[p]));
    lines.set(key, [...(lines.get(key) ?? []), pt]);
  }
  const out: SweepKnee[] = [];
  for (const line of lines.values()) {
    // grid order puts the first parameter's values in the order swept
    for (const { metric, rule } of kneeRules(factor)) {
      const info = infos.get(metric);
      const pts = line.filter((p) => p.metrics[metric]);
      if (!info || pts.length < 2) continue;
      const knee = detectKnee(
        pts.map((p) => p.metrics[metric].mean),
        rule,
      );
      if (!knee) continue;
      out.push({
        metric,
        label: info.label,
        along,
        at: Object.fromEntries(others.map((p) => [p, pts[0].params[p]])),
        rule:
          rule.kind === "ratio"
            ? `exceeds ${rule.factor}x its baseline`
            : `exceeds ${formatValue(info.unit, rule.threshold)}`,
        baseline: knee.baseline,
        threshold: knee.threshold,
        lastWithin: knee.lastWithin === null ? null : pts[knee.lastWithin].params[along],
        firstBeyond: pts[knee.firstBeyond].params[along],
        valueBeyond: pts[knee.firstBeyond].metrics[metric].mean,
      });
    }
  }
  return out;
}

/** The metrics shown in the terminal table unless --metrics says otherwise. */
export function defaultColumns(r: SweepResult): string[] {
  const named = new Set(r.parameters.map((p) => p.path.replace(/^components\./, "").split(".")[0]));
  const keys = r.metrics.map((m) => m.key);
  return keys.filter(
    (k) =>
      ["throughputPerSec", "latencyMs.p50", "latencyMs.p99", "errorRate", "sloPassed", "cost"].includes(k) ||
      (k.startsWith("utilizationPeak:") && named.has(k.slice("utilizationPeak:".length))),
  );
}

function cell(info: MetricInfo, e: Estimate | undefined): string {
  if (!e) return "-";
  const v = formatValue(info.unit, e.mean);
  return e.ci95 === null ? v : `${v} ±${formatValue(info.unit, e.ci95)}`;
}

export function renderKnee(k: SweepKnee, unit: MetricInfo["unit"]): string {
  const at = Object.entries(k.at)
    .map(([p, v]) => `${p}=${v}`)
    .join(", ");
  const base = k.baseline === null ? "" : ` (baseline ${formatValue(unit, k.baseline)})`;
  const where =
    k.lastWithin === null
      ? `already at ${k.along}=${k.firstBeyond}`
      : `beyond ${k.along}=${k.lastWithin} (at ${k.firstBeyond}: ${formatValue(unit, k.valueBeyond)})`;
  return `${k.label.trim()} ${k.rule}${base} ${where}${at ? ` when ${at}` : ""}`;
}

export function renderSweep(r: SweepResult, columns: string[]): string {
  const infos = new Map(r.metrics.map((m) => [m.key, m]));
  const cols = columns.filter((c) => infos.has(c));
  const header = [...r.parameters.map((p) => p.path), ...cols.map((c) => infos.get(c)!.label.trim())];
  const rows = r.points.map((p) => [
    ...r.parameters.map((q) => p.params[q.path]),
    ...cols.map((c) => cell(infos.get(c)!, p.metrics[c])),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((s, i) => s.padStart(widths[i])).join("  ");
  const seeds =
    r.seeds.length === 1
      ? `seed ${r.seeds[0]}`
      : `seeds ${r.seeds[0]}..${r.seeds[r.seeds.length - 1]} (mean ±95% confidence half-width)`;
  const out = [
    `sweep of ${r.design}: ${r.points.length} of ${r.gridPoints} points, ${seeds}`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ];
  if (r.knees.length) {
    out.push("", "knees:");
    for (const k of r.knees) out.push(`  ${renderKnee(k, infos.get(k.metric)!.unit)}`);
  }
  if (!r.complete) out.push("", "interrupted: the table holds the points (and seeds) that finished");
  return out.join("\n");
}

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** One row per finished point: the parameters, the seeds run, then each metric's mean, ci95 and n. */
export function sweepCsv(r: SweepResult): string {
  const header = [
    ...r.parameters.map((p) => p.path),
    "seeds",
    ...r.metrics.flatMap((m) => [`${m.key}.mean`, `${m.key}.ci95`]),
  ];
  const rows = r.points.map((p) => [
    ...r.parameters.map((q) => p.params[q.path]),
    String(p.seeds.length),
    ...r.metrics.flatMap((m) => {
      const e = p.metrics[m.key];
      return e ? [String(e.mean), e.ci95 === null ? "" : String(e.ci95)] : ["", ""];
    }),
  ]);
  return `${[header, ...rows].map((row) => row.map(csvField).join(",")).join("\n")}\n`;
}
