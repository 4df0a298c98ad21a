// Topics and consumer groups, end to end: partitioning and ordering, the
// partition cap on a group's parallelism, fan-out to several groups,
// retention, replay, broker failure, rebalancing, lag and backpressure.
// Networks are free unless a test says otherwise, so the numbers are the
// components'.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runText } from "./support/run.js";

interface Delivery {
  messages: number;
  processedOnce: number;
  duplicated: number;
  deduped: number;
  lost: number;
  lostToRetention: number;
  failed: number;
  pending: number;
  outOfOrder: number;
  processings: number;
}
interface ConsumerReport {
  delivery: Delivery;
  lag: {
    messages: number;
    seconds: number;
    maxMessages: number;
    alertSeconds?: number;
    partitions: { owner: number; lag: number }[];
  };
  rebalances: number;
  assignment: number[][];
  idleInstances: number;
  series: Record<string, number[]>;
}
const consumer = (r: Report, name: string) => r.components[name] as unknown as ConsumerReport;
const sum = (xs: number[], from = 0, to = xs.length) => xs.slice(from, to).reduce((a, x) => a + x, 0);

/** Every message is in exactly one class. */
function conserved(d: Delivery): boolean {
  return d.processedOnce + d.duplicated + d.deduped + d.lost + d.failed + d.pending === d.messages;
}

const producer = (rate: string, keys = 1000, extra = "") => `
  users:
    kind: workload
    target: api
    arrival: { process: constant, rate: ${rate} }
    routes: [{ route: POST /event, keys: { count: ${keys} } }]
  api:
    kind: service
    instances: 4
    concurrency: 64
    routes: { "*": [{ publish: events${extra} }] }`;

const FREE = "network: { latency: { sameZone: 0ms, client: 0ms } }";

describe("partitions and ordering", () => {
  const design = (concurrency: number) => `
duration: 20s
${FREE}
components:${producer("400/s", 20)}
  events: { kind: topic, partitions: 4 }
  worker:
    kind: consumer
    topic: events
    instances: 2
    concurrency: ${concurrency}
    batch: 50
    steps: [{ compute: exp(2ms) }]
`;

  it("one worker per instance processes a partition in order: nothing out of order", () => {
    const d = consumer(runText(design(1)), "worker").delivery;
    expect(d.processedOnce).toBeGreaterThan(7000);
    expect(d.outOfOrder).toBe(0);
    expect(conserved(d)).toBe(true);
  });

  it("several workers per instance process a key's messages at once, and some finish out of order", () => {
    const d = consumer(runText(design(8)), "worker").delivery;
    expect(d.outOfOrder).toBeGreaterThan(0);
    expect(d.duplicated + d.lost).toBe(0);
  });
});

describe("a group's parallelism is capped by the partition count (MQ-05)", () => {
  // each instance processes one message at a time for exactly 10ms: 100/s while it has a backlog
  const run = (instances: number) =>
    consumer(
      runText(`
duration: 30s
${FREE}
components:${producer("1000/s")}
  events: { kind: topic, partitions: 4 }
  worker:
    kind: consumer
    topic: events
    instances: ${instances}
    batch: 20
    steps: [{ compute: 10ms }]
`),
      "worker",
    );

  for (const instances of [1, 2, 4, 8])
    it(`${instances} instances process min(${instances}, 4) x 100 messages/s`, () => {
      const c = run(instances);
      const perSecond = sum(c.series.processed, 5, 25) / 20;
      expect(perSecond).toBeCloseTo(100 * Math.min(instances, 4), -1);
      expect(c.idleInstances).toBe(Math.max(0, instances - 4));
    });
});

describe("several groups read a topic independently (MQ-06)", () => {
  const r = runText(`
duration: 20s
${FREE}
components:${producer("500/s")}
  events: { kind: topic, partitions: 4 }
  email:
    kind: consumer
    topic: events
    instances: 4
    concurrency: 4
    steps: [{ compute: exp(2ms) }]
  analytics:
    kind: consumer
    topic: events
    instances: 1
    steps: [{ compute: 2.5ms }]
`);

  it("each group processes every message once, at its own pace", () => {
    const email = consumer(r, "email");
    const analytics = consumer(r, "analytics");
    const published = r.components.events.messages as number;
    expect(email.delivery.messages).toBe(published);
    expect(analytics.delivery.messages).toBe(published);
    // email keeps up; analytics (one instance at 400/s for 500/s) falls ~100/s behind
    expect(email.lag.messages).toBeLessThan(50);
    expect(analytics.lag.messages).toBeGreaterThan(0.8 * 100 * 20);
    expect(email.delivery.processedOnce).toBe(published - email.delivery.pending);
    expect(conserved(analytics.delivery)).toBe(true);
  });
});

