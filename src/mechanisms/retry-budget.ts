// A retry budget (Finagle's RetryBudget, the service-mesh "retries at most 20%
// of requests"): over a sliding window, retries may not exceed `ratio` times
// the calls made plus a small reserve per second, so a client facing a failing
// dependency multiplies its load by at most (1 + ratio) instead of by its
// attempt count. Counts are kept per second of the window in a ring, so memory
// is fixed and old calls stop earning retries when they leave the window.

export interface RetryBudgetConfig {
  /** retries allowed per call made in the window (0.2 = 20%) */
  ratio: number;
  /** retries always allowed per second, so a quiet client can still retry */
  minPerSecond: number;
  /** the window calls and retries are counted over (ms, a whole number of seconds) */
  windowMs: number;
}

export class RetryBudget {
  private readonly calls: Float64Array;
  private readonly retries: Float64Array;
  private readonly slots: number;
  /** the second the ring's current slot counts */
  private second = 0;
  private callSum = 0;
  private retrySum = 0;

  constructor(private readonly cfg: RetryBudgetConfig) {
    this.slots = Math.max(1, Math.round(cfg.windowMs / 1000));
    this.calls = new Float64Array(this.slots);
    this.retries = new Float64Array(this.slots);
  }

  /** A call (a first attempt) was made at `nowMs`. */
  deposit(nowMs: number): void {
    this.advance(nowMs);
    this.calls[this.second % this.slots]++;
    this.callSum++;
  }

  /** Whether a retry may be made at `nowMs`; if so, it is counted. */
  tryWithdraw(nowMs: number): boolean {
    this.advance(nowMs);
    const allowed = this.cfg.ratio * this.callSum + this.cfg.minPerSecond * this.slots;
    if (this.retrySum + 1 > allowed) return false;
    this.retries[this.second % this.slots]++;
    this.retrySum++;
    return true;
  }

  /** Moves the window to the second `nowMs` falls in, forgetting seconds that left it. */
  private advance(nowMs: number): void {
    const s = Math.floor(nowMs / 1000);
    if (s <= this.second) return;
    const steps = Math.min(s - this.second, this.slots);
    for (let k = 1; k <= steps; k++) {
      const i = (this.second + k) % this.slots;
      this.callSum -= this.calls[i];
      this.retrySum -= this.retries[i];
      this.calls[i] = 0;
      this.retries[i] = 0;
    }
    this.second = s;
  }
}
