// What a service's read and write steps need from a data store, whatever its
// replication scheme: an index in the consistency checker, and a place to
// count the checker's verdicts per second. Reads and writes are calls with
// op OP_READ / OP_WRITE; the store answers with job.version set.
import type { Component } from "./runtime.js";

export interface Store extends Component {
  /** index of this store in the consistency checker (Sim.consistency) */
  storeId: number;
  /** the checker's verdict (STALE | RYW | MONOTONIC bits) on one read of this store */
  noteRead(flags: number): void;
  /**
   * Registers a read step's options and returns the index reads carry in
   * job.policy; a store without options returns 0.
   */
  readPolicy(options: unknown): number;
  /**
   * Directory-based sharding: callers must learn a key's shard from this
   * service (route "lookup") before calling, caching the answer for ttlMs.
   */
  directory?: { service: Component; ttlMs: number } | null;
  /** a version-check read retried a replica (or, fallback, went to the primary) */
  noteVersionCheck?(fallback: boolean): void;
  /** shards a scatter read must ask (a store without shards has one) */
  readonly shardCount?: number;
  /** the version of a key the store holds now (where writes go) */
  versionOf?(key: number): number;
  /** the size of a key's value, as a read of it returns (sizes belong to keys) */
  valueSizeOf?(key: number): number;
}
