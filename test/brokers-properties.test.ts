// Invariants of the broker additions, for any input: a log's byte counts
// agree with its messages, and a fire-and-forget group (NATS, Redis Pub/Sub)
// accounts for every message exactly once, whenever its subscriber dies and
// whatever its output buffer.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PartitionLog } from "../src/mechanisms/partition-log.js";
import type { Report } from "../src/report/json.js";
import { runText } from "./support/run.js";

describe("PartitionLog byte counts", () => {
  it("bytesFrom(o) is the sum of the sizes from o on; deliveredUpTo deletes whole segments below the floor", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.nat(),
        (segment, sizes, rawFrom, rawFloor) => {
          const log = new PartitionLog(segment, 1);
          sizes.forEach((s, i) => log.append(i, i, i, s));
          const from = rawFrom % (sizes.length + 1);
          const sum = (a: number) => sizes.slice(a).reduce((x, y) => x + y, 0);
          expect(log.bytesFrom(from)).toBe(sum(from));
          const floor = rawFloor % (sizes.length + 1);
          let deleted = 0;
          log.deliveredUpTo(floor, (a, b) => (deleted += b - a));
          // only sealed segments wholly below the floor go; the one being written stays
          const active = Math.floor((sizes.length - 1) / segment) * segment;
          const expectedStart = Math.min(Math.floor(floor / segment) * segment, active);
          expect(log.start).toBe(expectedStart);
          expect(deleted).toBe(expectedStart);
          expect(log.bytes).toBe(sum(expectedStart));
          expect(log.bytesFrom(Math.max(from, log.start))).toBe(sum(Math.max(from, log.start)));
        },
      ),
    );
  });

  it("bytesSealedBefore counts the sealed segments whose newest message is at or before the cutoff", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: -1, max: 45 }),
        (segment, n, cutoff) => {
          const log = new PartitionLog(segment, 1);
          // message i at time i, 10 bytes
          for (let i = 0; i < n; i++) log.append(i, i, i, 10);
          const sealed = Math.floor((n - 1) / segment); // segments before the one being written
          let expected = 0;
          for (let k = 0; k < sealed; k++) if (k * segment + segment - 1 <= cutoff) expected += 10 * segment;
          expect(log.bytesSealedBefore(cutoff)).toBe(expected);
        },
      ),
    );
  });
});

describe("fire-and-forget delivery accounting", () => {
  const run = (profile: string, killAt: number, downFor: number, buffer: string) =>
    runText(`
duration: 20s
seed: 5
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 300/s }, routes: [{ route: POST /e, keys: { count: 100 } }] }
  api: { kind: service, concurrency: 32, routes: { "*": [{ publish: b }] } }
  b: { kind: topic, profile: ${profile}, partitions: 3${buffer} }
  sub: { kind: consumer, topic: b, instances: 2, batch: 20, sessionTimeout: 2s, rebalancePause: 500ms, steps: [{ compute: exp(5ms) }] }
faults: [{ kill: sub, instance: 0, at: ${killAt}ms, for: ${downFor}ms }]
`);
  const d = (r: Report) =>
    r.components.sub.delivery as {
      messages: number;
      processedOnce: number;
      duplicated: number;
      deduped: number;
      lost: number;
      failed: number;
      pending: number;
      missedWhileUnsubscribed: number;
    };

  it("every message is processed once, lost or pending, never twice, whenever the subscriber dies", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("nats", "redis-pubsub"),
        fc.integer({ min: 1000, max: 15_000 }),
        fc.integer({ min: 100, max: 4000 }),
        fc.boolean(),
        (profile, killAt, downFor, smallBuffer) => {
          const buffer = profile === "redis-pubsub" && smallBuffer ? ", outputBufferLimit: 20KiB" : "";
          const r = run(profile, killAt, downFor, buffer);
          const x = d(r);
          expect(x.messages).toBe(r.components.b.messages);
          expect(x.processedOnce + x.duplicated + x.deduped + x.lost + x.failed + x.pending).toBe(x.messages);
          // nothing acknowledged, nothing redelivered
          expect(x.duplicated).toBe(0);
          expect(x.missedWhileUnsubscribed).toBeLessThanOrEqual(x.lost);
          const ob = r.components.b.outputBuffer as { lost: number } | undefined;
          expect(x.missedWhileUnsubscribed + (ob?.lost ?? 0)).toBeLessThanOrEqual(x.lost);
          expect(r.components.b.replayable).toBe(0);
        },
      ),
      { numRuns: 8, seed: 11 },
    );
  });
});
