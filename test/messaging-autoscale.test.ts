// Autoscaled consumers of a work queue (MQ-12, MQ-21): no partitions cap them,
// a new instance starts receiving once booted, a leaving one finishes the
// messages it holds. Networks are free, so the numbers are the components'.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runText } from "./support/run.js";

interface Scaled {
  processings: number;
  lag: { messages: number; maxMessages: number };
  series: Record<string, number[]>;
  capacity: {
    peakInstances: number;
    drained: number;
    drainTimeouts: number;
    autoscaling: { max: number; events: { t: number; from: number; to: number }[] };
  };
}
interface QueueReport {
  delivery: { messages: number; processedOnce: number; duplicated: number; lost: number; pending: number };
}

const PER_MESSAGE_MS = 10; // 100 messages/s per instance (one worker)
const [BASE, BURST] = [150, 1200];
const design = `
duration: 60s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: spike, rate: ${BASE}/s, at: 10s, multiplier: ${BURST / BASE}, for: 10s }
    routes: [{ route: POST /job, keys: { count: 10k } }]
  api: { kind: service, instances: 2, concurrency: 64, routes: { "*": [{ publish: jobs }] } }
  jobs: { kind: queue, opTime: 0.1ms }
  workers:
    kind: consumer
    queue: jobs
    commit: after
    autoscale: { min: 2, max: 12, metric: lag, target: 100, interval: 1s, cooldown: { out: 2s, in: 10s }, bootTime: 1s }
    steps: [{ compute: ${PER_MESSAGE_MS}ms }]
`;

describe("an autoscaled consumer of a queue", () => {
  const r: Report = runText(design);
  const w = r.components.workers as unknown as Scaled;
  const q = r.components.jobs as unknown as QueueReport;

  it("scales out on the backlog during the burst, up to its max, and back in after it", () => {
    const outs = w.capacity.autoscaling.events.filter((e) => e.to > e.from);
    expect(outs[0].t).toBeGreaterThanOrEqual(10_000);
    expect(outs[0].t).toBeLessThanOrEqual(12_000);
    // 1,200/s needs 12 instances of 100/s: the backlog asks for more, the max holds it
    expect(Math.max(...w.series.instances)).toBe(12);
    expect(w.capacity.peakInstances).toBeLessThanOrEqual(12 + 12);
    expect(w.series.instances.at(-1)).toBe(2);
    // a leaving instance is never cut short
    expect(w.capacity.drained).toBeGreaterThan(0);
    expect(w.capacity.drainTimeouts).toBe(0);
  });

  it("every message is processed exactly once through the scaling", () => {
    const d = q.delivery;
    expect(d.duplicated + d.lost).toBe(0);
    expect(d.processedOnce + d.pending).toBe(d.messages);
    expect(w.lag.messages).toBeLessThan(BASE);
    // with 2 instances (200/s) the 10s burst would leave (1,200 - 200) x 10 behind
    expect(w.lag.maxMessages).toBeLessThan((BURST - 2 * (1000 / PER_MESSAGE_MS)) * 10);
  });
});

describe("an autoscaled consumer group under crashes", () => {
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
    lag: { messages: number };
    series: Record<string, number[]>;
    capacity: { autoscaling: { events: { from: number; to: number }[] } };
  }
  const design = (kills: string) => `
duration: 40s
network: { latency: { sameZone: 0.2ms, client: 1ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: spike, rate: 200/s, at: 5s, multiplier: 6, for: 8s }
    routes: [{ route: POST /e, keys: { count: 10k } }]
  api: { kind: service, instances: 2, concurrency: 64, routes: { "*": [{ publish: events }] } }
  events: { kind: topic, partitions: 4 }
  group:
    kind: consumer
    topic: events
    batch: 50
    commit: after
    sessionTimeout: 2s
    rebalancePause: 500ms
    autoscale: { min: 2, max: 6, metric: lag, target: 200, interval: 1s, cooldown: { out: 1s, in: 5s }, bootTime: 1s }
    steps: [{ compute: 4ms }]
faults: ${kills}
`;

  // crashes of the starting instances (faults address those) before, during and after the scaling,
  // and while the group scales back in (the newest instances leave first)
  const cases = [
    "[]",
    "[{ kill: group, instance: 0, at: 6500ms, for: 3s }]",
    "[{ kill: group, instance: 1, at: 8s, for: 2s }]",
    "[{ kill: group, instance: 1, at: 9s, for: 10s }, { kill: group, instance: 0, at: 20s, for: 1s }]",
    "[{ kill: group, instance: 0, at: 25s, for: 20s }]",
  ];
  for (const kills of cases)
    it(`accounts for every message exactly, loses none and catches up: faults ${kills}`, () => {
      const g = runText(design(kills)).components.group as unknown as Group;
      const d = g.delivery;
      expect(d.processedOnce + d.duplicated + d.deduped + d.lost + d.failed + d.pending).toBe(d.messages);
      expect(d.lost).toBe(0);
      expect(g.lag.messages).toBeLessThan(200);
      // 1,200/s against 250/s per instance: it scales out, to the 4 partitions at most
      expect(g.capacity.autoscaling.events.some((e) => e.to > e.from)).toBe(true);
      expect(Math.max(...g.series.instances)).toBeLessThanOrEqual(4);
    });
});
