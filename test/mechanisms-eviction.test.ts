// The adaptive eviction policies (lfu-aging, slru, arc, w-tinylfu) against
// naive references: arrays of keys scanned linearly, written from the papers'
// descriptions and sharing no code with the policies (w-tinylfu's reference
// shares only the frequency sketch, which has tests of its own). Then
// invariants under deletes, expiry and byte limits, where the references do
// not go: sizes, present victims, no entries leaked in the policies' lists.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CacheStats, CacheStore, emptyCacheStats } from "../src/mechanisms/cache-store.js";
import { CountMinSketch } from "../src/mechanisms/count-min-sketch.js";
import {
  type ArcPolicy,
  type EvictionPolicy,
  type EvictionPolicyName,
  LfuAgingPolicy,
  PolicyNode,
  type SlruPolicy,
  type WTinyLfuPolicy,
} from "../src/mechanisms/eviction.js";

/** A naive policy over keys: the same hooks as EvictionPolicy, by key. */
interface RefPolicy {
  insert(k: number): void;
  access(k: number): void;
  remove(k: number, evicted: boolean): void;
  victim(k: number): number | null;
  candidate?(): number | null;
  admit?(c: number, v: number): boolean;
}

const without = (xs: number[], k: number) => xs.filter((x) => x !== k);

class RefSlru implements RefPolicy {
  probation: number[] = [];
  protect: number[] = [];
  constructor(readonly c: number) {}
  insert(k: number) {
    this.probation.push(k);
  }
  access(k: number) {
    if (this.protect.includes(k)) {
      this.protect = [...without(this.protect, k), k];
      return;
    }
    this.probation = without(this.probation, k);
    this.protect.push(k);
    while (this.protect.length > Math.floor(0.8 * this.c)) this.probation.push(this.protect.shift()!);
  }
  remove(k: number) {
    this.probation = without(this.probation, k);
    this.protect = without(this.protect, k);
  }
  victim() {
    return this.probation[0] ?? this.protect[0] ?? null;
  }
}

/** LFU-Aging by explicit counts: victim = least count, then least recently counted. */
class RefLfuAging implements RefPolicy {
  count = new Map<number, number>();
  order = new Map<number, number>();
  clock = 0;
  refs = 0;
  constructor(readonly window: number) {}
  private ref() {
    if (++this.refs < this.window) return;
    this.refs = 0;
    const keys = [...this.count.keys()].sort(
      (a, b) => this.count.get(a)! - this.count.get(b)! || this.order.get(a)! - this.order.get(b)!,
    );
    for (const k of keys) {
      this.order.set(k, ++this.clock);
      this.count.set(k, Math.ceil(this.count.get(k)! / 2));
    }
  }
  insert(k: number) {
    this.count.set(k, 1);
    this.order.set(k, ++this.clock);
    this.ref();
  }
  access(k: number) {
    this.count.set(k, this.count.get(k)! + 1);
    this.order.set(k, ++this.clock);
    this.ref();
  }
  remove(k: number) {
    this.count.delete(k);
    this.order.delete(k);
  }
  victim() {
    let best: number | null = null;
    for (const k of this.count.keys()) {
      if (
        best === null ||
        this.count.get(k)! < this.count.get(best)! ||
        (this.count.get(k) === this.count.get(best) && this.order.get(k)! < this.order.get(best)!)
      )
        best = k;
    }
    return best;
  }
}

class RefWTinyLfu implements RefPolicy {
  window: number[] = [];
  probation: number[] = [];
  protect: number[] = [];
  sketch: CountMinSketch;
  readonly windowMax: number;
  readonly protectedMax: number;
  constructor(c: number, doorkeeper: boolean) {
    this.sketch = CountMinSketch.forCapacity(c, 0, doorkeeper);
    this.windowMax = Math.max(1, c - Math.floor(0.99 * c));
    this.protectedMax = Math.floor(0.8 * (c - this.windowMax));
  }
  insert(k: number) {
    this.sketch.increment(k);
    this.window.push(k);
    while (this.window.length > this.windowMax) this.probation.push(this.window.shift()!);
  }
  access(k: number) {
    this.sketch.increment(k);
    if (this.window.includes(k)) this.window = [...without(this.window, k), k];
    else if (this.protect.includes(k)) this.protect = [...without(this.protect, k), k];
    else {
      this.probation = without(this.probation, k);
      this.protect.push(k);
      while (this.protect.length > this.protectedMax) this.probation.push(this.protect.shift()!);
    }
  }
  remove(k: number) {
    this.window = without(this.window, k);
    this.probation = without(this.probation, k);
    this.protect = without(this.protect, k);
  }
  victim() {
    return this.probation[0] ?? this.protect[0] ?? this.window[0] ?? null;
  }
  candidate() {
    return this.window.length >= this.windowMax ? this.window[0] : null;
  }
  admit(c: number, v: number) {
    return this.sketch.estimate(c) > this.sketch.estimate(v);
  }
}

