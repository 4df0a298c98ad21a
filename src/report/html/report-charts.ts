// Which charts a run's report gets: everything its series hold, grouped by
// what a reader asks (is it fast, is it failing, what is saturated, is the
// data fresh), with the fault windows shaded on every time chart.
import type { Report } from "../json.js";
import { type ChartBand, type ChartSeries, type ChartSpec, nonZero, type ValueFormat } from "./chart-spec.js";

type Series = Record<string, number[]>;
const componentSeries = (r: Report): [string, string, Series][] =>
  Object.entries(r.components)
    .map(
      ([name, c]) =>
        [name, String(c.kind), ((c as { series?: Series }).series ?? {}) as Series] as [
          string,
          string,
          Series,
        ],
    )
    .filter(([, , s]) => Object.keys(s).length > 0);

/** The faults' windows on the time axis (seconds). */
export function faultBands(r: Pick<Report, "faults" | "durationMs">): ChartBand[] {
  return r.faults
    .filter((f) => f.startMs < r.durationMs)
    .map((f) => ({
      from: f.startMs / 1000,
      to: f.endMs === null ? null : f.endMs / 1000,
      label: f.description,
    }));
}

/** A chart over the run's seconds; null when none of its lines has anything but zeros. */
export function timeChart(
  r: Pick<Report, "series" | "faults" | "durationMs">,
  title: string,
  series: ChartSeries[],
  o: { yFormat?: ValueFormat; yLabel?: string; yMax?: number; note?: string; keepZeros?: boolean } = {},
): ChartSpec | null {
  if (series.length === 0 || (!o.keepZeros && !series.some((s) => nonZero(s.values)))) return null;
  return {
    title,
    note: o.note,
    x: r.series.t ?? [],
    xLabel: "time (s)",
    xFormat: "seconds",
    yFormat: o.yFormat,
    yLabel: o.yLabel,
    yMax: o.yMax,
    series,
    bands: faultBands(r),
  };
}

/** Latency percentiles with a gap, not a 0, in the seconds no request succeeded. */
export const latencyGaps = (values: number[], throughput: number[] | undefined): (number | null)[] =>
  values.map((v, i) => (throughput && throughput[i] === 0 ? null : v));

const ratio = (a: number[], b: number[]): number[] => a.map((v, i) => (b[i] > 0 ? v / b[i] : 0));

/** The run's time-series charts, most telling first. */
export function reportTimeCharts(r: Report): ChartSpec[] {
  const s = r.series;
  const comps = componentSeries(r);
  const used = new Set<string>(); // component series shown by a themed chart
  const pick = (key: string | ((k: string) => boolean), label: (name: string, k: string) => string) => {
    const out: ChartSeries[] = [];
    for (const [name, , cs] of comps)
      for (const k of Object.keys(cs))
        if (typeof key === "string" ? k === key : key(k)) {
          used.add(`${name}\u0000${k}`);
          out.push({ label: label(name, k), values: cs[k] });
        }
    return out;
  };
  const suffix = (k: string) => k.slice(k.indexOf(":") + 1);
  const charts: (ChartSpec | null)[] = [];

  const tput: ChartSeries[] = [{ label: "ok", values: s.throughput ?? [], fill: true }];
  if (s.errors) tput.push({ label: "failed", values: s.errors, color: "#d1495b" });
  if (s.degraded) tput.push({ label: "degraded", values: s.degraded, color: "#b8901c" });
  charts.push(
    timeChart(r, "Throughput", tput, {
      yFormat: "rate",
      note: "requests answered per second",
      keepZeros: true,
    }),
  );

  const lat = ["p50", "p95", "p99"]
    .filter((p) => s[p])
    .map((p) => ({ label: p, values: latencyGaps(s[p], s.throughput) }));
  charts.push(
    timeChart(r, "Latency", lat, {
      yFormat: "ms",
      note: "percentiles of the successful requests answered each second",
      keepZeros: true,
    }),
  );

  const causes = Object.keys(s).filter((k) => k.startsWith("errors:"));
  charts.push(
    timeChart(
      r,
      "Errors by cause",
      causes.map((k) => ({ label: suffix(k), values: s[k] })),
      { yFormat: "rate", note: "failed requests per second" },
    ),
  );

  charts.push(
    timeChart(
      r,
      "Utilisation",
      pick("utilization", (n) => n),
      {
        yFormat: "percent",
        yMax: 1,
        note: "fraction of workers busy, per component",
        keepZeros: true,
      },
    ),
  );
  charts.push(
    timeChart(
      r,
      "Queue length",
      pick("queueLength", (n) => n),
      { note: "requests waiting (average over each second)" },
    ),
  );
  charts.push(
    timeChart(
      r,
      "Cache hit ratio",
      pick(
        (k) => k === "hitRatio" || k.startsWith("hitRatio:"),
        (n, k) => (k === "hitRatio" ? n : `${n} ${suffix(k)}`),
      ),
      { yFormat: "percent", yMax: 1, keepZeros: true },
    ),
  );
  charts.push(
    timeChart(
      r,
      "Replication lag",
      pick(
        (k) => k.startsWith("lagMs:"),
        (n, k) => `${n} ${suffix(k)}`,
      ),
      { yFormat: "ms", note: "each replica's lag behind its primary, end of each second" },
    ),
  );
  const lagComps = comps.filter(([, , cs]) => cs.lag || cs.lagSeconds);
  charts.push(
    timeChart(
      r,
      "Consumer lag",
      pick("lag", (n) => n),
      { note: "messages not yet processed, per consumer group" },
    ),
  );
  if (lagComps.length)
    charts.push(
      timeChart(
        r,
        "Consumer lag (age)",
        pick("lagSeconds", (n) => n),
        { yFormat: "seconds", note: "age of the oldest unprocessed message" },
      ),
    );
  charts.push(
    timeChart(
      r,
      "Queue depth",
      pick("depth", (n) => n),
      { note: "messages held by each work queue" },
    ),
  );

  // stale reads as a rate where the component counts its reads, else as a count
  const stale: ChartSeries[] = [];
  let asRate = true;
  for (const [name, , cs] of comps) {
    if (!cs.staleReads) continue;
    used.add(`${name}\u0000staleReads`);
    const reads = cs.reads;
    if (!reads) asRate = false;
    stale.push({ label: name, values: reads ? ratio(cs.staleReads, reads) : cs.staleReads });
  }
  charts.push(
    asRate
      ? timeChart(r, "Stale-read rate", stale, {
          yFormat: "percent",
          note: "reads that returned an old version, per second",
        })
      : timeChart(r, "Stale reads", stale, {
          yFormat: "rate",
          note: "reads that returned an old version, per second",
        }),
  );
  charts.push(
    timeChart(
      r,
      "Instances",
      pick("instances", (n) => `${n} in service`).concat(pick("launched", (n) => `${n} launched`)),
      {},
    ),
  );

  // whatever else a component measures, one chart per component
  for (const [name, kind, cs] of comps) {
    // per-part breakdowns (`lag:<partition>`) of a series shown above are left out too
    const shown = (k: string) => used.has(`${name}\u0000${k}`) || used.has(`${name}\u0000${k.split(":")[0]}`);
    const rest = Object.keys(cs).filter((k) => !shown(k) && k !== "utilization" && nonZero(cs[k]));
    if (rest.length === 0) continue;
    charts.push(
      timeChart(
        r,
        `${name}`,
        rest.slice(0, 10).map((k) => ({ label: k, values: cs[k] })),
        { note: `${kind}: its other series${rest.length > 10 ? ` (10 of ${rest.length})` : ""}` },
      ),
    );
  }
  return charts.filter((c): c is ChartSpec => c !== null);
}

