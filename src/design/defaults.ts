// Every default a design file leaves to archsim, in one place: the builder
// applies them, validation reasons with them, docs/design-file.md states them.
import type { DistSpec } from "../kernel/distributions.js";

const ms = (v: number): DistSpec => ({ type: "constant", value: v });
const logn = (median: number, p99: number): DistSpec => ({ type: "lognormal", median, p99 });

export const DEFAULTS = {
  /** how long a reserve step holds a checkout's units for its payment (CR-08: 10 minutes) */
  reserveHold: 600_000,
  /** ids per range a mint step's instance takes from its counter */
  mintRange: 1000,
  /**
   * draws a mint with a Bloom filter alone may make: its draws take no time, and
   * the filter may flag every free code, so "until a free code" could never end
   */
  mintFilterAttempts: 1000,
  /** how often a preferences step's quiet hours recur: a day */
  quietHoursEvery: 86_400_000,
  latency: {
    sameZone: logn(0.1, 0.5),
    crossZone: logn(0.6, 2),
    crossRegion: logn(35, 60),
    client: logn(10, 40),
  },
  service: { instances: 1, concurrency: 1, queue: 1000 },
  /**
   * Capacity changes. The seeds give no autoscaling policy (catalogue §19), so
   * these are the documented defaults of the usual tools: the 1-minute metric
   * period target tracking evaluates, AWS Application Auto Scaling's 300 s
   * scale-out and scale-in cooldowns, EC2 Auto Scaling's 300 s default
   * instance warm-up, the Kubernetes HPA's 10% tolerance, and an ALB target
   * group's 300 s deregistration delay (connection draining). A resize's
   * restart takes the ~10 minutes the seeds give for an upgrade (SC-01).
   */
  capacity: {
    metric: "utilization" as const,
    interval: 60_000,
    cooldown: 300_000,
    tolerance: 0.1,
    bootTime: 300_000,
    drain: 300_000,
    restartTime: 600_000,
    batch: 1,
  },
  /** client-side discovery: Eureka's 30 s registry fetch interval and 90 s lease expiration */
  discovery: { refresh: 30_000, evictAfter: 90_000 },
  /**
   * Deployments: AWS CodeDeploy's Canary10Percent5Minutes (10% of traffic for
   * five minutes, then all of it) and ECS blue/green's 5-minute wait before
   * the original fleet goes; the abort rule's window is a 1-minute metric
   * period. The 100-request floor is archsim's own (no seed gives one).
   */
  deploy: {
    version: "v1",
    strategy: "rolling" as const,
    steps: [0.1],
    bake: 300_000,
    window: 60_000,
    minRequests: 100,
  },
  calls: {
    retryOn: [
      "error",
      "timeout",
      "queue-full",
      "no-healthy-backend",
      "instance-down",
      "pool-exhausted",
      "rate-limited",
      "shed",
      "not-primary",
      "quorum-failed",
    ],
    backoffBase: 100,
    backoffCap: 10_000,
    backoffMultiplier: 2,
    jitter: "full" as const,
    budgetMinPerSecond: 10,
    budgetWindow: 10_000,
    breakerFailureRate: 0.5,
    breakerWindow: 20,
    breakerOpen: 30_000,
    breakerProbes: 1,
  },
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
    isolation: "read-committed" as const,
    replicationFormat: "row" as const,
    nondeterministic: 0,
    statementSize: ms(100),
    /** idempotency keys: Stripe keeps them 24 hours */
    idempotencyTtl: 24 * 3600 * 1000,
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
    reads: "cache-aside" as const,
    writes: "invalidate" as const,
    flushInterval: 1000,
    flushBatch: 1000,
    ttlJitter: 0,
    stampede: "none" as const,
    whileLocked: "retry" as const,
    retryAfter: 50,
    lockTtl: 10_000,
    beta: 1,
    refreshAhead: 0.2,
    bloomFalsePositiveRate: 0.01,
    nodes: 1,
    replicas: 0,
    sharding: "consistent-hash" as const,
    vnodes: 150,
    ejectAfter: 1000,
    // Redis Cluster's cluster-node-timeout
    failoverAfter: 15_000,
    /** a full resync's snapshot over a 1 Gbit/s link, in bytes per second */
    resyncBandwidth: 125e6,
  },
  /** node profiles from the catalogue (CA-43, CA-44): ~100K ops/s single-threaded vs multi-threaded */
  cacheProfiles: {
    redis: { concurrency: 1, opTime: logn(0.008, 0.03) },
    memcached: { concurrency: 4, opTime: logn(0.008, 0.03) },
  },
  cdn: {
    capacity: 10 * 1024 ** 3,
    eviction: "lru" as const,
    edgeTime: ms(0.5),
    collapse: true,
    purgeDelay: { type: "uniform", min: 2000, max: 10000 } as DistSpec,
    cacheControl: "max-age=3600",
    size: ms(64 * 1024),
    onUpdate: "purge" as const,
    /** anycast route withdrawal or a CDN mapping update: seconds */
    failover: 10_000,
  },
  lb: { l4Cost: 0.02, l7Cost: 0.1, tlsCost: 0.15, workers: 8, vnodes: 150 },
  healthCheck: { interval: 10000, timeout: 2000, healthy: 2, unhealthy: 2, probe: 1 },
  dns: {
    policy: "geo" as const,
    ttl: 60_000,
    addresses: 1,
    weight: 1,
    lookupTime: logn(30, 120),
    resolverTime: logn(4, 20),
    healthCheck: { interval: 10000, timeout: 2000, healthy: 2, unhealthy: 3, probe: 1 },
  },
  relay: {
    /** an outbox relay's or a connector's poll interval (Debezium's poll.interval.ms is 500ms; outbox pollers ~100ms) */
    interval: 100,
    batch: 100,
  },
  topic: {
    partitions: 1,
    partitioner: "modulo" as const,
    brokers: 1,
    profile: "kafka" as const,
    queue: 1000,
    segment: 1000,
    /** Kafka's log.retention.hours = 168 */
    retentionTime: 7 * 24 * 3600 * 1000,
    /** Kafka's fetch.max.wait.ms */
    fetchWait: 500,
    messageSize: ms(1024),
    acks: 1 as 1 | "all",
    /** KRaft's broker.session.timeout.ms */
    failover: 9000,
    /** Kafka's min.insync.replicas */
    minInsync: 1,
    /** Kafka's replica.lag.time.max.ms */
    replicaLagMax: 30_000,
  },
  /** Redis's client-output-buffer-limit pubsub hard limit: a subscriber this far behind is cut off */
  outputBufferLimit: 32 * 1024 ** 2,
  queue: {
    /** how long a request step waits for its reply */
    requestTimeout: 5000,
    profile: "sqs" as const,
    nodes: 1,
    queue: 1000,
    type: "standard" as const,
    /** SQS's default VisibilityTimeout */
    visibilityTimeout: 30_000,
    overflow: "reject" as const,
    receiveWait: 500,
  },
  /** the BRPOP timeout of a redis-list consumer (the catalogue's 5 s, MQ-18) */
  brpopTimeout: 5000,
  /** redis-streams: XAUTOCLAIM's min-idle-time and how often consumers run it */
  claimMinIdle: 30_000,
  claimEvery: 5000,
  consumer: {
    instances: 1,
    concurrency: 1,
    /** Kafka's max.poll.records */
    batch: 500,
    /** a queue consumer's messages in hand (RabbitMQ's prefetch count) */
    prefetch: 10,
    commit: "after" as const,
    /** Kafka's auto.commit.interval.ms */
    autoCommitInterval: 5000,
    assignment: "range" as const,
    rebalance: "eager" as const,
    startAt: "latest" as const,
    sessionTimeout: 10_000,
    rebalancePause: 3000,
    attempts: 1,
    /** Kafka's retry.backoff.ms */
    retryBackoff: 100,
  },
  gateway: {
    instances: 1,
    concurrency: 8,
    queue: 1000,
    compute: ms(0.1),
    onStoreFailure: "open" as const,
    storeTimeout: 50,
    atomic: true,
  },
  /** a Redis-like node: single-threaded, ~50K scripted checks per second */
  limiterStore: { instances: 1, concurrency: 1, queue: 10000, opTime: ms(0.02) },
  /** file sync's block service: Dropbox's 4 MB blocks; a home or office uplink of 100 Mbps */
  blockStore: {
    blockSize: 4 * 1024 * 1024,
    files: 0,
    fileSize: { type: "constant", value: 16 * 1024 * 1024 } as DistSpec,
    sync: "delta" as const,
    dedup: true,
    duplicate: 0,
    commonBlocks: 10_000,
    changed: 0.01,
    uplink: 12.5e6,
    opTime: ms(5),
    instances: 1,
    concurrency: 1000,
    queue: 1000,
  },
  realtime: {
    instances: 1,
    /** connections one instance holds: WebSocket gateways hold ~500K (the catalogue); polling servers fewer */
    connections: { "short-poll": 10_000, "long-poll": 10_000, sse: 500_000, websocket: 500_000 },
    /** bytes per held connection: ~2 KB for a WebSocket (the catalogue); HTTP request state costs more */
    memoryPerConnection: { "short-poll": 8192, "long-poll": 8192, sse: 4096, websocket: 2048 },
    interval: 5000,
    timeout: 30_000,
    pause: 0,
    requestTime: 1,
    maxPending: 1000,
    balancing: "least-connections" as const,
    reconnect: { baseMs: 1000, capMs: 30_000, multiplier: 2, jitter: "full" as const },
    /** EventSource reconnects after a fixed retry time of a few seconds, all clients alike */
    sseReconnect: { baseMs: 3000, capMs: 3000, multiplier: 1, jitter: "none" as const },
    /** linked devices per user at most (the catalogue's chat cap) */
    maxDevices: 4,
    /** a connection is declared dead after this many heartbeat intervals of silence */
    heartbeatTimeoutFactor: 2,
    presenceInterval: 10_000,
    /** a presence entry lives this many intervals (10s beats, 30s TTL) */
    presenceTtlFactor: 3,
    channelSize: 100,
    typingDuration: 5000,
    typingKeystrokes: 4,
    typingDebounce: 1000,
    /** users per conversation: one-to-one chats */
    conversationMembers: 2,
  },
  partitionTimeout: 1000,
  occRetries: 3,
  keys: 1e6,
  users: 10000,
};

/** A design's queue bound: its default when absent, no bound for "unbounded". */
export const queueCap = (q: number | "unbounded" | undefined, dflt: number): number =>
  q === undefined ? dflt : q === "unbounded" ? Number.POSITIVE_INFINITY : q;
