// The multi-leader store, driven by a hand-built simulation: two regions, a
// leader and a service in each, clients in each calling their own region's
// service, the consistency checker judging every read, and the nemesis
// partitioning the regions or killing a leader.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FaultConfig, Nemesis } from "../src/components/faults.js";
import { OP_WRITE, RUNNING } from "../src/components/job.js";
import { MultiLeaderStore, type Resolution, RESOLUTIONS } from "../src/components/multi-leader-store.js";
import { CAUSES, INSTANCE_DOWN, OK, QUEUE_FULL } from "../src/components/outcomes.js";
import { Sim } from "../src/components/runtime.js";
import { Service, type Step } from "../src/components/service.js";
import { type RunResult, Simulation } from "../src/components/simulation.js";
import { Workload, type WorkloadRoute } from "../src/components/workload.js";
import { type DistSpec, sampler } from "../src/kernel/distributions.js";
import { keySampler } from "../src/kernel/keys.js";
import { Network } from "../src/kernel/network.js";
import { ConsistencyChecker } from "../src/mechanisms/consistency.js";
import { RequestMetrics } from "../src/metrics/requests.js";

const logn = (median: number, p99: number): DistSpec => ({ type: "lognormal", median, p99 });
const constant = (value: number): DistSpec => ({ type: "constant", value });

/** Clients of one region: an open-loop stream of reads and writes in [startMs, stopMs). */
interface Clients {
  /** 0: "us", 1: "eu"; their calls go to that region's service */
  region: number;
  rate: number;
  /** fraction of calls that are writes */
  writes: number;
  startMs?: number;
  stopMs: number;
  /** evenly spaced arrivals instead of Poisson */
  deterministic?: boolean;
}

/** One call at exactly `atMs` (a deterministic stream of rate 1/s that stops after its first arrival). */
const once = (region: number, atMs: number, op: "read" | "write"): Clients => ({
  region,
  rate: 1,
  writes: op === "write" ? 1 : 0,
  startMs: atMs - 1000,
  stopMs: atMs + 1,
  deterministic: true,
});

interface Setup {
  seed?: number;
  resolution: Resolution;
  keys?: number;
  /** every hop free: calls and replies are delivered synchronously */
  zeroNetwork?: boolean;
  /** one-way latency between the regions; lognormal with median 35 ms by default */
  crossRegion?: DistSpec;
  /** fixed service times instead of lognormal ones */
  fixedTimes?: boolean;
  applyTime?: DistSpec;
  clockSkewMs?: number[];
  durationMs: number;
  clients: Clients[];
  /** the regions cut off from each other: [atMs, forMs] */
  partition?: [number, number];
  /** node kills: [atMs, forMs, node] */
  kills?: [number, number, number][];
  /** times at which to record the store's backlog, divergence and committed writes */
  probes?: number[];
}

interface Probe {
  backlog: number;
  divergent: number;
  /** writes accepted anywhere so far, by the checker's committed versions */
  committed: number;
}

interface Run {
  sim: Sim;
  store: MultiLeaderStore;
  result: RunResult;
  /** route indices of each client group's reads and writes */
  routes: { read: number; write: number }[];
  probes: Probe[];
  report: Report;
}

interface Report {
  arrivals: number;
  completed: number;
  failed: number;
  rejected: number;
  reads: number;
  writes: number;
  conflicts: number;
  lostUpdates: number;
  siblingsReturned: number;
  siblingsTotal: number;
  counterTotal?: number;
  incrementsAcknowledged?: number;
  backlog: number;
  divergentKeys: number;
  nodes: {
    alive: boolean;
    zone: string;
    reads: number;
    writes: number;
    applied: number;
    counterTotal?: number;
  }[];
  consistency: { reads: number; staleReads: number; lostAcknowledgedWrites: number };
  series: Record<string, number[]>;
}