/** The store's documented semantics over a RefPolicy, entry-bounded, with TTLs and deletes. */
class RefStore {
  entries = new Map<number, { version: number; expiresAt: number }>();
  stats: CacheStats = emptyCacheStats();
  constructor(
    readonly policy: RefPolicy,
    readonly c: number,
    readonly ttl: number,
  ) {}
  private drop(k: number, evicted = false) {
    this.entries.delete(k);
    this.policy.remove(k, evicted);
  }
  get(k: number, now: number): number | undefined {
    const e = this.entries.get(k);
    if (!e) {
      this.stats.misses++;
      return undefined;
    }
    if (e.expiresAt <= now) {
      this.stats.expirations++;
      this.stats.misses++;
      this.drop(k);
      return undefined;
    }
    this.stats.hits++;
    this.policy.access(k);
    return e.version;
  }
  private victimFor(k: number, now: number): number | null {
    const p = this.policy;
    const v = p.victim(k);
    if (v === null || !p.candidate) return v;
    const c = p.candidate();
    if (c === null || c === v || this.entries.get(v)!.expiresAt <= now) return v;
    if (this.entries.get(c)!.expiresAt <= now) return c;
    if (p.admit!(c, v)) return v;
    this.stats.rejectedAdmissions++;
    return c;
  }
  set(k: number, version: number, now: number): boolean {
    const expiresAt = now + this.ttl;
    const e = this.entries.get(k);
    if (e && e.expiresAt <= now) {
      this.stats.expirations++;
      this.drop(k);
    } else if (e) {
      e.version = version;
      e.expiresAt = expiresAt;
      this.stats.updates++;
      this.policy.access(k);
      return true;
    }
    if (this.c < 1) {
      this.stats.rejections++;
      return false;
    }
    while (this.entries.size >= this.c) {
      const v = this.victimFor(k, now)!;
      const live = this.entries.get(v)!.expiresAt > now;
      if (live) this.stats.evictions++;
      else this.stats.expirations++;
      this.drop(v, live);
    }
    this.entries.set(k, { version, expiresAt });
    this.policy.insert(k);
    this.stats.inserts++;
    return true;
  }
  delete(k: number): boolean {
    if (!this.entries.has(k)) return false;
    this.drop(k);
    return true;
  }
}

type Op =
  | { t: "req"; key: number }
  | { t: "get"; key: number }
  | { t: "set"; key: number }
  | { t: "del"; key: number }
  | { t: "tick"; dt: number };

const KEYS = 14;
const requestArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant("req" as const), key: fc.nat(KEYS - 1) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("set" as const), key: fc.nat(KEYS - 1) }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant("req" as const), key: fc.nat(KEYS - 1) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("get" as const), key: fc.nat(KEYS - 1) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("set" as const), key: fc.nat(KEYS - 1) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("del" as const), key: fc.nat(KEYS - 1) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("tick" as const), dt: fc.nat(4) }) },
);

/** Skewed keys, so frequencies differ and the policies' choices matter. */
function skew(ops: Op[]): Op[] {
  return ops.map((op) => (op.t === "tick" ? op : { ...op, key: Math.floor(op.key ** 2 / KEYS) }));
}

const heldKeys = (store: CacheStore) => Array.from(store.keys()).sort((a, b) => a - b);

