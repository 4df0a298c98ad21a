// Knee detection: where along a swept parameter a metric leaves its comfortable
// range. Two rules (docs/sweep.md states them for users):
//
//   ratio(f)     the baseline b is the metric at the first value of the
//                parameter (the values in the order swept: a range ascends);
//                the knee is the first value x_k (k >= 1) whose metric exceeds
//                f * b. Used for latencies: "p99 exceeds 10x its baseline
//                beyond x_{k-1}". No knee when b <= 0 (nothing succeeded) or
//                no value exceeds f * b.
//   above(t)     the knee is the first value x_k (k >= 0) whose metric exceeds
//                the absolute threshold t. Used for the error rate, whose
//                baseline is typically 0.
//
// "Exceeds" is strict, and uses the mean over seeds. The knee reports the last
// value still within (x_{k-1}, absent when k = 0) and the first beyond (x_k):
// the true crossing lies between them, so a finer grid there narrows it.

export type KneeRule = { kind: "ratio"; factor: number } | { kind: "above"; threshold: number };

export interface Knee {
  /** the metric at the first value (ratio rule) */
  baseline: number | null;
  /** the level the metric crossed */
  threshold: number;
  /** index of the last value within the threshold, before the first beyond; null if the first value is already beyond */
  lastWithin: number | null;
  /** index of the first value whose metric exceeds the threshold */
  firstBeyond: number;
}

export function detectKnee(ys: readonly number[], rule: KneeRule): Knee | null {
  if (ys.length === 0) return null;
  let threshold: number;
  let start: number;
  let baseline: number | null = null;
  if (rule.kind === "ratio") {
    baseline = ys[0];
    if (!(baseline > 0) || !Number.isFinite(baseline)) return null;
    threshold = rule.factor * baseline;
    start = 1;
  } else {
    threshold = rule.threshold;
    start = 0;
  }
  for (let k = start; k < ys.length; k++)
    if (ys[k] > threshold) return { baseline, threshold, lastWithin: k > 0 ? k - 1 : null, firstBeyond: k };
  return null;
}

/** The rules applied by archsim sweep, by metric key. */
export function kneeRules(factor: number): { metric: string; rule: KneeRule }[] {
  return [
    ...["latencyMs.p50", "latencyMs.p95", "latencyMs.p99"].map((metric) => ({
      metric,
      rule: { kind: "ratio", factor } as KneeRule,
    })),
    { metric: "errorRate", rule: { kind: "above", threshold: 0.01 } },
  ];
}
