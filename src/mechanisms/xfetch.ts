// Expiry arithmetic for caches, with time as an argument and randomness as a
// uniform draw passed in, so both are pure.
//
// Probabilistic early expiration (XFetch; Vattani, Chierichetti and Lowenstein,
// "Optimal Probabilistic Cache Stampede Prevention", VLDB 2015): a reader of a
// fresh entry recomputes it early when
//     now - delta * beta * ln(u) >= expiry,     u uniform in (0, 1],
// where delta is how long the value took to compute. -ln(u) is an exponential
// draw, so the chance of an early recompute grows smoothly as expiry nears,
// and with many readers one of them is very likely to refresh the entry shortly
// before it expires, instead of all of them missing at once after. beta > 1
// favours earlier recomputes, beta < 1 later ones.

/** Whether a read at `now` of an entry expiring at `expiry`, computed in `delta` ms, recomputes early. */
export function xfetchEarly(now: number, expiry: number, delta: number, beta: number, u: number): boolean {
  if (!(delta > 0) || !(beta > 0)) return now >= expiry;
  // u = 0 would be an infinitely early recompute: treat it as the smallest positive draw
  const gap = -delta * beta * Math.log(u > 0 ? u : Number.MIN_VALUE);
  return now + gap >= expiry;
}

/**
 * Probability that a read `before` ms ahead of expiry recomputes early:
 * P(-delta beta ln u >= before) = exp(-before / (delta beta)).
 */
export function xfetchProbability(before: number, delta: number, beta: number): number {
  if (before <= 0) return 1;
  if (!(delta > 0) || !(beta > 0)) return 0;
  return Math.exp(-before / (delta * beta));
}

/**
 * TTL jitter: a time to live drawn uniformly from ttl * [1 - jitter, 1 + jitter]
 * for a uniform draw u in [0, 1), so entries stored together do not all
 * expire together (cache avalanche).
 */
export function jitteredTtl(ttl: number, jitter: number, u: number): number {
  if (!(jitter > 0)) return ttl;
  return ttl * (1 + jitter * (2 * u - 1));
}
