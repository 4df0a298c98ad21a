// Key popularity: which key a request touches. Keys are integers 0..n-1 with
// key 0 the most popular; no sampler holds memory proportional to n, so key
// spaces of 10^9 cost nothing.
import type { Rng } from "./rng.js";

/**
 * Keys that exist nowhere (cache penetration): a route's `missing` share of
 * requests asks for key MISSING_KEYS + k instead of k. Such a key reads as
 * "not found" (version 0) until something writes it; every key below
 * MISSING_KEYS exists from the start.
 */
export const MISSING_KEYS = 2 ** 52;

/** Whether a read of `key` that returned `version` found nothing. */
export function notFound(key: number, version: number): boolean {
  return version === 0 && key >= MISSING_KEYS;
}

export type KeySpec =
  | { type: "uniform"; keys: number }
  | { type: "zipf"; keys: number; s: number }
  | { type: "hotspot"; keys: number; hotKeys: number; hotTraffic: number }
  | { type: "sequential"; keys: number };

export interface KeySampler {
  sample(rng: Rng): number;
  /** Probability of key k (for theory checks). */
  probability(k: number): number;
  readonly keys: number;
}

class UniformKeys implements KeySampler {
  constructor(readonly keys: number) {}
  sample(rng: Rng): number {
    return rng.int(this.keys);
  }
  probability(): number {
    return 1 / this.keys;
  }
}

/**
 * Zipf over ranks 1..n with P(k) proportional to k^-s, by rejection-inversion
 * (Hörmann and Derflinger, 1996): O(1) expected time and memory for any n and s > 0.
 */
export class ZipfKeys implements KeySampler {
  private readonly hX1: number;
  private readonly hN: number;
  private readonly sC: number;
  private norm = 0;
  constructor(
    readonly keys: number,
    readonly s: number,
  ) {
    this.hX1 = this.hIntegral(1.5) - 1;
    this.hN = this.hIntegral(keys + 0.5);
    this.sC = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }
  sample(rng: Rng): number {
    for (;;) {
      const u = this.hN + rng.next() * (this.hX1 - this.hN);
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > this.keys) k = this.keys;
      if (k - x <= this.sC || u >= this.hIntegral(k + 0.5) - this.h(k)) return k - 1;
    }
  }
  probability(k: number): number {
    if (this.norm === 0) {
      // Generalised harmonic number: exact sum for small n, Euler-Maclaurin tail otherwise.
      const n = this.keys;
      const m = Math.min(n, 100000);
      let sum = 0;
      for (let i = 1; i <= m; i++) sum += i ** -this.s;
      if (n > m) {
        const f = (x: number) => (this.s === 1 ? Math.log(x) : x ** (1 - this.s) / (1 - this.s));
        sum += f(n) - f(m) + (n ** -this.s - m ** -this.s) / 2;
      }
      this.norm = sum;
    }
    return (k + 1) ** -this.s / this.norm;
  }
  private h(x: number): number {
    return Math.exp(-this.s * Math.log(x));
  }
  private hIntegral(x: number): number {
    const lx = Math.log(x);
    return helper2((1 - this.s) * lx) * lx;
  }
  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.s);
    if (t < -1) t = -1;
    return Math.exp(helper1(t) * x);
  }
}

function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}
function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}

/** A fraction of the keys (the first hotKeys) receives a fixed share of the traffic. */
class HotspotKeys implements KeySampler {
  constructor(
    readonly keys: number,
    private readonly hot: number,
    private readonly share: number,
  ) {}
  sample(rng: Rng): number {
    if (rng.next() < this.share) return Math.floor(rng.next() * this.hot);
    return this.hot + Math.floor(rng.next() * (this.keys - this.hot));
  }
  probability(k: number): number {
    return k < this.hot ? this.share / this.hot : (1 - this.share) / (this.keys - this.hot);
  }
}

/**
 * Ever-growing ids (auto-increment, time-ordered): each request touches the
 * next key, wrapping after the last. Under range sharding every request of
 * the moment lands in the same range: the hot-tail problem.
 */
class SequentialKeys implements KeySampler {
  private next = 0;
  constructor(readonly keys: number) {}
  sample(): number {
    const k = this.next;
    this.next = k + 1 === this.keys ? 0 : k + 1;
    return k;
  }
  probability(): number {
    return 1 / this.keys;
  }
}

export function keySampler(spec: KeySpec): KeySampler {
  switch (spec.type) {
    case "uniform":
      return new UniformKeys(spec.keys);
    case "zipf":
      return new ZipfKeys(spec.keys, spec.s);
    case "hotspot":
      return new HotspotKeys(spec.keys, spec.hotKeys, spec.hotTraffic);
    case "sequential":
      return new SequentialKeys(spec.keys);
  }
}
