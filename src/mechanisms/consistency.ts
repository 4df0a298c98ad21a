// Consistency checker: classifies every read against what the store had
// committed and what the reading session already knows, and accounts for
// acknowledged writes that a failover threw away. It is independent of how a
// store replicates: components report commits, acknowledgements, reads and
// rollbacks; the checker only compares integer versions.
//
// Versions are per (store, key): 1, 2, 3, ... in commit order, 0 = never
// written. Memory grows with keys touched per store, with (session, key)
// pairs touched per store, and with the gaps among acknowledged versions not
// yet declared durable; never with the number of reads or writes as such.

/** read() flag: older than the latest version committed when the read started */
export const STALE = 1;
/** read() flag: older than the session's own highest acknowledged write */
export const RYW = 2;
/** read() flag: older than a version this session already read */
export const MONOTONIC = 4;

export interface ConsistencyCounts {
  reads: number;
  stale: number;
  ryw: number;
  monotonic: number;
  /** fractions of reads (0 when there were no reads) */
  staleRate: number;
  rywRate: number;
  monotonicRate: number;
  /** time of the first violation of each kind, null if none */
  firstAt: { stale: number | null; ryw: number | null; monotonic: number | null };
}

export interface ConsistencyReport extends ConsistencyCounts {
  byRoute: ConsistencyCounts[];
  byStore: ConsistencyCounts[];
}

export interface ConsistencyStats {
  /** (store, key) pairs with state */
  keys: number;
  /** (store, session) pairs with state */
  sessions: number;
  /** (store, session, key) triples with state */
  sessionKeys: number;
  /** maximal runs of acknowledged, not yet durable versions held for loss accounting */
  ackRuns: number;
  /** allocated (session, key) slots, including growth headroom */
  slotCapacity: number;
}

/** Counts as reports name them. */
export interface ConsistencySummary {
  reads: number;
  staleReads: number;
  rywViolations: number;
  monotonicViolations: number;
  staleRate: number;
  rywRate: number;
  monotonicRate: number;
}

export function summarize(c: ConsistencyCounts): ConsistencySummary {
  return {
    reads: c.reads,
    staleReads: c.stale,
    rywViolations: c.ryw,
    monotonicViolations: c.monotonic,
    staleRate: c.staleRate,
    rywRate: c.rywRate,
    monotonicRate: c.monotonicRate,
  };
}

/**
 * State of one key in one store. Acknowledged versions above `durable` are
 * kept as sorted, disjoint, non-adjacent inclusive runs [s0, e0, s1, e1, ...]:
 * writes are acknowledged almost always in version order, so a key costs
 * one run until an unacknowledged commit (timeout, crash before reply)
 * leaves a gap. Exact, and bounded by gaps rather than by writes.
 */
class KeyState {
  committed = 0;
  durable = 0;
  runs: number[] = [];
}

// Per-counter layout in the Float64Arrays: reads, stale, ryw, monotonic,
// then the first-violation time of each kind (NaN until one happens).
const READS = 0;
const FIRST = 4;
const WIDTH = 7;

/** Flags that a read carries, as bits, in the order STALE, RYW, MONOTONIC. */
const KINDS = [STALE, RYW, MONOTONIC] as const;

export class ConsistencyChecker {
  readonly routes: number;
  readonly stores: number;
  private readonly keyState: Map<number, KeyState>[];
  // session -> key -> slot, per store. A nested map, not one map on a
  // combined number: session * 2^k + key overflows 2^53 for real key ranges,
  // and string keys cost about three times the memory (~155 B vs ~50 B per
  // pair measured on Node 20 at 10^6 pairs).
  private readonly sessionSlots: Map<number, Map<number, number>>[];
  // Slot-indexed, so a (session, key) pair costs one map entry and 16 bytes
  // rather than an object.
  private ackedBySlot = new Float64Array(1024);
  private seenBySlot = new Float64Array(1024);
  private slots = 0;
  private readonly overall = new Float64Array(WIDTH);
  private readonly perRoute: Float64Array;
  private readonly perStore: Float64Array;
  private readonly lostByStore: Float64Array;

