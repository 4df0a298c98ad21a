// Idempotency (RS-10, RS-11, DC-13): duplicate applies of one logical write are
// counted exactly, and idempotency keys keep retries from applying twice,
// except in the failure modes that let them (a new key per attempt, a
// check-then-insert race, a key that expired).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GuardReport } from "../src/components/call-guard.js";
import type { Database } from "../src/components/database.js";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import {
  ApplyLedger,
  CallPaths,
  idempotencyKey,
  KEY_ABSENT,
  KEY_EXPIRED,
  KEY_FOUND,
  KeyTable,
} from "../src/mechanisms/idempotency.js";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

interface IdempotencyReport {
  hits: number;
  inserts: number;
  expiredReapplies: number;
  raceDuplicates: number;
  newKeyDuplicates: number;
}
interface DbReport {
  writes: number;
  keysWritten: number;
  duplicateApplies: number;
  idempotency?: IdempotencyReport;
  series: { duplicateApplies: number[] };
}

const db = (r: Report, name: string) => r.components[name] as unknown as DbReport;
const guard = (r: Report, caller: string, callee: string) =>
  (r.components[caller].calls as Record<string, GuardReport>)[callee];
const generated = (r: Report, workload: string) => r.components[workload].generated as number;

describe("mechanisms", () => {
  it("call paths: the same steps give the same number, other steps or other parents another", () => {
    const paths = new CallPaths();
    const a = paths.reserve(3);
    const b = paths.reserve(2);
    expect(b).toBe(a + 3);
    const p1 = paths.extend(0, a);
    const p2 = paths.extend(0, a + 1);
    const p3 = paths.extend(p1, b);
    const p4 = paths.extend(p2, b);
    expect(new Set([0, p1, p2, p3, p4]).size).toBe(5);
    expect(paths.extend(0, a)).toBe(p1);
    expect(paths.extend(p1, b)).toBe(p3);
    expect(paths.size).toBe(4);
    expect(() => paths.reserve(1)).toThrow(/reserved before/);
  });

  it("the ledger reports an apply as a duplicate exactly when the write was applied before and its request is still alive", () => {
    // a naive model: every apply ever made, never forgotten; the ledger may
    // forget a request only once it is dead, and a dead request applies nothing
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ t: fc.constant("apply" as const), path: fc.nat(3), req: fc.nat(20) }),
            fc.record({ t: fc.constant("die" as const), req: fc.nat(20) }),
          ),
          { maxLength: 200 },
        ),
        (ops) => {
          const ledger = new ApplyLedger();
          const seen = new Set<string>();
          const dead = new Set<number>();
          for (const op of ops) {
            if (op.t === "die") {
              dead.add(op.req);
              ledger.sweep((r) => !dead.has(r));
              continue;
            }
            if (dead.has(op.req)) continue;
            const k = `${op.path}/${op.req}`;
            expect(ledger.apply(op.path, op.req)).toBe(seen.has(k));
            seen.add(k);
          }
          const live = [...seen].filter((k) => !dead.has(Number(k.split("/")[1]))).length;
          expect(ledger.size).toBeGreaterThanOrEqual(live);
        },
      ),
    );
  });

  it("the key table: found until its TTL, expired after, replaced by a new insert, dropped with its request", () => {
    const t = new KeyTable();
    const k = idempotencyKey(7, 0, false);
    expect(t.state(1, k, 0)).toBe(KEY_ABSENT);
    t.put(1, k, 7, 42, 100);
    expect(t.state(1, k, 99)).toBe(KEY_FOUND);
    expect(t.result(t.slot(1, k))).toBe(42);
    expect(t.state(1, k, 100)).toBe(KEY_EXPIRED);
    // another path is another table
    expect(t.state(2, k, 50)).toBe(KEY_ABSENT);
    t.put(1, k, 7, 43, 300);
    expect(t.state(1, k, 200)).toBe(KEY_FOUND);
    expect(t.result(t.slot(1, k))).toBe(43);
    expect(t.size).toBe(1);
    t.sweep((req) => req !== 7);
    expect(t.state(1, k, 200)).toBe(KEY_ABSENT);
    expect(t.size).toBe(0);
  });

  it("keys: one per request, or one per attempt of the client", () => {
    const keys = new Set<number>();
    for (let req = 0; req < 50; req++)
      for (let round = 0; round < 100; round++) keys.add(idempotencyKey(req, round, true));
    for (let req = 0; req < 50; req++) keys.add(idempotencyKey(req, 5, false));
    expect(keys.size).toBe(50 * 101);
    expect(idempotencyKey(3, 0, false)).toBe(idempotencyKey(3, 2, false));
  });
});

