// End-to-end latency through asynchronous pipelines: a message carries the
// time its user request began, a message published while another is processed
// inherits that message's origin, and consumers report the time from the
// origin to the end of each message's first completed processing. With
// constant times and light load every term of the path is known, so the
// latency has a closed form.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runFile, runText } from "./support/run.js";

interface Summary {
  count: number;
  mean: number;
  p50: number;
  max: number;
}
const e2e = (r: Report, name: string) =>
  (r.components[name] as unknown as { endToEndMs: Summary }).endToEndMs;
const latency = (r: Report, name: string) =>
  (r.components[name] as unknown as { latencyMs: Summary }).latencyMs;

// one-way delays: a client to the entry point, and a hop inside the zone
const CLIENT = 7;
const HOP = 0.5;
// a broker's append, a queue node's take-in, each stage's processing
const APPEND = 0.2;
const TAKE = 1.5;
const STAGE1 = 5;
const STAGE2 = 12;
const RATE = 10;
const SECONDS = 20;

const design = `
duration: ${SECONDS}s
network: { latency: { sameZone: ${HOP}ms, client: ${CLIENT}ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: constant, rate: ${RATE}/s }
    routes: [{ route: POST /upload, keys: { count: 1000 } }]
  api:
    kind: service
    instances: 2
    concurrency: 8
    routes: { "*": [{ publish: uploads }] }
  uploads: { kind: topic, partitions: 2, appendTime: ${APPEND}ms, fetchWait: 30s }
  stage1:
    kind: consumer
    topic: uploads
    instances: 2
    steps: [{ compute: ${STAGE1}ms }, { publish: jobs }]
  jobs: { kind: queue, opTime: ${TAKE}ms, receiveWait: 30s }
  stage2:
    kind: consumer
    queue: jobs
    instances: 2
    steps: [{ compute: ${STAGE2}ms }]
`;

describe("end-to-end latency", () => {
  const r = runText(design);
  const requests = r.requests.total;

  it("the first stage's is the path from the user's request to the end of its processing", () => {
    // client -> api, api -> broker, append, the parked fetch's answer -> consumer,
    // processing, then the publish to the queue, acknowledged (a round trip and the take-in)
    const expected = CLIENT + HOP + APPEND + HOP + STAGE1 + HOP + TAKE + HOP;
    const s = e2e(r, "stage1");
    expect(s.count).toBe(requests);
    expect(s.mean).toBeCloseTo(expected, 6);
    // every message took the same path: the histogram's spread is its precision
    expect(s.max).toBeLessThan(expected * 1.01);
  });

  it("the second stage keeps the first origin: its latency adds its own wait and work", () => {
    const one = e2e(r, "stage1");
    const two = e2e(r, "stage2");
    // the queued message was taken in before stage 1's acknowledgement left the queue;
    // the receive waiting at the queue gets it at once and its answer takes a hop
    const taken = CLIENT + HOP + APPEND + HOP + STAGE1 + HOP + TAKE;
    expect(two.count).toBe(requests);
    expect(two.mean).toBeCloseTo(taken + HOP + STAGE2, 6);
    expect(two.mean).toBeGreaterThanOrEqual(one.mean);
    expect(two.p50).toBeGreaterThanOrEqual(one.p50);
    // far more than the stage's own processing, which is all its latencyMs sees
    expect(latency(r, "stage2").mean).toBeCloseTo(STAGE2, 6);
    expect(two.mean - latency(r, "stage2").mean).toBeCloseTo(taken + HOP, 6);
  });
});

describe("end-to-end latency under redelivery", () => {
  const r = runFile("examples/messaging/delivery-semantics.yaml");
  const delivery = (name: string) =>
    (r.components[name] as unknown as { delivery: { processedOnce: number; duplicated: number } }).delivery;

  it("a message is sampled at its first completed processing only: duplicates are not counted again", () => {
    for (const name of ["at-most-once", "at-least-once", "effectively-once"]) {
      const d = delivery(name);
      expect(e2e(r, name).count).toBe(d.processedOnce + d.duplicated);
    }
    expect(delivery("at-least-once").duplicated).toBeGreaterThan(0);
  });
});
