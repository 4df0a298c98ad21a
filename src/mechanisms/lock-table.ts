// Row locks in two modes, as a lock manager grants them under two-phase
// locking: any number of transactions may share a row (S), or one holds it
// exclusively (X). A transaction holding the only shared lock upgrades it to
// exclusive in place. Writers come first: while an exclusive request waits,
// new shared requests wait behind it, so a stream of readers cannot starve a
// writer. Two shared holders that both ask to upgrade wait for each other
// forever; the second to ask is refused (a deadlock, which the caller resolves
// by aborting it). With one row per request, that is the only cycle possible.
//
// Waiting is the caller's: lock() answers WAIT and records the request; the
// caller retries when the row is released, and calls forget() if it gives up.
// Memory follows rows locked or waited for, nothing else.

export const SHARED = 1;
export const EXCLUSIVE = 2;
export type LockMode = typeof SHARED | typeof EXCLUSIVE;

export const GRANTED = 0;
export const WAIT = 1;
export const DEADLOCK = 2;
export type LockResult = typeof GRANTED | typeof WAIT | typeof DEADLOCK;

class RowLocks {
  /** the exclusive holder, or -1 */
  x = -1;
  /** shared holders */
  shared: number[] = [];
  /** transactions waiting for an exclusive lock, in arrival order */
  wantX: number[] = [];
  /** transactions waiting for a shared lock */
  wantS: number[] = [];
}

export class LockTable {
  private readonly rows = new Map<number, RowLocks>();

  /** Rows some transaction holds a lock on. */
  get held(): number {
    let n = 0;
    for (const r of this.rows.values()) if (r.x >= 0 || r.shared.length > 0) n++;
    return n;
  }

  /** Whether anyone holds or waits for a lock on `key`. */
  busy(key: number): boolean {
    return this.rows.has(key);
  }

  /** The lock `txn` holds on `key`: EXCLUSIVE, SHARED or 0. */
  mode(key: number, txn: number): 0 | LockMode {
    const r = this.rows.get(key);
    if (r === undefined) return 0;
    if (r.x === txn) return EXCLUSIVE;
    return r.shared.includes(txn) ? SHARED : 0;
  }

  /** Whether `txn` could be granted `mode` on `key` right now. */
  grantable(key: number, txn: number, mode: LockMode): boolean {
    const r = this.rows.get(key);
    if (r === undefined) return true;
    if (r.x >= 0 && r.x !== txn) return false;
    if (mode === SHARED) return r.x === txn || r.wantX.every((t) => t === txn);
    return r.shared.every((t) => t === txn);
  }

  /** Grants `mode` if it can be granted now (no waiting: NO_WAIT); false otherwise. */
  tryLock(key: number, txn: number, mode: LockMode): boolean {
    if (!this.grantable(key, txn, mode)) return false;
    this.grant(this.row(key), txn, mode);
    return true;
  }

  /**
   * Asks for `mode` on `key`: GRANTED (now held), WAIT (recorded; ask again
   * once the row is released) or DEADLOCK (an upgrade that would wait for
   * another holder's upgrade; nothing is recorded and the shared lock is kept).
   */
  lock(key: number, txn: number, mode: LockMode): LockResult {
    if (this.tryLock(key, txn, mode)) return GRANTED;
    const r = this.row(key);
    if (mode === EXCLUSIVE) {
      if (r.shared.includes(txn) && r.wantX.some((t) => t !== txn && r.shared.includes(t))) return DEADLOCK;
      if (!r.wantX.includes(txn)) r.wantX.push(txn);
    } else if (!r.wantS.includes(txn)) r.wantS.push(txn);
    return WAIT;
  }

  /** Withdraws `txn`'s waiting requests on `key` (it gave up, or died). */
  forget(key: number, txn: number): void {
    const r = this.rows.get(key);
    if (r === undefined) return;
    remove(r.wantX, txn);
    remove(r.wantS, txn);
    this.tidy(key, r);
  }

  /** Releases every lock `txn` holds on `key` (and any request of it still waiting); whether it held one. */
  release(key: number, txn: number): boolean {
    const r = this.rows.get(key);
    if (r === undefined) return false;
    let held = false;
    if (r.x === txn) {
      r.x = -1;
      held = true;
    }
    held = remove(r.shared, txn) || held;
    remove(r.wantX, txn);
    remove(r.wantS, txn);
    this.tidy(key, r);
    return held;
  }

  /**
   * Releases the locks on the rows `rows` selects, except those `keep`
   * keeps (a crash: transactions die with their connections, prepared ones
   * survive in the log). Returns the rows whose locks changed.
   */
  releaseWhere(rows: (key: number) => boolean, keep: (key: number, txn: number) => boolean): number[] {
    const changed: number[] = [];
    for (const [key, r] of this.rows) {
      if (!rows(key)) continue;
      const before = r.shared.length + (r.x >= 0 ? 1 : 0);
      if (r.x >= 0 && !keep(key, r.x)) r.x = -1;
      r.shared = r.shared.filter((t) => keep(key, t));
      if (r.shared.length + (r.x >= 0 ? 1 : 0) !== before) changed.push(key);
    }
    for (const key of changed) this.tidy(key, this.rows.get(key)!);
    return changed;
  }

  private row(key: number): RowLocks {
    let r = this.rows.get(key);
    if (r === undefined) {
      r = new RowLocks();
      this.rows.set(key, r);
    }
    return r;
  }

  private grant(r: RowLocks, txn: number, mode: LockMode): void {
    if (mode === EXCLUSIVE) {
      remove(r.shared, txn); // an upgrade
      remove(r.wantX, txn);
      r.x = txn;
    } else {
      remove(r.wantS, txn);
      if (r.x !== txn && !r.shared.includes(txn)) r.shared.push(txn);
    }
  }

  private tidy(key: number, r: RowLocks): void {
    if (r.x < 0 && r.shared.length === 0 && r.wantX.length === 0 && r.wantS.length === 0)
      this.rows.delete(key);
  }
}

function remove(list: number[], x: number): boolean {
  const i = list.indexOf(x);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}
