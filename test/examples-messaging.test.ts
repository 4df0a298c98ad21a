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

  describe("the autoscaled group", () => {
    const auto = r.components.autoscaled as unknown as Group & {
      capacity: {
        peakInstances: number;
        autoscaling: {
          max: number;
          cappedByPartitions: { requestedMax: number; partitions: number };
          events: { t: number; from: number; to: number }[];
        };
      };
    };
    const P = 8;
    const PER_INSTANCE = 250; // 1 / 4ms
    const [BASE, BURST, FROM, TO] = [400, 3000, 20, 30];
    // the example's policy: a decision each second, 2s to boot, a 1s rebalance
    const [INTERVAL, BOOT, PAUSE] = [1, 2, 1];

    it("scales out during the burst, to the partition count and never beyond it", () => {
      const a = auto.capacity.autoscaling;
      expect(a.cappedByPartitions).toEqual({ requestedMax: 16, partitions: P });
      expect(a.max).toBe(P);
      const out = a.events.filter((e) => e.to > e.from);
      expect(out.length).toBeGreaterThan(0);
      expect(out[0].t).toBeGreaterThanOrEqual(FROM * 1000);
      expect(out[0].t).toBeLessThanOrEqual((FROM + 2 * INTERVAL) * 1000);
      expect(out[0].to).toBe(P);
      // in service at the end of every second, and launched at any time
      expect(Math.max(...auto.series.instances)).toBe(P);
      expect(auto.capacity.peakInstances).toBeLessThanOrEqual(P);
      // and back to its min once the backlog is gone
      expect(auto.series.instances.at(-1)).toBe(2);
    });

    it("its lag peaks between eight's and four's, and drains at eight's rate", () => {
      // until the new instances own partitions: growing by BURST - 2 x 250, or by BURST while the group rebalances
      const joined = INTERVAL + BOOT + PAUSE;
      const before = (BURST - 2 * PER_INSTANCE) * (joined - PAUSE) + BURST * PAUSE;
      const expected = before + (BURST - P * PER_INSTANCE) * (TO - FROM - joined);
      expect(auto.lag.maxMessages).toBeGreaterThan(eight.lag.maxMessages);
      expect(auto.lag.maxMessages).toBeLessThan(four.lag.maxMessages);
      expect(auto.lag.maxMessages).toBeGreaterThan(0.9 * expected);
      expect(auto.lag.maxMessages).toBeLessThan(1.1 * expected);
      const drain = auto.lag.maxMessages / (P * PER_INSTANCE - BASE);
      expect(drainedBy(auto, TO, 100)).toBeLessThanOrEqual(TO + Math.ceil(1.1 * drain) + 1);
      expect(drainedBy(auto, TO, 100)).toBeLessThan(drainedBy(four, TO, 100));
    });

    it("loses and duplicates nothing through its rebalances", () => {
      expect(auto.delivery.lost + auto.delivery.duplicated).toBe(0);
      expect(conserved(auto)).toBe(true);
      expect(auto.lag.messages).toBeLessThan(100);
    });
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
