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
