// Key-to-shard partitioning schemes behind one interface, so a datastore can
// swap range, hash-mod-N, ring, rendezvous, jump, slots, logical shards,
// directory, geographic, list, composite or round-robin sharding without
// changing how it routes, and so resharding costs can be
// compared by counting moved keys. Keys are integers, as in hashing.ts; the
// hash-based schemes hash the key themselves, so sequential ids are spread.
import { HashRing, hash32, jumpHash, modN, rendezvous } from "./hashing.js";

/** Keys are non-negative integers below this bound (doubles stay exact). */
export const KEY_LIMIT = 2 ** 53;

/**
 * Maps keys (non-negative integers < 2^53) to shards 0..shards-1. shardOf is
 * a pure function of the partitioner's current state; partitioners that change
 * shape (range split) return a new instance so before/after can be compared.
 * The exception is round robin, whose state is where it put each key: asking
 * it about a key it has never seen places that key.
 */
export interface Partitioner {
  readonly shards: number;
  shardOf(key: number): number;
}

function checkShards(name: string, n: number): void {
  // 2^31 is HashRing's node id limit; no realistic shard count comes near it.
  if (!Number.isInteger(n) || n < 1 || n > 0x7fffffff) {
    throw new RangeError(`${name}: shards must be an integer in [1, 2^31), got ${n}`);
  }
}

function checkShard(name: string, shard: number, shards: number): void {
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards) {
    throw new RangeError(`${name}: shard must be an integer in [0, ${shards}), got ${shard}`);
  }
}

function checkKey(name: string, key: number): void {
  if (!Number.isInteger(key) || key < 0 || key >= KEY_LIMIT) {
    throw new RangeError(`${name}: keys must be integers in [0, 2^53), got ${key}`);
  }
}

/**
 * Contiguous key ranges (SH-02). Range r is [bounds[r-1], bounds[r]) with an
 * implicit 0 below and KEY_LIMIT above, and belongs to shard owners[r]. Shard
 * ids are kept apart from range order so a split can hand its upper half to a
 * brand-new shard without renumbering the others: only the split range's keys
 * move, as in an online split (Vitess, Citus, HBase regions).
 */
export class RangePartitioner implements Partitioner {
  readonly shards: number;
  private readonly bounds: Float64Array;
  private readonly owners: Int32Array;
  /** rangeOfShard[s] = index of the range shard s owns. */
  private readonly rangeOfShard: Int32Array;

  /**
   * @param splitPoints strictly increasing keys in (0, 2^53); n points make n+1 shards.
   * @param owners shard id of each range in key order (a permutation of 0..n); identity by default.
   */
  constructor(splitPoints: readonly number[], owners?: readonly number[]) {
    const n = splitPoints.length + 1;
    checkShards("RangePartitioner", n);
    let prev = 0;
    for (const p of splitPoints) {
      // A split at 0 or a repeated point would make an empty shard that never receives a key.
      if (!Number.isInteger(p) || p <= prev || p >= KEY_LIMIT) {
        throw new RangeError(
          `RangePartitioner: split points must be strictly increasing integers in (0, 2^53), got ${p}`,
        );
      }
      prev = p;
    }
    const own = owners ?? Array.from({ length: n }, (_, i) => i);
    if (own.length !== n) {
      throw new RangeError(`RangePartitioner: ${n} ranges need ${n} owners, got ${own.length}`);
    }
    const inverse = new Int32Array(n).fill(-1);
    for (let r = 0; r < n; r++) {
      const s = own[r];
      if (!Number.isInteger(s) || s < 0 || s >= n || inverse[s] !== -1) {
        throw new RangeError(`RangePartitioner: owners must be a permutation of 0..${n - 1}`);
      }
      inverse[s] = r;
    }
    this.shards = n;
    this.bounds = Float64Array.from(splitPoints);
    this.owners = Int32Array.from(own);
    this.rangeOfShard = inverse;
  }

