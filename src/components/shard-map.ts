// Which shard holds a key, now and during a resharding: a partitioner, plus
// the keys still waiting to be copied to their new shard (they stay where
// they were until their copy lands), plus what each shard served.
import {
  imbalance,
  LogicalShardPartitioner,
  type Partitioner,
  RangePartitioner,
  SlotPartitioner,
} from "../mechanisms/partitioning.js";

export type ShardStrategy =
  | "hash"
  | "consistent-hash"
  | "rendezvous"
  | "jump"
  | "slots"
  | "logical"
  | "range"
  | "list"
  | "composite"
  | "round-robin"
  | "geo"
  | "directory";

export interface ReshardPlan {
  atMs: number;
  shards: number;
}

export class ShardMap {
  private current: Partitioner;
  /** key -> shard it still lives on until its migration completes */
  private readonly pending = new Map<number, number>();
  /** reads and writes served per shard, over the run and in the current second */
  readonly ops: Float64Array;
  private readonly windowOps: Float64Array;
  readonly opsSeries: number[][];
  moved = 0;
  total = 0;
  startedAtMs: number | null = null;
  doneAtMs: number | null = null;
  copies = 0;

  constructor(
    readonly strategy: ShardStrategy,
    initial: Partitioner,
    /** a partitioner of the same strategy for n shards (range splits instead, see reshard) */
    private readonly make: (shards: number) => Partitioner,
    readonly capacity: number,
  ) {
    this.current = initial;
    this.ops = new Float64Array(capacity);
    this.windowOps = new Float64Array(capacity);
    this.opsSeries = Array.from({ length: capacity }, () => []);
  }

  get shards(): number {
    return this.current.shards;
  }

  shardOf(key: number): number {
    if (this.pending.size > 0) {
      const s = this.pending.get(key);
      if (s !== undefined) return s;
    }
    return this.current.shardOf(key);
  }

  /** Where the key belongs under the current partitioning, whether or not it is there yet. */
  homeOf(key: number): number {
    return this.current.shardOf(key);
  }

  isMigrating(key: number): boolean {
    return this.pending.has(key);
  }

  served(shard: number): void {
    this.ops[shard]++;
    this.windowOps[shard]++;
  }

  tick(): void {
    for (let s = 0; s < this.capacity; s++) {
      this.opsSeries[s].push(this.windowOps[s]);
      this.windowOps[s] = 0;
    }
  }

  /**
   * Switches to `shards` shards and returns, per source shard, the keys that
   * must move. `keysOf(s)` lists the keys shard s holds. A range partitioning
   * grows by splitting its fullest range at its median key (an online split:
   * only that range's upper half moves); hash slots and logical shards move
   * whole slots or logical shards, as few as evenness needs; other hashing
   * schemes are rebuilt.
   */
  reshard(shards: number, now: number, keysOf: (shard: number) => Iterable<number>): number[][] {
    const before = this.current;
    const held: number[][] = Array.from({ length: before.shards }, (_, s) => [...keysOf(s)]);
    let next: Partitioner;
    if (before instanceof RangePartitioner) {
      let p = before;
      while (p.shards < shards) {
        const counts = new Array<number>(p.shards).fill(0);
        const all = held.flat();
        for (const k of all) counts[p.shardOf(k)]++;
        const fullest = counts.indexOf(Math.max(...counts));
        const keys = all.filter((k) => p.shardOf(k) === fullest).sort((a, b) => a - b);
        const [lo, hi] = p.rangeOf(fullest);
        const median = keys.length > 1 ? keys[keys.length >> 1] : Math.floor(lo + (hi - lo) / 2);
        p = p.split(fullest, Math.min(Math.max(median, lo + 1), hi - 1));
      }
      next = p;
    } else if (before instanceof SlotPartitioner) next = before.rebalance(shards);
    else if (before instanceof LogicalShardPartitioner) next = before.reshard(shards);
    else next = this.make(shards);
    const moves = held.map((keys, s) => keys.filter((k) => next.shardOf(k) !== s));
    this.total += held.reduce((n, keys) => n + keys.length, 0);
    for (const [s, keys] of moves.entries()) for (const k of keys) this.pending.set(k, s);
    this.moved += moves.reduce((n, m) => n + m.length, 0);
    this.current = next;
    this.startedAtMs = now;
    if (this.pending.size === 0) this.doneAtMs = now;
    return moves;
  }

  /** The key's copy landed: it is served by its new shard from now on. */
  migrated(key: number, now: number): void {
    this.pending.delete(key);
    this.copies++;
    if (this.pending.size === 0) this.doneAtMs = now;
  }

  report(keysPerShard: number[]) {
    const n = this.capacity;
    const ops = Array.from(this.ops.subarray(0, n));
    const load = imbalance(ops.slice(0, Math.max(this.shards, 1)));
    const keys = imbalance(keysPerShard.slice(0, Math.max(this.shards, 1)));
    return {
      strategy: this.strategy,
      shards: this.shards,
      requestsPerShard: ops,
      keysPerShard,
      requestImbalance: { cv: load.cv, maxOverMean: load.maxOverMean },
      keyImbalance: { cv: keys.cv, maxOverMean: keys.maxOverMean },
      resharding:
        this.startedAtMs === null
          ? null
          : {
              atMs: this.startedAtMs,
              keysMoved: this.moved,
              keysTotal: this.total,
              movedFraction: this.total > 0 ? this.moved / this.total : 0,
              copies: this.copies,
              doneAtMs: this.doneAtMs,
            },
    };
  }
}
