// The leaderless quorum store, driven by a hand-built simulation: a workload
// calls a service whose read and write steps go to the store, the consistency
// checker judges every read, and the nemesis kills and restarts nodes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FaultConfig, Nemesis } from "../src/components/faults.js";
import { type Job, RUNNING } from "../src/components/job.js";
import { CAUSES, INSTANCE_DOWN, OK, QUEUE_FULL, QUORUM_FAILED } from "../src/components/outcomes.js";
import { type QuorumPolicy, QuorumStore } from "../src/components/quorum-store.js";
import { Sim } from "../src/components/runtime.js";
import { Service, type Step } from "../src/components/service.js";
import { type RunResult, Simulation } from "../src/components/simulation.js";
import { type WorkloadRoute, Workload } from "../src/components/workload.js";
import { type DistSpec, sampler } from "../src/kernel/distributions.js";
import { keySampler } from "../src/kernel/keys.js";
import { Network } from "../src/kernel/network.js";
import { ConsistencyChecker } from "../src/mechanisms/consistency.js";
import { HashRing, hash32 } from "../src/mechanisms/hashing.js";
import { RequestMetrics } from "../src/metrics/requests.js";

const logn = (median: number, p99: number): DistSpec => ({ type: "lognormal", median, p99 });

/** A workload that also counts reads answered with data (a version above 0). */
class Users extends Workload {
  readsWithData = 0;
  constructor(
    name: string,
    cfg: ConstructorParameters<typeof Workload>[1],
    metrics: RequestMetrics,
    private readonly readRoutes: number[],
  ) {
    super(name, cfg, metrics);
  }
  override onReply(job: Job): void {
    if (job.outcome === OK && job.version > 0 && this.readRoutes.includes(job.route)) this.readsWithData++;
    super.onReply(job);
  }
}

interface Phase {
  startMs: number;
  stopMs: number;
  rate: number;
  /** fraction of calls that are writes */
  writes: number;
  /** read steps of this phase, by their policy (one route each, equally weighted) */
  reads?: QuorumPolicy[];
}

interface Setup {
  seed?: number;
  nodes?: number;
  n?: number;
  quorum?: QuorumPolicy;
  hinted?: boolean;
  repair?: boolean;
  /** anti-entropy interval (ms); default off */
  antiEntropyMs?: number;
  keys?: number;
  /** every hop free: calls and replies between components are delivered synchronously */
  zeroNetwork?: boolean;
  durationMs: number;
  phases: Phase[];
  /** node kills: [atMs, forMs, node] */
  kills?: [number, number, number][];
  /** times at which to sample the store's divergent keys */
  probes?: number[];
}

interface Run {
  sim: Sim;
  store: QuorumStore;
  users: Users[];
  result: RunResult;
  /** route index of each phase's reads (per policy) and writes */
  routes: { reads: number[]; write: number }[];
  divergence: number[];
  report: Record<string, unknown>;
}

