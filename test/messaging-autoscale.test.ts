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
