// The broker profiles (MQ-15..MQ-18, MQ-25), one table: a profile names a
// real broker, gives the node numbers a topic or queue defaults to, and the
// delivery semantics the runtime executes for it. docs/brokers.md's
// comparison table is generated from this table (test/brokers.test.ts checks
// the page holds exactly it), so the documentation cannot drift from what is
// simulated.
//
// Semantics (what the runtime does differently):
//   log:          a retained, replayable log read by consumer groups at their
//                 own offsets (Kafka, Pulsar, NATS JetStream).
//   fire-forget:  nothing is kept: a message reaches the members connected
//                 when it is published and is not acknowledged; a member that
//                 is down or disconnected misses what is published meanwhile,
//                 and what it held when it died is gone (core NATS, Redis
//                 Pub/Sub).
//   work-queue:   a message is received by one consumer and deleted once it
//                 is acknowledged; unacknowledged, it comes back after the
//                 visibility timeout (SQS, RabbitMQ).
//   list:         LPUSH + blocking BRPOP: a pop removes the message, there is
//                 no acknowledgement, so a consumer that dies loses what it
//                 popped (Redis lists).
//   stream-group: a stream read by a consumer group: delivered entries wait
//                 in the pending entries list until XACKed; a consumer's
//                 XAUTOCLAIM takes entries idle longer than a minimum from a
//                 dead one; entries stay in the stream after the ack (Redis
//                 Streams).
import { type DistSpec, sampler } from "../kernel/distributions.js";

export type BrokerSemantics = "log" | "fire-forget" | "work-queue" | "list" | "stream-group";

export interface BrokerProfile {
  /** the component kind the profile is a value of */
  kind: "topic" | "queue";
  semantics: BrokerSemantics;
  /** one node's threads taking in messages */
  concurrency: number;
  /** time a thread spends taking in one message */
  opTime: DistSpec;
  /** MQ-25's columns, as this profile's runtime behaves */
  durability: string;
  ordering: string;
  replay: string;
  retention: string;
  /** what a consumer that dies with messages in hand does to them */
  onConsumerCrash: string;
}

const logn = (median: number, p99: number): DistSpec => ({ type: "lognormal", median, p99 });
/** a Redis node: single-threaded, ~100K commands/s (the cache profile's numbers, CA-43) */
const REDIS = { concurrency: 1, opTime: logn(0.008, 0.03) };

