// Eviction policies: each keeps its own order over the entries of a store and
// names the next victim in O(1) (ttl-only: O(log n); lfu-aging: O(1)
// amortised). The store owns the entries; a policy only threads its
// bookkeeping through the fields of PolicyNode, so there is no second map and
// no allocation per access. The exception is ARC's ghost directory: keys no
// longer held have no store entry, so ARC keeps them in a map of its own,
// bounded by the capacity.
import { CountMinSketch } from "./count-min-sketch.js";

export type EvictionPolicyName =
  | "lru"
  | "lfu"
  | "fifo"
  | "random"
  | "ttl-only"
  | "lifo"
  | "mru"
  | "lfu-aging"
  | "slru"
  | "arc"
  | "w-tinylfu";

export const EVICTION_POLICIES: readonly EvictionPolicyName[] = [
  "lru",
  "lfu",
  "fifo",
  "random",
  "ttl-only",
  "lifo",
  "mru",
  "lfu-aging",
  "slru",
  "arc",
  "w-tinylfu",
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
  /** which list of a segmented policy (slru, arc, w-tinylfu) holds the entry; 0: none */
  segment = 0;
}

export interface EvictionPolicy<N extends PolicyNode = PolicyNode> {
  readonly name: EvictionPolicyName;
  /** a new entry entered the store */
  insert(node: N): void;
  /** a read hit */
  access(node: N): void;
  /** an existing entry was overwritten */
  update(node: N): void;
  /**
   * The entry left the store: evicted is true when a live entry was removed
   * to make room, false for a delete, an expiry or a refused overwrite.
   */
  remove(node: N, evicted: boolean): void;
  /**
   * Next entry to evict for capacity, or null if the policy refuses to evict.
   * key is the key the room is for (a new key, or the entry being
   * overwritten): ARC adapts to whether it recently evicted that key.
   */
  victim(now: number, key: number): N | null;
  /**
   * Admission (W-TinyLFU), asked only when room is needed for a new key: an
   * entry the new key's arrival will push towards the space victim() is
   * leaving, so the two compete for it; null if there is none.
   */
  candidate?(now: number): N | null;
  /** Whether candidate() should take victim's place (true) or be evicted instead (false). */
  admit?(candidate: N, victim: N): boolean;
  clear(): void;
}

/**
 * What a policy may need besides its name. Capacity is in entries: the
 * segmented policies (slru, arc, w-tinylfu) size their segments, ghost lists
 * and sketch from it, and lfu-aging its aging period. A store bounded only in
 * bytes has no fixed entry count (it is full at however many entries its sizes
 * add up to), so with no finite capacity these policies plan for the most
 * entries held at once so far, which approaches the byte-full entry count once
 * the store has filled. With both limits the entry limit is used, which
 * overstates the capacity when bytes bind first.
 */
export interface EvictionPolicyOptions {
  /** uniform [0, 1) source: required by random (the component's seeded stream) */
  rand?: () => number;
  /** entries the store holds when full (Infinity or absent: estimated as above) */
  capacity?: number;
  /** lfu-aging: references (inserts, hits, overwrites) between halvings (default 10 × capacity) */
  agingWindow?: number;
  /** w-tinylfu: seed of the frequency sketch's hashes (default 0) */
  seed?: number;
  /** w-tinylfu: a Bloom-filter doorkeeper in front of the sketch (default false) */
  doorkeeper?: boolean;
}

