// Work queues (SQS/RabbitMQ-style): competing consumers, visibility timeouts
// and redelivery, acknowledging before or after processing, dead-letter
// queues, FIFO groups against best-effort order, priorities and bounded
// queues. Networks are free, so the numbers are the components'.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runText } from "./support/run.js";

interface QueueDelivery {
  messages: number;
  processedOnce: number;
  duplicated: number;
  deduped: number;
  lost: number;
  deadLettered: number;
  pending: number;
  outOfOrder: number;
}
interface QueueReport {
  depth: number;
  maxDepth: number;
  redeliveries: number;
  nacks: number;
  refused: number;
  blockedSends: number;
  deadLettered: number;
  fromDeadLetter: number;
  delivery: QueueDelivery;
  waitMs: { p99: number; mean: number };
  waitMsByPriority?: Record<string, { p99: number; mean: number }>;
}
const queue = (r: Report, name = "jobs") => r.components[name] as unknown as QueueReport;
const conserved = (d: QueueDelivery) =>
  d.processedOnce + d.duplicated + d.deduped + d.lost + d.deadLettered + d.pending === d.messages;

const FREE = "network: { latency: { sameZone: 0ms, client: 0ms } }";
const producer = (rate: string, extra = "") => `
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: ${rate} }
    routes: [{ route: POST /job, keys: { count: 200 } }]
  api:
    kind: service
    instances: 2
    concurrency: 64
    routes: { "*": [{ publish: jobs${extra} }] }`;

describe("competing consumers", () => {
  it("every message is processed once, by one of the instances; utilisation is offered load over workers", () => {
    const r = runText(`
duration: 30s
${FREE}
components:${producer("400/s")}
  jobs: { kind: queue }
  workers: { kind: consumer, queue: jobs, instances: 3, concurrency: 2, steps: [{ compute: exp(10ms) }] }
`);
    const d = queue(r).delivery;
    expect(conserved(d)).toBe(true);
    expect(d.duplicated + d.lost).toBe(0);
    expect(d.pending).toBeLessThan(20);
    // 400/s x 10ms over 6 workers
    expect(r.components.workers.utilization).toBeCloseTo((400 * 0.01) / 6, 1);
  });
});

describe("acknowledging, visibility and crashes", () => {
  // the instances are always busy (540/s against 3 x 2 workers at 10ms = 600/s), so a dying one holds messages
  const crash = (commit: string, extra = "") =>
    runText(`
duration: 30s
${FREE}
components:${producer("540/s")}
  jobs: { kind: queue, visibilityTimeout: 5s }
  workers:
    kind: consumer
    queue: jobs
    instances: 3
    concurrency: 2
    batch: 10
    commit: ${commit}
    ${extra}
    steps: [{ compute: exp(10ms) }]
faults:
  - { kill: workers, instance: 0, at: 10s, for: 5s }
`);

  it("acknowledged after processing: the dead instance's messages come back after the visibility timeout", () => {
    const q = queue(crash("after"));
    expect(q.redeliveries).toBeGreaterThan(0);
    // it held at most its prefetch
    expect(q.redeliveries).toBeLessThanOrEqual(10);
    expect(q.delivery.lost).toBe(0);
    expect(conserved(q.delivery)).toBe(true);
  });

  it("acknowledged before processing: the dead instance's messages are lost, none comes back", () => {
    const q = queue(crash("before"));
    expect(q.delivery.lost).toBeGreaterThan(0);
    expect(q.delivery.lost).toBeLessThanOrEqual(10);
    expect(q.redeliveries).toBe(0);
    expect(q.delivery.duplicated).toBe(0);
    expect(conserved(q.delivery)).toBe(true);
  });

  it("processing longer than the visibility timeout delivers a message again meanwhile, for ever; dedup breaks the loop", () => {
    // a message every 500ms, 1.5s to process, invisible for 1s: each copy is redelivered before it is
    // done, so its acknowledgement carries an old receipt and deletes nothing
    const slow = (dedup: string) =>
      queue(
        runText(`
duration: 20s
${FREE}
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 2/s }, routes: [{ route: POST /job }] }
  api: { kind: service, concurrency: 8, routes: { "*": [{ publish: jobs }] } }
  jobs: { kind: queue, visibilityTimeout: 1s }
  workers: { kind: consumer, queue: jobs, concurrency: 64, batch: 64, ${dedup} steps: [{ compute: 1.5s }] }
`),
      );
    const plain = slow("");
    // every message received before 17.5s is processed at least twice
    expect(plain.delivery.duplicated).toBeGreaterThan(0.8 * plain.delivery.messages);
    expect(plain.redeliveries).toBeGreaterThan(3 * plain.delivery.messages);
    // with dedup the second copy is skipped and acknowledged with the current receipt: the message is deleted
    const dedup = slow("dedup: { ttl: 1h },");
    expect(dedup.delivery.duplicated).toBe(0);
    expect(dedup.redeliveries).toBeLessThanOrEqual(dedup.delivery.messages);
    expect(conserved(dedup.delivery)).toBe(true);
  });
});

