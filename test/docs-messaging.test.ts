// docs/report.md describes every field of a topic's and a consumer's report,
// as test/docs.test.ts checks for the other kinds; the design run is the
// topic example of docs/design-file.md (two groups, dedup, a lag alert and a
// consumer crash).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runText } from "./support/run.js";

const reportDoc = readFileSync("docs/report.md", "utf8");
const designDoc = readFileSync("docs/design-file.md", "utf8");

describe("docs/report.md for topics and consumers", () => {
  const mentioned = new Set<string>();
  for (const m of reportDoc.matchAll(/`([^`\n]+)`/g)) {
    mentioned.add(m[1]);
    for (const part of m[1].split(/[.\s[\]()=,]+/)) if (part) mentioned.add(part);
  }
  const section = designDoc.slice(designDoc.indexOf("### topic"));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1];
  const run = runText(yaml, ["duration=40s", "components.users.arrival.rate=500/s"], { seed: 1 });
  const obj = (v: unknown) => v as Record<string, unknown>;
  const json = obj(JSON.parse(JSON.stringify(run.components)));
  const unmentioned = (v: unknown, where: string) =>
    Object.keys(obj(v))
      .map((k) => k.replace(/^(lag|lagSeconds):\d+$/, "$1:<partition>"))
      .filter((k) => !mentioned.has(k))
      .map((k) => `${where}.${k}`);

  it("mentions every field of a topic's report", () => {
    const t = obj(json["order-events"]);
    expect(t.kind).toBe("topic");
    expect(mentioned.has("topic")).toBe(true);
    expect(t.replication).toBeDefined();
    expect([
      ...unmentioned(t, "components.<topic>"),
      ...unmentioned(t.series, "components.<topic>.series"),
      ...unmentioned(t.replication, "components.<topic>.replication"),
    ]).toEqual([]);
  });

  it("mentions every field of a consumer's report", () => {
    const c = obj(json.email);
    expect(c.kind).toBe("consumer");
    expect(mentioned.has("consumer")).toBe(true);
    const lag = obj(c.lag);
    // the crash made the run exercise a rebalance and the dedup store
    expect(c.rebalances).toBe(1);
    expect(obj(c.dedup).skipped).toBeGreaterThanOrEqual(0);
    expect([
      ...unmentioned(c, "components.<consumer>"),
      ...unmentioned(c.series, "components.<consumer>.series"),
      ...unmentioned(c.delivery, "components.<consumer>.delivery"),
      ...unmentioned(lag, "components.<consumer>.lag"),
      ...(lag.partitions as unknown[]).flatMap((p) =>
        unmentioned(p, "components.<consumer>.lag.partitions[]"),
      ),
      ...unmentioned(c.dedup, "components.<consumer>.dedup"),
    ]).toEqual([]);
  });
});

describe("docs/report.md for queues", () => {
  const mentioned = new Set<string>();
  for (const m of reportDoc.matchAll(/`([^`\n]+)`/g)) {
    mentioned.add(m[1]);
    for (const part of m[1].split(/[.\s[\]()=,]+/)) if (part) mentioned.add(part);
  }
  const obj = (v: unknown) => v as Record<string, unknown>;
  const unmentioned = (v: unknown, where: string) =>
    Object.keys(obj(v))
      .filter((k) => !mentioned.has(k))
      .map((k) => `${where}.${k}`);
  const run = runText(`
duration: 10s
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 200/s }
    routes: [{ route: POST /a, priority: critical }, { route: POST /b, priority: low }]
  api: { kind: service, concurrency: 32, routes: { "*": [{ publish: jobs }] } }
  jobs: { kind: queue, priorities: true, maxReceives: 2, deadLetter: parked, maxLength: 1000 }
  parked: { kind: queue }
  workers: { kind: consumer, queue: jobs, instances: 2, dedup: { ttl: 1m }, alertAbove: 100, steps: [{ compute: exp(5ms) }] }
faults:
  - { kill: workers, instance: 0, at: 3s, for: 2s }
`);
  const json = obj(JSON.parse(JSON.stringify(run.components)));

  it("mentions every field of a queue's and of a queue consumer's report", () => {
    const q = obj(json.jobs);
    const c = obj(json.workers);
    expect(q.kind).toBe("queue");
    expect(mentioned.has("queue")).toBe(true);
    expect(q.waitMsByPriority).toBeDefined();
    expect([
      ...unmentioned(q, "components.<queue>"),
      ...unmentioned(q.series, "components.<queue>.series"),
      ...unmentioned(q.delivery, "components.<queue>.delivery"),
      ...unmentioned(q.waitMsByPriority, "components.<queue>.waitMsByPriority"),
      ...unmentioned(c, "components.<consumer of a queue>"),
      ...unmentioned(c.lag, "components.<consumer of a queue>.lag"),
      ...unmentioned(c.series, "components.<consumer of a queue>.series"),
    ]).toEqual([]);
  });
});