describe("examples/resilience/payments-idempotency.yaml", () => {
  const r = runFile("examples/resilience/payments-idempotency.yaml");
  const stack = (v: string) => ({
    ledger: db(r, `ledger-${v}`),
    dbCalls: guard(r, `api-${v}`, `ledger-${v}`),
    client: guard(r, `users-${v}`, `api-${v}`),
    generated: generated(r, `users-${v}`),
  });

  it("every payment is a row of its own, so the rows written twice are the duplicates: the count agrees", () => {
    for (const v of ["none", "per-attempt", "atomic", "check-then-insert", "short-ttl"]) {
      const { ledger, generated: n } = stack(v);
      expect(ledger.duplicateApplies).toBe(ledger.writes - ledger.keysWritten);
      // traffic stopped at 40s: every payment reached the ledger
      expect(ledger.keysWritten).toBe(n);
      expect(r.requests.inFlight).toBe(0);
    }
  });

  it("without keys, every retry of a committed write charges again, from both faults and nowhere else", () => {
    const { ledger, dbCalls, generated: n } = stack("none");
    // every attempt the api sent was applied: the calls beyond one per payment are duplicates
    expect(ledger.duplicateApplies).toBe(dbCalls.attempts - n);
    expect(dbCalls.retries).toBeGreaterThan(0);
    expect(ledger.idempotency).toBeUndefined();
    const s = ledger.series.duplicateApplies;
    const during = (from: number, to: number) => s.slice(from, to).reduce((a, x) => a + x, 0);
    // the slow ledger (10-15s) and the slow notify (25-30s), and the retries' tails
    expect(during(10, 17)).toBeGreaterThan(0);
    expect(during(25, 33)).toBeGreaterThan(0);
    expect(during(10, 17) + during(25, 33)).toBe(ledger.duplicateApplies);
  });

  it("per-attempt keys catch the api's retries but not the users': their duplicates equal the users' retries", () => {
    const { ledger, dbCalls, client } = stack("per-attempt");
    const k = ledger.idempotency!;
    expect(ledger.duplicateApplies).toBe(client.retries);
    expect(k.newKeyDuplicates).toBe(ledger.duplicateApplies);
    // each retry of the api's write found the key of its attempt
    expect(k.hits).toBe(dbCalls.retries);
    expect(k.inserts).toBe(ledger.writes);
  });

  it("per-request keys checked atomically: no payment is charged twice, every repeat gets the stored result", () => {
    const { ledger, dbCalls, generated: n } = stack("atomic");
    const k = ledger.idempotency!;
    expect(ledger.duplicateApplies).toBe(0);
    expect(ledger.writes).toBe(n);
    expect(k.inserts).toBe(n);
    expect(k.hits).toBe(dbCalls.attempts - n);
    expect(k.hits).toBeGreaterThan(stack("none").ledger.duplicateApplies / 2);
  });

  it("check-then-insert: a few races, where a retry started before the first write committed", () => {
    const { ledger, dbCalls } = stack("check-then-insert");
    const k = ledger.idempotency!;
    expect(k.raceDuplicates).toBeGreaterThan(0);
    expect(k.raceDuplicates).toBe(ledger.duplicateApplies);
    // only the api's quick retries can overlap a write still running; the users' come a second later
    expect(k.raceDuplicates).toBeLessThanOrEqual(dbCalls.retries);
    expect(ledger.duplicateApplies).toBeLessThan(stack("none").ledger.duplicateApplies / 20);
    expect(k.hits + ledger.writes).toBe(dbCalls.attempts);
  });

  it("a 500ms key: the users' retries, a second later, find it expired and charge again", () => {
    const { ledger, dbCalls, client } = stack("short-ttl");
    const k = ledger.idempotency!;
    expect(k.expiredReapplies).toBe(ledger.duplicateApplies);
    expect(ledger.duplicateApplies).toBe(client.retries);
    expect(k.hits).toBe(dbCalls.retries);
  });
});