function checkAgainst(
  policy: EvictionPolicyName,
  makeRef: (c: number, extra: { window: number; doorkeeper: boolean }) => RefPolicy,
  ops: fc.Arbitrary<Op[]>,
  extraCheck?: (store: CacheStore, ref: RefPolicy) => void,
) {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.option(fc.constantFrom(5, 20), { nil: undefined }),
      fc.constantFrom(2, 5, 13),
      fc.boolean(),
      ops,
      (c, ttl, window, doorkeeper, raw) => {
        const store = new CacheStore({ policy, maxEntries: c, ttl, agingWindow: window, doorkeeper });
        const ref = new RefStore(makeRef(c, { window, doorkeeper }), c, ttl ?? Infinity);
        let now = 0;
        let version = 0;
        for (const op of skew(raw)) {
          switch (op.t) {
            case "req":
              if (store.get(op.key, now) === undefined)
                store.set(op.key, { version: ++version, size: 1 }, now);
              if (ref.get(op.key, now) === undefined) ref.set(op.key, version, now);
              break;
            case "get":
              expect(store.get(op.key, now)?.version).toBe(ref.get(op.key, now));
              break;
            case "set":
              version++;
              expect(store.set(op.key, { version, size: 1 }, now)).toBe(ref.set(op.key, version, now));
              break;
            case "del":
              expect(store.delete(op.key)).toBe(ref.delete(op.key));
              break;
            case "tick":
              now += op.dt;
              break;
          }
          expect(heldKeys(store)).toEqual([...ref.entries.keys()].sort((a, b) => a - b));
          expect(store.stats).toEqual(ref.stats);
          extraCheck?.(store, ref.policy);
        }
      },
    ),
    { seed: 4321, numRuns: 600 },
  );
}

const policyOf = <P>(store: CacheStore) => (store as unknown as { policy: P }).policy;

describe("adaptive policies against naive references (model-based)", () => {
  it("slru: probationary and protected segments", () =>
    checkAgainst(
      "slru",
      (c) => new RefSlru(c),
      fc.array(opArb, { maxLength: 150 }),
      (store, ref) => {
        const s = policyOf<SlruPolicy<PolicyNode>>(store).sizes();
        expect(s.protected).toBe((ref as RefSlru).protect.length);
        expect(s.probation).toBe((ref as RefSlru).probation.length);
      },
    ));

  it("lfu-aging: counts halve every window references, formerly busier first among equals", () =>
    checkAgainst(
      "lfu-aging",
      (_c, { window }) => new RefLfuAging(window),
      fc.array(opArb, { maxLength: 150 }),
    ));

  it("w-tinylfu: window, SLRU main space and the admission duel", () =>
    checkAgainst(
      "w-tinylfu",
      (c, { doorkeeper }) => new RefWTinyLfu(c, doorkeeper),
      fc.array(opArb, { maxLength: 150 }),
      (store, ref) => {
        const s = policyOf<WTinyLfuPolicy<PolicyNode>>(store).sizes();
        const r = ref as RefWTinyLfu;
        expect([s.window, s.probation, s.protected]).toEqual([
          r.window.length,
          r.probation.length,
          r.protect.length,
        ]);
      },
    ));
});

/**
 * ARC exactly as the paper's pseudocode (Megiddo and Modha 2003, Fig. 4),
 * for request sequences: every request either hits or brings its page in.
 */
class PaperArc {
  t1: number[] = [];
  t2: number[] = [];
  b1: number[] = [];
  b2: number[] = [];
  p = 0;
  constructor(readonly c: number) {}
  private replace(x: number) {
    const n1 = this.t1.length;
    if (n1 >= 1 && ((this.b2.includes(x) && n1 === this.p) || n1 > this.p)) this.b1.push(this.t1.shift()!);
    else this.b2.push(this.t2.shift()!);
  }
  request(x: number) {
    const { c } = this;
    if (this.t1.includes(x) || this.t2.includes(x)) {
      this.t1 = without(this.t1, x);
      this.t2 = [...without(this.t2, x), x];
    } else if (this.b1.includes(x)) {
      this.p = Math.min(c, this.p + Math.max(this.b2.length / this.b1.length, 1));
      this.replace(x);
      this.b1 = without(this.b1, x);
      this.t2.push(x);
    } else if (this.b2.includes(x)) {
      this.p = Math.max(0, this.p - Math.max(this.b1.length / this.b2.length, 1));
      this.replace(x);
      this.b2 = without(this.b2, x);
      this.t2.push(x);
    } else {
      const l1 = this.t1.length + this.b1.length;
      const total = l1 + this.t2.length + this.b2.length;
      if (l1 === c) {
        if (this.t1.length < c) {
          this.b1.shift();
          this.replace(x);
        } else this.t1.shift();
      } else if (total >= c) {
        if (total === 2 * c) this.b2.shift();
        this.replace(x);
      }
      this.t1.push(x);
    }
  }
  get resident() {
    return [...this.t1, ...this.t2].sort((a, b) => a - b);
  }
}

