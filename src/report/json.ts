// The JSON report: the stable, documented output of a run (docs/report.md).
// Everything except `engine` is a pure function of the design and the seed.

import { CAUSES } from "../components/outcomes.js";
import type { ComponentReport } from "../components/runtime.js";
import type { RunResult } from "../components/simulation.js";
import { parseSlo } from "../design/slo.js";
import { type ConsistencySummary, summarize } from "../mechanisms/consistency.js";
import { type LatencyHistogram, LatencyRecorder, type LatencySummary } from "../metrics/latency.js";
import { evaluateSlo, type SloResult } from "./slo.js";

export const REPORT_VERSION = 1;

export interface RequestCounts {
  total: number;
  ok: number;
  failed: number;
  inFlight: number;
  /** successful requests answered (in part) by a fallback */
  degraded: number;
  byOutcome: Record<string, number>;
}

export interface RouteReport {
  requests: RequestCounts;
  /** over successful requests */
  latencyMs: Omit<LatencySummary, "count">;
  /** the successful requests' latencies in log-spaced buckets (for plots) */
  latencyHistogram: LatencyHistogram;
  /** successful requests per simulated second */
  throughputPerSec: number;
  /** ok / (ok + failed) */
  availability: number;
}

export interface Report extends RouteReport {
  archsim: { version: string; report: number };
  design: string;
  seed: number;
  durationMs: number;
  routes: Record<string, RouteReport>;
  components: Record<string, ComponentReport>;
  faults: { description: string; targets: string[]; startMs: number; endMs: number | null }[];
  /** present when the design has a database */
  consistency?: ConsistencySummary & {
    lostAcknowledgedWrites: number;
    byRoute: Record<string, ConsistencySummary>;
  };
  slo: SloResult[];
  series: Record<string, number[]>;
  engine: {
    events: number;
    wallMs: number;
    eventsPerSec: number;
    stoppedBy: string | null;
    simulatedMs: number;
  };
}

function routeReport(
  counts: number[],
  latency: LatencyRecorder,
  seconds: number,
  inFlight: number,
  degraded: number,
): RouteReport {
  const ok = counts[0];
  const failed = counts.reduce((s, n) => s + n, 0) - ok;
  const byOutcome: Record<string, number> = {};
  counts.forEach((n, c) => {
    if (n > 0) byOutcome[CAUSES[c]] = n;
  });
  const { count: _count, ...lat } = latency.summary();
  return {
    requests: { total: ok + failed + inFlight, ok, failed, inFlight, degraded, byOutcome },
    latencyMs: lat,
    latencyHistogram: latency.histogram(),
    throughputPerSec: seconds > 0 ? ok / seconds : 0,
    availability: ok + failed > 0 ? ok / (ok + failed) : 1,
  };
}

/** Overall and per-route verdicts; lost writes are summed over the databases that report them. */
function consistencySection(r: RunResult): NonNullable<Report["consistency"]> {
  const c = r.consistency!;
  let lost = 0;
  for (const comp of Object.values(r.components)) {
    const cons = comp.consistency as { lostAcknowledgedWrites?: number } | undefined;
    lost += cons?.lostAcknowledgedWrites ?? 0;
  }
  const byRoute: Record<string, ConsistencySummary> = {};
  c.byRoute.forEach((counts, i) => {
    if (counts.reads > 0) byRoute[r.routes[i]] = summarize(counts);
  });
  return { ...summarize(c), lostAcknowledgedWrites: lost, byRoute };
}

export function buildReport(
  r: RunResult,
  meta: { design: string; seed: number; version: string; slo: string[]; clientRoutes: string[] },
): Report {
  const seconds = r.simulatedMs / 1000;
  const m = r.metrics;
  const overallLatency = new LatencyRecorder();
  const totalCounts = new Array(CAUSES.length).fill(0);
  const routes: Record<string, RouteReport> = {};
  let degraded = 0;
  r.routes.forEach((name, i) => {
    const counts = m.counts[i] ?? new Array(CAUSES.length).fill(0);
    const done = counts.reduce((s: number, n: number) => s + n, 0);
    if (done === 0 && !meta.clientRoutes.includes(name)) return; // routes only called internally
    overallLatency.add(m.latency[i]);
    counts.forEach((n: number, c: number) => {
      totalCounts[c] += n;
    });
    degraded += m.degraded[i] ?? 0;
    routes[name] = routeReport(counts, m.latency[i], seconds, (m.issued[i] ?? 0) - done, m.degraded[i] ?? 0);
  });
  const inFlight = r.generated - r.answered;
  const overall = routeReport(totalCounts, overallLatency, seconds, inFlight, degraded);
  const slo = meta.slo.map((s) => evaluateSlo(parseSlo(s), overall, routes));
  return {
    archsim: { version: meta.version, report: REPORT_VERSION },
    design: meta.design,
    seed: meta.seed,
    durationMs: r.durationMs,
    ...overall,
    routes,
    components: r.components,
    faults: r.faults,
    ...(r.consistency ? { consistency: consistencySection(r) } : {}),
    slo,
    series: m.series.toJSON(),
    engine: {
      events: r.events,
      wallMs: Math.round(r.wallMs),
      eventsPerSec: r.wallMs > 0 ? Math.round(r.events / (r.wallMs / 1000)) : 0,
      stoppedBy: r.stoppedBy,
      simulatedMs: r.simulatedMs,
    },
  };
}
