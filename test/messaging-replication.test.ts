// Replicated partitions and broker failure (MQ-08, MQ-09): a follower that
// takes over has only what it had replicated; with acks=1 some of the
// messages beyond it had been acknowledged and are lost, with acks=all none.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runText } from "./support/run.js";

interface Reader {
  delivery: Record<string, number>;
  lag: { partitions: { end: number }[] };
}
/** The reader's delivery counts, and the messages every in-sync replica has (the high watermarks) */
function reader(r: Report) {
  const c = r.components.reader as unknown as Reader;
  return { d: c.delivery, replicated: c.lag.partitions.reduce((a, p) => a + p.end, 0) };
}

interface Replication {
  factor: number;
  acks: number | string;
  failovers: number;
  truncated: number;
  acknowledgedLost: number;
  offlineMs: number;
  underReplicated: number;
}
const replication = (r: Report) => r.components.events.replication as Replication;

// brokers in three zones 10ms apart: a follower is ~20ms (a round trip) behind its leader
const design = (acks: string, faults: string) => `
duration: 20s
network:
  regions: { r: [a, b, c] }
  latency: { sameZone: 0ms, crossZone: 10ms, client: 0ms }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 2000/s }
    routes: [{ route: POST /event, keys: { count: 10k } }]
  api: { kind: service, instances: 4, concurrency: 128, zone: a, routes: { "*": [{ publish: events }] } }
  events:
    kind: topic
    partitions: 3
    brokers: 3
    zones: [a, b, c]
    replication: { factor: 3, acks: ${acks}, failover: 2s }
  reader: { kind: consumer, topic: events, instances: 3, zone: a, steps: [{ compute: 0.1ms }] }
faults: ${faults}
`;
const leaderDies = "[{ kill: events, instance: 0, at: 10s }]";

describe("replication and leader failover", () => {
  const one = runText(design("1", leaderDies));
  const all = runText(design("all", leaderDies));

  it("acks=1: the new leader lacks the tail the old one had not replicated, though it was acknowledged", () => {
    const rep = replication(one);
    expect(rep.failovers).toBe(1);
    // partition 0's publishes (~667/s) of the last round trip (~20ms) were acknowledged and not replicated
    expect(rep.acknowledgedLost).toBeGreaterThan(0);
    expect(rep.acknowledgedLost).toBe(rep.truncated);
    expect(rep.acknowledgedLost).toBeLessThan(667 * 0.1);
    // every acknowledged publish is in the log, or among those lost
    const messages = one.components.events.messages as number;
    expect(one.requests.ok).toBeLessThanOrEqual(messages + rep.acknowledgedLost);
    expect(messages + rep.acknowledgedLost).toBeLessThanOrEqual(one.requests.ok + one.requests.inFlight);
  });

  it("acks=all: nothing acknowledged is lost; the unreplicated tail was never acknowledged", () => {
    const rep = replication(all);
    expect(rep.failovers).toBe(1);
    expect(rep.acknowledgedLost).toBe(0);
    expect(rep.truncated).toBeGreaterThan(0);
    expect(all.requests.ok).toBeLessThanOrEqual(all.components.events.messages as number);
  });

  it("the partition is offline from the leader's death until a follower takes over", () => {
    for (const r of [one, all]) {
      // broker 0 leads partition 0 only; the election takes 2s
      expect(replication(r).offlineMs).toBe(2000);
      const down = r.requests.byOutcome["instance-down"];
      // a third of 2,000/s for 2s, plus (acks=all) the publishes waiting for replicas when it died
      expect(down).toBeGreaterThan(0.8 * 1333);
      expect(down).toBeLessThan(1.2 * 1333 + 100);
    }
  });

  it("acks=all waits for the replicas: a round trip more per publish", () => {
    expect(all.latencyMs.p50 - one.latencyMs.p50).toBeGreaterThan(2 * 10 * 0.9);
  });

  it("consumers read only what every in-sync replica has, so they never see a message that is then lost", () => {
    for (const r of [one, all]) {
      const { d, replicated } = reader(r);
      expect(d.messages).toBe(replicated);
      // at the end, the last round trip's messages are not yet on every replica
      expect((r.components.events.messages as number) - replicated).toBeLessThan(2000 * 0.05);
      expect(d.lost + d.duplicated).toBe(0);
    }
  });

  it("while a broker is down, the partitions it followed go on with one replica fewer in sync", () => {
    const r = runText(design("all", "[{ kill: events, instance: 1, at: 5s }]"));
    const rep = replication(r);
    // broker 1 led partition 1 (it fails over) and followed partitions 0 and 2
    expect(rep.failovers).toBe(1);
    expect(rep.acknowledgedLost).toBe(0);
    // only partition 1's publishes fail, while it has no leader
    const down = r.requests.byOutcome["instance-down"];
    expect(down).toBeLessThan(1.2 * 1333 + 100);
    expect(r.requests.failed).toBe(down);
    // every partition had a replica on broker 1, which is still down
    expect(rep.underReplicated).toBe(3);
    const { d, replicated } = reader(r);
    expect(d.messages).toBe(replicated);
    expect(d.lost).toBe(0);
  });

  it("a leader that comes back follows the new one, catches up and is in sync again", () => {
    const r = runText(design("all", "[{ kill: events, instance: 0, at: 5s, for: 5s }]"));
    const rep = replication(r);
    expect(rep.failovers).toBe(1);
    expect(rep.underReplicated).toBe(0);
    expect(rep.acknowledgedLost).toBe(0);
  });

  it("no unclean election: a partition whose in-sync replicas are all down waits for one to come back", () => {
    const r = runText(
      design(
        "all",
        "[{ kill: events, instance: 1, at: 3s }, { kill: events, instance: 0, at: 8s, for: 4s }]",
      ).replace("replication: { factor: 3", "replication: { factor: 2"),
    );
    const rep = replication(r);
    // two replicas of partition p, on brokers p and p + 1 (mod 3). At 3s broker 1 dies: partition 1
    // fails over to broker 2 after 2s, and partition 0 loses its follower. At 8s broker 0, partition
    // 0's leader and only replica in sync, dies: partition 0 is offline until it is back at 12s.
    expect(rep.offlineMs).toBe(2000 + 4000);
    expect(rep.failovers).toBe(1);
    expect(rep.acknowledgedLost).toBe(0);
  });
});