function run(s: Setup): Run {
  const free: DistSpec = { type: "constant", value: 0 };
  const zero = s.zeroNetwork ?? false;
  const sim = new Sim(
    s.seed ?? 1,
    new Network({
      regions: [{ name: "eu", zones: ["a", "b", "c"] }],
      sameZone: zero ? free : logn(0.1, 0.5),
      crossZone: zero ? free : logn(0.6, 2),
      crossRegion: logn(35, 60),
      regionPairs: [],
      client: zero ? free : { type: "constant", value: 1 },
    }),
    zero,
  );
  const store = new QuorumStore("kv", {
    instances: s.nodes ?? 3,
    concurrency: 8,
    queue: 1000,
    rejectCause: QUEUE_FULL,
    readTime: sampler(logn(2, 10)),
    writeTime: sampler(logn(4, 20)),
    valueSize: sampler({ type: "constant", value: 1024 }),
    replicationFactor: s.n ?? 3,
    vnodes: 32,
    hintedHandoff: s.hinted ?? false,
    readRepair: s.repair ?? false,
    antiEntropyMs: s.antiEntropyMs,
    quorum: s.quorum,
  });
  store.zones = [0, 1, 2];
  const api = new Service("api", {
    instances: 1,
    concurrency: 1e6,
    queue: Infinity,
    rejectCause: QUEUE_FULL,
  });
  sim.add(store);
  sim.add(api);
  const plans = new Map<number, Step[]>();
  const routes = s.phases.map((p, i) => {
    const write = sim.routeIndex(`write${i}`);
    plans.set(write, [{ type: "write", store, cache: null, policy: 0 }]);
    const reads = (p.reads ?? [{}]).map((policy, j) => {
      const route = sim.routeIndex(`read${i}.${j}`);
      plans.set(route, [{ type: "read", store, cache: null, policy: store.readPolicy(policy) }]);
      return route;
    });
    return { reads, write };
  });
  api.define(plans, null);
  sim.consistency = new ConsistencyChecker({ routes: Math.max(1, sim.routes.length), stores: 1 });
  store.storeId = 0;
  const metrics = new RequestMetrics(CAUSES, sim.routes.length);
  const keys = keySampler({ type: "uniform", keys: s.keys ?? 40 });
  const users = s.phases.map((p, i) => {
    const wr: WorkloadRoute[] = routes[i].reads.map((route) => ({
      route,
      headers: 0,
      weight: (1 - p.writes) / routes[i].reads.length,
      keys,
    }));
    if (p.writes > 0) wr.push({ route: routes[i].write, headers: 0, weight: p.writes, keys });
    const w = new Users(
      `users${i}`,
      {
        target: api,
        routes: wr.filter((r) => r.weight > 0),
        arrivals: { type: "open", deterministic: false, rate: () => p.rate, maxRate: p.rate, steady: true },
        users: 1000,
        ips: 1000,
        regions: [{ region: 0, weight: 1 }],
        startMs: p.startMs,
        stopMs: p.stopMs,
        needsKeys: true,
        needsUsers: true,
      },
      metrics,
      routes[i].reads,
    );
    sim.add(w);
    return w;
  });
  const faults: FaultConfig[] = (s.kills ?? []).map(([atMs, forMs, node]) => ({
    atMs,
    forMs,
    action: { type: "kill", target: store, instances: [node] },
  }));
  const divergence: number[] = [];
  const probe = sim.q.on(() => divergence.push(store.divergentKeys()));
  for (const t of s.probes ?? []) sim.q.at(t, probe, 0);
  const result = new Simulation(sim, s.durationMs, users, new Nemesis(sim, faults), metrics).run({
    maxEvents: 5e7,
    maxWallMs: 30_000,
  });
  return { sim, store, users, result, routes, divergence, report: result.components.kv };
}

const consistency = (r: Run) =>
  r.report.consistency as { reads: number; staleReads: number; lostAcknowledgedWrites: number };
const count = (r: Run, route: number, cause: number) => r.result.metrics.counts[route][cause];
const issued = (r: Run, route: number) => r.result.metrics.issued[route];

/**
 * Every request issued is answered once (ok or by one failure cause) or still
 * in flight, counted independently from the live jobs in the pool: at the
 * clients, and at the store for the calls that reached it.
 */
function expectAccounted(r: Run): void {
  const m = r.result.metrics;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const requestsInFlight = r.sim.pool.jobs.filter((j) => j.req === j.id).length;
  expect(sum(m.issued)).toBe(r.result.generated);
  expect(sum(m.counts.map(sum))).toBe(r.result.answered);
  expect(r.result.answered + requestsInFlight).toBe(r.result.generated);
  const k = r.report as Record<string, number>;
  const store = r.store.index;
  const callsInFlight = r.sim.pool.jobs.filter(
    (j) => j.callee === store && j.caller !== store && j.state === RUNNING,
  ).length;
  expect(k.completed + k.failed + k.rejected + callsInFlight).toBe(k.arrivals);
}

