// One partition of a log (Kafka-style, MQ-04/MQ-07): an append-only sequence
// of messages addressed by offset 0, 1, 2, ..., stored in segments of a fixed
// number of messages. Retention deletes whole segments, oldest first, as a
// broker deletes segment files: by time (a segment goes once its newest
// message is older than the limit) or by size (the oldest goes while the rest
// still hold at least the limit). The active (newest) segment is never deleted.
//
// Each consumer group has a state byte per message (see the bit layout
// below) for exact delivery accounting. Memory follows what can still be read
// or redelivered, not the number of messages: once every group has committed
// past a sealed segment and nothing of it is being processed, its messages are
// dropped ("compacted") and only its count, bytes and newest time stay, for
// retention. A segment deleted while some of its messages are still being
// processed keeps their state until the last one ends.

/** completed processings of a message by one group, saturating at 3 */
export const COUNT_MASK = 0b11;
/** the group can never process it: skipped (committed but not processed) or deleted unread */
export const LOST = 0b100;
/** the group gave up on it after failed attempts */
export const FAILED = 0b1000;
/** copies of it being processed by the group right now (0..3), in bits 4-5 */
export const INFLIGHT_SHIFT = 4;
export const INFLIGHT_MASK = 0b11 << INFLIGHT_SHIFT;
/** with LOST: it was deleted by retention unread (rather than skipped) */
export const EXPIRED = 0b100_0000;
/** a delivery skipped by the group's dedup store (its id had already been processed) */
export const DEDUPED = 0b1000_0000;

class Segment {
  count = 0;
  bytes = 0;
  newest = -Infinity;
  /** messages of this segment being processed (any group) */
  pins = 0;
  /** deleted by retention: no longer readable */
  deleted = false;
  ids: Float64Array | null;
  keys: Float64Array | null;
  times: Float64Array | null;
  /** when the request each message descends from began (end-to-end latency is measured from it) */
  origins: Float64Array | null;
  sizes: Float64Array | null;
  /** offset of the previous message with the same key, -1 if none is held */
  prev: Float64Array | null;
  states: Uint8Array[] | null;

  constructor(
    readonly base: number,
    arrays: Arrays,
  ) {
    this.ids = arrays.ids;
    this.keys = arrays.keys;
    this.times = arrays.times;
    this.origins = arrays.origins;
    this.sizes = arrays.sizes;
    this.prev = arrays.prev;
    this.states = arrays.states;
  }

  get compacted(): boolean {
    return this.ids === null;
  }
}

interface Arrays {
  ids: Float64Array;
  keys: Float64Array;
  times: Float64Array;
  origins: Float64Array;
  sizes: Float64Array;
  prev: Float64Array;
  states: Uint8Array[];
}

export class PartitionLog {
  /** first offset still readable (the log start) */
  start = 0;
  /** offset the next message gets (the log end) */
  end = 0;
  /** bytes in readable segments */
  bytes = 0;
  /** segments from the oldest still held (deleted ones among them while pinned) to the active one */
  private segs: Segment[] = [];
  private head = 0;
  /** index (base / segmentSize) of segs[head] */
  private firstIndex = 0;
  /** per key, the offset of its latest message (only while that message's segment is not compacted) */
  private readonly lastOfKey = new Map<number, number>();
  private readonly spare: Arrays[] = [];

  constructor(
    readonly segmentSize: number,
    readonly groups: number,
  ) {
    if (!Number.isInteger(segmentSize) || segmentSize < 1)
      throw new Error(`segment size must be a positive integer, got ${segmentSize}`);
  }

  /**
   * Appends a message and returns its offset; `origin` is when the request it
   * descends from began (default: its append time).
   */
  append(id: number, key: number, time: number, size: number, origin = time): number {
    const o = this.end;
    const S = this.segmentSize;
    let seg = this.segs.length > this.head ? this.segs[this.segs.length - 1] : null;
    if (seg === null || seg.count === S) {
      seg = new Segment(o, this.arrays());
      if (this.segs.length === this.head) this.firstIndex = o / S;
      this.segs.push(seg);
    }
    const i = seg.count++;
    seg.ids![i] = id;
    seg.keys![i] = key;
    seg.times![i] = time;
    seg.origins![i] = origin;
    seg.sizes![i] = size;
    const p = this.lastOfKey.get(key);
    seg.prev![i] = p === undefined ? -1 : p;
    this.lastOfKey.set(key, o);
    for (const s of seg.states!) s[i] = 0;
    seg.bytes += size;
    if (time > seg.newest) seg.newest = time;
    this.bytes += size;
    this.end = o + 1;
    return o;
  }