describe("dead-letter queue (MQ-19)", () => {
  it("a message whose processing keeps failing is given back, and after maxReceives goes to the dead-letter queue", () => {
    const r = runText(`
duration: 20s
${FREE}
components:${producer("50/s")}
  jobs: { kind: queue, maxReceives: 3, deadLetter: parked }
  parked: { kind: queue }
  broken: { kind: service, routes: { "*": [{ compute: 1ms }] } }
  workers: { kind: consumer, queue: jobs, instances: 2, steps: [{ call: broken }] }
faults:
  - { kill: broken, at: 0s }
`);
    const q = queue(r);
    // each message: received 3 times and nacked, then dead-lettered on its 4th receive
    expect(q.delivery.deadLettered).toBeGreaterThan(0.95 * q.delivery.messages);
    // every dead-lettered message was given back three times first
    expect(q.nacks).toBeGreaterThanOrEqual(3 * q.delivery.deadLettered);
    expect(q.nacks).toBeLessThanOrEqual(3 * q.delivery.messages);
    expect(queue(r, "parked").fromDeadLetter).toBe(q.deadLettered);
    expect(queue(r, "parked").delivery.messages).toBe(q.deadLettered);
    expect(q.delivery.processedOnce).toBe(0);
  });
});

describe("ordering", () => {
  const run = (type: string) =>
    queue(
      runText(`
duration: 20s
${FREE}
components:${producer("300/s")}
  jobs: { kind: queue, type: ${type} }
  workers: { kind: consumer, queue: jobs, instances: 3, concurrency: 4, steps: [{ compute: exp(10ms) }] }
`),
    ).delivery;

  it("a standard queue's workers finish one key's messages out of order; a fifo queue keeps each key's order", () => {
    expect(run("standard").outOfOrder).toBeGreaterThan(0);
    const fifo = run("fifo");
    expect(fifo.outOfOrder).toBe(0);
    expect(fifo.processedOnce).toBeGreaterThan(0.99 * fifo.messages - 20);
  });
});

describe("priorities (MQ-20)", () => {
  const run = (priorities: boolean) =>
    queue(
      runText(`
duration: 30s
${FREE}
components:
  users:
    kind: workload
    target: api
    arrival: { process: spike, rate: 100/s, at: 10s, multiplier: 10, for: 5s }
    routes:
      - { route: POST /security, priority: critical, weight: 1 }
      - { route: POST /marketing, priority: low, weight: 9 }
  api: { kind: service, instances: 2, concurrency: 64, routes: { "*": [{ publish: jobs }] } }
  jobs: { kind: queue, priorities: ${priorities} }
  workers: { kind: consumer, queue: jobs, instances: 2, concurrency: 2, steps: [{ compute: 5ms }] }
`),
    );

  it("in one FIFO a burst of low-priority messages delays the critical ones; with priorities they go first", () => {
    // the burst brings 1,000/s for 5s against 800/s of workers: a backlog of ~1,000 builds
    expect(run(false).waitMs.p99).toBeGreaterThan(500);
    const p = run(true);
    expect(p.waitMsByPriority!.critical.p99).toBeLessThan(20);
    expect(p.waitMsByPriority!.low.p99).toBeGreaterThan(500);
  });
});

