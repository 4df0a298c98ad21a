// The simulation clock and its pending-event set.
//
// A binary min-heap keyed by (time, insertion sequence) kept in parallel typed
// arrays: no object per event, no closure per event. Ties in time fire in the
// order they were scheduled, so a run is a pure function of its inputs.
// An event is (handler id, integer argument); handlers are registered once.

export type Handler = (arg: number) => void;

export class EventQueue {
  /** Current virtual time in milliseconds. */
  now = 0;
  /** Events fired so far. */
  fired = 0;
  private count = 0;
  private seq = 0;
  private time: Float64Array;
  private order: Float64Array; // a double counts exactly to 2^53
  private kind: Int32Array;
  private args: Int32Array;
  private readonly handlers: Handler[] = [];

  constructor(capacity = 1024) {
    this.time = new Float64Array(capacity);
    this.order = new Float64Array(capacity);
    this.kind = new Int32Array(capacity);
    this.args = new Int32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Time of the earliest pending event (Infinity when none). */
  peekTime(): number {
    return this.count > 0 ? this.time[0] : Number.POSITIVE_INFINITY;
  }

  /** Registers a handler and returns its id for `schedule`. */
  on(handler: Handler): number {
    this.handlers.push(handler);
    return this.handlers.length - 1;
  }

  /** Schedules handler `kind` to run with `arg` after `delay` ms (delay >= 0). */
  schedule(delay: number, kind: number, arg: number): void {
    this.at(this.now + delay, kind, arg);
  }

  /** Schedules at an absolute time (never earlier than now). */
  at(when: number, kind: number, arg: number): void {
    if (this.count === this.time.length) this.grow();
    const T = this.time;
    const O = this.order;
    const K = this.kind;
    const A = this.args;
    const t = Math.max(when, this.now);
    const s = this.seq++;
    let i = this.count++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const tp = T[p];
      if (tp < t || (tp === t && O[p] < s)) break;
      T[i] = tp;
      O[i] = O[p];
      K[i] = K[p];
      A[i] = A[p];
      i = p;
    }
    T[i] = t;
    O[i] = s;
    K[i] = kind;
    A[i] = arg;
  }

  /**
   * Fires events in order while the earliest is at or before `until`, at most
   * `maxEvents` of them. Returns the number fired. The clock stays at the last
   * fired event; callers advance it to `until` with `advanceTo` if they wish.
   */
  run(until: number, maxEvents: number): number {
    const H = this.handlers;
    let n = 0;
    while (this.count > 0 && n < maxEvents) {
      // Read through `this` every time: a handler that schedules may grow the
      // heap, which replaces the arrays.
      const t = this.time[0];
      if (t > until) break;
      const kind = this.kind[0];
      const arg = this.args[0];
      this.now = t;
      this.popRoot();
      n++;
      H[kind](arg);
    }
    this.fired += n;
    return n;
  }

  advanceTo(t: number): void {
    if (t > this.now) this.now = t;
  }

  private popRoot(): void {
    const T = this.time;
    const O = this.order;
    const K = this.kind;
    const A = this.args;
    const n = --this.count;
    if (n === 0) return;
    const t = T[n];
    const s = O[n];
    const k = K[n];
    const a = A[n];
    let i = 0;
    const half = n >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      const r = c + 1;
      if (r < n && (T[r] < T[c] || (T[r] === T[c] && O[r] < O[c]))) c = r;
      const tc = T[c];
      if (t < tc || (t === tc && s < O[c])) break;
      T[i] = tc;
      O[i] = O[c];
      K[i] = K[c];
      A[i] = A[c];
      i = c;
    }
    T[i] = t;
    O[i] = s;
    K[i] = k;
    A[i] = a;
  }

  private grow(): void {
    const cap = Math.max(16, this.time.length * 2); // doubling zero would stay zero
    const t = new Float64Array(cap);
    const o = new Float64Array(cap);
    const k = new Int32Array(cap);
    const a = new Int32Array(cap);
    t.set(this.time);
    o.set(this.order);
    k.set(this.kind);
    a.set(this.args);
    this.time = t;
    this.order = o;
    this.kind = k;
    this.args = a;
  }
}
