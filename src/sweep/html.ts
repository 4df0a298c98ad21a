// archsim sweep --html: each metric plotted against the first parameter, one
// line per combination of the others, its 95% confidence interval shaded,
// knees noted; then the table of every point. Drawn with the HTML report's
// chart module.
import { type ChartSpec, paletteColor, type ValueFormat } from "../report/html/chart-spec.js";
import { esc } from "../report/html/escape.js";
import { ChartSet, htmlPage } from "../report/html/index.js";
import { formatValue, type MetricInfo } from "../report/headline.js";
import { renderKnee, type SweepResult } from "./summary.js";

const FORMAT: Record<MetricInfo["unit"], ValueFormat> = {
  ms: "ms",
  "/s": "rate",
  "%": "percent",
  $: "dollars",
  count: "number",
};

/**
 * The x axis for a parameter's values: numbers when they all are (with one
 * unit suffix, which goes into the axis label), else their positions 1, 2, …
 */
export function parameterAxis(values: string[]): { x: number[]; unit: string; categorical: boolean } {
  const parts = values.map((v) => /^([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(.*)$/i.exec(v.trim()));
  const unit = parts[0]?.[2] ?? "";
  if (parts.every((p) => p && p[2] === unit)) {
    const x = parts.map((p) => Number(p![1]));
    if (new Set(x).size === x.length) return { x, unit, categorical: false };
  }
  return { x: values.map((_, i) => i + 1), unit: "", categorical: true };
}

/** The metrics worth a chart: all but the per-cause and per-component breakdowns of errors and cost. */
function charted(r: SweepResult): MetricInfo[] {
  return r.metrics.filter((m) => !m.key.startsWith("errorRate:") && !m.key.startsWith("cost:"));
}

export function renderSweepHtml(r: SweepResult, columns: string[]): string {
  const charts = new ChartSet();
  const along = r.parameters[0];
  const others = r.parameters.slice(1);
  const axis = parameterAxis(along.values);
  const xOf = new Map(along.values.map((v, i) => [v, axis.x[i]]));
  const lineKey = (params: Record<string, string>) =>
    others.map((p) => `${p.path}=${params[p.path]}`).join(", ");
  const lines = [...new Set(r.points.map((p) => lineKey(p.params)))];
  const specs: ChartSpec[] = charted(r).map((m) => {
    const series = lines.map((line, i) => {
      const pts = r.points.filter((p) => lineKey(p.params) === line);
      const values = axis.x.map((x) => {
        const p = pts.find((q) => xOf.get(q.params[along.path]) === x);
        return p?.metrics[m.key]?.mean ?? null;
      });
      const withCi = pts.some((p) => p.metrics[m.key]?.ci95 != null);
      const around = (sign: number) =>
        axis.x.map((x) => {
          const e = pts.find((q) => xOf.get(q.params[along.path]) === x)?.metrics[m.key];
          return e && e.ci95 !== null ? e.mean + sign * e.ci95 : null;
        });
      return {
        label: line || r.design,
        values,
        color: paletteColor(i),
        ...(withCi ? { range: { lo: around(-1), hi: around(1) } } : {}),
      };
    });
    const knees = r.knees.filter((k) => k.metric === m.key).map((k) => renderKnee(k, m.unit));
    return {
      title: `${m.label.trim()} vs ${along.path}`,
      note: knees.length ? `knee: ${knees.join("; ")}` : undefined,
      x: axis.x,
      xLabel: axis.categorical
        ? `${along.path}: ${along.values.map((v, i) => `${i + 1} = ${v}`).join(", ")}`
        : `${along.path}${axis.unit ? ` (${axis.unit})` : ""}`,
      xFormat: "number",
      yFormat: FORMAT[m.unit],
      yMax: m.unit === "%" && m.key !== "errorRate" && m.key !== "staleRate" ? 1 : undefined,
      style: axis.categorical ? "points" : "line",
      series,
    };
  });
  const infos = new Map(r.metrics.map((m) => [m.key, m]));
  const cols = columns.filter((c) => infos.has(c));
  const head = [...r.parameters.map((p) => esc(p.path)), ...cols.map((c) => esc(infos.get(c)!.label.trim()))]
    .map((h) => `<th class="n">${h}</th>`)
    .join("");
  const rows = r.points
    .map((p) => {
      const cells = [
        ...r.parameters.map((q) => esc(p.params[q.path])),
        ...cols.map((c) => {
          const e = p.metrics[c];
          if (!e) return "–";
          const u = infos.get(c)!.unit;
          return esc(
            e.ci95 === null ? formatValue(u, e.mean) : `${formatValue(u, e.mean)} ±${formatValue(u, e.ci95)}`,
          );
        }),
      ];
      return `<tr>${cells.map((x) => `<td class="n">${x}</td>`).join("")}</tr>`;
    })
    .join("\n");
  const seeds =
    r.seeds.length === 1
      ? `seed ${r.seeds[0]}`
      : `seeds ${r.seeds[0]}–${r.seeds[r.seeds.length - 1]}; shaded: 95% confidence interval of the mean`;
  const title = `Sweep of ${r.design}`;
  const body = `<main>
<header class="top"><h1>${esc(title)}</h1><div class="meta"><span>${r.points.length} of ${r.gridPoints} points</span><span>${esc(seeds)}</span>${r.complete ? "" : "<span>interrupted</span>"}</div></header>
<h2>Metrics against ${esc(along.path)}${others.length ? ` <small>one line per ${esc(others.map((p) => p.path).join(", "))}</small>` : ""}</h2>
<div class="grid">${specs.map((s) => charts.add(s)).join("\n")}</div>
<h2>Every point</h2>
<div class="card"><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>
<footer>Generated by archsim sweep.</footer>
</main>`;
  return htmlPage({ title, body, charts });
}
