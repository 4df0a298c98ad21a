// The async-pattern examples (MQ-01, MQ-21, MQ-22, MQ-23, TX-06, TX-11) show
// what their header comments say, with expectations derived from the designs'
// rates and timings.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runFile } from "./support/run.js";

interface Latency {
  count: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}
interface Station {
  arrivals: number;
  failed: number;
  rejected: number;
  latencyMs: Latency;
  writes?: number;
  messages?: number;
  series: Record<string, number[]>;
}
interface QueueReport extends Station {
  maxDepth: number;
  depth: number;
  delivery: { messages: number; processedOnce: number; lost: number; pending: number; duplicated: number };
}
interface Relay {
  polls: number;
  captured: number;
  published: number;
  duplicatesPublished: number;
  unsent: number;
  lag: { seconds: number; maxSeconds: number };
  index?: {
    applied: number;
    duplicateApplies: number;
    outOfOrder: number;
    unapplied: number;
    stalenessMs: Latency;
  };
}
interface DualWrite {
  committed: number;
  withEvent: number;
  missingEvents: number;
  pending: number;
}
const comp = <T>(r: Report, name: string) => r.components[name] as unknown as T;

describe("examples/messaging/async-202.yaml", () => {
  const r = runFile("examples/messaging/async-202.yaml");
  const sync = comp<Station>(r, "sync-api");
  const api = comp<Station>(r, "async-api");
  const jobs = comp<QueueReport>(r, "jobs");
  const WORK = 150; // ms of rendering per report
  const capacity = 10 / (WORK / 1000); // 10 workers: 66.7/s
  const base = 40;
  const burst = 3 * base;
  const backlog = (burst - capacity) * 10; // 533 after the 10s burst

  it("rendering while the client waits: latency is the work, and the burst's backlog makes the last wait backlog / capacity", () => {
    expect(sync.latencyMs.p50).toBeGreaterThanOrEqual(WORK);
    const wait = backlog / capacity; // 8s
    expect(sync.latencyMs.max).toBeGreaterThan(0.8 * wait * 1000);
    expect(sync.latencyMs.max).toBeLessThan(1.1 * wait * 1000 + WORK);
  });

  it("202 Accepted: the client waits only for the enqueue, whatever the work or the backlog", () => {
    // a compute of 1ms and a queue operation (median 2ms): far below one rendering
    expect(api.latencyMs.p99).toBeLessThan(WORK / 5);
    expect(api.failed + api.rejected).toBe(0);
  });

  it("the backlog moves into the queue and drains after the burst at capacity - base rate", () => {
    expect(jobs.maxDepth).toBeGreaterThan(0.85 * backlog);
    expect(jobs.maxDepth).toBeLessThan(1.15 * backlog);
    const drain = backlog / (capacity - base); // 20s after the burst ends at 30s
    const drainedAt = jobs.series.depth.findIndex((d, i) => i >= 30 && d < 10) + 1;
    expect(drainedAt).toBeGreaterThan(30 + 0.8 * drain);
    expect(drainedAt).toBeLessThan(30 + 1.2 * drain + 1);
    // every job accepted is processed once (or is still being processed at the end)
    expect(jobs.delivery.lost + jobs.delivery.duplicated).toBe(0);
    expect(jobs.delivery.processedOnce + jobs.delivery.pending).toBe(jobs.delivery.messages);
    expect(jobs.delivery.messages).toBe(api.arrivals);
  });
});

describe("examples/messaging/write-behind-queue.yaml", () => {
  const r = runFile("examples/messaging/write-behind-queue.yaml");
  const direct = comp<Station>(r, "direct-api");
  const queued = comp<Station>(r, "queued-api");
  const q = comp<QueueReport>(r, "like-writes");
  const db = comp<Station>(r, "likes-queued");
  const RATE = 200;
  const OUTAGE = 10;

  it("direct synchronous writes fail for every user during the outage", () => {
    const expected = RATE * OUTAGE;
    expect(direct.failed).toBeGreaterThan(0.9 * expected);
    expect(direct.failed).toBeLessThan(1.1 * expected);
  });

  it("through a queue no user fails, the queue holds the outage's writes, and nothing is lost", () => {
    expect(queued.failed + queued.rejected).toBe(0);
    expect(q.maxDepth).toBeGreaterThan(0.9 * RATE * OUTAGE);
    expect(q.maxDepth).toBeLessThan(1.1 * RATE * OUTAGE);
    expect(q.delivery.lost + q.delivery.duplicated).toBe(0);
    // every write the API took is in the queue (but for the few in flight at the end)
    expect(q.delivery.messages).toBeLessThanOrEqual(queued.arrivals);
    expect(q.delivery.messages).toBeGreaterThan(queued.arrivals - 10);
    // every write taken is in the database, but those still on their way
    expect(db.writes).toBe(q.delivery.processedOnce);
    expect(q.delivery.pending).toBeLessThan(10);
  });

  it("the backlog drains once the database is back, at the writers' spare capacity", () => {
    const capacity = 8 / 0.004; // 8 writers x 4ms
    const drain = (RATE * OUTAGE) / (capacity - RATE);
    // the database is back at 20s; a writer's retries back off up to 400ms (x3)
    const drainedAt = q.series.depth.findIndex((d, i) => i >= 20 && d < 10) + 1;
    expect(drainedAt).toBeLessThanOrEqual(20 + Math.ceil(drain + 3 * 0.4) + 1);
  });
});