describe("bounded queues (MQ-02)", () => {
  const run = (overflow: string) =>
    runText(`
duration: 20s
${FREE}
components:${producer("300/s")}
  jobs: { kind: queue, maxLength: 100, overflow: ${overflow} }
  workers: { kind: consumer, queue: jobs, concurrency: 2, steps: [{ compute: 10ms }] }
`);

  it("a full queue refuses sends (reject) or holds them until there is room (block)", () => {
    const reject = run("reject");
    // workers take 200/s of 300/s: a third is refused once the queue is full
    expect(queue(reject).maxDepth).toBeLessThanOrEqual(100);
    expect(reject.requests.byOutcome["queue-full"]).toBeGreaterThan(0.25 * 300 * 20);
    const block = run("block");
    expect(block.requests.failed).toBe(0);
    expect(queue(block).blockedSends).toBeGreaterThan(0);
    // the producers wait instead: their latency grows with the backlog they hold
    expect(block.latencyMs.p99).toBeGreaterThan(1000);
  });
});

describe("queue validation", () => {
  const base = (q: string, consumer = "{ kind: consumer, queue: jobs, steps: [{ compute: 1ms }] }") => `
duration: 5s
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 10/s }, routes: [{ route: POST /e }] }
  api: { kind: service, routes: { "*": [{ publish: jobs }] } }
  jobs: ${q}
  events: { kind: topic }
  workers: ${consumer}
`;

  it("refuses inconsistent queues and consumers", () => {
    expect(rejection(base("{ kind: queue, deadLetter: jobs, maxReceives: 2 }"))).toMatch(
      /queue "jobs" cannot be its own dead-letter queue/,
    );
    expect(rejection(base("{ kind: queue, deadLetter: events, maxReceives: 2 }"))).toMatch(
      /dead-letter queue "events" is a topic/,
    );
    expect(rejection(base("{ kind: queue, type: fifo, priorities: true }"))).toMatch(
      /a fifo queue delivers each group's messages in order/,
    );
    expect(rejection(base("{ kind: queue, overflow: block }"))).toMatch(/the queue has no maxLength/);
    expect(
      rejection(
        base("{ kind: queue }", "{ kind: consumer, queue: jobs, topic: events, steps: [{ compute: 1ms }] }"),
      ),
    ).toMatch(/needs exactly one of topic .* or queue/);
    expect(
      rejection(
        base(
          "{ kind: queue }",
          "{ kind: consumer, queue: jobs, sessionTimeout: 5s, steps: [{ compute: 1ms }] }",
        ),
      ),
    ).toMatch(/sessionTimeout applies to a consumer group of a topic/);
  });
});

describe("queue delivery semantics under random consumer crashes", () => {
  const kills = fc.array(
    fc.record({
      instance: fc.integer({ min: 0, max: 2 }),
      at: fc.integer({ min: 500, max: 17_000 }),
      for: fc.integer({ min: 100, max: 4000 }),
    }),
    { minLength: 1, maxLength: 4 },
  );
  const run = (commit: string, dedup: boolean, k: { instance: number; at: number; for: number }[]) =>
    queue(
      runText(`
duration: 20s
${FREE}
components:${producer("400/s")}
  jobs: { kind: queue, visibilityTimeout: 2s }
  workers:
    kind: consumer
    queue: jobs
    instances: 3
    concurrency: 2
    commit: ${commit}
    ${dedup ? "dedup: { ttl: 1h }" : ""}
    steps: [{ compute: exp(5ms) }]
faults:
${k.map((x) => `  - { kill: workers, instance: ${x.instance}, at: ${x.at}ms, for: ${x.for}ms }`).join("\n")}
`),
    ).delivery;

  it("acknowledged before: nothing twice; after: nothing lost; after with dedup: neither", () => {
    fc.assert(
      fc.property(kills, (k) => {
        const before = run("before", false, k);
        const after = run("after", false, k);
        const dedup = run("after", true, k);
        return (
          before.duplicated === 0 &&
          after.lost === 0 &&
          dedup.lost + dedup.duplicated === 0 &&
          [before, after, dedup].every(conserved)
        );
      }),
      { numRuns: 8 },
    );
  });
});
