// Leaderless quorums and network partitions through design files: the
// stale-read rate against latency for (R, W) choices, what a partition does to
// calls and to replication, CP against AP under the same partition, and
// DynamoDB's eventual and strong reads priced in capacity units.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

type Store = {
  consistency: { staleReads: number; lostAcknowledgedWrites: number; reads: number };
  hintsStored: number;
  hintsReplayed: number;
  hintsPending: number;
  failover: { failovers: number };
  series: Record<string, number[]>;
};

describe("quorums (examples/data/quorum.yaml)", () => {
  const r = runFile("examples/data/quorum.yaml", [], { durationMs: 30_000 });
  const by = r.consistency!.byRoute;

  it("R + W <= N gives stale reads at a measured rate; R + W > N gives none", () => {
    expect(by["GET /11"].reads).toBeGreaterThan(20_000);
    // ~0.85% over a 60s run; the lower bound is far below it, and far above zero
    expect(by["GET /11"].staleRate).toBeGreaterThan(0.002);
    expect(by["GET /22"].staleReads).toBe(0);
    expect(by["GET /13"].staleReads).toBe(0);
  });

  it("pays for it in latency: waiting for more replicas waits for slower ones", () => {
    const p99 = (route: string) => r.routes[route].latencyMs.p99;
    expect(p99("GET /22")).toBeGreaterThan(p99("GET /11") * 1.3);
    expect(p99("PUT /22")).toBeGreaterThan(p99("PUT /11") * 1.3);
    // W = 3 waits for the slowest of three: its p99 is the replicas' own tail
    expect(p99("PUT /13")).toBeGreaterThan(p99("PUT /22") * 2);
    // R = 1 reads of kv-13 are as fast as kv-11's
    expect(Math.abs(p99("GET /13") - p99("GET /11"))).toBeLessThan(p99("GET /11") * 0.2);
    expect(r.requests.failed).toBe(0);
  });
});

