// A replicated write-ahead log: entries (key, version, commit time, size in
// bytes, flags) at consecutive positions 1, 2, 3, ... The primary appends; followers track the
// positions they received and applied; entries every follower has applied are
// trimmed, so memory follows replication lag rather than the number of
// writes. A failover truncates the entries the new primary never received.

export class ReplicationLog {
  private keys = new Float64Array(1024);
  private versions = new Float64Array(1024);
  private times = new Float64Array(1024);
  private sizes = new Float64Array(1024);
  private marks = new Uint8Array(1024);
  /** position of the entry at array index `offset` */
  private first = 1;
  private offset = 0;
  /** highest position appended (0 = empty log) */
  head = 0;

  /** Appends an entry of `bytes` bytes with `flags` (the caller's meaning) and returns its position. */
  append(key: number, version: number, time: number, bytes = 0, flags = 0): number {
    const used = this.head - this.first + 1;
    if (this.offset + used === this.keys.length) this.grow(used);
    const i = this.offset + used;
    this.keys[i] = key;
    this.versions[i] = version;
    this.times[i] = time;
    this.sizes[i] = bytes;
    this.marks[i] = flags;
    return ++this.head;
  }

  /** Oldest position still held. */
  get tail(): number {
    return this.first;
  }

  /** Entries held: what trimming has not yet released. */
  get size(): number {
    return this.head - this.first + 1;
  }

  key(pos: number): number {
    return this.keys[this.index(pos)];
  }

  version(pos: number): number {
    return this.versions[this.index(pos)];
  }

  time(pos: number): number {
    return this.times[this.index(pos)];
  }

  bytes(pos: number): number {
    return this.sizes[this.index(pos)];
  }

  flags(pos: number): number {
    return this.marks[this.index(pos)];
  }

  /** Releases every entry at or below `pos` (all followers have applied them). */
  trimThrough(pos: number): void {
    const to = Math.min(pos, this.head);
    if (to < this.first) return;
    this.offset += to - this.first + 1;
    this.first = to + 1;
  }

  /** Discards every entry above `pos`: they were never replicated to the new primary. */
  truncateAfter(pos: number): void {
    if (pos >= this.head) return;
    if (pos < this.first - 1)
      throw new RangeError(`cannot truncate below the trimmed tail (${this.first - 1})`);
    this.head = pos;
  }

  private index(pos: number): number {
    if (!(pos >= this.first && pos <= this.head)) {
      throw new RangeError(`log position ${pos} is not held (holding ${this.first}..${this.head})`);
    }
    return this.offset + (pos - this.first);
  }

  /** Moves held entries to the front, doubling the arrays when they are more than half full. */
  private grow(used: number): void {
    const cap = used * 2 > this.keys.length ? this.keys.length * 2 : this.keys.length;
    const move = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a.subarray(this.offset, this.offset + used));
      return b;
    };
    const f64 = (n: number) => new Float64Array(n);
    this.keys = move(this.keys, f64);
    this.versions = move(this.versions, f64);
    this.times = move(this.times, f64);
    this.sizes = move(this.sizes, f64);
    this.marks = move(this.marks, (n) => new Uint8Array(n));
    this.offset = 0;
  }
}