  constructor(opts: { routes: number; stores: number }) {
    const { routes, stores } = opts;
    if (!Number.isInteger(routes) || routes < 1)
      throw new RangeError(`routes must be a positive integer, got ${routes}`);
    if (!Number.isInteger(stores) || stores < 1)
      throw new RangeError(`stores must be a positive integer, got ${stores}`);
    this.routes = routes;
    this.stores = stores;
    this.keyState = Array.from({ length: stores }, () => new Map<number, KeyState>());
    this.sessionSlots = Array.from({ length: stores }, () => new Map<number, Map<number, number>>());
    this.overall.fill(Number.NaN, FIRST);
    this.perRoute = new Float64Array(routes * WIDTH);
    this.perStore = new Float64Array(stores * WIDTH);
    for (let r = 0; r < routes; r++) this.perRoute.fill(Number.NaN, r * WIDTH + FIRST, (r + 1) * WIDTH);
    for (let s = 0; s < stores; s++) this.perStore.fill(Number.NaN, s * WIDTH + FIRST, (s + 1) * WIDTH);
    this.lostByStore = new Float64Array(stores);
  }

  /**
   * The authoritative copy of `store` committed `version` of `key`. Keeps the
   * maximum, so out-of-order reports (quorum acks arriving late) are harmless;
   * only rollback() moves it down.
   */
  committed(store: number, key: number, version: number, _now: number): void {
    const ks = this.key(store, key);
    if (version > ks.committed) ks.committed = version;
  }

  /** Latest committed version of `key` in `store`: what a caller captures as committedAtStart. */
  latestCommitted(store: number, key: number): number {
    this.checkStore(store);
    return this.keyState[store].get(key)?.committed ?? 0;
  }

  /**
   * The client of `session` saw its write of `version` succeed. Does not imply
   * committed(): stores that acknowledge before committing are exactly the ones
   * worth measuring. Duplicate acknowledgements (retries) count once.
   */
  writeAcknowledged(store: number, session: number, key: number, version: number, _now: number): void {
    const ks = this.key(store, key);
    if (version > ks.durable) insertVersion(ks.runs, version);
    const slot = this.slot(store, session, key);
    if (version > this.ackedBySlot[slot]) this.ackedBySlot[slot] = version;
  }

  /**
   * Versions of `key` up to `version` can no longer be lost (every replica that
   * could be promoted has them, or replication is synchronous). Optional: it
   * only lets the checker forget acknowledged versions, keeping memory bounded
   * by writes in flight when acknowledgements have gaps. Loss queries with a
   * surviving version below it are rejected, since they contradict it.
   */
  durableThrough(store: number, key: number, version: number, _now: number): void {
    const ks = this.key(store, key);
    if (version <= ks.durable) return;
    ks.durable = version;
    dropThrough(ks.runs, version);
  }

  /**
   * Classifies one read of `key` by `session` that returned version `returned`;
   * `committedAtStart` is latestCommitted() captured when the read began (the
   * read may overlap later commits, which must not make it stale). Returns the
   * STALE | RYW | MONOTONIC bits, so callers can also keep time series.
   *
   * A session with requests in flight at once (an open-loop user, a page
   * loading in parallel) may see a read overlap its own write or another read;
   * only what the session knew when the read began binds it. Pass
   * `ownAtStart` and `seenAtStart` (from ownWrite() and lastSeen() at the
   * start) to judge such reads exactly; without them, everything acknowledged
   * or seen before the read completed counts, which suits sequential sessions.
   */
  read(
    store: number,
    route: number,
    session: number,
    key: number,
    committedAtStart: number,
    returned: number,
    now: number,
    ownAtStart?: number,
    seenAtStart?: number,
  ): number {
    if (!(route >= 0 && route < this.routes && Number.isInteger(route))) {
      throw new RangeError(`route ${route} out of range [0, ${this.routes})`);
    }
    const slot = this.slot(store, session, key);
    let flags = 0;
    if (returned < committedAtStart) flags |= STALE;
    if (returned < (ownAtStart ?? this.ackedBySlot[slot])) flags |= RYW;
    if (returned < (seenAtStart ?? this.seenBySlot[slot])) flags |= MONOTONIC;
    if (returned > this.seenBySlot[slot]) this.seenBySlot[slot] = returned;
    tally(this.overall, 0, flags, now);
    tally(this.perRoute, route * WIDTH, flags, now);
    tally(this.perStore, store * WIDTH, flags, now);
    return flags;
  }

