// HTML output: pure functions from JSON reports to one self-contained HTML file
// (inline CSS, uPlot and data; nothing fetched when opened). Usable from the
// CLI, tests and the studio alike.
//
//   renderReportHtml(report, design?)          one run (`archsim run --html`)
//   renderComparisonHtml([{ label, report }])  several runs overlaid
//
// Building a page of your own (e.g. a sweep: a metric against a parameter):
//
//   const charts = new ChartSet();
//   const { x, series } = joinSeries(points.map((p) => ({ label: p.name, x: p.values, y: p.p99 })));
//   const card = charts.add({ title: "p99 vs instances", x, series, xLabel: "instances",
//                             xFormat: "number", yFormat: "ms" });
//   const html = htmlPage({ title: "sweep", body: `<main><div class="grid">${card}</div></main>`, charts });
//
// A ChartSpec is plain data (see chart-spec.ts): x values, lines (with an
// optional `range` band, e.g. a 95% CI), shaded `bands` (fault windows), value
// formats, log axes, a `step` style for histograms. `overlayChart` draws one
// line per run; `timeChart` and `faultBands` build charts over a run's seconds;
// `latencyCharts` builds a histogram and a CDF from `latencyHistogram`s.
export {
  type ChartBand,
  type ChartSeries,
  type ChartSpec,
  joinSeries,
  PALETTE,
  paletteColor,
  type ValueFormat,
} from "./chart-spec.js";
export {
  comparisonCharts,
  comparisonTable,
  type LabelledRun,
  overlayChart,
  renderComparisonHtml,
} from "./compare.js";
export { esc } from "./escape.js";
export { designEdges, renderGraphSvg } from "./graph.js";
export { ChartSet, htmlPage, type PageParts } from "./page.js";
export { faultBands, latencyCharts, reportTimeCharts, timeChart } from "./report-charts.js";
export { headline, renderReportHtml, sloTable } from "./report.js";