function run(s: Setup): Run {
  const free = constant(0);
  const zero = s.zeroNetwork ?? false;
  const fixed = s.fixedTimes ?? false;
  const sim = new Sim(
    s.seed ?? 1,
    new Network({
      regions: [
        { name: "us", zones: ["us-1"] },
        { name: "eu", zones: ["eu-1"] },
      ],
      sameZone: zero ? free : fixed ? constant(0.2) : logn(0.1, 0.5),
      crossZone: zero ? free : logn(0.6, 2),
      crossRegion: zero ? free : (s.crossRegion ?? logn(35, 60)),
      regionPairs: [],
      client: zero ? free : constant(1),
    }),
    zero,
  );
  const store = new MultiLeaderStore("kv", {
    instances: 2,
    concurrency: 8,
    queue: 1000,
    rejectCause: QUEUE_FULL,
    readTime: sampler(fixed ? constant(1) : logn(1, 5)),
    writeTime: sampler(fixed ? constant(2) : logn(2, 10)),
    valueSize: sampler(constant(1024)),
    applyTime: sampler(s.applyTime ?? (fixed ? constant(0.5) : logn(0.5, 2))),
    resolution: s.resolution,
    clockSkewMs: s.clockSkewMs,
  });
  store.zones = [0, 1];
  sim.add(store);
  const apis = [0, 1].map((zone) => {
    const api = new Service(`api${zone}`, {
      instances: 1,
      concurrency: 1e6,
      queue: Infinity,
      rejectCause: QUEUE_FULL,
    });
    api.zones = [zone];
    sim.add(api);
    return api;
  });
  const plans = new Map<number, Step[]>();
  const routes = s.clients.map((_, i) => {
    const read = sim.routeIndex(`read${i}`);
    const write = sim.routeIndex(`write${i}`);
    plans.set(read, [{ type: "read", store, cache: null, policy: 0 }]);
    plans.set(write, [{ type: "write", store, cache: null, policy: 0 }]);
    return { read, write };
  });
  for (const api of apis) api.define(plans, null);
  sim.consistency = new ConsistencyChecker({ routes: Math.max(1, sim.routes.length), stores: 1 });
  const metrics = new RequestMetrics(CAUSES, sim.routes.length);
  const keys = keySampler({ type: "uniform", keys: s.keys ?? 10 });
  const workloads = s.clients.map((c, i) => {
    const wr: WorkloadRoute[] = [
      { route: routes[i].read, headers: 0, weight: 1 - c.writes, keys },
      { route: routes[i].write, headers: 0, weight: c.writes, keys },
    ];
    const w = new Workload(
      `users${i}`,
      {
        target: apis[c.region],
        routes: wr.filter((r) => r.weight > 0),
        arrivals: {
          type: "open",
          deterministic: c.deterministic ?? false,
          rate: () => c.rate,
          maxRate: c.rate,
          steady: true,
        },
        users: 100,
        ips: 100,
        regions: [{ region: c.region, weight: 1 }],
        startMs: c.startMs ?? 0,
        stopMs: c.stopMs,
        needsKeys: true,
        needsUsers: true,
      },
      metrics,
    );
    sim.add(w);
    return w;
  });
  const faults: FaultConfig[] = (s.kills ?? []).map(([atMs, forMs, node]) => ({
    atMs,
    forMs,
    action: { type: "kill", target: store, instances: [node] },
  }));
  if (s.partition) {
    const [atMs, forMs] = s.partition;
    faults.push({ atMs, forMs, action: { type: "partition", zones: [0], names: ["us-1"], timeoutMs: 1000 } });
  }
  const probes: Probe[] = [];
  const probe = sim.q.on(() => {
    let committed = 0;
    for (const key of sim.consistency!.keys(0)) committed += sim.consistency!.latestCommitted(0, key);
    probes.push({ backlog: store.backlog, divergent: store.divergentKeys(), committed });
  });
  for (const t of s.probes ?? []) sim.q.at(t, probe, 0);
  const result = new Simulation(sim, s.durationMs, workloads, new Nemesis(sim, faults), metrics).run({
    maxEvents: 5e7,
    maxWallMs: 30_000,
  });
  return { sim, store, result, routes, probes, report: result.components.kv as unknown as Report };
}

