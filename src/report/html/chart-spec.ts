// What a chart shows, as plain data: the page embeds a list of these as JSON
// and the script in charts-runtime.ts draws each with uPlot in the browser.
// Nothing here knows about reports, so the same specs serve a single run, an
// overlay of several runs and a sweep (a metric against a parameter).

/** How numbers are written on axes and in the legend. */
export type ValueFormat = "number" | "ms" | "percent" | "rate" | "seconds" | "dollars";

export interface ChartSeries {
  label: string;
  /** one value per element of the chart's `x`; null leaves a gap */
  values: (number | null)[];
  /** a CSS colour; by default the palette's colour for the series' position */
  color?: string;
  dash?: boolean;
  /** shade the area under the line */
  fill?: boolean;
  /** a shaded band around the line, e.g. a 95% confidence interval */
  range?: { lo: (number | null)[]; hi: (number | null)[] };
}

/** A span of x shaded on the chart, e.g. a fault's window; `to` null: to the end. */
export interface ChartBand {
  from: number;
  to: number | null;
  label: string;
}

export interface ChartSpec {
  title: string;
  /** a line under the title */
  note?: string;
  x: number[];
  xLabel: string;
  xFormat?: ValueFormat;
  xLog?: boolean;
  yLabel?: string;
  yFormat?: ValueFormat;
  yLog?: boolean;
  /** upper end of the y axis at least this (e.g. 1 for a fraction) */
  yMax?: number;
  /** `step`: each value holds until the next x (histograms); `points`: markers only */
  style?: "line" | "step" | "points";
  series: ChartSeries[];
  bands?: ChartBand[];
  /** take the full width of the grid */
  wide?: boolean;
}

/** The series palette (colour-blind-safe ordering first), shared by charts, graph and tables. */
export const PALETTE = [
  "#3b6fd8",
  "#e8702a",
  "#2a9d76",
  "#d1495b",
  "#8e5cc9",
  "#b8901c",
  "#1f9fb4",
  "#e377c2",
  "#6b7280",
  "#5a8f29",
];

export const paletteColor = (i: number): string => PALETTE[i % PALETTE.length];

/**
 * Lines measured on different x values (runs of different lengths, sweeps of
 * different grids) on one shared, sorted x axis, with null where a line has no
 * value: what an overlay chart needs.
 */
export function joinSeries(
  lines: { label: string; x: number[]; y: (number | null)[]; color?: string; dash?: boolean }[],
): {
  x: number[];
  series: ChartSeries[];
} {
  const x = [...new Set(lines.flatMap((l) => l.x))].sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  const series = lines.map((l) => {
    const values: (number | null)[] = new Array(x.length).fill(null);
    l.x.forEach((v, i) => {
      values[at.get(v)!] = l.y[i] ?? null;
    });
    return { label: l.label, values, color: l.color, dash: l.dash };
  });
  return { x, series };
}

/** True when a series has something other than zeros and gaps. */
export const nonZero = (values: readonly (number | null)[]): boolean =>
  values.some((v) => v !== null && v !== 0);
