// Every request through a gateway ends in exactly one outcome, and no job is
// leaked, whatever happens to it: gateway instances killed while requests wait
// on the store, a leaky queue or their backends; a limiter store killed or
// slowed past the gateway's timeout (late answers); read-then-increment calls
// nobody waits for; composed routes whose backends die.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";

const designArb = fc.record({
  rate: fc.integer({ min: 50, max: 3000 }),
  users: fc.integer({ min: 1, max: 50 }),
  useLb: fc.boolean(),
  instances: fc.integer({ min: 1, max: 4 }),
  concurrency: fc.integer({ min: 1, max: 4 }),
  queue: fc.integer({ min: 0, max: 20 }),
  failRate: fc.constantFrom(0, 0.05),
  algorithm: fc.constantFrom(
    "token-bucket",
    "leaky-bucket",
    "leaky-queue",
    "fixed-window",
    "sliding-log",
    "sliding-counter",
  ),
  key: fc.constantFrom("user", "ip", "apiKey", "tier", "global"),
  second: fc.boolean(),
  store: fc.constantFrom("local", "counters"),
  policy: fc.constantFrom("open", "closed", "local"),
  atomic: fc.boolean(),
  timeoutMs: fc.integer({ min: 1, max: 30 }),
  compose: fc.boolean(),
  network: fc.boolean(),
  faults: fc.array(
    fc.record({
      kind: fc.constantFrom("kill-gw", "kill-store", "slow-store", "kill-backend"),
      at: fc.integer({ min: 0, max: 2500 }),
      length: fc.integer({ min: 1, max: 2000 }),
      instance: fc.integer({ min: 0, max: 3 }),
    }),
    { maxLength: 3 },
  ),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

type Params = typeof designArb extends fc.Arbitrary<infer T> ? T : never;

function designText(p: Params, settle: boolean): string {
  const bucket = ["token-bucket", "leaky-bucket", "leaky-queue"].includes(p.algorithm);
  const params = bucket ? "rate: 200/s, burst: 20" : "limit: 30, window: 200ms";
  const central = p.store === "counters";
  const faults = p.faults
    .filter((f) => central || (f.kind !== "kill-store" && f.kind !== "slow-store"))
    .map((f) => {
      const length = settle ? Math.max(1, Math.min(f.length, 2900 - f.at)) : f.length;
      const when = `at: ${f.at}ms, for: ${length}ms`;
      if (f.kind === "kill-gw") return `  - { kill: gw, instance: ${f.instance % p.instances}, ${when} }`;
      if (f.kind === "kill-store") return `  - { kill: counters, ${when} }`;
      if (f.kind === "slow-store") return `  - { slow: counters, by: 20ms, ${when} }`;
      return `  - { kill: profile, instance: all, ${when} }`;
    });
  return `
duration: 3s
${p.network ? "" : "network: { latency: { sameZone: 0ms, client: 0ms } }"}
components:
  users:
    kind: workload
    target: ${p.useLb ? "lb" : "gw"}
    arrival: { process: poisson, rate: ${p.rate}/s }
    population: { users: ${p.users}, ips: ${Math.max(1, p.users >> 1)}, tiers: { free: 80%, pro: 20% } }
    routes: [{ route: GET /home, weight: 2 }, { route: GET /x }]
  lb: { kind: load-balancer, backend: gw }
  gw:
    kind: gateway
    instances: ${p.instances}
    concurrency: ${p.concurrency}
    queue: ${p.queue}
    compute: exp(0.2ms)
    auth: { time: 0.1ms, failRate: ${p.failRate} }
    routes: { GET /home: ${p.compose ? "[api, profile]" : "api"}, "*": api }
    limits:
      - { key: ${p.key}, algorithm: ${p.algorithm}, ${params}${p.key === "user" ? ", tiers: { pro: 400/s }" : ""} }
${p.second ? "      - { key: global, algorithm: sliding-counter, limit: 300, window: 100ms, routes: [GET /home] }" : ""}
    store: ${p.store}
${central ? `    onStoreFailure: ${p.policy}\n    storeTimeout: ${p.timeoutMs}ms\n    atomic: ${p.atomic}` : ""}
  counters: { kind: limiter-store, instances: 2, queue: 50 }
  api: { kind: service, instances: 2, concurrency: 4, queue: 20, routes: { "*": [{ compute: exp(1ms) }] } }
  profile: { kind: service, instances: 2, concurrency: 4, queue: 20, routes: { "*": [{ compute: exp(3ms) }] } }
${faults.length ? `faults:\n${faults.join("\n")}` : ""}
`;
}

describe("conservation of requests through a gateway", () => {
  it("every generated request has exactly one outcome or is in flight", () => {
    fc.assert(
      fc.property(designArb, (p) => {
        const { design } = loadDesign(designText(p, false), "random.yaml");
        const simulation = buildSimulation(design, p.seed);
        const r = simulation.run({ maxEvents: 5e6, maxWallMs: 60_000 });
        expect(r.stoppedBy).toBeNull();
        const recorded = r.metrics.counts.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
        const liveRoots = simulation.sim.pool.jobs.filter((j) => j.req === j.id && !j.cancelled).length;
        expect(recorded).toBe(r.answered);
        expect(r.answered + liveRoots).toBe(r.generated);
        // the gateway accounts for every request it finished: admitted ones were answered by backends
        const gw = r.components.gw as unknown as {
          arrivals: number;
          completed: number;
          failed: number;
          rejected: number;
        };
        expect(gw.completed + gw.failed + gw.rejected).toBeLessThanOrEqual(gw.arrivals);
      }),
      { numRuns: 120, seed: 20261202 },
    );
  });

  it("once arrivals stop and the work drains, every request is answered and every job is free", () => {
    fc.assert(
      fc.property(designArb, (p) => {
        const { design } = loadDesign(designText(p, true), "random.yaml");
        const simulation = buildSimulation(design, p.seed);
        const r = simulation.run({ maxEvents: 5e6, maxWallMs: 60_000 });
        simulation.sim.q.run(r.durationMs + 600_000, 5e6);
        const answered = simulation.workloads.reduce((s, w) => s + w.answered, 0);
        expect(answered).toBe(r.generated);
        expect(simulation.sim.pool.live).toBe(0);
      }),
      { numRuns: 100, seed: 20261202 },
    );
  });
});