const count = (r: Run, route: number, cause: number) => r.result.metrics.counts[route][cause];
const issued = (r: Run, route: number) => r.result.metrics.issued[route];
const total = (r: Run, pick: (g: { read: number; write: number }) => number, cause: number) =>
  r.routes.reduce((s, g) => s + count(r, pick(g), cause), 0);
const staleOn = (r: Run, route: number) => r.result.consistency!.byRoute[route].stale;

/** Every request issued is answered once or still in flight, at the clients and at the store. */
function expectAccounted(r: Run): void {
  const m = r.result.metrics;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const requestsInFlight = r.sim.pool.jobs.filter((j) => j.req === j.id).length;
  expect(sum(m.issued)).toBe(r.result.generated);
  expect(sum(m.counts.map(sum))).toBe(r.result.answered);
  expect(r.result.answered + requestsInFlight).toBe(r.result.generated);
  const k = r.report;
  const store = r.store.index;
  const callsInFlight = r.sim.pool.jobs.filter(
    (j) => j.callee === store && j.caller !== store && j.state === RUNNING,
  ).length;
  expect(k.completed + k.failed + k.rejected + callsInFlight).toBe(k.arrivals);
}

/**
 * After replication drained: nothing waits on a link, the leaders agree, and
 * each applied every write the other accepted exactly once.
 */
function expectConverged(r: Run): void {
  const k = r.report;
  expect(k.backlog).toBe(0);
  expect(k.divergentKeys).toBe(0);
  expect(k.nodes[0].applied).toBe(k.nodes[1].writes);
  expect(k.nodes[1].applied).toBe(k.nodes[0].writes);
  const checker = r.sim.consistency!;
  for (const key of checker.keys(0))
    for (const node of [0, 1]) expect(r.store.versionAt(node, key)).toBe(checker.latestCommitted(0, key));
}

/** Both regions writing a few keys at once. */
const bothRegions = (resolution: Resolution, seed = 2): Setup => ({
  seed,
  resolution,
  keys: 5,
  durationMs: 2500,
  clients: [
    { region: 0, rate: 400, writes: 0.5, stopMs: 1500 },
    { region: 1, rate: 400, writes: 0.5, stopMs: 1500 },
  ],
});

