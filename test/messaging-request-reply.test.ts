// Request-reply over a queue (RPC, MQ-15): the caller's wait and timeout, and
// what becomes of every reply: matched, late, duplicate or orphaned.
import { describe, expect, it } from "vitest";
import { CorrelationTable, DUPLICATE, LATE, MATCHED, ORPHANED } from "../src/mechanisms/correlation.js";
import { QueueStore } from "../src/mechanisms/queue-store.js";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

interface RequestReply {
  requests: number;
  answered: number;
  timedOut: number;
  lateReplies: number;
  duplicateReplies: number;
  orphanedReplies: number;
  roundTripMs: { count: number; p50: number; max: number };
}
const rr = (r: Report, q: string) => r.components[q].requestReply as RequestReply;

describe("the correlation table", () => {
  const alive = () => true;
  it("classifies replies: the first matches, a second is a duplicate, one after the timeout is late", () => {
    const t = new CorrelationTable(1000);
    t.expect(1, 0, 100, 7, 1);
    t.expect(2, 0, 100, 8, 1);
    expect(t.reply(1, 50, alive)).toBe(MATCHED);
    expect(t.reply(1, 60, alive)).toBe(DUPLICATE);
    t.timeout(2);
    expect(t.reply(2, 150, alive)).toBe(LATE);
    expect([t.answered, t.duplicates, t.timedOut, t.late]).toEqual([1, 1, 1, 1]);
  });

  it("a reply for a caller that died is orphaned, whether it died before or at the reply", () => {
    const t = new CorrelationTable(1000);
    t.expect(1, 0, 100, 7, 1);
    t.expect(2, 0, 100, 8, 1);
    t.gone(1);
    expect(t.reply(1, 10, alive)).toBe(ORPHANED);
    expect(t.reply(2, 10, () => false)).toBe(ORPHANED);
    expect(t.reply(2, 20, alive)).toBe(ORPHANED);
    expect(t.orphaned).toBe(3);
  });

  it("forgets settled requests keepMs after their deadline, never a waiting one", () => {
    const t = new CorrelationTable(1000);
    for (let i = 0; i < 100; i++) t.expect(i, i, i + 100, i, 1);
    for (let i = 0; i < 50; i++) t.reply(i, i + 10, alive);
    t.sweep(10_000);
    // 0..49 answered and old: gone; 50 waits, so it and everything after it stay
    expect(t.size).toBe(50);
    // a duplicate of a forgotten request can no longer be told from a late reply
    expect(t.reply(3, 10_001, alive)).toBe(LATE);
    t.withdraw(50);
    expect(t.requests).toBe(99);
  });
});

describe("a message dead-lettered while a copy of it is processed", () => {
  /** one message received, its visibility timeout run out, received again */
  const twice = () => {
    const q = new QueueStore("standard");
    q.enqueue(1, 0, 0, 0);
    const s = q.take();
    q.delivered(s);
    q.release(s);
    expect(q.take()).toBe(s);
    q.delivered(s);
    return { q, s };
  };
  const settled = (q: QueueStore) =>
    q.processedOnce + q.duplicated + q.deduped + q.lost + q.deadLettered + q.pending === q.enqueued;

  it("processed before, then dead-lettered, then processed again: one message, duplicated", () => {
    const { q, s } = twice();
    q.completed(s);
    q.release(s);
    expect(q.take()).toBe(s);
    q.deadLetter(s);
    q.completed(s);
    expect([q.processedOnce, q.duplicated, q.deadLettered, q.sentToDeadLetter, q.pending]).toEqual([
      0, 1, 0, 1, 0,
    ]);
    expect(settled(q)).toBe(true);
  });

  it("dead-lettered, then a running copy completes: processed once, not dead-lettered", () => {
    const { q, s } = twice();
    q.release(s);
    expect(q.take()).toBe(s);
    q.deadLetter(s);
    expect([q.deadLettered, q.pending]).toEqual([1, 0]);
    q.completed(s);
    expect([q.processedOnce, q.deadLettered, q.sentToDeadLetter, q.pending]).toEqual([1, 0, 1, 0]);
    expect(settled(q)).toBe(true);
  });
});

describe("examples/messaging/request-reply.yaml", () => {
  const r = runFile("examples/messaging/request-reply.yaml");
  const x = rr(r, "price-requests");

  it("requests that wait longer than the timeout fail, and their replies come late and are discarded", () => {
    // Pricing: 4 workers, each message 20ms plus, with prefetch 1, the receive's round trip to the
    // broker (about 2 x 0.2ms) before the next: mu = 4 / 20.4ms. A fluid model: the backlog grows at
    // 300 - mu during the spike and drains at mu - 150 after; a request times out while the backlog
    // holds more than a second's work (mu messages).
    const mu = 4 / 0.0204;
    const over = mu / (300 - mu); // seconds into the spike before the backlog exceeds mu
    const peak = (300 - mu) * 20;
    const drain = (peak - mu) / (mu - 150);
    const expected = 300 * (20 - over) + 150 * drain;
    expect(Math.abs(x.timedOut - expected) / expected).toBeLessThan(0.05);
    // every timed-out request was still priced: its reply came after the caller left
    expect(x.lateReplies).toBe(x.timedOut);
    expect(x.duplicateReplies + x.orphanedReplies).toBe(0);
    const byOutcome = r.requests.byOutcome as Record<string, number>;
    expect(byOutcome.timeout).toBe(x.timedOut);
  });

  it("the round trip is the processing when idle, and never more than the timeout", () => {
    expect(x.roundTripMs.p50).toBeGreaterThan(20);
    expect(x.roundTripMs.p50).toBeLessThan(40);
    expect(x.roundTripMs.max).toBeLessThanOrEqual(1000);
    expect(x.answered + x.timedOut).toBeLessThanOrEqual(x.requests);
    expect(x.requests - x.answered - x.timedOut).toBeLessThan(5); // in flight at the end
  });
});