  /**
   * Equal-width ranges over [0, keySpace); keys at or beyond keySpace fall in
   * the last shard, which is where monotonically growing ids pile up.
   */
  static fromUniformRanges(shards: number, keySpace: number): RangePartitioner {
    checkShards("RangePartitioner.fromUniformRanges", shards);
    if (!Number.isInteger(keySpace) || keySpace < shards || keySpace > KEY_LIMIT) {
      throw new RangeError(
        `RangePartitioner.fromUniformRanges: keySpace must be an integer in [shards, 2^53], got ${keySpace}`,
      );
    }
    // Quotient and remainder keep the arithmetic exact for key spaces near 2^53.
    const q = Math.floor(keySpace / shards);
    const rem = keySpace - q * shards;
    const points: number[] = [];
    for (let i = 1; i < shards; i++) points.push(i * q + Math.min(i, rem));
    return new RangePartitioner(points);
  }

  shardOf(key: number): number {
    // upper bound: the number of split points <= key is the range index
    const b = this.bounds;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[mid] <= key) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo];
  }

  /** [lo, hi) of the keys shard holds; hi is KEY_LIMIT for the top range. */
  rangeOf(shard: number): [number, number] {
    checkShard("RangePartitioner.rangeOf", shard, this.shards);
    const r = this.rangeOfShard[shard];
    return [r === 0 ? 0 : this.bounds[r - 1], r === this.bounds.length ? KEY_LIMIT : this.bounds[r]];
  }

  /** Split points in key order (a copy). */
  splitPoints(): number[] {
    return Array.from(this.bounds);
  }

  /**
   * A new partitioner in which shard keeps [lo, at) and a new shard, numbered
   * this.shards, takes [at, hi). Every other key keeps its shard.
   */
  split(shard: number, at: number): RangePartitioner {
    const [lo, hi] = this.rangeOf(shard);
    if (!Number.isInteger(at) || at <= lo || at >= hi) {
      throw new RangeError(
        `RangePartitioner.split: split point must be an integer in (${lo}, ${hi}), got ${at}`,
      );
    }
    const r = this.rangeOfShard[shard];
    const points = Array.from(this.bounds);
    points.splice(r, 0, at);
    const owners = Array.from(this.owners);
    owners.splice(r + 1, 0, this.shards);
    return new RangePartitioner(points, owners);
  }
}

/** hash(key) mod N (SH-03): even for high-cardinality keys, but changing N remaps ~1 - 1/max(N, N') of them. */
export class HashModPartitioner implements Partitioner {
  constructor(readonly shards: number) {
    checkShards("HashModPartitioner", shards);
  }

  shardOf(key: number): number {
    return modN(hash32(key), this.shards);
  }
}

/**
 * Consistent hashing with virtual nodes (SH-04..SH-06) over shards 0..N-1.
 * Ring positions depend only on (shard, vnode), so growing N to N+1 moves
 * only the keys on the new shard's arcs, about 1/(N+1) of them.
 */
export class ConsistentHashPartitioner implements Partitioner {
  readonly ring: HashRing;

  /** @param weights relative capacity per shard (SH-06): shard i gets round(vnodes × weights[i]) positions. */
  constructor(
    readonly shards: number,
    vnodes = 150,
    weights?: readonly number[],
  ) {
    checkShards("ConsistentHashPartitioner", shards);
    if (!Number.isInteger(vnodes) || vnodes < 1) {
      throw new RangeError(`ConsistentHashPartitioner: vnodes must be a positive integer, got ${vnodes}`);
    }
    if (weights && weights.length !== shards) {
      throw new RangeError(
        `ConsistentHashPartitioner: ${shards} shards need ${shards} weights, got ${weights.length}`,
      );
    }
    if (weights && !weights.some((w) => w > 0)) {
      // an empty ring would answer -1, which is not a shard
      throw new RangeError("ConsistentHashPartitioner: at least one weight must be positive");
    }
    const nodes = Array.from({ length: shards }, (_, i) => i);
    this.ring = new HashRing(nodes, vnodes, weights ? { weights } : {});
  }

  shardOf(key: number): number {
    return this.ring.owner(hash32(key));
  }
}