describe("multi-leader store: conflicts", () => {
  it("two concurrent writes: one conflict; LWW loses one, version vectors return both, the counter keeps both", () => {
    // a write in each region 10 ms apart, far less than the 40 ms between them; reads once both have landed
    const clients = [
      once(0, 1000, "write"),
      once(1, 1010, "write"),
      once(0, 1500, "read"),
      once(1, 1500, "read"),
    ];
    const setup = (resolution: Resolution): Setup => ({
      resolution,
      keys: 1,
      fixedTimes: true,
      crossRegion: constant(40),
      durationMs: 2000,
      clients,
    });
    for (const resolution of RESOLUTIONS) {
      const r = run(setup(resolution));
      expectConverged(r);
      expect(r.report.writes).toBe(2);
      expect(r.report.conflicts).toBe(1);
      // both reads see both writes
      expect(r.report.consistency.staleReads).toBe(0);
      for (const node of [0, 1]) expect(r.store.versionAt(node, 0)).toBe(2);
      if (resolution === "lww") {
        expect(r.report.lostUpdates).toBe(1);
        expect(r.report.consistency.lostAcknowledgedWrites).toBe(1);
        // the later write (eu's) wins everywhere
        for (const node of [0, 1]) expect(r.store.winnerAt(node, 0)).toBe(1);
      } else expect(r.report.lostUpdates).toBe(0);
      if (resolution === "version-vectors") {
        expect(r.report.siblingsReturned).toBe(2);
        expect(r.report.siblingsTotal).toBe(4);
      }
      if (resolution === "crdt-counter")
        for (const node of [0, 1]) expect(r.store.counterAt(node, 0)).toBe(2);
    }
  });

  it("counts each concurrent pair once", () => {
    // us writes twice, eu once, none of them in time to see the other region's
    const clients = [once(0, 1000, "write"), once(0, 1005, "write"), once(1, 1010, "write")];
    for (const resolution of RESOLUTIONS) {
      const r = run({
        resolution,
        keys: 1,
        fixedTimes: true,
        crossRegion: constant(40),
        durationMs: 1500,
        clients,
      });
      expectConverged(r);
      // (us1, eu) and (us2, eu); us2 had seen us1
      expect(r.report.conflicts).toBe(2);
      // LWW: eu's write wins; us2 is lost, us1 was overwritten by us2 knowingly
      expect(r.report.lostUpdates).toBe(resolution === "lww" ? 1 : 0);
      if (resolution === "version-vectors")
        for (const node of [0, 1]) expect(r.store.siblingsAt(node, 0)).toBe(2);
    }
  });

  it("a write made after reading the siblings supersedes them", () => {
    const r = run({
      resolution: "version-vectors",
      keys: 1,
      fixedTimes: true,
      crossRegion: constant(40),
      durationMs: 3000,
      clients: [
        once(0, 1000, "write"),
        once(1, 1010, "write"),
        once(1, 1500, "write"),
        once(0, 2000, "read"),
        once(1, 2000, "read"),
      ],
    });
    expectConverged(r);
    expect(r.report.conflicts).toBe(1);
    for (const node of [0, 1]) expect(r.store.siblingsAt(node, 0)).toBe(1);
    expect(r.report.siblingsReturned).toBe(0);
    expect(r.report.siblingsTotal).toBe(2);
  });

  it("clock skew decides which of two concurrent LWW writes wins", () => {
    const setup = (clockSkewMs?: number[]): Setup => ({
      resolution: "lww",
      keys: 1,
      fixedTimes: true,
      crossRegion: constant(40),
      clockSkewMs,
      durationMs: 1500,
      clients: [once(0, 1000, "write"), once(1, 1010, "write")],
    });
    const fair = run(setup());
    const skewed = run(setup([100, 0]));
    for (const node of [0, 1]) {
      expect(fair.store.winnerAt(node, 0)).toBe(1);
      // us's clock runs 100 ms ahead: its earlier write looks later
      expect(skewed.store.winnerAt(node, 0)).toBe(0);
    }
    expect(fair.report.lostUpdates).toBe(1);
    expect(skewed.report.lostUpdates).toBe(1);
  });

  it("a clock far enough ahead makes LWW discard even a write made after seeing it", () => {
    // eu writes 100 ms after us, once us's write has reached it (40 ms): no conflict
    const setup = (clockSkewMs?: number[]): Setup => ({
      resolution: "lww",
      keys: 1,
      fixedTimes: true,
      crossRegion: constant(40),
      clockSkewMs,
      durationMs: 1500,
      clients: [once(0, 1000, "write"), once(1, 1100, "write")],
    });
    const fair = run(setup());
    const skewed = run(setup([500, 0]));
    for (const r of [fair, skewed]) {
      expectConverged(r);
      expect(r.report.conflicts).toBe(0);
    }
    expect(fair.report.lostUpdates).toBe(0);
    for (const node of [0, 1]) expect(fair.store.winnerAt(node, 0)).toBe(1);
    // us's stamp is 500 ms ahead, so eu's later write, which had seen it, loses unseen
    expect(skewed.report.lostUpdates).toBe(1);
    for (const node of [0, 1]) expect(skewed.store.winnerAt(node, 0)).toBe(0);
  });

  it("writes in both regions at once: LWW loses updates, version vectors keep siblings, the counter loses none", () => {
    const [lww, vv, crdt] = RESOLUTIONS.map((resolution) => run(bothRegions(resolution)));
    for (const r of [lww, vv, crdt]) {
      expectAccounted(r);
      expectConverged(r);
      expect(r.report.writes).toBeGreaterThan(300);
      // reads are stale while the other region's writes are on their way
      expect(r.report.consistency.staleReads).toBeGreaterThan(0);
    }
    // the resolution changes what a node keeps, never when anything happens: same conflicts in every mode
    expect(lww.report.conflicts).toBeGreaterThan(0);
    expect(vv.report.conflicts).toBe(lww.report.conflicts);
    expect(crdt.report.conflicts).toBe(lww.report.conflicts);

    expect(lww.report.lostUpdates).toBeGreaterThan(0);
    expect(lww.report.lostUpdates).toBeLessThanOrEqual(lww.report.conflicts);
    expect(lww.report.consistency.lostAcknowledgedWrites).toBe(lww.report.lostUpdates);
    // with 5 keys, at most 5 writes end up winners; the rest were overwritten, knowingly or not
    expect(lww.report.lostUpdates).toBeLessThanOrEqual(lww.report.writes - 1);

    expect(vv.report.siblingsReturned).toBeGreaterThan(0);
    // a read returning siblings returns at least two
    expect(vv.report.siblingsTotal).toBeGreaterThanOrEqual(2 * vv.report.siblingsReturned);
    expect(vv.report.lostUpdates).toBe(0);
    expect(vv.report.consistency.lostAcknowledgedWrites).toBe(0);

    // every increment the clients saw acknowledged is on every node
    const acked = total(crdt, (g) => g.write, OK);
    expect(crdt.report.incrementsAcknowledged).toBe(acked);
    expect(crdt.report.counterTotal).toBe(acked);
    for (const node of crdt.report.nodes) expect(node.counterTotal).toBe(acked);
    expect(crdt.report.lostUpdates).toBe(0);
  });

  it("CRDT counters end equal to the increments acknowledged, whatever the seed, latency and write rates", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 2, max: 80 }),
        fc.integer({ min: 20, max: 500 }),
        fc.integer({ min: 20, max: 500 }),
        fc.integer({ min: 1, max: 20 }),
        (seed, latencyMs, usRate, euRate, keys) => {
          const r = run({
            seed,
            resolution: "crdt-counter",
            keys,
            crossRegion: logn(latencyMs, latencyMs * 2),
            durationMs: 1600,
            clients: [
              { region: 0, rate: usRate, writes: 0.6, stopMs: 800 },
              { region: 1, rate: euRate, writes: 0.6, stopMs: 800 },
            ],
          });
          expectConverged(r);
          const checker = r.sim.consistency!;
          for (const key of checker.keys(0))
            for (const node of [0, 1])
              expect(r.store.counterAt(node, key)).toBe(checker.latestCommitted(0, key));
          const acked = total(r, (g) => g.write, OK);
          expect(r.report.incrementsAcknowledged).toBe(acked);
          for (const node of r.report.nodes) expect(node.counterTotal).toBe(acked);
        },
      ),
      { numRuns: 8, seed: 42 },
    );
  });

  it.each(RESOLUTIONS)("%s: writes in one region only never conflict", (resolution) => {
    const r = run({
      seed: 4,
      resolution,
      keys: 5,
      durationMs: 2000,
      clients: [
        { region: 0, rate: 500, writes: 0.6, stopMs: 1500 },
        { region: 1, rate: 300, writes: 0, stopMs: 1500 },
      ],
    });
    expectConverged(r);
    expect(r.report.nodes[0].writes).toBeGreaterThan(300);
    expect(r.report.nodes[1].writes).toBe(0);
    expect(r.report.conflicts).toBe(0);
    expect(r.report.lostUpdates).toBe(0);
    expect(r.report.siblingsReturned).toBe(0);
    // eu still reads behind us: the writes are one-way, not instant
    expect(r.report.consistency.staleReads).toBeGreaterThan(0);
  });
});

