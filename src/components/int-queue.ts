/** Growable FIFO ring of integers (job ids waiting for a worker). */
export class IntQueue {
  private buf = new Int32Array(16);
  private head = 0;
  length = 0;

  push(x: number): void {
    if (this.length === this.buf.length) {
      const nb = new Int32Array(this.buf.length * 2);
      for (let i = 0; i < this.length; i++) nb[i] = this.buf[(this.head + i) & (this.buf.length - 1)];
      this.buf = nb;
      this.head = 0;
    }
    this.buf[(this.head + this.length++) & (this.buf.length - 1)] = x;
  }

  /** The head, without removing it. */
  peek(): number {
    return this.buf[this.head];
  }

  shift(): number {
    const x = this.buf[this.head];
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.length--;
    return x;
  }

  /** Empties the queue, returning what it held in order. */
  drain(): number[] {
    const out: number[] = [];
    while (this.length > 0) out.push(this.shift());
    return out;
  }
}