/** A payments stack with random timings, retries and faults; `idempotency` is the write step's, or "". */
interface Shape {
  rate: number;
  writeMs: number;
  connections: number;
  dbTimeout: number;
  dbAttempts: number;
  clientTimeout: number;
  clientAttempts: number;
  notifyMs: number;
  deadline: boolean;
  faults: string[];
}

const shape: fc.Arbitrary<Shape> = fc.record({
  rate: fc.integer({ min: 20, max: 120 }),
  writeMs: fc.integer({ min: 1, max: 15 }),
  connections: fc.integer({ min: 1, max: 8 }),
  dbTimeout: fc.integer({ min: 3, max: 60 }),
  dbAttempts: fc.integer({ min: 1, max: 4 }),
  clientTimeout: fc.integer({ min: 20, max: 400 }),
  clientAttempts: fc.integer({ min: 1, max: 4 }),
  notifyMs: fc.integer({ min: 1, max: 20 }),
  deadline: fc.boolean(),
  faults: fc.subarray([
    "{ slow: ledger, by: 40ms, at: 500ms, for: 800ms }",
    "{ slow: notify, by: 300ms, at: 1s, for: 1s }",
    "{ kill: api, instance: 0, at: 700ms, for: 500ms }",
    "{ kill: ledger, at: 1500ms, for: 300ms }",
    "{ partition: [b], at: 1200ms, for: 400ms, timeout: 150ms }",
  ]),
});

function payments(s: Shape, idempotency: string): string {
  const retry = (n: number, base: string) =>
    n > 1 ? `, retry: { attempts: ${n}, backoff: { base: ${base} } }` : "";
  return `
duration: 5s
network:
  regions: { r: [a, b] }
  latency: { sameZone: 0.2ms, crossZone: 1ms, client: 2ms }
components:
  users:
    kind: workload
    target: api
    arrival: { process: ramp, from: ${s.rate}/s, to: 0/s, start: 2500ms, over: 1ms }
    routes: [{ route: POST /pay, keys: { popularity: sequential } }]
    client: { timeout: ${s.clientTimeout}ms${retry(s.clientAttempts, "30ms")} }
  api:
    kind: service
    instances: 2
    concurrency: 50
    queue: unbounded
    zones: [a, b]
    routes: { "*": [{ compute: exp(1ms) }, { write: ledger${idempotency ? `, idempotency: ${idempotency}` : ""} }, { call: notify }] }
    calls:
      ledger: { timeout: ${s.dbTimeout}ms${retry(s.dbAttempts, "5ms")}, propagateDeadline: ${s.deadline} }
  ledger: { kind: database, connections: ${s.connections}, queue: unbounded, writeTime: exp(${s.writeMs}ms), zone: a }
  notify: { kind: service, concurrency: 100, routes: { "*": [{ compute: exp(${s.notifyMs}ms) }] }, zone: a }
${s.faults.length ? `faults:\n${s.faults.map((f) => `  - ${f}`).join("\n")}` : ""}
`;
}

