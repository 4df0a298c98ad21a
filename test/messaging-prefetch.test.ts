// Prefetch (RabbitMQ's basic.qos, a queue consumer's `batch`): each consumer
// holds at most that many unacknowledged messages. With consumers of
// different speeds, a large prefetch shares a backlog out nearly evenly (each
// grabs as much as it may hold), so the slow one ends up with more than its
// share and finishes last, late; a prefetch of 1 hands each message to
// whichever consumer is free, so shares follow speed.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runText } from "./support/run.js";

// a burst of about 400 messages in 0.1s from 1s (1/h outside it: none)
const design = (prefetch: number) => `
name: prefetch
duration: 10s
seed: 9
network: { latency: { sameZone: 0.2ms } }
components:
  burst:
    kind: workload
    target: producer
    arrival: { process: spike, rate: 1/h, at: 1s, multiplier: 14400000, for: 100ms }
    routes: [{ route: POST /job }]
  producer: { kind: service, concurrency: 1000, routes: { "*": [{ publish: work }] } }
  work: { kind: queue, profile: rabbitmq }
  fast: { kind: consumer, queue: work, batch: ${prefetch}, steps: [{ compute: 10ms }] }
  slow: { kind: consumer, queue: work, batch: ${prefetch}, steps: [{ compute: 30ms }] }
`;

interface ConsumerReport {
  processings: number;
  maxUnacked: number;
  endToEndMs: { max: number };
}
const consumer = (r: Report, n: string) => r.components[n] as unknown as ConsumerReport;

/**
 * The backlog is shared out as follows: while the queue holds messages, each
 * consumer processes at its rate and holds `p` (its prefetch) in hand; the
 * queue empties at T, when (muF + muS) T + 2p messages have been taken; then
 * each finishes the p it holds. A prefetch of 1 costs a receive round trip
 * (about 2 x 0.2ms) per message; a large one, none.
 */
function expected(n: number, p: number) {
  const rtt = p === 1 ? 0.0004 : 0;
  const muF = 1 / (0.01 + rtt);
  const muS = 1 / (0.03 + rtt);
  const t = (n - 2 * p) / (muF + muS);
  return { slow: muS * t + p, fast: muF * t + p, end: t + p / muS };
}

describe("prefetch and consumers of different speeds", () => {
  for (const p of [1, 100]) {
    it(`prefetch ${p}: each consumer's share and the last message's wait follow from the prefetch`, () => {
      const r = runText(design(p));
      const f = consumer(r, "fast");
      const s = consumer(r, "slow");
      const n = f.processings + s.processings;
      const work = r.components.work as unknown as { delivery: { messages: number } };
      expect(n).toBe(work.delivery.messages);
      // the queue never had more unacknowledged messages out to a consumer than its prefetch
      expect(f.maxUnacked).toBe(p);
      expect(s.maxUnacked).toBe(p);
      const e = expected(n, p);
      // a message either way of the boundaries (who takes the last ones)
      expect(Math.abs(s.processings - e.slow)).toBeLessThanOrEqual(3);
      expect(Math.abs(f.processings - e.fast)).toBeLessThanOrEqual(3);
      // the last message ends about e.end after the burst began (its messages arrived over 0.1s)
      const last = Math.max(f.endToEndMs.max, s.endToEndMs.max) / 1000;
      expect(last).toBeGreaterThan(e.end - 0.15);
      expect(last).toBeLessThan(e.end + 0.15);
    });
  }

  it("a large prefetch gives the slow consumer far more than its quarter, and the backlog takes longer", () => {
    const one = runText(design(1));
    const many = runText(design(100));
    const share = (r: Report) =>
      consumer(r, "slow").processings / (consumer(r, "slow").processings + consumer(r, "fast").processings);
    expect(share(one)).toBeLessThan(0.27);
    expect(share(many)).toBeGreaterThan(0.35);
    const last = (r: Report) =>
      Math.max(consumer(r, "fast").endToEndMs.max, consumer(r, "slow").endToEndMs.max);
    expect(last(many)).toBeGreaterThan(1.3 * last(one));
  });
});