describe("quorum store: placement", () => {
  it("puts each key on N distinct nodes, starting at the key's owner on the ring", () => {
    const r = run({ nodes: 5, n: 3, durationMs: 0, phases: [] });
    const ring = new HashRing([0, 1, 2, 3, 4], 32);
    for (let key = 0; key < 200; key++) {
      const list = r.store.preferenceList(key);
      expect(list).toHaveLength(3);
      expect(new Set(list).size).toBe(3);
      expect(list[0]).toBe(ring.owner(hash32(key)));
    }
  });

  it("rejects impossible quorums", () => {
    const r = run({ nodes: 3, n: 3, durationMs: 0, phases: [] });
    expect(() => r.store.readPolicy({ r: 4 })).toThrow(RangeError);
    expect(r.store.readPolicy({ r: "one" })).toBe(r.store.readPolicy({ r: 1 }));
    expect(r.store.readPolicy({ r: "quorum", w: "quorum" })).toBe(0);
  });
});

describe("quorum store: consistency", () => {
  it("never serves a stale read when R + W > N, with up to N - max(R, W) nodes failing", () => {
    const quorums = [
      [3, 3, 2, 2],
      [3, 3, 1, 3],
      [3, 3, 3, 1],
      [4, 3, 2, 2],
      [5, 5, 3, 3],
      [5, 4, 2, 3],
    ] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...quorums),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1400 }), fc.integer({ min: 50, max: 800 })), {
          maxLength: 3,
        }),
        fc.integer({ min: 1, max: 1000 }),
        fc.boolean(),
        ([nodes, n, rq, wq], windows, seed, repair) => {
          const tolerated = n - Math.max(rq, wq);
          // kill distinct nodes, at most as many as the quorums tolerate
          const kills = windows
            .slice(0, tolerated)
            .map(([at, span], i): [number, number, number] => [at, span, (seed + i) % nodes]);
          const r = run({
            seed,
            nodes,
            n,
            quorum: { r: rq, w: wq },
            repair,
            keys: 20,
            durationMs: 1500,
            phases: [{ startMs: 0, stopMs: 1500, rate: 800, writes: 0.4 }],
            kills,
          });
          expectAccounted(r);
          const c = consistency(r);
          expect(c.reads).toBeGreaterThan(300);
          expect(r.users[0].readsWithData).toBeGreaterThan(c.reads / 2);
          expect(c.staleReads).toBe(0);
          expect(c.lostAcknowledgedWrites).toBe(0);
          expect(count(r, r.routes[0].reads[0], QUORUM_FAILED)).toBe(0);
          expect(count(r, r.routes[0].write, QUORUM_FAILED)).toBe(0);
        },
      ),
      { numRuns: 12, seed: 42 },
    );
  });

  it("serves stale reads when R + W <= N, and none on the same workload with R + W > N", () => {
    const workload = {
      seed: 7,
      keys: 10,
      durationMs: 2000,
      phases: [{ startMs: 0, stopMs: 2000, rate: 1200, writes: 0.5 }],
    };
    const weak = run({ ...workload, quorum: { r: 1, w: 1 } });
    const strong = run({ ...workload, quorum: { r: 2, w: 2 } });
    const w = consistency(weak);
    const s = consistency(strong);
    expect(w.reads).toBeGreaterThan(1000);
    expect(w.staleReads / w.reads).toBeGreaterThan(0.02);
    expect(s.reads).toBeGreaterThan(1000);
    expect(s.staleReads).toBe(0);
    // the per-second series adds up to the total
    const series = (weak.report.series as Record<string, number[]>).staleReads;
    expect(series).toHaveLength(2);
    expect(series.reduce((a, b) => a + b, 0)).toBe(w.staleReads);
  });
});

