// The messaging examples show what they say they show.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runFile } from "./support/run.js";

interface Group {
  delivery: {
    messages: number;
    processedOnce: number;
    duplicated: number;
    deduped: number;
    lost: number;
    failed: number;
    pending: number;
  };
  lag: { messages: number; maxMessages: number; alertSeconds?: number };
  idleInstances: number;
  dedup?: { skipped: number };
  series: Record<string, number[]>;
}
const group = (r: Report, name: string) => r.components[name] as unknown as Group;
const conserved = (g: Group) => {
  const d = g.delivery;
  return d.processedOnce + d.duplicated + d.deduped + d.lost + d.failed + d.pending === d.messages;
};

describe("examples/messaging/delivery-semantics.yaml", () => {
  const r = runFile("examples/messaging/delivery-semantics.yaml");
  const published = r.components.orders.messages as number;
  // what a dead instance held: one batch
  const BATCH = 50;

  it("committing before processing loses what the dead instance had not finished, and duplicates nothing", () => {
    const g = group(r, "at-most-once");
    expect(g.delivery.lost).toBeGreaterThan(0);
    expect(g.delivery.lost).toBeLessThanOrEqual(BATCH);
    expect(g.delivery.duplicated).toBe(0);
  });

  it("committing after processing duplicates what it had processed but not committed, and loses nothing", () => {
    const g = group(r, "at-least-once");
    expect(g.delivery.duplicated).toBeGreaterThan(0);
    expect(g.delivery.duplicated).toBeLessThan(BATCH);
    expect(g.delivery.lost).toBe(0);
  });

  it("committing after with a dedup store skips the redeliveries: neither lost nor duplicated", () => {
    const g = group(r, "effectively-once");
    expect(g.delivery.lost + g.delivery.duplicated + g.delivery.deduped).toBe(0);
    expect(g.dedup!.skipped).toBeGreaterThan(0);
    expect(g.dedup!.skipped).toBeLessThan(BATCH);
  });

  it("every group reads every message, accounts for each, and catches up by the end", () => {
    for (const name of ["at-most-once", "at-least-once", "effectively-once"]) {
      const g = group(r, name);
      expect(g.delivery.messages).toBe(published);
      expect(conserved(g)).toBe(true);
      // less than a tenth of a second of messages left
      expect(g.lag.messages).toBeLessThan(60);
    }
  });
});

describe("examples/messaging/consumer-lag.yaml", () => {
  const r = runFile("examples/messaging/consumer-lag.yaml");
  const four = group(r, "four");
  const eight = group(r, "eight");
  const sixteen = group(r, "sixteen");
  /** first second (1-based) from `after` on at whose end the lag is below `n` */
  const drainedBy = (g: Group, after: number, n: number) =>
    g.series.lag.findIndex((x, i) => i + 1 > after && x < n) + 1;

  it("the burst builds a backlog of (arrival rate - capacity) x 10s, drained at (capacity - base rate)", () => {
    // 3,000/s for 10s against 1,000/s: 20,000 behind at 30s; then drained at 1,000 - 400 = 600/s
    expect(four.lag.maxMessages).toBeGreaterThan(0.95 * 20_000);
    expect(four.lag.maxMessages).toBeLessThan(1.05 * 20_000);
    expect(drainedBy(four, 30, 100)).toBeGreaterThan(30 + 0.9 * (20_000 / 600));
    expect(drainedBy(four, 30, 100)).toBeLessThan(30 + 1.1 * (20_000 / 600) + 1);
    // against 2,000/s: 10,000 behind, drained at 1,600/s
    expect(eight.lag.maxMessages).toBeGreaterThan(0.95 * 10_000);
    expect(eight.lag.maxMessages).toBeLessThan(1.05 * 10_000);
    expect(drainedBy(eight, 30, 100)).toBeLessThanOrEqual(30 + Math.ceil(1.1 * (10_000 / 1600)) + 1);
  });

  it("instances beyond the partition count idle: sixteen does exactly what eight does", () => {
    expect(sixteen.idleInstances).toBe(8);
    expect(eight.idleInstances).toBe(0);
    expect(sixteen.series.lag).toEqual(eight.series.lag);
    expect(sixteen.series.processed).toEqual(eight.series.processed);
  });

  it("the log buffers the burst: nothing is lost, every group catches up; alerts count the seconds over 5s", () => {
    for (const g of [four, eight, sixteen]) {
      expect(g.delivery.lost + g.delivery.duplicated).toBe(0);
      expect(g.lag.messages).toBeLessThan(100);
      expect(g.lag.alertSeconds).toBe(g.series.lagSeconds.filter((s) => s > 5).length);
    }
    expect(four.lag.alertSeconds).toBeGreaterThan(eight.lag.alertSeconds!);
  });
});

describe("examples/messaging/priority-queue.yaml", () => {
  const r = runFile("examples/messaging/priority-queue.yaml");
  type Wait = Record<string, { p99: number; count: number }>;
  interface Q {
    waitMsByPriority: Wait;
    deadLettered: number;
    maxDepth: number;
    delivery: { messages: number; lost: number; duplicated: number; deadLettered: number; pending: number };
  }
  const q = (name: string) => r.components[name] as unknown as Q;
  // the campaign's backlog: (1,000 + 20 - 500) messages/s for 20s, drained by 500/s of workers
  const backlog = (1000 + 20 - 500) * 20;
  const drainSeconds = backlog / 500;

  it("in one FIFO queue the security alerts wait behind the campaign's backlog", () => {
    const fifo = q("outbox-fifo");
    expect(fifo.maxDepth).toBeGreaterThan(0.9 * backlog);
    expect(fifo.waitMsByPriority.critical.p99).toBeGreaterThan(0.75 * drainSeconds * 1000);
  });

  it("with priorities they only wait for a free worker; the marketing messages wait as long as before", () => {
    const prio = q("outbox-priority");
    expect(prio.waitMsByPriority.critical.p99).toBeLessThan(100);
    expect(prio.waitMsByPriority.low.p99).toBeGreaterThan(0.75 * drainSeconds * 1000);
  });

  it("messages that failed 3 times during the provider's outage are parked in the dead-letter queue, none lost", () => {
    for (const v of ["fifo", "priority"]) {
      const outbox = q(`outbox-${v}`);
      const parked = q(`parked-${v}`);
      expect(outbox.deadLettered).toBeGreaterThan(0);
      expect(parked.delivery.messages).toBe(outbox.deadLettered);
      expect(outbox.delivery.lost + outbox.delivery.duplicated).toBe(0);
      expect(outbox.delivery.pending).toBeLessThan(50);
    }
  });
});
