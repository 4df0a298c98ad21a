// Key-to-node mapping schemes: a consistent-hash ring with virtual nodes,
// rendezvous (highest random weight), mod-N and jump consistent hashing. Pure
// functions over integers; node ids and key hashes are plain numbers so the
// same code maps keys in the simulator, in theory checks and in unit tests.
import { fmix32 } from "../kernel/rng.js";

const TWO_32 = 4294967296;
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** One murmur3 body round; folds a 32-bit block into the running state. */
function round(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, C2);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * murmur3_x86_32 of two 32-bit words (a 64-bit little-endian integer). Both
 * words always go through the body so (lo, hi) pairs never collide trivially,
 * which matters for ring positions derived from (node, vnode).
 */
export function hashPair(lo: number, hi: number, seed = 0): number {
  let h = round(seed | 0, lo | 0);
  h = round(h, hi | 0);
  return fmix32(h ^ 8);
}

/**
 * Well-mixed unsigned 32-bit hash of a non-negative integer. Integers up to
 * 2^53 are split into high and low words so keys beyond 2^32 do not alias
 * their low bits.
 */
export function hash32(x: number, seed = 0): number {
  const hi = x >= TWO_32 ? Math.floor(x / TWO_32) : 0;
  return hashPair(x >>> 0, hi, seed);
}

/** Something that can say whether a node may receive traffic (e.g. a balancer's view). */
export interface UsableSet {
  usable(node: number): boolean;
}

export interface HashRingOptions {
  /** Relative weights, one per node id in the same order; a node gets round(vnodes × weight) positions. */
  weights?: readonly number[];
  /** Changes every position on the ring (independent ring layouts for statistical tests). */
  seed?: number;
}

/** Salt so ring positions are unrelated to key hashes computed with the same seed. */
const RING_SALT = 0x5bd1e995;

/**
 * Consistent hashing (Karger et al.) with virtual nodes: each node owns the
 * arcs ending at its positions, and a key belongs to the first position at or
 * clockwise after its hash. Positions depend only on (node id, vnode index),
 * so adding or removing a node moves only the keys on that node's arcs.
 */
export class HashRing {
  /** Sorted ring positions (unsigned 32-bit). */
  readonly positions: Uint32Array;
  /** Node id owning each position. */
  readonly owners: Int32Array;
  readonly nodes: readonly number[];

  /** @param nodes node ids: integers in [0, 2^31). */
  constructor(nodes: readonly number[], vnodes = 150, opts: HashRingOptions = {}) {
    const weights = opts.weights;
    const salt = ((opts.seed ?? 0) ^ RING_SALT) | 0;
    const counts = nodes.map((_, i) => {
      const w = weights ? (weights[i] ?? 1) : 1;
      if (!(w >= 0)) throw new RangeError(`HashRing: weight must be >= 0, got ${w}`);
      // A node with a positive weight keeps at least one position so it is never silently dropped.
      return w === 0 ? 0 : Math.max(1, Math.round(vnodes * w));
    });
    let total = 0;
    for (const c of counts) total += c;
    const pos = new Float64Array(total);
    const own = new Int32Array(total);
    let j = 0;
    for (let i = 0; i < nodes.length; i++) {
      const id = nodes[i];
      if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
        throw new RangeError(`HashRing: node ids must be integers in [0, 2^31), got ${id}`);
      }
      for (let v = 0; v < counts[i]; v++) {
        pos[j] = hashPair(v, id, salt);
        own[j++] = id;
      }
    }
    // Sort an index permutation; equal positions (32-bit collisions) order by
    // node id so the layout does not depend on the order nodes were listed in.
    const idx = Array.from({ length: total }, (_, k) => k);
    idx.sort((a, b) => pos[a] - pos[b] || own[a] - own[b]);
    this.positions = new Uint32Array(total);
    this.owners = new Int32Array(total);
    for (let k = 0; k < total; k++) {
      this.positions[k] = pos[idx[k]];
      this.owners[k] = own[idx[k]];
    }
    this.nodes = nodes.slice();
  }

  /** Number of positions (virtual nodes) on the ring. */
  get size(): number {
    return this.positions.length;
  }

  /** Index of the first position >= keyHash, wrapping to 0 past the end. */
  successor(keyHash: number): number {
    const p = this.positions;
    const h = keyHash >>> 0;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === p.length ? 0 : lo;
  }

  /** Node owning keyHash, or -1 on an empty ring. */
  owner(keyHash: number): number {
    if (this.positions.length === 0) return -1;
    return this.owners[this.successor(keyHash)];
  }

  /**
   * Walks clockwise from keyHash to the first position whose node is usable:
   * a failed node's keys spread over the nodes that follow its vnodes, as in a
   * real ring, instead of all landing on one neighbour. -1 if none is usable.
   */
  ownerSkipping(keyHash: number, isUsable: (node: number) => boolean): number {
    const n = this.positions.length;
    if (n === 0) return -1;
    const owners = this.owners;
    let i = this.successor(keyHash);
    for (let step = 0; step < n; step++) {
      const node = owners[i];
      if (isUsable(node)) return node;
      if (++i === n) i = 0;
    }
    return -1;
  }

  /** ownerSkipping against an object, so hot callers need no per-call closure. */
  ownerIn(keyHash: number, set: UsableSet): number {
    const n = this.positions.length;
    if (n === 0) return -1;
    const owners = this.owners;
    let i = this.successor(keyHash);
    for (let step = 0; step < n; step++) {
      const node = owners[i];
      if (set.usable(node)) return node;
      if (++i === n) i = 0;
    }
    return -1;
  }

  /** Fraction of the hash space owned by node (the expected fraction of keys it receives). */
  share(node: number): number {
    const p = this.positions;
    const n = p.length;
    if (n === 0) return 0;
    let owned = 0;
    for (let i = 0; i < n; i++) {
      if (this.owners[i] !== node) continue;
      // position i owns (previous position, p[i]]; the first one wraps around 2^32
      owned += i === 0 ? p[0] + TWO_32 - p[n - 1] : p[i] - p[i - 1];
    }
    return owned / TWO_32;
  }
}

