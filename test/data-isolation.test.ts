// Isolation levels (TX-02) as mechanisms: read committed loses updates under
// contention, repeatable read refuses them (first committer wins),
// serializable locks them out (shared locks, deadlocks) and pays for it in
// throughput and latency; read uncommitted sees writes that never commit.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Database } from "../src/components/database.js";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import type { Report } from "../src/report/json.js";
import { confidence, rejection, runFile, runText } from "./support/run.js";

type Db = {
  writes: number;
  lostUpdates: number;
  conflicts: number;
  transactions: {
    committed: number;
    aborted: number;
    conflicts: number;
    lockWaits: number;
    locksHeld: number;
  };
  isolation: {
    level: string;
    dirtyReads: number;
    dirtyReadsAborted: number;
    serializationFailures: number;
    deadlocks: number;
  };
};
const db = (r: Report, name = "stock") => r.components[name] as unknown as Db;

function accounted(r: Report): void {
  expect(r.requests.ok + r.requests.failed + r.requests.inFlight).toBe(r.requests.total);
}

/** Runs a design, then lets its work drain: every request answered and every job free; returns the database's report. */
function drained(text: string, seed: number): Db {
  const { design } = loadDesign(text, "inline.yaml");
  const simulation = buildSimulation(design, seed);
  const r = simulation.run({ maxEvents: 5e7, maxWallMs: 60_000 });
  simulation.sim.q.run(r.durationMs + 60_000, 5e7);
  expect(simulation.workloads.reduce((s, w) => s + w.answered, 0)).toBe(r.generated);
  expect(simulation.sim.pool.live).toBe(0);
  const store = simulation.sim.components.find((c) => c instanceof Database) as Database;
  return store.report(simulation.sim.now) as unknown as Db;
}

// buyers decrement the stock of a few hot items: reads and writes of the same key overlap all the time
const hot = (isolation: string, step = "", rate = 400, keys = 5) => `
duration: 20s
components:
  buyers:
    kind: workload
    target: shop
    arrival: { process: poisson, rate: ${rate}/s }
    routes: [{ route: buy, keys: { count: ${keys} } }]
  shop: { kind: service, concurrency: 1000, routes: { buy: [{ update: stock${step} }] } }
  stock: { kind: database, isolation: ${isolation}, readTime: exp(2ms), writeTime: exp(4ms) }
`;

describe("isolation levels under a contended read-modify-write", () => {
  const seeds = [1, 2, 3];

  it("read committed loses updates; repeatable read and serializable lose none", () => {
    for (const seed of seeds) {
      const rc = runText(hot("read-committed"), [], { seed });
      const rr = runText(hot("repeatable-read"), [], { seed });
      const ser = runText(hot("serializable"), [], { seed });
      expect(db(rc).lostUpdates).toBeGreaterThan(0);
      expect(db(rc).isolation.serializationFailures).toBe(0);
      expect(db(rr).lostUpdates).toBe(0);
      expect(db(ser).lostUpdates).toBe(0);
      // what they do instead: refuse the second writer, or deadlock one of two readers that both want to write
      expect(db(rr).isolation.serializationFailures).toBeGreaterThan(0);
      expect(db(rr).isolation.deadlocks).toBe(0);
      expect(db(ser).isolation.deadlocks).toBeGreaterThan(0);
      expect(db(ser).transactions.lockWaits).toBeGreaterThan(0);
      for (const r of [rc, rr, ser]) {
        accounted(r);
        // every answered purchase committed exactly one write
        expect(db(r).writes).toBeGreaterThanOrEqual(r.requests.ok);
        expect(db(r).writes).toBeLessThanOrEqual(r.requests.ok + r.requests.inFlight);
      }
    }
  });

  it("a serialization failure is retried like an occ conflict, and fails the request only when retries run out", () => {
    const once = runText(hot("repeatable-read", ", retries: 0"), [], { seed: 2 });
    const thrice = runText(hot("repeatable-read"), [], { seed: 2 });
    // without retries each failure fails its request (unless its answer is still on its way at the end)
    const failures = db(once).isolation.serializationFailures;
    expect(once.requests.byOutcome.conflict).toBeLessThanOrEqual(failures);
    expect(once.requests.byOutcome.conflict + once.requests.inFlight).toBeGreaterThanOrEqual(failures);
    expect(thrice.requests.byOutcome.conflict ?? 0).toBeLessThan(once.requests.byOutcome.conflict);
    // retrying costs time
    expect(thrice.latencyMs.p99).toBeGreaterThan(once.latencyMs.p99);
  });

  it("a step may set its own level: a serializable update on a read-committed database loses nothing", () => {
    const r = runText(hot("read-committed", ", isolation: serializable"), [], { seed: 1 });
    expect(db(r).isolation.level).toBe("read-committed");
    expect(db(r).lostUpdates).toBe(0);
    expect(db(r).isolation.deadlocks).toBeGreaterThan(0);
  });

  it("select for update at serializable takes the row at once: no upgrade, no deadlock, nothing lost", () => {
    const r = runText(hot("serializable", ", lock: true"), [], { seed: 1 });
    expect(r.requests.failed).toBe(0);
    expect(db(r).lostUpdates).toBe(0);
    expect(db(r).isolation.deadlocks).toBe(0);
  });
});

