// Time-weighted level of a quantity that changes at events (busy servers,
// queue length): exact integral, so utilisation and mean queue length are
// averages over time, not over events.

export class TimeWeighted {
  level = 0;
  max = 0;
  private area = 0;
  private windowArea = 0;
  private last = 0;

  constructor(start = 0) {
    this.last = start;
  }

  /** Moves the level by `delta` at time `now`. */
  change(delta: number, now: number): void {
    const dt = now - this.last;
    if (dt > 0) {
      const a = this.level * dt;
      this.area += a;
      this.windowArea += a;
      this.last = now;
    }
    this.level += delta;
    if (this.level > this.max) this.max = this.level;
  }

  /** Integral of the level from the start to `now`. */
  integral(now: number): number {
    return this.area + this.level * (now - this.last);
  }

  /** Integral since the previous call (per-second series), then restarts the window. */
  takeWindow(now: number): number {
    const w = this.windowArea + this.level * (now - this.last);
    this.area += this.level * (now - this.last);
    this.last = now;
    this.windowArea = 0;
    return w;
  }
}