/**
 * Hash slots (SH-09, Redis Cluster): a key hashes to one of a fixed number of
 * slots (16,384 by default) and each shard owns a set of slots. Rebalancing
 * moves whole slots, and only as many as evenness needs: growing from N to
 * N' shards moves 1 - N/N' of the slots (3 -> 4: a quarter).
 */
export class SlotPartitioner implements Partitioner {
  readonly shards: number;
  private readonly owner: Int32Array;

  /** Slots dealt out in contiguous, nearly equal runs, as `redis-cli --cluster create` does. */
  constructor(shards: number, slots = 16384, owner?: Int32Array) {
    checkShards("SlotPartitioner", shards);
    if (!Number.isInteger(slots) || slots < shards)
      throw new RangeError(`SlotPartitioner: slots must be an integer >= shards, got ${slots}`);
    this.shards = shards;
    this.owner = owner ?? Int32Array.from({ length: slots }, (_, i) => Math.floor((i * shards) / slots));
  }

  get slots(): number {
    return this.owner.length;
  }

  slotOf(key: number): number {
    return hash32(key) % this.owner.length;
  }

  shardOf(key: number): number {
    return this.owner[this.slotOf(key)];
  }

  /** Slots each shard owns. */
  slotCounts(): number[] {
    const c = new Array<number>(this.shards).fill(0);
    for (const s of this.owner) c[s]++;
    return c;
  }

  /**
   * The same slots over `shards` shards, moving the fewest: shards above their
   * fair share give slots away (from the end of their runs) to shards below
   * it; shards that disappear give all theirs. Every other slot stays put.
   */
  rebalance(shards: number): SlotPartitioner {
    checkShards("SlotPartitioner.rebalance", shards);
    return new SlotPartitioner(shards, this.owner.length, rebalanceTable(this.owner, this.shards, shards));
  }
}

/**
 * A bucket -> shard table moved to `shards` shards with the fewest buckets
 * changing hands; each shard ends with floor or ceil of buckets / shards
 * (the lower-numbered ones with the extra). Shared by hash slots and logical
 * shards, whose resharding is the same problem.
 */
function rebalanceTable(table: Int32Array, before: number, shards: number): Int32Array {
  const n = table.length;
  const owner = Int32Array.from(table);
  const target = (s: number) => Math.floor(n / shards) + (s < n % shards ? 1 : 0);
  const count = new Array<number>(Math.max(shards, before)).fill(0);
  for (const s of owner) count[s]++;
  // buckets to hand out: everything of a removed shard, the surplus of the others
  const free: number[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const s = owner[i];
    const keep = s < shards ? target(s) : 0;
    if (count[s] > keep) {
      count[s]--;
      free.push(i);
    }
  }
  for (let s = 0; s < shards; s++)
    while (count[s] < target(s)) {
      owner[free.pop()!] = s;
      count[s]++;
    }
  return owner;
}

/** Most logical shards a LogicalShardPartitioner takes: its table is one int per logical shard. */
export const LOGICAL_LIMIT = 2 ** 20;

/**
 * Logical -> physical shards (SH-16, as at Instagram and Pinterest): a key
 * hashes to one of a fixed, large number of logical shards (4,096 by
 * default) and a table places each logical shard on a physical shard (a
 * database server). The key -> logical step never changes; resharding only
 * rewrites the table, so data moves a whole logical shard at a time and only
 * for the logical shards that were reassigned. Ids made for a key's rows can
 * carry its logical shard in their bits (idFor), so routing them needs no
 * hashing and no directory: shardOfId reads the shard out of the id.
 */
export class LogicalShardPartitioner implements Partitioner {
  readonly shards: number;
  private readonly table: Int32Array;

