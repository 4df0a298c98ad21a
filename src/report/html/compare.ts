// Several runs on one page: their headline numbers side by side and their time
// series overlaid, one colour per run. The building block for `archsim compare
// --html` and for sweeps (see `overlayChart`).
import type { Report } from "../json.js";
import { type ChartBand, type ChartSpec, joinSeries, paletteColor, type ValueFormat } from "./chart-spec.js";
import { costView } from "./cost.js";
import { esc } from "./escape.js";
import { count, dollars, ms, num, pct } from "./format.js";
import { ChartSet, htmlPage } from "./page.js";
import { faultBands, latencyCharts, latencyGaps } from "./report-charts.js";

export interface LabelledRun {
  label: string;
  report: Report;
}

/**
 * One line per run of whatever `pick` takes from its report (null: the run has
 * none), on the union of the runs' x values. Null when no run has the line.
 */
export function overlayChart(
  runs: LabelledRun[],
  title: string,
  pick: (r: Report) => { x: number[]; y: (number | null)[] } | null,
  o: {
    yFormat?: ValueFormat;
    yMax?: number;
    note?: string;
    xLabel?: string;
    xFormat?: ValueFormat;
    bands?: ChartBand[];
  } = {},
): ChartSpec | null {
  const lines = runs.flatMap((run, i) => {
    const xy = pick(run.report);
    return xy ? [{ label: run.label, ...xy, color: paletteColor(i) }] : [];
  });
  if (lines.length === 0) return null;
  const { x, series } = joinSeries(lines);
  return {
    title,
    note: o.note,
    x,
    xLabel: o.xLabel ?? "time (s)",
    xFormat: o.xFormat ?? "seconds",
    yFormat: o.yFormat,
    yMax: o.yMax,
    series,
    bands: o.bands,
  };
}

/** Fault windows of every run, once each (runs of one design usually share them). */
function sharedBands(runs: LabelledRun[]): ChartBand[] {
  const seen = new Map<string, ChartBand>();
  for (const run of runs) for (const b of faultBands(run.report)) seen.set(`${b.from}/${b.to}/${b.label}`, b);
  return [...seen.values()];
}

interface Metric {
  label: string;
  value: (r: Report) => number | null;
  show: (v: number) => string;
  /** which way is better */
  better: "lower" | "higher";
}

const METRICS: Metric[] = [
  { label: "Throughput", value: (r) => r.throughputPerSec, show: (v) => `${num(v)}/s`, better: "higher" },
  { label: "p50", value: (r) => r.latencyMs.p50, show: ms, better: "lower" },
  { label: "p95", value: (r) => r.latencyMs.p95, show: ms, better: "lower" },
  { label: "p99", value: (r) => r.latencyMs.p99, show: ms, better: "lower" },
  { label: "Error rate", value: (r) => 1 - r.availability, show: (v) => pct(v), better: "lower" },
  {
    label: "SLOs passed",
    value: (r) => (r.slo.length ? r.slo.filter((s) => s.pass).length : null),
    show: (v) => count(v),
    better: "higher",
  },
  { label: "Cost / month", value: (r) => costView(r)?.total.monthly ?? null, show: dollars, better: "lower" },
];

/** The side-by-side table: a row per metric, a column per run, the best value marked. */
export function comparisonTable(runs: LabelledRun[]): string {
  const head = runs
    .map((r, i) => `<th class="n" style="color:${paletteColor(i)}">${esc(r.label)}</th>`)
    .join("");
  const rows = METRICS.map((m) => {
    const vals = runs.map((r) => m.value(r.report));
    const present = vals.filter((v): v is number => v !== null && Number.isFinite(v));
    if (present.length === 0) return "";
    const best = m.better === "lower" ? Math.min(...present) : Math.max(...present);
    const distinct = new Set(present).size > 1;
    const cells = vals
      .map((v) =>
        v === null
          ? `<td class="n muted">–</td>`
          : `<td class="n${distinct && v === best ? " better" : ""}">${esc(m.show(v))}</td>`,
      )
      .join("");
    return `<tr><td>${esc(m.label)} <span class="muted">(${m.better} is better)</span></td>${cells}</tr>`;
  }).join("\n");
  return `<table><thead><tr><th>Metric</th>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * The charts a comparison shows, one colour per run: throughput, p50, p99 and
 * errors over time, each shared component's utilisation, the fault windows the
 * runs share, and the latency distributions.
 */
export function comparisonCharts(runs: LabelledRun[]): {
  bands: ChartBand[];
  overTime: ChartSpec[];
  distributions: ChartSpec[];
} {
  const bands = sharedBands(runs);
  const t = (r: Report) => r.series.t ?? [];
  const top = (key: string) => (r: Report) => (r.series[key] ? { x: t(r), y: r.series[key] } : null);
  const latency = (key: string) => (r: Report) =>
    r.series[key] ? { x: t(r), y: latencyGaps(r.series[key], r.series.throughput) } : null;
  const specs: (ChartSpec | null)[] = [
    overlayChart(runs, "Throughput", top("throughput"), { yFormat: "rate", bands }),
    overlayChart(runs, "p50 latency", latency("p50"), { yFormat: "ms", bands }),
    overlayChart(runs, "p99 latency", latency("p99"), { yFormat: "ms", bands }),
    overlayChart(runs, "Errors", top("errors"), { yFormat: "rate", bands }),
  ];
  // utilisation of each component the runs share a name for
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.report.components)))];
  for (const name of names) {
    const util = (r: Report) => {
      const s = (r.components[name] as { series?: Record<string, number[]> } | undefined)?.series
        ?.utilization;
      return s ? { x: t(r), y: s } : null;
    };
    specs.push(overlayChart(runs, `${name} utilisation`, util, { yFormat: "percent", yMax: 1, bands }));
  }
  const distributions = latencyCharts(
    runs.map((r) => ({ label: r.label, ...r.report.latencyHistogram })),
    { fillFirst: false },
  ).map((c) => ({ ...c, series: c.series.map((s, i) => ({ ...s, color: paletteColor(i) })) }));
  return { bands, overTime: specs.filter((c): c is ChartSpec => c !== null), distributions };
}

/** The comparison page of several runs (of one design or of alternatives). */
export function renderComparisonHtml(runs: LabelledRun[], o: { title?: string } = {}): string {
  const charts = new ChartSet();
  const { bands, overTime, distributions: dists } = comparisonCharts(runs);
  const title = o.title ?? `Comparison: ${runs.map((r) => r.label).join(" vs ")}`;
  const body = `<main>
<header class="top"><h1>${esc(title)}</h1><div class="meta">${runs
    .map((r) => `<span>${esc(r.label)}: ${esc(r.report.design)}, seed ${r.report.seed}</span>`)
    .join("")}</div></header>
<div class="card">${comparisonTable(runs)}</div>
<h2>Over time <small>one colour per run${bands.length ? "; shaded: faults in force" : ""}</small></h2>
<div class="grid">${overTime.map((c) => charts.add(c)).join("\n")}</div>
${dists.length ? `<h2>Latency distribution</h2>\n<div class="grid">${dists.map((c) => charts.add(c, 240)).join("\n")}</div>` : ""}
<footer>Generated by archsim.</footer>
</main>`;
  return htmlPage({ title, body, charts });
}
