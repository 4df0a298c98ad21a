// Evaluates a design's SLO assertions against a report.
import type { Slo } from "../design/slo.js";
import type { RouteReport } from "./json.js";

export interface SloResult {
  assertion: string;
  actual: number;
  pass: boolean;
}

export function evaluateSlo(slo: Slo, overall: RouteReport, routes: Record<string, RouteReport>): SloResult {
  const r = slo.route ? routes[slo.route] : overall;
  if (!r) return { assertion: slo.text, actual: Number.NaN, pass: false };
  let actual: number;
  switch (slo.metric) {
    case "availability":
      actual = r.availability;
      break;
    case "errorRate":
      actual = 1 - r.availability;
      break;
    case "throughput":
      actual = r.throughputPerSec;
      break;
    default:
      actual = r.latencyMs[slo.metric];
  }
  const v = slo.value;
  const pass =
    slo.op === "<" ? actual < v : slo.op === "<=" ? actual <= v : slo.op === ">" ? actual > v : actual >= v;
  return { assertion: slo.text, actual, pass };
}
