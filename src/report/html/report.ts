// One run's report as a self-contained HTML page: headline numbers, the design
// as a graph, time series with fault windows, latency distributions, SLOs,
// cost, routes and components.
import type { Design } from "../../design/schema.js";
import type { Report } from "../json.js";
import { costTable, costView } from "./cost.js";
import { esc } from "./escape.js";
import { count, dollars, ms, num, pct, seconds } from "./format.js";
import { designEdges, graphNodes, peakUtilization, renderGraphSvg, utilizationGradient } from "./graph.js";
import { ChartSet, htmlPage } from "./page.js";
import { latencyCharts, reportDists, reportTimeCharts } from "./report-charts.js";

function kpi(label: string, value: string, sub = "", tone: "" | "good" | "bad" = ""): string {
  return `<div class="card kpi${tone ? ` ${tone}` : ""}"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div>${
    sub ? `<div class="sub">${esc(sub)}</div>` : ""
  }</div>`;
}

export function headline(r: Report): string {
  const errorRate = 1 - r.availability;
  const passed = r.slo.filter((s) => s.pass).length;
  const cost = costView(r);
  const cards = [
    kpi(
      "Requests",
      count(r.requests.total),
      `${count(r.requests.ok)} ok · ${count(r.requests.failed)} failed`,
    ),
    kpi("Throughput", `${num(r.throughputPerSec)}/s`, "successful requests"),
    kpi("p50", ms(r.latencyMs.p50), `mean ${ms(r.latencyMs.mean)}`),
    kpi("p95", ms(r.latencyMs.p95)),
    kpi("p99", ms(r.latencyMs.p99), `max ${ms(r.latencyMs.max)}`),
    kpi(
      "Error rate",
      pct(errorRate),
      `availability ${pct(r.availability, 4)}`,
      errorRate > 0.01 ? "bad" : "",
    ),
  ];
  if (r.slo.length)
    cards.push(
      kpi(
        "SLOs",
        `${passed} / ${r.slo.length} pass`,
        passed === r.slo.length ? "all met" : `${r.slo.length - passed} failed`,
        passed === r.slo.length ? "good" : "bad",
      ),
    );
  if (cost) cards.push(kpi("Cost", `${dollars(cost.total.monthly)}`, "per month"));
  return `<section class="kpis">${cards.join("\n")}</section>`;
}