describe("network partitions", () => {
  const calls = `
duration: 10s
network:
  regions: { r: [a, b] }
  latency: { sameZone: 0ms, crossZone: 1ms, client: 0ms }
components:
  users:
    kind: workload
    target: front
    arrival: { process: constant, rate: 100/s }
    routes: [{ route: x }]
  front: { kind: service, zone: a, concurrency: 1000, routes: { x: [{ call: back }] } }
  back: { kind: service, zone: b, concurrency: 1000, routes: { x: [{ compute: 1ms }] } }
faults:
  - { partition: [b], at: 2s, for: 3s, timeout: 500ms }
`;

  it("loses calls across the cut: the caller fails them with timeout after the partition's timeout", () => {
    const r = runText(calls, [], { seed: 1 });
    // requests sent during the 3s partition fail, the others succeed
    expect(r.requests.byOutcome.timeout).toBe(300);
    expect(r.requests.ok + r.requests.inFlight).toBe(r.requests.total - 300);
    // a failure takes the timeout to arrive: failures answered in seconds 3-5 and the first half of 6
    const errors = r.series.errors;
    expect(errors[2] + errors[3] + errors[4] + errors[5]).toBe(300);
    expect(errors[5]).toBe(50);
    expect(r.faults[0].description).toBe("partition b from the rest");
  });

  it("makes a cut-off replica's lag grow without bound, and replication resumes when it heals", () => {
    const text = `
duration: 30s
network:
  regions: { r: [a, b] }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 200/s }
    routes: [{ route: w, keys: { count: 1k } }]
  api: { kind: service, zone: a, concurrency: 100, routes: { w: [{ write: db }] } }
  db: { kind: database, replicas: 1, zones: [a, b] }
faults:
  - { partition: [b], at: 10s, for: 10s }
`;
    const r = runText(text, [], { seed: 2 });
    const lag = (r.components.db as unknown as Store).series["lagMs:1"];
    // sampled at the end of each second: lag = time since the partition began
    for (let s = 10; s < 19; s++) {
      expect(lag[s]).toBeGreaterThan((s + 1 - 10) * 1000 - 50);
      expect(lag[s]).toBeLessThanOrEqual((s + 1 - 10) * 1000);
    }
    expect(Math.max(...lag.slice(21))).toBeLessThan(50);
    expect(r.requests.failed).toBe(0);
  });

  it("split brain: without fencing a cut-off primary keeps accepting writes, all lost when it rejoins", () => {
    const text = (fencing: boolean) => `
duration: 60s
network:
  regions: { r: [a, b, c] }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 600/s }
    population: { users: 5000 }
    routes: [{ route: w, keys: { count: 10k } }, { route: r, keys: { count: 10k } }]
  api:
    kind: service
    instances: 3
    zones: [a, b, c]
    concurrency: 200
    routes:
      w: [{ write: db }]
      r: [{ read: db, from: replica }]
  db:
    kind: database
    replicas: 2
    zones: [a, b, c]
    failover: { timeout: 3s, heartbeat: 500ms, fencing: ${fencing} }
faults:
  - { partition: [a], at: 20s, for: 20s }
`;
    type F = {
      consistency: { lostAcknowledgedWrites: number };
      failover: { splitBrainWrites: number; splitBrainKeys: number; failovers: number };
      replication: { divergentKeys: number; nodes: { role: string }[] };
    };
    const fenced = runText(text(true), [], { seed: 3 });
    const open = runText(text(false), [], { seed: 3 });
    const f = fenced.components.db as unknown as F;
    const o = open.components.db as unknown as F;
    for (const d of [f, o]) expect(d.failover.failovers).toBe(1);
    // zone a's clients never learn of the new primary: fenced, their writes are refused
    const refused = fenced.routes.w.requests.byOutcome["not-primary"];
    expect(refused).toBeGreaterThan(1000);
    expect(f.failover.splitBrainWrites).toBe(0);
    // unfenced, the old primary takes exactly those writes, and they are lost on rejoining
    expect(o.failover.splitBrainWrites).toBe(refused);
    expect(open.routes.w.requests.byOutcome["not-primary"] ?? 0).toBe(0);
    expect(o.failover.splitBrainKeys).toBeGreaterThan(0);
    expect(o.consistency.lostAcknowledgedWrites).toBe(f.consistency.lostAcknowledgedWrites + refused);
    // after the partition heals the old primary is rebuilt as a replica: no divergence left
    expect(o.replication.divergentKeys).toBe(0);
    expect(o.replication.nodes[0].role).toBe("replica");
  });

  it("rejects partitions of unknown places or of everything", () => {
    const base = `
duration: 1s
network: { regions: { r: [a, b] } }
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 1/s }, routes: [{ route: x }] }
  api: { kind: service, routes: { x: [{ compute: 1ms }] } }
faults:
`;
    const problems = (fault: string) => rejection(`${base}  - ${fault}\n`, "p.yaml");
    expect(problems("{ partition: [c], at: 0s }")).toMatch(
      /p\.yaml:8:\d+: "c" is neither a zone nor a region/,
    );
    expect(problems("{ partition: [r], at: 0s }")).toMatch(/the partition holds every zone/);
  });
});

describe("CP and AP under the same partition (examples/data/cap-partition.yaml)", () => {
  const r = runFile("examples/data/cap-partition.yaml", [], { durationMs: 50_000 });
  const accounts = r.components.accounts as unknown as Store;
  const carts = r.components.carts as unknown as Store;
  const errors = r.series.errors;

  it("CP: the minority side fails requests instead of serving stale data, and loses nothing", () => {
    expect(r.routes["PUT /account"].availability).toBeLessThan(0.95);
    expect(r.routes["GET /account"].availability).toBeLessThan(0.95);
    expect(accounts.consistency.staleReads).toBe(0);
    expect(accounts.consistency.lostAcknowledgedWrites).toBe(0);
    expect(accounts.failover.failovers).toBe(1);
    // failures only while the partition lasts (20s-40s, plus the 1s timeout)
    expect(errors.slice(0, 20).every((e) => e === 0)).toBe(true);
    expect(errors.slice(42).every((e) => e === 0)).toBe(true);
  });

  it("AP: both sides keep writing; reads go stale during the partition and hints converge it after", () => {
    expect(r.routes["PUT /cart"].availability).toBe(1);
    const stale = carts.series.staleReads;
    const during = stale.slice(21, 40).reduce((s, x) => s + x, 0);
    const before = stale.slice(0, 20).reduce((s, x) => s + x, 0);
    expect(during).toBeGreaterThan(5 * Math.max(1, before));
    expect(carts.hintsStored).toBeGreaterThan(0);
    expect(carts.hintsReplayed).toBeGreaterThan(0);
    expect(carts.hintsPending).toBe(0);
    expect(carts.consistency.lostAcknowledgedWrites).toBe(0);
  });
});