describe("duplicates under random timings and faults", () => {
  it("with per-request keys checked atomically and kept longer than the run, no logical write is ever applied twice", () => {
    fc.assert(
      fc.property(shape, fc.integer({ min: 1, max: 1000 }), (s, seed) => {
        const r = runText(payments(s, "{ ttl: 1h }"), [], { seed });
        const ledger = db(r, "ledger");
        expect(ledger.duplicateApplies).toBe(0);
        // each payment is its own row: a row written twice would be a duplicate the count missed
        expect(ledger.writes).toBe(ledger.keysWritten);
        expect(ledger.idempotency!.inserts).toBe(ledger.writes);
      }),
      { numRuns: 30 },
    );
  });

  it("whatever the keys, the count of duplicates is exactly the rows written more than once", () => {
    const modes = fc.constantFrom(
      "",
      "{ key: per-attempt }",
      "{ check: check-then-insert }",
      "{ key: per-attempt, check: check-then-insert }",
      "{ ttl: 50ms }",
    );
    fc.assert(
      fc.property(shape, modes, fc.integer({ min: 1, max: 1000 }), (s, mode, seed) => {
        const r = runText(payments(s, mode), [], { seed });
        const ledger = db(r, "ledger");
        expect(ledger.duplicateApplies).toBe(ledger.writes - ledger.keysWritten);
        const k = ledger.idempotency;
        if (k)
          expect(k.raceDuplicates + k.expiredReapplies + k.newKeyDuplicates).toBe(ledger.duplicateApplies);
        if (!mode.includes("per-attempt")) expect(k?.newKeyDuplicates ?? 0).toBe(0);
        if (!mode.includes("check-then-insert")) expect(k?.raceDuplicates ?? 0).toBe(0);
        if (!mode.includes("ttl")) expect(k?.expiredReapplies ?? 0).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});

describe("logical writes", () => {
  it("two calls of one request to the same write step are two writes, not a duplicate; their retries are duplicates", () => {
    const design = (retry: string) => `
duration: 10s
network: { latency: { sameZone: 0.2ms, client: 1ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: ramp, from: 100/s, to: 0/s, start: 8s, over: 1ms }
    routes: [{ route: POST /x, keys: { popularity: sequential } }]
  api:
    kind: service
    concurrency: 100
    routes: { "*": [{ call: pay }, { call: pay }] }
    ${retry}
  pay: { kind: service, concurrency: 100, routes: { "*": [{ write: ledger }] } }
  ledger: { kind: database, writeTime: exp(4ms) }
`;
    const plain = runText(design(""));
    const n = plain.requests.total;
    expect(db(plain, "ledger").writes).toBe(2 * n);
    expect(db(plain, "ledger").duplicateApplies).toBe(0);
    // the api gives up on pay after 5ms and calls again: the write, already running, runs twice
    const retried = runText(
      design("calls: { pay: { timeout: 5ms, retry: { attempts: 2, backoff: none } } }"),
    );
    const l = db(retried, "ledger");
    const g = guard(retried, "api", "pay");
    expect(g.retries).toBeGreaterThan(0);
    expect(l.duplicateApplies).toBe(g.retries);
    // every attempt was applied (a request whose first call failed makes no second)
    expect(l.writes).toBe(g.attempts);
  });

  it("update and transaction steps take keys too: the users' retries re-run them and apply nothing new", () => {
    const design = (step: string) => `
duration: 10s
network: { latency: { sameZone: 0.2ms, client: 1ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: ramp, from: 100/s, to: 0/s, start: 8s, over: 1ms }
    routes: [{ route: POST /x, keys: { popularity: sequential } }]
    client: { timeout: 30ms, retry: { attempts: 3, backoff: none } }
  api:
    kind: service
    concurrency: 100
    routes: { "*": [${step}, { compute: exp(20ms) }] }
  ledger: { kind: database, shards: 2, writeTime: exp(2ms) }
`;
    for (const step of [
      "{ update: ledger }",
      "{ update: ledger, lock: true }",
      "{ update: ledger, isolation: serializable }",
      "{ transaction: ledger }",
    ]) {
      const without = db(runText(design(step)), "ledger");
      expect(without.duplicateApplies, step).toBeGreaterThan(0);
      expect(without.duplicateApplies, step).toBe(without.writes - without.keysWritten);
      const keyed = runText(design(step.replace(" }", ", idempotency: true }")));
      const l = db(keyed, "ledger");
      expect(l.duplicateApplies, step).toBe(0);
      expect(l.writes, step).toBe(l.keysWritten);
      expect(l.idempotency!.hits, step).toBeGreaterThan(0);
      // rows a hit left alone are not locked: every transaction ended
      expect((keyed.components.ledger.transactions as { locksHeld: number }).locksHeld, step).toBe(0);
    }
  });

  it("memory: the ledger and the key table hold the writes of requests in flight, not of every request", () => {
    const text = `
duration: 60s
network: { latency: { sameZone: 0.2ms, client: 1ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 500/s }
    routes: [{ route: POST /x, keys: { popularity: sequential } }]
    client: { timeout: 50ms, retry: { attempts: 3, backoff: none } }
  api:
    kind: service
    concurrency: 200
    routes: { "*": [{ write: ledger, idempotency: { ttl: 24h } }, { compute: exp(15ms) }] }
  ledger: { kind: database, writeTime: exp(2ms) }
`;
    const { design } = loadDesign(text, "inline.yaml");
    const simulation = buildSimulation(design, 3);
    const r = simulation.run({ maxEvents: 1e8, maxWallMs: 60_000 });
    const ledger = simulation.sim.components.find((c) => c.name === "ledger") as Database;
    const inner = ledger as unknown as { ledger: ApplyLedger; keys: KeyTable };
    // 30,000 requests; at the last sweep, those alive (500/s over a second or so of retries and backlog)
    expect(r.generated).toBeGreaterThan(25_000);
    expect(inner.ledger.size).toBeLessThan(2000);
    expect(inner.keys.size).toBeLessThan(2000);
    const rep = ledger.report(r.simulatedMs) as unknown as DbReport;
    expect(rep.idempotency!.inserts).toBeGreaterThan(25_000);
    expect(rep.duplicateApplies).toBe(0);
  });
});

describe("bad idempotency settings", () => {
  const design = (step: string, extra = "") => `
duration: 10s
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 10/s }, routes: [{ route: POST /x }] }
  api: { kind: service, routes: { "*": [${step}] } }
  ledger: { kind: database }
  ring: { kind: quorum-store }
${extra}`;

  it("a quorum store keeps no key table", () => {
    const msg = rejection(design("{ write: ring, idempotency: true }"));
    expect(msg).toMatch(
      /idempotency keys are kept in a table of the database written, and "ring" is a quorum-store/,
    );
    expect(msg).toMatch(/write to a database/);
    expect(msg).toMatch(/bad\.yaml:\d+:\d+/);
  });

  it("a write-behind cache flushes writes that carry no key", () => {
    const msg = rejection(
      design(
        "{ write: ledger, cache: c, idempotency: { ttl: 1h } }",
        "  c: { kind: cache, capacity: 1k, writes: write-behind }",
      ),
    );
    expect(msg).toMatch(/cache "c" is write-behind/);
    expect(msg).toMatch(/write-through/);
  });

  it("unknown modes and a zero TTL are refused with what is expected", () => {
    expect(rejection(design("{ write: ledger, idempotency: { key: per-user } }"))).toMatch(
      /per-request|per-attempt/,
    );
    expect(rejection(design("{ write: ledger, idempotency: { check: optimistic } }"))).toMatch(
      /atomic|check-then-insert/,
    );
    expect(rejection(design("{ write: ledger, idempotency: { ttl: 0s } }"))).toMatch(/ttl/);
  });

  it("a write-through cache passes the key on: the database checks it", () => {
    const r = runText(`
duration: 10s
network: { latency: { sameZone: 0.2ms, client: 1ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: ramp, from: 100/s, to: 0/s, start: 8s, over: 1ms }
    routes: [{ route: POST /x, keys: { popularity: sequential } }]
    client: { timeout: 30ms, retry: { attempts: 3, backoff: none } }
  api:
    kind: service
    concurrency: 100
    routes: { "*": [{ write: ledger, cache: c, idempotency: true }, { compute: exp(20ms) }] }
  c: { kind: cache, capacity: 100k, writes: write-through }
  ledger: { kind: database, writeTime: exp(2ms) }
`);
    const l = db(r, "ledger");
    expect(l.idempotency!.hits).toBeGreaterThan(0);
    expect(l.duplicateApplies).toBe(0);
    expect(l.writes).toBe(l.keysWritten);
  });
});
