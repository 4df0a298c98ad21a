// Orchestrated sagas (TX-05): stages run in order; a failed stage has the
// stages done before it undone in reverse order; every saga is accounted for,
// and the undo routes' effects exactly cancel the stages' when compensation
// succeeds.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runText } from "./support/run.js";

interface Stage {
  done: number;
  failed: number;
  undone: number;
  undoFailed: number;
}
interface Sagas {
  started: number;
  completed: number;
  compensated: number;
  aborted: number;
  compensationFailed: number;
  interrupted: number;
  inFlight: number;
  inconsistencyMs: { count: number; mean: number };
  stages: Record<string, Stage>;
}
const sagasOf = (r: Report, service = "orders", route = "POST /orders") =>
  (r.components[service].sagas as Record<string, Sagas>)[route];
const writes = (r: Report, db: string) => r.components[db].writes as number;
const accounted = (s: Sagas) =>
  s.completed + s.compensated + s.aborted + s.compensationFailed + s.interrupted + s.inFlight;

/**
 * Participant i's route `do` passes its gate g<i> (a service with no effect,
 * the thing faults kill) and writes database d<i>; `undo` passes gate h<i>
 * and writes u<i>. A gate that is down refuses at once, before any write, so
 * a stage or an undo either did its write or failed without one: nothing is
 * ambiguous, and the databases' write counts are the effects.
 */
function design(opts: {
  stages: number;
  kills: { gate: "g" | "h"; stage: number; at: number; for: number }[];
  seed: number;
  extra?: string;
}): string {
  const n = opts.stages;
  const parts = Array.from({ length: n }, (_, i) => i);
  const stages = parts.map((i) => `{ name: s${i}, call: p${i}, route: do, undo: undo }`).join(", ");
  const comps = parts
    .map(
      (i) => `
  p${i}:
    kind: service
    concurrency: 64
    routes:
      do: [{ call: g${i} }, { write: d${i} }]
      undo: [{ call: h${i} }, { write: u${i} }]
  g${i}: { kind: service, instances: 2, concurrency: 64, routes: { "*": [{ compute: 1ms }] } }
  h${i}: { kind: service, instances: 2, concurrency: 64, routes: { "*": [{ compute: 1ms }] } }
  d${i}: { kind: database }
  u${i}: { kind: database }`,
    )
    .join("");
  const faults = opts.kills
    .map((k) => `  - { kill: ${k.gate}${k.stage}, instance: all, at: ${k.at}ms, for: ${k.for}ms }`)
    .join("\n");
  return `
duration: 12s
seed: ${opts.seed}
network: { latency: { sameZone: 0.3ms, client: 5ms } }
components:
  shoppers:
    kind: workload
    target: orders
    # Poisson orders for 8s, then none: every saga has ended by the end of the run
    arrival: { process: ramp, from: 150/s, to: 0/s, start: 8s, over: 1ms }
    routes: [{ route: POST /orders, keys: { count: 1M } }]
  orders:
    kind: service
    instances: 2
    concurrency: 256
    routes:
      POST /orders: [{ saga: [${stages}] }]${opts.extra ?? ""}${comps}
${faults ? `faults:\n${faults}` : ""}
`;
}