describe("multi-leader across regions (examples/data/multi-leader.yaml)", () => {
  const r = runFile("examples/data/multi-leader.yaml", [], { durationMs: 30_000 });
  type ML = {
    writes: number;
    conflicts: number;
    lostUpdates: number;
    siblingsReturned: number;
    counterTotal: number;
    incrementsAcknowledged: number;
    backlog: number;
    consistency: { lostAcknowledgedWrites: number };
  };
  const store = (name: string) => r.components[name] as unknown as ML;

  it("concurrent writes to the same key happen: leaders ~40ms apart accept both", () => {
    for (const name of ["docs-lww", "docs-vv", "likes-crdt"]) {
      expect(store(name).conflicts).toBeGreaterThan(100);
      expect(store(name).conflicts).toBeLessThan(store(name).writes);
    }
    expect(r.requests.failed).toBe(0);
  });

  it("last-write-wins silently loses some of them; version vectors keep siblings and lose none", () => {
    const lww = store("docs-lww");
    expect(lww.lostUpdates).toBeGreaterThan(0);
    expect(lww.lostUpdates).toBeLessThanOrEqual(lww.conflicts);
    expect(lww.consistency.lostAcknowledgedWrites).toBe(lww.lostUpdates);
    const vv = store("docs-vv");
    expect(vv.lostUpdates).toBe(0);
    expect(vv.siblingsReturned).toBeGreaterThan(0);
  });

  it("a counter CRDT loses no increment: every leader's total trails the acknowledged ones only by what is in flight", () => {
    const crdt = store("likes-crdt");
    expect(crdt.lostUpdates).toBe(0);
    expect(crdt.incrementsAcknowledged).toBe(crdt.writes);
    expect(crdt.counterTotal).toBeLessThanOrEqual(crdt.incrementsAcknowledged);
    expect(crdt.incrementsAcknowledged - crdt.counterTotal).toBeLessThanOrEqual(crdt.backlog);
  });
});

describe("anti-entropy repair", () => {
  const design = (ae: string) => `
duration: 30s
network: { regions: { r: [a, b, c] } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 500/s }
    routes: [{ route: w, keys: { count: 20k } }]
  api: { kind: service, instances: 3, zones: [a, b, c], concurrency: 200, routes: { w: [{ write: kv }] } }
  kv:
    kind: quorum-store
    nodes: 3
    zones: [a, b, c]
    r: 1
    w: 1
    readRepair: false
    antiEntropy: ${ae}
faults:
  - { partition: [a], at: 5s, for: 10s }
`;
  type KV = { divergentKeys: number; antiEntropyRepairs: number };

  it("converges replicas no read touches; without it the partition's divergence stays", () => {
    const without = runText(design("0s"), [], { seed: 12 }).components.kv as unknown as KV;
    const withAe = runText(design("2s"), [], { seed: 12 }).components.kv as unknown as KV;
    expect(without.divergentKeys).toBeGreaterThan(100);
    expect(without.antiEntropyRepairs).toBe(0);
    expect(withAe.antiEntropyRepairs).toBeGreaterThan(100);
    // what is left is only the writes of the last moments, still on their way
    expect(withAe.divergentKeys).toBeLessThan(without.divergentKeys / 10);
  });
});

