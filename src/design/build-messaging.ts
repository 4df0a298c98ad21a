// Turns a design's topics and consumers into runtime components: a topic per
// `kind: topic` (its broker nodes a station), a consumer group per
// `kind: consumer` registered with the topic it reads, an exchange per
// `kind: exchange` bound to its queues, and the publish steps of services and
// consumers.
import { Consumer } from "../components/consumer.js";
import { GroupState } from "../components/consumer-group.js";
import { Exchange, type PublishRouting } from "../components/exchange.js";
import { QUEUE_FULL } from "../components/outcomes.js";
import { Queue, type QueueConfig } from "../components/queue.js";
import { CorrelationTable } from "../mechanisms/correlation.js";
import { QueueConsumer } from "../components/queue-consumer.js";
import type { Component, Sim } from "../components/runtime.js";
import type { MessageSink, Step } from "../components/service.js";
import { Topic } from "../components/topic.js";
import { sampler } from "../kernel/distributions.js";
import { newAutoscaler } from "./build-capacity.js";
import { BROKER_PROFILES } from "./broker-profiles.js";
import { DEFAULTS, queueCap } from "./defaults.js";
import type { ComponentSpec, Design } from "./schema.js";
import { parseCapacity } from "./validate.js";
export { routesOf } from "./validate-messaging.js";

type TopicSpec = Extract<ComponentSpec, { kind: "topic" }>;
type QueueSpec = Extract<ComponentSpec, { kind: "queue" }>;
type ExchangeSpec = Extract<ComponentSpec, { kind: "exchange" }>;
type ConsumerSpec = Extract<ComponentSpec, { kind: "consumer" }>;
type StepSpec = ConsumerSpec["steps"][number];

/** Route names messages and consumers' calls use, indexed up front with the others. */
export function registerMessagingRoutes(d: Design, sim: Sim): void {
  for (const c of Object.values(d.components))
    if (c.kind === "consumer") {
      sim.routeIndex(sourceOf(c));
      for (const s of c.steps) if ("call" in s && s.route) sim.routeIndex(s.route);
    }
}

export function publishStep(s: Extract<StepSpec, { publish: string }>, byName: Map<string, Component>): Step {
  const to = byName.get(s.publish) as MessageSink;
  return {
    type: "publish",
    to,
    wait: (s.ack ?? "sync") === "sync",
    size: sampler(s.size ?? DEFAULTS.topic.messageSize),
    ...(to instanceof Exchange && { routing: publishRouting(s, to), mandatory: s.mandatory ?? false }),
  };
}

/** A request step: the queue's correlation table is made by the first request step naming it. */
export function requestStep(s: Extract<StepSpec, { request: string }>, byName: Map<string, Component>): Step {
  const q = byName.get(s.request) as Queue;
  // settled requests are remembered long enough to tell late and duplicate replies apart
  q.rpc ??= new CorrelationTable(q.keepRepliesMs());
  return {
    type: "request",
    queue: q,
    timeoutMs: s.timeout ?? DEFAULTS.queue.requestTimeout,
    size: sampler(s.size ?? DEFAULTS.topic.messageSize),
  };
}

/** A publish step's routing keys and headers as the exchange's shapes, with cumulative weights. */
function publishRouting(s: Extract<StepSpec, { publish: string }>, x: Exchange): PublishRouting {
  const entries = s.routing ?? [{}];
  const total = entries.reduce((t, e) => t + (e.weight ?? 1), 0);
  const cum = new Float64Array(entries.length);
  let acc = 0;
  entries.forEach((e, i) => {
    acc += e.weight ?? 1;
    cum[i] = i === entries.length - 1 ? 1 : acc / total;
  });
  return {
    shapes: Int32Array.from(entries, (e) => x.shape({ key: e.key ?? "", headers: e.headers ?? {} })),
    cum,
    byKey: s.routeBy === "request-key",
  };
}

function exchange(name: string, c: ExchangeSpec): Exchange {
  const D = DEFAULTS.queue;
  const profile = BROKER_PROFILES.rabbitmq;
  return new Exchange(name, {
    instances: c.nodes ?? D.nodes,
    concurrency: c.concurrency ?? profile.concurrency,
    queue: queueCap(c.queue, D.queue),
    rejectCause: QUEUE_FULL,
    type: c.type,
    opTime: sampler(c.opTime ?? profile.opTime),
  });
}

/** The topic or queue a consumer reads (validation makes it exactly one). */
export function sourceOf(c: ConsumerSpec): string {
  return (c.topic ?? c.queue)!;
}

