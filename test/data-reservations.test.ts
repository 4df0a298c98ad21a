// examples/data/reservations.yaml (CR-08): a flash sale with holds at
// checkout against check-then-decrement. Expectations from the design's
// rates and the pattern's logic.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadDesign } from "../src/design/load.js";
import { rejection, runFile, runText } from "./support/run.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("examples/data/reservations.yaml", () => {
  const file = "examples/data/reservations.yaml";
  const { design } = loadDesign(readFileSync(file, "utf8"), file);
  const r = runFile(file) as unknown as Any;
  const [hold, check] = r.components.shop.reservations as Any[];
  const route = (name: string) => r.routes[name].requests as Any;
  const stock = 500;
  // per route: half the shoppers; 90% of payments take exp(1s), the rest 30s (past the 5s timeout)
  const perRoute = (design.components.shoppers as Any).arrival.rate / 2;

  it("holds: never more sold than the stock, and every unit accounted for", () => {
    expect(hold.stock).toBe(stock);
    expect(hold.sold).toBeLessThanOrEqual(stock);
    expect(hold.oversold).toBe(0);
    expect(hold.sold + hold.held + hold.available).toBe(stock);
    // a sale is a successful checkout, a refusal a sold-out answer
    expect(hold.sold).toBe(route("POST /checkout/hold").ok);
    expect(hold.soldOut).toBe(route("POST /checkout/hold").byOutcome["sold-out"]);
  });

  it("holds of timed-out payments expire and their units are sold again", () => {
    const failed = route("POST /checkout/hold").byOutcome.timeout as number;
    // every failed checkout's hold has expired or (taken in the last minute) is still held
    expect(hold.expiredHolds + hold.held).toBe(failed);
    expect(hold.expiredHolds).toBeGreaterThan(0);
    expect(hold.lateConfirmations).toBe(0); // payments give up after 5s, long before a 1m hold expires
    // demand outlasts the stock: whatever is not held at the end has been sold
    expect(hold.available).toBe(0);
    expect(hold.sold).toBe(stock - hold.held);
  });

  it("check-then-decrement oversells by the successful payments in flight when the last unit sells", () => {
    expect(check.sold).toBe(route("POST /checkout/check").ok);
    // Little's law: 20/s x 90% succeeding x 1s mean payment = 18 in flight (Poisson-like, sd ~4)
    const inFlight = perRoute * 0.9 * 1;
    expect(check.oversold).toBeGreaterThan(0);
    expect(Math.abs(check.oversold - inFlight)).toBeLessThanOrEqual(4 * Math.sqrt(inFlight));
    expect(check.sold).toBe(stock + check.oversold);
  });

  it("a reserve step is a service route's step only, and its stock a whole number", () => {
    const base = (step: string) => `
name: bad
duration: 1s
components:
  w: { kind: workload, target: s, arrival: { process: poisson, rate: 1/s }, routes: [{ route: GET / }] }
  s:
    kind: service
    routes: { "GET /": [${step}] }
`;
    expect(() => runText(base("{ reserve: { stock: 2.5 } }"))).toThrow(/whole number/);
    expect(() => runText(base("{ reserve: { stock: 5, mode: maybe } }"))).toThrow(
      /hold, check-then-decrement/,
    );
    // nothing in stock: every checkout is refused
    const none = runText(base("{ reserve: { stock: 0 } }").replace("rate: 1/s", "rate: 50/s"));
    expect(none.requests.total).toBeGreaterThan(0);
    expect(none.requests.byOutcome["sold-out"]).toBe(none.requests.total - none.requests.inFlight);
    // not a consumer's step
    const consumer = `
name: bad
duration: 1s
components:
  t: { kind: topic }
  c: { kind: consumer, topic: t, steps: [{ reserve: { stock: 5 } }] }
`;
    expect(rejection(consumer)).toMatch(/reserve/);
  });
});
