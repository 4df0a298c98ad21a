// The headline numbers of a report, flattened to named scalars so that runs can
// be compared side by side (archsim compare) and plotted against a parameter
// (archsim sweep). Each metric says which direction is better.
import type { Report } from "./json.js";

export type Better = "lower" | "higher" | "none";

export interface MetricInfo {
  /** stable key, used in JSON and CSV and by --metrics */
  key: string;
  label: string;
  /** how to print it: ms, /s, a fraction shown as %, a count, $ */
  unit: "ms" | "/s" | "%" | "count" | "$";
  better: Better;
}

export interface Metric extends MetricInfo {
  value: number;
}

type Series = Record<string, number[] | undefined>;

interface CostLike {
  total?: { monthly?: number };
  components?: { component: string; monthly?: number }[];
}

const max = (xs: readonly number[]) => xs.reduce((m, x) => (x > m ? x : m), 0);

/** The largest value over a component's series whose names match `re` (e.g. lagMs:0, lagMs:1). */
function seriesPeak(series: Series | undefined, re: RegExp): number | undefined {
  if (!series) return undefined;
  let peak: number | undefined;
  for (const [k, v] of Object.entries(series)) if (re.test(k) && v) peak = Math.max(peak ?? 0, max(v));
  return peak;
}

function numberAt(o: Record<string, unknown>, key: string): number | undefined {
  return typeof o[key] === "number" ? (o[key] as number) : undefined;
}

export function headlineMetrics(r: Report): Metric[] {
  const out: Metric[] = [];
  const add = (
    key: string,
    label: string,
    unit: Metric["unit"],
    better: Better,
    value: number | undefined,
  ) => {
    if (value !== undefined && Number.isFinite(value)) out.push({ key, label, unit, better, value });
  };
  add("throughputPerSec", "throughput", "/s", "higher", r.throughputPerSec);
  add("latencyMs.p50", "p50", "ms", "lower", r.latencyMs.p50);
  add("latencyMs.p95", "p95", "ms", "lower", r.latencyMs.p95);
  add("latencyMs.p99", "p99", "ms", "lower", r.latencyMs.p99);
  const answered = r.requests.ok + r.requests.failed;
  add("errorRate", "error rate", "%", "lower", answered > 0 ? r.requests.failed / answered : 0);
  for (const [cause, n] of Object.entries(r.requests.byOutcome).sort(([a], [b]) => a.localeCompare(b)))
    if (cause !== "ok")
      add(`errorRate:${cause}`, `  ${cause}`, "%", "lower", answered > 0 ? n / answered : 0);
  if (r.slo.length)
    add(
      "sloPassed",
      `SLOs passed (of ${r.slo.length})`,
      "count",
      "higher",
      r.slo.filter((s) => s.pass).length,
    );
  for (const [name, c] of Object.entries(r.components)) {
    const comp = c as Record<string, unknown> & { series?: Series };
    // the busiest second says more about headroom than the average over the run
    add(
      `utilizationPeak:${name}`,
      `peak utilisation ${name}`,
      "%",
      "none",
      seriesPeak(comp.series, /^utilization$/) ?? numberAt(comp, "utilization"),
    );
    add(`hitRatio:${name}`, `hit ratio ${name}`, "%", "higher", numberAt(comp, "hitRatio"));
    add(`lagMsPeak:${name}`, `peak lag ${name}`, "ms", "lower", seriesPeak(comp.series, /^lagMs:/));
    add(`lagMessagesPeak:${name}`, `peak lag ${name}`, "count", "lower", seriesPeak(comp.series, /^lag$/));
  }
  if (r.consistency) {
    add("staleReads", "stale reads", "count", "lower", r.consistency.staleReads);
    add("staleRate", "stale-read rate", "%", "lower", r.consistency.staleRate);
  }
  // the cost section is there when the design prices a component (the instance
  // catalogue); read structurally so this module does not depend on its type
  const cost = (r as unknown as { cost?: CostLike }).cost;
  if (cost && typeof cost === "object") {
    add("cost", "cost $/month", "$", "lower", cost.total?.monthly);
    for (const c of cost.components ?? [])
      add(`cost:${c.component}`, `  cost ${c.component}`, "$", "lower", c.monthly);
  }
  return out;
}

/** Printing a value in its unit, for tables. */
export function formatValue(unit: MetricInfo["unit"], v: number): string {
  if (!Number.isFinite(v)) return "-";
  switch (unit) {
    case "%":
      return `${fixed(v * 100)}%`;
    case "ms":
      return `${fixed(v)}ms`;
    case "/s":
      return `${fixed(v)}/s`;
    case "$":
      return `$${v.toFixed(2)}`;
    default:
      return fixed(v);
  }
}

/** Three significant digits, never exponent notation. */
function fixed(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (Number.isInteger(v) && a < 1e9) return String(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(a)));
  return v.toFixed(digits);
}