/** Builds every topic and queue, then every consumer (each topic must know how many groups read it). */
export function buildMessaging(
  d: Design,
  sim: Sim,
  byName: Map<string, Component>,
  zonesOf: (c: ComponentSpec) => number[],
): void {
  const entries = Object.entries(d.components);
  const readers = new Map<string, number>();
  for (const [, c] of entries)
    if (c.kind === "consumer" && c.topic !== undefined) readers.set(c.topic, (readers.get(c.topic) ?? 0) + 1);
  for (const [name, c] of entries)
    if (c.kind === "topic" || c.kind === "queue") {
      const comp = c.kind === "topic" ? topic(name, c, readers.get(name) ?? 0) : queue(name, c);
      comp.zones = zonesOf(c);
      sim.add(comp);
      byName.set(name, comp);
    }
  for (const [name, c] of entries)
    if (c.kind === "queue" && c.deadLetter)
      (byName.get(name) as Queue).deadLetter = byName.get(c.deadLetter) as Queue;
  // exchanges route into the queues, so they come after them
  for (const [name, c] of entries)
    if (c.kind === "exchange") {
      const x = exchange(name, c);
      x.zones = zonesOf(c);
      sim.add(x);
      byName.set(name, x);
      for (const b of c.bindings)
        x.bind(byName.get(b.queue) as Queue, {
          key: b.key ?? "",
          headers: b.headers ?? {},
          match: b.match ?? "all",
        });
    }
  for (const [name, c] of entries)
    if (c.kind === "exchange" && c.alternateExchange)
      (byName.get(name) as Exchange).alternate = byName.get(c.alternateExchange) as Exchange;
  for (const [name, c] of entries)
    if (c.kind === "consumer") {
      const con = c.topic !== undefined ? consumer(name, c, d, sim, byName.get(c.topic) as Topic) : null;
      const qc = c.queue !== undefined ? queueConsumer(name, c, d, sim, byName.get(c.queue) as Queue) : null;
      const comp = (con ?? qc)!;
      comp.zones = zonesOf(c);
      sim.add(comp);
      if (con) con.topic.addGroup(con.index, con.group);
      if (qc) qc.queue.addReader(qc.index, qc);
      byName.set(name, comp);
    }
}

function topic(name: string, c: TopicSpec, groups: number): Topic {
  const D = DEFAULTS.topic;
  const profile = BROKER_PROFILES[c.profile ?? D.profile];
  return new Topic(name, {
    instances: c.brokers ?? D.brokers,
    concurrency: c.concurrency ?? profile.concurrency,
    queue: queueCap(c.queue, D.queue),
    rejectCause: QUEUE_FULL,
    partitions: c.repartition?.partitions ?? c.partitions ?? D.partitions,
    initialPartitions: c.partitions ?? D.partitions,
    partitioner: c.partitioner ?? D.partitioner,
    repartition: c.repartition ? { atMs: c.repartition.at, partitions: c.repartition.partitions } : null,
    appendTime: sampler(c.appendTime ?? profile.opTime),
    segmentSize: c.segment ?? D.segment,
    retentionMs: c.retention?.time ?? D.retentionTime,
    retentionBytes: c.retention?.size ?? Number.POSITIVE_INFINITY,
    groups,
    fetchWaitMs: c.fetchWait ?? D.fetchWait,
    replicationFactor: c.replication?.factor ?? 1,
    acks: (c.replication?.acks ?? D.acks) === "all" ? "all" : "leader",
    failoverMs: c.replication?.failover ?? D.failover,
    minInsync: c.replication?.minInsync ?? D.minInsync,
    replicaLagMaxMs: c.replication?.replicaLagMax ?? D.replicaLagMax,
    fireAndForget: profile.semantics === "fire-forget",
    outputBufferBytes:
      c.profile === "redis-pubsub"
        ? (c.outputBufferLimit ?? DEFAULTS.outputBufferLimit)
        : Number.POSITIVE_INFINITY,
    tieredAfterMs: c.tieredStorage?.after ?? Number.POSITIVE_INFINITY,
  });
}

/**
 * An autoscaled group's most instances: its max, but no more than the
 * topic's partitions (an instance beyond them would own none); null when the
 * max is within them.
 */
export function partitionCap(c: ConsumerSpec, partitions: number): number | null {
  return c.autoscale && c.autoscale.max > partitions ? partitions : null;
}