/** Circular doubly-linked list with a sentinel: O(1) append, unlink, length and both ends. */
class NodeList {
  readonly head = new PolicyNode();
  length = 0;
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
    this.length++;
  }
  unlink(n: PolicyNode): void {
    n.prev!.next = n.next;
    n.next!.prev = n.prev;
    n.prev = null;
    n.next = null;
    this.length--;
  }
  /** Moves n, already in this list, to the back. */
  toBack(n: PolicyNode): void {
    this.unlink(n);
    this.pushBack(n);
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
    this.length = 0;
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
  readonly name: EvictionPolicyName = "lfu";
  /** sentinel: buckets form a circular list through it in increasing frequency */
  protected readonly root = new FreqBucket();
  /** empty buckets kept for reuse */
  protected spare: FreqBucket | null = null;

  constructor() {
    this.root.prev = this.root;
    this.root.next = this.root;
  }

  protected bucketAfter(after: FreqBucket, freq: number): FreqBucket {
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

  protected detach(node: N): FreqBucket {
    const b = node.bucket!;
    b.items.unlink(node);
    node.bucket = null;
    return b;
  }

  protected dropIfEmpty(b: FreqBucket): void {
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

/**
 * Entries a capacity-aware policy plans for: the store's entry limit when it
 * has one, else the most entries held at once so far (see EvictionPolicyOptions).
 */
function plannedCapacity(limit: number, peak: number): number {
  return Math.max(1, Number.isFinite(limit) ? limit : peak);
}

function checkCapacity(capacity: number): number {
  if (!(capacity >= 0)) throw new RangeError(`eviction: capacity must be >= 0, got ${capacity}`);
  return capacity;
}

/**
 * LFU-Aging (the variant Arlitt and Williamson evaluated for web caches): LFU
 * whose counts are all halved from time to time, so that a formerly hot entry
 * whose traffic has gone loses its lead and can leave, which plain LFU never
 * allows. Halving rounds up (counts stay >= 1) and keeps the order of
 * entries: two buckets that meet (2j-1 and 2j become j) merge with the
 * formerly less used entries first. It runs every `window` references
 * (inserts, hits and overwrites), TinyLFU's schedule for its reset, rather
 * than when the mean count crosses a threshold; by default the window is ten
 * times the capacity. A halving costs O(entries), once per window, so each
 * operation is O(1) amortised.
 */
export class LfuAgingPolicy<N extends PolicyNode> extends LfuPolicy<N> {
  override readonly name: EvictionPolicyName = "lfu-aging";
  private refs = 0;
  private held = 0;
  private peak = 0;
  private halvings = 0;

  constructor(
    private readonly capacity = Number.POSITIVE_INFINITY,
    private readonly window?: number,
  ) {
    super();
    checkCapacity(capacity);
    if (window !== undefined && !(window >= 1))
      throw new RangeError(`lfu-aging: window must be >= 1, got ${window}`);
  }

  /** References between halvings. */
  get period(): number {
    return this.window ?? 10 * plannedCapacity(this.capacity, this.peak);
  }

  /** Halvings so far. */
  get agings(): number {
    return this.halvings;
  }

  override insert(node: N): void {
    super.insert(node);
    if (++this.held > this.peak) this.peak = this.held;
    this.referenced();
  }

  /** (update() is access() in LfuPolicy, so overwrites count here too) */
  override access(node: N): void {
    super.access(node);
    this.referenced();
  }

  override remove(node: N): void {
    super.remove(node);
    this.held--;
  }

  override clear(): void {
    super.clear();
    this.held = 0;
    this.refs = 0;
  }

  private referenced(): void {
    if (++this.refs >= this.period) {
      this.refs = 0;
      this.age();
    }
  }

  /** Halves every count, merging buckets whose halves coincide. */
  age(): void {
    this.halvings++;
    const root = this.root;
    let kept = root;
    let b = root.next!;
    while (b !== root) {
      const after = b.next!;
      const f = (b.freq + 1) >>> 1;
      if (kept !== root && kept.freq === f) {
        for (let n = b.items.first(); n !== null; n = b.items.first()) {
          b.items.unlink(n);
          kept.items.pushBack(n);
          n.bucket = kept;
          n.freq = f;
        }
        b.prev!.next = after;
        after.prev = b.prev;
        b.prev = null;
        b.next = this.spare;
        this.spare = b;
      } else {
        b.freq = f;
        const head = b.items.head;
        for (let n = head.next!; n !== head; n = n.next!) n.freq = f;
        kept = b;
      }
      b = after;
    }
  }
}

const PROBATION = 1;
const PROTECTED = 2;
const WINDOW = 3;

/**
 * Segmented LRU's promotion: a probationary entry used again moves to the
 * protected segment's MRU end; protected entries beyond its size fall back
 * to probation's MRU end (a second chance, not an eviction).
 */
function promote(node: PolicyNode, probation: NodeList, protect: NodeList, protectedMax: number): void {
  probation.unlink(node);
  node.segment = PROTECTED;
  protect.pushBack(node);
  while (protect.length > protectedMax) {
    const d = protect.first()!;
    protect.unlink(d);
    d.segment = PROBATION;
    probation.pushBack(d);
  }
}

/**
 * Segmented LRU (Karedla, Love and Wherry, 1994). New entries join a
 * probationary LRU segment; a hit there promotes the entry to a protected
 * LRU segment holding at most 80% of the capacity, whose overflow drops back
 * to the probationary segment's most recent end. Victims come from the
 * probationary segment's least recent end (from the protected one only when
 * probation is empty), so a one-time scan cannot flush entries used twice.
 */
export class SlruPolicy<N extends PolicyNode> implements EvictionPolicy<N> {
  readonly name: EvictionPolicyName = "slru";
  private readonly probation = new NodeList();
  private readonly protect = new NodeList();
  private peak = 0;

  constructor(
    private readonly capacity = Number.POSITIVE_INFINITY,
    private readonly protectedShare = 0.8,
  ) {
    checkCapacity(capacity);
  }

  private get protectedMax(): number {
    return Math.floor(this.protectedShare * plannedCapacity(this.capacity, this.peak));
  }

  insert(node: N): void {
    node.segment = PROBATION;
    this.probation.pushBack(node);
    const held = this.probation.length + this.protect.length;
    if (held > this.peak) this.peak = held;
  }

  access(node: N): void {
    if (node.segment === PROTECTED) {
      this.protect.toBack(node);
      return;
    }
    promote(node, this.probation, this.protect, this.protectedMax);
  }

  update(node: N): void {
    this.access(node);
  }

  remove(node: N): void {
    (node.segment === PROTECTED ? this.protect : this.probation).unlink(node);
    node.segment = 0;
  }

  victim(): N | null {
    return (this.probation.first() ?? this.protect.first()) as N | null;
  }

  clear(): void {
    this.probation.clear();
    this.protect.clear();
  }

  /** Entries per segment, counted by walking the lists (for tests). */
  sizes(): { probation: number; protected: number; counted: number } {
    return {
      probation: walk(this.probation),
      protected: walk(this.protect),
      counted: this.probation.length + this.protect.length,
    };
  }
}

/** Nodes in a list, by walking it (tests use it to check the length bookkeeping). */
function walk(list: NodeList): number {
  let n = 0;
  for (let x = list.head.next!; x !== list.head; x = x.next!) n++;
  return n;
}

const T1 = 1;
const T2 = 2;
const B1 = 3;
const B2 = 4;

/**
 * Adaptive Replacement Cache (Megiddo and Modha, FAST 2003). Resident
 * entries are split into T1 (seen once recently) and T2 (seen at least twice);
 * the keys of entries evicted from them are remembered without data in the
 * ghost lists B1 and B2. A request for a key in B1 means T1 was too small, so
 * the target size p of T1 grows (by max(|B2|/|B1|, 1)); a request for a key in
 * B2 shrinks it likewise. The victim is T1's least recent entry when T1 is
 * over its target (or at it, when the key is in B2), else T2's. The directory
 * keeps |T1| + |B1| <= c and all four lists within 2c.
 *
 * The paper's REPLACE runs before the missing page is brought in; here the
 * store calls victim(now, key) first and insert() after, so p is adapted for
 * the incoming key when victim() first sees it and committed by insert().
 * Only live entries evicted for room become ghosts (remove(node, true)); a
 * delete or an expiry forgets the key, a case the paper has no analogue for.
 * Ghosts are PolicyNodes of ARC's own in a Map by key, recycled, so the
 * directory allocates nothing in the steady state.
 */
export class ArcPolicy<N extends PolicyNode> implements EvictionPolicy<N> {
  readonly name: EvictionPolicyName = "arc";
  private readonly t1 = new NodeList();
  private readonly t2 = new NodeList();
  private readonly b1 = new NodeList();
  private readonly b2 = new NodeList();
  private readonly ghosts = new Map<number, PolicyNode>();
  private spareGhost: PolicyNode | null = null;
  /** target size of T1 */
  private p = 0;
  private peak = 0;
  /** the key victim() adapted p for, and the adapted value; -1: none pending */
  private pendingKey = -1;
  private pendingP = 0;

  constructor(private readonly capacity = Number.POSITIVE_INFINITY) {
    checkCapacity(capacity);
  }

  private get c(): number {
    return plannedCapacity(this.capacity, this.peak);
  }

  /** Target size of T1 after a request for key (the paper's adaptation step). */
  private adapted(key: number): number {
    const g = this.ghosts.get(key);
    if (g === undefined) return this.p;
    if (g.segment === B1) return Math.min(this.c, this.p + Math.max(this.b2.length / this.b1.length, 1));
    return Math.max(0, this.p - Math.max(this.b1.length / this.b2.length, 1));
  }

  insert(node: N): void {
    const key = node.key;
    this.p = key === this.pendingKey ? this.pendingP : this.adapted(key);
    this.pendingKey = -1;
    const g = this.ghosts.get(key);
    if (g !== undefined) {
      this.dropGhost(g);
      node.segment = T2;
      this.t2.pushBack(node);
    } else {
      node.segment = T1;
      this.t1.pushBack(node);
    }
    const held = this.t1.length + this.t2.length;
    if (held > this.peak) this.peak = held;
    this.trimGhosts();
  }

  access(node: N): void {
    this.pendingKey = -1;
    if (node.segment === T2) {
      this.t2.toBack(node);
      return;
    }
    this.t1.unlink(node);
    node.segment = T2;
    this.t2.pushBack(node);
  }

  update(node: N): void {
    this.access(node);
  }

  remove(node: N, evicted: boolean): void {
    const from = node.segment;
    (from === T1 ? this.t1 : this.t2).unlink(node);
    node.segment = 0;
    if (node.key === this.pendingKey) this.pendingKey = -1;
    if (!evicted || this.ghosts.has(node.key)) return;
    let g = this.spareGhost;
    if (g !== null) this.spareGhost = g.next;
    else g = new PolicyNode();
    g.key = node.key;
    g.segment = from === T1 ? B1 : B2;
    (from === T1 ? this.b1 : this.b2).pushBack(g);
    this.ghosts.set(g.key, g);
    this.trimGhosts();
  }

  victim(_now: number, key: number): N | null {
    if (key !== this.pendingKey) {
      this.pendingKey = key;
      this.pendingP = this.adapted(key);
    }
    const p = this.pendingP;
    const n1 = this.t1.length;
    if (n1 > 0 && (n1 > p || this.t2.length === 0 || (n1 === p && this.ghosts.get(key)?.segment === B2)))
      return this.t1.first() as N;
    return (this.t2.first() ?? this.t1.first()) as N | null;
  }

  clear(): void {
    for (const list of [this.b1, this.b2]) {
      for (let g = list.first(); g !== null; g = list.first()) this.dropGhost(g);
    }
    this.t1.clear();
    this.t2.clear();
    this.p = 0;
    this.pendingKey = -1;
  }

  /** List lengths (walked), the ghost map's size and p (for tests). */
  sizes(): { t1: number; t2: number; b1: number; b2: number; ghosts: number; p: number; counted: number } {
    return {
      t1: walk(this.t1),
      t2: walk(this.t2),
      b1: walk(this.b1),
      b2: walk(this.b2),
      ghosts: this.ghosts.size,
      p: this.p,
      counted: this.t1.length + this.t2.length + this.b1.length + this.b2.length,
    };
  }

  private dropGhost(g: PolicyNode): void {
    (g.segment === B1 ? this.b1 : this.b2).unlink(g);
    this.ghosts.delete(g.key);
    g.segment = 0;
    g.next = this.spareGhost;
    this.spareGhost = g;
  }

  private trimGhosts(): void {
    const c = this.c;
    const t1 = this.t1.length;
    while (t1 + this.b1.length > c && !this.b1.empty) this.dropGhost(this.b1.first()!);
    const resident = t1 + this.t2.length;
    while (resident + this.b1.length + this.b2.length > 2 * c) {
      const g = this.b2.first() ?? this.b1.first();
      if (g === null) break;
      this.dropGhost(g);
    }
  }
}

/**
 * W-TinyLFU as in Caffeine (Einziger, Friedman and Manes, "TinyLFU: a highly
 * efficient cache admission policy", 2017). A new entry enters a small LRU
 * window (1% of the capacity); the window's overflow moves to the main space,
 * an SLRU (probation, then protected at 80% of the main space). When room is
 * needed for a new key while the window is full, the window's oldest entry
 * (the candidate) and the main space's victim compete: TinyLFU admits the
 * candidate only if its estimated recent frequency is higher, else the
 * candidate is evicted instead (a rejected admission). Frequencies come from a
 * count-min sketch of 4-bit counters halved every 10 × capacity additions, fed
 * by every insert, hit and overwrite, so keys that are not held are counted
 * too. Left out: Caffeine's hill climbing of the window size and its random
 * admission of warm candidates against hash flooding.
 */
export class WTinyLfuPolicy<N extends PolicyNode> implements EvictionPolicy<N> {
  readonly name: EvictionPolicyName = "w-tinylfu";
  private readonly window = new NodeList();
  private readonly probation = new NodeList();
  private readonly protect = new NodeList();
  private sketch: CountMinSketch;
  /** capacity the sketch was sized for */
  private sketchFor: number;
  private peak = 0;

  constructor(
    private readonly capacity = Number.POSITIVE_INFINITY,
    private readonly seed = 0,
    private readonly doorkeeper = false,
  ) {
    checkCapacity(capacity);
    this.sketchFor = Number.isFinite(capacity) ? plannedCapacity(capacity, 0) : 16;
    this.sketch = CountMinSketch.forCapacity(this.sketchFor, seed, doorkeeper);
  }

  private get c(): number {
    return plannedCapacity(this.capacity, this.peak);
  }

  /** Entries the window holds at most (at least one). */
  get windowMax(): number {
    const c = this.c;
    return c - Math.floor(c * 0.99);
  }

  private get protectedMax(): number {
    return Math.floor((this.c - this.windowMax) * 0.8);
  }

  /** Estimated recent frequency of key, as the admission duel sees it. */
  frequency(key: number): number {
    return this.sketch.estimate(key);
  }

  insert(node: N): void {
    node.segment = WINDOW;
    this.window.pushBack(node);
    const held = this.window.length + this.probation.length + this.protect.length;
    if (held > this.peak) {
      this.peak = held;
      // A byte-bounded store keeps growing the estimate: resize the sketch by doubling (counts restart).
      if (this.c > this.sketchFor) {
        this.sketchFor = Math.max(this.c, 2 * this.sketchFor);
        this.sketch = CountMinSketch.forCapacity(this.sketchFor, this.seed, this.doorkeeper);
      }
    }
    this.sketch.increment(node.key);
    const max = this.windowMax;
    while (this.window.length > max) {
      const w = this.window.first()!;
      this.window.unlink(w);
      w.segment = PROBATION;
      this.probation.pushBack(w);
    }
  }

  access(node: N): void {
    this.sketch.increment(node.key);
    if (node.segment === WINDOW) this.window.toBack(node);
    else if (node.segment === PROTECTED) this.protect.toBack(node);
    else promote(node, this.probation, this.protect, this.protectedMax);
  }

  update(node: N): void {
    this.access(node);
  }

  remove(node: N): void {
    const s = node.segment;
    (s === WINDOW ? this.window : s === PROTECTED ? this.protect : this.probation).unlink(node);
    node.segment = 0;
  }

  /** The main space's victim (probation first); the window's oldest if the main space is empty. */
  victim(): N | null {
    return (this.probation.first() ?? this.protect.first() ?? this.window.first()) as N | null;
  }

  /** The window's oldest entry, when a new key would push it into the main space. */
  candidate(): N | null {
    return this.window.length >= this.windowMax ? (this.window.first() as N | null) : null;
  }

  admit(candidate: N, victim: N): boolean {
    return this.sketch.estimate(candidate.key) > this.sketch.estimate(victim.key);
  }

  clear(): void {
    this.window.clear();
    this.probation.clear();
    this.protect.clear();
    this.sketch.clear();
  }

  /** Entries per segment, counted by walking the lists (for tests). */
  sizes(): { window: number; probation: number; protected: number; counted: number } {
    return {
      window: walk(this.window),
      probation: walk(this.probation),
      protected: walk(this.protect),
      counted: this.window.length + this.probation.length + this.protect.length,
    };
  }
}

export function createEvictionPolicy<N extends PolicyNode>(
  name: EvictionPolicyName,
  opts: EvictionPolicyOptions = {},
): EvictionPolicy<N> {
  const capacity = opts.capacity ?? Number.POSITIVE_INFINITY;
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
      if (!opts.rand)
        throw new Error("random eviction needs a rand() source (the component's seeded stream)");
      return new RandomPolicy<N>(opts.rand);
    case "ttl-only":
      return new TtlOnlyPolicy<N>();
    case "lfu-aging":
      return new LfuAgingPolicy<N>(capacity, opts.agingWindow);
    case "slru":
      return new SlruPolicy<N>(capacity);
    case "arc":
      return new ArcPolicy<N>(capacity);
    case "w-tinylfu":
      return new WTinyLfuPolicy<N>(capacity, opts.seed, opts.doorkeeper);
    default:
      throw new RangeError(`unknown eviction policy: ${name as string}`);
  }
}