interface Dist {
  label: string;
  edgesMs: number[];
  counts: number[];
}

/** Histogram (share of requests per log bucket) and CDF of latency, overall and per route. */
export function latencyCharts(dists: Dist[], o: { fillFirst?: boolean } = {}): ChartSpec[] {
  const withData = dists.filter((d) => d.counts.length > 0);
  if (withData.length === 0) return [];
  // every histogram's edges come from one log grid, so their union is a grid too
  const x = [...new Set(withData.flatMap((d) => d.edgesMs))].sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  const hist: ChartSeries[] = [];
  const cdf: ChartSeries[] = [];
  withData.forEach((d, k) => {
    const total = d.counts.reduce((s, n) => s + n, 0);
    const share: (number | null)[] = new Array(x.length).fill(null);
    const cum: (number | null)[] = new Array(x.length).fill(null);
    const first = at.get(d.edgesMs[0])!;
    const last = at.get(d.edgesMs[d.edgesMs.length - 1])!;
    for (let i = first; i <= last; i++) share[i] = 0;
    d.counts.forEach((n, i) => {
      share[at.get(d.edgesMs[i])!] = n / total;
    });
    let acc = 0;
    for (let i = 0; i < x.length; i++) {
      if (i < first) cum[i] = 0;
      else {
        if (i > first) acc += share[i - 1] ?? 0;
        cum[i] = i >= last ? 1 : acc;
      }
    }
    const fill = o.fillFirst !== false && k === 0;
    hist.push({ label: d.label, values: share, fill });
    cdf.push({ label: d.label, values: cum });
  });
  return [
    {
      title: "Latency histogram",
      note: "share of successful requests in each latency bucket (log scale, 10 buckets per decade)",
      x,
      xLabel: "latency",
      xFormat: "ms",
      xLog: true,
      yFormat: "percent",
      style: "step",
      series: hist,
    },
    {
      title: "Latency CDF",
      note: "share of successful requests at or below each latency",
      x,
      xLabel: "latency",
      xFormat: "ms",
      xLog: true,
      yFormat: "percent",
      yMax: 1,
      series: cdf,
    },
  ];
}

export const reportDists = (r: Report): Dist[] => {
  const routes = Object.entries(r.routes);
  const overall = {
    label: routes.length > 1 ? "all routes" : (routes[0]?.[0] ?? "all"),
    ...r.latencyHistogram,
  };
  return routes.length > 1
    ? [overall, ...routes.map(([name, rr]) => ({ label: name, ...rr.latencyHistogram }))]
    : [overall];
};