describe("stronger isolation costs throughput under contention", () => {
  // a closed loop: each user buys, thinks briefly, buys again, so time spent
  // waiting for locks and retrying is purchases not made
  const closed = (isolation: string) => `
duration: 10s
network: { latency: { sameZone: 0.2ms, client: 1ms } }
components:
  buyers:
    kind: workload
    target: shop
    closed: { users: 100, thinkTime: exp(10ms) }
    routes: [{ route: buy, keys: { count: 10 } }]
  shop: { kind: service, concurrency: 1000, routes: { buy: [{ update: stock }] } }
  stock: { kind: database, isolation: ${isolation}, readTime: exp(2ms), writeTime: exp(4ms) }
`;
  const seeds = [1, 2, 3, 4, 5];
  const runs = (isolation: string) => seeds.map((seed) => runText(closed(isolation), [], { seed }));

  it("serializable completes fewer purchases than read committed, with a longer tail (paired over seeds)", () => {
    const rc = runs("read-committed");
    const ser = runs("serializable");
    const rr = runs("repeatable-read");
    const less = confidence(seeds.map((_, i) => rc[i].requests.ok - ser[i].requests.ok));
    expect(less.mean - less.half).toBeGreaterThan(0);
    const slower = confidence(seeds.map((_, i) => ser[i].latencyMs.p99 - rc[i].latencyMs.p99));
    expect(slower.mean - slower.half).toBeGreaterThan(0);
    // snapshot isolation sits between: its retries cost less than serializable's waits and deadlocks
    const between = confidence(seeds.map((_, i) => rr[i].requests.ok - ser[i].requests.ok));
    expect(between.mean - between.half).toBeGreaterThan(0);
    for (const r of [...rc, ...ser, ...rr]) accounted(r);
  });
});

describe("no update is lost at repeatable read or serializable (property)", () => {
  it("whatever the load, contention, pool, retries, replica reads and seed", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("repeatable-read", "serializable"),
        fc.integer({ min: 50, max: 800 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 2, max: 100 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        // without network delay, answers reach callers at once, inside the database's own handling
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        (level, rate, keys, connections, retries, replica, instant, seed) => {
          // a serializable update cannot read a replica: its lock lives on the primary
          const from = replica && level === "repeatable-read" ? ", from: replica" : "";
          const text = `
duration: 5s
${instant ? "network: { latency: { sameZone: 0ms, client: 0ms } }" : ""}
components:
  buyers:
    kind: workload
    target: shop
    arrival: { process: poisson, rate: ${rate}/s }
    routes:
      - { route: buy, weight: 3, keys: { count: ${keys} } }
      - { route: restock, weight: 1, keys: { count: ${keys} } }
  shop:
    kind: service
    instances: 2
    concurrency: 300
    routes:
      buy: [{ update: stock, retries: ${retries}${from} }]
      restock: [{ write: stock }]
  stock:
    kind: database
    isolation: ${level}
    replicas: 1
    connections: ${connections}
    queue: 200
    readTime: exp(2ms)
    writeTime: exp(3ms)
`;
          const r = runText(text, [], { seed });
          expect(db(r).lostUpdates).toBe(0);
          accounted(r);
        },
      ),
      { numRuns: 20, seed: 20260708 },
    );
  });

  it("once traffic stops, every request is answered, every lock released and every job free", () => {
    const text = hot("serializable", ", retries: 1", 600, 3)
      .replace("duration: 20s", "duration: 5s")
      .replace("concurrency: 1000,", "instances: 2, concurrency: 500,");
    // the database's primary, or a service instance holding locks through its requests, dies for a while
    const faults = [
      "",
      "faults: [{ kill: stock, at: 2s, for: 500ms }]\n",
      "faults: [{ kill: shop, instance: 1, at: 2s, for: 500ms }]\n",
      // answers reach callers at once, inside the database's own handling
      "network: { latency: { sameZone: 0ms, client: 0ms } }\n",
    ];
    for (const [seed, fault] of faults.entries()) {
      const report = drained(text + fault, seed);
      expect(report.transactions.locksHeld).toBe(0);
      expect(report.isolation.deadlocks).toBeGreaterThan(0);
    }
  });
});

