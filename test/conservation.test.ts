// Every request a workload generates ends in exactly one outcome, or is still
// in flight when the run ends: never lost, never answered twice. Checked over
// random small designs with faults, queues that overflow and networks that
// take time, by counting live requests in the job pool independently of the
// metrics.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";

const designArb = fc.record({
  rate: fc.integer({ min: 20, max: 3000 }),
  closedUsers: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
  useLb: fc.boolean(),
  algorithm: fc.constantFrom(
    "round-robin",
    "least-connections",
    "power-of-two",
    "consistent-hash",
    "ip-hash",
    "random",
    "rendezvous",
  ),
  healthCheck: fc.boolean(),
  instances: fc.integer({ min: 1, max: 4 }),
  concurrency: fc.integer({ min: 1, max: 4 }),
  queue: fc.integer({ min: 0, max: 20 }),
  computeMs: fc.double({ min: 0.05, max: 5, noNaN: true }),
  useCache: fc.boolean(),
  cacheMode: fc.constantFrom(
    "",
    "reads: read-through",
    "writes: update",
    "writes: write-through",
    "writes: write-behind, writeBehind: { interval: 300ms, batch: 20 }",
    "writes: write-around",
    "stampede: lock",
    "stampede: { defence: lock, whileLocked: stale }",
    "stampede: coalesce",
    "stampede: stale-while-revalidate",
    "stampede: xfetch",
    "stampede: refresh-ahead",
    "reads: read-through, stampede: coalesce",
    "reads: read-through, stampede: lock, writes: write-through",
    "reads: read-through, stampede: stale-while-revalidate, writes: write-behind",
    "reads: read-through, stampede: coalesce, writes: write-behind, nodes: 3, ejectAfter: 100ms",
    "writes: write-through, stampede: lock, nodes: 2, replicas: 1, failoverAfter: 200ms",
    "ttlJitter: 30%, negativeTtl: 200ms, bloom: { rebuildEvery: 500ms }, prewarm: 20",
  ),
  missingKeys: fc.boolean(),
  callBackend: fc.boolean(),
  writeShare: fc.integer({ min: 0, max: 5 }),
  network: fc.boolean(),
  dbConnections: fc.integer({ min: 1, max: 8 }),
  kills: fc.array(
    fc.record({
      target: fc.constantFrom("api", "backend", "db", "redis"),
      at: fc.integer({ min: 0, max: 2500 }),
      length: fc.integer({ min: 1, max: 2000 }),
      instance: fc.integer({ min: 0, max: 3 }),
    }),
    { maxLength: 3 },
  ),
  seed: fc.integer({ min: 0, max: 1e6 }),
  // call policies: the users' client, and the api's calls to the database and the backend
  client: fc.constantFrom(
    "",
    "client: { timeout: 30ms }",
    "client: { timeout: 40ms, retry: { attempts: 3, backoff: none } }",
    "client: { timeout: 25ms, retry: { attempts: 3, backoff: { base: 5ms }, budget: 20% }, propagateDeadline: true }",
  ),
  dbPolicy: fc.constantFrom(
    "",
    "{ timeout: 5ms }",
    "{ timeout: 8ms, retry: { attempts: 3, backoff: none }, propagateDeadline: true }",
    "{ retry: { attempts: 2, backoff: { base: 2ms, jitter: equal } }, breaker: { window: 5, open: 100ms, probes: 2 } }",
    "{ timeout: 6ms, bulkhead: 1, fallback: true }",
  ),
  backendPolicy: fc.constantFrom(
    "",
    "{ timeout: 3ms, retry: { attempts: 2 } }",
    "{ breaker: { window: 4, open: 50ms }, fallback: true }",
  ),
});

type Params = typeof designArb extends fc.Arbitrary<infer T> ? T : never;

function calls(p: Params): string {
  const entries = [
    p.dbPolicy ? `db: ${p.dbPolicy}` : "",
    p.callBackend && p.backendPolicy ? `backend: ${p.backendPolicy}` : "",
  ].filter(Boolean);
  return entries.length ? `calls: { ${entries.join(", ")} }` : "";
}