  /** The session's highest acknowledged write of `key` (0 if none), to capture when a read begins. */
  ownWrite(store: number, session: number, key: number): number {
    const slot = this.existingSlot(store, session, key);
    return slot < 0 ? 0 : this.ackedBySlot[slot];
  }

  /** The highest version of `key` the session has read (0 if none), to capture when a read begins. */
  lastSeen(store: number, session: number, key: number): number {
    const slot = this.existingSlot(store, session, key);
    return slot < 0 ? 0 : this.seenBySlot[slot];
  }

  /**
   * `store` failed over to a copy holding `survivingVersion(key)` of each key
   * it has seen. Acknowledged versions above that are counted as lost now,
   * because the new primary will hand the same version numbers to different
   * writes. The latest committed version drops to the survivor's. Session
   * state is kept: a session that read a lost version and now reads the
   * survivor's older one has genuinely gone back in time (MONOTONIC). Returns
   * the number of acknowledged writes lost by this rollback.
   */
  rollback(store: number, survivingVersion: (key: number) => number, _now: number): number {
    this.checkStore(store);
    let lost = 0;
    for (const [key, ks] of this.keyState[store]) {
      const survivor = this.survivor(ks, key, survivingVersion);
      lost += countAbove(ks.runs, survivor);
      truncateAbove(ks.runs, survivor);
      ks.committed = survivor;
    }
    this.lostByStore[store] += lost;
    return lost;
  }

  /**
   * Acknowledged writes of `store` lost over the run: those discarded by
   * earlier rollbacks plus those above `survivingVersion(key)` now. Does not
   * change any state, so it can be asked about several candidate survivors.
   */
  lostAcknowledgedWrites(store: number, survivingVersion: (key: number) => number): number {
    this.checkStore(store);
    let lost = this.lostByStore[store];
    for (const [key, ks] of this.keyState[store])
      lost += countAbove(ks.runs, this.survivor(ks, key, survivingVersion));
    return lost;
  }

  /** Number of `keys` whose version is not the same on every replica. */
  divergence(replicaVersions: ReadonlyArray<(key: number) => number>, keys: Iterable<number>): number {
    if (replicaVersions.length < 2) return 0;
    const first = replicaVersions[0];
    let diverged = 0;
    for (const key of keys) {
      const v = first(key);
      for (let i = 1; i < replicaVersions.length; i++) {
        if (replicaVersions[i](key) !== v) {
          diverged++;
          break;
        }
      }
    }
    return diverged;
  }

  /** Keys of `store` the checker has state for, for divergence() and reports. */
  keys(store: number): IterableIterator<number> {
    this.checkStore(store);
    return this.keyState[store].keys();
  }

  counts(): ConsistencyReport {
    const byRoute: ConsistencyCounts[] = [];
    for (let r = 0; r < this.routes; r++) byRoute.push(readCounts(this.perRoute, r * WIDTH));
    const byStore: ConsistencyCounts[] = [];
    for (let s = 0; s < this.stores; s++) byStore.push(readCounts(this.perStore, s * WIDTH));
    return { ...readCounts(this.overall, 0), byRoute, byStore };
  }

  stats(): ConsistencyStats {
    let keys = 0;
    let ackRuns = 0;
    for (const m of this.keyState) {
      keys += m.size;
      for (const ks of m.values()) ackRuns += ks.runs.length / 2;
    }
    let sessions = 0;
    for (const m of this.sessionSlots) sessions += m.size;
    return { keys, sessions, sessionKeys: this.slots, ackRuns, slotCapacity: this.seenBySlot.length };
  }

  private survivor(ks: KeyState, key: number, survivingVersion: (key: number) => number): number {
    const v = survivingVersion(key);
    if (v < ks.durable) {
      throw new RangeError(
        `key ${key}: surviving version ${v} is below the declared durable version ${ks.durable}`,
      );
    }
    return v;
  }

  private checkStore(store: number): void {
    if (!(store >= 0 && store < this.stores && Number.isInteger(store))) {
      throw new RangeError(`store ${store} out of range [0, ${this.stores})`);
    }
  }

