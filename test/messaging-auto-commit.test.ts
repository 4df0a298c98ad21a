// Auto-commit (MQ-10, Kafka's enable.auto.commit committing in the
// background): every autoCommitInterval an instance commits the positions it
// has fetched to, whatever it has processed of them. A crash then loses the
// messages fetched before the last commit and not yet processed, and
// processes again those processed since the last commit. The runs below are
// deterministic (constant arrivals, a fixed 10ms per message, one worker, no
// network latency), so both counts follow from the timeline exactly.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runText } from "./support/run.js";

interface Delivery {
  messages: number;
  processedOnce: number;
  duplicated: number;
  lost: number;
  pending: number;
  outOfOrder: number;
  processings: number;
}
const delivery = (r: Report) => (r.components.worker as unknown as { delivery: Delivery }).delivery;

const JOIN = 1000; // the group joins at 1s, with a backlog of ~1000 messages: every fetch is a full batch
const BATCH = 10;
const WORK = 10; // ms per message
const INTERVAL = 250; // ms between auto-commits
const DOWN = 100; // ms each crash lasts

const design = (commit: string, kills: number[]) => `
duration: 3s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: constant, rate: 1000/s }
    routes: [{ route: POST /e, keys: { count: 100 } }]
  api: { kind: service, concurrency: 64, routes: { "*": [{ publish: events }] } }
  events: { kind: topic }
  worker:
    kind: consumer
    topic: events
    batch: ${BATCH}
    commit: ${commit}
    ${commit === "auto" ? `autoCommitInterval: ${INTERVAL}ms` : ""}
    startAt: earliest
    start: ${JOIN}ms
    rebalancePause: 0ms
    steps: [{ compute: ${WORK}ms }]
faults: [${kills.map((at) => `{ kill: worker, at: ${at}ms, for: ${DOWN}ms }`).join(", ")}]
`;

describe("commit: auto", () => {
  // An instance runs batch after batch with no gap: batch n (offsets 10n..10n+9) is fetched at
  // JOIN + 100n and its messages finish at JOIN + 100n + 10(i+1).
  const BATCH_MS = BATCH * WORK;

  it("a crash after an auto-commit loses the committed messages not yet processed", () => {
    // first commit at JOIN + 250: batches 0..2 were fetched (at 0, 100, 200), so offsets below 30
    // are committed. The crash at JOIN + 275 comes when batch 2 (20..29) has finished 7 messages
    // (at 210..270): 27 is being processed, 28 and 29 wait. Nothing was processed past 30.
    const crash = JOIN + 275;
    const committed = BATCH * Math.ceil(INTERVAL / BATCH_MS);
    const processed = Math.floor((crash - JOIN) / WORK);
    const d = delivery(runText(design("auto", [crash])));
    expect(committed - processed).toBe(3);
    expect(d.lost).toBe(committed - processed);
    expect(d.duplicated).toBe(0);
    expect(d.outOfOrder).toBe(0);
    // after the restart (rebalancePause 0) the instance resumes at offset 30 until the end
    const after = Math.floor((3000 - crash - DOWN) / WORK);
    expect(d.processings).toBe(processed + after);
    expect(d.processedOnce + d.duplicated + d.lost + d.pending).toBe(d.messages);
  });

  it("a second crash, after messages were processed past the last commit, processes them again", () => {
    // After the first crash the instance restarts at R = JOIN + 375 from offset 30; its commit timer
    // starts anew: first commit at R + 250, when batches from 30 fetched at R, R+100, R+200 put the
    // position at 60. The batch fetched at R + 300 (60..69) has finished 60 and 61 when the second
    // crash comes at R + 325: they were processed but not committed, so they are processed again.
    const first = JOIN + 275;
    const restart = first + DOWN;
    const second = restart + 325;
    const committed = 30 + BATCH * Math.ceil(INTERVAL / BATCH_MS);
    const processedPastCommit = Math.floor((second - restart) / WORK) - (committed - 30);
    expect(processedPastCommit).toBe(2);
    const d = delivery(runText(design("auto", [first, second])));
    expect(d.lost).toBe(3);
    expect(d.duplicated).toBe(processedPastCommit);
    // the duplicated ones count two processings each
    const processings = 27 + 32 + Math.floor((3000 - second - DOWN) / WORK);
    expect(d.processings).toBe(processings);
    expect(d.processedOnce).toBe(processings - 2 * d.duplicated);
    expect(d.processedOnce + d.duplicated + d.lost + d.pending).toBe(d.messages);
  });

  it("with commit after, the same crashes lose nothing", () => {
    const d = delivery(runText(design("after", [JOIN + 275, JOIN + 700])));
    expect(d.lost).toBe(0);
    // each crash redoes the part of its batch that was processed: 7 and 2 messages
    expect(d.duplicated).toBe(7 + 2);
  });

  it("is refused where it does not apply", () => {
    const base = (consumer: string, source = "{ kind: topic }") => `
duration: 10s
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 10/s }, routes: [{ route: POST /e }] }
  api: { kind: service, routes: { "*": [{ publish: events }] } }
  events: ${source}
  worker: ${consumer}
`;
    expect(
      rejection(base("{ kind: consumer, topic: events, autoCommitInterval: 1s, steps: [{ compute: 1ms }] }")),
    ).toMatch(
      /bad\.yaml:\d+:\d+: autoCommitInterval is the period of commit: auto[^\n]*\n[^]*add commit: auto/,
    );
    expect(
      rejection(
        base("{ kind: consumer, queue: events, commit: auto, steps: [{ compute: 1ms }] }", "{ kind: queue }"),
      ),
    ).toMatch(/bad\.yaml:\d+:\d+: commit: auto commits a group's offsets in a topic/);
  });
});
