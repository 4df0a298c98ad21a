// A cache cluster as users meet it: keys sharded over nodes, a node failure
// that remaps keys (a quarter of them on a ring, most of them under mod N)
// and the miss storm it sends to the database, and replicas that take over.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

type Cache = {
  hitRatio: number;
  gets: number;
  entries: number;
  series: { hitRatio: number[]; arrivals: number[] };
  cluster: {
    ejections: number;
    rejoins: number;
    failovers: number;
    resyncs: number;
    resyncMs: number;
    unpromotable: number;
    nodes: {
      node: number;
      role: string;
      alive: boolean;
      inRing: boolean;
      syncing: boolean;
      gets: number;
      entries: number;
      bytes: number;
    }[];
  };
};
type Db = { series: { arrivals: number[] } };
const cache = (r: Report, name: string) => r.components[name] as unknown as Cache;
const db = (r: Report, name: string) => r.components[name] as unknown as Db;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Database calls above the pre-failure rate, summed over [from, to). */
function excess(arrivals: number[], from: number, to: number): number {
  const base = mean(arrivals.slice(from - 6, from - 1));
  return arrivals.slice(from, to).reduce((s, a) => s + (a - base), 0);
}

describe("a cache node dies (examples/cache/node-failure.yaml)", () => {
  const r = runFile("examples/cache/node-failure.yaml");
  const ring = cache(r, "cache-ring");
  const modn = cache(r, "cache-modn");

  it("spreads keys over every node while all are up", () => {
    for (const c of [ring, modn]) {
      // (node 1 died at 30s, so it served less)
      const gets = c.cluster.nodes.filter((n) => n.node !== 1).map((n) => n.gets);
      expect(Math.min(...gets)).toBeGreaterThan(0.15 * gets.reduce((a, b) => a + b, 0));
    }
  });

  it("clients take the dead node out of the ring once", () => {
    for (const c of [ring, modn]) {
      expect(c.cluster.ejections).toBe(1);
      expect(c.cluster.nodes[1].alive).toBe(false);
      expect(c.cluster.nodes[1].inRing).toBe(false);
    }
  });

  it("mod N remaps most keys: its database takes several times the ring's miss storm", () => {
    const ringStorm = excess(db(r, "db-ring").series.arrivals, 30, 36);
    const modnStorm = excess(db(r, "db-modn").series.arrivals, 30, 36);
    expect(ringStorm).toBeGreaterThan(0);
    expect(modnStorm).toBeGreaterThan(2 * ringStorm);
    // and its hit ratio falls much further in the seconds after the failure
    const dip = (c: Cache) => Math.min(...c.series.hitRatio.slice(30, 35));
    expect(dip(modn)).toBeLessThan(dip(ring) - 0.1);
  });
});

const cluster = (extra: string, faults: string) => `
duration: 40s
seed: 3
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 2000/s }
    routes: [{ route: r, keys: { count: 4k, popularity: zipf(0.8) } }]
  api: { kind: service, instances: 2, concurrency: 200, routes: { r: [{ read: db, cache: kv }] } }
  kv: { kind: cache, nodes: 4, capacity: 2k, ejectAfter: 1s${extra} }
  db: { kind: database, connections: 200 }
faults: [${faults}]
`;

