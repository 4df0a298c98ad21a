// The headline of examples/messaging/hot-partition.yaml (MQ-14), from the
// rates and the topic's own partitioner: keyed by customer, the big customer's
// 400/s land in one partition whose consumer takes 250/s, so that partition's
// lag grows by the difference all run long while the others keep up; keyed by
// (customer, event type), the same events spread over the partitions by the
// hash of their 16 keys, no partition gets more than its consumer takes, and
// nothing lags.
import { describe, expect, it } from "vitest";
import { HashModPartitioner } from "../src/mechanisms/partitioning.js";
import { runFile } from "./support/run.js";

interface ConsumerLag {
  lag: { messages: number; maxMessages: number; partitions: { partition: number; lag: number }[] };
}

describe("examples/messaging/hot-partition.yaml", () => {
  const r = runFile("examples/messaging/hot-partition.yaml");
  const T = 60; // seconds
  const P = 8;
  const CONSUMER_RATE = 1000 / 4; // one worker, 4ms a message
  const SMALL = 600 / P; // everyone else's 600/s, spread by 10,000 keys
  const BIG = 400;
  const partitioner = new HashModPartitioner(P);
  const perPartition = (topic: string) => r.components[topic].messagesPerPartition as number[];
  const consumers = (name: string) => r.components[name] as unknown as ConsumerLag;
  // Poisson counts over the run: a 5-sd margin
  const near = (x: number, mean: number) => Math.abs(x - mean) < 5 * Math.sqrt(mean);

  it("by customer: the big customer's partition takes 475/s and its lag grows by ~225/s for the whole run", () => {
    const hot = partitioner.shardOf(0); // the big customer's only key
    const counts = perPartition("by-customer");
    expect(near(counts[hot], (BIG + SMALL) * T)).toBe(true);
    for (let p = 0; p < P; p++) if (p !== hot) expect(near(counts[p], SMALL * T)).toBe(true);
    const c = consumers("by-customer-consumers");
    const hotLag = c.lag.partitions.find((x) => x.partition === hot)!.lag;
    // what arrived minus what one consumer can take in the run (less a startup second)
    const expected = counts[hot] - CONSUMER_RATE * T;
    expect(hotLag).toBeGreaterThan(expected - 5 * Math.sqrt(counts[hot]));
    expect(hotLag).toBeLessThan(expected + CONSUMER_RATE);
    for (const x of c.lag.partitions) if (x.partition !== hot) expect(x.lag).toBeLessThan(CONSUMER_RATE);
  });

  it("sub-streams: 16 keys spread the same events; no partition is over its consumer's rate, nothing lags", () => {
    const keysIn = new Array<number>(P).fill(0);
    for (let k = 0; k < 16; k++) keysIn[partitioner.shardOf(k)]++;
    const rates = keysIn.map((k) => SMALL + (BIG / 16) * k);
    // the design's claim holds for this hash: every partition below what its consumer takes
    expect(Math.max(...rates)).toBeLessThan(CONSUMER_RATE);
    const counts = perPartition("sub-streams");
    for (let p = 0; p < P; p++) expect(near(counts[p], rates[p] * T)).toBe(true);
    const c = consumers("substream-consumers");
    // at most a second's work behind at the end of any second, summed over partitions
    expect(c.lag.maxMessages).toBeLessThan(CONSUMER_RATE);
    expect(c.lag.maxMessages).toBeLessThan(consumers("by-customer-consumers").lag.messages / 20);
  });
});