/** `settle`: every fault ends within the run (faults outlasting it never end, and a write-behind cache would retry its flushes to a dead database forever) */
function designText(p: Params, settle = false): string {
  const read = p.useCache ? "{ read: db, cache: redis }" : "{ read: db }";
  const write = p.useCache ? "{ write: db, cache: redis }" : "{ write: db }";
  const call = p.callBackend ? `- { call: backend }\n` : "";
  const faults = p.kills
    .filter((k) => k.target !== "backend" || p.callBackend)
    .map((k) => {
      const inst =
        k.target === "api" ? k.instance % p.instances : k.target === "backend" ? k.instance % 2 : 0;
      const length = settle ? Math.max(1, Math.min(k.length, 2900 - k.at)) : k.length;
      return `  - { kill: ${k.target}, instance: ${inst}, at: ${k.at}ms, for: ${length}ms }`;
    });
  return `
duration: 3s
${p.network ? "" : "network: { latency: { sameZone: 0ms, client: 0ms } }"}
components:
  users:
    kind: workload
    target: ${p.useLb ? "lb" : "api"}
    ${p.client}
    ${p.closedUsers ? `closed: { users: ${p.closedUsers}, thinkTime: exp(20ms) }` : `arrival: { process: poisson, rate: ${p.rate}/s }`}
    routes:
      - { route: GET /a, weight: ${6 - p.writeShare}, keys: { count: 500, popularity: zipf(1.1)${p.missingKeys ? ", missing: 10%" : ""} } }
      - { route: POST /a, weight: ${p.writeShare + 1}, keys: { count: 500, popularity: zipf(1.1)${p.missingKeys ? ", missing: 5%" : ""} } }
  lb:
    kind: load-balancer
    algorithm: ${p.algorithm}
    backend: api
    ${p.healthCheck ? "healthCheck: { interval: 200ms, timeout: 50ms, unhealthyThreshold: 1, healthyThreshold: 1 }" : ""}
  api:
    kind: service
    instances: ${p.instances}
    concurrency: ${p.concurrency}
    queue: ${p.queue}
    ${calls(p)}
    routes:
      GET /a:
        - { compute: exp(${p.computeMs}ms) }
        ${call.trim()}
        - ${read}
      POST /a:
        - { compute: exp(${p.computeMs}ms) }
        - ${write}
  backend:
    kind: service
    instances: 2
    concurrency: 2
    queue: 5
    routes:
      "*": [{ compute: exp(1ms) }]
  redis: { kind: cache, capacity: 100, ttl: 1s${p.useCache && p.cacheMode ? `, ${p.cacheMode}` : ""} }
  db: { kind: database, connections: ${p.dbConnections}, queue: 10, readTime: exp(2ms), writeTime: exp(3ms) }
${faults.length ? `faults:\n${faults.join("\n")}` : ""}
`;
}

describe("conservation of requests", () => {
  it("every generated request has exactly one outcome or is in flight", () => {
    fc.assert(
      fc.property(designArb, (p) => {
        const { design } = loadDesign(designText(p), "random.yaml");
        const simulation = buildSimulation(design, p.seed);
        const r = simulation.run({ maxEvents: 5e6, maxWallMs: 60_000 });
        expect(r.stoppedBy).toBeNull();
        const recorded = r.metrics.counts.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
        // a request in flight is a call from the workload that someone still waits for (retries
        // replace a request's job with a new one; an abandoned attempt is no longer awaited)
        const users = simulation.workloads[0].index;
        const liveRoots = simulation.sim.pool.jobs.filter(
          (j) => j.req >= 0 && j.caller === users && !j.cancelled && !j.abandoned,
        ).length;
        expect(recorded).toBe(r.answered);
        expect(r.answered + liveRoots).toBe(r.generated);
      }),
      { numRuns: 150, seed: 20261201 },
    );
  });
});

describe("no job is leaked", () => {
  it("once arrivals stop and the system drains, every request is answered and every job is free", () => {
    fc.assert(
      fc.property(designArb, (p) => {
        const { design } = loadDesign(designText(p, true), "random.yaml");
        const simulation = buildSimulation(design, p.seed);
        const r = simulation.run({ maxEvents: 5e6, maxWallMs: 60_000 });
        // workloads stop generating at the end of the run; let the work in flight
        // finish (faults have all ended within the run, health probes keep ticking)
        simulation.sim.q.run(r.durationMs + 600_000, 5e6);
        const answered = simulation.workloads.reduce((s, w) => s + w.answered, 0);
        expect(answered).toBe(r.generated);
        expect(simulation.sim.pool.live).toBe(0);
      }),
      { numRuns: 100, seed: 20261201 },
    );
  });
});
