// A leaderless store over two datacenters (Cassandra's NetworkTopologyStrategy
// and its LOCAL_ONE / LOCAL_QUORUM / EACH_QUORUM levels): where the replicas
// of a key are, what a partition between the datacenters does to each level,
// how far the two sides drift apart and how they converge after the heal.
import { describe, expect, it } from "vitest";
import type { QuorumStore } from "../src/components/quorum-store.js";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import { HashRing, hash32 } from "../src/mechanisms/hashing.js";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

type Kv = {
  r: number | string;
  w: number | string;
  replication: Record<string, number>;
  replicationFactor: number;
  writes: number;
  divergentKeys: number;
  unconvergedWrites: number;
  convergenceMs: { count: number; p50: number; max: number };
  series: Record<string, number[]>;
};
const kv = (r: Report) => r.components.kv as unknown as Kv;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

const FILE = "examples/data/multi-dc.yaml";

describe("placement per datacenter", () => {
  // 10 nodes over two regions, unevenly: us-east holds nodes 0, 2, 4, 6, 8, 9
  const design = `
duration: 1s
network: { regions: { us-east: [us-a, us-b], eu-west: [eu-a] } }
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 1/s }, routes: [{ route: x }] }
  api: { kind: service, zone: us-a, routes: { x: [{ read: kv }] } }
  kv:
    kind: quorum-store
    nodes: 10
    vnodes: 8
    zones: [us-a, eu-a, us-b, eu-a, us-a, eu-a, us-b, eu-a, us-a, us-b]
    replication: { us-east: 3, eu-west: 2 }
`;

  it("puts a key's copies of each datacenter on its first distinct nodes clockwise from the key", () => {
    const { design: d } = loadDesign(design, "placement.yaml");
    const sim = buildSimulation(d, 1).sim;
    const store = sim.components.find((c) => c.name === "kv") as QuorumStore;
    const region = (node: number) => (store.zoneOf(node) === sim.net.zone("eu-a") ? "eu-west" : "us-east");
    const ring = new HashRing(
      Array.from({ length: 10 }, (_, i) => i),
      8,
    );
    for (let key = 0; key < 300; key++) {
      // walk the ring from the key's position, keeping each region's first nodes
      const want: number[] = [];
      const quota: Record<string, number> = { "us-east": 3, "eu-west": 2 };
      for (let j = ring.successor(hash32(key)); want.length < 5; j = (j + 1) % ring.owners.length) {
        const o = ring.owners[j];
        if (!want.includes(o) && quota[region(o)] > 0) {
          quota[region(o)]--;
          want.push(o);
        }
      }
      expect(store.preferenceList(key)).toEqual(want);
    }
  });

  it("reports the replication it was given, N being the sum", () => {
    const r = runText(design, [], { seed: 1 });
    expect(kv(r).replication).toEqual({ "us-east": 3, "eu-west": 2 });
    expect(kv(r).replicationFactor).toBe(5);
  });
});