describe("arc against the paper's pseudocode", () => {
  it("same resident keys, list sizes and target p on any request sequence", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(requestArb, { maxLength: 250 }), (c, raw) => {
        const store = new CacheStore({ policy: "arc", maxEntries: c });
        const arc = policyOf<ArcPolicy<PolicyNode>>(store);
        const paper = new PaperArc(c);
        for (const op of skew(raw)) {
          if (op.t !== "req" && op.t !== "set") continue;
          // a fill after a miss and a write are both requests for the page
          if (op.t === "set" || store.get(op.key, 0) === undefined)
            store.set(op.key, { version: 1, size: 1 }, 0);
          paper.request(op.key);
          expect(heldKeys(store)).toEqual(paper.resident);
          const s = arc.sizes();
          expect([s.t1, s.t2, s.b1, s.b2]).toEqual([
            paper.t1.length,
            paper.t2.length,
            paper.b1.length,
            paper.b2.length,
          ]);
          expect(s.p).toBeCloseTo(paper.p, 9);
        }
      }),
      { seed: 77, numRuns: 1500 },
    );
  });
});

describe("arc ghosts", () => {
  it("only live entries evicted for room become ghosts; a delete or an expiry forgets the key", () => {
    const store = new CacheStore({ policy: "arc", maxEntries: 2, ttl: 10 });
    const arc = policyOf<ArcPolicy<PolicyNode>>(store);
    const put = (k: number, now: number) => store.set(k, { version: 1, size: 1 }, now);
    put(1, 0);
    put(2, 0);
    store.delete(1);
    expect(arc.sizes().ghosts).toBe(0);
    put(3, 0);
    store.get(3, 0); // 3 moves to T2
    put(4, 1); // evicts 2 from T1, live: it becomes a ghost in B1
    expect(arc.sizes()).toMatchObject({ t1: 1, t2: 1, b1: 1, ghosts: 1 });
    put(5, 20); // 3 and 4 have expired: 4, reclaimed for room, is not remembered
    expect(store.stats.expirations).toBe(1);
    expect(arc.sizes()).toMatchObject({ b1: 1, ghosts: 1 });
    store.purgeExpired(20);
    expect(arc.sizes()).toMatchObject({ t1: 1, t2: 0, b1: 1, b2: 0, p: 0 });
    // asking again for the ghost 2 grows T1's target and brings 2 in as seen twice
    put(2, 21);
    expect(arc.sizes()).toMatchObject({ t2: 1, p: 1 });
  });
});

interface Sized {
  sizes(): Record<string, number>;
}

/** Walked list lengths equal the kept counters and add up to the entries held. */
function checkStructure(name: EvictionPolicyName, policy: EvictionPolicy & Sized, held: number, cap: number) {
  const s = policy.sizes();
  if (name === "arc") {
    expect(s.t1 + s.t2).toBe(held);
    expect(s.t1 + s.t2 + s.b1 + s.b2).toBe(s.counted);
    expect(s.ghosts).toBe(s.b1 + s.b2);
    expect(s.t1 + s.b1).toBeLessThanOrEqual(cap);
    expect(s.counted).toBeLessThanOrEqual(2 * cap);
    expect(s.p).toBeGreaterThanOrEqual(0);
    expect(s.p).toBeLessThanOrEqual(cap);
  } else if (name === "slru") {
    expect(s.probation + s.protected).toBe(held);
    expect(s.counted).toBe(held);
  } else {
    expect(s.window + s.probation + s.protected).toBe(held);
    expect(s.counted).toBe(held);
  }
}

