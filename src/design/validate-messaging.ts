// Checks of topics and consumers that need the whole design: a consumer reads
// a topic, its group is the only one of that name on the topic, it does not
// publish to the topic it reads (every message would make another, forever),
// and it joins before the run ends.
import type { ComponentSpec, Design } from "./schema.js";
import type { Problem } from "./validate.js";
import { consumerProfileProblems, queueProfileProblems, topicProfileProblems } from "./validate-brokers.js";
import { autoscalePolicyProblems } from "./validate-capacity.js";

type Kind = ComponentSpec["kind"];
type Ref = (
  path: (string | number)[],
  name: string,
  kinds: Kind[],
  role: string,
) => ComponentSpec | undefined;
type ConsumerSpec = Extract<ComponentSpec, { kind: "consumer" }>;
/** a service route's step (a consumer's steps are the same, less sagas) */
type StepSpec = Extract<ComponentSpec, { kind: "service" }>["routes"][string][number];

/** A service's routes, or a consumer's steps as the plan for any route. */
export function routesOf(
  c: Extract<ComponentSpec, { kind: "service" | "consumer" }>,
): Record<string, StepSpec[]> {
  return c.kind === "consumer" ? { "*": c.steps } : c.routes;
}

export function topicProblems(
  name: string,
  c: Extract<ComponentSpec, { kind: "topic" }>,
  duration: number,
): Problem[] {
  const out: Problem[] = topicProfileProblems(name, c);
  const brokers = c.brokers ?? 1;
  const partitions = c.partitions ?? 1;
  if (brokers > partitions)
    out.push({
      path: ["components", name, "brokers"],
      message: `${brokers} brokers for ${partitions} partition${partitions === 1 ? "" : "s"}: brokers beyond the partition count lead none and sit idle`,
      expected: `at most ${partitions} brokers, or more partitions`,
      atKey: true,
    });
  const factor = c.replication?.factor ?? 1;
  if (factor > brokers)
    out.push({
      path: ["components", name, "replication", "factor"],
      message: `${factor} replicas of each partition need ${factor} brokers; the topic has ${brokers}`,
      expected: `at most ${brokers}, or more brokers`,
    });
  if (c.repartition) {
    const to = c.repartition.partitions;
    if (to <= partitions)
      out.push({
        path: ["components", name, "repartition", "partitions"],
        message: `a topic's partitions can only be added to: ${to} is not more than its ${partitions}`,
        expected: `more than ${partitions}`,
      });
    if (c.repartition.at >= duration)
      out.push({
        path: ["components", name, "repartition", "at"],
        message: `partitions added at ${c.repartition.at / 1000}s, after the run's ${duration / 1000}s`,
        expected: "a time before the end of the run",
      });
  }
  const rep = c.replication;
  const single = (["acks", "failover", "minInsync", "replicaLagMax"] as const).find(
    (f) => rep?.[f] !== undefined,
  );
  if (factor === 1 && single !== undefined)
    out.push({
      path: ["components", name, "replication", single],
      message: "with a single replica there is no follower to wait for or to fail over to",
      hint: "raise replication.factor",
      atKey: true,
    });
  if (rep?.minInsync !== undefined && factor > 1) {
    if (rep.minInsync > factor)
      out.push({
        path: ["components", name, "replication", "minInsync"],
        message: `${rep.minInsync} in-sync replicas needed, of ${factor}: every publish would be refused`,
        expected: `at most ${factor} (replication.factor)`,
      });
    else if (rep.acks !== "all")
      out.push({
        path: ["components", name, "replication", "minInsync"],
        message:
          "minInsync counts the replicas a publish with acks all waits for; with acks 1 only the leader's append is awaited",
        hint: "add acks: all, or remove minInsync",
        atKey: true,
      });
  }
  return out;
}