  /**
   * @param physical physical shards
   * @param logical logical shards, at least `physical`
   * @param table physical shard of each logical shard; by default contiguous, nearly equal runs
   */
  constructor(physical: number, logical = 4096, table?: ArrayLike<number>) {
    checkShards("LogicalShardPartitioner", physical);
    if (!Number.isInteger(logical) || logical < physical || logical > LOGICAL_LIMIT) {
      throw new RangeError(
        `LogicalShardPartitioner: logical shards must be an integer in [${physical}, 2^20], got ${logical}`,
      );
    }
    if (table) {
      if (table.length !== logical) {
        throw new RangeError(
          `LogicalShardPartitioner: ${logical} logical shards need ${logical} table entries, got ${table.length}`,
        );
      }
      for (let l = 0; l < logical; l++) checkShard("LogicalShardPartitioner", table[l], physical);
    }
    this.shards = physical;
    this.table = table
      ? Int32Array.from(table)
      : Int32Array.from({ length: logical }, (_, l) => Math.floor((l * physical) / logical));
  }

  get logicalShards(): number {
    return this.table.length;
  }

  /** The key's logical shard: fixed for good, whatever the physical layout. */
  logicalOf(key: number): number {
    return hash32(key) % this.table.length;
  }

  /** The physical shard a logical shard is on now. */
  physicalOf(logical: number): number {
    checkShard("LogicalShardPartitioner.physicalOf", logical, this.table.length);
    return this.table[logical];
  }

  shardOf(key: number): number {
    return this.table[this.logicalOf(key)];
  }

  /** Logical shards on each physical shard. */
  logicalCounts(): number[] {
    const c = new Array<number>(this.shards).fill(0);
    for (const s of this.table) c[s]++;
    return c;
  }

  /** Physical shard of every logical shard, by logical shard (a copy). */
  mapping(): number[] {
    return Array.from(this.table);
  }

  /**
   * A new partitioner with one logical shard placed on `physical`, which may
   * be this.shards to bring in a new physical shard. Only that logical
   * shard's keys move.
   */
  move(logical: number, physical: number): LogicalShardPartitioner {
    checkShard("LogicalShardPartitioner.move", logical, this.table.length);
    checkShard("LogicalShardPartitioner.move", physical, this.shards + 1);
    const table = Int32Array.from(this.table);
    table[logical] = physical;
    return new LogicalShardPartitioner(Math.max(this.shards, physical + 1), table.length, table);
  }

  /**
   * The same logical shards over `physical` physical shards, reassigning the
   * fewest: growing from P to P' moves (P' - P) / P' of the logical shards
   * (to within one), all onto the new ones.
   */
  reshard(physical: number): LogicalShardPartitioner {
    checkShards("LogicalShardPartitioner.reshard", physical);
    if (physical > this.table.length) {
      throw new RangeError(
        `LogicalShardPartitioner.reshard: ${this.table.length} logical shards cannot fill ${physical} physical ones`,
      );
    }
    return new LogicalShardPartitioner(
      physical,
      this.table.length,
      rebalanceTable(this.table, this.shards, physical),
    );
  }

  /** The logical shards whose physical shard differs in `other`: what a move between the two copies. */
  reassigned(other: LogicalShardPartitioner): number[] {
    if (other.table.length !== this.table.length) {
      throw new RangeError("LogicalShardPartitioner.reassigned: the two have different logical shards");
    }
    const out: number[] = [];
    for (let l = 0; l < this.table.length; l++) if (this.table[l] !== other.table[l]) out.push(l);
    return out;
  }

  /** An id for a row of `key` made at timeMs: it carries key's logical shard. */
  idFor(key: number, timeMs: number, seq: number, layout = INSTAGRAM_IDS): bigint {
    return encodeShardedId({ timeMs, shard: this.logicalOf(key), seq }, layout);
  }

  /** The physical shard of an id made by idFor, read from its bits: no hashing, no lookup. */
  shardOfId(id: bigint, layout = INSTAGRAM_IDS): number {
    return this.physicalOf(decodeShardedId(id, layout).shard);
  }
}

// Ids that carry their shard (SH-16): [time | shard | sequence], most
// significant bits first, so ids sort by creation time and any holder of an
// id can route it. BigInt: Instagram's layout is 64 bits, past 2^53.

/** Bit widths of an id, most significant field first. */
export interface ShardedIdLayout {
  timeBits: number;
  shardBits: number;
  seqBits: number;
}

