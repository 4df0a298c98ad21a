// The consistency checker's verdicts on one store's reads, second by second:
// what every store reports as series.staleReads, rywViolations and
// monotonicViolations.

export class ReadVerdicts {
  private window = [0, 0, 0];
  private readonly perSecond: number[][] = [[], [], []];

  /** One read's STALE | RYW | MONOTONIC bits. */
  note(flags: number): void {
    for (let k = 0; k < 3; k++) if (flags & (1 << k)) this.window[k]++;
  }

  tick(): void {
    for (let k = 0; k < 3; k++) this.perSecond[k].push(this.window[k]);
    this.window = [0, 0, 0];
  }

  series(): { staleReads: number[]; rywViolations: number[]; monotonicViolations: number[] } {
    const [staleReads, rywViolations, monotonicViolations] = this.perSecond;
    return { staleReads, rywViolations, monotonicViolations };
  }
}
