// Rows of events waiting to be published, in commit order: a transactional
// outbox table, or the part of a database's change log a connector has not
// shipped yet. Each row has a message id (increasing with its position), a
// key and its commit time; a relay marks rows sent once the broker has
// acknowledged them. Rows are kept from the oldest unsent one on, so memory
// is the backlog, not the history. The appends of each row are counted: a
// row published again (its relay died before marking it sent) is a
// duplicate, told apart exactly.
import { grown } from "../kernel/typed-arrays.js";

export class EventRows {
  /** per physical slot (position - base) */
  private ids = new Float64Array(64);
  private keys = new Float64Array(64);
  private at = new Float64Array(64);
  private appends = new Int32Array(64);
  private sent = new Uint8Array(64);
  /** position of physical slot 0 */
  private base = 0;
  /** position of the oldest unsent row, and one past the newest row */
  head = 0;
  end = 0;
  /** rows not sent yet */
  pending = 0;
  /** appends of rows that had been appended before */
  duplicates = 0;
  /** rows appended at least once */
  published = 0;

  /** A row committed: returns its position. `id` must be greater than every earlier row's. */
  append(id: number, key: number, at: number): number {
    if (this.end > this.base && id <= this.ids[this.end - 1 - this.base])
      throw new Error(`event rows: id ${id} does not follow ${this.ids[this.end - 1 - this.base]}`);
    let i = this.end - this.base;
    if (i === this.ids.length) {
      this.compact();
      i = this.end - this.base;
      if (i === this.ids.length) {
        const n = this.ids.length * 2;
        this.ids = grown(this.ids, n);
        this.keys = grown(this.keys, n);
        this.at = grown(this.at, n);
        this.appends = grown(this.appends, n);
        this.sent = grown(this.sent, n);
      }
    }
    this.ids[i] = id;
    this.keys[i] = key;
    this.at[i] = at;
    this.appends[i] = 0;
    this.sent[i] = 0;
    this.pending++;
    return this.end++;
  }

  /** Drops the slots before the head (all sent). */
  private compact(): void {
    const drop = this.head - this.base;
    if (drop === 0) return;
    const n = this.end - this.head;
    this.ids.copyWithin(0, drop, drop + n);
    this.keys.copyWithin(0, drop, drop + n);
    this.at.copyWithin(0, drop, drop + n);
    this.appends.copyWithin(0, drop, drop + n);
    this.sent.copyWithin(0, drop, drop + n);
    this.base = this.head;
  }

  id(pos: number): number {
    return this.ids[pos - this.base];
  }
  key(pos: number): number {
    return this.keys[pos - this.base];
  }
  committedAt(pos: number): number {
    return this.at[pos - this.base];
  }
  isSent(pos: number): boolean {
    return pos < this.head || this.sent[pos - this.base] === 1;
  }

  /** Commit time of the oldest unsent row; -1 if every row is sent. */
  oldestUnsent(): number {
    return this.head < this.end ? this.at[this.head - this.base] : -1;
  }

  /** Positions of the first `n` unsent rows, oldest first. */
  unsent(n: number): number[] {
    const out: number[] = [];
    for (let p = this.head; p < this.end && out.length < n; p++)
      if (this.sent[p - this.base] === 0) out.push(p);
    return out;
  }

  /** The broker acknowledged row `pos`, and the relay recorded it: it is not published again. */
  markSent(pos: number): void {
    if (this.isSent(pos)) return;
    this.sent[pos - this.base] = 1;
    this.pending--;
    while (this.head < this.end && this.sent[this.head - this.base] === 1) this.head++;
  }

  /**
   * The message with id `id` was appended to the topic: true if it is the
   * row's first append. A row no longer kept was sent, hence appended before.
   */
  appended(id: number): boolean {
    const pos = this.find(id);
    if (pos < 0 || this.appends[pos - this.base]++ > 0) {
      this.duplicates++;
      return false;
    }
    this.published++;
    return true;
  }

  /** Position of the kept row with this id (ids increase with position), -1 if none. */
  private find(id: number): number {
    let lo = this.base;
    let hi = this.end - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.ids[mid - this.base];
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
