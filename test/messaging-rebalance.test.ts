// Eager versus cooperative rebalancing: an eager rebalance stops every
// instance of the group for the pause; a cooperative one moves only the
// partitions whose owner changes, and the others are read throughout. The
// delivery guarantees are the same.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runText } from "./support/run.js";

interface Delivery {
  messages: number;
  processedOnce: number;
  duplicated: number;
  deduped: number;
  lost: number;
  failed: number;
  pending: number;
}
interface Worker {
  delivery: Delivery;
  rebalances: number;
  partitionsRevoked: number;
  assignment: number[][];
  series: { processed: number[] };
}
const worker = (r: Report) => r.components.worker as unknown as Worker;

const RATE = 600;
const design = (rebalance: string, faults: string, commit = "after", work = "exp(1ms)") => `
duration: 14s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: ${RATE}/s }
    routes: [{ route: POST /e, keys: { count: 10k } }]
  api: { kind: service, concurrency: 64, routes: { "*": [{ publish: events }] } }
  events: { kind: topic, partitions: 6 }
  worker:
    kind: consumer
    topic: events
    instances: 3
    batch: 20
    commit: ${commit}
    sessionTimeout: 2s
    rebalancePause: 3s
    rebalance: ${rebalance}
    steps: [{ compute: ${work} }]
faults: ${faults}
`;

// Range assignment of 6 partitions to 3 instances: [0,1] [2,3] [4,5]. Instance 2 dies at 5s; the
// group notices at 7s (sessionTimeout) and the partitions are shared out at 10s (rebalancePause):
// [0,1,2] [3,4,5]. Partitions 0, 1 and 3 keep their owner; only 2 is taken from a live instance.
// Series entry k covers the second (k, k+1].
const dies = "[{ kill: worker, instance: 2, at: 5s }]";
const NOTICED = 7;
const SHARED = 10;

describe("rebalance: eager or cooperative", () => {
  const eager = worker(runText(design("eager", dies)));
  const coop = worker(runText(design("cooperative", dies)));

  it("eager: nothing is processed from the moment the group notices until the partitions are shared out", () => {
    for (let k = NOTICED; k < SHARED; k++) expect(eager.series.processed[k]).toBe(0);
    // every partition of the two live instances was taken from them
    expect(eager.partitionsRevoked).toBe(4);
  });

  it("cooperative: the partitions that keep their owner are processed throughout", () => {
    // 3 of 6 partitions keep being read: half the publishes, Poisson per second
    const half = RATE / 2;
    for (let k = NOTICED; k < SHARED; k++)
      expect(Math.abs(coop.series.processed[k] - half)).toBeLessThan(5 * Math.sqrt(half));
    expect(coop.partitionsRevoked).toBe(1);
  });

  it("both end with the same assignment and deliver every message exactly once here", () => {
    for (const w of [eager, coop]) {
      expect(w.assignment).toEqual([[0, 1, 2], [3, 4, 5], []]);
      expect(w.rebalances).toBe(1);
      expect(w.delivery.lost + w.delivery.duplicated + w.delivery.pending).toBe(0);
    }
    expect(coop.delivery.messages).toBe(eager.delivery.messages);
  });

  it("a restarted instance takes back partitions from the others, which give up only those", () => {
    const w = worker(runText(design("cooperative", "[{ kill: worker, instance: 2, at: 3s, for: 6s }]")));
    // noticed at 5s: [0,1,2] [3,4,5] at 8s (partition 2 revoked); back at 9s: [0,1] [2,3] [4,5] at
    // 12s (2 from instance 0 to 1, 4 and 5 from instance 1 to 2: three revoked)
    expect(w.rebalances).toBe(2);
    expect(w.partitionsRevoked).toBe(1 + 3);
    expect(w.assignment).toEqual([
      [0, 1],
      [3, 2],
      [4, 5],
    ]);
  });

  const kills = fc.array(
    fc.record({
      instance: fc.integer({ min: 0, max: 2 }),
      at: fc.integer({ min: 500, max: 12_000 }),
      for: fc.integer({ min: 100, max: 5000 }),
    }),
    { minLength: 1, maxLength: 4 },
  );
  const faults = (k: { instance: number; at: number; for: number }[]) =>
    `[${k.map((x) => `{ kill: worker, instance: ${x.instance}, at: ${x.at}ms, for: ${x.for}ms }`).join(", ")}]`;
  const conserved = (d: Delivery) =>
    d.processedOnce + d.duplicated + d.deduped + d.lost + d.failed + d.pending === d.messages;

  it("cooperative keeps the guarantees: commit after loses nothing, commit before duplicates nothing", () => {
    fc.assert(
      fc.property(kills, fc.constantFrom("after", "before", "auto"), (k, commit) => {
        const d = worker(runText(design("cooperative", faults(k), commit, "exp(4ms)"))).delivery;
        // auto-commit may do either: only the accounting is checked
        if (commit === "auto") return conserved(d);
        return conserved(d) && (commit === "after" ? d.lost === 0 : d.duplicated === 0);
      }),
      { numRuns: 12 },
    );
  });

  it("applies to a consumer of a topic only", () => {
    expect(
      rejection(`
duration: 10s
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 10/s }, routes: [{ route: POST /e }] }
  api: { kind: service, routes: { "*": [{ publish: jobs }] } }
  jobs: { kind: queue }
  worker: { kind: consumer, queue: jobs, rebalance: cooperative, steps: [{ compute: 1ms }] }
`),
    ).toMatch(/bad\.yaml:\d+:\d+: rebalance applies to a consumer group of a topic[^]*remove rebalance/);
  });
});
