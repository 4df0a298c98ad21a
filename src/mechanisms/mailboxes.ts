import { grown } from "../kernel/typed-arrays.js";
// Per-user FIFO mailboxes of events waiting to reach their user: a gateway's
// send buffers, or an offline store. Every event of every user lives in one
// pool of slots kept in typed arrays (publish time, per-user sequence number,
// a tag, an ordering key, the next slot), linked per user, so appending and delivering
// allocate nothing and memory is bounded by users x capacity per user.
//
// Deliveries always take a prefix: a message says "everything up to sequence
// number s", and whatever of that is still waiting is popped from the head.

export class Mailboxes {
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly counts: Int32Array;
  private readonly nextSeq: Int32Array;
  private time = new Float64Array(64);
  private seqs = new Int32Array(64);
  private tags = new Int32Array(64);
  /** a caller-defined ordering key per event (a conversation's sequence number, a sender's timestamp) */
  private keys = new Float64Array(64);
  private next = new Int32Array(64);
  private free = new Int32Array(64);
  private freeTop = 0;
  private used = 0;
  /** events waiting over all users */
  total = 0;
  /** the most events ever waiting at once */
  peak = 0;

  constructor(
    readonly users: number,
    /** events one user's mailbox holds; appending to a full one drops its oldest */
    readonly capacity: number,
  ) {
    if (!(capacity >= 1)) throw new RangeError(`mailbox capacity must be at least 1, got ${capacity}`);
    this.head = new Int32Array(users).fill(-1);
    this.tail = new Int32Array(users).fill(-1);
    this.counts = new Int32Array(users);
    this.nextSeq = new Int32Array(users);
  }

  /** Events waiting for `user`. */
  count(user: number): number {
    return this.counts[user];
  }

  /** Sequence number of `user`'s newest waiting event, -1 if none waits. */
  newest(user: number): number {
    const t = this.tail[user];
    return t < 0 ? -1 : this.seqs[t];
  }

  /** The sequence number the next event for `user` will get. */
  peekSeq(user: number): number {
    return this.nextSeq[user];
  }

  /**
   * Appends an event published at `time` (with a caller-defined `tag` and
   * ordering `key`) and returns its sequence number. When the mailbox is full
   * its oldest event is dropped first, and `onDrop` (if given) hears of it.
   */
  append(
    user: number,
    time: number,
    tag: number,
    onDrop?: (time: number, tag: number) => void,
    key = 0,
  ): number {
    if (this.counts[user] >= this.capacity) {
      const h = this.head[user];
      onDrop?.(this.time[h], this.tags[h]);
      this.popHead(user);
    }
    const s = this.alloc();
    const seq = this.nextSeq[user]++;
    this.time[s] = time;
    this.seqs[s] = seq;
    this.tags[s] = tag;
    this.keys[s] = key;
    this.next[s] = -1;
    const t = this.tail[user];
    if (t < 0) this.head[user] = s;
    else this.next[t] = s;
    this.tail[user] = s;
    this.counts[user]++;
    if (++this.total > this.peak) this.peak = this.total;
    return seq;
  }

  /**
   * Removes `user`'s waiting events with sequence numbers up to `seq`, oldest
   * first, calling `visit` with each one's publish time, tag and key. Returns
   * how many were removed (none when they were taken already).
   */
  takeUpTo(user: number, seq: number, visit: (time: number, tag: number, key: number) => void): number {
    let n = 0;
    for (let h = this.head[user]; h >= 0 && this.seqs[h] <= seq; h = this.head[user]) {
      visit(this.time[h], this.tags[h], this.keys[h]);
      this.popHead(user);
      n++;
    }
    return n;
  }

  /** Drops every event waiting for `user`; returns how many there were. */
  clear(user: number): number {
    const n = this.counts[user];
    while (this.head[user] >= 0) this.popHead(user);
    return n;
  }

  private popHead(user: number): void {
    const h = this.head[user];
    const nx = this.next[h];
    this.head[user] = nx;
    if (nx < 0) this.tail[user] = -1;
    this.counts[user]--;
    this.total--;
    this.free[this.freeTop++] = h;
  }

  private alloc(): number {
    if (this.freeTop > 0) return this.free[--this.freeTop];
    if (this.used === this.time.length) this.grow();
    return this.used++;
  }

  private grow(): void {
    const n = this.time.length * 2;
    this.time = grown(this.time, n);
    this.seqs = grown(this.seqs, n);
    this.tags = grown(this.tags, n);
    this.keys = grown(this.keys, n);
    this.next = grown(this.next, n);
    this.free = grown(this.free, n);
  }

  /** Slots ever allocated (memory held, whether in use or free). */
  get slots(): number {
    return this.used;
  }
}