describe("examples/messaging/outbox.yaml", () => {
  const r = runFile("examples/messaging/outbox.yaml");
  const dual = comp<Station & { dualWrite: Record<string, DualWrite> }>(r, "dual");
  const dw = dual.dualWrite["*"];
  const relay = comp<Relay>(r, "order-relay");
  const shipping = comp<{ dedup: { skipped: number } }>(r, "shipping");

  it("a dual write leaves rows without events when the publish fails after the commit: about rate x outage x share of partitions", () => {
    const expected = 300 * 3 * (2 / 4);
    expect(dw.missingEvents).toBeGreaterThan(0.85 * expected);
    expect(dw.missingEvents).toBeLessThan(1.2 * expected);
  });

  it("the dual write's counts reconcile exactly with the database and the topic", () => {
    expect(dw.committed).toBe(dw.withEvent + dw.missingEvents + dw.pending);
    expect(dw.committed).toBe(comp<Station>(r, "orders-dual").writes);
    expect(dw.withEvent).toBe(comp<Station>(r, "placed-dual").messages);
  });

  it("the outbox loses no event: the broker's outage only delays them, by about its length", () => {
    expect(relay.captured).toBe(comp<Station>(r, "orders-outbox").writes);
    expect(relay.published + relay.unsent).toBe(relay.captured);
    // at the end, only the last interval's rows are unsent: 300/s x 50ms, give or take
    expect(relay.unsent).toBeLessThan(300 * 0.05 * 3);
    expect(relay.lag.maxSeconds).toBeGreaterThanOrEqual(3);
    expect(relay.lag.maxSeconds).toBeLessThan(3 + 2 * 0.05 + 0.05);
  });

  it("the relay's polls are queries the database serves (the last may still be under way)", () => {
    const reads = comp<Station & { reads: number }>(r, "orders-outbox").reads;
    expect(reads).toBeLessThanOrEqual(relay.polls);
    expect(reads).toBeGreaterThanOrEqual(relay.polls - 1);
  });

  it("relay deaths between publishing and marking publish again: duplicates, all skipped by shipping's dedup", () => {
    expect(relay.duplicatesPublished).toBeGreaterThan(0);
    // at most a batch per death
    expect(relay.duplicatesPublished).toBeLessThanOrEqual(10 * 100);
    expect(shipping.dedup.skipped).toBe(relay.duplicatesPublished);
    expect(comp<Station>(r, "placed").messages).toBe(relay.published + relay.duplicatesPublished);
  });
});

describe("examples/messaging/cdc-search.yaml", () => {
  const r = runFile("examples/messaging/cdc-search.yaml");
  const feed = comp<Relay>(r, "connector");
  const index = feed.index!;

  it("every committed write is captured, published and applied to the index exactly once, in order per key", () => {
    expect(feed.captured).toBe(comp<Station>(r, "products").writes);
    expect(feed.published).toBe(feed.captured);
    expect(index.applied).toBe(feed.captured);
    expect(comp<Station>(r, "search").writes).toBe(feed.captured);
    expect(index.unapplied + index.duplicateApplies + index.outOfOrder + feed.duplicatesPublished).toBe(0);
  });

  it("staleness at low load is the connector's delay plus the indexer's work (closed form)", () => {
    const I = 200; // poll interval
    const R = 2; // the poll's read
    const M = 4; // marking the batch sent
    const c = R + M; // a poll that found rows
    const P = 3 + 5; // indexer compute + index write
    const lambda = 20 / 1000; // changes per ms
    // changes found by one poll: all but the first of them wait for the indexer's batch with the first
    const m = lambda * (I + c);
    const notFirst = 1 - (1 - Math.exp(-m)) / m;
    const mean = (I + c) / 2 + R + P + notFirst * P;
    expect(index.stalenessMs.mean).toBeGreaterThan(0.95 * mean);
    expect(index.stalenessMs.mean).toBeLessThan(1.05 * mean);
    expect(index.stalenessMs.max).toBeLessThanOrEqual(I + c + R + 2 * P + 1);
  });
});
