// The HTML report builder: one self-contained page holding the run's data,
// nothing fetched from anywhere, and charts and graph built from the report.
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadDesign } from "../src/design/load.js";
import { LatencyRecorder } from "../src/metrics/latency.js";
import type { ChartSpec } from "../src/report/html/index.js";
import {
  designEdges,
  joinSeries,
  latencyCharts,
  renderComparisonHtml,
  renderReportHtml,
} from "../src/report/html/index.js";
import type { Report } from "../src/report/json.js";
import { runDesign } from "../src/run.js";

const file = "examples/hello.yaml";
// api[1] dies at 2 s for 3 s of a 10 s run
const loaded = loadDesign(readFileSync(file, "utf8"), file, [
  "duration=10s",
  "faults.0.at=2s",
  "faults.0.for=3s",
]);
const report = runDesign(loaded);
const html = renderReportHtml(report, loaded.design);

function scriptData(page: string, id: string): unknown {
  const m = page.match(new RegExp(`<script type="application/json" id="${id}"[^>]*>([^]*?)</script>`));
  expect(m, `#${id} in the page`).not.toBeNull();
  return JSON.parse(m![1]);
}
const chartsOf = (page: string) => scriptData(page, "archsim-charts") as ChartSpec[];

/** Every absolute URL in the page, less the inert ones (XML namespaces, uPlot's licence banner comment). */
function externalUrls(page: string): string[] {
  return [...page.matchAll(/https?:\/\/[^\s"'<>)]*/g)]
    .map((m) => m[0])
    .filter((u) => !u.startsWith("http://www.w3.org/") && u !== "https://github.com/leeoniya/uPlot");
}

describe("renderReportHtml", () => {
  it("is one page with its styles, uPlot and the drawing script inline, and fetches nothing", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(externalUrls(html)).toEqual([]);
    expect(html).not.toMatch(/<script[^>]*\bsrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(\s*["']?(https?:)?\/\//i);
    expect(html).toMatch(/var uPlot=/);
    expect(html).toMatch(/\.uplot/);
  });

  it("embeds the report itself, unchanged", () => {
    expect(scriptData(html, "archsim-report")).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it("shows the headline numbers and every SLO with its verdict", () => {
    expect(html).toContain(report.requests.total.toLocaleString("en-US"));
    for (const s of report.slo)
      expect(html).toContain(s.assertion.replace(/</g, "&lt;").replace(/>/g, "&gt;"));
    const verdicts = [...html.matchAll(/<span class="pill (pass|fail)">/g)].map((m) => m[1] === "pass");
    expect(verdicts).toEqual(report.slo.map((s) => s.pass));
  });

  it("charts the series of the report over its seconds, with the fault window shaded on every time chart", () => {
    const charts = chartsOf(html);
    const byTitle = new Map(charts.map((c) => [c.title, c]));
    const tput = byTitle.get("Throughput")!;
    expect(tput.x).toEqual(report.series.t);
    expect(tput.series[0].values).toEqual(report.series.throughput);
    expect(byTitle.get("Latency")!.series.map((s) => s.label)).toEqual(["p50", "p95", "p99"]);
    expect(byTitle.get("Errors by cause")!.series.map((s) => s.label)).toEqual(
      Object.keys(report.series)
        .filter((k) => k.startsWith("errors:"))
        .map((k) => k.slice(7)),
    );
    const util = byTitle.get("Utilisation")!;
    const utilized = Object.entries(report.components).filter(
      ([, c]) => (c as { series?: Record<string, number[]> }).series?.utilization !== undefined,
    );
    expect(util.series.map((s) => s.label)).toEqual(utilized.map(([n]) => n));
    expect(byTitle.get("Cache hit ratio")!.series[0].values).toEqual(
      (report.components.redis as unknown as { series: { hitRatio: number[] } }).series.hitRatio,
    );
    const timeCharts = charts.filter((c) => c.xLabel === "time (s)");
    expect(timeCharts.length).toBeGreaterThanOrEqual(6);
    for (const c of timeCharts) expect(c.bands).toEqual([{ from: 2, to: 5, label: "kill api[1]" }]);
    // one card per chart, pointing at its spec
    expect([...html.matchAll(/data-chart="(\d+)"/g)].map((m) => Number(m[1]))).toEqual(
      charts.map((_, i) => i),
    );
  });

  it("leaves a gap in the latency lines, not a fall to 0, in a second without a successful request", () => {
    const throughput = report.series.throughput.map((v, i) => (i === 3 ? 0 : v));
    const page = renderReportHtml({ ...report, series: { ...report.series, throughput } }, loaded.design);
    const lat = chartsOf(page).find((c) => c.title === "Latency")!;
    for (const s of lat.series) {
      expect(s.values[3]).toBeNull();
      expect(s.values.filter((v) => v === null)).toHaveLength(1);
    }
  });

  it("draws the latency histogram and CDF from the report's buckets, overall and per route", () => {
    const charts = chartsOf(html);
    const hist = charts.find((c) => c.title === "Latency histogram")!;
    const cdf = charts.find((c) => c.title === "Latency CDF")!;
    expect(hist.series.map((s) => s.label)).toEqual(["all routes", ...Object.keys(report.routes)]);
    for (const s of hist.series) {
      const total = s.values.reduce<number>((a, v) => a + (v ?? 0), 0);
      expect(total).toBeCloseTo(1, 9);
    }
    for (const s of cdf.series) {
      const v = s.values.filter((x): x is number => x !== null);
      for (let i = 1; i < v.length; i++) expect(v[i]).toBeGreaterThanOrEqual(v[i - 1]);
      expect(v[0]).toBe(0);
      expect(v[v.length - 1]).toBe(1);
    }
    // the CDF at an edge is the share of requests below it, taken from the buckets
    const h = report.latencyHistogram;
    const k = Math.floor(h.edgesMs.length / 2);
    const below = h.counts.slice(0, k).reduce((a, n) => a + n, 0) / report.requests.ok;
    expect(cdf.series[0].values[cdf.x.indexOf(h.edgesMs[k])]).toBeCloseTo(below, 12);
  });

  it("draws every component as a node, the calls as arrows, and marks the faulted one", () => {
    for (const name of Object.keys(loaded.design.components)) expect(html).toContain(`data-name="${name}"`);
    for (const [a, b] of [
      ["users", "lb"],
      ["lb", "api"],
      ["api", "redis"],
      ["api", "db"],
    ])
      expect(html).toContain(`<title>${a} → ${b}</title>`);
    expect(html).toMatch(/class="node faulted" data-name="api"/);
    expect(html).not.toMatch(/class="node faulted" data-name="(users|lb|redis|db)"/);
  });

  it("escapes names, so nothing in a report can end a script or inject markup", () => {
    const evil = { ...report, design: `</script><script>alert(1)</script>` } as Report;
    const page = renderReportHtml(evil, loaded.design);
    expect(page).not.toContain("<script>alert(1)");
    expect((scriptData(page, "archsim-report") as Report).design).toBe(evil.design);
  });

  it("shows a cost section when the report has one, with a row per component and the total", () => {
    const cost = {
      currency: "USD",
      prices: "test prices",
      components: [
        {
          component: "api",
          kind: "service",
          instanceType: "m5.large",
          instances: 3,
          hourly: 0.288,
          monthly: 210.24,
        },
        {
          component: "db",
          kind: "database",
          instanceType: "db.r5.large",
          instances: 1,
          hourly: 0.25,
          monthly: 182.5,
        },
      ],
      unpriced: ["redis"],
      total: { hourly: 0.538, monthly: 392.74 },
    };
    const page = renderReportHtml({ ...report, cost } as Report, loaded.design);
    expect(page).toMatch(/<h2>Cost/);
    for (const v of ["$210.24", "$182.50", "$392.74", "m5.large", "db.r5.large"]) expect(page).toContain(v);
    expect(page).toMatch(/Not priced.*<code>redis<\/code>/);
    expect(html).not.toMatch(/<h2>Cost/);
  });
});

describe("the graph's edges", () => {
  it("follow requests to what a component names, and messages from a topic to its consumers", () => {
    const design = {
      components: {
        web: { kind: "service", routes: { "POST /o": [{ publish: "orders" }] } },
        orders: { kind: "topic" },
        billing: { kind: "consumer", topic: "orders", steps: [{ write: "ledger" }] },
        ledger: { kind: "database" },
      },
    } as unknown as Parameters<typeof designEdges>[0];
    expect(designEdges(design)).toEqual([
      { from: "web", to: "orders" },
      { from: "orders", to: "billing" },
      { from: "billing", to: "ledger" },
    ]);
  });
});

describe("renderComparisonHtml", () => {
  const other = runDesign(loaded, { seed: 7 });
  const page = renderComparisonHtml([
    { label: "seed 42", report },
    { label: "seed 7", report: other },
  ]);

  it("overlays each run's series, one line per run, and marks the better value", () => {
    const charts = chartsOf(page);
    const tput = charts.find((c) => c.title === "Throughput")!;
    expect(tput.series.map((s) => s.label)).toEqual(["seed 42", "seed 7"]);
    expect(tput.series[0].values).toEqual(report.series.throughput);
    expect(tput.series[1].values).toEqual(other.series.throughput);
    expect(charts.find((c) => c.title === "api utilisation")!.series).toHaveLength(2);
    expect(page).toMatch(/class="n better"/);
    expect(externalUrls(page)).toEqual([]);
  });
});

describe("joinSeries", () => {
  it("puts lines measured at different x on one axis, with gaps where a line has no value", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { maxLength: 12 }), {
          minLength: 1,
          maxLength: 4,
        }),
        (xs) => {
          const lines = xs.map((x, i) => ({ label: `l${i}`, x, y: x.map((v) => v * 10 + i) }));
          const { x, series } = joinSeries(lines);
          expect(x).toEqual([...new Set(xs.flat())].sort((a, b) => a - b));
          series.forEach((s, i) =>
            x.forEach((v, j) => expect(s.values[j]).toBe(xs[i].includes(v) ? v * 10 + i : null)),
          );
        },
      ),
    );
  });
});

describe("latencyHistogram", () => {
  it("puts each value in the bucket whose edges bracket it, and counts every value", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.002, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (vals) => {
          const rec = new LatencyRecorder();
          for (const v of vals) rec.record(v);
          const h = rec.histogram();
          expect(h.edgesMs).toHaveLength(h.counts.length + 1);
          expect(h.counts.reduce((a, n) => a + n, 0)).toBe(vals.length);
          expect(h.counts[0]).toBeGreaterThan(0);
          expect(h.counts[h.counts.length - 1]).toBeGreaterThan(0);
          // ten buckets a decade: each edge is 10^(1/10) times the one before, to three digits
          for (let i = 1; i < h.edgesMs.length; i++)
            expect(h.edgesMs[i] / h.edgesMs[i - 1]).toBeCloseTo(10 ** 0.1, 1);
          // a single value: its bucket brackets it, up to the histogram's 3 significant digits (and 1 us rounding)
          const one = new LatencyRecorder();
          one.record(vals[0]);
          const b = one.histogram();
          expect(b.counts).toEqual([1]);
          const us = Math.round(vals[0] * 1000) / 1000;
          expect(b.edgesMs[0]).toBeLessThanOrEqual(us * 1.001);
          expect(b.edgesMs[1]).toBeGreaterThan(us * 0.999);
        },
      ),
    );
  });

  it("adds up to the successful requests, overall and per route", () => {
    const sum = (h: { counts: number[] }) => h.counts.reduce((a, n) => a + n, 0);
    expect(sum(report.latencyHistogram)).toBe(report.requests.ok);
    for (const r of Object.values(report.routes)) expect(sum(r.latencyHistogram)).toBe(r.requests.ok);
  });

  it("gives no charts for runs without a successful request", () => {
    expect(latencyCharts([{ label: "none", edgesMs: [], counts: [] }])).toEqual([]);
  });
});

describe("archsim run --html", () => {
  it("says so, with exit status 2, when the page cannot be written", () => {
    const r = spawnSync(
      process.execPath,
      [
        "bin/archsim.js",
        "run",
        "examples/theory/mm1.yaml",
        "--duration",
        "1s",
        "--html",
        "no-such-dir/r.html",
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^archsim: cannot write no-such-dir\/r\.html: .*ENOENT/m);
    expect(r.stderr).not.toMatch(/^\s+at\s/m);
  });
});
