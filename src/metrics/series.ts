// Per-second time series: one row per simulated second, so memory grows with
// the simulated duration, never with the number of requests.

export class Series {
  readonly values: number[] = [];
  push(v: number): void {
    this.values.push(Number.isFinite(v) ? Math.round(v * 1000) / 1000 : 0);
  }
}

/** A named group of series sharing one time axis (seconds). */
export class SeriesSet {
  readonly t: number[] = [];
  private readonly byName = new Map<string, Series>();

  get(name: string): Series {
    let s = this.byName.get(name);
    if (!s) {
      s = new Series();
      // a series created late is padded so every column lines up with t
      for (let i = 0; i < this.t.length; i++) s.values.push(0);
      this.byName.set(name, s);
    }
    return s;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  tick(second: number): void {
    this.t.push(second);
  }

  toJSON(): Record<string, number[]> {
    const out: Record<string, number[]> = { t: this.t };
    for (const [k, s] of this.byName) out[k] = s.values;
    return out;
  }
}
