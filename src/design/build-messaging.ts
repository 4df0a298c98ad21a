// Turns a design's topics and consumers into runtime components: a topic per
// `kind: topic` (its broker nodes a station), a consumer group per
// `kind: consumer` registered with the topic it reads, and the publish steps
// of services and consumers.
import { Consumer } from "../components/consumer.js";
import { GroupState } from "../components/consumer-group.js";
import { QUEUE_FULL } from "../components/outcomes.js";
import type { Component, Sim } from "../components/runtime.js";
import type { Step } from "../components/service.js";
import { Topic } from "../components/topic.js";
import { sampler } from "../kernel/distributions.js";
import { DEFAULTS } from "./defaults.js";
import type { ComponentSpec, Design } from "./schema.js";
import { parseCapacity } from "./validate.js";
export { routesOf } from "./validate-messaging.js";

type TopicSpec = Extract<ComponentSpec, { kind: "topic" }>;
type ConsumerSpec = Extract<ComponentSpec, { kind: "consumer" }>;
type StepSpec = ConsumerSpec["steps"][number];

/** Route names messages and consumers' calls use, indexed up front with the others. */
export function registerMessagingRoutes(d: Design, sim: Sim): void {
  for (const c of Object.values(d.components))
    if (c.kind === "consumer") {
      sim.routeIndex(c.topic);
      for (const s of c.steps) if ("call" in s && s.route) sim.routeIndex(s.route);
    }
}

export function publishStep(s: Extract<StepSpec, { publish: string }>, byName: Map<string, Component>): Step {
  return {
    type: "publish",
    topic: byName.get(s.publish) as Topic,
    wait: (s.ack ?? "sync") === "sync",
    size: sampler(s.size ?? DEFAULTS.topic.messageSize),
  };
}

/** Builds every topic, then every consumer (each topic must know how many groups read it). */
export function buildMessaging(
  d: Design,
  sim: Sim,
  byName: Map<string, Component>,
  zonesOf: (c: ComponentSpec) => number[],
): void {
  const entries = Object.entries(d.components);
  const readers = new Map<string, number>();
  for (const [, c] of entries)
    if (c.kind === "consumer") readers.set(c.topic, (readers.get(c.topic) ?? 0) + 1);
  for (const [name, c] of entries)
    if (c.kind === "topic") {
      const t = topic(name, c, readers.get(name) ?? 0);
      t.zones = zonesOf(c);
      sim.add(t);
      byName.set(name, t);
    }
  for (const [name, c] of entries)
    if (c.kind === "consumer") {
      const t = byName.get(c.topic) as Topic;
      const con = consumer(name, c, d, sim, t);
      con.zones = zonesOf(c);
      sim.add(con);
      t.addGroup(con.index, con.group);
      byName.set(name, con);
    }
}

function topic(name: string, c: TopicSpec, groups: number): Topic {
  const D = DEFAULTS.topic;
  const profile = DEFAULTS.brokerProfiles[c.profile ?? D.profile];
  const queue = c.queue ?? D.queue;
  return new Topic(name, {
    instances: c.brokers ?? D.brokers,
    concurrency: c.concurrency ?? profile.concurrency,
    queue: queue === "unbounded" ? Number.POSITIVE_INFINITY : queue,
    rejectCause: QUEUE_FULL,
    partitions: c.partitions ?? D.partitions,
    appendTime: sampler(c.appendTime ?? profile.appendTime),
    segmentSize: c.segment ?? D.segment,
    retentionMs: c.retention?.time ?? D.retentionTime,
    retentionBytes: c.retention?.size ?? Number.POSITIVE_INFINITY,
    groups,
    fetchWaitMs: c.fetchWait ?? D.fetchWait,
    replicationFactor: c.replication?.factor ?? 1,
    acks: (c.replication?.acks ?? D.acks) === "all" ? "all" : "leader",
    failoverMs: c.replication?.failover ?? D.failover,
  });
}

function consumer(name: string, c: ConsumerSpec, d: Design, sim: Sim, t: Topic): Consumer {
  const D = DEFAULTS.consumer;
  const instances = c.instances ?? D.instances;
  const batch = c.batch ?? D.batch;
  const group = new GroupState(
    t.groups.length,
    t.logs,
    instances,
    batch,
    c.startAt ?? D.startAt,
    c.assignment ?? D.assignment,
  );
  const alert = c.alertAbove;
  return new Consumer(name, {
    instances,
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
    route: sim.routeIndex(c.topic),
    commit: c.commit ?? D.commit,
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
}

function capacityOf(capacity: string | number): { maxEntries?: number; maxBytes?: number } {
  const cap = parseCapacity(capacity);
  return "entries" in cap ? { maxEntries: cap.entries } : { maxBytes: cap.bytes };
}