export function queueProblems(
  name: string,
  c: Extract<ComponentSpec, { kind: "queue" }>,
  ref: Ref,
): Problem[] {
  const out: Problem[] = queueProfileProblems(name, c);
  const at = (...p: (string | number)[]) => ["components", name, ...p];
  if (c.deadLetter !== undefined) {
    if (c.deadLetter === name)
      out.push({ path: at("deadLetter"), message: `queue "${name}" cannot be its own dead-letter queue` });
    else ref(at("deadLetter"), c.deadLetter, ["queue"], "dead-letter queue");
    if (c.maxReceives === undefined)
      out.push({
        path: at("deadLetter"),
        message:
          "a dead-letter queue takes the messages received maxReceives times, and there is no maxReceives",
        hint: "add maxReceives: 5",
        atKey: true,
      });
  }
  if (c.priorities && c.type === "fifo")
    out.push({
      path: at("priorities"),
      message: "a fifo queue delivers each group's messages in order; priorities would reorder them",
      hint: "remove priorities, or use type: standard",
      atKey: true,
    });
  if (c.overflow !== undefined && c.maxLength === undefined)
    out.push({
      path: at("overflow"),
      message: "overflow says what a send to a full queue does, and the queue has no maxLength",
      hint: "add maxLength: 10k",
      atKey: true,
    });
  return out;
}

/** Fields that only a consumer of a topic (a group reading a log) has. */
const TOPIC_ONLY = [
  "group",
  "assignment",
  "startAt",
  "start",
  "sessionTimeout",
  "rebalancePause",
  "rebalance",
  "resets",
] as const;

export function consumerProblems(name: string, c: ConsumerSpec, d: Design, ref: Ref): Problem[] {
  const out: Problem[] = [];
  const at = (...p: (string | number)[]) => ["components", name, ...p];
  if ((c.topic === undefined) === (c.queue === undefined)) {
    out.push({
      path: at(),
      message: `consumer "${name}" needs exactly one of topic (a log it reads as a group) or queue (a work queue it takes messages from)`,
      atKey: true,
    });
    return out;
  }
  const source = (c.topic ?? c.queue)!;
  if (c.queue !== undefined) {
    ref(at("queue"), c.queue, ["queue"], "queue");
    if (c.commit === "auto")
      out.push({
        path: at("commit"),
        message:
          "commit: auto commits a group's offsets in a topic; a queue's messages are acknowledged one by one",
        expected: "before or after",
      });
    for (const f of TOPIC_ONLY)
      if (c[f] !== undefined)
        out.push({
          path: at(f),
          message: `${f} applies to a consumer group of a topic; consumers of a queue compete for its messages`,
          hint: `remove ${f}`,
          atKey: true,
        });
  } else {
    ref(at("topic"), c.topic!, ["topic"], "topic");
    const group = c.group ?? name;
    for (const [other, o] of Object.entries(d.components))
      if (other !== name && o.kind === "consumer" && o.topic === c.topic && (o.group ?? other) === group) {
        out.push({
          path: at(c.group !== undefined ? "group" : "topic"),
          message: `consumers "${name}" and "${other}" both read topic "${c.topic}" as group "${group}"`,
          expected: "one consumer component per group of a topic",
          hint: "to add members to a group, raise its instances; to read the topic again, give each its own group",
        });
        break;
      }
  }
  out.push(...consumerProfileProblems(name, c, d));
  if (c.autoscale) out.push(...autoscaleProblems(c, at, d));
  if (c.autoCommitInterval !== undefined && c.commit !== "auto")
    out.push({
      path: at("autoCommitInterval"),
      message: `autoCommitInterval is the period of commit: auto; this consumer commits ${c.commit ?? "after"} processing`,
      hint: "add commit: auto, or remove autoCommitInterval",
      atKey: true,
    });
  c.steps.forEach((s, i) => {
    if (
      "publish" in s &&
      s.publish !== source &&
      c.queue !== undefined &&
      queuesReached(s.publish, d).has(c.queue)
    )
      out.push({
        path: at("steps", i, "publish"),
        message: `consumer "${name}" publishes to exchange "${s.publish}", which routes into "${c.queue}", the queue it reads: a message could make another, forever`,
        hint: "publish to another exchange, or unbind the queue",
      });
    if ("request" in s && s.request === source)
      out.push({
        path: at("steps", i, "request"),
        message: `consumer "${name}" sends requests to "${source}", the queue it reads: it would wait on itself`,
        hint: "send the requests to another queue",
      });
    if ("publish" in s && s.publish === source)
      out.push({
        path: at("steps", i, "publish"),
        message: `consumer "${name}" publishes to "${source}", the ${c.topic !== undefined ? "topic" : "queue"} it reads: each message would make another, forever`,
        hint: "publish to another topic or queue",
      });
  });
  c.resets?.forEach((r, i) => {
    const start = c.start ?? 0;
    if (r.at <= start || r.at >= d.duration)
      out.push({
        path: at("resets", i, "at"),
        message:
          r.at <= start
            ? `a reset at ${r.at / 1000}s, when the group has not joined yet (it joins at ${start / 1000}s)`
            : `a reset at ${r.at / 1000}s, after the run's ${d.duration / 1000}s`,
        expected: `a time after the group joins (${start / 1000}s) and before the end of the run (${d.duration / 1000}s)`,
      });
  });
  if (c.start !== undefined && c.start >= d.duration)
    out.push({
      path: at("start"),
      message: `the group joins at ${c.start / 1000}s, after the run's ${d.duration / 1000}s`,
      expected: "a time before the end of the run",
    });
  return out;
}

