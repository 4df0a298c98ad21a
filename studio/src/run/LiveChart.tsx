// One live chart: a ChartSpec (src/report/html/chart-spec.ts, the HTML
// report's chart description) drawn with uPlot and updated in place as rows
// arrive. The chart is rebuilt only when its lines change (a new error cause);
// otherwise new data is set on the existing plot. Its data is also on the
// element (data-rows, data-sums) for tests and for anyone inspecting the page.
import { type JSX, memo, useEffect, useMemo, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { type ChartSpec, paletteColor } from "../../../src/report/html/chart-spec.js";
import { ms, num, pct } from "../../../src/report/html/format.js";

const HEIGHT = 150;

function format(v: number | null | undefined, f: ChartSpec["yFormat"]): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  switch (f) {
    case "ms":
      return ms(v);
    case "percent":
      return pct(v);
    case "rate":
      return `${num(v)}/s`;
    case "seconds":
      return `${num(v)} s`;
    default:
      return num(v);
  }
}

/** `current` gives the latest spec: the fault bands change without the lines changing. */
function options(spec: ChartSpec, current: () => ChartSpec, width: number): uPlot.Options {
  const bandFill = "rgba(209,73,91,0.13)";
  return {
    width,
    height: HEIGHT,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: false },
      y: {
        range: (_u, min, max) => {
          const hi = Math.max(max, spec.yMax ?? 0);
          return [Math.min(0, min), hi > 0 ? hi * 1.06 : 1];
        },
      },
    },
    series: [
      { label: spec.xLabel, value: (_u, v) => format(v, spec.xFormat) },
      ...spec.series.map((s, i) => {
        const color = s.color ?? paletteColor(i);
        return {
          label: s.label,
          stroke: color,
          width: 1.5,
          fill: s.fill ? `${color}26` : undefined,
          spanGaps: false,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => format(v, spec.yFormat),
        };
      }),
    ],
    axes: [
      { stroke: "#5c5c57", size: 28, font: "10px system-ui", values: (_u, s) => s.map((v) => `${v}s`) },
      {
        stroke: "#5c5c57",
        size: 52,
        font: "10px system-ui",
        values: (_u, s) => s.map((v) => format(v, spec.yFormat)),
      },
    ],
    hooks: {
      // the faults' windows under the lines
      drawClear: [
        (u) => {
          const bands = current().bands ?? [];
          if (bands.length === 0) return;
          const { left, top, width: w, height } = u.bbox;
          u.ctx.save();
          u.ctx.fillStyle = bandFill;
          for (const b of bands) {
            const x0 = Math.max(left, u.valToPos(b.from, "x", true));
            const x1 = Math.min(left + w, b.to === null ? left + w : u.valToPos(b.to, "x", true));
            if (x1 > x0) u.ctx.fillRect(x0, top, x1 - x0, height);
          }
          u.ctx.restore();
        },
      ],
    },
  };
}

const dataOf = (spec: ChartSpec): uPlot.AlignedData => [spec.x, ...spec.series.map((s) => s.values)];
const shapeOf = (spec: ChartSpec): string => JSON.stringify(spec.series.map((s) => s.label));

/** Redrawn only when its spec changes (a new second of data, a fault), not on every frame of the panel. */
export const LiveChart = memo(LiveChartView);

function LiveChartView({ spec, testId }: { spec: ChartSpec; testId?: string }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<{ u: uPlot; shape: string } | null>(null);
  const specRef = useRef(spec);
  specRef.current = spec;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const shape = shapeOf(spec);
    if (!plot.current || plot.current.shape !== shape) {
      plot.current?.u.destroy();
      el.textContent = "";
      plot.current = {
        u: new uPlot(
          options(spec, () => specRef.current, Math.max(el.clientWidth, 200)),
          dataOf(spec),
          el,
        ),
        shape,
      };
    } else {
      plot.current.u.setData(dataOf(spec));
    }
  }, [spec]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() =>
      plot.current?.u.setSize({ width: Math.max(el.clientWidth, 200), height: HEIGHT }),
    );
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.u.destroy();
      plot.current = null;
    };
  }, []);

  const sums = useMemo(
    () =>
      JSON.stringify(
        Object.fromEntries(
          spec.series.map((s) => [s.label, s.values.reduce<number>((a, v) => a + (v ?? 0), 0)]),
        ),
      ),
    [spec],
  );
  return (
    <figure className="live-chart" data-testid={testId} data-rows={spec.x.length} data-sums={sums}>
      <figcaption>
        <strong>{spec.title}</strong> {spec.note && <span className="muted">{spec.note}</span>}
      </figcaption>
      <div ref={box} className="live-chart-plot" />
    </figure>
  );
}