describe("readers and writers wait for each other at serializable", () => {
  // long reports read a few rows while deposits write them
  const design = (isolation: string) => `
duration: 20s
components:
  clients:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 300/s }
    routes:
      - { route: report, weight: 1, keys: { count: 5 } }
      - { route: deposit, weight: 1, keys: { count: 5 } }
  api:
    kind: service
    concurrency: 1000
    routes:
      report: [{ read: accounts, isolation: ${isolation} }]
      deposit: [{ write: accounts }]
  accounts: { kind: database, readTime: exp(10ms), writeTime: exp(1ms) }
`;

  it("writes wait for the rows' readers, so deposits slow down; at read committed nobody waits", () => {
    for (const seed of [1, 2]) {
      const rc = runText(design("read-committed"), [], { seed });
      const ser = runText(design("serializable"), [], { seed });
      expect(db(rc, "accounts").transactions.lockWaits).toBe(0);
      expect(db(ser, "accounts").transactions.lockWaits).toBeGreaterThan(0);
      // a deposit to a row being read waits for the read to finish (about 10ms)
      expect(ser.routes.deposit.latencyMs.mean).toBeGreaterThan(rc.routes.deposit.latencyMs.mean + 2);
      expect(ser.routes.report.latencyMs.mean).toBeGreaterThan(rc.routes.report.latencyMs.mean);
      for (const r of [rc, ser]) accounted(r);
    }
  });

  it("every read's lock is released, answers sent at once or not", () => {
    const short = design("serializable").replace("duration: 20s", "duration: 5s");
    const instant = short.replace(
      "components:",
      "network: { latency: { sameZone: 0ms, client: 0ms } }\ncomponents:",
    );
    for (const text of [short, instant]) {
      const report = drained(text, 3);
      expect(report.transactions.lockWaits).toBeGreaterThan(0);
      expect(report.transactions.locksHeld).toBe(0);
    }
  });
});

describe("read uncommitted (dirty reads)", () => {
  // transfers by two-phase commit, and balance reads of the same accounts
  const bank = (isolation: string) => `
duration: 20s
components:
  bank:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 600/s }
    routes:
      - { route: transfer, weight: 1, keys: { count: 30 } }
      - { route: balance, weight: 1, keys: { count: 30 } }
  api:
    kind: service
    concurrency: 1000
    routes:
      transfer: [{ transaction: accounts, keys: 2 }]
      balance: [{ read: accounts, isolation: ${isolation} }]
  accounts: { kind: database, shards: 2 }
`;

  it("sees prepared transactions' rows, some of which then abort; read committed never does", () => {
    for (const seed of [1, 2]) {
      const ru = db(runText(bank("read-uncommitted"), [], { seed }), "accounts");
      const rc = db(runText(bank("read-committed"), [], { seed }), "accounts");
      expect(ru.isolation.dirtyReads).toBeGreaterThan(0);
      expect(ru.transactions.aborted).toBeGreaterThan(0);
      expect(ru.isolation.dirtyReadsAborted).toBeGreaterThan(0);
      expect(ru.isolation.dirtyReadsAborted).toBeLessThan(ru.isolation.dirtyReads);
      expect(rc.isolation.dirtyReads).toBe(0);
      expect(rc.isolation.dirtyReadsAborted).toBe(0);
    }
  });

  it("sees writes in progress: an update reading one overwrites less, but reads values a refused write never committed", () => {
    const ru = db(runText(hot("read-uncommitted"), [], { seed: 3 }));
    const rc = db(runText(hot("read-committed"), [], { seed: 3 }));
    expect(ru.isolation.dirtyReads).toBeGreaterThan(0);
    // plain writes never fail here, so every dirty value came to be
    expect(ru.isolation.dirtyReadsAborted).toBe(0);
    expect(ru.lostUpdates).toBeLessThan(rc.lostUpdates);
    // occ refuses writes: the values dirty readers saw in them never existed
    const occ = db(runText(hot("read-uncommitted", ", occ: true"), [], { seed: 3 }));
    expect(occ.isolation.dirtyReadsAborted).toBeGreaterThan(0);
  });
});

