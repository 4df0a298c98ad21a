// Numbers in prose that cannot drift: a Markdown document names the runs it
// talks about and marks every number it quotes with the report value it came
// from; filling the document re-derives each number from fresh reports.
//
//   <!-- runs
//   naive: examples/cases/url-shortener/naive.yaml
//   cached: examples/cases/url-shortener/cached.yaml --seed 2 --set components.api.instances=4
//   -->
//   p99 falls from <!--v naive:latencyMs.p99 ms-->310 ms<!--/v--> to
//   <!--v cached:latencyMs.p99 ms-->12 ms<!--/v--> (<!--v naive:latencyMs.p99/cached:latencyMs.p99 x-->26x<!--/v-->).
//
// A value is `run:path` or the ratio `run:path/run:path`; a path is dotted
// with ["quoted"] keys for names holding dots or spaces, and `path[a:b]` is
// the mean of elements a..b-1 of an array (series.p99[5:20]: seconds 6 to 20).
// The comments are invisible when the Markdown is rendered; only the text
// between them changes.
//
// A chart of per-second series is drawn as an SVG file beside the document:
//
//   <!--chart img/latency.svg
//   title: Latency as the traffic ramps up
//   y: ms
//   series: one:series.p99 p99, one:series.p50 median
//   -->![Latency as the traffic ramps up](img/latency.svg)<!--/chart-->

import { type SvgSeries, svgLineChart } from "./svg-chart.js";

export interface RunSpec {
  name: string;
  file: string;
  seed?: number;
  sets: string[];
}

export type Format = "ms" | "s" | "pct" | "count" | "rate" | "x" | "num";
export const FORMATS: readonly Format[] = ["ms", "s", "pct", "count", "rate", "x", "num"];