export const BROKER_PROFILES = {
  kafka: {
    kind: "topic",
    semantics: "log",
    // ~100K appends/s per broker (1.2, MQ-09): 8 handler threads, ~76µs mean
    concurrency: 8,
    opTime: logn(0.06, 0.3),
    durability: "replicated log on disk (replication.factor)",
    ordering: "per partition",
    replay: "yes, within retention",
    retention: "time or size (default 7d), consumed or not",
    onConsumerCrash: "redelivered from the last commit (commit after: duplicates)",
  },
  pulsar: {
    kind: "topic",
    semantics: "log",
    concurrency: 8,
    opTime: logn(0.06, 0.3),
    durability: "replicated (bookies); older data offloaded to object storage",
    ordering: "per partition",
    replay: "yes, within retention (offloaded data too)",
    retention: "time or size; tieredStorage.after moves it to object storage",
    onConsumerCrash:
      "redelivered from the last acknowledgement once its partitions are handed on (duplicates)",
  },
  "nats-jetstream": {
    kind: "topic",
    semantics: "log",
    // a persisted stream: fewer appends per node than core NATS (fsync'd file store)
    concurrency: 4,
    opTime: logn(0.02, 0.1),
    durability: "persisted stream, replicated (R1..R5)",
    ordering: "per stream (partition)",
    replay: "yes, within retention",
    retention: "limits (time or size), consumed or not",
    onConsumerCrash: "redelivered from the last ack once its share is handed on (duplicates)",
  },
  nats: {
    kind: "topic",
    semantics: "fire-forget",
    // core NATS: in memory, no persistence, microseconds per message
    concurrency: 8,
    opTime: logn(0.005, 0.02),
    durability: "none: in flight only",
    ordering: "per publisher and subscriber",
    replay: "no",
    retention: "none: missed while disconnected",
    onConsumerCrash: "lost, and everything published until its subjects have a live subscriber",
  },
  "redis-pubsub": {
    kind: "topic",
    semantics: "fire-forget",
    ...REDIS,
    durability: "none: fire and forget",
    ordering: "per channel",
    replay: "no",
    retention: "none: missed while disconnected; a slow subscriber is cut off",
    onConsumerCrash: "lost, and everything published until its channels have a live subscriber",
  },
  sqs: {
    kind: "queue",
    semantics: "work-queue",
    // "unlimited" (MQ-16): as many threads as it takes
    concurrency: 10_000,
    opTime: logn(2, 10),
    durability: "replicated (managed)",
    ordering: "best effort (standard); per message group (fifo)",
    replay: "no",
    retention: "until acknowledged (deleted)",
    onConsumerCrash: "visible again after the visibility timeout (redelivered)",
  },
  rabbitmq: {
    kind: "queue",
    semantics: "work-queue",
    // 30K-50K messages/s per node (MQ-15)
    concurrency: 4,
    opTime: logn(0.06, 0.3),
    durability: "durable queues (quorum queues replicate)",
    ordering: "per queue",
    replay: "no",
    retention: "until acknowledged (deleted)",
    onConsumerCrash: "requeued and redelivered",
  },
  "redis-list": {
    kind: "queue",
    semantics: "list",
    ...REDIS,
    durability: "in memory (AOF/RDB if configured)",
    ordering: "per list (FIFO)",
    replay: "no",
    retention: "until popped",
    onConsumerCrash: "lost: BRPOP removed it and there is no ack",
  },
  "redis-streams": {
    kind: "queue",
    semantics: "stream-group",
    ...REDIS,
    durability: "in memory (AOF/RDB if configured)",
    ordering: "per stream",
    replay: "yes: entries stay after XACK",
    retention: "the stream keeps every entry (no MAXLEN)",
    onConsumerCrash: "pending until XAUTOCLAIMed by another consumer after claim.minIdle",
  },
} as const satisfies Record<string, BrokerProfile>;

export type BrokerProfileName = keyof typeof BROKER_PROFILES;

export const TOPIC_PROFILES = ["kafka", "pulsar", "nats-jetstream", "nats", "redis-pubsub"] as const;
export const QUEUE_PROFILES = ["sqs", "rabbitmq", "redis-list", "redis-streams"] as const;

export function brokerProfile(name: BrokerProfileName): BrokerProfile {
  return BROKER_PROFILES[name];
}

/** Messages one node takes in per second: its threads over the mean time per message. */
export function nodeThroughput(p: BrokerProfile): number {
  return (p.concurrency * 1000) / sampler(p.opTime).mean;
}

function rate(perSec: number): string {
  if (perSec >= 1e6) return `~${Math.round(perSec / 1e5) / 10}M/s`;
  return `~${Math.round(perSec / 1000)}K/s`;
}

/** The MQ-25 comparison table of every profile, as Markdown (docs/brokers.md holds exactly this). */
export function brokerTable(): string {
  const head = [
    "| Profile | Kind | Semantics | Throughput per node | Durability | Ordering | Replay | Retention | A consumer dies holding messages |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  const rows = Object.entries(BROKER_PROFILES).map(
    ([n, p]: [string, BrokerProfile]) =>
      `| \`${n}\` | ${p.kind} | ${p.semantics} | ${rate(nodeThroughput(p))} (${p.concurrency} × ${sampler(p.opTime).mean.toFixed(3)}ms) | ${p.durability} | ${p.ordering} | ${p.replay} | ${p.retention} | ${p.onConsumerCrash} |`,
  );
  return [...head, ...rows].join("\n");
}