describe("quorum store: accounting", () => {
  it.each([false, true])(
    "accounts for every request once, through node kills, and leaks no job (zero network: %s)",
    (zeroNetwork) => {
      const r = run({
        zeroNetwork,
        seed: 3,
        nodes: 5,
        hinted: true,
        repair: true,
        durationMs: 3000,
        phases: [{ startMs: 0, stopMs: 2000, rate: 1500, writes: 0.5 }],
        kills: [
          [300, 400, 0],
          [500, 900, 2],
          [600, 200, 3],
          [1200, 5000, 4],
        ],
      });
      expectAccounted(r);
      const k = r.report as Record<string, number>;
      // every call was answered by the end, some of them by a failure
      expect(r.result.answered).toBe(r.result.generated);
      expect(k.completed + k.failed + k.rejected).toBe(k.arrivals);
      expect(k.failed).toBeGreaterThan(0);
      expect(k.completed).toBeGreaterThan(0);
      // all jobs returned to the pool: coordinator state, sub-requests, repairs, hints
      expect(r.sim.pool.live).toBe(0);
      // the pool is sized by calls in flight, not by calls made
      expect(r.sim.pool.jobs.length).toBeLessThan(r.result.generated / 10);
    },
  );

  it("is deterministic", () => {
    const setup: Setup = {
      seed: 11,
      nodes: 4,
      hinted: true,
      repair: true,
      durationMs: 1000,
      phases: [{ startMs: 0, stopMs: 1000, rate: 500, writes: 0.5 }],
      kills: [[200, 300, 1]],
    };
    expect(JSON.stringify(run(setup).report)).toBe(JSON.stringify(run(setup).report));
  });
});

