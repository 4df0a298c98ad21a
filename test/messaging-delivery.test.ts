// Delivery semantics under consumer crashes (MQ-10, MQ-11), counted exactly:
// commit before processing loses what a dead instance was processing and
// never duplicates; commit after never loses and duplicates what it had
// processed but not committed; commit after with a dedup store does neither.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runText } from "./support/run.js";

interface Delivery {
  messages: number;
  processedOnce: number;
  duplicated: number;
  deduped: number;
  lost: number;
  failed: number;
  pending: number;
}
const delivery = (r: Report) => (r.components.worker as unknown as { delivery: Delivery }).delivery;

interface Kill {
  instance: number;
  at: number;
  for: number;
}

function design(
  commit: "before" | "after",
  dedup: boolean,
  kills: Kill[],
  latency = "0ms",
  work = "exp(6ms)",
): string {
  return `
duration: 20s
network: { latency: { sameZone: ${latency}, client: 0ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 300/s }
    routes: [{ route: POST /event, keys: { count: 500 } }]
  api:
    kind: service
    instances: 2
    concurrency: 32
    routes: { "*": [{ publish: events }] }
  events: { kind: topic, partitions: 4 }
  worker:
    kind: consumer
    topic: events
    instances: 3
    batch: 25
    commit: ${commit}
    sessionTimeout: 2s
    rebalancePause: 500ms
    ${dedup ? "dedup: { ttl: 1h }" : ""}
    steps: [{ compute: ${work} }]
faults:
${kills.map((k) => `  - { kill: worker, instance: ${k.instance}, at: ${k.at}ms, for: ${k.for}ms }`).join("\n") || "  []"}
`.replace("faults:\n  []", "faults: []");
}

const kills = fc.array(
  fc.record({
    instance: fc.integer({ min: 0, max: 2 }),
    at: fc.integer({ min: 500, max: 17_000 }),
    for: fc.integer({ min: 100, max: 4000 }),
  }),
  { minLength: 1, maxLength: 4 },
);

const conserved = (d: Delivery) =>
  d.processedOnce + d.duplicated + d.deduped + d.lost + d.failed + d.pending === d.messages;

describe("delivery semantics under random consumer crashes", () => {
  it("commit before processing: nothing is processed twice", () => {
    fc.assert(
      fc.property(kills, fc.constantFrom("0ms", "1ms"), (k, latency) => {
        const d = delivery(runText(design("before", false, k, latency)));
        return d.duplicated === 0 && d.deduped === 0 && conserved(d);
      }),
      { numRuns: 12 },
    );
  });

  it("commit after processing: nothing is lost", () => {
    fc.assert(
      fc.property(kills, fc.constantFrom("0ms", "1ms"), (k, latency) => {
        const d = delivery(runText(design("after", false, k, latency)));
        return d.lost === 0 && conserved(d);
      }),
      { numRuns: 12 },
    );
  });

  it("commit after with a dedup store: nothing is lost and nothing is processed twice", () => {
    fc.assert(
      fc.property(kills, fc.constantFrom("0ms", "1ms"), (k, latency) => {
        const d = delivery(runText(design("after", true, k, latency)));
        return d.lost === 0 && d.duplicated === 0 && conserved(d);
      }),
      { numRuns: 12 },
    );
  });

  // Instance 0 owns 2 of the 4 partitions (range assignment): 150 messages/s
  // against the 100/s it processes at 10ms each, so when it dies at 8s it is
  // always in the middle of a full batch of 25.
  const crash: Kill[] = [{ instance: 0, at: 8000, for: 3000 }];
  const run = (commit: "before" | "after", dedup: boolean) =>
    runText(design(commit, dedup, crash, "0ms", "10ms"));

  it("the crash does lose messages when committing before, and duplicate them when committing after", () => {
    const before = delivery(run("before", false));
    const after = delivery(run("after", false));
    const dedupRun = run("after", true);
    const dedup = delivery(dedupRun);
    expect(before.lost).toBeGreaterThan(0);
    expect(after.duplicated).toBeGreaterThan(0);
    // the redeliveries the dedup store caught are those that would have been duplicates
    const skipped = (dedupRun.components.worker as unknown as { dedup: { skipped: number } }).dedup.skipped;
    expect(skipped).toBe(after.duplicated);
    expect(dedup.duplicated + dedup.lost + dedup.deduped).toBe(0);
    // what the dead instance had in progress is bounded by what it held: one batch, whose
    // messages were either processed (redelivered after: duplicates) or not (lost before)
    expect(before.lost).toBeLessThanOrEqual(25);
    expect(after.duplicated).toBeLessThan(25);
  });
});

describe("producer retries", () => {
  // appends take 15ms; the producer gives up on an attempt after 10ms and tries once more: both
  // attempts time out, yet both are appended, so the log holds each message twice, under one id
  const run = (dedup: boolean) =>
    runText(`
duration: 10s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 100/s }, routes: [{ route: POST /e }] }
  api:
    kind: service
    concurrency: 64
    routes: { "*": [{ publish: events }] }
    calls: { events: { timeout: 10ms, retry: { attempts: 2, backoff: none } } }
  events: { kind: topic, partitions: 2, concurrency: 64, appendTime: 15ms }
  worker:
    kind: consumer
    topic: events
    ${dedup ? "dedup: { ttl: 1m }" : ""}
    steps: [{ compute: 1ms }]
`);

  it("a publish that timed out after its append is appended again by the retry; dedup skips the copy", () => {
    const plain = run(false);
    const deduped = run(true);
    const messages = plain.components.events.messages as number;
    expect(plain.requests.byOutcome.timeout).toBe(plain.requests.failed);
    expect(plain.components.events.appendedAfterTimeout).toBe(messages);
    // without dedup each copy is processed as a message of its own
    expect(delivery(plain).deduped).toBe(0);
    expect(delivery(plain).processedOnce + delivery(plain).pending).toBe(messages);
    // with it, one copy of each message is processed and the other skipped
    const d = delivery(deduped);
    expect(d.deduped).toBeGreaterThanOrEqual(messages / 2 - 1);
    expect(d.deduped).toBeLessThanOrEqual(messages / 2);
    expect(d.duplicated).toBe(0);
  });
});
