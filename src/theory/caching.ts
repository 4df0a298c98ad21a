// Hit ratios of caches under the independent reference model (IRM: each
// request draws key i with a fixed probability p_i, independently), by the
// characteristic-time approximation of Che, Tung and Wang (2002):
//
//   LRU: an item is in the cache iff it was requested within the last T,
//        where T solves  sum_i (1 - e^{-p_i T}) = C,  and
//        hit = sum_i p_i (1 - e^{-p_i T}).
//   FIFO and random replacement (same hit ratio under IRM, Gelenbe 1973):
//        occupancy p_i T / (1 + p_i T), with sum_i p_i T / (1 + p_i T) = C and
//        hit = sum_i p_i · p_i T / (1 + p_i T).
//
// Both are accurate to within about a percentage point for catalogues of
// thousands of items and more (Fricker, Robert and Roberts, 2012).

/** Item probabilities: an array (index = key) or a function of the key. */
export type ItemProbabilities = Float64Array | ((k: number) => number);

export interface CacheTheory {
  /** long-run fraction of requests that hit */
  hitRatio: number;
  /** characteristic time T, in requests */
  characteristicTime: number;
}

export interface CacheTheoryOptions {
  /** items of a function-given law evaluated one by one before tail grouping (default 10^6) */
  exactItems?: number;
}

/**
 * Items evaluated one by one; beyond this the tail of a function-given
 * distribution is summed in geometric groups (see expand()).
 */
const EXACT_ITEMS = 1_000_000;
/** ratio between consecutive tail group boundaries */
const GROUP_RATIO = 1.0005;

/**
 * Probabilities as (p, multiplicity) pairs. The first EXACT_ITEMS items are
 * taken one by one. A longer function-given tail is grouped into runs
 * [a, b) with b ≈ a · GROUP_RATIO, each represented by p at its midpoint
 * times its length: this assumes p varies smoothly in the tail (true of Zipf
 * and other popularity laws, whose tails are monotone), and the error per
 * group is second order in its relative width, about 1e-7 here. A tail of
 * 10^9 keys costs ~14,000 groups instead of 10^9 terms.
 */
function expand(
  probabilities: ItemProbabilities,
  n: number,
  exactItems: number,
): { p: Float64Array; m: Float64Array } {
  if (!(n >= 0) || !Number.isInteger(n))
    throw new RangeError(`item count must be a non-negative integer, got ${n}`);
  if (probabilities instanceof Float64Array) {
    if (probabilities.length < n)
      throw new RangeError(`${n} items but only ${probabilities.length} probabilities`);
    return { p: probabilities.subarray(0, n), m: new Float64Array(0) };
  }
  const f = probabilities;
  const exact = Math.min(n, exactItems);
  const groups: number[] = [];
  const mult: number[] = [];
  for (let a = exact; a < n;) {
    const b = Math.min(n, Math.max(a + 1, Math.floor(a * GROUP_RATIO)));
    groups.push(f(Math.floor((a + b - 1) / 2)));
    mult.push(b - a);
    a = b;
  }
  const p = new Float64Array(exact + groups.length);
  const m = new Float64Array(groups.length === 0 ? 0 : exact + groups.length).fill(1);
  for (let k = 0; k < exact; k++) p[k] = f(k);
  for (let g = 0; g < groups.length; g++) {
    p[exact + g] = groups[g];
    m[exact + g] = mult[g];
  }
  return { p, m };
}

type Occupancy = (pT: number) => number;
const lruOccupancy: Occupancy = (x) => -Math.expm1(-x);
const fifoOccupancy: Occupancy = (x) => x / (1 + x);

/**
 * Solves sum_i m_i occ(p_i T) = C for T. The left side is increasing and
 * concave in T, so the root is bracketed by doubling and then found by
 * bisection in log T, which needs no derivative and converges in a fixed
 * number of passes over the items.
 */
function solve(
  probabilities: ItemProbabilities,
  n: number,
  capacity: number,
  occ: Occupancy,
  opts: CacheTheoryOptions,
): CacheTheory {
  const { p, m } = expand(probabilities, n, opts.exactItems ?? EXACT_ITEMS);
  const weighted = m.length > 0;
  let total = 0;
  for (let i = 0; i < p.length; i++) total += weighted ? p[i] * m[i] : p[i];
  if (!(total > 0)) throw new RangeError("probabilities must sum to a positive number");
  // Normalise rather than trust the caller's sum (a truncated or tail-grouped law).
  const scale = 1 / total;
  let items = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) items += weighted ? m[i] : 1;
  if (capacity <= 0) return { hitRatio: 0, characteristicTime: 0 };
  if (capacity >= items) return { hitRatio: 1, characteristicTime: Number.POSITIVE_INFINITY };

  const occupancy = (T: number): number => {
    let s = 0;
    for (let i = 0; i < p.length; i++) {
      const o = occ(p[i] * scale * T);
      s += weighted ? o * m[i] : o;
    }
    return s;
  };
  // occupancy(T) <= T (each item's occupancy is at most p_i T), so T = C is a lower bound
  let lo = capacity;
  let hi = capacity * 2;
  while (occupancy(hi) < capacity) {
    lo = hi;
    hi *= 2;
  }
  for (let iter = 0; iter < 200 && hi / lo > 1 + 1e-10; iter++) {
    const mid = Math.sqrt(lo * hi);
    if (occupancy(mid) < capacity) lo = mid;
    else hi = mid;
  }
  const T = Math.sqrt(lo * hi);
  let hit = 0;
  for (let i = 0; i < p.length; i++) {
    const q = p[i] * scale;
    const h = q * occ(q * T);
    hit += weighted ? h * m[i] : h;
  }
  return { hitRatio: hit, characteristicTime: T };
}

/**
 * LRU hit ratio of a cache holding `capacity` items out of n under IRM
 * (Che's approximation). Probabilities need not be normalised.
 */
export function cheLru(
  probabilities: ItemProbabilities,
  n: number,
  capacity: number,
  opts: CacheTheoryOptions = {},
): CacheTheory {
  return solve(probabilities, n, capacity, lruOccupancy, opts);
}

/** FIFO hit ratio under IRM (characteristic-time approximation for FIFO). */
export function cheFifo(
  probabilities: ItemProbabilities,
  n: number,
  capacity: number,
  opts: CacheTheoryOptions = {},
): CacheTheory {
  return solve(probabilities, n, capacity, fifoOccupancy, opts);
}

/** Random replacement has the same IRM hit ratio as FIFO (Gelenbe, 1973). */
export const cheRandom = cheFifo;

/** Probability that item with request probability p is in an LRU cache of characteristic time T. */
export function lruHitProbability(p: number, T: number): number {
  return -Math.expm1(-p * T);
}

/** Probability that item with request probability p is in a FIFO or random cache of characteristic time T. */
export function fifoHitProbability(p: number, T: number): number {
  return (p * T) / (1 + p * T);
}
