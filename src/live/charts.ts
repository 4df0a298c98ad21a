// The run panel's charts as data: the per-second series gathered frame by
// frame, and the chart specs the HTML report would draw from them (the same
// throughput, latency and errors-by-cause charts, via report-charts.ts), plus
// a short history per component for the selected node's panel.
import type { FaultRecord } from "../components/faults.js";
import type { ChartSpec } from "../report/html/chart-spec.js";
import { latencyGaps, timeChart } from "../report/html/report-charts.js";
import type { LiveFrame } from "./frame.js";

/** The per-second series so far, appended to as frames bring new rows. */
export class SeriesBuffer {
  readonly data: Record<string, number[]> = { t: [] };

  get rows(): number {
    return this.data.t.length;
  }

  /**
   * Appends the rows an engine frame brought (`from`: the index of its first
   * row). A series seen for the first time is padded with zeros for the rows
   * before it, as the report pads one that starts late.
   */
  append(from: number, update: Record<string, number[]>): void {
    const added = update.t?.length ?? 0;
    if (added === 0) return;
    if (from !== this.rows) throw new RangeError(`series rows out of order: have ${this.rows}, got ${from}`);
    for (const [k, v] of Object.entries(update)) {
      const col = (this.data[k] ??= new Array<number>(from).fill(0));
      col.push(...v);
    }
    // a series the update lacks keeps its length in step with t
    for (const col of Object.values(this.data)) while (col.length < from + added) col.push(0);
  }

  /** Sum of a series over the rows so far (0 if absent). */
  total(key: string): number {
    return (this.data[key] ?? []).reduce((a, b) => a + b, 0);
  }
}

/** Throughput, latency percentiles and errors by cause so far, with the faults shaded. */
export function liveCharts(
  series: Record<string, number[]>,
  faults: FaultRecord[],
  durationMs: number,
): ChartSpec[] {
  const r = { series, faults, durationMs };
  const s = series;
  const causes = Object.keys(s).filter((k) => k.startsWith("errors:"));
  const charts = [
    timeChart(
      r,
      "Throughput",
      [
        { label: "ok", values: s.throughput ?? [], fill: true },
        { label: "failed", values: s.errors ?? [], color: "#d1495b" },
      ],
      { yFormat: "rate", note: "requests answered per second", keepZeros: true },
    ),
    timeChart(
      r,
      "Latency",
      ["p50", "p95", "p99"].map((p) => ({ label: p, values: latencyGaps(s[p] ?? [], s.throughput) })),
      { yFormat: "ms", note: "percentiles of the successful requests answered each second", keepZeros: true },
    ),
    timeChart(
      r,
      "Errors by cause",
      causes.map((k) => ({ label: k.slice("errors:".length), values: s[k] })),
      { yFormat: "rate", note: "failed requests per second", keepZeros: true },
    ),
  ];
  return charts.filter((c): c is ChartSpec => c !== null);
}

/** A component's utilisation and queue, frame by frame, for its panel: the last `capacity` frames. */
export class NodeHistory {
  private readonly byNode = new Map<
    string,
    { t: number[]; utilization: (number | null)[]; queue: number[] }
  >();

  constructor(private readonly capacity = 600) {}

  add(frame: LiveFrame): void {
    for (const [name, st] of Object.entries(frame.status)) {
      let h = this.byNode.get(name);
      if (!h) this.byNode.set(name, (h = { t: [], utilization: [], queue: [] }));
      if (h.t.length > 0 && h.t[h.t.length - 1] === frame.nowMs / 1000) continue; // no time passed
      h.t.push(frame.nowMs / 1000);
      h.utilization.push(st.utilization);
      h.queue.push(typeof st.facts.queue === "number" ? st.facts.queue : 0);
      if (h.t.length > this.capacity) {
        h.t.shift();
        h.utilization.shift();
        h.queue.shift();
      }
    }
  }

  /** The node's charts: utilisation and mean queue length over the recent frames (none: not a station, or no frame yet). */
  charts(name: string): ChartSpec[] {
    const h = this.byNode.get(name);
    if (!h || h.t.length === 0 || h.utilization.every((u) => u === null)) return [];
    const base = { x: [...h.t], xLabel: "time (s)", xFormat: "seconds" as const };
    return [
      {
        ...base,
        title: `${name}: utilisation`,
        note: "busy fraction of its workers over each frame",
        yFormat: "percent",
        yMax: 1,
        series: [{ label: "utilisation", values: [...h.utilization], fill: true }],
      },
      {
        ...base,
        title: `${name}: queue`,
        note: "mean requests waiting over each frame",
        series: [{ label: "queue", values: [...h.queue], color: "#e8702a" }],
      },
    ];
  }
}