export class DocFillError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const RUNS = /<!--\s*runs\s*\n([\s\S]*?)-->/g;
// the reference may hold spaces only inside quotes (route names)
const VALUE = /<!--v\s+((?:[^\s"]|"[^"]*")+)\s+([a-z]+)\s*-->([\s\S]*?)<!--\/v-->/g;

const lineAt = (text: string, index: number): number => text.slice(0, index).split("\n").length;

/** Where the document shows code (fenced blocks, inline spans): markers there are examples, not markers. */
function codeRanges(doc: string): [number, number][] {
  const ranges: [number, number][] = [];
  const re = /^```[^\n]*\n[\s\S]*?^```|`[^`\n]+`/gm;
  for (let m = re.exec(doc); m; m = re.exec(doc)) ranges.push([m.index, m.index + m[0].length]);
  return ranges;
}
const inCode = (ranges: [number, number][], at: number): boolean =>
  ranges.some(([a, b]) => at >= a && at < b);

/** The runs a document declares, in order. */
export function docRuns(doc: string): RunSpec[] {
  const code = codeRanges(doc);
  const m = [...doc.matchAll(RUNS)].find((r) => !inCode(code, r.index));
  if (!m) return [];
  const first = lineAt(doc, m.index) + 1;
  const runs: RunSpec[] = [];
  m[1].split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const parts = /^([A-Za-z][\w-]*)\s*:\s*(\S+)(.*)$/.exec(line);
    if (!parts)
      throw new DocFillError(
        first + i,
        `expected "name: design-file [--seed N] [--set path=value]...", got "${line}"`,
      );
    const [, name, file, rest] = parts;
    if (runs.some((r) => r.name === name))
      throw new DocFillError(first + i, `run "${name}" is declared twice`);
    // an argument with spaces is written in double quotes, as in a shell
    const args = (rest.match(/"[^"]*"|\S+/g) ?? []).map((a) => a.replace(/^"(.*)"$/, "$1"));
    const spec: RunSpec = { name, file, sets: [] };
    for (let k = 0; k < args.length; k += 2) {
      const flag = args[k];
      const value = args[k + 1];
      if (value === undefined) throw new DocFillError(first + i, `${flag} needs a value`);
      if (flag === "--seed" && /^\d+$/.test(value)) spec.seed = Number(value);
      else if (flag === "--set") spec.sets.push(value);
      else
        throw new DocFillError(first + i, `unknown option "${flag}" (expected --seed N or --set path=value)`);
    }
    runs.push(spec);
  });
  return runs;
}

/** Splits `a.b["c d"].e` into its keys. */
export function parsePath(path: string): string[] {
  const keys: string[] = [];
  const re = /\.?(?:([^.[\]"]+)|\["([^"]*)"\])/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < path.length && (m = re.exec(path))) keys.push(m[1] ?? m[2]);
  if (re.lastIndex !== path.length || !keys.length) throw new Error(`cannot read the path "${path}"`);
  return keys;
}

function lookup(report: unknown, path: string): number {
  const range = /^(.*)\[(\d+):(\d+)\]$/.exec(path);
  if (range) {
    const values = lookupNode(report, range[1]);
    const [a, b] = [Number(range[2]), Number(range[3])];
    if (!Array.isArray(values)) throw new Error(`${range[1]} is not a series (an array)`);
    if (!(a < b && b <= values.length))
      throw new Error(`[${a}:${b}] is outside ${range[1]} (length ${values.length})`);
    const slice = values.slice(a, b).filter((v): v is number => typeof v === "number");
    return slice.reduce((t, v) => t + v, 0) / slice.length;
  }
  const node = lookupNode(report, path);
  if (typeof node !== "number") throw new Error(`${path} is not a number`);
  return node;
}

function lookupNode(report: unknown, path: string): unknown {
  let node: unknown = report;
  const keys = parsePath(path);
  for (const [i, key] of keys.entries()) {
    if (node === null || typeof node !== "object" || !(key in node)) {
      const at = keys.slice(0, i).join(".") || "the report";
      const have =
        node !== null && typeof node === "object" ? Object.keys(node).slice(0, 12).join(", ") : String(node);
      throw new Error(`no "${key}" in ${at} (it has: ${have})`);
    }
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const group = (n: number): string => Math.round(n).toLocaleString("en-US");

/** Three significant figures, without trailing zeros or exponent notation. */
function sig3(n: number): string {
  if (n === 0 || !Number.isFinite(n)) return String(n);
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(n))));
  const s = n.toFixed(Math.min(digits, 6));
  return s.includes(".") ? s.replace(/\.?0+$/, "") : Math.abs(n) >= 1000 ? group(n) : s;
}

export function formatValue(v: number, f: Format): string {
  switch (f) {
    case "ms":
      return v >= 1000 ? `${sig3(v / 1000)} s` : `${sig3(v)} ms`;
    case "s":
      return `${sig3(v)} s`;
    case "pct":
      return `${sig3(v * 100)}%`;
    case "count":
      return group(v);
    case "rate":
      return `${sig3(v)}/s`;
    case "x":
      return `${sig3(v)}x`;
    case "num":
      return sig3(v);
  }
}

const CHART = /<!--chart\s+(\S+)\s*\n([\s\S]*?)-->([\s\S]*?)<!--\/chart-->/g;

function reportOf(reports: Record<string, unknown>, run: string, line: number): unknown {
  const report = reports[run];
  if (report === undefined)
    throw new DocFillError(
      line,
      `no run named "${run}" (declared: ${Object.keys(reports).join(", ") || "none"})`,
    );
  return report;
}

/** One chart marker's SVG: each series a `run:path label` of a per-second array. */
function chartOf(
  body: string,
  reports: Record<string, unknown>,
  line: number,
): { title: string; svg: string } {
  const fields: Record<string, string> = {};
  for (const raw of body.split("\n")) {
    const m = /^\s*(title|x|y|series)\s*:\s*(.*?)\s*$/.exec(raw);
    if (m) fields[m[1]] = m[2];
    else if (raw.trim())
      throw new DocFillError(
        line,
        `expected "title:", "x:", "y:" or "series:" in a chart, got "${raw.trim()}"`,
      );
  }
  if (!fields.title || !fields.series)
    throw new DocFillError(line, "a chart needs a title: and a series: line");
  // commas inside quoted keys do not separate series
  const items = fields.series.match(/(?:[^,"]|"[^"]*")+/g) ?? [];
  const series: SvgSeries[] = items.map((item) => {
    const m = /^\s*([A-Za-z][\w-]*):((?:[^\s"]|"[^"]*")+)\s*(.*)$/.exec(item);
    if (!m) throw new DocFillError(line, `expected "run:path label" in series, got "${item.trim()}"`);
    const report = reportOf(reports, m[1], line);
    let y: unknown;
    try {
      y = lookupNode(report, m[2]);
    } catch (e) {
      throw new DocFillError(line, `${m[1]}: ${(e as Error).message}`);
    }
    if (!Array.isArray(y)) throw new DocFillError(line, `${m[1]}:${m[2]} is not a series (an array)`);
    // x: the series' own clock (a sibling t), else the report's, else 1, 2, 3...
    const parent = m[2].includes(".") ? lookupNode(report, m[2].replace(/\.[^.]+$/, "")) : report;
    const t = (parent as { t?: unknown }).t ?? (report as { series?: { t?: unknown } }).series?.t;
    const x = Array.isArray(t) && t.length === y.length ? (t as number[]) : y.map((_, i) => i + 1);
    return { label: m[3] || m[2], x, y: y.map((v) => (typeof v === "number" ? v : null)) };
  });
  const title = fields.title;
  return {
    title,
    svg: svgLineChart({ title, xLabel: fields.x ?? "time (s)", yLabel: fields.y ?? "", series }),
  };
}

/**
 * Re-derives every marked value from the reports (by run name), and draws
 * every chart into `charts` (file named in the marker -> SVG text). Unknown
 * runs, paths and formats are errors with the line they are on.
 */
export function fillDoc(doc: string, reports: Record<string, unknown>, charts?: Map<string, string>): string {
  const chartCode = codeRanges(doc);
  doc = doc.replace(CHART, (whole, file: string, body: string, _old: string, offset: number) => {
    if (inCode(chartCode, offset)) return whole;
    const { title, svg } = chartOf(body, reports, lineAt(doc, offset));
    charts?.set(file, svg);
    return whole.replace(/-->[\s\S]*?<!--\/chart-->$/, `-->![${title}](${file})<!--/chart-->`);
  });
  const code = codeRanges(doc);
  return doc.replace(VALUE, (whole, ref: string, fmt: string, _old: string, offset: number) => {
    if (inCode(code, offset)) return whole;
    const line = lineAt(doc, offset);
    if (!FORMATS.includes(fmt as Format))
      throw new DocFillError(line, `unknown format "${fmt}" (expected one of ${FORMATS.join(", ")})`);
    const value = (term: string): number => {
      const m = /^([A-Za-z][\w-]*):(.+)$/.exec(term);
      if (!m) throw new DocFillError(line, `expected run:path, got "${term}"`);
      const report = reports[m[1]];
      if (report === undefined)
        throw new DocFillError(
          line,
          `no run named "${m[1]}" (declared: ${Object.keys(reports).join(", ") || "none"})`,
        );
      try {
        return lookup(report, m[2]);
      } catch (e) {
        throw new DocFillError(line, `${m[1]}: ${(e as Error).message}`);
      }
    };
    // a ratio splits at the "/" that starts a second run:path term
    const ratio = /^(.+?)\/([A-Za-z][\w-]*:.+)$/.exec(ref);
    const v = ratio ? value(ratio[1]) / value(ratio[2]) : value(ref);
    return whole.replace(/-->[\s\S]*?<!--\/v-->$/, `-->${formatValue(v, fmt as Format)}<!--/v-->`);
  });
}
