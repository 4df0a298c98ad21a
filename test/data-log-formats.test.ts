// Statement-based, row-based and mixed replication (DB-06): statements are
// small, rows are exact; a statement that calls a non-deterministic function
// gives each replica a value of its own, counted per key and per read.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

type Replication = {
  format: string;
  nondeterministicWrites: number;
  statementEntries: number;
  rowEntries: number;
  logBytes: number;
  bytesShipped: number;
  divergedKeys: number;
  divergentReads: number;
  nodes: { role: string; reads: number; divergedKeys: number; lagPositions: number }[];
};
type Db = { writes: number; keysWritten: number; replication: Replication };
const db = (r: Report, name = "db") => r.components[name] as unknown as Db;
const rep = (r: Report, name = "db") => db(r, name).replication;

// writes and replica reads of 1k keys; two replicas replay the log
const design = (format: string, nondeterministic: string, extra = "") => `
duration: 20s
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 1000/s }
    routes:
      - { route: w, weight: 1, keys: { count: 1k } }
      - { route: r, weight: 1, keys: { count: 1k } }
  api:
    kind: service
    concurrency: 1000
    routes:
      w: [{ write: db }]
      r: [{ read: db, from: replica }]
  db:
    kind: database
    replicas: 2
    replication: { format: ${format}, nondeterministic: ${nondeterministic}${extra} }
`;

describe("statement-based replication diverges replicas; row-based and mixed do not", () => {
  const seeds = [1, 2, 3];

  it("non-deterministic statements leave diverged keys and divergent reads; rows and mixed leave none", () => {
    for (const seed of seeds) {
      const statement = runText(design("statement", "5%"), [], { seed });
      const s = rep(statement);
      expect(s.nondeterministicWrites).toBeGreaterThan(0);
      expect(s.divergedKeys).toBeGreaterThan(0);
      expect(s.divergentReads).toBeGreaterThan(0);
      // the primary is the reference; each replica diverged on its own
      const [primary, ...replicas] = s.nodes;
      expect(primary.divergedKeys).toBe(0);
      for (const n of replicas) expect(n.divergedKeys).toBeGreaterThan(0);
      for (const format of ["row", "mixed"]) {
        const x = rep(runText(design(format, "5%"), [], { seed }));
        expect(x.nondeterministicWrites).toBeGreaterThan(0);
        expect(x.divergedKeys).toBe(0);
        expect(x.divergentReads).toBe(0);
      }
      // deterministic statements replay exactly
      const clean = rep(runText(design("statement", "0%"), [], { seed }));
      expect(clean.divergedKeys).toBe(0);
      expect(clean.divergentReads).toBe(0);
    }
  });

  it("a key stays diverged until a deterministic write overwrites it: a share p of keys, as their last writes are", () => {
    // each key's state on a caught-up replica is that of its last write, which
    // was non-deterministic with probability p, independently of the others
    const p = 0.2;
    for (const seed of seeds) {
      const r = runText(design("statement", `${p * 100}%`), [], { seed });
      const d = db(r);
      const n = d.keysWritten;
      expect(n).toBeGreaterThan(990);
      const sd = Math.sqrt(n * p * (1 - p));
      for (const node of d.replication.nodes.slice(1)) {
        // writes still on their way at the end can shift a key or two
        expect(Math.abs(node.divergedKeys - n * p)).toBeLessThan(4 * sd + node.lagPositions + 2);
      }
      // every write non-deterministic: every key a replica holds has diverged there
      const all = db(runText(design("statement", "100%"), [], { seed }));
      for (const node of all.replication.nodes.slice(1))
        expect(node.divergedKeys).toBeGreaterThanOrEqual(all.keysWritten - node.lagPositions);
    }
  });
});

