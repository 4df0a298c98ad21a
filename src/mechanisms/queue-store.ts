import { grown } from "../kernel/typed-arrays.js";
// The messages of a work queue (SQS/RabbitMQ-style, MQ-01, MQ-15, MQ-16,
// MQ-19, MQ-20): consumers compete for them, and a message is gone once it
// is deleted (acknowledged). A received message is invisible until it is
// deleted or made visible again (a nack, or its visibility timeout). Which
// ready message a receive gets:
//   standard: the longest waiting, but a message made visible again goes to
//             the back (so order is best effort);
//   fifo:     messages of one group (key) in order, one group's message at a
//             time: the group is held while one of its messages is out;
//   priority: the most important class (0 first) that has one, FIFO within.
//
// Delivery accounting, exact, as a consumer group's over a log: each message
// is processed once, duplicated, deduped, lost (deleted before it was
// processed, and its processing died), dead-lettered (received too often), or
// pending. Memory follows the messages held (not deleted, or being
// processed), not the messages that passed.

/** A growable FIFO ring of numbers (slots, or sequence numbers). */
class Ring {
  private buf = new Float64Array(16);
  private head = 0;
  length = 0;

  push(x: number): void {
    if (this.length === this.buf.length) {
      const nb = new Float64Array(this.buf.length * 2);
      for (let i = 0; i < this.length; i++) nb[i] = this.buf[(this.head + i) % this.buf.length];
      this.buf = nb;
      this.head = 0;
    }
    this.buf[(this.head + this.length++) % this.buf.length] = x;
  }

  peek(): number {
    return this.buf[this.head];
  }

  shift(): number {
    const x = this.buf[this.head];
    this.head = (this.head + 1) % this.buf.length;
    this.length--;
    return x;
  }

  drain(): number[] {
    const out: number[] = [];
    while (this.length > 0) out.push(this.shift());
    return out;
  }
}

const COUNT_MASK = 0b11;
const LOST = 0b100;
const DEAD = 0b1000;
const INFLIGHT_SHIFT = 4;
const INFLIGHT_MASK = 0b111 << INFLIGHT_SHIFT;
const DEDUPED = 0b1000_0000;

export type QueueOrder = "standard" | "fifo" | "priority";

export class QueueStore {
  // per slot
  private ids = new Float64Array(64);
  private keys = new Float64Array(64);
  private times = new Float64Array(64);
  /** when the request each message descends from began (end-to-end latency is measured from it) */
  private origins = new Float64Array(64);
  private classes = new Uint8Array(64);
  private receives = new Int32Array(64);
  private states = new Uint8Array(64);
  /** 1 once deleted (acknowledged, dead-lettered or expired) */
  private gone = new Uint8Array(64);
  /** 1 while received and not yet deleted or visible again */
  private out = new Uint8Array(64);
  /** bumped by every receive: a visibility timeout checks it is still about the same receive */
  private receipts = new Int32Array(64);
  /** the previous message of the same key (slot and its sequence number), for ordering */
  private prevSlot = new Int32Array(64);
  private prevSeq = new Float64Array(64);
  private seqs = new Float64Array(64);
  private readonly free: number[] = [];
  private used = 0;
  private seq = 0;
  /** per key: the slot of its latest message still held */
  private readonly lastOfKey = new Map<number, number>();
  /** every message's slot and sequence number in the order it arrived: the front is the oldest not deleted */
  private readonly arrival = new Ring();
  private readonly arrivalSeq = new Ring();
  private readonly ready: Ring[];
  /** fifo: per key (group) its ready messages in order, and whether one of them is out */
  private readonly groups = new Map<number, { q: Ring; held: boolean; queued: boolean }>();
  private readonly readyGroups = new Ring();
  private readonly groupKeys: number[] = [];
  private readonly groupIds = new Map<number, number>();
  private readonly freeGroups: number[] = [];
  /** messages not deleted, and of those the ones received and not visible again */
  depth = 0;
  inFlight = 0;
  readyCount = 0;
  enqueued = 0;
  processedOnce = 0;
  duplicated = 0;
  deduped = 0;
  lost = 0;
  deadLettered = 0;
  /** messages moved to the dead-letter queue, whatever their delivery accounting says */
  sentToDeadLetter = 0;
  outOfOrder = 0;
  processings = 0;

  constructor(readonly order: QueueOrder) {
    this.ready = Array.from({ length: order === "priority" ? 4 : 1 }, () => new Ring());
  }

  private grow(): void {
    const n = this.ids.length * 2;
    this.ids = grown(this.ids, n);
    this.keys = grown(this.keys, n);
    this.times = grown(this.times, n);
    this.origins = grown(this.origins, n);
    this.classes = grown(this.classes, n);
    this.receives = grown(this.receives, n);
    this.states = grown(this.states, n);
    this.gone = grown(this.gone, n);
    this.out = grown(this.out, n);
    this.receipts = grown(this.receipts, n);
    this.prevSlot = grown(this.prevSlot, n);
    this.prevSeq = grown(this.prevSeq, n);
    this.seqs = grown(this.seqs, n);
  }

