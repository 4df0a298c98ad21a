// A link of fixed bandwidth shared equally by the transfers in progress
// (egalitarian processor sharing, as TCP flows share a bottleneck): with n
// transfers each moves at bandwidth / n. Exact, with no per-byte events:
// "virtual time" counts the bytes each active transfer has received so far,
// so a transfer of S bytes added when it reads V finishes when it reaches
// V + S, and only the smallest such target can finish next. Pure: time is an
// argument, the caller schedules the completion it is told of.

export class SharedLink {
  /** bytes every active transfer has received since the link was last idle-reset */
  private virtual = 0;
  private last = 0;
  /** min-heap of (finish target, transfer id), in parallel arrays */
  private readonly finish: number[] = [];
  private readonly ids: number[] = [];
  private busySince = -1;
  private busyMs = 0;
  /** bytes carried by transfers that completed */
  bytes = 0;

  /** `bytesPerMs`: the link's whole bandwidth. */
  constructor(readonly bytesPerMs: number) {
    if (!(bytesPerMs > 0)) throw new RangeError(`SharedLink: bandwidth must be > 0, got ${bytesPerMs}`);
  }

  /** Transfers in progress. */
  get active(): number {
    return this.ids.length;
  }

  /** Starts a transfer of `bytes` at `now`. */
  add(id: number, bytes: number, now: number): void {
    this.advance(now);
    if (this.ids.length === 0) this.busySince = now;
    this.push(this.virtual + bytes, id);
  }

  /** When the next transfer completes if nothing is added meanwhile (Infinity: none in progress). */
  nextAt(now: number): number {
    if (this.ids.length === 0) return Number.POSITIVE_INFINITY;
    this.advance(now);
    return now + Math.max(0, this.finish[0] - this.virtual) * (this.ids.length / this.bytesPerMs);
  }

  /**
   * Removes the transfers complete at `now` (the head, at the time nextAt
   * gave, and any finishing together with it) and returns their ids.
   */
  complete(now: number): number[] {
    this.advance(now);
    const out: number[] = [];
    if (this.ids.length === 0) return out;
    // the head is due: rounding may leave it a hair short of its target
    const due = Math.max(this.virtual, this.finish[0]) * (1 + 1e-12);
    while (this.ids.length > 0 && this.finish[0] <= due) {
      out.push(this.ids[0]);
      this.pop();
    }
    if (this.ids.length === 0) this.idle(now);
    return out;
  }

  /** Ends every transfer in progress (the link's end died); returns their ids. */
  clear(now: number): number[] {
    this.advance(now);
    const out = this.ids.slice();
    this.finish.length = 0;
    this.ids.length = 0;
    if (out.length > 0) this.idle(now);
    return out;
  }

  /** Time (ms) the link has carried at least one transfer, up to `now`. */
  busyTime(now: number): number {
    return this.busyMs + (this.busySince >= 0 ? now - this.busySince : 0);
  }

  private idle(now: number): void {
    this.busyMs += now - this.busySince;
    this.busySince = -1;
    this.virtual = 0;
  }

  private advance(now: number): void {
    const n = this.ids.length;
    if (n > 0 && now > this.last) this.virtual += ((now - this.last) * this.bytesPerMs) / n;
    this.last = now;
  }

  private push(f: number, id: number): void {
    const h = this.finish;
    const ids = this.ids;
    let i = h.length;
    h.push(f);
    ids.push(id);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p] <= f) break;
      h[i] = h[p];
      ids[i] = ids[p];
      i = p;
    }
    h[i] = f;
    ids[i] = id;
  }

  private pop(): void {
    const h = this.finish;
    const ids = this.ids;
    const f = h.pop()!;
    const id = ids.pop()!;
    const n = h.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && h[l + 1] < h[l] ? l + 1 : l;
      if (h[c] >= f) break;
      h[i] = h[c];
      ids[i] = ids[c];
      i = c;
    }
    h[i] = f;
    ids[i] = id;
  }
}