describe("quorum store: availability", () => {
  const oneDown = (quorum: QuorumPolicy) =>
    run({
      seed: 5,
      quorum,
      durationMs: 1500,
      phases: [{ startMs: 0, stopMs: 1000, rate: 500, writes: 0.5 }],
      kills: [[0, 5000, 2]],
    });

  it("with one of three nodes dead, QUORUM succeeds and ALL fails with quorum-failed", () => {
    const q = oneDown({ r: "quorum", w: "quorum" });
    const all = oneDown({ r: "all", w: "all" });
    const { reads, write } = q.routes[0];
    expect(issued(q, reads[0])).toBeGreaterThan(100);
    expect(count(q, reads[0], OK)).toBe(issued(q, reads[0]));
    expect(count(q, write, OK)).toBe(issued(q, write));
    expect(count(all, reads[0], QUORUM_FAILED)).toBe(issued(all, reads[0]));
    expect(count(all, write, QUORUM_FAILED)).toBe(issued(all, write));
    expect(all.report.quorumFailures).toBe(issued(all, reads[0]) + issued(all, write));
  });

  it("sloppy quorum keeps W = ALL writes available and hands hints back when the node returns", () => {
    const setup = (hinted: boolean): Setup => ({
      seed: 9,
      nodes: 5,
      quorum: { r: 1, w: "all" },
      hinted,
      keys: 100,
      durationMs: 3000,
      phases: [{ startMs: 0, stopMs: 2500, rate: 1000, writes: 0.8 }],
      kills: [[200, 1000, 4]],
    });
    const strict = run(setup(false));
    const sloppy = run(setup(true));
    const write = strict.routes[0].write;
    // about 3/5 of keys have the dead node among their replicas
    expect(count(strict, write, QUORUM_FAILED) / issued(strict, write)).toBeGreaterThan(0.1);
    expect(strict.report.hintsStored).toBe(0);
    // only calls in flight on the node when it died fail (it coordinated them, or had not answered yet)
    const failed = count(sloppy, write, QUORUM_FAILED) + count(sloppy, write, INSTANCE_DOWN);
    expect(failed).toBeLessThan(20);
    expect(count(sloppy, write, OK) + failed).toBe(issued(sloppy, write));
    const s = sloppy.report as Record<string, number>;
    expect(s.hintsStored).toBeGreaterThan(0);
    expect(s.hintsReplayed).toBeGreaterThan(0);
    expect(s.hintsPending).toBe(0);
    // the returned node holds the latest version of every key it replicates
    const checker = sloppy.sim.consistency!;
    let checked = 0;
    for (const key of checker.keys(0)) {
      if (!sloppy.store.preferenceList(key).includes(4)) continue;
      expect(sloppy.store.versionAt(4, key)).toBe(checker.latestCommitted(0, key));
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
    expect(sloppy.store.divergentKeys()).toBe(0);
  });
});

describe("quorum store: read repair", () => {
  // writes while node 2 is down, then reads only once it is back
  const setup = (repair: boolean): Setup => ({
    seed: 13,
    repair,
    keys: 50,
    durationMs: 5000,
    phases: [
      { startMs: 0, stopMs: 2000, rate: 800, writes: 0.5 },
      { startMs: 2500, stopMs: 5000, rate: 500, writes: 0 },
    ],
    kills: [[500, 2000, 2]],
    probes: [2500, 3000, 5000],
  });

  it("brings a node that missed writes back in line", () => {
    const without = run(setup(false));
    const withRepair = run(setup(true));
    // the node missed writes: keys diverge when it returns
    expect(without.divergence[0]).toBeGreaterThan(20);
    expect(withRepair.divergence[0]).toBeGreaterThan(20);
    // nothing repairs them without read repair
    expect(without.divergence[2]).toBe(without.divergence[0]);
    // reads repair them, and keep doing so until none is left
    expect(withRepair.divergence[1]).toBeLessThan(withRepair.divergence[0]);
    expect(withRepair.divergence[2]).toBe(0);
    expect(withRepair.report.readRepairs).toBeGreaterThan(0);
  });
});

describe("quorum store: latency", () => {
  it("R = 1 reads are faster than R = ALL, which wait for the slowest replica", () => {
    const r = run({
      seed: 17,
      durationMs: 3000,
      phases: [{ startMs: 0, stopMs: 3000, rate: 600, writes: 0.2, reads: [{ r: "one" }, { r: "all" }] }],
    });
    const [one, all] = r.routes[0].reads.map((route) => r.result.metrics.latency[route].summary());
    expect(one.count).toBeGreaterThan(500);
    expect(all.count).toBeGreaterThan(500);
    expect(one.mean).toBeLessThan(all.mean * 0.7);
    expect(one.p99).toBeLessThan(all.p99);
  });
});

describe("quorum store: convergence time", () => {
  type Convergence = { count: number; p50: number; p99: number; max: number };
  const converged = (r: Run) => r.report.convergenceMs as Convergence;
  const unconverged = (r: Run) => r.report.unconvergedWrites as number;
  const workload = (quorum: QuorumPolicy): Setup => ({
    seed: 19,
    quorum,
    keys: 30,
    durationMs: 2000,
    phases: [{ startMs: 0, stopMs: 1500, rate: 800, writes: 0.5 }],
  });

  it("is zero for W = ALL: every replica holds the write when it is acknowledged", () => {
    const r = run(workload({ w: "all" }));
    const c = converged(r);
    expect(c.count).toBeGreaterThan(300);
    expect(c.count).toBe(r.report.writes);
    expect(c.max).toBe(0);
    expect(unconverged(r)).toBe(0);
  });

  it("for W = 1 is the time the slower replicas take after the first acknowledged", () => {
    const r = run(workload({ w: 1 }));
    const c = converged(r);
    expect(c.count).toBe(r.report.writes);
    expect(unconverged(r)).toBe(0);
    // two more replicas still have to store most writes: lognormal(4ms, 20ms) apart
    expect(c.p50).toBeGreaterThan(0.5);
    expect(c.p99).toBeGreaterThan(c.p50);
    expect(c.max).toBeLessThan(200);
  });

  it("waits for a dead replica to come back and be repaired, and counts the writes still missing", () => {
    // three nodes, N = 3: every key has a replica on node 2, dead from 300ms to
    // 1300ms; writes stop before it returns, so none of them is overwritten later
    const setup = (antiEntropyMs?: number): Setup => ({
      ...workload({ w: "quorum" }),
      phases: [{ startMs: 0, stopMs: 1200, rate: 800, writes: 0.5 }],
      antiEntropyMs,
      kills: [[300, 1000, 2]],
    });
    const stuck = run(setup());
    const repaired = run(setup(200));
    // without any repair the writes made while node 2 was down never reach it:
    // the last one of each key stays unconverged (earlier ones, being older, too)
    expect(unconverged(stuck)).toBeGreaterThan(200);
    expect(converged(stuck).count + unconverged(stuck)).toBe(stuck.report.writes);
    // anti-entropy brings it back in line within a round of its return
    expect(unconverged(repaired)).toBe(0);
    const c = converged(repaired);
    expect(c.count).toBe(repaired.report.writes);
    // the first writes after the kill waited out the whole outage
    expect(c.max).toBeGreaterThan(900);
    expect(c.max).toBeLessThan(1000 + 200 + 100);
    expect(c.p50).toBeLessThan(c.max);
  });
});
