// Checks of a broker profile against the fields it is given: a field whose
// mechanism the broker does not have (retention on a broker that keeps
// nothing, an acknowledgement on a Redis list, tiered storage outside
// Pulsar) is refused with the profile that has it, never silently ignored.
import { BROKER_PROFILES } from "./broker-profiles.js";
import type { ComponentSpec, Design } from "./schema.js";
import type { Problem } from "./validate.js";

type TopicSpec = Extract<ComponentSpec, { kind: "topic" }>;
type QueueSpec = Extract<ComponentSpec, { kind: "queue" }>;
type ConsumerSpec = Extract<ComponentSpec, { kind: "consumer" }>;

export function topicProfileProblems(name: string, c: TopicSpec): Problem[] {
  const out: Problem[] = [];
  const profile = c.profile ?? "kafka";
  const at = (...p: string[]) => ["components", name, ...p];
  if (BROKER_PROFILES[profile].semantics === "fire-forget") {
    const kept = (["retention", "replication", "segment", "tieredStorage", "repartition"] as const).find(
      (f) => c[f] !== undefined,
    );
    if (kept !== undefined)
      out.push({
        path: at(kept),
        message: `${profile} keeps nothing: a message reaches the subscribers connected when it is published, so there is no ${kept}`,
        hint:
          profile === "nats"
            ? "use profile: nats-jetstream for a persisted, replicated stream, or remove " + kept
            : "use a queue with profile: redis-streams for entries that are kept, or remove " + kept,
        atKey: true,
      });
  }
  if (c.tieredStorage !== undefined && profile !== "pulsar")
    out.push({
      path: at("tieredStorage"),
      message: `tiered storage offloads old segments to object storage, as Pulsar does; this topic is ${profile}`,
      hint: "use profile: pulsar, or remove tieredStorage",
      atKey: true,
    });
  if (c.outputBufferLimit !== undefined && profile !== "redis-pubsub")
    out.push({
      path: at("outputBufferLimit"),
      message: `outputBufferLimit is the Redis Pub/Sub limit that disconnects a slow subscriber; this topic is ${profile}`,
      hint: "use profile: redis-pubsub, or remove outputBufferLimit",
      atKey: true,
    });
  const t = c.tieredStorage;
  const keep = c.retention?.time ?? 7 * 24 * 3600 * 1000;
  if (t !== undefined && profile === "pulsar" && t.after >= keep)
    out.push({
      path: at("tieredStorage", "after"),
      message: `data is offloaded after ${t.after / 3_600_000}h but retention deletes it after ${keep / 3_600_000}h: nothing would ever be offloaded`,
      expected: "less than retention.time",
    });
  return out;
}

export function queueProfileProblems(name: string, c: QueueSpec): Problem[] {
  const out: Problem[] = [];
  const profile = c.profile ?? "sqs";
  const semantics = BROKER_PROFILES[profile].semantics;
  const at = (...p: string[]) => ["components", name, ...p];
  const refuse = (field: string, message: string, hint: string) =>
    out.push({ path: at(field), message, hint, atKey: true });
  if (c.claim !== undefined && semantics !== "stream-group")
    refuse(
      "claim",
      `claim is a Redis Streams consumer group's XAUTOCLAIM of pending entries; this queue is ${profile}`,
      semantics === "work-queue"
        ? "use visibilityTimeout, or profile: redis-streams"
        : "use profile: redis-streams, or remove claim",
    );
  if (semantics === "stream-group" && c.visibilityTimeout !== undefined)
    refuse(
      "visibilityTimeout",
      "a Redis stream's pending entries come back when a consumer claims them, not after a visibility timeout",
      "use claim: { minIdle: 30s }",
    );
  if (semantics === "list") {
    if (c.visibilityTimeout !== undefined)
      refuse(
        "visibilityTimeout",
        "BRPOP removes the message from the list: nothing comes back, so there is no visibility timeout",
        "use profile: redis-streams for entries redelivered after a crash, or remove visibilityTimeout",
      );
    for (const f of ["maxReceives", "deadLetter"] as const)
      if (c[f] !== undefined)
        refuse(
          f,
          `a Redis list delivers a message once (BRPOP removes it), so it is never received again and ${f} never applies`,
          `use profile: rabbitmq or sqs for a dead-letter queue, or remove ${f}`,
        );
  }
  if (semantics !== "work-queue") {
    if (c.type === "fifo")
      refuse(
        "type",
        `a ${profile} keeps one order for all its messages already; type fifo is SQS's per-group ordering`,
        "remove type",
      );
    if (c.priorities)
      refuse(
        "priorities",
        `a ${profile} has no priorities: its messages come out in the order they went in`,
        "use one queue per priority, or profile: rabbitmq",
      );
  }
  return out;
}

/** A consumer's fields against the profile of what it reads. */
export function consumerProfileProblems(name: string, c: ConsumerSpec, d: Design): Problem[] {
  const out: Problem[] = [];
  const at = (...p: string[]) => ["components", name, ...p];
  const src = d.components[(c.topic ?? c.queue)!] as ComponentSpec | undefined;
  if (src?.kind === "topic") {
    const profile = src.profile ?? "kafka";
    if (BROKER_PROFILES[profile].semantics !== "fire-forget") return out;
    const why = `${profile} acknowledges nothing and keeps nothing`;
    if (c.commit !== undefined && c.commit !== "before")
      out.push({
        path: at("commit"),
        message: `${why}: a message is done with once it is handed over, as with commit: before`,
        hint:
          profile === "nats"
            ? "use profile: nats-jetstream for acknowledgements, or remove commit"
            : "use a queue with profile: redis-streams for acknowledgements, or remove commit",
      });
    if (c.startAt === "earliest")
      out.push({
        path: at("startAt"),
        message: `${why}: a subscriber gets only what is published after it subscribes`,
        expected: "latest (or remove startAt)",
      });
    if (c.resets !== undefined)
      out.push({
        path: at("resets"),
        message: `${why}: there is nothing to replay`,
        hint: "remove resets, or use a log (profile: kafka, pulsar or nats-jetstream)",
        atKey: true,
      });
    if (c.rebalance === "cooperative")
      out.push({
        path: at("rebalance"),
        message: `${why}: subscriptions move at once, with no cooperative hand-over`,
        hint: "remove rebalance",
        atKey: true,
      });
  } else if (src?.kind === "queue" && src.profile === "redis-streams") {
    const other = Object.entries(d.components).find(
      ([n, o]) => n !== name && o.kind === "consumer" && o.queue === c.queue,
    );
    if (other)
      out.push({
        path: at("queue"),
        message: `consumers "${name}" and "${other[0]}" both read stream "${c.queue}": each would be its own consumer group, getting every entry, and one group per stream is modelled`,
        hint: `to add consumers to the group, raise instances; for a second group, publish to a second stream`,
      });
  } else if (src?.kind === "queue" && (src.profile ?? "sqs") === "redis-list" && c.commit === "after")
    out.push({
      path: at("commit"),
      message: "a Redis list has no acknowledgement: BRPOP removes the message before it is processed",
      expected: "before (or remove commit)",
      hint: "for messages acknowledged after processing use profile: redis-streams (XACK) or rabbitmq",
    });
  return out;
}
