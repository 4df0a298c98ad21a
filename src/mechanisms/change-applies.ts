// The changes a change feed captured (TX-11, MQ-23), as an index applies
// them: each change is a message id (increasing in commit order), its key and
// its commit time. The first apply of a change records its staleness (commit
// to applied); an apply of a change already applied is a duplicate; an apply
// of a change older than one already applied for its key is out of order.
// Memory: the unapplied changes (the backlog) and the last applied id per
// key written.

export class ChangeApplies {
  /** unapplied changes in capture order: id -> key and commit time */
  private readonly waiting = new Map<number, { key: number; at: number }>();
  private readonly lastApplied = new Map<number, number>();
  captured = 0;
  applied = 0;
  duplicateApplies = 0;
  outOfOrder = 0;

  capture(id: number, key: number, at: number): void {
    this.waiting.set(id, { key, at });
    this.captured++;
  }

  /** Change `id` was applied: its staleness in ms, or -1 if it had been applied before. */
  apply(id: number, now: number): number {
    const w = this.waiting.get(id);
    if (w === undefined) {
      this.duplicateApplies++;
      return -1;
    }
    this.waiting.delete(id);
    this.applied++;
    const last = this.lastApplied.get(w.key) ?? -1;
    if (id < last) this.outOfOrder++;
    else this.lastApplied.set(w.key, id);
    return now - w.at;
  }

  get unapplied(): number {
    return this.waiting.size;
  }

  /** Commit time of the oldest change not yet applied; -1 if none. */
  oldestUnapplied(): number {
    for (const w of this.waiting.values()) return w.at;
    return -1;
  }
}
