// Load-balancing policies as pure objects. A policy sees the backends only
// through a BackendView (health, outstanding requests, weight, latency EWMA)
// and draws randomness from a caller-supplied source, so the simulator's
// seeded stream drives it and unit tests can drive it by hand. pick() runs
// once per request: no allocation and no closures in it.
import { HashRing, hash32, rendezvousScore, weightedRendezvousScore } from "./hashing.js";

export interface BackendView {
  readonly count: number;
  usable(i: number): boolean;
  /** requests outstanding at backend i, as the balancer counts them */
  active(i: number): number;
  weight(i: number): number;
  /** smoothed response time of backend i in ms (0 before the first sample) */
  latency(i: number): number;
}

export interface Balancer {
  /**
   * Chooses a backend index, or -1 when none is usable. hashKey is any
   * non-negative integer naming the affinity key (client IP, user, request
   * key); hash-based policies mix it again, so callers may pass raw ids.
   * rand returns uniforms in [0, 1) from the caller's seeded stream.
   */
  pick(view: BackendView, hashKey: number, rand: () => number): number;
}

export type BalancerAlgorithm =
  | "round-robin"
  | "weighted-round-robin"
  | "least-connections"
  | "least-response-time"
  | "ip-hash"
  | "consistent-hash"
  | "rendezvous"
  | "random"
  | "power-of-two";

export const BALANCER_ALGORITHMS: readonly BalancerAlgorithm[] = [
  "round-robin",
  "weighted-round-robin",
  "least-connections",
  "least-response-time",
  "ip-hash",
  "consistent-hash",
  "rendezvous",
  "random",
  "power-of-two",
];

export interface BalancerOptions {
  count: number;
  /** static weights, used to size consistent-hash vnodes; other policies read view.weight() */
  weights?: number[];
  /** virtual nodes per unit weight for consistent-hash (default 150) */
  vnodes?: number;
  /** ring / rendezvous seed (default 0) */
  seed?: number;
}

export function createBalancer(algorithm: BalancerAlgorithm, opts: BalancerOptions): Balancer {
  switch (algorithm) {
    case "round-robin":
      return new RoundRobin();
    case "weighted-round-robin":
      return new SmoothWeightedRoundRobin(opts.count);
    case "least-connections":
      return new LeastConnections();
    case "least-response-time":
      return new LeastResponseTime();
    case "ip-hash":
      return new IpHash();
    case "consistent-hash":
      return new ConsistentHash(opts.count, opts.vnodes ?? 150, opts.weights, opts.seed ?? 0);
    case "rendezvous":
      return new Rendezvous(opts.seed ?? 0);
    case "random":
      return new RandomChoice();
    case "power-of-two":
      return new PowerOfTwo();
    default:
      throw new RangeError(`unknown balancing algorithm: ${algorithm as string}`);
  }
}

/** Number of usable backends. */
export function countUsable(view: BackendView): number {
  let u = 0;
  for (let i = 0; i < view.count; i++) if (view.usable(i)) u++;
  return u;
}

/** Index of the r-th usable backend (0-based), skipping `except`; -1 if there is none. */
export function nthUsable(view: BackendView, r: number, except = -1): number {
  for (let i = 0; i < view.count; i++) {
    if (i === except || !view.usable(i)) continue;
    if (r-- === 0) return i;
  }
  return -1;
}

/**
 * Uniform draw over usable backends other than `except`. It first tries one
 * draw over all indices and falls back to an exact count when that lands on
 * an unusable one; the mixture is still exactly uniform over the usable set
 * (1/N + (N-u)/N · 1/u = 1/u), and the common all-healthy case costs O(1).
 */
function drawUsable(view: BackendView, rand: () => number, except: number): number {
  const n = view.count;
  const pool = except >= 0 ? n - 1 : n;
  if (pool <= 0) return -1;
  let i = Math.floor(rand() * pool);
  if (except >= 0 && i >= except) i++;
  if (view.usable(i)) return i;
  let u = countUsable(view);
  if (except >= 0 && view.usable(except)) u--;
  if (u <= 0) return -1;
  return nthUsable(view, Math.floor(rand() * u), except);
}

