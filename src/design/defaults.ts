// Every default a design file leaves to archsim, in one place: the builder
// applies them, validation reasons with them, docs/design-file.md states them.
import type { DistSpec } from "../kernel/distributions.js";

const ms = (v: number): DistSpec => ({ type: "constant", value: v });
const logn = (median: number, p99: number): DistSpec => ({ type: "lognormal", median, p99 });

export const DEFAULTS = {
  latency: {
    sameZone: logn(0.1, 0.5),
    crossZone: logn(0.6, 2),
    crossRegion: logn(35, 60),
    client: logn(10, 40),
  },
  service: { instances: 1, concurrency: 1, queue: 1000 },
  database: {
    connections: 100,
    queue: 1000,
    readTime: logn(2, 10),
    writeTime: logn(4, 20),
    valueSize: ms(1024),
    replicas: 0,
    applyTime: logn(0.5, 2),
    semiSyncAcks: 1,
    heartbeat: 2000,
    failureTimeout: 10000,
    electionTimeout: 150,
    discovery: 0,
    shardStrategy: "hash" as const,
    directoryTtl: 60_000,
    logicalShards: 4096,
    rywWindow: 1000,
    maxLag: 100,
    checkRetries: 3,
    canaryInterval: 30_000,
    canaryAlertAbove: 1000,
    checkInterval: 100,
  },
  quorumStore: {
    nodes: 3,
    replicationFactor: 3,
    level: "quorum" as const,
    readRepair: true,
    hintedHandoff: false,
    hintTtl: 3 * 3600 * 1000,
    vnodes: 64,
    connections: 100,
    queue: 1000,
    readTime: logn(1, 5),
    writeTime: logn(1, 5),
    valueSize: ms(1024),
  },
  multiLeader: {
    leaders: 2,
    resolution: "lww" as const,
    applyTime: logn(0.5, 2),
    connections: 100,
    queue: 1000,
    readTime: logn(1, 5),
    writeTime: logn(1, 5),
    valueSize: ms(1024),
  },
  cache: {
    opTime: ms(0.05),
    concurrency: 1,
    queue: 10000,
    nodes: 1,
    replicas: 0,
    sharding: "consistent-hash" as const,
    vnodes: 150,
    ejectAfter: 1000,
    // Redis Cluster's cluster-node-timeout
    failoverAfter: 15_000,
  },
  /** node profiles from the catalogue (CA-43, CA-44): ~100K ops/s single-threaded vs multi-threaded */
  cacheProfiles: {
    redis: { concurrency: 1, opTime: logn(0.008, 0.03) },
    memcached: { concurrency: 4, opTime: logn(0.008, 0.03) },
  },
  lb: { l4Cost: 0.02, l7Cost: 0.1, tlsCost: 0.15, workers: 8, vnodes: 150 },
  healthCheck: { interval: 10000, timeout: 2000, healthy: 2, unhealthy: 2, probe: 1 },
  partitionTimeout: 1000,
  occRetries: 3,
  keys: 1e6,
  users: 10000,
};
