// In-sync replicas and min.insync.replicas (MQ-08, MQ-09): a follower cut off
// from its leader leaves the in-sync set after replicaLagMax, so acks=all
// stops waiting for it; minInsync decides whether publishes then go on with
// fewer copies (availability) or are refused with not-enough-replicas
// (consistency). Whatever the choice, nothing acknowledged is lost.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runText } from "./support/run.js";

interface Replication {
  failovers: number;
  acknowledgedLost: number;
  minInsync: number;
  isrShrinks: number;
  isrExpands: number;
  notEnoughReplicas: number;
}
const replication = (r: Report) => r.components.events.replication as unknown as Replication;
const throughput = (r: Report) => (r.series as unknown as { throughput: number[] }).throughput;

const RATE = 300;
// Brokers 0, 1, 2 in zones a, b, c; partition p has replicas on brokers p, p+1, p+2 (mod 3), led
// by broker p. Cutting zone c off at 5s for 10s leaves partitions 0 and 1 with a follower that
// cannot fetch, and partition 2's leader unreachable (its publishes time out).
const design = (replication: string, faults = "[{ partition: [c], at: 5s, for: 10s }]", seed = 1) => `
duration: 20s
seed: ${seed}
network:
  regions: { r: [a, b, c] }
  latency: { sameZone: 0ms, crossZone: 10ms, client: 0ms }
components:
  users:
    kind: workload
    target: api
    arrival: { process: constant, rate: ${RATE}/s }
    routes: [{ route: POST /event, keys: { count: 10k } }]
  api: { kind: service, concurrency: 4000, zone: a, routes: { "*": [{ publish: events }] } }
  events:
    kind: topic
    partitions: 3
    brokers: 3
    zones: [a, b, c]
    replication: { factor: 3, acks: all, failover: 2s, ${replication} }
faults: ${faults}
`;

// The cut starts at 5s; the followers were last caught up just before; the leaders check every
// replicaLagMax / 2 = 1s, so they drop them at the first check more than 2s later: 7s. Series
// entry k covers the second (k, k+1] of the run.
const CUT = 5;
const HEAL = 15;
const DROPPED = 7;
// publishes to partitions 0 and 1 per second: two thirds of the rate, binomially (random keys)
const share = (RATE * 2) / 3;
const sd = Math.sqrt((RATE * 2) / 9);

describe("in-sync replicas under a partition", () => {
  const available = runText(design("minInsync: 2, replicaLagMax: 2s"));
  const strict = runText(design("minInsync: 3, replicaLagMax: 2s"));
  const noShrink = runText(design("replicaLagMax: 1h"));

  it("a cut-off follower leaves the in-sync replicas and rejoins after the heal", () => {
    for (const r of [available, strict]) {
      const rep = replication(r);
      // partitions 0 and 1 drop their follower in zone c; partition 2's leader, in c, drops both of its
      expect(rep.isrShrinks).toBe(4);
      expect(rep.isrExpands).toBe(4);
      expect(rep.acknowledgedLost).toBe(0);
    }
    expect(replication(noShrink).isrShrinks).toBe(0);
  });

  it("without the shrink, acks=all waits for the cut-off follower until the heal", () => {
    const t = throughput(noShrink);
    // nothing is acknowledged from the cut (bar those already replicated) to the heal
    for (let k = CUT + 1; k < HEAL; k++) expect(t[k]).toBe(0);
    // then every waiting publish of partitions 0 and 1 is acknowledged at once
    expect(t[HEAL]).toBeGreaterThan((HEAL - CUT) * share - 6 * sd * Math.sqrt(HEAL - CUT));
  });

  it("minInsync 2 of 3: once the follower is dropped, publishes are acknowledged again", () => {
    const t = throughput(available);
    for (let k = CUT + 1; k < DROPPED - 1; k++) expect(t[k]).toBe(0);
    for (let k = DROPPED + 1; k < HEAL; k++) expect(Math.abs(t[k] - share)).toBeLessThan(5 * sd);
    // the only refusals: publishes to partition 2 appended just before the cut and waiting for its
    // followers (a round trip, ~20ms, of its ~100/s) when its leader dropped them, leaving 1 < 2
    const refused = available.requests.byOutcome["not-enough-replicas"] ?? 0;
    expect(refused).toBeLessThanOrEqual(10);
    expect(replication(available).notEnoughReplicas).toBeLessThanOrEqual(10);
  });

  it("minInsync 3 of 3: with a follower out, publishes are refused with not-enough-replicas", () => {
    const t = throughput(strict);
    for (let k = CUT + 1; k < HEAL; k++) expect(t[k]).toBe(0);
    // every publish to partitions 0 and 1 during the cut: those waiting when the follower was
    // dropped (in the log, not acknowledged), and those after (not appended)
    const refused = strict.requests.byOutcome["not-enough-replicas"];
    const n = HEAL - CUT;
    expect(Math.abs(refused - n * share)).toBeLessThan(5 * sd * Math.sqrt(n) + share * 0.05);
    expect(replication(strict).notEnoughReplicas).toBeGreaterThanOrEqual(refused);
    // publishes to partition 2, whose leader is cut off, time out either way
    expect(strict.requests.byOutcome.timeout).toBe(available.requests.byOutcome.timeout);
  });

  it("acks=all never loses an acknowledged message, whatever fails and whatever minInsync", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom("a", "b", "c"),
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 18 }),
        fc.integer({ min: 1, max: 1000 }),
        (minInsync, zone, cutAt, broker, killAt, seed) => {
          const faults = `[{ partition: [${zone}], at: ${cutAt}s, for: 4s }, { kill: events, instance: ${broker}, at: ${killAt}s, for: 3s }]`;
          const r = runText(design(`minInsync: ${minInsync}, replicaLagMax: 1s`, faults, seed));
          const rep = replication(r);
          return rep.acknowledgedLost === 0 && r.requests.ok <= (r.components.events.messages as number);
        },
      ),
      { numRuns: 8 },
    );
  });

  it("minInsync is checked against the replicas and the acks", () => {
    const topic = (replication: string) => `
duration: 10s
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 10/s }, routes: [{ route: POST /e }] }
  api: { kind: service, routes: { "*": [{ publish: events }] } }
  events: { kind: topic, partitions: 3, brokers: 3, replication: ${replication} }
`;
    expect(rejection(topic("{ factor: 3, acks: all, minInsync: 4 }"))).toMatch(
      /bad\.yaml:\d+:\d+: 4 in-sync replicas needed, of 3: every publish would be refused\n {2}expected: at most 3/,
    );
    expect(rejection(topic("{ factor: 3, minInsync: 2 }"))).toMatch(
      /bad\.yaml:\d+:\d+: minInsync counts the replicas a publish with acks all waits for[^]*add acks: all/,
    );
    expect(rejection(topic("{ factor: 1, replicaLagMax: 5s }"))).toMatch(/with a single replica/);
  });
});