/**
 * Instagram's layout: 41 bits of milliseconds since a custom epoch (69
 * years), 13 bits of logical shard (8,192) and 10 bits of a per-shard
 * sequence (1,024 ids per shard per millisecond).
 */
export const INSTAGRAM_IDS: ShardedIdLayout = { timeBits: 41, shardBits: 13, seqBits: 10 };

export interface ShardedId {
  /** milliseconds since the id scheme's epoch */
  timeMs: number;
  shard: number;
  seq: number;
}

function checkLayout(name: string, l: ShardedIdLayout): void {
  const bits = [l.timeBits, l.shardBits, l.seqBits];
  // timeMs must stay an exact double; 64 bits is what a BIGINT column holds
  if (!bits.every((b) => Number.isInteger(b) && b >= 0) || l.timeBits > 53 || l.shardBits > 31) {
    throw new RangeError(`${name}: bit widths must be integers >= 0, time <= 53 and shard <= 31 bits`);
  }
  if (l.timeBits + l.shardBits + l.seqBits > 64) {
    throw new RangeError(`${name}: the fields take more than 64 bits`);
  }
}

function checkField(name: string, field: string, v: number, bits: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) {
    throw new RangeError(`${name}: ${field} must be an integer in [0, 2^${bits}), got ${v}`);
  }
}

/** Packs time, shard and sequence into one id. */
export function encodeShardedId(id: ShardedId, layout = INSTAGRAM_IDS): bigint {
  checkLayout("encodeShardedId", layout);
  checkField("encodeShardedId", "timeMs", id.timeMs, layout.timeBits);
  checkField("encodeShardedId", "shard", id.shard, layout.shardBits);
  checkField("encodeShardedId", "seq", id.seq, layout.seqBits);
  const seqBits = BigInt(layout.seqBits);
  return (((BigInt(id.timeMs) << BigInt(layout.shardBits)) | BigInt(id.shard)) << seqBits) | BigInt(id.seq);
}

/** The fields of an id made by encodeShardedId with the same layout. */
export function decodeShardedId(id: bigint, layout = INSTAGRAM_IDS): ShardedId {
  checkLayout("decodeShardedId", layout);
  const total = layout.timeBits + layout.shardBits + layout.seqBits;
  if (id < 0n || id >> BigInt(total) !== 0n) {
    throw new RangeError(`decodeShardedId: id must be in [0, 2^${total}), got ${id}`);
  }
  const seqMask = (1n << BigInt(layout.seqBits)) - 1n;
  const shardMask = (1n << BigInt(layout.shardBits)) - 1n;
  return {
    timeMs: Number(id >> BigInt(layout.shardBits + layout.seqBits)),
    shard: Number((id >> BigInt(layout.seqBits)) & shardMask),
    seq: Number(id & seqMask),
  };
}

/** Highest-random-weight hashing: no state, O(N) per lookup, minimal disruption when N grows. */
export class RendezvousPartitioner implements Partitioner {
  constructor(readonly shards: number) {
    checkShards("RendezvousPartitioner", shards);
  }

  shardOf(key: number): number {
    return rendezvous(hash32(key), this.shards);
  }
}

/**
 * Jump consistent hash: no state, O(log N), N -> N+1 moves exactly the keys
 * that land on the new shard. Only growth and shrinkage at the top are cheap:
 * removing a middle shard is not expressible, which is why it suits
 * numbered storage shards better than a set of servers that fail at random.
 */
export class JumpPartitioner implements Partitioner {
  constructor(readonly shards: number) {
    checkShards("JumpPartitioner", shards);
  }

  shardOf(key: number): number {
    // Hashing first spreads sequential ids; jump's LCG expects well-mixed input.
    return jumpHash(hash32(key), this.shards);
  }
}

/**
 * Directory-based partitioning (SH-10): an explicit key -> shard table that
 * wins over a fallback scheme, e.g. to give a hot tenant a dedicated shard or
 * to move single keys during a migration. shards may exceed the fallback's so
 * that directory entries can point at shards the fallback never uses.
 */
export class DirectoryPartitioner implements Partitioner {
  readonly shards: number;
  private readonly table = new Map<number, number>();

