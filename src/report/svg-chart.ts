// A static line chart as SVG text, for documents: no script, no fonts to
// load, the same bytes for the same data (so a chart in docs/ can be checked
// for drift like a number). The interactive charts are uPlot's (report/html).

export interface SvgSeries {
  label: string;
  /** x values (e.g. seconds); y[i] belongs to x[i]; null leaves a gap */
  x: readonly number[];
  y: readonly (number | null)[];
}

export interface SvgChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: SvgSeries[];
}

const W = 640;
const H = 260;
const PAD = { left: 58, right: 16, top: 30, bottom: 58 };
const COLOURS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"];

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Round tick steps (1, 2, 5 x 10^k) covering [0, max] in about five steps. */
export function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

const label = (v: number): string =>
  Math.abs(v) >= 1e6 ? `${v / 1e6}M` : Math.abs(v) >= 1e4 ? `${v / 1e3}k` : String(v);

/**
 * The runs of a series between gaps (null or non-finite y), each thinned to
 * at most four points per pixel column: the first, lowest, highest and last
 * in the column, in their order. Drawn at this width that is the same line
 * (every peak and trough kept), and an hour of one-second samples stays a
 * few kilobytes instead of a hundred.
 */
export function thinnedRuns(s: SvgSeries, column: (x: number) => number): [number, number][][] {
  const runs: [number, number][][] = [];
  let run: [number, number][] = [];
  let bucket: number[] = []; // indices in the current column
  let col = NaN;
  const flush = (): void => {
    if (bucket.length === 0) return;
    const ys = bucket.map((i) => s.y[i] as number);
    const lo = bucket[ys.indexOf(Math.min(...ys))];
    const hi = bucket[ys.indexOf(Math.max(...ys))];
    const keep = [...new Set([bucket[0], lo, hi, bucket[bucket.length - 1]])].sort((a, b) => a - b);
    for (const i of keep) run.push([s.x[i], s.y[i] as number]);
    bucket = [];
  };
  const endRun = (): void => {
    flush();
    if (run.length) runs.push(run);
    run = [];
  };
  s.x.forEach((x, i) => {
    const y = s.y[i];
    if (y === null || !Number.isFinite(y)) return endRun();
    const c = column(x);
    if (c !== col) flush();
    col = c;
    bucket.push(i);
  });
  endRun();
  return runs;
}

export function svgLineChart(chart: SvgChart): string {
  const xs = chart.series.flatMap((s) => s.x);
  const ys = chart.series.flatMap((s) => s.y.filter((v): v is number => v !== null && Number.isFinite(v)));
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const yTicks = niceTicks(ys.length ? Math.max(...ys) : 1);
  const yMax = yTicks[yTicks.length - 1];
  const xTicks = niceTicks(xMax).filter((t) => t >= xMin);
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const px = (x: number): string => (PAD.left + ((x - xMin) / (xMax - xMin || 1)) * pw).toFixed(1);
  const py = (y: number): string => (PAD.top + ph - (y / yMax) * ph).toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(chart.title)}</text>`,
  ];
  for (const t of yTicks) {
    out.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e7eb"/>`,
      `<text x="${PAD.left - 6}" y="${py(t)}" text-anchor="end" dominant-baseline="middle">${label(t)}</text>`,
    );
  }
  for (const t of xTicks)
    out.push(`<text x="${px(t)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${label(t)}</text>`);
  out.push(
    `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${py(0)}" y2="${py(0)}" stroke="#6b7280"/>`,
    `<text x="${PAD.left + pw / 2}" y="${H - PAD.bottom + 32}" text-anchor="middle">${esc(chart.xLabel)}</text>`,
    `<text transform="translate(14 ${PAD.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const cols = (x: number): number => Math.floor(((x - xMin) / (xMax - xMin || 1)) * pw);
    let d = "";
    for (const run of thinnedRuns(s, cols))
      d += run.map(([x, y], k) => `${k ? "L" : "M"}${px(x)} ${py(y)}`).join("");
    out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.6"/>`);
    const lx = PAD.left + i * 150;
    out.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${H - 10}" y2="${H - 10}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${lx + 23}" y="${H - 10}" dominant-baseline="middle">${esc(s.label)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
