// The script a page runs to draw its charts. It is written as a function so it
// is type-checked, and embedded in the page as source text by page.ts: it must
// stay self-contained (no imports, no names from outside its body), since only
// uPlot (embedded before it) and the DOM exist where it runs.
import type { ChartSpec, ValueFormat } from "./chart-spec.js";

interface UPlotLike {
  bbox: { left: number; top: number; width: number; height: number };
  ctx: CanvasRenderingContext2D;
  valToPos(v: number, scale: string, canvasPixels?: boolean): number;
  setSize(s: { width: number; height: number }): void;
}
type UPlotCtor = {
  new (opts: unknown, data: unknown, target: HTMLElement): UPlotLike;
  paths: { stepped(o: { align: number }): unknown };
};

export function drawCharts(): void {
  const uPlot = (globalThis as unknown as { uPlot: UPlotCtor }).uPlot;
  const dataEl = document.getElementById("archsim-charts");
  if (!dataEl || !uPlot) return;
  const specs = JSON.parse(dataEl.textContent || "[]") as ChartSpec[];
  const palette = JSON.parse(dataEl.dataset.palette || "[]") as string[];
  const css = getComputedStyle(document.documentElement);
  const ink = css.getPropertyValue("--muted").trim() || "#5b6475";
  const grid = css.getPropertyValue("--grid").trim() || "#eceef2";
  const bandFill = css.getPropertyValue("--fault").trim() || "rgba(209,73,91,0.13)";

  const num = (v: number, digits = 3): string => {
    const a = Math.abs(v);
    if (a >= 1e9) return `${+(v / 1e9).toPrecision(digits)}G`;
    if (a >= 1e6) return `${+(v / 1e6).toPrecision(digits)}M`;
    if (a >= 1e4) return `${+(v / 1e3).toPrecision(digits)}k`;
    if (a >= 100 || Number.isInteger(v)) return String(Math.round(v * 10) / 10);
    return String(+v.toPrecision(digits));
  };
  const fmt = (v: number | null | undefined, f: ValueFormat | undefined): string => {
    if (v === null || v === undefined || !Number.isFinite(v)) return "–";
    switch (f) {
      case "ms":
        return v >= 1000 ? `${num(v / 1000)} s` : `${num(v)} ms`;
      case "percent":
        return `${+(v * 100).toPrecision(3)}%`;
      case "rate":
        return `${num(v)}/s`;
      case "seconds":
        return `${num(v)} s`;
      case "dollars":
        return `$${num(v)}`;
      default:
        return num(v);
    }
  };

  // axis labels: blank where uPlot hides a tick (log axes), and room for the widest
  const ticks = (f: ValueFormat | undefined) => (_u: unknown, splits: (number | null)[]) =>
    splits.map((v) => (v === null || v === undefined ? "" : fmt(v, f)));
  const axisSize = (_u: unknown, values: string[] | null) =>
    values ? Math.max(40, ...values.map((v) => v.length * 7.2 + 24)) : 40;

  const charts: { u: UPlotLike; el: HTMLElement }[] = [];
  document.querySelectorAll<HTMLElement>("[data-chart]").forEach((el) => {
    const spec = specs[Number(el.dataset.chart)];
    if (!spec) return;
    const data: (number | null)[][] = [spec.x];
    const series: unknown[] = [
      { label: spec.xLabel, value: (_u: unknown, v: number) => fmt(v, spec.xFormat) },
    ];
    const bands: unknown[] = [];
    const stepped = spec.style === "step" ? uPlot.paths.stepped({ align: 1 }) : undefined;
    spec.series.forEach((s, i) => {
      const color = s.color || palette[i % palette.length] || "#333";
      data.push(s.values);
      const idx = data.length - 1;
      series.push({
        label: s.label,
        stroke: color,
        width: spec.style === "points" ? 0 : 1.75,
        dash: s.dash ? [6, 4] : undefined,
        fill: s.fill ? `${color}26` : undefined,
        paths: stepped,
        spanGaps: false,
        points: {
          show: spec.style === "points" || spec.x.length < 40,
          size: spec.style === "points" ? 7 : 4,
          fill: color,
        },
        value: (_u: unknown, v: number | null) => fmt(v, spec.yFormat),
      });
      if (s.range) {
        data.push(s.range.lo, s.range.hi);
        const style = { stroke: `${color}55`, width: 1, points: { show: false }, value: () => "" };
        series.push({ ...style, label: `${s.label} (low)` }, { ...style, label: `${s.label} (high)` });
        bands.push({ series: [idx + 2, idx + 1], fill: `${color}22` });
      }
    });
    const yMax = spec.yMax;
    const opts = {
      width: Math.max(el.clientWidth, 200),
      height: Number(el.dataset.height) || 220,
      series,
      bands,
      legend: { live: true },
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      scales: {
        x: { time: false, distr: spec.xLog ? 3 : 1 },
        y: {
          distr: spec.yLog ? 3 : 1,
          range: spec.yLog
            ? undefined
            : (_u: unknown, min: number, max: number) => {
                const hi = Math.max(max, yMax ?? 0);
                return [Math.min(0, min), hi > 0 ? hi * 1.06 : 1];
              },
        },
      },
      axes: [
        {
          label: spec.xLabel,
          stroke: ink,
          labelSize: 18,
          font: "11px system-ui, sans-serif",
          labelFont: "11px system-ui, sans-serif",
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          values: ticks(spec.xFormat),
        },
        {
          label: spec.yLabel,
          stroke: ink,
          labelSize: spec.yLabel ? 18 : 0,
          size: axisSize,
          font: "11px system-ui, sans-serif",
          labelFont: "11px system-ui, sans-serif",
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          values: ticks(spec.yFormat),
        },
      ],
      hooks: {
        // fault windows under the lines: drawn right after the canvas is cleared
        drawClear: [
          (u: UPlotLike) => {
            if (!spec.bands || spec.bands.length === 0) return;
            const { left, top, width, height } = u.bbox;
            u.ctx.save();
            u.ctx.fillStyle = bandFill;
            // overlapping faults shade their union once, so the shade stays one colour
            const spans = spec.bands
              .map((b) => [
                Math.max(left, u.valToPos(b.from, "x", true)),
                Math.min(left + width, b.to === null ? left + width : u.valToPos(b.to, "x", true)),
              ])
              .filter(([x0, x1]) => x1 > x0)
              .sort((a, b) => a[0] - b[0]);
            let cur: number[] | null = null;
            for (const s of [...spans, null]) {
              if (cur && s && s[0] <= cur[1]) cur[1] = Math.max(cur[1], s[1]);
              else {
                if (cur) u.ctx.fillRect(cur[0], top, cur[1] - cur[0], height);
                cur = s && [s[0], s[1]];
              }
            }
            u.ctx.restore();
          },
        ],
      },
    };
    el.textContent = "";
    charts.push({ u: new uPlot(opts, data, el), el });
  });

  // follow the grid's column widths
  const resize = () => {
    for (const { u, el } of charts)
      u.setSize({ width: Math.max(el.clientWidth, 200), height: Number(el.dataset.height) || 220 });
  };
  let pending = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(resize);
  });
}