  /** A new message; returns its slot. `origin`: when the request it descends from began (default: now). */
  enqueue(id: number, key: number, time: number, priorityClass: number, origin = time): number {
    let s = this.free.pop();
    if (s === undefined) {
      if (this.used === this.ids.length) this.grow();
      s = this.used++;
    }
    this.ids[s] = id;
    this.keys[s] = key;
    this.times[s] = time;
    this.origins[s] = origin;
    this.classes[s] = Math.min(3, Math.max(0, priorityClass));
    this.receives[s] = 0;
    this.states[s] = 0;
    this.gone[s] = 0;
    this.out[s] = 0;
    this.seqs[s] = this.seq++;
    const p = this.lastOfKey.get(key);
    this.prevSlot[s] = p === undefined ? -1 : p;
    this.prevSeq[s] = p === undefined ? -1 : this.seqs[p];
    this.lastOfKey.set(key, s);
    this.arrival.push(s);
    this.arrivalSeq.push(this.seqs[s]);
    this.depth++;
    this.enqueued++;
    this.makeReady(s, true);
    return s;
  }

  private groupOf(key: number) {
    let g = this.groups.get(key);
    if (!g) {
      g = { q: new Ring(), held: false, queued: false };
      this.groups.set(key, g);
    }
    return g;
  }

  private gid(key: number): number {
    let id = this.groupIds.get(key);
    if (id === undefined) {
      id = this.freeGroups.pop() ?? this.groupKeys.length;
      this.groupKeys[id] = key;
      this.groupIds.set(key, id);
    }
    return id;
  }

  /** Puts a message among the ready ones: a new one at the back; one made visible again at the back, or (fifo) the front of its group. */
  private makeReady(s: number, fresh: boolean): void {
    this.readyCount++;
    if (this.order !== "fifo") {
      this.ready[this.order === "priority" ? this.classes[s] : 0].push(s);
      return;
    }
    const key = this.keys[s];
    const g = this.groupOf(key);
    if (fresh) g.q.push(s);
    else {
      // back at the head of its group, ahead of the messages behind it
      const rest = g.q.drain();
      g.q.push(s);
      for (const r of rest) g.q.push(r);
      g.held = false;
    }
    if (!g.held && !g.queued) {
      g.queued = true;
      this.readyGroups.push(this.gid(key));
    }
  }

  /** Whether a receive would get a message now. */
  hasReady(): boolean {
    if (this.order !== "fifo") return this.readyCount > 0;
    return this.readyGroups.length > 0;
  }

  /** Takes the next ready message (it becomes invisible) and returns its slot, or -1. */
  take(): number {
    if (this.order === "fifo") {
      while (this.readyGroups.length > 0) {
        const gid = this.readyGroups.shift();
        const key = this.groupKeys[gid];
        const g = this.groups.get(key)!;
        g.queued = false;
        if (g.held || g.q.length === 0) continue;
        const s = g.q.shift();
        g.held = true;
        return this.received(s);
      }
      return -1;
    }
    for (const q of this.ready) if (q.length > 0) return this.received(q.shift());
    return -1;
  }

  private received(s: number): number {
    this.readyCount--;
    this.out[s] = 1;
    this.inFlight++;
    this.receives[s]++;
    this.receipts[s]++;
    return s;
  }

  receiveCount(s: number): number {
    return this.receives[s];
  }

  receipt(s: number): number {
    return this.receipts[s];
  }

  id(s: number): number {
    return this.ids[s];
  }

  key(s: number): number {
    return this.keys[s];
  }

  /** When the message was enqueued. */
  enqueuedAt(s: number): number {
    return this.times[s];
  }

  /** When the request the message descends from began. */
  origin(s: number): number {
    return this.origins[s];
  }

  priorityClass(s: number): number {
    return this.classes[s];
  }

  isGone(s: number): boolean {
    return this.gone[s] === 1;
  }

  /** Whether receive `receipt` of slot s is still the message's current one, out and not deleted. */
  isOut(s: number, receipt: number): boolean {
    return this.out[s] === 1 && this.receipts[s] === receipt && this.gone[s] === 0;
  }

  /** A received message is visible again (a nack, or its visibility timeout ran out). */
  release(s: number): void {
    if (this.out[s] === 0 || this.gone[s] === 1) return;
    this.out[s] = 0;
    this.inFlight--;
    this.makeReady(s, false);
  }

  /** Deletes a message (acknowledged, or moved to a dead-letter queue); a received one stops being out. */
  delete(s: number): void {
    if (this.gone[s] === 1) return;
    this.gone[s] = 1;
    this.depth--;
    if (this.out[s] === 1) {
      this.out[s] = 0;
      this.inFlight--;
      if (this.order === "fifo") this.unhold(this.keys[s]);
    } else {
      // deleted while ready (dead-lettered on receipt is handled as out): take it off the ready lists
      throw new Error(`slot ${s} deleted while not received`);
    }
    this.maybeFree(s);
  }