describe("multi-leader store: partitions", () => {
  it.each(RESOLUTIONS)(
    "%s: both sides keep writing through a partition, the backlog drains after it heals and the leaders converge",
    (resolution) => {
      const r = run({
        seed: 6,
        resolution,
        keys: 20,
        durationMs: 4500,
        clients: [
          { region: 0, rate: 300, writes: 0.5, stopMs: 2400 },
          { region: 1, rate: 300, writes: 0.5, stopMs: 2400 },
        ],
        // it heals after the last write: only the heal itself can restart the streams
        partition: [1000, 1500],
        probes: [1100, 2300, 4500],
      });
      expectAccounted(r);
      // available on both sides all along
      for (const g of r.routes) {
        expect(count(r, g.read, OK)).toBe(issued(r, g.read));
        expect(count(r, g.write, OK)).toBe(issued(r, g.write));
      }
      const [early, late, end] = r.probes;
      // every write accepted during the partition waits for the other side
      expect(late.committed - early.committed).toBeGreaterThan(200);
      expect(late.backlog).toBeGreaterThanOrEqual(late.committed - early.committed);
      expect(late.divergent).toBeGreaterThan(0);
      const series = r.report.series.replicationBacklog;
      expect(series).toHaveLength(4);
      expect(series[1]).toBeGreaterThan(10 * Math.max(1, series[0]));
      expect(series[2]).toBe(0);
      expect(series[3]).toBe(0);
      expect(end.backlog).toBe(0);
      expect(end.divergent).toBe(0);
      expectConverged(r);
      expect(r.report.conflicts).toBeGreaterThan(0);
      if (resolution === "lww") {
        expect(r.report.lostUpdates).toBeGreaterThan(0);
        expect(r.report.lostUpdates).toBeLessThanOrEqual(r.report.conflicts);
      } else expect(r.report.lostUpdates).toBe(0);
      if (resolution === "crdt-counter") {
        const acked = total(r, (g) => g.write, OK);
        for (const node of r.report.nodes) expect(node.counterTotal).toBe(acked);
      }
      // entries resent after answers were lost in the partition left no job behind
      expect(r.sim.pool.live).toBe(0);
    },
  );
});