function consumer(name: string, c: ConsumerSpec, d: Design, sim: Sim, t: Topic): Consumer {
  const D = DEFAULTS.consumer;
  const instances = c.instances ?? c.autoscale?.min ?? D.instances;
  const cap = partitionCap(c, t.logs.length);
  const max = cap ?? c.autoscale?.max ?? instances;
  // an autoscaled group can launch its whole fleet while as many instances are still leaving
  const slots = c.autoscale ? 2 * Math.max(instances, max) : instances;
  const batch = c.batch ?? D.batch;
  const group = new GroupState(
    t.groups.length,
    t.logs,
    slots,
    batch,
    c.startAt ?? D.startAt,
    c.assignment ?? D.assignment,
  );
  const alert = c.alertAbove;
  const con = new Consumer(name, {
    instances,
    slots,
    concurrency: c.concurrency ?? D.concurrency,
    // a batch waits in its instance's queue for the workers: never refused
    queue: Number.POSITIVE_INFINITY,
    rejectCause: QUEUE_FULL,
    localCache: c.localCache && {
      ...capacityOf(c.localCache.capacity),
      ttlMs: c.localCache.ttl,
      policy: c.localCache.eviction ?? "lru",
    },
    topic: t,
    group,
    groupName: c.group ?? name,
    route: sim.routeIndex(t.name),
    // fire and forget: nothing is acknowledged, so a message is done with once handed over
    commit: t.fireAndForget ? "before" : (c.commit ?? D.commit),
    autoCommitIntervalMs: c.autoCommitInterval ?? D.autoCommitInterval,
    rebalance: c.rebalance ?? D.rebalance,
    resets: (c.resets ?? []).map((r) => ({ atMs: r.at, to: r.to })),
    startMs: c.start ?? 0,
    stopMs: d.duration,
    sessionTimeoutMs: c.sessionTimeout ?? D.sessionTimeout,
    rebalancePauseMs: c.rebalancePause ?? D.rebalancePause,
    attempts: c.attempts ?? D.attempts,
    retryBackoffMs: D.retryBackoff,
    dedupTtlMs: c.dedup?.ttl ?? null,
    alertAboveMessages: alert && "messages" in alert ? alert.messages : null,
    alertAboveMs: alert && "ms" in alert ? alert.ms : null,
  });
  if (c.autoscale) {
    con.fleet.configure(0);
    // a leaving instance finishes and commits the batch it holds, however long that takes
    con.fleet.addController(
      newAutoscaler(con, c.autoscale, Number.POSITIVE_INFINITY, {
        lag: () => con.totalLag(),
        ...(cap !== null && { cappedByPartitions: { requestedMax: c.autoscale.max, partitions: cap } }),
      }),
    );
  }
  return con;
}

function queue(name: string, c: QueueSpec): Queue {
  const D = DEFAULTS.queue;
  const profile = BROKER_PROFILES[c.profile ?? D.profile];
  const semantics = profile.semantics as QueueConfig["semantics"];
  return new Queue(name, {
    instances: c.nodes ?? D.nodes,
    concurrency: c.concurrency ?? profile.concurrency,
    queue: queueCap(c.queue, D.queue),
    rejectCause: QUEUE_FULL,
    order: (c.type ?? D.type) === "fifo" ? "fifo" : c.priorities ? "priority" : "standard",
    opTime: sampler(c.opTime ?? profile.opTime),
    // a stream's entries come back after XAUTOCLAIM's min-idle time
    visibilityMs:
      semantics === "stream-group"
        ? (c.claim?.minIdle ?? DEFAULTS.claimMinIdle)
        : (c.visibilityTimeout ?? D.visibilityTimeout),
    maxReceives: c.maxReceives ?? 0,
    maxLength: c.maxLength ?? Number.POSITIVE_INFINITY,
    overflow: c.overflow ?? D.overflow,
    receiveWaitMs: c.receiveWait ?? (semantics === "list" ? DEFAULTS.brpopTimeout : D.receiveWait),
    semantics,
    claimEveryMs: c.claim?.every ?? DEFAULTS.claimEvery,
  });
}

function queueConsumer(name: string, c: ConsumerSpec, d: Design, sim: Sim, q: Queue): QueueConsumer {
  const D = DEFAULTS.consumer;
  const alert = c.alertAbove;
  const instances = c.instances ?? c.autoscale?.min ?? D.instances;
  const qc = new QueueConsumer(name, {
    instances,
    slots: c.autoscale ? 2 * Math.max(instances, c.autoscale.max) : instances,
    concurrency: c.concurrency ?? D.concurrency,
    queue: Number.POSITIVE_INFINITY,
    rejectCause: QUEUE_FULL,
    localCache: c.localCache && {
      ...capacityOf(c.localCache.capacity),
      ttlMs: c.localCache.ttl,
      policy: c.localCache.eviction ?? "lru",
    },
    source: q,
    route: sim.routeIndex(q.name),
    // a Redis list has no acknowledgement: BRPOP removes the message
    ackBefore: (c.commit ?? (q.semantics === "list" ? "before" : D.commit)) === "before",
    batch: c.batch ?? D.prefetch,
    stopMs: d.duration,
    attempts: c.attempts ?? D.attempts,
    retryBackoffMs: D.retryBackoff,
    dedupTtlMs: c.dedup?.ttl ?? null,
    alertAboveMessages: alert && "messages" in alert ? alert.messages : null,
    alertAboveMs: alert && "ms" in alert ? alert.ms : null,
  });
  if (c.autoscale) {
    qc.fleet.configure(0);
    // a leaving instance finishes the messages it holds, however long that takes
    qc.fleet.addController(
      newAutoscaler(qc, c.autoscale, Number.POSITIVE_INFINITY, { lag: () => qc.totalLag() }),
    );
  }
  return qc;
}

function capacityOf(capacity: string | number): { maxEntries?: number; maxBytes?: number } {
  const cap = parseCapacity(capacity);
  return "entries" in cap ? { maxEntries: cap.entries } : { maxBytes: cap.bytes };
}