/** Fixed cycle over backends; an unusable backend is skipped, not retried. */
export class RoundRobin implements Balancer {
  private next = 0;
  pick(view: BackendView): number {
    const n = view.count;
    if (this.next >= n) this.next = 0; // the pool shrank
    for (let t = 0; t < n; t++) {
      let i = this.next + t;
      if (i >= n) i -= n;
      if (view.usable(i)) {
        this.next = i + 1 >= n ? 0 : i + 1;
        return i;
      }
    }
    return -1;
  }
}

/**
 * nginx's smooth weighted round robin: every pick adds each eligible
 * backend's weight to its running credit, takes the backend with the most
 * credit and charges it the total. Over any window of sum(w) picks each
 * backend gets exactly its weight, interleaved rather than in bursts. Weights
 * are read from the view on every pick, so they can change (slow start).
 */
export class SmoothWeightedRoundRobin implements Balancer {
  private credit: Float64Array;
  constructor(count: number) {
    this.credit = new Float64Array(Math.max(count, 0));
  }
  pick(view: BackendView): number {
    const n = view.count;
    if (this.credit.length < n) {
      const grown = new Float64Array(n);
      grown.set(this.credit);
      this.credit = grown;
    }
    const credit = this.credit;
    let total = 0;
    let best = -1;
    for (let i = 0; i < n; i++) {
      if (!view.usable(i)) continue;
      const w = view.weight(i);
      if (!(w > 0)) continue;
      total += w;
      credit[i] += w;
      if (best < 0 || credit[i] > credit[best]) best = i;
    }
    if (best >= 0) credit[best] -= total;
    return best;
  }
}

/**
 * Fewest outstanding requests per unit weight (nginx least_conn). The scan
 * starts after the previous choice, so ties rotate instead of always landing
 * on the lowest index: at equal load it degrades to round robin, not to
 * "everything to backend 0".
 */
/**
 * Picks the usable backend with the lowest score, scanning from just after the
 * previous choice so that ties rotate rather than all landing on index 0.
 */
abstract class RotatingMinimum implements Balancer {
  private start = 0;
  protected abstract score(view: BackendView, i: number, weight: number): number;
  pick(view: BackendView): number {
    const n = view.count;
    if (this.start >= n) this.start = 0; // the pool shrank
    let best = -1;
    let bestScore = 0;
    for (let t = 0; t < n; t++) {
      let i = this.start + t;
      if (i >= n) i -= n;
      if (!view.usable(i)) continue;
      const w = view.weight(i);
      if (!(w > 0)) continue;
      const score = this.score(view, i, w);
      if (best < 0 || score < bestScore) {
        best = i;
        bestScore = score;
      }
    }
    if (best >= 0) this.start = best + 1 >= n ? 0 : best + 1;
    return best;
  }
}

export class LeastConnections extends RotatingMinimum {
  protected score(view: BackendView, i: number, w: number): number {
    return view.active(i) / w;
  }
}

/** Keeps unmeasured backends comparable by load rather than all tied at zero. */
const LATENCY_FLOOR_MS = 1e-6;

/**
 * Lowest latency EWMA × (outstanding + 1), per unit weight. Latency alone
 * herds: every request goes to whichever backend looked fastest until its
 * average catches up, which it only does after the damage. Multiplying by the
 * queue a new request would join estimates its wait instead (the "peak EWMA" /
 * least-outstanding idea), so a fast server stops attracting traffic as soon
 * as requests pile up on it. Ties rotate as in least-connections.
 */
export class LeastResponseTime extends RotatingMinimum {
  protected score(view: BackendView, i: number, w: number): number {
    return ((view.latency(i) + LATENCY_FLOOR_MS) * (view.active(i) + 1)) / w;
  }
}

/**
 * hash(key) mod (number of usable backends), indexed into the usable list:
 * sticky while the pool is stable, but any health change or resize remaps
 * most clients, which is the weakness this policy is known for.
 */
export class IpHash implements Balancer {
  pick(view: BackendView, hashKey: number): number {
    const u = countUsable(view);
    if (u === 0) return -1;
    return nthUsable(view, hash32(hashKey) % u);
  }
}