describe("hinted handoff window", () => {
  const design = (ttl: string) => `
duration: 40s
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 500/s }
    routes: [{ route: w, keys: { count: 20k } }]
  api: { kind: service, concurrency: 200, routes: { w: [{ write: kv }] } }
  kv: { kind: quorum-store, nodes: 5, r: 1, w: 1, readRepair: false, hintedHandoff: true, hintTtl: ${ttl} }
faults:
  - { kill: kv, instance: 2, at: 5s, for: 20s }
`;
  type KV = {
    hintsStored: number;
    hintsReplayed: number;
    hintsExpired: number;
    hintsPending: number;
    divergentKeys: number;
  };

  it("replays hints within the window; past it they are dropped and the replica stays behind", () => {
    const kept = runText(design("1m"), [], { seed: 13 }).components.kv as unknown as KV;
    const dropped = runText(design("5s"), [], { seed: 13 }).components.kv as unknown as KV;
    expect(kept.hintsStored).toBeGreaterThan(1000);
    expect(kept.hintsExpired).toBe(0);
    expect(kept.hintsPending).toBe(0);
    // the node was down 20s: hints stored in its first 15s are older than 5s when it returns
    expect(dropped.hintsExpired).toBeGreaterThan(kept.hintsReplayed / 2);
    expect(dropped.divergentKeys).toBeGreaterThan(kept.divergentKeys + 500);
  });
});

describe("DynamoDB read modes: eventual and strong reads, in capacity units", () => {
  const design = (valueSize: string) => `
duration: 10s
seed: 4
network: { regions: { r: [a, b, c] } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 1500/s }
    routes:
      - { route: PUT, weight: 1, keys: { count: 200 } }
      - { route: GET eventual, weight: 2, keys: { count: 200 } }
      - { route: GET strong, weight: 1, keys: { count: 200 } }
  api:
    kind: service
    instances: 3
    zones: [a, b, c]
    concurrency: 500
    routes:
      PUT: [{ write: table }]
      GET eventual: [{ read: table, consistency: one }]
      GET strong: [{ read: table, consistency: quorum }]
  table:
    kind: quorum-store
    zones: [a, b, c]
    readTime: "lognormal(median=1ms, p99=20ms)"
    writeTime: "lognormal(median=1ms, p99=20ms)"
    valueSize: ${valueSize}
`;
  type Table = {
    reads: number;
    writes: number;
    capacityUnits: { read: number; write: number; strongReads: number; eventualReads: number };
  };
  const table = (r: Report) => r.components.table as unknown as Table;
  const small = runText(design("1KiB"));
  const large = runText(design("6KiB"));

  it("counts each read as strong (a majority of N) or eventual (one replica)", () => {
    const t = table(small);
    const by = small.consistency!.byRoute;
    expect(t.capacityUnits.strongReads + t.capacityUnits.eventualReads).toBe(t.reads);
    // the store counts a read when it answers, the checker when the caller receives it
    expect(Math.abs(t.capacityUnits.strongReads - by["GET strong"].reads)).toBeLessThan(5);
    expect(Math.abs(t.capacityUnits.eventualReads - by["GET eventual"].reads)).toBeLessThan(5);
  });

  it("charges a strong read a unit per 4 KiB, an eventual one half, a write a unit per KiB", () => {
    const s = table(small);
    expect(s.capacityUnits.read).toBe(s.capacityUnits.strongReads + s.capacityUnits.eventualReads / 2);
    expect(s.capacityUnits.write).toBe(s.writes);
    const l = table(large);
    expect(l.capacityUnits.read).toBe(2 * l.capacityUnits.strongReads + l.capacityUnits.eventualReads);
    expect(l.capacityUnits.write).toBe(6 * l.writes);
  });

  it("eventual reads are cheaper and faster, and some are stale; strong reads never are", () => {
    const by = small.consistency!.byRoute;
    expect(by["GET eventual"].staleReads).toBeGreaterThan(0);
    expect(by["GET strong"].reads).toBeGreaterThan(2000);
    expect(by["GET strong"].staleReads).toBe(0);
    expect(small.routes["GET eventual"].latencyMs.p50).toBeLessThan(small.routes["GET strong"].latencyMs.p50);
  });
});