describe("a partition between datacenters (examples/data/multi-dc.yaml)", () => {
  const r = runFile(FILE);
  const route = (name: string) => r.routes[name];
  const local = ["PUT /us", "GET /us/local", "PUT /eu", "GET /eu/local"];
  const global = ["GET /us/global", "GET /eu/global"];

  it("keeps LOCAL_QUORUM reads and writes available on both sides", () => {
    expect(kv(r).r).toBe("local-quorum");
    expect(kv(r).w).toBe("local-quorum");
    for (const name of local) {
      expect(route(name).requests.total, name).toBeGreaterThan(1000);
      expect(route(name).requests.failed, name).toBe(0);
    }
  });

  it("fails QUORUM (4 of 6) reads on both sides while it lasts, and only then", () => {
    for (const name of global) {
      const q = route(name).requests;
      // a third of the run is partitioned: 10s of 30s
      expect(q.failed / q.total, name).toBeGreaterThan(0.28);
      expect(q.failed / q.total, name).toBeLessThan(0.38);
      expect(q.byOutcome["quorum-failed"], name).toBeGreaterThan(0.95 * q.failed);
    }
    const errors = r.series["errors:quorum-failed"];
    expect(sum(errors.slice(0, 10))).toBe(0);
    expect(sum(errors.slice(21))).toBe(0);
    for (let s = 10; s < 20; s++) expect(errors[s]).toBeGreaterThan(0);
  });

  it("serves LOCAL_QUORUM reads fast and QUORUM reads a cross-region round trip later", () => {
    // one-way 40ms median between the regions: a quorum of 4 always waits for one
    for (const [l, g] of [
      ["GET /us/local", "GET /us/global"],
      ["GET /eu/local", "GET /eu/global"],
    ]) {
      expect(route(l).latencyMs.p99 * 4).toBeLessThan(route(g).latencyMs.p50);
      expect(route(g).latencyMs.p50).toBeGreaterThan(60);
    }
  });

  it("lets the datacenters diverge: local reads of the other side's writes are stale while it lasts", () => {
    const stale = kv(r).series.staleReads;
    const during = sum(stale.slice(10, 20));
    const outside = sum(stale) - during;
    // outside the partition only reads racing a write still crossing the link are stale
    expect(during).toBeGreaterThan(10 * outside);
    for (const name of ["GET /us/local", "GET /eu/local"])
      expect(r.consistency!.byRoute[name].staleRate, name).toBeGreaterThan(0.02);
  });

  it("converges after the heal: writes made during the partition wait for it, others for one crossing", () => {
    const k = kv(r);
    expect(k.convergenceMs.count + k.unconvergedWrites).toBe(k.writes);
    // the first writes cut off waited out the 10s partition, then at most one
    // 2s anti-entropy round and the crossing
    expect(k.convergenceMs.max).toBeGreaterThan(9500);
    expect(k.convergenceMs.max).toBeLessThan(12_500);
    // two thirds of the writes were made outside it: a crossing (40ms median one-way)
    expect(k.convergenceMs.p50).toBeLessThan(200);
    // at the end, only the writes of the last moments are still crossing
    expect(k.unconvergedWrites).toBeLessThan(50);
    expect(k.divergentKeys).toBeLessThanOrEqual(k.unconvergedWrites);
  });

  it("stays diverged without anti-entropy or read repair, and converges with either", () => {
    const off = ["components.kv.readRepair=false", "components.kv.antiEntropy=0s"];
    const none = kv(runFile(FILE, off));
    const repairOnly = kv(runFile(FILE, ["components.kv.antiEntropy=0s"]));
    const entropyOnly = kv(runFile(FILE, ["components.kv.readRepair=false"]));
    // keys written on one side during the partition and not written again since
    expect(none.divergentKeys).toBeGreaterThan(100);
    expect(none.unconvergedWrites).toBeGreaterThan(none.divergentKeys);
    // QUORUM reads after the heal see both sides and repair what they read
    expect(repairOnly.divergentKeys).toBeLessThan(none.divergentKeys / 2);
    // anti-entropy leaves only the writes of the last moments, still crossing
    expect(entropyOnly.divergentKeys).toBeLessThanOrEqual(entropyOnly.unconvergedWrites);
    expect(entropyOnly.unconvergedWrites).toBeLessThan(50);
  });

  it("without the partition, converges within a crossing and fails nothing", () => {
    const calm = runFile(FILE, ["faults.0.at=60s"]);
    expect(calm.requests.failed).toBe(0);
    expect(kv(calm).convergenceMs.max).toBeLessThan(500);
  });
});