describe("multi-leader store: resends", () => {
  it("applies every entry once when answers lost in a partition make the sender resend what is already there", () => {
    // applying is slow (200 ms an entry, one at a time per link), so the target still holds and applies
    // entries when the resends, triggered by the timeouts of answers lost in the partition, arrive
    const r = run({
      resolution: "lww",
      keys: 50,
      applyTime: constant(200),
      durationMs: 12_000,
      clients: [{ region: 0, rate: 40, writes: 1, stopMs: 1000 }],
      partition: [1000, 1500],
      probes: [2400],
    });
    expect(r.probes[0].backlog).toBeGreaterThan(20);
    expectConverged(r);
    expect(r.sim.pool.live).toBe(0);
    // an entry has at most two copies at once: the one the target holds and the resend replacing it
    expect(r.sim.pool.jobs.length).toBeLessThanOrEqual(2 * r.report.writes + 10);
  });
});

describe("multi-leader store: routing", () => {
  it("sends callers to the leader in their zone, else in their region, else any they can reach", () => {
    const sim = new Sim(
      1,
      new Network({
        regions: [
          { name: "us", zones: ["us-1"] },
          { name: "eu", zones: ["eu-1", "eu-2"] },
        ],
        sameZone: constant(0),
        crossZone: constant(1),
        crossRegion: constant(40),
        regionPairs: [],
        client: constant(1),
      }),
      false,
    );
    const store = new MultiLeaderStore("kv", {
      instances: 3,
      concurrency: 1,
      queue: 10,
      rejectCause: QUEUE_FULL,
      readTime: sampler(constant(1)),
      writeTime: sampler(constant(1)),
      valueSize: sampler(constant(1)),
      applyTime: sampler(constant(1)),
      resolution: "lww",
    });
    store.zones = [0, 1, 2];
    const api = new Service("api", { instances: 1, concurrency: 1, queue: 1, rejectCause: QUEUE_FULL });
    api.zones = [2];
    sim.add(store);
    sim.add(api);
    const call = sim.child(null, api, 0);
    call.op = OP_WRITE;
    expect(store.pick(call)).toBe(2);
    store.kill(2);
    expect(store.pick(call)).toBe(1);
    store.kill(1);
    expect(store.pick(call)).toBe(0);
    sim.net.partition([0], 1);
    expect(store.pick(call)).toBe(-1);
    sim.net.partition([0], -1);
    store.restart(1);
    expect(store.pick(call)).toBe(1);
  });
});