describe("bytes logged and shipped per format", () => {
  it("rows carry two images (one for an insert), statements their size, mixed rows only for non-deterministic writes", () => {
    const row = db(runText(design("row", "5%"), [], { seed: 1 }));
    const statement = db(runText(design("statement", "5%"), [], { seed: 1 }));
    const mixed = db(runText(design("mixed", "5%"), [], { seed: 1 }));
    // the default value is 1KiB and the default statement 100B
    expect(row.replication.logBytes).toBe(1024 * (2 * row.writes - row.keysWritten));
    expect(row.replication.rowEntries).toBe(row.writes);
    expect(statement.replication.logBytes).toBe(100 * statement.writes);
    expect(statement.replication.statementEntries).toBe(statement.writes);
    const m = mixed.replication;
    expect(m.rowEntries).toBe(m.nondeterministicWrites);
    expect(m.statementEntries + m.rowEntries).toBe(mixed.writes);
    expect(m.logBytes).toBeGreaterThanOrEqual(100 * m.statementEntries + 1024 * m.rowEntries);
    expect(m.logBytes).toBeLessThanOrEqual(100 * m.statementEntries + 2048 * m.rowEntries);
    // mixed ships a little more than statements, far less than rows
    expect(statement.replication.logBytes).toBeLessThan(m.logBytes);
    expect(m.logBytes).toBeLessThan(row.replication.logBytes / 5);
    // both replicas receive everything but what is on the wire at the end
    for (const d of [row, statement, mixed]) {
      expect(d.replication.bytesShipped).toBeLessThanOrEqual(2 * d.replication.logBytes);
      expect(d.replication.bytesShipped).toBeGreaterThan(1.99 * d.replication.logBytes);
    }
  });

  it("draws its sizes from a stream of its own: the traffic is the same whatever the format", () => {
    const a = runText(design("row", "5%"), [], { seed: 4 });
    const b = runText(design("statement", "5%", ', statementSize: "uniform(50B, 500B)"'), [], { seed: 4 });
    expect(b.latencyMs).toEqual(a.latencyMs);
    expect(rep(b).nondeterministicWrites).toBe(rep(a).nondeterministicWrites);
  });
});

describe("a failover makes the new primary's values the reference", () => {
  it("the promoted replica diverges from nobody; the others differ from it wherever either had diverged", () => {
    const text =
      `${design("statement", "20%", ", applyTime: exp(0.2ms)")}    failover: { heartbeat: 100ms, timeout: 500ms }
faults: [{ kill: db, instance: 0, at: 10s }]
`.replace("replicas: 2", "replicas: 3");
    const r = runText(text, [], { seed: 2 });
    const d = db(r);
    const nodes = d.replication.nodes;
    const primary = nodes.findIndex((n) => n.role === "primary");
    expect(primary).toBeGreaterThan(0);
    expect(nodes[primary].divergedKeys).toBe(0);
    for (const [i, n] of nodes.entries()) if (i !== primary) expect(n.divergedKeys).toBeGreaterThan(0);
    expect(d.replication.divergentReads).toBeGreaterThan(0);
  });
});

describe("log format settings are checked", () => {
  const base = (replication: string) => `
duration: 1s
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 1/s }, routes: [{ route: r }] }
  api: { kind: service, routes: { r: [{ write: db }] } }
  db: { kind: database, replicas: 1, replication: ${replication} }
`;

  it("rejects a statement size for rows, shares beyond 100% and unknown formats", () => {
    expect(rejection(base("{ statementSize: 200B }"))).toMatch(
      /bad\.yaml:6:\d+: statementSize applies to format: statement or mixed[\s\S]*hint: add format: statement/,
    );
    expect(rejection(base("{ format: statement, nondeterministic: 120% }"))).toMatch(
      /bad\.yaml:6:\d+: .*outside 0% to 100%/,
    );
    expect(rejection(base("{ format: rows }"))).toMatch(
      /bad\.yaml:6:\d+: "rows" is not allowed[\s\S]*did you mean row\?/,
    );
  });
});

describe("examples/data/binlog-formats.yaml", () => {
  const r = runFile("examples/data/binlog-formats.yaml");

  it("statement-based replicas serve values the primary never had; row and mixed replicas do not", () => {
    expect(rep(r, "orders-statement").divergedKeys).toBeGreaterThan(0);
    expect(rep(r, "orders-statement").divergentReads).toBeGreaterThan(0);
    for (const name of ["orders-row", "orders-mixed"]) {
      expect(rep(r, name).divergedKeys).toBe(0);
      expect(rep(r, name).divergentReads).toBe(0);
    }
    expect(rep(r, "orders-statement").bytesShipped).toBeLessThan(rep(r, "orders-mixed").bytesShipped);
    expect(rep(r, "orders-mixed").bytesShipped).toBeLessThan(rep(r, "orders-row").bytesShipped);
    expect(r.requests.ok + r.requests.failed + r.requests.inFlight).toBe(r.requests.total);
  });
});