describe("consistency levels across datacenters", () => {
  // one service per region; writes and reads at each level, the link cut from 4s to 8s
  const design = `
duration: 12s
seed: 5
network:
  regions: { us: [us-a, us-b], eu: [eu-a, eu-b] }
  latency: { crossRegion: 40ms, client: 0ms }
components:
  users-us:
    kind: workload
    target: api-us
    arrival: { process: poisson, rate: 400/s }
    routes:
      - { route: PUT quorum, keys: { count: 200 } }
      - { route: PUT each, keys: { count: 200 } }
      - { route: PUT local, keys: { count: 200 } }
      - { route: GET local-one, keys: { count: 200 } }
      - { route: GET each, keys: { count: 200 } }
  users-eu:
    kind: workload
    target: api-eu
    arrival: { process: poisson, rate: 100/s }
    routes: [{ route: GET local, keys: { count: 200 } }]
  api-us:
    kind: service
    zones: [us-a]
    concurrency: 500
    routes:
      PUT quorum: [{ write: kv, consistency: quorum }]
      PUT each: [{ write: kv, consistency: each-quorum }]
      PUT local: [{ write: kv, consistency: local-quorum }]
      GET local-one: [{ read: kv, consistency: local-one }]
      GET each: [{ read: kv, consistency: each-quorum }]
  api-eu:
    kind: service
    zones: [eu-a]
    concurrency: 500
    routes:
      GET local: [{ read: kv, consistency: local-quorum }]
  kv:
    kind: quorum-store
    nodes: 6
    zones: [us-a, eu-a, us-b, eu-b]
    replication: { us: 3, eu: 3 }
faults:
  - { partition: [eu], at: 4s, for: 4s }
`;
  const r = runText(design);

  it("QUORUM and EACH_QUORUM fail while the datacenters are apart, LOCAL levels do not", () => {
    for (const name of ["PUT quorum", "PUT each", "GET each"]) {
      const q = r.routes[name].requests;
      expect(q.failed / q.total, name).toBeGreaterThan(0.25);
      expect(q.failed / q.total, name).toBeLessThan(0.45);
    }
    for (const name of ["PUT local", "GET local-one", "GET local"])
      expect(r.routes[name].requests.failed, name).toBe(0);
    const failures = r.series["errors:quorum-failed"];
    expect(sum(failures.slice(0, 4))).toBe(0);
    expect(sum(failures.slice(9))).toBe(0);
  });

  it("EACH_QUORUM waits for the far datacenter; LOCAL_QUORUM and LOCAL_ONE do not", () => {
    const p50 = (name: string) => r.routes[name].latencyMs.p50;
    // a round trip to eu is 80ms
    expect(p50("PUT each")).toBeGreaterThan(80);
    expect(p50("GET each")).toBeGreaterThan(80);
    expect(p50("PUT quorum")).toBeGreaterThan(80);
    expect(p50("PUT local")).toBeLessThan(20);
    expect(p50("GET local-one")).toBeLessThan(p50("PUT local") + 1);
  });

  it("eu's LOCAL_QUORUM reads miss us writes during the partition; us's EACH_QUORUM reads never do", () => {
    const by = r.consistency!.byRoute;
    expect(by["GET local"].staleReads).toBeGreaterThan(by["GET local"].reads * 0.05);
    // an EACH_QUORUM read overlaps the quorum every acknowledged local write left in us
    expect(by["GET each"].reads).toBeGreaterThan(200);
    expect(by["GET each"].staleReads).toBe(0);
  });
});

describe("a caller in a region without replicas", () => {
  it("fails LOCAL levels with quorum-failed, and gets QUORUM through a node of its region", () => {
    const r = runText(`
duration: 2s
network: { regions: { us: [us-a], eu: [eu-a], ap: [ap-a] } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 200/s }
    routes: [{ route: local, keys: { count: 100 } }, { route: quorum, keys: { count: 100 } }]
  api:
    kind: service
    zone: ap-a
    concurrency: 100
    routes:
      local: [{ read: kv, consistency: local-quorum }]
      quorum: [{ read: kv, consistency: quorum }]
  kv: { kind: quorum-store, nodes: 5, zones: [us-a, eu-a, ap-a], replication: { us: 2, eu: 2 } }
`);
    const local = r.routes.local.requests;
    expect(local.total).toBeGreaterThan(100);
    expect(local.byOutcome["quorum-failed"]).toBe(local.failed);
    expect(local.failed).toBe(local.total - local.inFlight);
    expect(r.routes.quorum.requests.failed).toBe(0);
  });
});