describe("adaptive policies: invariants under deletes, expiry and byte limits", () => {
  const ABSENT = 1_000_000;
  for (const name of ["slru", "arc", "w-tinylfu", "lfu-aging"] as const) {
    it(`${name}: bounded, victims present, no leaks after removes and clear`, () => {
      fc.assert(
        fc.property(
          fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
          fc.option(fc.integer({ min: 4, max: 24 }), { nil: undefined }),
          fc.option(fc.constantFrom(5, 20), { nil: undefined }),
          fc.array(fc.tuple(opArb, fc.integer({ min: 1, max: 6 })), { maxLength: 200 }),
          (maxEntries, maxBytes, ttl, ops) => {
            const store = new CacheStore({ policy: name, maxEntries, maxBytes, ttl, agingWindow: 9 });
            const policy = policyOf<EvictionPolicy & Partial<Sized>>(store);
            let now = 0;
            let peak = 0;
            for (const [op, size] of ops) {
              const key = op.t === "tick" ? 0 : op.key;
              if (op.t === "req") {
                if (!store.get(key, now)) store.set(key, { version: 1, size }, now);
              } else if (op.t === "get") store.get(key, now);
              else if (op.t === "set") store.set(key, { version: 1, size }, now);
              else if (op.t === "del") store.delete(key);
              else now += op.dt;
              expect(store.size).toBeLessThanOrEqual(maxEntries ?? Infinity);
              expect(store.bytes).toBeLessThanOrEqual(maxBytes ?? Infinity);
              peak = Math.max(peak, store.size);
              // the next victim is an entry the store holds (asked for a key never used)
              const v = policy.victim(now, ABSENT);
              if (store.size === 0) expect(v).toBeNull();
              else expect(store.keys()).toContain(v!.key);
              if (policy.sizes)
                checkStructure(
                  name,
                  policy as EvictionPolicy & Sized,
                  store.size,
                  maxEntries ?? Math.max(1, peak),
                );
            }
            store.clear();
            expect(policy.victim(now, ABSENT)).toBeNull();
            if (policy.sizes) {
              checkStructure(name, policy as EvictionPolicy & Sized, 0, maxEntries ?? Math.max(1, peak));
              policy.clear();
              const s = policy.sizes();
              expect(s.counted).toBe(0);
              if (name === "arc") expect(s.ghosts).toBe(0);
            }
          },
        ),
        { seed: 2024, numRuns: 500 },
      );
    });
  }

  it("lfu-aging: halving rounds counts up and merges 2j-1 with 2j, formerly busier last", () => {
    const p = new LfuAgingPolicy<PolicyNode>(Infinity, 1e9);
    const node = (key: number) => {
      const n = new PolicyNode();
      n.key = key;
      p.insert(n);
      return n;
    };
    // key 0 reaches count 2 first; key 1 arrives later and stays at 1; key 2 reaches 3, key 3 reaches 4
    const n0 = node(0);
    p.access(n0);
    const n1 = node(1);
    const n2 = node(2);
    p.access(n2);
    p.access(n2);
    const n3 = node(3);
    for (let i = 0; i < 3; i++) p.access(n3);
    expect(p.victim()).toBe(n1);
    p.age();
    expect([n0, n1, n2, n3].map((n) => n.freq)).toEqual([1, 1, 2, 2]);
    const order: number[] = [];
    for (let v = p.victim(); v !== null; v = p.victim()) {
      order.push(v.key);
      p.remove(v);
    }
    // within a merged count the formerly lower count goes first, whatever its recency
    expect(order).toEqual([1, 0, 2, 3]);
    expect(p.agings).toBe(1);
  });

  it("lfu-aging halves every window references; the default window is ten times the capacity", () => {
    const store = new CacheStore({ policy: "lfu-aging", maxEntries: 50 });
    const policy = policyOf<LfuAgingPolicy<PolicyNode>>(store);
    expect(policy.period).toBe(500);
    for (let i = 0; i < 1999; i++) if (!store.get(i % 70, i)) store.set(i % 70, { version: 1, size: 1 }, i);
    expect(policy.agings).toBe(3);
  });
});
