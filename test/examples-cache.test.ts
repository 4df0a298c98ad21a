// The caching examples show what they say they show.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import type { Report } from "../src/report/json.js";
import { runFile } from "./support/run.js";

interface Db {
  reads: number;
  writes: number;
  series: { reads: number[] };
  consistency: { staleRate: number; lostAcknowledgedWrites: number };
}
interface Cache {
  hitRatio: number;
  writesLostOnCrash?: number;
  writeBehind?: { acknowledged: number; flushed: number; pending: number; coalesced: number };
  stampede?: { staleHits: number; lockWaits: number; coalesced: number; earlyRecomputes: number };
}
const db = (r: Report, name: string) => r.components[`db-${name}`] as unknown as Db;
const cache = (r: Report, name: string) => r.components[`cache-${name}`] as unknown as Cache;
const latency = (r: Report, route: string) => r.routes[route].latencyMs;

describe("examples/cache/strategies.yaml", () => {
  const r = runFile("examples/cache/strategies.yaml");
  const all = ["invalidate", "update", "write-through", "write-behind", "write-around"];

  it("write-behind answers writes without waiting for the database; write-through waits for it", () => {
    // a database write takes ~4ms (median): write-behind's slowest writes beat the others' typical ones
    for (const s of ["invalidate", "update", "write-through", "write-around"]) {
      expect(latency(r, "PUT /write-behind").p99).toBeLessThan(latency(r, `PUT /${s}`).p50);
    }
  });

  it("write-behind coalesces a hot key's writes: the fewest database writes", () => {
    const wb = cache(r, "write-behind").writeBehind!;
    expect(wb.coalesced).toBeGreaterThan(0);
    for (const s of ["invalidate", "update", "write-through", "write-around"])
      expect(db(r, "write-behind").writes).toBeLessThan(0.75 * db(r, s).writes);
  });

  it("invalidation costs hits: the strategies that keep the written value cached read the database less", () => {
    for (const s of ["update", "write-through", "write-behind"]) {
      expect(cache(r, s).hitRatio).toBeGreaterThan(cache(r, "invalidate").hitRatio + 0.05);
      expect(db(r, s).reads).toBeLessThan(0.85 * db(r, "invalidate").reads);
    }
  });

  it("write-around serves old values until the TTL; the others are almost never stale", () => {
    expect(db(r, "write-around").consistency.staleRate).toBeGreaterThan(0.2);
    for (const s of ["invalidate", "update", "write-through", "write-behind"])
      expect(db(r, s).consistency.staleRate).toBeLessThan(0.01);
  });

  it("only write-behind loses acknowledged writes when its node dies", () => {
    const c = cache(r, "write-behind");
    const lost = c.writesLostOnCrash!;
    // the writes of (10s, 10.5s] had not been flushed: PUT /write-behind is
    // 1/25 of 3000/s, so ~60 of them (Poisson, sd ~8)
    expect(lost).toBeGreaterThan(30);
    expect(lost).toBeLessThan(90);
    const wb = c.writeBehind!;
    expect(wb.acknowledged).toBe(wb.flushed + lost + wb.pending);
    expect(db(r, "write-behind").consistency.lostAcknowledgedWrites).toBe(lost + wb.pending);
    for (const s of all.filter((s) => s !== "write-behind"))
      expect(db(r, s).consistency.lostAcknowledgedWrites).toBe(0);
  });
});

describe("examples/cache/thundering-herd.yaml", () => {
  const r = runFile("examples/cache/thundering-herd.yaml");
  // the first second is every cache's cold start; the hot key then expires every ~5s
  const peak = (name: string) => Math.max(...db(r, name).series.reads.slice(2));
  const routeRate = 500;
  const recomputeMs = 100;

  it("without a defence, every reader that misses while the key is recomputed reads the database", () => {
    // ~rate x recompute time = 50 readers miss at each expiry
    expect(peak("none")).toBeGreaterThan(0.6 * routeRate * (recomputeMs / 1000));
    // and they wait for the recompute: more than 1% of reads take longer than it
    expect(latency(r, "GET /none").p99).toBeGreaterThan(recomputeMs);
  });

  it("a lock, stale-while-revalidate and refresh-ahead read the database once per expiry", () => {
    for (const d of ["lock", "swr", "refresh-ahead"]) expect(peak(d)).toBeLessThanOrEqual(1);
    // stale-while-revalidate and refresh-ahead never make a reader wait after the cold start
    for (const d of ["swr", "refresh-ahead"]) expect(latency(r, `GET /${d}`).p99).toBeLessThan(recomputeMs);
    expect(cache(r, "swr").stampede!.staleHits).toBeGreaterThan(0);
    expect(cache(r, "lock").stampede!.lockWaits).toBeGreaterThan(0);
    // pre-warmed, refresh-ahead never had a cold start either
    expect(Math.max(...db(r, "refresh-ahead").series.reads)).toBeLessThanOrEqual(1);
  });

  it("coalescing reads the database about once per service instance; xfetch a few times", () => {
    const instances = 4;
    // a read or two more when a miss answered before the fill reaches its instance after the shared read
    expect(peak("coalesce")).toBeLessThanOrEqual(2 * instances);
    expect(cache(r, "coalesce").stampede!.coalesced).toBeGreaterThan(0);
    expect(cache(r, "xfetch").stampede!.earlyRecomputes).toBeGreaterThan(0);
    expect(peak("xfetch")).toBeLessThan(peak("none") / 4);
    expect(latency(r, "GET /xfetch").p99).toBeLessThan(recomputeMs);
  });
});