describe("sloppy quorum with datacenters", () => {
  it("hands a dead replica's writes to a stand-in of its own datacenter", () => {
    // four nodes per region, three copies in each: a stand-in can be found in either
    const r = runText(`
duration: 3s
network:
  regions: { us: [us-a, us-b], eu: [eu-a, eu-b] }
  latency: { crossRegion: 40ms }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 300/s }
    routes: [{ route: w, keys: { count: 500 } }]
  api: { kind: service, zone: us-a, concurrency: 200, routes: { w: [{ write: kv }] } }
  kv:
    kind: quorum-store
    nodes: 8
    zones: [us-a, eu-a, us-b, eu-b]
    replication: { us: 3, eu: 3 }
    w: all
    hintedHandoff: true
faults:
  - { kill: kv, instance: 0, at: 1s }
  - { kill: kv, instance: 1, at: 1s }
`);
    // only the calls in flight on the two nodes as they died fail (W = all stays available)
    expect(r.requests.failed).toBeLessThan(30);
    expect(r.series.errors[0] + r.series.errors[2]).toBe(0);
    const nodes = (r.components.kv as unknown as { nodes: { zone: string; hints: number }[] }).nodes;
    // node 0 is in us, node 1 in eu: each one's hints stay in its own region
    const held = (region: string) => sum(nodes.filter((n) => n.zone.startsWith(region)).map((n) => n.hints));
    expect(held("us")).toBeGreaterThan(50);
    expect(held("eu")).toBeGreaterThan(50);
    expect(nodes[0].hints + nodes[1].hints).toBe(0);
  });
});

describe("replication per datacenter is checked", () => {
  const base = (store: string, extra = "") => `
duration: 1s
network: { regions: { us-east: [us-a, us-b], eu-west: [eu-a] } }
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 1/s }, routes: [{ route: x }] }
  api: { kind: service, zone: us-a, routes: { x: [{ read: kv${extra} }] } }
  kv: ${store}
`;

  it("rejects more copies in a datacenter than it has nodes, with the place and a hint", () => {
    const msg = rejection(
      base(
        "{ kind: quorum-store, nodes: 6, zones: [us-a, eu-a, us-b], replication: { us-east: 3, eu-west: 3 } }",
      ),
    );
    expect(msg).toMatch(
      /bad\.yaml:7:\d+: 3 copies of each key in eu-west need 3 nodes there; the store has 2/,
    );
    expect(msg).toMatch(/expected: at most 2/);
    expect(msg).toMatch(/hint: raise nodes/);
    expect(rejection(base("{ kind: quorum-store, zones: [us-a], replication: { eu-west: 1 } }"))).toMatch(
      /hint: list a zone of eu-west \(eu-a\) in zones/,
    );
  });

  it("rejects a datacenter that is not a region, with a suggestion", () => {
    const msg = rejection(base("{ kind: quorum-store, zones: [us-a, eu-a], replication: { eu-wset: 1 } }"));
    expect(msg).toMatch(/bad\.yaml:7:\d+: unknown region "eu-wset"/);
    expect(msg).toMatch(/did you mean eu-west\?/);
  });

  it("rejects datacenter levels on a store without datacenters, suggesting the plain level", () => {
    const msg = rejection(base("{ kind: quorum-store }", ", consistency: local-quorum"));
    expect(msg).toMatch(/bad\.yaml:6:\d+: local-quorum counts replicas per datacenter/);
    expect(msg).toMatch(/did you mean quorum\?/);
    expect(rejection(base("{ kind: quorum-store, r: local-one }"))).toMatch(
      /bad\.yaml:7:\d+: local-one .*\n.*did you mean one\?/,
    );
  });

  it("rejects replication next to replicationFactor, and counts beyond their sum", () => {
    expect(
      rejection(
        base(
          "{ kind: quorum-store, zones: [us-a, eu-a], replicationFactor: 2, replication: { us-east: 1 } }",
        ),
      ),
    ).toMatch(/replicationFactor and replication both set/);
    expect(
      rejection(
        base(
          "{ kind: quorum-store, nodes: 4, zones: [us-a, eu-a], replication: { us-east: 1, eu-west: 2 }, w: 4 }",
        ),
      ),
    ).toMatch(/a quorum of 4 cannot be met: each key has 3 replicas/);
  });
});