  constructor(
    readonly fallback: Partitioner,
    shards = fallback.shards,
  ) {
    checkShards("DirectoryPartitioner", shards);
    if (shards < fallback.shards) {
      throw new RangeError(
        `DirectoryPartitioner: shards (${shards}) must cover the fallback's ${fallback.shards}`,
      );
    }
    this.shards = shards;
  }

  /** Pins key to shard, replacing any earlier entry. */
  assign(key: number, shard: number): void {
    checkKey("DirectoryPartitioner.assign", key);
    checkShard("DirectoryPartitioner.assign", shard, this.shards);
    this.table.set(key, shard);
  }

  /** Returns key to the fallback; true if it had an entry. */
  unassign(key: number): boolean {
    return this.table.delete(key);
  }

  /** Number of explicit entries: the directory's memory cost. */
  get size(): number {
    return this.table.size;
  }

  shardOf(key: number): number {
    const s = this.table.get(key);
    return s === undefined ? this.fallback.shardOf(key) : s;
  }

  /** An independent copy, so a reassignment can be compared with the state before it. */
  clone(): DirectoryPartitioner {
    const d = new DirectoryPartitioner(this.fallback, this.shards);
    for (const [k, s] of this.table) d.table.set(k, s);
    return d;
  }
}

/**
 * Geographic sharding (SH-14): the caller decides a key's region (user home,
 * data-residency rule) and each region is pinned to a shard, so shard sizes
 * follow regional demand rather than the hash's uniformity.
 */
export class GeoPartitioner implements Partitioner {
  readonly shards: number;
  private readonly map: Int32Array;

  /** @param shardOfRegion shard of each region 0..R-1; shards = max entry + 1. */
  constructor(
    private readonly regionOfKey: (key: number) => number,
    shardOfRegion: readonly number[],
  ) {
    if (shardOfRegion.length === 0) throw new RangeError("GeoPartitioner: at least one region is required");
    let max = 0;
    for (const s of shardOfRegion) {
      if (!Number.isInteger(s) || s < 0 || s > 0x7ffffffe) {
        throw new RangeError(`GeoPartitioner: shards must be non-negative integers, got ${s}`);
      }
      max = Math.max(max, s);
    }
    this.shards = max + 1;
    this.map = Int32Array.from(shardOfRegion);
  }

  shardOf(key: number): number {
    const r = this.regionOfKey(key);
    if (!Number.isInteger(r) || r < 0 || r >= this.map.length) {
      // a silent default region would hide residency violations
      throw new RangeError(
        `GeoPartitioner: region of key ${key} must be in [0, ${this.map.length}), got ${r}`,
      );
    }
    return this.map[r];
  }
}

/** A key, or the keys lo..hi with both ends included. */
export type KeyRange = number | readonly [number, number];

/** The keys one shard holds under list partitioning. */
export interface KeyList {
  shard: number;
  keys: readonly KeyRange[];
}

/**
 * List partitioning (SH-11): each shard holds the keys listed for it, single
 * keys and inclusive ranges, as a LIST partition names its values (the
 * Nordic countries on one partition), and every key no list names goes to a
 * default shard. Placement is a decision written down, not a hash: shards
 * are as even, or as uneven, as the lists make them.
 */
export class ListPartitioner implements Partitioner {
  readonly shards: number;
  /** disjoint listed intervals [lo[i], hi[i]] in key order, and the shard of each */
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly owner: Int32Array;

