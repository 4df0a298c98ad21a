// The page shell shared by every HTML output: one self-contained file with the
// stylesheet, uPlot, the chart specs as JSON and the script that draws them.
// Nothing is fetched when the page is opened.
import { type ChartSpec, PALETTE } from "./chart-spec.js";
import { drawCharts } from "./charts-runtime.js";
import { esc, scriptJson } from "./escape.js";
import { STYLE } from "./style.js";
import { UPLOT_CSS, UPLOT_JS } from "./uplot-assets.js";

/** Collects the charts of a page; `add` returns the HTML of the chart's card. */
export class ChartSet {
  readonly specs: ChartSpec[] = [];

  add(spec: ChartSpec, height = 220): string {
    const i = this.specs.push(spec) - 1;
    const note = spec.note ? `<p class="note">${esc(spec.note)}</p>` : "";
    const faults = spec.bands?.length ? `<span class="fault-key" title="faults in force">faults</span>` : "";
    return `<figure class="card chart${spec.wide ? " wide" : ""}">
<figcaption><h3>${esc(spec.title)}</h3>${faults}</figcaption>${note}
<div class="plot" data-chart="${i}" data-height="${height}" style="min-height:${height + 34}px"></div>
</figure>`;
  }
}

export interface PageParts {
  title: string;
  /** HTML of the page's body (sections, cards, tables, chart cards from `charts`) */
  body: string;
  charts: ChartSet;
  /** extra data to embed (e.g. the report itself), as <script type="application/json" id="archsim-report"> */
  embed?: unknown;
}

export function htmlPage(p: PageParts): string {
  const embedded =
    p.embed === undefined
      ? ""
      : `<script type="application/json" id="archsim-report">${scriptJson(p.embed)}</script>\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="archsim">
<title>${esc(p.title)}</title>
<style>${UPLOT_CSS}</style>
<style>${STYLE}</style>
</head>
<body>
${p.body}
<script type="application/json" id="archsim-charts" data-palette="${esc(JSON.stringify(PALETTE))}">${scriptJson(p.charts.specs)}</script>
${embedded}<script>${UPLOT_JS}</script>
<script>(${drawCharts.toString()})();</script>
</body>
</html>
`;
}
