// Eviction policies: each keeps its own order over the entries of a store and
// names the next victim in O(1) (ttl-only: O(log n)). The store owns the
// entries; a policy only threads its bookkeeping through the fields of
// PolicyNode, so there is no second map and no allocation per access.

export type EvictionPolicyName = "lru" | "lfu" | "fifo" | "random" | "ttl-only" | "lifo" | "mru";

export const EVICTION_POLICIES: readonly EvictionPolicyName[] = [
  "lru",
  "lfu",
  "fifo",
  "random",
  "ttl-only",
  "lifo",
  "mru",
];

/** Per-entry bookkeeping shared by every policy (one hidden class for all of them). */
export class PolicyNode {
  key = 0;
  /** absolute time the entry expires (Infinity: never) */
  expiresAt = Number.POSITIVE_INFINITY;
  /** set by the store on every write; orders equal expiry times */
  seq = 0;
  prev: PolicyNode | null = null;
  next: PolicyNode | null = null;
  /** LFU use count */
  freq = 0;
  bucket: FreqBucket | null = null;
  /** position in the random policy's array or the ttl heap */
  index = -1;
}

export interface EvictionPolicy<N extends PolicyNode = PolicyNode> {
  readonly name: EvictionPolicyName;
  /** a new entry entered the store */
  insert(node: N): void;
  /** a read hit */
  access(node: N): void;
  /** an existing entry was overwritten */
  update(node: N): void;
  /** the entry left the store (delete, expiry or eviction) */
  remove(node: N): void;
  /** next entry to evict for capacity, or null if the policy refuses to evict */
  victim(now: number): N | null;
  clear(): void;
}

/** Circular doubly-linked list with a sentinel: O(1) append, unlink and both ends. */
class NodeList {
  readonly head = new PolicyNode();
  constructor() {
    this.head.prev = this.head;
    this.head.next = this.head;
  }
  get empty(): boolean {
    return this.head.next === this.head;
  }
  pushBack(n: PolicyNode): void {
    const tail = this.head.prev!;
    n.prev = tail;
    n.next = this.head;
    tail.next = n;
    this.head.prev = n;
  }
  unlink(n: PolicyNode): void {
    n.prev!.next = n.next;
    n.next!.prev = n.prev;
    n.prev = null;
    n.next = null;
  }
  first(): PolicyNode | null {
    return this.head.next === this.head ? null : this.head.next;
  }
  last(): PolicyNode | null {
    return this.head.prev === this.head ? null : this.head.prev;
  }
  clear(): void {
    this.head.prev = this.head;
    this.head.next = this.head;
  }
}

/**
 * One list for recency or insertion order. Which end is evicted and whether
 * reads and overwrites move an entry to the back is what distinguishes LRU,
 * MRU, FIFO and LIFO.
 */
class OrderedPolicy<N extends PolicyNode> implements EvictionPolicy<N> {
  private readonly list = new NodeList();
  constructor(
    readonly name: EvictionPolicyName,
    private readonly touchOnAccess: boolean,
    private readonly evictNewest: boolean,
  ) {}
  insert(node: N): void {
    this.list.pushBack(node);
  }
  access(node: N): void {
    if (this.touchOnAccess) {
      this.list.unlink(node);
      this.list.pushBack(node);
    }
  }
  update(node: N): void {
    this.access(node);
  }
  remove(node: N): void {
    this.list.unlink(node);
  }
  victim(): N | null {
    return (this.evictNewest ? this.list.last() : this.list.first()) as N | null;
  }
  clear(): void {
    this.list.clear();
  }
}

/** Least recently used: reads and overwrites move an entry to the back; the front is evicted. */
export function lruPolicy<N extends PolicyNode>(): EvictionPolicy<N> {
  return new OrderedPolicy<N>("lru", true, false);
}

/** Most recently used first (useful for cyclic scans larger than the cache). */
export function mruPolicy<N extends PolicyNode>(): EvictionPolicy<N> {
  return new OrderedPolicy<N>("mru", true, true);
}

/** Insertion order: reads do not reorder and an overwrite keeps its place. */
export function fifoPolicy<N extends PolicyNode>(): EvictionPolicy<N> {
  return new OrderedPolicy<N>("fifo", false, false);
}

/** Evicts the most recently inserted entry (a stack). */
export function lifoPolicy<N extends PolicyNode>(): EvictionPolicy<N> {
  return new OrderedPolicy<N>("lifo", false, true);
}

/** All entries used exactly `freq` times, least recently promoted first. */
export class FreqBucket {
  freq = 0;
  readonly items = new NodeList();
  prev: FreqBucket | null = null;
  next: FreqBucket | null = null;
}

/**
 * LFU with O(1) frequency buckets (Shah, Mitra and Matani, 2010): a list of
 * buckets in increasing frequency, each holding its entries in the order they
 * reached that frequency. A use moves an entry to the next bucket's back, so
 * the victim (front of the lowest bucket) is the least frequently used entry,
 * least recently used among equals. Counts never decay, so yesterday's hot
 * keys stay put (the known LFU pollution); a new entry starts at 1.
 */
export class LfuPolicy<N extends PolicyNode> implements EvictionPolicy<N> {
  readonly name = "lfu";
  /** sentinel: buckets form a circular list through it in increasing frequency */
  private readonly root = new FreqBucket();
  /** empty buckets kept for reuse */
  private spare: FreqBucket | null = null;