  /** @throws RangeError when a key is listed for two shards, or a shard is out of range */
  constructor(
    shards: number,
    lists: readonly KeyList[],
    readonly defaultShard: number,
  ) {
    checkShards("ListPartitioner", shards);
    checkShard("ListPartitioner (default)", defaultShard, shards);
    const spans: [number, number, number][] = [];
    for (const { shard, keys } of lists) {
      checkShard("ListPartitioner", shard, shards);
      for (const k of keys) {
        const [lo, hi] = typeof k === "number" ? [k, k] : k;
        checkKey("ListPartitioner", lo);
        checkKey("ListPartitioner", hi);
        if (lo > hi) throw new RangeError(`ListPartitioner: range ${lo}..${hi} is empty`);
        spans.push([lo, hi, shard]);
      }
    }
    spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    // overlaps within one shard's list merge; across shards they are a contradiction
    const merged: [number, number, number][] = [];
    for (const sp of spans) {
      const last = merged[merged.length - 1];
      if (last && sp[0] <= last[1]) {
        if (last[2] !== sp[2]) {
          throw new RangeError(`ListPartitioner: key ${sp[0]} is listed for shards ${last[2]} and ${sp[2]}`);
        }
        last[1] = Math.max(last[1], sp[1]);
      } else merged.push([sp[0], sp[1], sp[2]]);
    }
    this.shards = shards;
    this.lo = Float64Array.from(merged, (m) => m[0]);
    this.hi = Float64Array.from(merged, (m) => m[1]);
    this.owner = Int32Array.from(merged, (m) => m[2]);
  }

  /** Index of the listed interval holding key, or -1. */
  private spanOf(key: number): number {
    // the last interval starting at or below key is the only one that can hold it
    let lo = 0;
    let hi = this.lo.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lo[mid] <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && key <= this.hi[lo - 1] ? lo - 1 : -1;
  }

  /** Whether some list names the key (otherwise it is on the default shard). */
  isListed(key: number): boolean {
    return this.spanOf(key) >= 0;
  }

  shardOf(key: number): number {
    const i = this.spanOf(key);
    return i < 0 ? this.defaultShard : this.owner[i];
  }
}

/** A group of shards under composite partitioning, and the keys it holds. */
export interface ShardGroup {
  keys: readonly KeyRange[];
  shards: readonly number[];
}

/**
 * Composite partitioning (SH-13): list (or range) first, then hash. The
 * lists choose a group of shards for a key (a region's, a big tenant's, a
 * range of ids) and the key's hash picks a shard within the group, so a
 * group is spread evenly over its own shards and keys never leave their
 * group. Keys no group lists are hashed over the default group.
 */
export class CompositePartitioner implements Partitioner {
  readonly shards: number;
  /** key -> group index; the default group is numbered groups.length */
  private readonly outer: ListPartitioner;
  private readonly members: Int32Array[];

  /** @throws RangeError when a shard is in two groups, a group is empty, or a key is listed twice */
  constructor(shards: number, groups: readonly ShardGroup[], defaultShards: readonly number[]) {
    checkShards("CompositePartitioner", shards);
    const all = [...groups.map((g) => g.shards), defaultShards];
    const seen = new Set<number>();
    for (const members of all) {
      if (members.length === 0)
        throw new RangeError("CompositePartitioner: a group needs at least one shard");
      for (const s of members) {
        checkShard("CompositePartitioner", s, shards);
        if (seen.has(s)) throw new RangeError(`CompositePartitioner: shard ${s} is in two groups`);
        seen.add(s);
      }
    }
    this.shards = shards;
    this.outer = new ListPartitioner(
      all.length,
      groups.map((g, i) => ({ shard: i, keys: g.keys })),
      groups.length,
    );
    this.members = all.map((m) => Int32Array.from(m));
  }

  /** The key's group: its index in the constructor's groups, or groups.length for the default. */
  groupOf(key: number): number {
    return this.outer.shardOf(key);
  }

  shardOf(key: number): number {
    const m = this.members[this.outer.shardOf(key)];
    return m[modN(hash32(key), m.length)];
  }
}

/**
 * Round-robin partitioning (SH-12): the i-th new key goes to shard i mod N,
 * so keys are spread exactly evenly whatever their values or popularity.
 * The price is that a key's shard is an accident of arrival order, not a
 * function of the key: only this table knows where a key is, so a reader
 * holding just the key must ask every shard. Memory grows with the keys.
 */
export class RoundRobinPartitioner implements Partitioner {
  private readonly placed = new Map<number, number>();
  private inserted = 0;

  constructor(readonly shards: number) {
    checkShards("RoundRobinPartitioner", shards);
  }

