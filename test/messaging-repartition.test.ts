// Adding partitions to a topic mid-run (MQ-13): a key goes to hash(key) over
// the new count, so some keys move; a moved key's older messages are still in
// its old partition, read independently of its newer ones, and its order
// breaks when a newer one is processed first. Consistent hashing moves fewer
// keys; pausing producers until the consumers have drained the old
// partitions keeps every key in order.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runText } from "./support/run.js";

interface Repartition {
  at: number;
  from: number;
  to: number;
  keys: number;
  movedKeys: number;
  movedFraction: number;
}
const repartition = (r: Report) => r.components.events.repartition as unknown as Repartition;
const delivery = (r: Report) =>
  (r.components.worker as unknown as { delivery: Record<string, number> }).delivery;
const assignment = (r: Report) => (r.components.worker as unknown as { assignment: number[][] }).assignment;

const P = 4;
const P2 = 6;
// One worker per instance keeps each partition's messages in order, so any
// out-of-order processing comes from keys moving. 16ms a message: 62/s per
// partition against 100/s published, so the old partitions are behind.
const lagging = (partitioner: string) => `
duration: 12s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 400/s }
    routes: [{ route: POST /e, keys: { count: 2000 } }]
  api: { kind: service, concurrency: 64, routes: { "*": [{ publish: events }] } }
  events: { kind: topic, partitions: ${P}, partitioner: ${partitioner}, repartition: { at: 5s, partitions: ${P2} } }
  worker:
    kind: consumer
    topic: events
    instances: ${P2}
    batch: 50
    rebalancePause: 1s
    steps: [{ compute: 16ms }]
`;

// hash mod P and hash mod P' agree on h exactly when h mod lcm(P, P') < min(P, P') (write
// h = q·P' + s: s = h mod P needs s < P and q·P' ≡ 0 mod P, one q in lcm/P'), so for P' > P a
// fraction gcd(P, P')/P' of the keys stays and 1 - gcd/P' moves: 4 -> 6 moves 2/3.
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const MODULO_MOVED = 1 - gcd(P, P2) / P2;
// On a ring, the keys that move are those on the new partitions' arcs: (P' - P)/P' of the ring.
const RING_MOVED = (P2 - P) / P2;

describe("repartition", () => {
  const modulo = runText(lagging("modulo"));
  const ring = runText(lagging("consistent-hash"));

  it("reports the keys moved: modulo 1 - gcd(P, P')/P', consistent hashing (P' - P)/P'", () => {
    const m = repartition(modulo);
    const r = repartition(ring);
    expect(m).toMatchObject({ at: 5000, from: P, to: P2 });
    expect(modulo.components.events.partitions).toBe(P2);
    // binomial over the distinct keys seen; the ring's arcs add their own spread (150 virtual
    // nodes per partition: the new ones' share has sd ~ sqrt(p(1-p)/(150 P')))
    const sdKeys = (p: number, n: number) => Math.sqrt((p * (1 - p)) / n);
    expect(Math.abs(m.movedFraction - MODULO_MOVED)).toBeLessThan(5 * sdKeys(MODULO_MOVED, m.keys));
    const sdRing = Math.hypot(sdKeys(RING_MOVED, r.keys), sdKeys(RING_MOVED, 150 * P2));
    expect(Math.abs(r.movedFraction - RING_MOVED)).toBeLessThan(5 * sdRing);
    expect(r.movedKeys).toBeLessThan(m.movedKeys);
    expect(m.movedKeys).toBe(Math.round(m.movedFraction * m.keys));
  });

  it("with the old partitions behind, moved keys are processed out of order", () => {
    for (const r of [modulo, ring]) {
      const d = delivery(r);
      expect(d.outOfOrder).toBeGreaterThan(0);
      // at most once per moved key: only its first message in the new partition can overtake
      expect(d.outOfOrder).toBeLessThanOrEqual(repartition(r).movedKeys);
      expect(d.lost + d.duplicated).toBe(0);
    }
    // the group took the new partitions: one each
    expect(assignment(modulo)).toEqual([[0], [1], [2], [3], [4], [5]]);
  });

  it("without the repartition, the same run keeps every key in order", () => {
    const r = runText(lagging("modulo").replace(`, repartition: { at: 5s, partitions: ${P2} }`, ""));
    expect(delivery(r).outOfOrder).toBe(0);
  });

  it("producers paused and consumers drained across the change: nothing out of order", () => {
    for (const partitioner of ["modulo", "consistent-hash"]) {
      const r = runText(`
duration: 12s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  before:
    kind: workload
    target: api
    arrival: { process: ramp, from: 400/s, to: 0/s, start: 4s, over: 1ms }
    routes: [{ route: POST /e, keys: { count: 2000 } }]
  after:
    kind: workload
    target: api
    arrival: { process: ramp, from: 0/s, to: 400/s, start: 6s, over: 1ms }
    routes: [{ route: POST /e, keys: { count: 2000 } }]
  api: { kind: service, concurrency: 64, routes: { "*": [{ publish: events }] } }
  events: { kind: topic, partitions: ${P}, partitioner: ${partitioner}, repartition: { at: 5s, partitions: ${P2} } }
  worker:
    kind: consumer
    topic: events
    instances: ${P2}
    batch: 50
    rebalancePause: 1s
    steps: [{ compute: 2ms }]
`);
      expect(repartition(r).movedKeys).toBeGreaterThan(0);
      expect(delivery(r).outOfOrder).toBe(0);
    }
  });

  it("partitions can only be added, before the end of the run", () => {
    const topic = (repartition: string) => `
duration: 10s
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 10/s }, routes: [{ route: POST /e }] }
  api: { kind: service, routes: { "*": [{ publish: events }] } }
  events: { kind: topic, partitions: 4, repartition: ${repartition} }
`;
    expect(rejection(topic("{ at: 5s, partitions: 3 }"))).toMatch(
      /bad\.yaml:\d+:\d+: a topic's partitions can only be added to: 3 is not more than its 4\n {2}expected: more than 4/,
    );
    expect(rejection(topic("{ at: 15s, partitions: 8 }"))).toMatch(
      /partitions added at 15s, after the run's 10s/,
    );
  });
});