  private key(store: number, key: number): KeyState {
    this.checkStore(store);
    const m = this.keyState[store];
    let ks = m.get(key);
    if (ks === undefined) {
      ks = new KeyState();
      m.set(key, ks);
    }
    return ks;
  }

  private existingSlot(store: number, session: number, key: number): number {
    this.checkStore(store);
    return this.sessionSlots[store].get(session)?.get(key) ?? -1;
  }

  private slot(store: number, session: number, key: number): number {
    this.checkStore(store);
    const bySession = this.sessionSlots[store];
    let byKey = bySession.get(session);
    if (byKey === undefined) {
      byKey = new Map();
      bySession.set(session, byKey);
    }
    let slot = byKey.get(key);
    if (slot === undefined) {
      slot = this.slots++;
      if (slot === this.seenBySlot.length) this.grow();
      byKey.set(key, slot);
    }
    return slot;
  }

  private grow(): void {
    const acked = new Float64Array(this.ackedBySlot.length * 2);
    acked.set(this.ackedBySlot);
    this.ackedBySlot = acked;
    const seen = new Float64Array(this.seenBySlot.length * 2);
    seen.set(this.seenBySlot);
    this.seenBySlot = seen;
  }
}

function tally(c: Float64Array, at: number, flags: number, now: number): void {
  c[at + READS]++;
  for (let i = 0; i < 3; i++) {
    if (flags & KINDS[i]) {
      c[at + 1 + i]++;
      if (Number.isNaN(c[at + FIRST + i])) c[at + FIRST + i] = now;
    }
  }
}

function readCounts(c: Float64Array, at: number): ConsistencyCounts {
  const reads = c[at + READS];
  const stale = c[at + 1];
  const ryw = c[at + 2];
  const monotonic = c[at + 3];
  const rate = (n: number) => (reads > 0 ? n / reads : 0);
  const time = (t: number) => (Number.isNaN(t) ? null : t);
  return {
    reads,
    stale,
    ryw,
    monotonic,
    staleRate: rate(stale),
    rywRate: rate(ryw),
    monotonicRate: rate(monotonic),
    firstAt: { stale: time(c[at + FIRST]), ryw: time(c[at + FIRST + 1]), monotonic: time(c[at + FIRST + 2]) },
  };
}

// Run-list helpers over [s0, e0, s1, e1, ...] (inclusive, sorted, with a gap
// of at least one version between runs).

/** Adds v; false if it was already there. */
function insertVersion(runs: number[], v: number): boolean {
  const n = runs.length;
  // The common case by far: the next version in order.
  if (n === 0 || v > runs[n - 1] + 1) {
    runs.push(v, v);
    return true;
  }
  if (v === runs[n - 1] + 1) {
    runs[n - 1] = v;
    return true;
  }
  // First run whose end reaches v - 1, i.e. the first run v could touch.
  let lo = 0;
  let hi = n / 2;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (runs[2 * mid + 1] >= v - 1) hi = mid;
    else lo = mid + 1;
  }
  const i = 2 * lo;
  if (runs[i] <= v) {
    if (runs[i + 1] >= v) return false;
    runs[i + 1] = v;
    if (i + 2 < n && runs[i + 2] === v + 1) {
      runs[i + 1] = runs[i + 3];
      runs.splice(i + 2, 2);
    }
    return true;
  }
  if (runs[i] === v + 1) runs[i] = v;
  else runs.splice(i, 0, v, v);
  return true;
}

function countAbove(runs: number[], survivor: number): number {
  let count = 0;
  for (let i = runs.length - 2; i >= 0; i -= 2) {
    const end = runs[i + 1];
    if (end <= survivor) break;
    count += end - Math.max(runs[i], survivor + 1) + 1;
  }
  return count;
}

function truncateAbove(runs: number[], survivor: number): void {
  let n = runs.length;
  while (n > 0 && runs[n - 2] > survivor) n -= 2;
  runs.length = n;
  if (n > 0 && runs[n - 1] > survivor) runs[n - 1] = survivor;
}

function dropThrough(runs: number[], version: number): void {
  let i = 0;
  while (i < runs.length && runs[i + 1] <= version) i += 2;
  // A run straddling `version` keeps its start: survivors are never below
  // `version`, so the versions under it are never counted.
  if (i > 0) runs.splice(0, i);
}
