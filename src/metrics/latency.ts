// Latency distributions: HdrHistogram for percentiles (bounded memory whatever
// the number of samples) plus an exact running sum for the mean, which theory
// checks compare against closed forms.
import * as hdr from "hdr-histogram-js";

/** Histograms store integer microseconds; latencies are milliseconds. */
const US_PER_MS = 1000;
const MAX_TRACKABLE_US = 24 * 3600 * 1e6;

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export function newHistogram(significantDigits: 2 | 3 = 3): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_TRACKABLE_US,
    numberOfSignificantValueDigits: significantDigits,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** The fields of hdr-histogram-js's JsHistogram that locate a value's counter. */
interface HdrInternals {
  getCountAtIndex(i: number): number;
  valueFromIndex(i: number): number;
  subBucketHalfCountMagnitude: number;
  subBucketHalfCount: number;
  unitMagnitude: number;
  countsArrayLength: number;
  incrementCountAtIndex(i: number): void;
  updateMinAndMax(v: number): void;
  incrementTotalCount(): void;
}

/**
 * Records one value in a JS HdrHistogram. The library locates the counter with
 * floating-point log2/pow (~100 ns a value, most of a simulated request's
 * budget); this computes the same index with integer bit counting, as the
 * Java original does, and leaves everything else to the library. Values that
 * do not fit 31 bits or need the histogram to grow take the library's path.
 */
export function recordFast(h: hdr.Histogram, value: number): void {
  const x = h as unknown as HdrInternals;
  if (value <= 0x7fffffff && x.unitMagnitude === 0) {
    const shm = x.subBucketHalfCountMagnitude;
    const b = 31 - Math.clz32(value) - shm;
    const bucket = Math.max(b, 0);
    const index = ((bucket + 1) << shm) + (value >>> bucket) - x.subBucketHalfCount;
    if (index < x.countsArrayLength) {
      x.incrementCountAtIndex(index);
      x.updateMinAndMax(value);
      x.incrementTotalCount();
      return;
    }
  }
  h.recordValue(value);
}

/**
 * A compact latency distribution for plots: counts in log-spaced buckets, ten
 * per decade. Bucket i holds the values v with edgesMs[i] <= v < edgesMs[i + 1];
 * only the span from the first to the last non-empty bucket is kept.
 */
export interface LatencyHistogram {
  edgesMs: number[];
  counts: number[];
}

export const HISTOGRAM_BUCKETS_PER_DECADE = 10;
/** Edges 10^(j/10) ms rounded to three significant digits, 1 us to 10^7 ms. */
const LOG_EDGES_MS: readonly number[] = Array.from(
  { length: 10 * HISTOGRAM_BUCKETS_PER_DECADE + 1 },
  (_, i) =>
    Number((10 ** ((i - 3 * HISTOGRAM_BUCKETS_PER_DECADE) / HISTOGRAM_BUCKETS_PER_DECADE)).toPrecision(3)),
);

/** Index of the log bucket holding `ms` (values past the last edge go to the last bucket). */
function logBucket(ms: number): number {
  let lo = 0;
  let hi = LOG_EDGES_MS.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (LOG_EDGES_MS[mid] <= ms) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export class LatencyRecorder {
  readonly hist: hdr.Histogram;
  count = 0;
  sum = 0;
  max = 0;

  constructor(significantDigits: 2 | 3 = 3) {
    this.hist = newHistogram(significantDigits);
  }

  record(ms: number): void {
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
    const us = Math.round(ms * US_PER_MS);
    recordFast(this.hist, us < 1 ? 1 : Math.min(us, MAX_TRACKABLE_US));
  }

  /** Folds another recorder in (used to build the overall figure from routes). */
  add(other: LatencyRecorder): void {
    if (other.count === 0) return;
    this.hist.add(other.hist);
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** The histogram answers with its bucket's upper edge; no percentile is above the largest value seen. */
  percentile(p: number): number {
    return this.count === 0 ? 0 : Math.min(this.hist.getValueAtPercentile(p) / US_PER_MS, this.max);
  }

  reset(): void {
    this.hist.reset();
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  /**
   * The distribution in log buckets. Each HdrHistogram counter (three
   * significant digits, far finer than a log bucket) goes to the bucket of its
   * lowest value: a counter straddling an edge is not split.
   */
  histogram(): LatencyHistogram {
    const counts = new Array<number>(LOG_EDGES_MS.length - 1).fill(0);
    if (this.count === 0) return { edgesMs: [], counts: [] };
    const h = this.hist as unknown as HdrInternals;
    let first = counts.length;
    let last = -1;
    for (let i = 0; i < h.countsArrayLength; i++) {
      const n = h.getCountAtIndex(i);
      if (n === 0) continue;
      const b = logBucket(h.valueFromIndex(i) / US_PER_MS);
      counts[b] += n;
      if (b < first) first = b;
      if (b > last) last = b;
    }
    return { edgesMs: LOG_EDGES_MS.slice(first, last + 2), counts: counts.slice(first, last + 1) };
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      mean: this.count === 0 ? 0 : this.sum / this.count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.max,
    };
  }
}
