// Conflict detection and resolution for replicated writes: version vectors,
// last-write-wins, sibling sets and state-based CRDT counters. Pure values and
// small replica objects; nothing here knows about simulated time or messages,
// so a store component decides when states travel and these decide what a
// replica keeps when they arrive.

/**
 * A version vector indexed by node: `v[i]` counts the writes node i
 * coordinated. A plain array rather than a Map because nodes in a design are
 * dense small integers, arrays compare and copy cheaply, and they print
 * readably in test failures. Missing trailing entries mean 0, so vectors of
 * different lengths compare as if padded: `[1]` equals `[1, 0, 0]`. Functions
 * never mutate their arguments.
 */
export type VersionVector = readonly number[];

export type Order = "before" | "after" | "equal" | "concurrent";

function checkNode(node: number): void {
  if (!Number.isInteger(node) || node < 0)
    throw new RangeError(`node must be a non-negative integer, got ${node}`);
}

function checkAmount(by: number): void {
  if (!Number.isInteger(by) || by < 0)
    throw new RangeError(`amount must be a non-negative integer, got ${by}`);
}

/** A copy of `v` with node's entry one higher: the version of a write coordinated by `node` on top of `v`. */
export function increment(v: VersionVector, node: number): VersionVector {
  checkNode(node);
  const out = v.slice();
  while (out.length <= node) out.push(0);
  out[node] += 1;
  return out;
}

/** Component-wise maximum: the least version that has seen everything `a` and `b` have. */
export function merge(a: VersionVector, b: VersionVector): VersionVector {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(a[i] ?? 0, b[i] ?? 0);
  return out;
}

/** How `a` relates to `b` in the happens-before order: "before" means `b` has seen everything `a` has, and more. */
export function compare(a: VersionVector, b: VersionVector): Order {
  let less = false;
  let greater = false;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x < y) less = true;
    else if (x > y) greater = true;
    if (less && greater) return "concurrent";
  }
  if (less) return "before";
  return greater ? "after" : "equal";
}

/** `a` has seen everything `b` has (after or equal). */
export function dominates(a: VersionVector, b: VersionVector): boolean {
  const o = compare(a, b);
  return o === "after" || o === "equal";
}

// ---------------------------------------------------------------------------
// Last-write-wins

/**
 * A write stamped by its coordinator. `(ts, node)` identifies the write: two
 * writes with equal stamps are taken to be the same write, so which of them
 * "wins" is immaterial.
 */
export interface StampedWrite<T> {
  ts: number;
  node: number;
  value: T;
}

/**
 * The LWW winner of two writes: the higher timestamp, then the higher node id.
 * The tie-break must be a total order every replica agrees on, or replicas
 * that see the two writes in different orders would keep different values.
 */
export function lwwWins<T>(a: StampedWrite<T>, b: StampedWrite<T>): StampedWrite<T> {
  if (a.ts !== b.ts) return a.ts > b.ts ? a : b;
  return b.node > a.node ? b : a;
}

export interface LwwOutcome<T> {
  winner: StampedWrite<T>;
  /** acknowledged writes whose value no replica will ever return: all but the winner */
  lost: number;
}

/** Resolves a set of concurrent writes to one key the way LWW does, counting the updates it silently drops. */
export function lwwResolve<T>(writes: readonly StampedWrite<T>[]): LwwOutcome<T> {
  if (writes.length === 0) throw new RangeError("lwwResolve needs at least one write");
  let winner = writes[0];
  for (let i = 1; i < writes.length; i++) winner = lwwWins(winner, writes[i]);
  return { winner, lost: writes.length - 1 };
}

/** An LWW register replica: a CRDT whose merge keeps the LWW winner, so replicas converge whatever the order. */
export class LWWRegister<T> {
  private current: StampedWrite<T> | null;

  constructor(initial: StampedWrite<T> | null = null) {
    this.current = initial;
  }