describe("redeliveries and crashes", () => {
  it("a request redelivered while its first processing still runs is answered twice: the second is a duplicate", () => {
    // 300ms of work, 200ms visibility: every request is received again at 200ms (plenty of idle
    // workers), both processings reply, and a third receive (over maxReceives 2) dead-letters it
    const r = runText(`
name: dup
duration: 20s
seed: 2
components:
  load: { kind: workload, target: caller, arrival: { process: poisson, rate: 20/s }, routes: [{ route: POST /x }] }
  caller: { kind: service, concurrency: 200, routes: { "*": [{ request: rq, timeout: 5s }] } }
  rq: { kind: queue, profile: rabbitmq, visibilityTimeout: 200ms, maxReceives: 2 }
  workers: { kind: consumer, queue: rq, instances: 20, concurrency: 4, batch: 4, steps: [{ compute: 300ms }] }
`);
    const x = rr(r, "rq");
    // the last requests' second replies may not be back by the end: at most 0.5s of them (~10)
    expect(x.answered - x.duplicateReplies).toBeGreaterThanOrEqual(0);
    expect(x.answered - x.duplicateReplies).toBeLessThan(25);
    expect(x.timedOut + x.lateReplies + x.orphanedReplies).toBe(0);
    // each request processed twice (a duplicate), then dead-lettered: accounted once, as duplicated
    const q = r.components.rq as unknown as {
      deadLettered: number;
      delivery: Record<string, number>;
    };
    const d = q.delivery;
    expect(d.processedOnce + d.duplicated + d.deduped + d.lost + d.deadLettered + d.pending).toBe(d.messages);
    expect(d.pending).toBeGreaterThanOrEqual(0);
    expect(d.messages - d.duplicated).toBeLessThan(25);
    expect(d.deadLettered).toBe(0);
    expect(d.messages - q.deadLettered).toBeLessThan(25);
    // the caller saw only the first: one processing's time
    expect(x.roundTripMs.p50).toBeGreaterThan(300);
    expect(x.roundTripMs.p50).toBeLessThan(320);
  });

  it("a dedup store on the consumer skips the redelivery, so no duplicate reply is sent", () => {
    const r = runText(`
name: dedup
duration: 20s
seed: 2
components:
  load: { kind: workload, target: caller, arrival: { process: poisson, rate: 20/s }, routes: [{ route: POST /x }] }
  caller: { kind: service, concurrency: 200, routes: { "*": [{ request: rq, timeout: 5s }] } }
  rq: { kind: queue, profile: rabbitmq, visibilityTimeout: 200ms, maxReceives: 2 }
  workers: { kind: consumer, queue: rq, instances: 20, concurrency: 4, batch: 4, dedup: { ttl: 1m }, steps: [{ compute: 300ms }] }
`);
    const x = rr(r, "rq");
    expect(x.duplicateReplies).toBe(0);
    expect(x.answered).toBeGreaterThan(350);
  });

  it("replies to a caller instance that died are orphaned: about what it had waiting (Little's law)", () => {
    // 200/s over 2 caller instances, each request waiting ~0.5s for its reply: instance 0 has
    // about 100/s x 0.5s = 50 waiting when it is killed; their replies find no caller
    const r = runText(`
name: orphans
duration: 10s
seed: 4
components:
  load: { kind: workload, target: caller, arrival: { process: poisson, rate: 200/s }, routes: [{ route: POST /x }] }
  caller: { kind: service, instances: 2, concurrency: 500, routes: { "*": [{ request: rq, timeout: 5s }] } }
  rq: { kind: queue, profile: rabbitmq }
  workers: { kind: consumer, queue: rq, instances: 40, concurrency: 4, batch: 4, steps: [{ compute: 500ms }] }
faults:
  - { kill: caller, instance: 0, at: 5s, for: 2s }
`);
    const x = rr(r, "rq");
    expect(x.orphanedReplies).toBeGreaterThan(50 - 4 * Math.sqrt(50));
    expect(x.orphanedReplies).toBeLessThan(50 + 4 * Math.sqrt(50) + 10);
    expect(x.timedOut + x.lateReplies + x.duplicateReplies).toBe(0);
  });

  it("the same seed gives the same report", () => {
    const a = runFile("examples/messaging/request-reply.yaml");
    const b = runFile("examples/messaging/request-reply.yaml");
    expect(JSON.stringify(a)).toBe(
      JSON.stringify(b).replace(/"engine":\{[^}]*\}/, JSON.stringify(a).match(/"engine":\{[^}]*\}/)![0]),
    );
  });
});

describe("validation", () => {
  const design = (extra: string, step = "{ request: rq }") => `
name: bad
duration: 1s
components:
  load: { kind: workload, target: api, arrival: { process: poisson, rate: 1/s }, routes: [{ route: POST /x }] }
  api: { kind: service, routes: { "*": [${step}] } }
  rq: { kind: queue }
${extra}`;
  it("a request queue needs a consumer", () => {
    expect(rejection(design(""))).toMatch(/no consumer reads queue "rq"/);
  });
  it("a request queue takes only requests", () => {
    expect(
      rejection(
        design(
          "  w: { kind: consumer, queue: rq, steps: [{ compute: 1ms }] }\n  other: { kind: service, routes: { '*': [{ publish: rq }] } }\n",
        ),
      ),
    ).toMatch(/also publishes plain messages/);
  });
  it("a request names a queue", () => {
    expect(rejection(design("  t: { kind: topic }\n", "{ request: t }"))).toMatch(/request/);
  });
});
