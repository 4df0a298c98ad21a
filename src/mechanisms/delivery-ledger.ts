// Exact delivery accounting for one consumer group of a log (MQ-10, MQ-11):
// every message the group is accountable for is, at any time, in exactly one
// class: processed once, processed more than once (duplicated), skipped by
// the dedup store (deduped), lost (never to be processed: committed before it
// was processed and then abandoned, or deleted by retention unread), failed
// (given up after failed attempts), or pending (not yet processed). The
// classes are kept as counters updated on each transition, from the
// per-message state bytes of the partition logs, so the report is exact
// without keeping a record per message.
//
// Ordering (MQ-04): a message whose processing completes, for the first time,
// while the previous message of the same key (same partition; or, for a key
// a partition count change moved, its last one in the old partition) has not
// yet been processed, lost or given up, is counted out of order.
import {
  COUNT_MASK,
  DEDUPED,
  EXPIRED,
  FAILED,
  INFLIGHT_MASK,
  INFLIGHT_SHIFT,
  LOST,
  type PartitionLog,
} from "./partition-log.js";

export interface DeliveryCounts {
  /** messages the group is accountable for: readable since it joined */
  messages: number;
  processedOnce: number;
  duplicated: number;
  deduped: number;
  lost: number;
  /** of lost: deleted by retention before the group processed them */
  lostToRetention: number;
  failed: number;
  pending: number;
  outOfOrder: number;
  /** completed processings (a duplicated message counts each time) */
  processings: number;
}

export class DeliveryLedger {
  processedOnce = 0;
  duplicated = 0;
  deduped = 0;
  lost = 0;
  lostToRetention = 0;
  failed = 0;
  outOfOrder = 0;
  processings = 0;
  /**
   * The previous message of the same key in another partition, for a
   * message whose key moved there (a topic's partition count changed):
   * [partition, offset], or null. Unset: keys never move.
   */
  crossPrev: ((p: number, o: number) => readonly [number, number] | null) | null = null;
  /** per partition: the first offset the group is accountable for (Infinity: not joined) */
  readonly from: Float64Array;

  constructor(
    readonly g: number,
    readonly logs: PartitionLog[],
  ) {
    this.from = new Float64Array(logs.length).fill(Infinity);
  }

  /** A copy of the message at `o` was handed to a consumer. */
  fetched(p: number, o: number): void {
    const log = this.logs[p];
    const s = log.state(this.g, o);
    if ((s & INFLIGHT_MASK) === INFLIGHT_MASK) throw new Error(`too many copies of ${p}/${o} in flight`);
    log.setState(this.g, o, s + (1 << INFLIGHT_SHIFT));
    log.pin(o);
  }

  private landed(p: number, o: number): number {
    const log = this.logs[p];
    const s = log.state(this.g, o);
    if ((s & INFLIGHT_MASK) === 0) throw new Error(`${p}/${o} is not in flight`);
    return s - (1 << INFLIGHT_SHIFT);
  }

  /** Leaves the class a message was in (before it changes). */
  private leave(s: number): void {
    const n = s & COUNT_MASK;
    if (n === 1) this.processedOnce--;
    else if (n > 1) this.duplicated--;
    else if (s & DEDUPED) this.deduped--;
    else if (s & LOST) {
      this.lost--;
      if (s & EXPIRED) this.lostToRetention--;
    } else if (s & FAILED) this.failed--;
  }

  /** The processing of a copy completed; returns whether it was the message's first. */
  completed(p: number, o: number): boolean {
    const log = this.logs[p];
    let s = this.landed(p, o);
    const n = s & COUNT_MASK;
    this.processings++;
    if (n === 0) {
      this.leave(s);
      this.processedOnce++;
      let pp = p;
      let prev = log.prev(o);
      const cross = prev < 0 && this.crossPrev ? this.crossPrev(p, o) : null;
      if (cross) [pp, prev] = cross;
      if (prev >= this.from[pp]) {
        const ps = this.logs[pp].state(this.g, prev);
        if (ps >= 0 && (ps & (COUNT_MASK | LOST | FAILED | DEDUPED)) === 0) this.outOfOrder++;
      }
      s = (s & ~(LOST | EXPIRED | FAILED | DEDUPED)) | 1;
    } else if (n === 1) {
      this.processedOnce--;
      this.duplicated++;
      s = (s & ~COUNT_MASK) | 2;
    } else if (n === 2) s = (s & ~COUNT_MASK) | 3;
    log.setState(this.g, o, s);
    log.unpin(o);
    return n === 0;
  }

