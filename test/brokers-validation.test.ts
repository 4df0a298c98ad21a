// A field a broker does not have is refused where it is written, with the
// profile (or the field) that has it; never silently ignored.
import { describe, expect, it } from "vitest";
import { loadDesign } from "../src/design/load.js";
import { rejection } from "./support/run.js";

const base = (
  broker: string,
  consumer = "{ kind: consumer, topic: b, steps: [{ compute: 1ms }] }",
  extra = "",
) => `
duration: 10s
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 10/s }, routes: [{ route: POST /e }] }
  api: { kind: service, routes: { "*": [{ publish: b }] } }
  b: ${broker}
  sub: ${consumer}
${extra}`;
const queueSub = (extra = "") => `{ kind: consumer, queue: b, steps: [{ compute: 1ms }]${extra} }`;

describe("broker profile validation", () => {
  it("retention on a broker that keeps nothing is refused, pointing at the field, with the profile that keeps", () => {
    const msg = rejection(base("{ kind: topic, profile: redis-pubsub, retention: { time: 1d } }"));
    expect(msg).toMatch(/bad\.yaml:6:\d+: redis-pubsub keeps nothing/);
    expect(msg).toMatch(/profile: redis-streams/);
    const nats = rejection(base("{ kind: topic, profile: nats, replication: { factor: 1 } }"));
    expect(nats).toMatch(/bad\.yaml:6:\d+: nats keeps nothing.*no replication/);
    expect(nats).toMatch(/profile: nats-jetstream/);
  });

  it("tiered storage is Pulsar's, and must come before retention deletes the data", () => {
    expect(rejection(base("{ kind: topic, tieredStorage: { after: 1d } }"))).toMatch(
      /tiered storage .* this topic is kafka[\s\S]*use profile: pulsar/,
    );
    expect(
      rejection(
        base("{ kind: topic, profile: pulsar, retention: { time: 3d }, tieredStorage: { after: 7d } }"),
      ),
    ).toMatch(/nothing would ever be offloaded\n {2}expected: less than retention\.time/);
  });

  it("an output buffer limit is Redis Pub/Sub's", () => {
    expect(rejection(base("{ kind: topic, profile: nats, outputBufferLimit: 1MiB }"))).toMatch(
      /outputBufferLimit .* this topic is nats[\s\S]*use profile: redis-pubsub/,
    );
  });

  it("a fire-and-forget subscriber acknowledges nothing and replays nothing", () => {
    const after = rejection(
      base(
        "{ kind: topic, profile: nats }",
        "{ kind: consumer, topic: b, commit: after, steps: [{ compute: 1ms }] }",
      ),
    );
    expect(after).toMatch(/bad\.yaml:7:\d+: nats acknowledges nothing and keeps nothing/);
    expect(after).toMatch(/nats-jetstream/);
    expect(
      rejection(
        base(
          "{ kind: topic, profile: redis-pubsub }",
          "{ kind: consumer, topic: b, startAt: earliest, steps: [{ compute: 1ms }] }",
        ),
      ),
    ).toMatch(/only what is published after it subscribes\n {2}expected: latest/);
  });

  it("a Redis list has no acknowledgement, visibility timeout or dead-letter queue", () => {
    expect(rejection(base("{ kind: queue, profile: redis-list }", queueSub(", commit: after")))).toMatch(
      /BRPOP removes the message before it is processed\n {2}expected: before[\s\S]*redis-streams/,
    );
    expect(
      rejection(base("{ kind: queue, profile: redis-list, visibilityTimeout: 10s }", queueSub())),
    ).toMatch(/bad\.yaml:6:\d+: BRPOP removes the message from the list/);
    expect(rejection(base("{ kind: queue, profile: redis-list, maxReceives: 3 }", queueSub()))).toMatch(
      /never received again/,
    );
  });

  it("XAUTOCLAIM is a Redis stream's, which has no visibility timeout", () => {
    expect(rejection(base("{ kind: queue, profile: sqs, claim: { minIdle: 10s } }", queueSub()))).toMatch(
      /claim is a Redis Streams .* this queue is sqs[\s\S]*use visibilityTimeout/,
    );
    expect(
      rejection(base("{ kind: queue, profile: redis-streams, visibilityTimeout: 10s }", queueSub())),
    ).toMatch(/not after a visibility timeout[\s\S]*claim: \{ minIdle: 30s \}/);
  });

  it("one consumer group per Redis stream", () => {
    const msg = rejection(
      base(
        "{ kind: queue, profile: redis-streams }",
        queueSub(),
        "  audit: { kind: consumer, queue: b, steps: [{ compute: 1ms }] }\n",
      ),
    );
    expect(msg).toMatch(/both read stream "b"/);
    expect(msg).toMatch(/raise instances/);
  });

  it("SQS pricing is for SQS; fifo and priorities are not a list's or a stream's", () => {
    expect(
      rejection(base("{ kind: queue, profile: redis-list, pricing: sqs-standard }", queueSub())),
    ).toMatch(/pricing sqs-standard is SQS's, and this queue is redis-list/);
    expect(rejection(base("{ kind: queue, profile: redis-streams, type: fifo }", queueSub()))).toMatch(
      /type fifo is SQS's per-group ordering/,
    );
  });

  it("a Redis broker may be priced as ElastiCache nodes; a RabbitMQ queue may not", () => {
    expect(() =>
      loadDesign(
        base("{ kind: queue, profile: redis-list, instanceType: cache.r6g.large }", queueSub()),
        "ok.yaml",
      ),
    ).not.toThrow();
    expect(
      rejection(base("{ kind: queue, profile: rabbitmq, instanceType: cache.r6g.large }", queueSub())),
    ).toMatch(/cache\.r6g\.large/);
  });

  it("an unknown profile is refused with the known ones", () => {
    expect(rejection(base("{ kind: topic, profile: natss }"))).toMatch(/did you mean nats\?/);
  });
});