describe("examples/cache/avalanche.yaml", () => {
  const r = runFile("examples/cache/avalanche.yaml");
  const keys = 300;
  // after the first expiries (8s)
  const after = (name: string) => db(r, name).series.reads.slice(6);

  it("with one TTL, keys loaded together expire together: the database sees the cold start again at every TTL", () => {
    expect(Math.max(...after("same-ttl"))).toBeGreaterThan(0.6 * keys);
  });

  it("ttlJitter spreads the expiries: no second comes near reloading every key", () => {
    // with TTLs spread over 6s..10s, a second sees about a quarter of the keys
    expect(Math.max(...after("jittered"))).toBeLessThan(0.5 * keys);
    // the same keys are reloaded about as often either way
    const total = (name: string) => after(name).reduce((a, b) => a + b, 0);
    expect(Math.abs(total("jittered") / total("same-ttl") - 1)).toBeLessThan(0.15);
  });
});

describe("examples/cache/penetration.yaml", () => {
  const r = runFile("examples/cache/penetration.yaml");
  interface Pen {
    negative?: { hits: number };
    bloom?: { absentLookups: number; falsePositives: number; wrongRejections: number; rejected: number };
  }
  const pen = (name: string) => r.components[`cache-${name}`] as unknown as Pen;
  // the last 5 seconds, once the existing hot keys are cached
  const tail = (name: string) =>
    db(r, name)
      .series.reads.slice(-5)
      .reduce((a, b) => a + b, 0);

  it("missing ids reach the database every time without a defence; a negative TTL and a Bloom filter stop most of them", () => {
    expect(pen("negative").negative!.hits).toBeGreaterThan(0);
    expect(tail("negative")).toBeLessThan(0.9 * tail("no-defence"));
    expect(tail("bloom")).toBeLessThan(0.75 * tail("no-defence"));
  });

  it("the filter lets few absent ids through, and a stale one turns new ids away, as stale reads", () => {
    const b = pen("bloom").bloom!;
    // sized for 1%; hot missing ids make the measured share lumpy, so allow 5x
    expect(b.falsePositives).toBeLessThan(0.05 * b.absentLookups);
    expect(b.wrongRejections).toBeGreaterThan(0);
    expect(db(r, "bloom").consistency.staleRate).toBeGreaterThan(0);
  });
});

describe("the caching examples", () => {
  const files = readdirSync("examples/cache").filter((f) => f.endsWith(".yaml"));

  it("are all here", () => {
    expect(files.sort()).toEqual(
      [
        "avalanche.yaml",
        "eviction.yaml",
        "node-failure.yaml",
        "penetration.yaml",
        "strategies.yaml",
        "thundering-herd.yaml",
      ].sort(),
    );
  });

  const strip = (r: Report) => JSON.stringify({ ...r, engine: undefined });
  for (const f of files) {
    const file = `examples/cache/${f}`;
    it(`${f}: the same seed gives the same report, and every request is accounted for`, () => {
      const a = runFile(file, [], { seed: 77, durationMs: 12_000 });
      const b = runFile(file, [], { seed: 77, durationMs: 12_000 });
      expect(strip(a)).toBe(strip(b));
      expect(a.requests.ok + a.requests.failed + a.requests.inFlight).toBe(a.requests.total);
    });

    it(`${f}: once arrivals stop and work drains, every request is answered and every job is free`, () => {
      const { design } = loadDesign(readFileSync(file, "utf8"), file, ["duration=12s"]);
      const simulation = buildSimulation(design, 5);
      const r = simulation.run({ maxEvents: 5e7, maxWallMs: 60_000 });
      // flushes and filter rebuilds keep ticking; everything else finishes
      simulation.sim.q.run(r.durationMs + 30_000, 5e7);
      expect(simulation.workloads.reduce((s, w) => s + w.answered, 0)).toBe(r.generated);
      expect(simulation.sim.pool.live).toBe(0);
    });
  }
});