describe("replicas per cache node", () => {
  it("a replica takes over with what it was sent: no remap and a far smaller storm than losing the node", () => {
    const without = runText(cluster("", "{ kill: kv, instance: 1, at: 20s }"));
    // instance 2 is node 1's primary when each node has one replica
    const withReplica = runText(
      cluster(", replicas: 1, failoverAfter: 1s", "{ kill: kv, instance: 2, at: 20s }"),
    );
    const c = cache(withReplica, "kv");
    expect(c.cluster.failovers).toBe(1);
    expect(c.cluster.ejections).toBe(0);
    expect(c.cluster.nodes[3].role).toBe("primary");
    expect(c.cluster.nodes[3].entries).toBeGreaterThan(0.5 * c.cluster.nodes[1].entries);
    const lost = excess(db(without, "db").series.arrivals, 20, 35);
    const replaced = excess(db(withReplica, "db").series.arrivals, 20, 35);
    expect(replaced).toBeLessThan(0.5 * lost);
  });

  it("a restarted node comes back empty and rejoins the ring", () => {
    const r = runText(cluster("", "{ kill: kv, instance: 0, at: 10s, for: 10s }"));
    const c = cache(r, "kv");
    expect(c.cluster.ejections).toBe(1);
    expect(c.cluster.rejoins).toBe(1);
    expect(c.cluster.nodes[0].inRing).toBe(true);
    // it filled again after it came back: about its share of the keys
    expect(c.cluster.nodes[0].entries).toBeGreaterThan(500);
    expect(r.requests.failed).toBe(0);
  });

  it("every node holds its own capacity: four nodes of 2k hold all 4k keys, one node of 2k does not", () => {
    const four = cache(runText(cluster("", "")), "kv");
    const one = cache(runText(cluster("", "").replace("nodes: 4", "nodes: 1")), "kv");
    expect(four.entries).toBeGreaterThan(3900);
    expect(one.entries).toBeLessThanOrEqual(2000);
    expect(four.hitRatio).toBeGreaterThan(one.hitRatio + 0.05);
  });
});

describe("a replica that rejoins resyncs in full first", () => {
  // node 1's primary (instance 2) dies at 10s and its replica (3) takes over
  // at 11s; instance 2 comes back at 15s as 3's replica and copies 3's data
  // (about 1,000 keys of 1KiB) at resyncBandwidth. Then 3 dies too: during
  // the resync (20s) or after it (35s).
  const run = (secondKill: number, bandwidth = "100KB/s") =>
    runText(
      cluster(
        `, replicas: 1, failoverAfter: 1s, resyncBandwidth: ${bandwidth}`,
        `{ kill: kv, instance: 2, at: 10s, for: 5s }, { kill: kv, instance: 3, at: ${secondKill}s }`,
      ),
    );
  const during = run(20);
  const after = run(35);

  it("takes time proportional to the data: half the bandwidth, twice the time", () => {
    const c = cache(after, "kv").cluster;
    expect(c.resyncs).toBe(1);
    // the primary's data when the resync began, at 100 KB/s
    expect(c.resyncMs).toBeGreaterThan(0);
    const slow = cache(run(35, "50KB/s"), "kv").cluster;
    expect(slow.resyncMs).toBeCloseTo(2 * c.resyncMs, 6);
    // ~1,000 keys of 1KiB at 100 KB/s: about 10s, ending before the second kill at 35s
    expect(c.resyncMs).toBeLessThan(20_000);
  });

  it("after the resync, the replica holds the data and takes over again: no ejection", () => {
    const c = cache(after, "kv").cluster;
    expect(c.failovers).toBe(2);
    expect(c.ejections).toBe(0);
    expect(c.unpromotable).toBe(0);
    expect(c.nodes[2].role).toBe("primary");
    // it took over with (at least) what 3 held when the resync began
    expect(c.nodes[2].entries).toBeGreaterThan(0.9 * c.nodes[3].entries);
  });

  it("during the resync, it holds nothing to take over with: it is passed over and the node is lost", () => {
    const c = cache(during, "kv").cluster;
    expect(c.failovers).toBe(1);
    expect(c.unpromotable).toBe(1);
    expect(c.ejections).toBe(1);
    expect(c.nodes[2].syncing).toBe(false);
    // both lose node 1's keys for the 1s before the failover decision; losing
    // the node then remaps them to nodes that never held them: a miss storm on
    // top, which the completed resync avoids
    const lost = excess(db(during, "db").series.arrivals, 20, 25);
    const kept = excess(db(after, "db").series.arrivals, 35, 40);
    expect(kept).toBeGreaterThan(0);
    expect(lost).toBeGreaterThan(kept);
  });
});