/**
 * A group's autoscaling: the policy's own checks, and a floor the topic can
 * use. Its max may exceed the partition count (it is lowered to it, and the
 * report says so), but its min may not: those instances would idle from the
 * start.
 */
function autoscaleProblems(
  c: ConsumerSpec,
  at: (...p: (string | number)[]) => (string | number)[],
  d: Design,
): Problem[] {
  const a = c.autoscale!;
  const out = autoscalePolicyProblems(at, a, c.instances);
  if (c.rebalance === "cooperative")
    out.push({
      path: at("autoscale"),
      message:
        "an autoscaled group rebalances eagerly: instances joining and leaving a cooperative rebalance are not modelled yet",
      hint: "remove rebalance: cooperative, or autoscale",
      atKey: true,
    });
  const t = c.topic !== undefined ? d.components[c.topic] : undefined;
  if (t?.kind === "topic") {
    const partitions = t.partitions ?? 1;
    if (a.min > partitions)
      out.push({
        path: at("autoscale", "min"),
        message: `autoscale.min (${a.min}) is above topic "${c.topic}"'s ${partitions} partitions: a partition is read by one instance of a group, so the others would idle`,
        expected: `at most ${partitions}, or more partitions`,
      });
  }
  return out;
}

type ExchangeSpec = Extract<ComponentSpec, { kind: "exchange" }>;
type PublishSpec = Extract<StepSpec, { publish: string }>;

/** An exchange's bindings fit its type, and its queues and alternate exchange exist. */
export function exchangeProblems(name: string, c: ExchangeSpec, ref: Ref): Problem[] {
  const out: Problem[] = [];
  const at = (...p: (string | number)[]) => ["components", name, ...p];
  const keyed = c.type === "direct" || c.type === "topic";
  c.bindings.forEach((b, i) => {
    ref(at("bindings", i, "queue"), b.queue, ["queue"], "bound queue");
    if (keyed && b.key === undefined)
      out.push({
        path: at("bindings", i),
        message: `a ${c.type} exchange's binding takes the messages its key ${c.type === "topic" ? "pattern matches" : "equals"}, and this one has no key`,
        hint: c.type === "topic" ? "add key: order.*.eu (or key: '#' for every message)" : "add key: orders",
        atKey: true,
      });
    if (!keyed && b.key !== undefined)
      out.push({
        path: at("bindings", i, "key"),
        message: `a ${c.type} exchange ignores routing keys`,
        hint:
          c.type === "fanout"
            ? "remove key: every binding takes every message"
            : "remove key; match on headers",
        atKey: true,
      });
    if (c.type === "headers" && (b.headers === undefined || Object.keys(b.headers).length === 0))
      out.push({
        path: at("bindings", i),
        message:
          "a headers exchange's binding takes messages by their header values, and this one asks for none",
        hint: "add headers: { format: pdf }",
        atKey: true,
      });
    for (const f of ["headers", "match"] as const)
      if (c.type !== "headers" && b[f] !== undefined)
        out.push({
          path: at("bindings", i, f),
          message: `${f} applies to a headers exchange; this one is ${c.type}`,
          hint: `remove ${f}, or use type: headers`,
          atKey: true,
        });
  });
  if (c.alternateExchange !== undefined) {
    if (c.alternateExchange === name)
      out.push({
        path: at("alternateExchange"),
        message: `exchange "${name}" cannot be its own alternate exchange`,
        hint: "name another exchange, or remove alternateExchange",
      });
    else ref(at("alternateExchange"), c.alternateExchange, ["exchange"], "alternate exchange");
  }
  return out;
}