  /**
   * The message is dead-lettered: received more than allowed. A message a
   * copy of which already completed (its visibility timeout ran out while it
   * was processed) stays processed in the delivery accounting; one that is
   * dead-lettered and then completed by a copy still running becomes
   * processed (completed() takes it out of deadLettered).
   */
  deadLetter(s: number): void {
    this.sentToDeadLetter++;
    const st = this.states[s];
    if ((st & (COUNT_MASK | DEDUPED)) === 0) {
      this.setClass(s, DEAD);
      this.deadLettered++;
    }
    this.delete(s);
  }

  private unhold(key: number): void {
    const g = this.groups.get(key);
    if (!g) return;
    g.held = false;
    if (g.q.length > 0 && !g.queued) {
      g.queued = true;
      this.readyGroups.push(this.gid(key));
    } else if (g.q.length === 0 && !g.queued) {
      this.groups.delete(key);
      const id = this.groupIds.get(key)!;
      this.groupIds.delete(key);
      this.freeGroups.push(id);
    }
  }

  private setClass(s: number, flag: number): void {
    this.states[s] = (this.states[s] & INFLIGHT_MASK) | flag;
  }

  // ---------- delivery accounting ----------

  /** A copy was handed to a worker. */
  delivered(s: number): void {
    this.states[s] += 1 << INFLIGHT_SHIFT;
  }

  private landed(s: number): number {
    const st = this.states[s];
    if ((st & INFLIGHT_MASK) === 0) throw new Error(`slot ${s} has no copy in flight`);
    return st - (1 << INFLIGHT_SHIFT);
  }

  private leave(st: number): void {
    const n = st & COUNT_MASK;
    if (n === 1) this.processedOnce--;
    else if (n > 1) this.duplicated--;
    else if (st & DEDUPED) this.deduped--;
    else if (st & LOST) this.lost--;
    else if (st & DEAD) this.deadLettered--;
  }

  /** A processing of the message completed; returns whether it was the first. */
  completed(s: number): boolean {
    let st = this.landed(s);
    const n = st & COUNT_MASK;
    this.processings++;
    if (n === 0) {
      this.leave(st);
      this.processedOnce++;
      const p = this.prevSlot[s];
      // the previous message of its key, if still held and not yet done with
      if (
        p >= 0 &&
        this.seqs[p] === this.prevSeq[s] &&
        (this.states[p] & (COUNT_MASK | LOST | DEAD | DEDUPED)) === 0
      )
        this.outOfOrder++;
      st = (st & ~(LOST | DEDUPED | DEAD)) | 1;
    } else if (n === 1) {
      this.processedOnce--;
      this.duplicated++;
      st = (st & ~COUNT_MASK) | 2;
    } else if (n === 2) st = (st & ~COUNT_MASK) | 3;
    this.states[s] = st;
    this.maybeFree(s);
    return n === 0;
  }

  skipped(s: number): void {
    let st = this.landed(s);
    if ((st & (COUNT_MASK | DEDUPED | DEAD)) === 0) {
      this.leave(st);
      this.deduped++;
      st = (st & ~LOST) | DEDUPED;
    }
    this.states[s] = st;
    this.maybeFree(s);
  }

  /** A copy ended unprocessed: lost if the message was deleted already and nothing else processed it. */
  dropped(s: number): void {
    let st = this.landed(s);
    if (this.gone[s] === 1 && (st & (COUNT_MASK | DEDUPED | DEAD | LOST | INFLIGHT_MASK)) === 0) {
      this.lost++;
      st |= LOST;
    }
    this.states[s] = st;
    this.maybeFree(s);
  }

  /** Frees a deleted message's slot once no copy of it is being processed. */
  private maybeFree(s: number): void {
    if (this.gone[s] === 0 || (this.states[s] & INFLIGHT_MASK) !== 0) return;
    if (this.lastOfKey.get(this.keys[s]) === s) this.lastOfKey.delete(this.keys[s]);
    // a freed slot may be reused: ordering checks compare sequence numbers
    this.seqs[s] = -2;
    this.free.push(s);
  }

  /** Enqueue time of the oldest message not deleted (Infinity if none). */
  oldest(): number {
    while (this.arrival.length > 0) {
      const s = this.arrival.peek();
      // (a slot freed and given to a newer message no longer has this sequence number)
      if (this.seqs[s] === this.arrivalSeq.peek() && this.gone[s] === 0) return this.times[s];
      this.arrival.shift();
      this.arrivalSeq.shift();
    }
    return Infinity;
  }

  /** Messages whose slots are held (not deleted, or being processed). */
  get held(): number {
    return this.used - this.free.length;
  }

  /** Messages enqueued and not yet settled (ready, out, or deleted while a copy is still being processed for the first time). */
  get pending(): number {
    return (
      this.enqueued - this.processedOnce - this.duplicated - this.deduped - this.lost - this.deadLettered
    );
  }
}