/** A ring over backend indices; a down backend's keys go to the next usable vnode clockwise. */
export class ConsistentHash implements Balancer {
  readonly ring: HashRing;
  constructor(count: number, vnodes: number, weights: readonly number[] | undefined, seed: number) {
    const ids = Array.from({ length: count }, (_, i) => i);
    this.ring = new HashRing(ids, vnodes, { weights, seed });
  }
  pick(view: BackendView, hashKey: number): number {
    return this.ring.ownerIn(hash32(hashKey), view);
  }
}

/** Weighted highest-random-weight over usable backends (see hashing.ts). */
export class Rendezvous implements Balancer {
  constructor(private readonly seed: number) {}
  pick(view: BackendView, hashKey: number): number {
    const h = hash32(hashKey);
    // -w / ln(u) orders exactly as the raw hash when all weights are equal, so
    // the logarithms are only paid for when weights actually differ.
    let best = -1;
    let bestRaw = -1;
    let w0 = 0;
    let uniform = true;
    for (let i = 0; i < view.count; i++) {
      if (!view.usable(i)) continue;
      const w = view.weight(i);
      if (!(w > 0)) continue;
      if (best < 0) w0 = w;
      else if (w !== w0) uniform = false;
      const s = rendezvousScore(h, i, this.seed);
      if (s > bestRaw) {
        bestRaw = s;
        best = i;
      }
    }
    if (uniform) return best;
    best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < view.count; i++) {
      if (!view.usable(i)) continue;
      const s = weightedRendezvousScore(h, i, view.weight(i), this.seed);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    return best;
  }
}

/** Uniform over usable backends: the no-balancer baseline. */
export class RandomChoice implements Balancer {
  pick(view: BackendView, _hashKey: number, rand: () => number): number {
    return drawUsable(view, rand, -1);
  }
}

/**
 * Power of two choices (Mitzenmacher): two distinct usable backends drawn
 * uniformly, the one with fewer outstanding requests per unit weight wins,
 * ties to the first drawn. Max load drops from ~ln n / ln ln n (one choice)
 * to ~ln ln n / ln 2 with only two probes of state.
 */
export class PowerOfTwo implements Balancer {
  pick(view: BackendView, _hashKey: number, rand: () => number): number {
    const a = drawUsable(view, rand, -1);
    if (a < 0) return -1;
    const b = drawUsable(view, rand, a);
    if (b < 0) return a;
    const wa = view.weight(a);
    const wb = view.weight(b);
    // cross-multiplied so zero or fractional weights need no division
    return view.active(b) * wa < view.active(a) * wb ? b : a;
  }
}

export interface EwmaOptions {
  /**
   * Age at which a sample's influence halves (ms). The estimate is the
   * average of all samples weighted by 2^(-age / halfLife), so simultaneous
   * samples count equally and a burst after silence is not overweighted.
   */
  halfLife?: number;
  /** Per-sample smoothing factor in (0, 1], ignoring time (classic EWMA). */
  alpha?: number;
}

/** Exponentially weighted moving average for latency tracking; time is passed in. */
export class Ewma {
  private readonly halfLife: number;
  private readonly alpha: number;
  private sum = 0;
  private mass = 0;
  private last = 0;
  private current = 0;
  private samples = 0;

  constructor(opts: EwmaOptions) {
    this.halfLife = opts.halfLife ?? 0;
    this.alpha = opts.alpha ?? 0;
    if (this.halfLife > 0 === this.alpha > 0) {
      throw new RangeError("Ewma: give exactly one of halfLife > 0 or alpha in (0, 1]");
    }
    if (this.alpha > 1) throw new RangeError("Ewma: alpha must be in (0, 1]");
  }

  update(value: number, now = 0): number {
    if (this.halfLife > 0) {
      const dt = now - this.last;
      if (this.samples > 0 && dt > 0) {
        const decay = 2 ** (-dt / this.halfLife);
        this.sum *= decay;
        this.mass *= decay;
      }
      this.last = now;
      this.sum += value;
      this.mass += 1;
      this.current = this.sum / this.mass;
    } else {
      this.current = this.samples === 0 ? value : this.current + this.alpha * (value - this.current);
    }
    this.samples++;
    return this.current;
  }

  /** Current estimate (0 before any sample). */
  get value(): number {
    return this.current;
  }

  get count(): number {
    return this.samples;
  }

  reset(): void {
    this.sum = 0;
    this.mass = 0;
    this.last = 0;
    this.current = 0;
    this.samples = 0;
  }
}