describe("retention", () => {
  const r = runText(`
duration: 40s
${FREE}
components:${producer("200/s")}
  events: { kind: topic, partitions: 2, segment: 100, retention: { time: 5s } }
  fast:
    kind: consumer
    topic: events
    instances: 2
    steps: [{ compute: 1ms }]
  slow:
    kind: consumer
    topic: events
    steps: [{ compute: 10ms }]
`);

  it("a group that falls behind retention loses the messages deleted before it read them; one that keeps up loses none", () => {
    const slow = consumer(r, "slow").delivery;
    const fast = consumer(r, "fast").delivery;
    // slow processes 100/s of 200/s; every message it has not reached within 5s (plus a segment) is deleted
    expect(slow.lost).toBeGreaterThan(0.3 * slow.messages);
    expect(slow.lostToRetention).toBe(slow.lost);
    expect(slow.processedOnce).toBeGreaterThan(0.9 * 100 * 40);
    expect(conserved(slow)).toBe(true);
    expect(fast.lost).toBe(0);
    expect(r.components.events.deletedByRetention).toBeGreaterThan(0);
  });

  it("the slow group's lag stays bounded by retention: never older than 5s plus a segment's span", () => {
    const c = consumer(r, "slow");
    // a segment of 100 messages per partition spans 1s at 100/s per partition
    expect(Math.max(...c.series.lagSeconds)).toBeLessThan(5 + 1 + 0.1);
  });
});

describe("replay: where a group starts (MQ-07)", () => {
  const run = (startAt: string) => {
    const r = runText(`
duration: 20s
${FREE}
components:${producer("100/s")}
  events: { kind: topic, partitions: 2 }
  late:
    kind: consumer
    topic: events
    instances: 2
    start: 10s
    startAt: ${startAt}
    steps: [{ compute: 1ms }]
`);
    return { published: r.components.events.messages as number, late: consumer(r, "late") };
  };

  it("earliest replays every retained message; latest only those after it joined", () => {
    const { published, late: earliest } = run("earliest");
    const { late: latest } = run("latest");
    // one message every 10ms
    expect(published).toBe(1999);
    expect(earliest.delivery.messages).toBe(published);
    // (the last message may still be in progress at the end)
    expect(earliest.delivery.processedOnce).toBeGreaterThanOrEqual(published - 1);
    // joined at 10s: the messages of the last 10s (the one at exactly 10s may or may not be in)
    expect(Math.abs(latest.delivery.messages - 1000)).toBeLessThanOrEqual(1);
  });
});

describe("lag (MQ-12)", () => {
  const r = runText(`
duration: 30s
${FREE}
components:${producer("100/s")}
  events: { kind: topic, partitions: 2 }
  worker:
    kind: consumer
    topic: events
    rebalancePause: 2s
    alertAbove: 500
    steps: [{ compute: 1ms }]
faults:
  - { kill: worker, at: 5s, for: 10s }
`);
  const c = consumer(r, "worker");

  it("while the only instance is down, lag grows by the publish rate and its age by one second a second", () => {
    // one message every 10ms; the instance died at 5s: at the end of second s, 100 (s - 5) messages, s - 5 seconds old
    for (let s = 7; s <= 15; s++) {
      expect(Math.abs(c.series.lag[s - 1] - 100 * (s - 5))).toBeLessThanOrEqual(2);
      expect(c.series.lagSeconds[s - 1]).toBeCloseTo(s - 5, 1);
    }
  });

  it("it drains after the restart and the rebalance pause; alert seconds are the seconds above the threshold", () => {
    expect(c.lag.messages).toBeLessThan(5);
    expect(c.rebalances).toBe(1);
    // back at 15s, fetching at 17s
    expect(sum(c.series.processed, 15, 17)).toBe(0);
    expect(c.series.processed[17]).toBeGreaterThan(500);
    expect(c.lag.alertSeconds).toBe(c.series.lag.filter((x) => x > 500).length);
    expect(c.lag.alertSeconds).toBeGreaterThan(5);
  });
});

