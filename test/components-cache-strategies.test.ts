// Cache write and read strategies, stampede defences, TTL jitter and
// penetration defences, exercised through the whole simulation.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runText } from "./support/run.js";

interface DbReport {
  reads: number;
  writes: number;
  series: { reads: number[]; writes: number[] };
}
const comp = <T>(r: Report, name: string) => r.components[name] as unknown as T;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("database load per second", () => {
  it("series.reads and series.writes add up to the reads and writes of whole seconds", () => {
    const r = runText(
      `
duration: 5s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: app
    arrival: { process: poisson, rate: 500/s }
    routes:
      - { route: GET /item, weight: 4, keys: { count: 1000 } }
      - { route: PUT /item, weight: 1, keys: { count: 1000 } }
  app:
    kind: service
    concurrency: 100
    routes:
      GET /item: [{ read: db }]
      PUT /item: [{ write: db }]
  db: { kind: database, readTime: 1ms, writeTime: 1ms }
`,
      [],
      { seed: 1 },
    );
    const db = comp<DbReport>(r, "db");
    expect(db.series.reads).toHaveLength(5);
    // the last second's work is counted in the totals but lands in no tick
    expect(sum(db.series.reads)).toBeLessThanOrEqual(db.reads);
    expect(sum(db.series.reads)).toBeGreaterThan(db.reads - 5);
    expect(sum(db.series.writes)).toBeLessThanOrEqual(db.writes);
    expect(sum(db.series.writes)).toBeGreaterThan(db.writes - 5);
    expect(Math.min(...db.series.reads)).toBeGreaterThan(300);
  });
});
