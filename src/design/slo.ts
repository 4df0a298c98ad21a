// SLO assertions as written in a design: `p99 < 50ms`, `p99(GET /x) < 80ms`,
// `availability > 99.9%`, `errorRate < 1%`, `throughput > 900/s`, `mean <= 20ms`.
import { parseDuration, parsePercent, parseRate } from "./units.js";

export type SloMetric =
  "mean" | "p50" | "p90" | "p95" | "p99" | "p999" | "max" | "availability" | "errorRate" | "throughput";
export type SloOp = "<" | "<=" | ">" | ">=";

export interface Slo {
  text: string;
  metric: SloMetric;
  route: string | null;
  op: SloOp;
  /** ms for latencies, a fraction for availability and errorRate, per second for throughput */
  value: number;
}

const LATENCY = ["mean", "p50", "p90", "p95", "p99", "p999", "max"];
export const SLO_METRICS: readonly SloMetric[] = [
  "mean",
  "p50",
  "p90",
  "p95",
  "p99",
  "p999",
  "max",
  "availability",
  "errorRate",
  "throughput",
];

const PATTERN = /^\s*([A-Za-z0-9]+)\s*(?:\(\s*(.+?)\s*\))?\s*(<=|>=|<|>)\s*(\S.*?)\s*$/;

export class SloSyntaxError extends Error {
  constructor(
    message: string,
    readonly expected: string,
    readonly suggestion?: string,
  ) {
    super(message);
  }
}

export function parseSlo(text: string): Slo {
  const m = PATTERN.exec(text);
  const expected = 'metric[(route)] op value, e.g. "p99 < 50ms" or "availability > 99.9%"';
  if (!m) throw new SloSyntaxError(`cannot read SLO "${text}"`, expected);
  const [, name, route, op, raw] = m;
  const metric = SLO_METRICS.find((x) => x.toLowerCase() === name.toLowerCase());
  if (!metric)
    throw new SloSyntaxError(`unknown SLO metric "${name}"`, `one of ${SLO_METRICS.join(", ")}`, name);
  let value: number;
  try {
    if (LATENCY.includes(metric)) value = parseDuration(raw);
    else if (metric === "throughput") value = parseRate(raw);
    else value = parsePercent(raw);
  } catch (e) {
    throw new SloSyntaxError(`SLO "${text}": ${(e as Error).message}`, expected);
  }
  return { text, metric, route: route ?? null, op: op as SloOp, value };
}
