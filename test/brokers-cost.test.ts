// Pulsar's tiered storage in the cost section: retained data on the bookies'
// disks (gp3, every replica) up to tieredStorage.after, in object storage
// (S3, one copy paid) beyond, at the steady state of the run's publish rate.
// With the catalogue's prices, offloading after 7 days is cheaper exactly
// when data is kept longer than 7 days.
import { describe, expect, it } from "vitest";
import { retainedGb } from "../src/cost/retention.js";
import { STORAGE } from "../src/cost/prices.js";
import type { ComponentCost } from "../src/cost/cost.js";
import { runText } from "./support/run.js";

const DAY = 24 * 3600 * 1000;
const monthly = (g: { diskGb: number; objectGb: number }) =>
  g.diskGb * STORAGE.gp3.perGbMonth + g.objectGb * STORAGE.s3.perGbMonth;

describe("tiered storage pricing", () => {
  const rate = 1e6; // bytes/s
  for (const copies of [1, 3]) {
    it(`with ${copies} replica(s), offloading after 7d is cheaper from 7 days of retention on, and only then`, () => {
      // the catalogue: an object-store GB-month is cheaper than a disk GB-month per replica
      expect(STORAGE.s3.perGbMonth).toBeLessThan(copies * STORAGE.gp3.perGbMonth);
      const cheaperFrom: number[] = [];
      for (let days = 1; days <= 30; days++) {
        const tiered = monthly(retainedGb(rate, days * DAY, 7 * DAY, copies));
        const disk = monthly(retainedGb(rate, days * DAY, Infinity, copies));
        if (days <= 7) expect(tiered).toBeCloseTo(disk, 9);
        else {
          cheaperFrom.push(days);
          // every day past 7 costs one S3 GB-month instead of `copies` disk GB-months
          const gbPerDay = (rate * 86_400) / 1e9;
          expect(disk - tiered).toBeCloseTo(
            (days - 7) * gbPerDay * (copies * STORAGE.gp3.perGbMonth - STORAGE.s3.perGbMonth),
            6,
          );
        }
      }
      expect(cheaperFrom[0]).toBe(8);
    });
  }

  const run = (topic: string) =>
    runText(`
duration: 20s
seed: 2
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 100/s }, routes: [{ route: POST /e }] }
  api: { kind: service, routes: { "*": [{ publish: events, size: 10KiB }] } }
  events: ${topic}
  sub: { kind: consumer, topic: events, steps: [{ compute: 1ms }] }
`);
  const line = (r: ReturnType<typeof run>) =>
    r.cost!.components.find((c: ComponentCost) => c.component === "events")!;

  it("a priced pulsar topic pays its retained data at the run's publish rate: on disk up to after, in S3 beyond", () => {
    const r = run(
      "{ kind: topic, profile: pulsar, brokers: 2, partitions: 2, instanceType: m5.large, replication: { factor: 2 }, retention: { time: 30d }, tieredStorage: { after: 7d } }",
    );
    const bytesPerSec = (r.components.events.appendedBytes as number) / 20;
    // 100 messages/s of 10KiB (a few in flight at the edges of the run)
    expect(Math.abs(bytesPerSec * 20 - 2000 * 10 * 1024)).toBeLessThanOrEqual(3 * 10 * 1024);
    const l = line(r);
    expect(l.usage.storageGbMonths).toBeCloseTo((bytesPerSec * 7 * 86_400 * 2) / 1e9, 6);
    expect(l.usage.objectStorageGbMonths).toBeCloseTo((bytesPerSec * 23 * 86_400) / 1e9, 6);
    expect(l.unitPrices.objectStorageGbMonths).toBe(STORAGE.s3.perGbMonth);
    const untiered = line(
      run(
        "{ kind: topic, profile: pulsar, brokers: 2, partitions: 2, instanceType: m5.large, replication: { factor: 2 }, retention: { time: 30d } }",
      ),
    );
    expect(untiered.usage.objectStorageGbMonths).toBe(0);
    expect(l.monthly).toBeLessThan(untiered.monthly);
  });
});