  /** The key's shard; a key seen for the first time is placed on the next shard in turn. */
  shardOf(key: number): number {
    let s = this.placed.get(key);
    if (s === undefined) {
      checkKey("RoundRobinPartitioner", key);
      s = this.inserted++ % this.shards;
      this.placed.set(key, s);
    }
    return s;
  }

  /** Whether the key has been placed. */
  has(key: number): boolean {
    return this.placed.has(key);
  }

  /** Keys placed so far. */
  get size(): number {
    return this.placed.size;
  }
}

/**
 * Fraction of keys whose shard differs between two partitionings: the share
 * of data a resharding has to copy (SH-19). 0 for no keys.
 */
export function movedFraction(before: Partitioner, after: Partitioner, keys: Iterable<number>): number {
  let total = 0;
  let moved = 0;
  for (const k of keys) {
    total++;
    if (before.shardOf(k) !== after.shardOf(k)) moved++;
  }
  return total === 0 ? 0 : moved / total;
}

export interface Imbalance {
  mean: number;
  max: number;
  /** Coefficient of variation: population standard deviation / mean. */
  cv: number;
  /** The hottest shard relative to a perfectly even split; what sizes the fleet. */
  maxOverMean: number;
}

/**
 * Summary of per-shard loads. All-zero loads count as perfectly balanced
 * (cv 0, maxOverMean 1) rather than NaN, so an idle system does not poison
 * reports.
 */
export function imbalance(loads: readonly number[]): Imbalance {
  if (loads.length === 0) throw new RangeError("imbalance: at least one load is required");
  let sum = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (const x of loads) {
    if (!(x >= 0) || !Number.isFinite(x))
      throw new RangeError(`imbalance: loads must be finite and >= 0, got ${x}`);
    sum += x;
    if (x > max) max = x;
  }
  const mean = sum / loads.length;
  if (mean === 0) return { mean: 0, max: 0, cv: 0, maxOverMean: 1 };
  let ss = 0;
  for (const x of loads) ss += (x - mean) ** 2;
  return { mean, max, cv: Math.sqrt(ss / loads.length) / mean, maxOverMean: max / mean };
}

// Write sharding (salting, SH-20): a single hot key always hashes to one shard,
// whatever the scheme, so its writes are spread by writing to one of B derived
// sub-keys and reading all B back (a scatter-gather over up to B shards).

const SALT = 0x2545f491;
const SALT_HI = 0x68e31da4;

/**
 * The bucket-th sub-key of key: an opaque integer in [0, 2^53), the same on
 * every call, distinct across buckets of one key (up to a 2^-53 collision) and
 * unrelated to neighbouring keys, so any hash partitioner spreads the buckets
 * as if they were independent keys. Writers pick a bucket (round robin,
 * random, or by writer id); readers use allSubKeys.
 */
export function subKey(key: number, bucket: number): number {
  checkKey("subKey", key);
  if (!Number.isInteger(bucket) || bucket < 0 || bucket > 0xffffffff) {
    throw new RangeError(`subKey: bucket must be an integer in [0, 2^32), got ${bucket}`);
  }
  // An odd multiplier is a bijection mod 2^32, so every bucket gets its own seed.
  const seed = Math.imul(bucket, 0x9e3779b9) ^ SALT;
  const lo = hash32(key, seed);
  const hi = hash32(key, seed ^ SALT_HI) & 0x1fffff; // 21 bits: hi * 2^32 + lo < 2^53
  return hi * 4294967296 + lo;
}

/** Every sub-key of key for buckets 0..buckets-1, in bucket order: what a reader must gather. */
export function allSubKeys(key: number, buckets: number): number[] {
  if (!Number.isInteger(buckets) || buckets < 1) {
    throw new RangeError(`allSubKeys: buckets must be a positive integer, got ${buckets}`);
  }
  const out = new Array<number>(buckets);
  for (let b = 0; b < buckets; b++) out[b] = subKey(key, b);
  return out;
}

/** Salts a hot key into `buckets` sub-keys (the catalogue's name for allSubKeys). */
export const saltedKeys = allSubKeys;
