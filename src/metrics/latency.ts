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

  percentile(p: number): number {
    return this.count === 0 ? 0 : this.hist.getValueAtPercentile(p) / US_PER_MS;
  }

  reset(): void {
    this.hist.reset();
    this.count = 0;
    this.sum = 0;
    this.max = 0;
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