describe("isolation settings are checked", () => {
  const base = (db: string, step: string) => `
duration: 1s
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 1/s }, routes: [{ route: r }] }
  api: { kind: service, routes: { r: [${step}] } }
  db: ${db}
`;

  it("rejects an unknown level, with the levels there are", () => {
    expect(rejection(base("{ kind: database, isolation: snapshot }", "{ read: db }"))).toMatch(
      /bad\.yaml:6:\d+: "snapshot" is not allowed[\s\S]*repeatable-read/,
    );
  });

  it("rejects isolation on stores that have no transactions, and where it cannot apply", () => {
    expect(rejection(base("{ kind: quorum-store }", "{ read: db, isolation: serializable }"))).toMatch(
      /bad\.yaml:5:\d+: isolation levels belong to a database's transactions; quorum-store "db" has none[\s\S]*consistency/,
    );
    expect(
      rejection(
        base("{ kind: database, replicas: 1 }", "{ read: db, from: replica, isolation: read-uncommitted }"),
      ),
    ).toMatch(/bad\.yaml:5:\d+: a read-uncommitted read sees writes still in progress on the primary/);
    expect(
      rejection(
        base("{ kind: database, shards: 2 }", "{ read: db, scatter: true, isolation: serializable }"),
      ),
    ).toMatch(/a scatter read asks every shard rather than for one row/);
    expect(
      rejection(
        base("{ kind: database, replicas: 1, isolation: serializable }", "{ update: db, from: replica }"),
      ),
    ).toMatch(/bad\.yaml:5:\d+: a serializable update takes a shared lock[\s\S]*hint: remove from: replica/);
  });

  it("accepts retries where a write can be refused, and only there", () => {
    expect(rejection(base("{ kind: database }", "{ update: db, retries: 2 }"))).toMatch(
      /retries apply to writes that can be refused; at read-committed without occ[\s\S]*hint: add occ: true, or isolation: repeatable-read/,
    );
    expect(
      rejection(
        base("{ kind: database, isolation: serializable }", "{ update: db, lock: true, retries: 2 }"),
      ),
    ).toMatch(/under a row lock \(lock\) the write never conflicts/);
    for (const ok of [
      base("{ kind: database, isolation: repeatable-read }", "{ update: db, retries: 2 }"),
      base("{ kind: database }", "{ update: db, isolation: serializable, retries: 0 }"),
    ])
      expect(loadDesign(ok, "ok.yaml").design.components.db.kind).toBe("database");
  });
});

describe("examples/data/isolation.yaml", () => {
  const r = runFile("examples/data/isolation.yaml");
  const ledger = (level: string) => db(r, `ledger-${level}`);

  it("loses updates at read committed only, and pays for the stronger levels in failures and latency", () => {
    expect(ledger("rc").lostUpdates).toBeGreaterThan(0);
    for (const l of ["rr", "ser", "locked"]) expect(ledger(l).lostUpdates).toBe(0);
    expect(ledger("rr").isolation.serializationFailures).toBeGreaterThan(0);
    expect(ledger("ser").isolation.deadlocks).toBeGreaterThan(0);
    expect(r.routes["POST /pay/ser"].latencyMs.p99).toBeGreaterThan(r.routes["POST /pay/rc"].latencyMs.p99);
    expect(r.routes["POST /pay/locked"].requests.failed).toBe(0);
    // the dashboard reads at read uncommitted and sees payments that are still being written
    expect(ledger("rc").isolation.dirtyReads).toBeGreaterThan(0);
    accounted(r);
  });
});
