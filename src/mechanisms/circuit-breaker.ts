// A circuit breaker (Hystrix / Resilience4j): CLOSED counts the outcomes of the
// last `window` calls; once at least `minCalls` are in and the failure rate
// reaches `failureRate`, it OPENS and refuses calls at once for `openMs`; then
// it is HALF-OPEN and lets `probes` calls through: if their failure rate stays
// under the threshold it closes (with a fresh window), otherwise it opens again.

export const CLOSED = 0;
export const OPEN = 1;
export const HALF_OPEN = 2;
export const BREAKER_STATES = ["closed", "open", "half-open"] as const;

export interface BreakerConfig {
  /** failure rate (0..1) that opens the circuit */
  failureRate: number;
  /** outcomes remembered (a count-based sliding window) */
  window: number;
  /** outcomes needed in the window before the rate is judged */
  minCalls: number;
  /** time spent open before probing (ms) */
  openMs: number;
  /** calls let through while half-open */
  probes: number;
}

export class CircuitBreaker {
  state = CLOSED;
  /** when the circuit last opened */
  openedAt = 0;
  private readonly ring: Uint8Array;
  private next = 0;
  private filled = 0;
  private failures = 0;
  /** half-open: probes let through, and their results so far */
  private probesSent = 0;
  private probesDone = 0;
  private probeFailures = 0;
  /** counts changes of state; tickets from an earlier state are stale */
  private generation = 0;

  constructor(
    private readonly cfg: BreakerConfig,
    /** called on every change of state */
    private readonly onChange: (state: number, nowMs: number) => void = () => {},
  ) {
    this.ring = new Uint8Array(cfg.window);
  }

  /**
   * Whether a call may go out now: -1 if not, otherwise a ticket to hand back
   * with its outcome. A half-open probe is counted as sent.
   */
  allow(nowMs: number): number {
    if (this.state === OPEN) {
      if (nowMs < this.openedAt + this.cfg.openMs) return -1;
      this.become(HALF_OPEN, nowMs);
    }
    if (this.state === HALF_OPEN) {
      if (this.probesSent >= this.cfg.probes) return -1;
      this.probesSent++;
    }
    return this.generation;
  }

  /**
   * The outcome of a call `allow` let through with `ticket`. Answers to calls
   * sent in an earlier state (before the circuit opened, say) are not counted:
   * a half-open verdict rests on its own probes only.
   */
  record(ok: boolean, nowMs: number, ticket: number): void {
    if (ticket !== this.generation) return;
    if (this.state === HALF_OPEN) {
      this.probesDone++;
      if (!ok) this.probeFailures++;
      if (this.probesDone < this.cfg.probes) return;
      if (this.probeFailures / this.probesDone >= this.cfg.failureRate) this.open(nowMs);
      else this.become(CLOSED, nowMs);
      return;
    }
    const bad = ok ? 0 : 1;
    if (this.filled === this.cfg.window) this.failures -= this.ring[this.next];
    else this.filled++;
    this.ring[this.next] = bad;
    this.failures += bad;
    this.next = (this.next + 1) % this.cfg.window;
    if (this.filled >= this.cfg.minCalls && this.failures / this.filled >= this.cfg.failureRate)
      this.open(nowMs);
  }

  /** Failure rate over the current window (closed state). */
  failureRateNow(): number {
    return this.filled > 0 ? this.failures / this.filled : 0;
  }

  private open(nowMs: number): void {
    this.openedAt = nowMs;
    this.become(OPEN, nowMs);
  }

  private become(state: number, nowMs: number): void {
    this.state = state;
    this.generation++;
    this.probesSent = 0;
    this.probesDone = 0;
    this.probeFailures = 0;
    if (state === CLOSED) {
      this.ring.fill(0);
      this.next = 0;
      this.filled = 0;
      this.failures = 0;
    }
    this.onChange(state, nowMs);
  }
}
