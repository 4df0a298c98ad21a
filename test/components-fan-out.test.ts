// Fan-out read and write steps (src/mechanisms/fan-out.ts in a service): a
// step over `count` keys of its own, at most `concurrency` in flight.
import { describe, expect, it } from "vitest";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import { rejection, runText } from "./support/run.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One service writing (or reading) through a fan-out step; constant times, so latencies are closed forms. */
function design(step: string, opts: { rate?: string; keys?: string; faults?: string } = {}): string {
  return `
name: fan-out
duration: 20s
seed: 3
network: { latency: { sameZone: 0.5ms, client: 0ms } }
components:
  users:
    kind: workload
    target: svc
    arrival: { process: constant, rate: ${opts.rate ?? "10/s"} }
    routes: [{ route: POST /x, keys: ${opts.keys ?? "{ count: 1000 }"} }]
  svc:
    kind: service
    instances: 1
    concurrency: 8
    routes:
      POST /x:
        - ${step}
  db:
    kind: database
    shards: 4
    connections: 64
    readTime: 1ms
    writeTime: 2ms
${opts.faults ?? ""}`;
}

describe("fan-out steps", () => {
  it("writes count keys per request, one round trip each when pipelined one deep", () => {
    const r = runText(design("{ write: db, fanout: { count: 20, keys: 1000, concurrency: 1 } }")) as Any;
    const f = r.components.svc.fanouts[0];
    expect(f).toMatchObject({ route: "POST /x", step: 0, op: "write", store: "db", maxKeys: 20 });
    expect(f.calls).toBe(20 * f.requests);
    expect(r.components.db.writes).toBe(f.calls);
    // 20 sequential round trips of 0.5 + 2 + 0.5 ms; the client is next door (0 ms)
    expect(r.routes["POST /x"].latencyMs.p50).toBeCloseTo(20 * 3, 0);
  });

  it("sent all at once, the step is as slow as one round trip (the connections suffice)", () => {
    const r = runText(design("{ write: db, fanout: { count: 20, keys: 1000 } }")) as Any;
    expect(r.routes["POST /x"].latencyMs.p99).toBeCloseTo(3, 0);
    // with a window of 5: four rounds
    const w = runText(design("{ write: db, fanout: { count: 20, keys: 1000, concurrency: 5 } }")) as Any;
    expect(w.routes["POST /x"].latencyMs.p50).toBeCloseTo(4 * 3, 0);
  });

  it("draws the count per request: calls per request average the distribution's mean", () => {
    // uniform(0, 40) rounded: mean 20, sd ~11.5; 2,000 requests: se ~0.26
    const r = runText(
      design('{ read: db, fanout: { count: "uniform(0, 40)", keys: 1000 } }', { rate: "100/s" }),
    ) as Any;
    const f = r.components.svc.fanouts[0];
    expect(f.op).toBe("read");
    expect(Math.abs(f.calls / f.requests - 20)).toBeLessThan(4 * 0.26);
    expect(f.maxKeys).toBeLessThanOrEqual(40);
    expect(r.components.db.reads).toBe(f.calls);
  });

  it("hot keys fan out to their own count", () => {
    const step = "{ write: db, fanout: { count: 5, keys: 1000, hot: { keys: 1, count: 300 } } }";
    const hot = runText(design(step, { keys: "{ count: 1 }" })) as Any; // every request is key 0
    const h = hot.components.svc.fanouts[0];
    expect(h.calls).toBe(300 * h.requests);
    expect([h.hotRequests, h.hotCalls]).toEqual([h.requests, h.calls]);
    const cold = runText(design(step)) as Any; // key 0 is one key in 1,000
    const f = cold.components.svc.fanouts[0];
    // each request of key 0 (if any) adds 295 calls to the others' 5
    expect((f.calls - 5 * f.requests) % 295).toBe(0);
    expect(f.maxKeys === 300).toBe(f.calls > 5 * f.requests);
  });

  it("a dead shard fails the requests that touch it, and every request ends", () => {
    const r = runText(
      design("{ write: db, fanout: { count: 20, keys: 1000 } }", {
        faults: "faults: [{ kill: db, instance: 0, at: 5s, for: 5s }]",
      }),
    ) as Any;
    const route = r.routes["POST /x"];
    // 20 keys over 4 shards: a request misses shard 0 with chance (3/4)^20 ~ 0.3%
    expect(route.requests.failed).toBeGreaterThan(0.95 * 50);
    expect(route.requests.failed).toBeLessThanOrEqual(51);
    expect(r.requests.inFlight).toBe(0);
  });

  it("an instance that dies mid fan-out sends no more; every call and request is answered and freed", () => {
    // 200 sequential writes of 3 ms: each request holds its worker 0.6 s, so the kill finds many mid-way
    const text = design("{ write: db, fanout: { count: 200, keys: 1000, concurrency: 1 } }", {
      faults: "faults: [{ kill: svc, instance: 0, at: 5s, for: 2s }]",
    });
    const { design: d } = loadDesign(text, "inline.yaml");
    const simulation = buildSimulation(d, 5);
    const r = simulation.run({ maxEvents: 5e7, maxWallMs: 60_000 });
    simulation.sim.q.run(r.durationMs + 600_000, 5e7);
    expect(simulation.workloads.reduce((s, w) => s + w.answered, 0)).toBe(r.generated);
    expect(simulation.sim.pool.live).toBe(0);
    const report = runText(text) as Any;
    expect(report.routes["POST /x"].requests.byOutcome["instance-down"]).toBeGreaterThan(0);
    // the cut-off fan-outs sent fewer than 200 writes each
    const f = report.components.svc.fanouts[0];
    expect(f.calls).toBeLessThan(200 * f.requests);
  });

  it("rejects fan-outs that cannot work, with the place and a fix", () => {
    const withCache = rejection(
      design("{ read: db, cache: c, fanout: { count: 5, keys: 100 } }") +
        "  c: { kind: cache, capacity: 1k }\n",
    );
    expect(withCache).toMatch(/fan-out step reads or writes many keys of its own; cache/);
    expect(withCache).toMatch(/remove cache/);
    expect(rejection(design("{ write: db, fanout: { count: 500, keys: 100 } }"))).toMatch(
      /fanout.count 500 is more than the 100 keys.*\n[\s\S]*raise fanout.keys to at least 500/,
    );
    expect(
      rejection(design("{ write: db, fanout: { count: 5, keys: 100, hot: { keys: 1, count: 101 } } }")),
    ).toMatch(/fanout.hot.count 101 is more than the 100 keys/);
    expect(rejection(design('{ write: db, fanout: { count: "exp(5ms)", keys: 100 } }'))).toMatch(/count/);
  });
});