  /** A copy was skipped because the group's dedup store had its id. */
  skipped(p: number, o: number): void {
    const log = this.logs[p];
    let s = this.landed(p, o);
    if ((s & (COUNT_MASK | DEDUPED)) === 0) {
      this.leave(s);
      this.deduped++;
      s = (s & ~(LOST | EXPIRED | FAILED)) | DEDUPED;
    }
    log.setState(this.g, o, s);
    log.unpin(o);
  }

  /** The group gave up on a copy after its attempts failed. */
  gaveUp(p: number, o: number): void {
    const log = this.logs[p];
    let s = this.landed(p, o);
    if ((s & (COUNT_MASK | DEDUPED | FAILED)) === 0) {
      this.leave(s);
      this.failed++;
      s = (s & ~(LOST | EXPIRED)) | FAILED;
    }
    log.setState(this.g, o, s);
    log.unpin(o);
  }

  /**
   * A copy ended unprocessed (its consumer died, or dropped it). The message
   * is lost if it can never come back: it lies below `committed` (the group
   * committed past it) or it was deleted meanwhile, and nothing else of the
   * group processed it or is processing it.
   */
  dropped(p: number, o: number, committed: number): void {
    const log = this.logs[p];
    let s = this.landed(p, o);
    if (
      (s & (COUNT_MASK | DEDUPED | FAILED | LOST | INFLIGHT_MASK)) === 0 &&
      (o < committed || o < log.start)
    ) {
      this.lost++;
      s |= LOST;
      if (o < log.start) {
        this.lostToRetention++;
        s |= EXPIRED;
      }
    }
    log.setState(this.g, o, s);
    log.unpin(o);
  }

  /**
   * The group's offset of partition p was moved forward over [from, to) (an
   * offset reset): the messages it had not processed, nor is processing, are
   * lost; returns how many.
   */
  skippedOver(p: number, from: number, to: number): number {
    const log = this.logs[p];
    let n = 0;
    for (let o = Math.max(from, this.from[p], log.start); o < to; o++) {
      const s = log.state(this.g, o);
      if (s < 0 || (s & (COUNT_MASK | DEDUPED | FAILED | LOST | INFLIGHT_MASK)) !== 0) continue;
      this.lost++;
      n++;
      log.setState(this.g, o, s | LOST);
    }
    return n;
  }

  /**
   * Retention deleted offsets [from, to): those the group is accountable for
   * and had not processed, nor is processing, are lost.
   */
  deleted(p: number, from: number, to: number): void {
    const log = this.logs[p];
    for (let o = Math.max(from, this.from[p]); o < to; o++) {
      const s = log.state(this.g, o);
      if (s < 0 || (s & (COUNT_MASK | DEDUPED | FAILED | LOST | INFLIGHT_MASK)) !== 0) continue;
      this.lost++;
      this.lostToRetention++;
      log.setState(this.g, o, s | LOST | EXPIRED);
    }
  }

  /**
   * The counts at the end of `readableTo` (per partition, the offset below
   * which messages are visible to consumers): messages since the group joined,
   * and the pending rest.
   */
  counts(readableTo: (p: number) => number): DeliveryCounts {
    let messages = 0;
    for (let p = 0; p < this.logs.length; p++) {
      const from = this.from[p];
      if (from !== Infinity) messages += Math.max(0, readableTo(p) - from);
    }
    const settled = this.processedOnce + this.duplicated + this.deduped + this.lost + this.failed;
    return {
      messages,
      processedOnce: this.processedOnce,
      duplicated: this.duplicated,
      deduped: this.deduped,
      lost: this.lost,
      lostToRetention: this.lostToRetention,
      failed: this.failed,
      pending: messages - settled,
      outOfOrder: this.outOfOrder,
      processings: this.processings,
    };
  }
}
