// Random variates for service times, think times, sizes and latencies.
// A `DistSpec` is plain data (what a design file says); `sampler` turns it into
// an object that draws from a stream. Means are exposed for theory checks.
import type { Rng } from "./rng.js";

export type DistSpec =
  | { type: "constant"; value: number }
  | { type: "uniform"; min: number; max: number }
  | { type: "exponential"; mean: number }
  | { type: "normal"; mean: number; stddev: number }
  | { type: "lognormal"; mu: number; sigma: number }
  | { type: "lognormal"; median: number; p99: number }
  | { type: "pareto"; scale: number; shape: number }
  | { type: "weibull"; scale: number; shape: number }
  | { type: "empirical"; values: number[]; weights?: number[] }
  | { type: "histogram"; buckets: { from: number; to: number; weight: number }[] }
  | { type: "mixture"; parts: { weight: number; dist: DistSpec }[] };

export interface Sampler {
  sample(rng: Rng): number;
  /** Exact mean (Infinity where it does not exist). */
  readonly mean: number;
  /** Exact second moment E[X^2] (Infinity where it does not exist). */
  readonly secondMoment: number;
}

/** z such that P(Z <= z) = 0.99 for a standard normal. */
const Z99 = 2.3263478740408408;

class Constant implements Sampler {
  constructor(readonly value: number) {}
  get mean() {
    return this.value;
  }
  get secondMoment() {
    return this.value * this.value;
  }
  sample(): number {
    return this.value;
  }
}

class Uniform implements Sampler {
  constructor(
    readonly min: number,
    readonly max: number,
  ) {}
  get mean() {
    return (this.min + this.max) / 2;
  }
  get secondMoment() {
    const { min: a, max: b } = this;
    return (a * a + a * b + b * b) / 3;
  }
  sample(rng: Rng): number {
    return this.min + (this.max - this.min) * rng.next();
  }
}

class Exponential implements Sampler {
  constructor(readonly mean: number) {}
  get secondMoment() {
    return 2 * this.mean * this.mean;
  }
  sample(rng: Rng): number {
    return -this.mean * Math.log(1 - rng.next());
  }
}

/** Standard normal by the Box-Muller transform (one variate per call, no cached pair, so streams stay simple). */
function standardNormal(rng: Rng): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Normal truncated at zero by resampling: times and sizes are never negative. */
class Normal implements Sampler {
  constructor(
    readonly mu: number,
    readonly sd: number,
  ) {}
  get mean() {
    return this.mu; // exact when the mass below zero is negligible; validation enforces mean >= 3 sd
  }
  get secondMoment() {
    return this.sd * this.sd + this.mu * this.mu;
  }
  sample(rng: Rng): number {
    for (;;) {
      const x = this.mu + this.sd * standardNormal(rng);
      if (x >= 0) return x;
    }
  }
}

class LogNormal implements Sampler {
  constructor(
    readonly mu: number,
    readonly sigma: number,
  ) {}
  get mean() {
    return Math.exp(this.mu + (this.sigma * this.sigma) / 2);
  }
  get secondMoment() {
    return Math.exp(2 * this.mu + 2 * this.sigma * this.sigma);
  }
  sample(rng: Rng): number {
    return Math.exp(this.mu + this.sigma * standardNormal(rng));
  }
}

class Pareto implements Sampler {
  constructor(
    readonly scale: number,
    readonly shape: number,
  ) {}
  get mean() {
    return this.shape > 1 ? (this.shape * this.scale) / (this.shape - 1) : Number.POSITIVE_INFINITY;
  }
  get secondMoment() {
    const a = this.shape;
    return a > 2 ? (a * this.scale * this.scale) / (a - 2) : Number.POSITIVE_INFINITY;
  }
  sample(rng: Rng): number {
    return this.scale / (1 - rng.next()) ** (1 / this.shape);
  }
}

class Weibull implements Sampler {
  constructor(
    readonly scale: number,
    readonly shape: number,
  ) {}
  get mean() {
    return this.scale * gamma(1 + 1 / this.shape);
  }
  get secondMoment() {
    return this.scale * this.scale * gamma(1 + 2 / this.shape);
  }
  sample(rng: Rng): number {
    return this.scale * (-Math.log(1 - rng.next())) ** (1 / this.shape);
  }
}

/** Weighted choice over a table by binary search on the cumulative weights. */
class Table implements Sampler {
  private readonly cum: Float64Array;
  readonly mean: number;
  readonly secondMoment: number;
  constructor(
    private readonly pick: (i: number, rng: Rng) => number,
    weights: number[],
    moments: (i: number) => [number, number],
  ) {
    const total = weights.reduce((s, w) => s + w, 0);
    this.cum = new Float64Array(weights.length);
    let acc = 0;
    let m1 = 0;
    let m2 = 0;
    for (let i = 0; i < weights.length; i++) {
      acc += weights[i] / total;
      this.cum[i] = acc;
      const [a, b] = moments(i);
      m1 += (weights[i] / total) * a;
      m2 += (weights[i] / total) * b;
    }
    this.cum[weights.length - 1] = 1;
    this.mean = m1;
    this.secondMoment = m2;
  }
  sample(rng: Rng): number {
    const u = rng.next();
    const c = this.cum;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return this.pick(lo, rng);
  }
}

export function sampler(spec: DistSpec): Sampler {
  switch (spec.type) {
    case "constant":
      return new Constant(spec.value);
    case "uniform":
      return new Uniform(spec.min, spec.max);
    case "exponential":
      return new Exponential(spec.mean);
    case "normal":
      return new Normal(spec.mean, spec.stddev);
    case "lognormal":
      if ("median" in spec) {
        const mu = Math.log(spec.median);
        return new LogNormal(mu, (Math.log(spec.p99) - mu) / Z99);
      }
      return new LogNormal(spec.mu, spec.sigma);
    case "pareto":
      return new Pareto(spec.scale, spec.shape);
    case "weibull":
      return new Weibull(spec.scale, spec.shape);
    case "empirical": {
      const v = spec.values;
      return new Table(
        (i) => v[i],
        spec.weights ?? v.map(() => 1),
        (i) => [v[i], v[i] * v[i]],
      );
    }
    case "histogram": {
      const b = spec.buckets;
      return new Table(
        (i, rng) => b[i].from + (b[i].to - b[i].from) * rng.next(),
        b.map((x) => x.weight),
        (i) => {
          const u = new Uniform(b[i].from, b[i].to);
          return [u.mean, u.secondMoment];
        },
      );
    }
    case "mixture": {
      const parts = spec.parts.map((p) => sampler(p.dist));
      return new Table(
        (i, rng) => parts[i].sample(rng),
        spec.parts.map((p) => p.weight),
        (i) => [parts[i].mean, parts[i].secondMoment],
      );
    }
  }
}

/** Lanczos approximation of the gamma function (|error| < 1e-13 for x > 0.5). */
export function gamma(x: number): number {
  const g = 7;
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
    12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const z = x - 1;
  let a = c[0];
  const t = z + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i] / (z + i);
  return Math.sqrt(2 * Math.PI) * t ** (z + 0.5) * Math.exp(-t) * a;
}