  /** Local write; `ts` is the writer's clock, which may be skewed, and that skew decides conflicts. */
  set(value: T, ts: number, node: number): void {
    checkNode(node);
    this.merge({ ts, node, value });
  }

  merge(other: LWWRegister<T> | StampedWrite<T> | null): void {
    const w = other instanceof LWWRegister ? other.current : other;
    if (w === null) return;
    this.current = this.current === null ? w : lwwWins(this.current, w);
  }

  get write(): StampedWrite<T> | null {
    return this.current;
  }

  get value(): T | undefined {
    return this.current?.value;
  }

  clone(): LWWRegister<T> {
    return new LWWRegister(this.current);
  }
}

// ---------------------------------------------------------------------------
// Siblings

export interface Sibling<T> {
  version: VersionVector;
  value: T;
}

/**
 * What a store keeps for one key under version-vector conflict detection:
 * the maximal versions written so far. A write that has seen a sibling
 * replaces it; a write concurrent with it is kept alongside, and both go back
 * to the reader, who merges them and writes back with `context()`.
 */
export class SiblingSet<T> {
  private items: Sibling<T>[] = [];

  /**
   * Offers a version. Returns false, changing nothing, when an existing
   * sibling already dominates it (a stale or duplicate delivery); otherwise
   * stores it and drops every sibling it dominates.
   */
  put(version: VersionVector, value: T): boolean {
    for (const s of this.items) if (dominates(s.version, version)) return false;
    this.items = this.items.filter((s) => compare(s.version, version) !== "before");
    this.items.push({ version: version.slice(), value });
    return true;
  }

  get siblings(): number {
    return this.items.length;
  }

  values(): readonly Sibling<T>[] {
    return this.items;
  }

  /** The merge of all siblings' versions: a client that writes `increment(context(), node)` supersedes them all. */
  context(): VersionVector {
    let v: VersionVector = [];
    for (const s of this.items) v = merge(v, s.version);
    return v;
  }
}

// ---------------------------------------------------------------------------
// CRDT counters

/**
 * Grow-only counter replica. Each node only ever raises its own entry, so
 * entries are monotone and the component-wise maximum is a merge that is
 * commutative, associative and idempotent: replicas agree once they have
 * seen the same increments, however states are reordered or duplicated.
 */
export class GCounter {
  private counts: number[];

  constructor(counts: readonly number[] = []) {
    for (const c of counts) checkAmount(c);
    this.counts = counts.slice();
  }

  increment(node: number, by = 1): void {
    checkNode(node);
    checkAmount(by);
    while (this.counts.length <= node) this.counts.push(0);
    this.counts[node] += by;
  }

  merge(other: GCounter): void {
    this.counts = merge(this.counts, other.counts) as number[];
  }

  get value(): number {
    let sum = 0;
    for (const c of this.counts) sum += c;
    return sum;
  }

  state(): readonly number[] {
    return this.counts.slice();
  }

  clone(): GCounter {
    return new GCounter(this.counts);
  }
}

/**
 * Counter that also decrements: two grow-only counters, value = P − N. A single
 * per-node signed count would not do, because max() cannot tell a newer lower
 * count from an older one.
 */
export class PNCounter {
  private readonly p: GCounter;
  private readonly n: GCounter;

  constructor(p: readonly number[] = [], n: readonly number[] = []) {
    this.p = new GCounter(p);
    this.n = new GCounter(n);
  }

  increment(node: number, by = 1): void {
    this.p.increment(node, by);
  }

  decrement(node: number, by = 1): void {
    this.n.increment(node, by);
  }

  merge(other: PNCounter): void {
    this.p.merge(other.p);
    this.n.merge(other.n);
  }

  get value(): number {
    return this.p.value - this.n.value;
  }

  state(): { p: readonly number[]; n: readonly number[] } {
    return { p: this.p.state(), n: this.n.state() };
  }

  clone(): PNCounter {
    return new PNCounter(this.p.state(), this.n.state());
  }
}