export function sloTable(r: Report): string {
  if (r.slo.length === 0) return `<p class="muted">The design states no SLOs.</p>`;
  const value = (a: string, v: number) =>
    v === null || !Number.isFinite(v)
      ? "not measured"
      : /availability|errorRate/.test(a)
        ? pct(v, 4)
        : /throughput/.test(a)
          ? `${num(v)}/s`
          : ms(v);
  const rows = r.slo
    .map(
      (s) =>
        `<tr><td><span class="pill ${s.pass ? "pass" : "fail"}">${s.pass ? "PASS" : "FAIL"}</span></td><td><code>${esc(s.assertion)}</code></td><td class="n">${esc(
          value(s.assertion, s.actual),
        )}</td></tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>Verdict</th><th>Target</th><th class="n">Actual</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function routesTable(r: Report): string {
  const rows = Object.entries(r.routes)
    .map(
      ([name, x]) =>
        `<tr><td><code>${esc(name)}</code></td><td class="n">${count(x.requests.total)}</td><td class="n">${num(x.throughputPerSec)}/s</td><td class="n">${ms(
          x.latencyMs.p50,
        )}</td><td class="n">${ms(x.latencyMs.p95)}</td><td class="n">${ms(x.latencyMs.p99)}</td><td class="n">${pct(1 - x.availability)}</td></tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>Route</th><th class="n">Requests</th><th class="n">Throughput</th><th class="n">p50</th><th class="n">p95</th><th class="n">p99</th><th class="n">Errors</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function componentsTable(r: Report): string {
  const rows = Object.entries(r.components)
    .map(([name, c]) => {
      const x = c as {
        kind: string;
        instances?: number;
        utilization?: number;
        maxQueueLength?: number;
        arrivals?: number;
        series?: Record<string, number[]>;
      };
      const peak = peakUtilization(x);
      return `<tr><td>${esc(name)}</td><td class="muted">${esc(x.kind)}</td><td class="n">${x.instances ?? ""}</td><td class="n">${
        typeof x.utilization === "number" ? pct(x.utilization, 2) : ""
      }</td><td class="n">${peak === null ? "" : pct(peak, 2)}</td><td class="n">${x.maxQueueLength ?? ""}</td><td class="n">${
        typeof x.arrivals === "number" ? count(x.arrivals) : ""
      }</td></tr>`;
    })
    .join("\n");
  return `<table><thead><tr><th>Component</th><th>Kind</th><th class="n">Instances</th><th class="n">Mean util.</th><th class="n">Peak util.</th><th class="n">Max queue</th><th class="n">Arrivals</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function faultsList(r: Report): string {
  if (r.faults.length === 0) return `<p class="muted">No faults were injected.</p>`;
  const rows = r.faults
    .map(
      (f) =>
        `<tr><td>${esc(f.description)}</td><td class="n">${seconds(f.startMs)}</td><td class="n">${f.endMs === null ? "end" : seconds(f.endMs)}</td></tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>Fault</th><th class="n">From</th><th class="n">To</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * The HTML report of one run. `design` (the validated design the report came
 * from) is only needed for the graph's arrows; without it the graph shows the
 * report's components unconnected.
 */
export function renderReportHtml(report: Report, design?: Pick<Design, "components">): string {
  const r = report;
  const charts = new ChartSet();
  const faulted = new Set(r.faults.flatMap((f) => f.targets ?? []));
  const graph = renderGraphSvg(graphNodes(r, design), design ? designEdges(design) : [], faulted);
  const times = reportTimeCharts(r);
  const dists = latencyCharts(reportDists(r));
  const cost = costView(r);
  const stopped = r.engine.stoppedBy ? `<span>stopped early by its ${esc(r.engine.stoppedBy)}</span>` : "";
  const body = `<main>
<header class="top"><h1>${esc(r.design)}</h1><div class="meta"><span>seed ${r.seed}</span><span>${seconds(r.engine.simulatedMs)} simulated</span><span>${count(
    r.engine.events,
  )} events</span><span>archsim ${esc(r.archsim.version)}</span>${stopped}</div></header>
${headline(r)}
<h2>Design <small>boxes coloured by peak utilisation; dashed red border: a fault acts on it</small></h2>
<div class="two"><div class="card graph">${graph}<div class="scale"><span>0%</span><span class="bar" style="background:${utilizationGradient()}"></span><span>100% peak utilisation</span><span class="muted">· grey: not a sized component</span></div></div>
<div class="card"><h3>Faults</h3>${faultsList(r)}</div></div>
<h2>Over time <small>per simulated second${r.faults.length ? "; shaded: faults in force" : ""}</small></h2>
<div class="grid">${times.map((c) => charts.add(c)).join("\n")}</div>
${dists.length ? `<h2>Latency distribution <small>successful requests${Object.keys(r.routes).length > 1 ? ", overall and per route" : ""}</small></h2>\n<div class="grid">${dists.map((c) => charts.add(c, 240)).join("\n")}</div>` : ""}
<h2>SLOs</h2>
<div class="card">${sloTable(r)}</div>
${cost ? `<h2>Cost <small>per month, from the run's usage</small></h2>\n<div class="card">${costTable(cost)}</div>` : ""}
<h2>Routes</h2>
<div class="card">${routesTable(r)}</div>
<h2>Components</h2>
<div class="card">${componentsTable(r)}</div>
<footer>Generated by archsim ${esc(r.archsim.version)} (report format ${r.archsim.report}). Same design and seed, same report. The JSON report is embedded in this file (<code>#archsim-report</code>).</footer>
</main>`;
  return htmlPage({ title: `${r.design} · archsim report`, body, charts, embed: r });
}
