// How long a client waits before retrying a failed call: capped exponential
// backoff, with the jitter schemes compared in AWS's "Exponential Backoff And
// Jitter" (none, full, equal, decorrelated). Jitter spreads the retries of many
// clients that failed together, so they do not come back in lockstep.

export const JITTERS = ["none", "full", "equal", "decorrelated"] as const;
export type Jitter = (typeof JITTERS)[number];

export interface BackoffConfig {
  /** the first retry's wait before jitter (ms) */
  baseMs: number;
  /** no wait is longer than this (ms) */
  capMs: number;
  /** growth per retry (2 doubles it) */
  multiplier: number;
  jitter: Jitter;
}

/**
 * The wait before retry number `retry` (1 for the first retry). `previousMs`
 * is the wait before the previous retry (decorrelated jitter grows from it;
 * pass 0 for the first). `u` is a uniform draw in [0, 1).
 */
export function backoffDelay(cfg: BackoffConfig, retry: number, previousMs: number, u: number): number {
  const { baseMs, capMs } = cfg;
  if (cfg.jitter === "decorrelated") {
    // sleep = min(cap, random_between(base, previous * 3)), starting from base
    const prev = previousMs > 0 ? previousMs : baseMs;
    const hi = Math.max(baseMs, prev * 3);
    return Math.min(capMs, baseMs + u * (hi - baseMs));
  }
  const exp = Math.min(capMs, baseMs * cfg.multiplier ** (retry - 1));
  switch (cfg.jitter) {
    case "none":
      return exp;
    case "full":
      return u * exp;
    case "equal":
      return exp / 2 + (u * exp) / 2;
  }
}
