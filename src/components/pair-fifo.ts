/** Growable FIFO of (number, number) pairs: messages in flight on one ordered link. */
export class PairFifo {
  private a = new Float64Array(32);
  private head = 0;
  length = 0;

  push(x: number, y: number): void {
    const cap = this.a.length >> 1;
    if (this.length === cap) {
      const b = new Float64Array(this.a.length * 2);
      for (let i = 0; i < this.length; i++) {
        const j = ((this.head + i) & (cap - 1)) * 2;
        b[i * 2] = this.a[j];
        b[i * 2 + 1] = this.a[j + 1];
      }
      this.a = b;
      this.head = 0;
    }
    const j = ((this.head + this.length++) & ((this.a.length >> 1) - 1)) * 2;
    this.a[j] = x;
    this.a[j + 1] = y;
  }

  /** First of the head pair. */
  get first(): number {
    return this.a[this.head * 2];
  }

  /** Second of the head pair. */
  get second(): number {
    return this.a[this.head * 2 + 1];
  }

  shift(): void {
    this.head = (this.head + 1) & ((this.a.length >> 1) - 1);
    this.length--;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }
}