describe("cache cluster settings are checked", () => {
  const base = (kv: string, faults = "") => `
duration: 1s
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 1/s }, routes: [{ route: r }] }
  api: { kind: service, routes: { r: [{ read: db, cache: kv }] } }
  kv: ${kv}
  db: { kind: database }
${faults}`;

  it("rejects options that belong to another sharding, policy or layout", () => {
    expect(rejection(base("{ kind: cache, capacity: 1k, nodes: 2, sharding: hash, vnodes: 10 }"))).toMatch(
      /bad\.yaml:6:\d+: vnodes applies to sharding: consistent-hash/,
    );
    expect(rejection(base("{ kind: cache, capacity: 1k, agingWindow: 100 }"))).toMatch(
      /agingWindow applies to eviction: lfu-aging/,
    );
    expect(rejection(base("{ kind: cache, capacity: 1k, doorkeeper: true, eviction: lru }"))).toMatch(
      /doorkeeper applies to eviction: w-tinylfu/,
    );
    expect(rejection(base("{ kind: cache, capacity: 1k, failoverAfter: 2s }"))).toMatch(
      /failoverAfter applies to a cache with replicas/,
    );
    expect(rejection(base("{ kind: cache, capacity: 1k, resyncBandwidth: 1Gbps }"))).toMatch(
      /resyncBandwidth applies to a cache with replicas/,
    );
  });

  it("counts every node and replica when a fault names an instance", () => {
    expect(
      rejection(
        base(
          "{ kind: cache, capacity: 1k, nodes: 2, replicas: 1 }",
          "faults: [{ kill: kv, instance: 4, at: 0s }]",
        ),
      ),
    ).toMatch(/instance 4 does not exist: "kv" has 4 \(0\.\.3\)/);
  });
});

describe("an in-process L1 in front of the shared cache (localCache, l1)", () => {
  const design = (l1: boolean, writes = 0) => `
duration: 20s
seed: 5
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 5000/s }
    routes:
      - { route: read, weight: ${100 - writes}, keys: { count: 10 } }
      ${writes > 0 ? `- { route: write, weight: ${writes}, keys: { count: 10 } }` : ""}
  api:
    kind: service
    instances: 4
    concurrency: 500
    ${l1 ? "localCache: { capacity: 100, ttl: 1s }" : ""}
    routes:
      read: [{ read: db, cache: l2${l1 ? ", l1: true" : ""} }]
      write: [{ write: db, cache: l2 }]
  l2: { kind: cache, capacity: 1k }
  db: { kind: database, connections: 500 }
`;
  type Svc = { localCache: { gets: number; hits: number; hitRatio: number } };

  it("takes a hot key's load off the shared cache about a hundredfold: one fetch per instance per TTL", () => {
    const without = runText(design(false));
    const withL1 = runText(design(true));
    const l2 = (r: Report) => cache(r, "l2").gets;
    expect(l2(without)).toBeGreaterThan(0.95 * without.requests.total);
    // 10 keys x 4 instances, each fetched about once a second for 20s, plus misses while a fetch is in flight
    expect(l2(withL1)).toBeLessThan(without.requests.total / 100);
    expect(l2(withL1)).toBeGreaterThanOrEqual(10 * 4 * 19);
    const svc = withL1.components.api as unknown as Svc;
    expect(svc.localCache.hitRatio).toBeGreaterThan(0.98);
    // and the answers come sooner: no hop to the shared cache
    expect(withL1.latencyMs.p50).toBeLessThan(without.latencyMs.p50);
  });

  it("is incoherent: a write drops only the writer's copy, so the other instances serve stale reads until their TTL", () => {
    const stale = (r: Report) => r.consistency!.staleReads / r.consistency!.reads;
    const without = runText(design(false, 5));
    const withL1 = runText(design(true, 5));
    expect(stale(withL1)).toBeGreaterThan(0.2);
    expect(stale(withL1)).toBeGreaterThan(10 * stale(without));
  });

  it("must be declared on the service a read step asks it from", () => {
    const text = design(true).replace("localCache: { capacity: 100, ttl: 1s }", "");
    expect(rejection(text)).toMatch(/l1 asks the in-process cache, but service "api" has none/);
  });
});