/** Score of node for a key under rendezvous hashing (unsigned 32-bit). */
export function rendezvousScore(keyHash: number, node: number, seed = 0): number {
  return hashPair(keyHash, node, seed ^ RING_SALT);
}

/**
 * Weighted rendezvous score -w / ln(u) with u uniform in (0, 1): the node with
 * the highest score wins with probability w_i / sum(w), and adding a node only
 * takes keys for which it now scores highest.
 */
export function weightedRendezvousScore(keyHash: number, node: number, weight: number, seed = 0): number {
  if (!(weight > 0)) return Number.NEGATIVE_INFINITY;
  const u = (rendezvousScore(keyHash, node, seed) + 0.5) / TWO_32;
  return -weight / Math.log(u);
}

/**
 * Highest random weight hashing over nodes 0..n-1: O(n) per lookup, no state,
 * minimal disruption. Ties (a 2^-32 event) go to the lower index. -1 if no
 * node is usable.
 */
export function rendezvous(
  keyHash: number,
  n: number,
  isUsable?: ((node: number) => boolean) | null,
  weights?: readonly number[] | null,
): number {
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (isUsable && !isUsable(i)) continue;
    const s = weights ? weightedRendezvousScore(keyHash, i, weights[i]) : rendezvousScore(keyHash, i);
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  }
  return best;
}

/** The textbook baseline: changing n remaps about 1 - 1/max(n, n') of keys. */
export function modN(keyHash: number, n: number): number {
  if (n <= 0) return -1;
  return (keyHash >>> 0) % n;
}

// Jump consistent hash's 64-bit LCG (multiplier 2862933555777941757), emulated
// in 32-bit halves: BigInt would allocate on every step.
const M_HI = 0x27bb2ee6;
const M_LO = 0x87b0b0fd;
const M_LO_H = M_LO >>> 16;
const M_LO_L = M_LO & 0xffff;
const TWO_31 = 2147483648;

/**
 * Jump consistent hash (Lamping and Veach, 2014): maps a 64-bit key to a
 * bucket in [0, buckets) with no state; growing from n to n+1 buckets moves
 * exactly the keys that land in the new bucket (about 1/(n+1)). Bit-exact with
 * the paper's C++ for keys below 2^53.
 */
export function jumpHash(key: number, buckets: number): number {
  if (buckets <= 0) return -1;
  let hi = key >= TWO_32 ? Math.floor(key / TWO_32) >>> 0 : 0;
  let lo = key >>> 0;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    // (hi, lo) = (hi, lo) * M + 1 mod 2^64
    const lh = lo >>> 16;
    const ll = lo & 0xffff;
    // lo * M_LO as a 64-bit product from 16-bit limbs
    const p0 = ll * M_LO_L;
    const p1 = lh * M_LO_L + ll * M_LO_H; // < 2^33, exact in a double
    const p2 = lh * M_LO_H;
    const low = p0 + (p1 % 65536) * 65536; // < 2^33
    const newLo = low % TWO_32;
    const carry = Math.floor(low / TWO_32) + Math.floor(p1 / 65536) + p2;
    let newHi = (carry + Math.imul(hi, M_LO) + Math.imul(lo, M_HI)) >>> 0;
    let lo1 = newLo + 1;
    if (lo1 === TWO_32) {
      lo1 = 0;
      newHi = (newHi + 1) >>> 0;
    }
    lo = lo1;
    hi = newHi;
    j = Math.floor((b + 1) * (TWO_31 / ((hi >>> 1) + 1)));
  }
  return b;
}