describe("producers and brokers", () => {
  const run = (ack: string, faults: string, topic = "{ kind: topic, partitions: 4, brokers: 2 }") =>
    runText(`
duration: 20s
${FREE}
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 200/s }
    routes: [{ route: POST /event, keys: { count: 10k } }]
  api:
    kind: service
    instances: 2
    concurrency: 64
    routes: { "*": [{ publish: events, ack: ${ack} }] }
  events: ${topic}
  worker:
    kind: consumer
    topic: events
    instances: 2
    steps: [{ compute: 1ms }]
faults: ${faults}
`);
  const brokerDown = "[{ kill: events, instance: 0, at: 5s, for: 5s }]";

  it("while a broker is down, publishes to the partitions it leads fail; the others go on", () => {
    const r = run("sync", brokerDown);
    const per = r.components.events.messagesPerPartition as number[];
    const down = r.requests.byOutcome["instance-down"];
    // broker 0 leads partitions 0 and 2, whose share of publishes is that of their keys
    const share = (per[0] + per[2] + down) / (per.reduce((a, b) => a + b, 0) + down);
    const expected = 200 * 5 * share;
    expect(Math.abs(down - expected)).toBeLessThan(4 * Math.sqrt(expected));
    expect(r.components.events.rejected).toBe(down);
    // the consumers read every message that was appended
    const d = consumer(r, "worker").delivery;
    expect(d.messages).toBe(r.components.events.messages);
    expect(d.lost + d.duplicated).toBe(0);
  });

  it("fire and forget: every request succeeds, and the publishes the broker refused are simply lost", () => {
    const r = run("none", brokerDown);
    expect(r.requests.failed).toBe(0);
    expect(r.components.events.rejected).toBeGreaterThan(0);
    expect(r.components.events.messages).toBe(
      (r.components.events.arrivals as number) - (r.components.events.rejected as number),
    );
  });

  it("a full broker queue pushes back on producers with queue-full (MQ-02)", () => {
    const r = runText(`
duration: 20s
${FREE}
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 2000/s }, routes: [{ route: POST /e }] }
  api: { kind: service, instances: 2, concurrency: 64, routes: { "*": [{ publish: events }] } }
  events: { kind: topic, concurrency: 1, appendTime: 1ms, queue: 20 }
`);
    // one thread appending 1000 messages/s against 2000/s offered: half are refused
    expect(r.components.events.messages as number).toBeGreaterThan(0.99 * 1000 * 20);
    expect(r.components.events.messages as number).toBeLessThanOrEqual(1000 * 20 + 1);
    expect(r.availability).toBeCloseTo(0.5, 2);
    expect(r.requests.byOutcome["queue-full"]).toBe(r.requests.failed);
  });
});

describe("rebalancing", () => {
  it("a dead instance's partitions go to the others once its death is noticed and the pause is over", () => {
    const r = runText(`
duration: 20s
${FREE}
components:${producer("200/s")}
  events: { kind: topic, partitions: 4 }
  worker:
    kind: consumer
    topic: events
    instances: 2
    sessionTimeout: 4s
    rebalancePause: 1s
    steps: [{ compute: 1ms }]
faults:
  - { kill: worker, at: 5s }
`);
    const c = consumer(r, "worker");
    expect(c.rebalances).toBe(1);
    expect(c.assignment).toEqual([[], [0, 1, 2, 3]]);
    // instance 0's partitions (0 and 1) are not read from 5s until 10s: their lag grows by 50/s each
    expect(c.series["lag:0"][8]).toBeGreaterThan(150);
    expect(c.series["lag:2"][8]).toBeLessThan(5);
    // then instance 1 catches up, losing nothing (commit after)
    expect(c.lag.messages).toBeLessThan(5);
    expect(c.delivery.lost).toBe(0);
    // while the group rebalances (9s to 10s), nobody processes anything
    expect(c.series.processed[9]).toBe(0);
  });

  it("round-robin deals the partitions out in turn", () => {
    const r = runText(`
duration: 5s
${FREE}
components:${producer("100/s")}
  events: { kind: topic, partitions: 5 }
  worker: { kind: consumer, topic: events, instances: 2, assignment: round-robin, steps: [{ compute: 1ms }] }
`);
    expect(consumer(r, "worker").assignment).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
  });
});

describe("failed processing", () => {
  const run = (attempts: number) =>
    consumer(
      runText(`
duration: 20s
${FREE}
components:${producer("100/s")}
  events: { kind: topic, partitions: 2 }
  db: { kind: database, writeTime: 1ms }
  worker: { kind: consumer, topic: events, attempts: ${attempts}, steps: [{ write: db }] }
faults:
  - { kill: db, at: 5s, for: 2s }
`),
      "worker",
    );

  it("a message whose steps fail is given up after its attempts, counted, and committed past", () => {
    const c = run(1);
    // every message of the 2 seconds the database was down fails
    expect(Math.abs(c.delivery.failed - 200)).toBeLessThanOrEqual(2);
    expect(c.delivery.lost + c.delivery.duplicated).toBe(0);
    expect(conserved(c.delivery)).toBe(true);
    expect(c.lag.messages).toBeLessThan(5);
  });
});