  private arrays(): Arrays {
    const a = this.spare.pop();
    if (a) return a;
    const S = this.segmentSize;
    return {
      ids: new Float64Array(S),
      keys: new Float64Array(S),
      times: new Float64Array(S),
      origins: new Float64Array(S),
      sizes: new Float64Array(S),
      prev: new Float64Array(S),
      states: Array.from({ length: this.groups }, () => new Uint8Array(S)),
    };
  }

  /** The segment holding offset `o` with its messages, or null (compacted, or gone). */
  private detail(o: number): Segment | null {
    const k = Math.floor(o / this.segmentSize) - this.firstIndex;
    if (k < 0 || o >= this.end) return null;
    const seg = this.segs[this.head + k];
    return seg === undefined || seg.compacted ? null : seg;
  }

  private at(o: number): { seg: Segment; i: number } {
    const seg = this.detail(o);
    if (seg === null) throw new Error(`offset ${o} is not held (log ${this.start}..${this.end})`);
    return { seg, i: o - seg.base };
  }

  /**
   * The first offset at or after `start` whose message was appended at or
   * after `time` (Kafka's offsetsForTimes); `end` if none was. Needs the
   * details of every readable message (none compacted).
   */
  offsetAtTime(time: number): number {
    let lo = this.start;
    let hi = this.end;
    // append times never decrease along the log
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.time(mid) < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Offset of the latest message with `key`, -1 if none is held. */
  lastOffsetOf(key: number): number {
    return this.lastOfKey.get(key) ?? -1;
  }

  /** Whether the message at `o` is still held with its details (readable, or deleted but being processed). */
  holds(o: number): boolean {
    return this.detail(o) !== null;
  }

  id(o: number): number {
    const { seg, i } = this.at(o);
    return seg.ids![i];
  }

  key(o: number): number {
    const { seg, i } = this.at(o);
    return seg.keys![i];
  }

  time(o: number): number {
    const { seg, i } = this.at(o);
    return seg.times![i];
  }

  /** When the request the message at `o` descends from began. */
  origin(o: number): number {
    const { seg, i } = this.at(o);
    return seg.origins![i];
  }

  size(o: number): number {
    const { seg, i } = this.at(o);
    return seg.sizes![i];
  }

  /** Offset of the previous message with the same key, -1 if none is held. */
  prev(o: number): number {
    const { seg, i } = this.at(o);
    return seg.prev![i];
  }

  /** Group `g`'s state byte for the message at `o`; -1 if its details are no longer held. */
  state(g: number, o: number): number {
    const seg = this.detail(o);
    return seg === null ? -1 : seg.states![g][o - seg.base];
  }

  setState(g: number, o: number, v: number): void {
    const { seg, i } = this.at(o);
    seg.states![g][i] = v;
  }

  /** A copy of the message is being processed: its details stay until `unpin`. */
  pin(o: number): void {
    this.at(o).seg.pins++;
  }

  unpin(o: number): void {
    const seg = this.at(o).seg;
    seg.pins--;
    if (seg.deleted && seg.pins === 0) this.drop(seg);
    this.release();
  }

  /** Messages held with their details (memory in use), deleted ones being processed included. */
  get held(): number {
    let n = 0;
    for (let k = this.head; k < this.segs.length; k++) if (!this.segs[k].compacted) n += this.segs[k].count;
    return n;
  }

  /** Readable messages (end - start). */
  get length(): number {
    return this.end - this.start;
  }

  /**
   * Deletes the oldest readable segments that retention no longer allows:
   * those whose newest message is at or before `cutoff` (a time), and, while
   * the others still hold at least `maxBytes`, the oldest. The active segment
   * stays. `deleted(from, to)` is told of each deleted range of offsets while
   * their states can still be read.
   */
  retain(cutoff: number, maxBytes: number, deleted: (from: number, to: number) => void): void {
    for (;;) {
      let k = this.head;
      while (k < this.segs.length && this.segs[k].deleted) k++;
      if (k >= this.segs.length - 1) return; // nothing readable but the active segment
      const seg = this.segs[k];
      if (!(seg.newest <= cutoff || this.bytes - seg.bytes >= maxBytes)) return;
      seg.deleted = true;
      this.bytes -= seg.bytes;
      this.start = seg.base + seg.count;
      deleted(seg.base, seg.base + seg.count);
      if (seg.pins === 0 && !seg.compacted) this.drop(seg);
      this.release();
    }
  }

  /**
   * Deletes the sealed segments that lie wholly below offset `floor` (what
   * every reader has taken, where nothing is kept once delivered), telling
   * `deleted(from, to)` of each as retain does.
   */
  deliveredUpTo(floor: number, deleted: (from: number, to: number) => void): void {
    for (;;) {
      let k = this.head;
      while (k < this.segs.length && this.segs[k].deleted) k++;
      if (k >= this.segs.length - 1) return;
      const seg = this.segs[k];
      if (seg.base + seg.count > floor) return;
      seg.deleted = true;
      this.bytes -= seg.bytes;
      this.start = seg.base + seg.count;
      deleted(seg.base, seg.base + seg.count);
      if (seg.pins === 0 && !seg.compacted) this.drop(seg);
      this.release();
    }
  }

  /** Bytes of the readable messages at offset `o` and after (a reader's backlog from its position). */
  bytesFrom(o: number): number {
    if (o >= this.end) return 0;
    let total = 0;
    for (let k = this.segs.length - 1; k >= this.head; k--) {
      const seg = this.segs[k];
      if (seg.deleted) break;
      if (seg.base >= o) total += seg.bytes;
      else {
        if (seg.base + seg.count <= o) break;
        // o falls inside this segment: only its messages from o on
        if (seg.compacted) total += seg.bytes;
        else for (let i = o - seg.base; i < seg.count; i++) total += seg.sizes![i];
        break;
      }
    }
    return total;
  }

  /** Bytes of the readable sealed segments whose newest message is at or before `cutoff` (tiered storage offloads them). */
  bytesSealedBefore(cutoff: number): number {
    let total = 0;
    for (let k = this.head; k < this.segs.length - 1; k++) {
      const seg = this.segs[k];
      if (seg.deleted) continue;
      if (seg.newest > cutoff) break;
      total += seg.bytes;
    }
    return total;
  }

  /**
   * Drops the details of sealed segments that lie wholly below `floor` (the
   * lowest offset any group may still read, process or have redelivered) and
   * of which nothing is being processed.
   */
  compact(floor: number): void {
    for (let k = this.head; k < this.segs.length - 1; k++) {
      const seg = this.segs[k];
      if (seg.base + seg.count > floor) return;
      if (seg.compacted) continue;
      if (seg.pins > 0) return;
      this.drop(seg);
    }
    this.release();
  }

  private drop(seg: Segment): void {
    for (let i = 0; i < seg.count; i++) {
      const key = seg.keys![i];
      if (this.lastOfKey.get(key) === seg.base + i) this.lastOfKey.delete(key);
    }
    this.spare.push({
      ids: seg.ids!,
      keys: seg.keys!,
      times: seg.times!,
      origins: seg.origins!,
      sizes: seg.sizes!,
      prev: seg.prev!,
      states: seg.states!,
    });
    seg.ids = seg.keys = seg.times = seg.origins = seg.sizes = seg.prev = null;
    seg.states = null;
  }

  /** Forgets deleted segments at the front once nothing of them is being processed. */
  private release(): void {
    while (
      this.head < this.segs.length - 1 &&
      this.segs[this.head].deleted &&
      this.segs[this.head].pins === 0
    ) {
      const seg = this.segs[this.head];
      if (!seg.compacted) this.drop(seg);
      this.head++;
      this.firstIndex++;
    }
    if (this.head > 64 && this.head * 2 > this.segs.length) {
      this.segs = this.segs.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Removes the messages at `to` and after (a new leader that never received
   * them); none of them may be pinned or compacted. Offsets are given out again.
   */
  truncate(to: number): void {
    if (to >= this.end) return;
    if (to < this.start) throw new Error(`cannot truncate to ${to}: the log starts at ${this.start}`);
    for (let o = this.end - 1; o >= to; o--) {
      const { seg, i } = this.at(o);
      const key = seg.keys![i];
      const p = seg.prev![i];
      if (this.lastOfKey.get(key) === o) {
        if (p >= 0) this.lastOfKey.set(key, p);
        else this.lastOfKey.delete(key);
      }
      seg.bytes -= seg.sizes![i];
      this.bytes -= seg.sizes![i];
      seg.count--;
      if (seg.count === 0) {
        this.segs.pop();
        this.spare.push({
          ids: seg.ids!,
          keys: seg.keys!,
          times: seg.times!,
          origins: seg.origins!,
          sizes: seg.sizes!,
          prev: seg.prev!,
          states: seg.states!,
        });
      }
    }
    this.end = to;
    // the newest time of the (new) active segment
    const last = this.segs.length > this.head ? this.segs[this.segs.length - 1] : null;
    if (last && !last.compacted) {
      last.newest = -Infinity;
      for (let i = 0; i < last.count; i++) if (last.times![i] > last.newest) last.newest = last.times![i];
    }
  }
}