describe("multi-leader store: accounting", () => {
  it.each([false, true])(
    "accounts for every request once through a leader's kill and restart, and leaks no job (zero network: %s)",
    (zeroNetwork) => {
      const r = run({
        zeroNetwork,
        seed: 3,
        resolution: "version-vectors",
        durationMs: 3500,
        clients: [
          { region: 0, rate: 800, writes: 0.5, stopMs: 2000 },
          { region: 1, rate: 800, writes: 0.5, stopMs: 2000 },
        ],
        // us dies and returns while writes go on; eu returns after the last write
        kills: [
          [300, 400, 0],
          [1200, 1000, 1],
        ],
        probes: [2199],
      });
      expectAccounted(r);
      expect(r.result.answered).toBe(r.result.generated);
      const k = r.report;
      expect(k.completed + k.failed + k.rejected).toBe(k.arrivals);
      // only calls on a node as it died fail; its callers go to the other region meanwhile
      const failed = total(r, (g) => g.read, INSTANCE_DOWN) + total(r, (g) => g.write, INSTANCE_DOWN);
      expect(failed).toBeGreaterThan(0);
      expect(failed).toBe(r.result.generated - total(r, (g) => g.read, OK) - total(r, (g) => g.write, OK));
      // while eu was down, writes waited for it; it got them all once back
      expect(r.probes[0].backlog).toBeGreaterThan(100);
      expectConverged(r);
      expect(r.sim.pool.live).toBe(0);
      // the pool is sized by work in flight, not by calls made: at most the backlog, resent at once on the
      // restart, and the calls in flight before (800/s crossing regions, ~75 ms round trips, two jobs each),
      // with a factor of two to spare
      expect(r.sim.pool.jobs.length).toBeLessThan(r.probes[0].backlog + 2 * 800 * 0.075 * 2);
    },
  );

  it("is deterministic", () => {
    const setup: Setup = { ...bothRegions("lww", 11), kills: [[300, 400, 1]], partition: [900, 300] };
    expect(JSON.stringify(run(setup).report)).toBe(JSON.stringify(run(setup).report));
  });
});

describe("multi-leader store: stale reads", () => {
  // a write in us, then reads in eu before and after it can have crossed (40 ms)
  const clients = [once(0, 1000, "write"), once(1, 1020, "read"), once(1, 1100, "read")];

  it("a read in one region right after a write in the other is stale until replication lands", () => {
    const r = run({
      resolution: "lww",
      keys: 1,
      fixedTimes: true,
      crossRegion: constant(40),
      durationMs: 2000,
      clients,
    });
    expect(r.report.consistency.reads).toBe(2);
    expect(staleOn(r, r.routes[1].read)).toBe(1);
    expect(staleOn(r, r.routes[2].read)).toBe(0);
    expect(r.report.series.staleReads.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it("with zero replication delay no read is stale", () => {
    const zero = (s: Setup): Setup => ({ ...s, zeroNetwork: true, applyTime: constant(0) });
    const exact = run(
      zero({ resolution: "lww", keys: 1, fixedTimes: true, durationMs: 1500, clients: clients.slice(0, 2) }),
    );
    expect(exact.report.consistency.reads).toBe(1);
    expect(exact.report.consistency.staleReads).toBe(0);
    for (const resolution of RESOLUTIONS) {
      const busy = bothRegions(resolution);
      expect(run(busy).report.consistency.staleReads).toBeGreaterThan(0);
      const r = run(zero(busy));
      expect(r.report.consistency.reads).toBeGreaterThan(300);
      expect(r.report.consistency.staleReads).toBe(0);
    }
  });
});