describe("a hot key replicated over several nodes (hotKeys)", () => {
  const design = (hot: string) => `
duration: 5s
seed: 9
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 30000/s }
    routes:
      - { route: r, weight: 99, keys: { count: 1 } }
      - { route: w, weight: 1, keys: { count: 1 } }
  api:
    kind: service
    instances: 8
    concurrency: 1000
    routes:
      r: [{ read: db, cache: kv }]
      w: [{ write: db, cache: kv }]
  kv: { kind: cache, profile: redis, nodes: 4, capacity: 1k${hot} }
  db: { kind: database, connections: 1000 }
`;
  type Node = { gets: number };
  const single = runText(design(""));
  const spread = runText(design(", hotKeys: { top: 1, copies: 4 }"));

  it("spreads one key's load over its copies instead of saturating one node", () => {
    const gets = (r: Report) => (cache(r, "kv").cluster.nodes as Node[]).map((n) => n.gets);
    // one node takes every lookup of the key, busy while the others idle
    expect(gets(single).filter((g) => g > 0)).toHaveLength(1);
    const g = gets(spread);
    const total = g.reduce((a, b) => a + b, 0);
    // four copies, chosen at random per lookup: each within 5 binomial standard errors of a quarter
    for (const x of g) expect(Math.abs(x - total / 4)).toBeLessThan(5 * Math.sqrt(total * 0.25 * 0.75));
    expect(spread.latencyMs.p99).toBeLessThan(single.latencyMs.p99);
  });

  it("an invalidation reaches every copy: no more stale reads than with one copy", () => {
    const stale = (r: Report) => r.consistency!.staleReads;
    // the races between a fill and an invalidation remain; copies missed by a delete would add thousands
    expect(stale(spread)).toBeLessThan(2 * stale(single) + 100);
  });
});

describe("the whole cache cluster lost (avalanche) and the in-process L1 as a defence", () => {
  const design = (l1: boolean) => `
duration: 30s
seed: 12
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 3000/s }
    routes: [{ route: r, keys: { count: 2k, popularity: zipf(1.0) } }]
  api:
    kind: service
    instances: 4
    concurrency: 500
    ${l1 ? "localCache: { capacity: 200, ttl: 2s }" : ""}
    routes: { r: [{ read: db, cache: kv${l1 ? ", l1: true" : ""} }] }
  kv: { kind: cache, nodes: 2, capacity: 2k }
  db: { kind: database, connections: 500 }
faults:
  - { kill: kv, instance: 0, at: 15s }
  - { kill: kv, instance: 1, at: 15s }
`;
  const dbRate = (r: Report, from: number, to: number) => mean(db(r, "db").series.arrivals.slice(from, to));

  it("sends every lookup to the database once the cluster is gone; an L1 keeps absorbing the hot keys", () => {
    const bare = runText(design(false));
    const tiered = runText(design(true));
    // before: the cluster answers nearly everything; after: the database takes all of it
    expect(dbRate(bare, 20, 29)).toBeGreaterThan(0.95 * 3000);
    expect(dbRate(bare, 20, 29)).toBeGreaterThan(10 * dbRate(bare, 8, 14));
    // the L1 still serves Zipf's head from every instance: the database sees a fraction
    expect(dbRate(tiered, 20, 29)).toBeLessThan(0.5 * dbRate(bare, 20, 29));
    expect(tiered.requests.failed).toBe(0);
  });
});

describe("the L1 and keys that exist nowhere", () => {
  it("keeps only answers that found something: every lookup of a missing key goes on to the shared cache", () => {
    const r = runText(`
duration: 10s
seed: 4
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 2000/s }
    routes: [{ route: r, keys: { count: 50, missing: 50% } }]
  api:
    kind: service
    localCache: { capacity: 1k, ttl: 5s }
    concurrency: 100
    routes: { r: [{ read: db, cache: kv, l1: true }] }
  kv: { kind: cache, capacity: 1k }
  db: { kind: database }
`);
    const svc = r.components.api as unknown as {
      localCache: { gets: number; hits: number; entries: number };
    };
    // about half the lookups are for missing keys, and all of those miss the L1
    expect(svc.localCache.hits).toBeLessThan(0.55 * svc.localCache.gets);
    expect(svc.localCache.hits).toBeGreaterThan(0.4 * svc.localCache.gets);
    expect(svc.localCache.entries).toBeLessThanOrEqual(50);
  });
});