describe("saga step", () => {
  it("every saga is accounted for, and compensations exactly undo the stages done", () => {
    const kill = (stages: number) =>
      fc.record({
        gate: fc.constantFrom<"g" | "h">("g", "h"),
        stage: fc.integer({ min: 0, max: stages - 1 }),
        at: fc.integer({ min: 0, max: 7000 }),
        for: fc.integer({ min: 1, max: 2000 }),
      });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((stages) =>
          fc.record({
            stages: fc.constant(stages),
            kills: fc.array(kill(stages), { maxLength: 4 }),
            seed: fc.integer({ min: 1, max: 1000 }),
          }),
        ),
        (o) => {
          const r = runText(design(o));
          const s = sagasOf(r);
          // never lost: every saga started ended one way or another, and all have ended
          expect(accounted(s)).toBe(s.started);
          expect(s.inFlight).toBe(0);
          expect(s.interrupted).toBe(0);
          expect(s.started).toBe(
            (r.routes["POST /orders"] as { requests: { total: number } }).requests.total,
          );
          const stages = Object.values(s.stages);
          // a failed saga failed at exactly one stage; at the first, it had nothing to undo
          expect(stages.reduce((n, st) => n + st.failed, 0)).toBe(
            s.compensated + s.aborted + s.compensationFailed,
          );
          expect(stages[0].failed).toBe(s.aborted);
          expect(s.compensationFailed > 0).toBe(stages.some((st) => st.undoFailed > 0));
          stages.forEach((st, i) => {
            // the stages' and the compensations' effects are the participants' writes
            expect(writes(r, `d${i}`)).toBe(st.done);
            expect(writes(r, `u${i}`)).toBe(st.undone);
            // each stage done is undone unless its saga completed or its undo failed
            expect(st.done - st.undone).toBe(s.completed + st.undoFailed);
            // a stage is reached by the sagas that did the one before it and are not stuck or over
            if (i > 0) expect(st.done + st.failed).toBe(stages[i - 1].done);
          });
          if (o.kills.length === 0) expect(s.completed).toBe(s.started);
        },
      ),
      { numRuns: 12, seed: 7 },
    );
  });

  it("compensates in reverse order: a saga is stuck only if an undo fails, and the others still run", () => {
    // from 2s to 4s, the third stage fails and the second cannot be undone:
    // those sagas still undo the first
    const r = runText(
      design({
        stages: 3,
        seed: 3,
        kills: [
          { gate: "h", stage: 1, at: 2000, for: 2000 },
          { gate: "g", stage: 2, at: 2000, for: 2000 },
        ],
      }),
    );
    const s = sagasOf(r);
    const [a, b, c] = Object.values(s.stages);
    // about 2s of orders at 150/s
    expect(s.compensationFailed).toBeGreaterThan(150);
    expect(b.undoFailed).toBe(s.compensationFailed);
    // (a saga failing at the third stage just before 4s may undo the second just after)
    expect(c.failed).toBeGreaterThanOrEqual(s.compensationFailed);
    // the first stage of every failed saga that got past it was undone, stuck or not
    expect(a.undone).toBe(b.failed + c.failed);
    expect(a.undoFailed).toBe(0);
    expect(accounted(s)).toBe(s.started);
  });

  it("a stage timing out after the call policy's retries fails with probability exp(-attempts * T / mean)", () => {
    // shipping's work is exponential (mean 10ms) and alone on the call's path
    // (no network, an idle service): an attempt times out after T = 10ms with
    // probability e^-1, independently, so both attempts do with e^-2
    const text = `
duration: 25s
seed: 11
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  shoppers:
    kind: workload
    target: orders
    arrival: { process: ramp, from: 200/s, to: 0/s, start: 20s, over: 1ms }
    routes: [{ route: POST /orders }]
  orders:
    kind: service
    concurrency: 1000
    routes:
      POST /orders:
        - saga:
            - { name: payment, call: payment, route: charge, undo: refund }
            - { name: shipping, call: shipping, route: ship }
    calls:
      shipping: { timeout: 10ms, retry: { attempts: 2, backoff: "none" } }
  payment:
    kind: service
    concurrency: 1000
    routes: { charge: [{ compute: 1ms }], refund: [{ compute: 1ms }] }
  shipping:
    kind: service
    concurrency: 1000
    routes: { ship: [{ compute: { type: exponential, mean: 10ms } }] }
`;
    const r = runText(text);
    const s = sagasOf(r);
    const n = s.stages.shipping.done + s.stages.shipping.failed;
    const q = Math.exp(-2);
    expect(n).toBe(s.started);
    expect(Math.abs(s.compensated - n * q)).toBeLessThan(4 * Math.sqrt(n * q * (1 - q)));
    // the client's answer is the failed stage's cause
    const byOutcome = (r.routes["POST /orders"] as { requests: { byOutcome: Record<string, number> } })
      .requests.byOutcome;
    expect(byOutcome.timeout).toBe(s.compensated);
    expect(s.stages.payment.undone).toBe(s.compensated);
    // each saga's window: charge, then ship (one or two attempts), then a refund if it failed
    expect(s.inconsistencyMs.count).toBe(s.completed + s.compensated);
  });

  it("a saga whose orchestrator dies is counted as interrupted, not lost", () => {
    const text = design({ stages: 2, seed: 5, kills: [] }).replace(
      /\nfaults:|$/,
      "\nfaults:\n  - { kill: orders, instance: 0, at: 3s, for: 1s }\n",
    );
    const r = runText(text);
    const s = sagasOf(r);
    expect(s.interrupted).toBeGreaterThan(0);
    expect(accounted(s)).toBe(s.started);
  });
});

describe("saga validation", () => {
  const base = (saga: string, extra = "") => `
duration: 10s
components:
  users: { kind: workload, target: orders, arrival: { process: constant, rate: 10/s }, routes: [{ route: POST /o }] }
  orders:
    kind: service
    routes: { POST /o: [${saga}] }${extra}
  payment: { kind: service, routes: { charge: [{ compute: 1ms }], refund: [{ compute: 1ms }] } }
`;
  it("a stage's participant must be a service", () => {
    const msg = rejection(base("{ saga: [{ name: pay, call: paymnt, route: charge }] }"));
    expect(msg).toMatch(/bad\.yaml:\d+:\d+: call "paymnt" is not a component of this design/);
    expect(msg).toMatch(/did you mean payment\?/);
  });

  it("the stage's and the undo's routes must exist at the participant", () => {
    expect(rejection(base("{ saga: [{ name: pay, call: payment, route: charge, undo: refnd }] }"))).toMatch(
      /service "payment" has no steps for route "refnd"[\s\S]*did you mean refund\?/,
    );
  });

  it("stage names are unique, and a route runs one saga", () => {
    expect(
      rejection(
        base(
          "{ saga: [{ name: pay, call: payment, route: charge }, { name: pay, call: payment, route: charge }] }",
        ),
      ),
    ).toMatch(/stage name "pay" is used twice/);
    const one = "{ saga: [{ name: pay, call: payment, route: charge }] }";
    expect(rejection(base(`${one}, ${one}`))).toMatch(/second saga step/);
  });

  it("a participant may not answer with a fallback", () => {
    expect(
      rejection(
        base(
          "{ saga: [{ name: pay, call: payment, route: charge, undo: refund }] }",
          "\n    calls: { payment: { fallback: true } }",
        ),
      ),
    ).toMatch(/saga participant: a fallback answer would count as its stage done/);
  });
});