/** A publish step's exchange-only fields: only for an exchange, and fitting its type. */
export function publishProblems(s: PublishSpec, p: (string | number)[], d: Design): Problem[] {
  const out: Problem[] = [];
  const target = d.components[s.publish];
  if (target === undefined) return out;
  if (target.kind !== "exchange") {
    for (const f of ["routing", "routeBy", "mandatory"] as const)
      if (s[f] !== undefined)
        out.push({
          path: [...p, f],
          message: `${f} applies to a publish to an exchange; "${s.publish}" is a ${target.kind}`,
          hint: `remove ${f}`,
          atKey: true,
        });
    return out;
  }
  if (s.routeBy !== undefined && s.routing === undefined)
    out.push({
      path: [...p, "routeBy"],
      message: "routeBy picks among the routing entries, and there are none",
      hint: "add routing: [{ key: order.created.eu }]",
      atKey: true,
    });
  s.routing?.forEach((r, i) => {
    if (target.type === "topic" && r.key !== undefined && /(^|\.)[*#](\.|$)/.test(r.key))
      out.push({
        path: [...p, "routing", i, "key"],
        message: `routing key "${r.key}": * and # are wildcards of a binding's pattern, not words of a message's key`,
        hint: "give the message's own words, e.g. order.created.eu",
      });
    if ((target.type === "headers" || target.type === "fanout") && r.key !== undefined)
      out.push({
        path: [...p, "routing", i, "key"],
        message: `a ${target.type} exchange ignores routing keys`,
        hint: target.type === "headers" ? "give headers instead" : "remove key",
        atKey: true,
      });
    if (target.type !== "headers" && r.headers !== undefined)
      out.push({
        path: [...p, "routing", i, "headers"],
        message: `a ${target.type} exchange ignores headers`,
        hint: target.type === "fanout" ? "remove headers" : "give a key instead",
        atKey: true,
      });
  });
  return out;
}

/** The queues a publish to `name` (a queue, or an exchange and its alternates) can land in. */
export function queuesReached(name: string, d: Design): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  const walk = (n: string): void => {
    const c = d.components[n];
    if (!c || seen.has(n)) return;
    seen.add(n);
    if (c.kind === "queue") out.add(n);
    if (c.kind !== "exchange") return;
    for (const b of c.bindings) out.add(b.queue);
    if (c.alternateExchange !== undefined) walk(c.alternateExchange);
  };
  walk(name);
  return out;
}

/**
 * A request step names a queue that some consumer reads (its replies come
 * from there), and the queue holds only requests: its consumers reply to
 * every message.
 */
export function requestProblems(queue: string, p: (string | number)[], d: Design): Problem[] {
  const out: Problem[] = [];
  const q = d.components[queue];
  if (q?.kind !== "queue") return out;
  const comps = Object.entries(d.components);
  if (!comps.some(([, c]) => c.kind === "consumer" && c.queue === queue))
    out.push({
      path: [...p, "request"],
      message: `no consumer reads queue "${queue}": every request would wait for a reply that never comes`,
      hint: `add a consumer: { kind: consumer, queue: ${queue}, steps: [...] }`,
    });
  const other =
    comps.find(
      ([, c]) =>
        (c.kind === "service" || c.kind === "consumer") &&
        Object.values(routesOf(c)).some((steps) => steps.some((s) => "publish" in s && s.publish === queue)),
    )?.[0] ?? comps.find(([, c]) => c.kind === "exchange" && c.bindings.some((b) => b.queue === queue))?.[0];
  if (other !== undefined)
    out.push({
      path: [...p, "request"],
      message: `queue "${queue}" takes requests, whose consumers reply to every message, and "${other}" also ${d.components[other].kind === "exchange" ? "routes" : "publishes"} plain messages to it`,
      hint: "give the requests a queue of their own",
    });
  return out;
}