  constructor() {
    this.root.prev = this.root;
    this.root.next = this.root;
  }

  private bucketAfter(after: FreqBucket, freq: number): FreqBucket {
    const nxt = after.next!;
    if (nxt !== this.root && nxt.freq === freq) return nxt;
    let b = this.spare;
    if (b) this.spare = b.next;
    else b = new FreqBucket();
    b.freq = freq;
    b.prev = after;
    b.next = nxt;
    after.next = b;
    nxt.prev = b;
    return b;
  }

  private detach(node: N): FreqBucket {
    const b = node.bucket!;
    b.items.unlink(node);
    node.bucket = null;
    return b;
  }

  private dropIfEmpty(b: FreqBucket): void {
    if (!b.items.empty) return;
    b.prev!.next = b.next;
    b.next!.prev = b.prev;
    b.prev = null;
    b.next = this.spare;
    this.spare = b;
  }

  insert(node: N): void {
    const b = this.bucketAfter(this.root, 1);
    node.freq = 1;
    node.bucket = b;
    b.items.pushBack(node);
  }

  access(node: N): void {
    const old = this.detach(node);
    const b = this.bucketAfter(old, old.freq + 1);
    this.dropIfEmpty(old);
    node.freq = b.freq;
    node.bucket = b;
    b.items.pushBack(node);
  }

  update(node: N): void {
    this.access(node);
  }

  remove(node: N): void {
    this.dropIfEmpty(this.detach(node));
  }

  victim(): N | null {
    const b = this.root.next!;
    return b === this.root ? null : (b.items.first() as N | null);
  }

  clear(): void {
    this.root.prev = this.root;
    this.root.next = this.root;
  }
}

/** Uniform victim among all entries: an array with swap-remove keeps every operation O(1). */
export class RandomPolicy<N extends PolicyNode> implements EvictionPolicy<N> {
  readonly name = "random";
  private readonly items: N[] = [];
  constructor(private readonly rand: () => number) {}
  insert(node: N): void {
    node.index = this.items.length;
    this.items.push(node);
  }
  access(): void {}
  update(): void {}
  remove(node: N): void {
    const items = this.items;
    const last = items.pop()!;
    if (last !== node) {
      items[node.index] = last;
      last.index = node.index;
    }
    node.index = -1;
  }
  victim(): N | null {
    const n = this.items.length;
    return n === 0 ? null : this.items[Math.floor(this.rand() * n)];
  }
  clear(): void {
    this.items.length = 0;
  }
}

/**
 * Never evicts live data: entries leave only by expiring. A min-heap on
 * (expiresAt, seq) finds the entry that expired first, which the store
 * reclaims to make room; with nothing expired the victim is null and the
 * store refuses the new key (Redis volatile-ttl with no candidates, or a
 * session store that must not drop sessions).
 */
export class TtlOnlyPolicy<N extends PolicyNode> implements EvictionPolicy<N> {
  readonly name = "ttl-only";
  private readonly heap: N[] = [];

  private static before(a: PolicyNode, b: PolicyNode): boolean {
    return a.expiresAt < b.expiresAt || (a.expiresAt === b.expiresAt && a.seq < b.seq);
  }

  private place(node: N, i: number): void {
    this.heap[i] = node;
    node.index = i;
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const node = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!TtlOnlyPolicy.before(node, heap[p])) break;
      this.place(heap[p], i);
      i = p;
    }
    this.place(node, i);
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const node = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && TtlOnlyPolicy.before(heap[r], heap[l]) ? r : l;
      if (!TtlOnlyPolicy.before(heap[c], node)) break;
      this.place(heap[c], i);
      i = c;
    }
    this.place(node, i);
  }

  insert(node: N): void {
    this.heap.push(node);
    this.siftUp(this.heap.length - 1);
  }
  access(): void {}
  /** an overwrite refreshes the expiry, so the entry's heap position changes */
  update(node: N): void {
    this.siftUp(node.index);
    this.siftDown(node.index);
  }
  remove(node: N): void {
    const heap = this.heap;
    const i = node.index;
    const last = heap.pop()!;
    node.index = -1;
    if (last === node) return;
    this.place(last, i);
    this.siftUp(i);
    this.siftDown(last.index);
  }
  victim(now: number): N | null {
    const top = this.heap[0];
    return top !== undefined && top.expiresAt <= now ? top : null;
  }
  clear(): void {
    this.heap.length = 0;
  }
}

export function createEvictionPolicy<N extends PolicyNode>(
  name: EvictionPolicyName,
  rand?: () => number,
): EvictionPolicy<N> {
  switch (name) {
    case "lru":
      return lruPolicy<N>();
    case "mru":
      return mruPolicy<N>();
    case "fifo":
      return fifoPolicy<N>();
    case "lifo":
      return lifoPolicy<N>();
    case "lfu":
      return new LfuPolicy<N>();
    case "random":
      if (!rand) throw new Error("random eviction needs a rand() source (the component's seeded stream)");
      return new RandomPolicy<N>(rand);
    case "ttl-only":
      return new TtlOnlyPolicy<N>();
    default:
      throw new RangeError(`unknown eviction policy: ${name as string}`);
  }
}
