// The saga and fan-out examples show what they say they show, with
// expectations derived from their rates; and docs/report.md describes every
// field of a saga report.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { renderText } from "../src/report/text.js";
import { runFile } from "./support/run.js";

describe("examples/messaging/saga-order.yaml", () => {
  const r = runFile("examples/messaging/saga-order.yaml");
  const s = (r.components.orders.sagas as Record<string, Record<string, unknown>>)["POST /orders"];
  const stages = s.stages as Record<
    string,
    { done: number; failed: number; undone: number; undoFailed: number }
  >;
  const count = (k: string) => s[k] as number;
  const RATE = 100; // orders per second, evenly spaced
  const OUTAGE = 10; // seconds shipping is down

  it("the orders reaching shipping during its outage are compensated: refunded and released", () => {
    // Shipping refuses at once while down, so a saga fails when all three of
    // its attempts fall in the outage: every order reaching it then, less
    // those near the end that a retry (full jitter, waits up to 50 + 100ms)
    // carries past it, plus the few in progress at shipping when it died
    // (100/s x its ~25ms of work).
    const failed = stages.shipping.failed;
    expect(failed).toBeGreaterThanOrEqual(RATE * OUTAGE - RATE * 0.15 - 1);
    expect(failed).toBeLessThanOrEqual(RATE * OUTAGE + 1 + 3);
    expect(count("compensated")).toBe(failed);
    expect(stages.payment.undone).toBe(failed);
    expect(stages.inventory.undone).toBe(failed);
    // the clients get shipping's failure
    const requests = (r.routes["POST /orders"] as { requests: { byOutcome: Record<string, number> } })
      .requests;
    expect(requests.byOutcome.ok).toBeLessThanOrEqual(count("completed"));
    expect(requests.byOutcome["no-healthy-backend"] + (requests.byOutcome["instance-down"] ?? 0)).toBe(
      failed,
    );
  });

  it("the saga converges: nothing half-done, nothing stuck, nothing lost", () => {
    expect(count("compensationFailed")).toBe(0);
    expect(count("aborted") + count("interrupted")).toBe(0);
    expect(count("completed") + count("compensated") + count("inFlight")).toBe(count("started"));
    // what payment and inventory keep is exactly what the completed sagas did
    // (a saga still in flight at the end may hold one more)
    for (const st of [stages.payment, stages.inventory]) {
      const net = st.done - st.undone;
      expect(net).toBeGreaterThanOrEqual(count("completed"));
      expect(net).toBeLessThanOrEqual(count("completed") + count("inFlight"));
    }
    // each charge and each refund is one write of the payments database
    const writes = r.components["payments-db"].writes as number;
    expect(writes - (stages.payment.done + stages.payment.undone)).toBeGreaterThanOrEqual(0);
    expect(writes - (stages.payment.done + stages.payment.undone)).toBeLessThanOrEqual(count("inFlight"));
  });

  it("the terminal summary says how the sagas ended", () => {
    const text = renderText(r);
    expect(text).toContain(
      `orders POST /orders: ${count("started").toLocaleString("en-US")} sagas: ${count("completed").toLocaleString("en-US")} completed, ${count("compensated")} compensated, 0 stuck`,
    );
    expect(text).toMatch(/temporarily inconsistent for p50 [\d.]+ms, p99 [\d.]+ms/);
  });

  it("measures the window of temporary inconsistency of every saga that ended", () => {
    const w = s.inconsistencyMs as { count: number; max: number };
    expect(w.count).toBe(count("completed") + count("compensated"));
    // a window spans at most the stages' calls, shipping's retries and the undos: well under a second
    expect(w.max).toBeGreaterThan(0);
    expect(w.max).toBeLessThan(1000);
  });
});

describe("examples/messaging/saga-choreography.yaml", () => {
  const r = runFile("examples/messaging/saga-choreography.yaml");
  type Delivery = {
    messages: number;
    processedOnce: number;
    deadLettered: number;
    pending: number;
    lost: number;
  };
  const delivery = (q: string) => (r.components[q] as unknown as { delivery: Delivery }).delivery;
  const writes = (db: string) => r.components[db].writes as number;
  const RATE = 100;
  const OUTAGE = 10;

  it("ship requests failing during the outage are dead-lettered and compensated", () => {
    // a failed delivery is given back and received again at once, so all 3
    // receives of a request fall in the outage: the requests sent then, plus
    // the few being shipped when shipping died (100/s x ~25ms)
    const ships = delivery("ship-requests");
    expect(ships.deadLettered).toBeGreaterThanOrEqual(RATE * OUTAGE - 1);
    expect(ships.deadLettered).toBeLessThanOrEqual(RATE * OUTAGE + 1 + 3);
    // every ShipmentFailed event is taken by the compensator and processed once
    const failed = delivery("shipment-failed");
    expect(failed.messages).toBe(ships.deadLettered);
    expect(failed.processedOnce).toBe(ships.deadLettered);
    // no order is lost: each ship request is shipped, dead-lettered or still in the queue
    expect(ships.lost).toBe(0);
    expect(ships.processedOnce + ships.deadLettered + ships.pending).toBe(ships.messages);
    // each refund is a payments write: what payment keeps is what was shipped (or is on its way)
    const kept = writes("payments-db") - 2 * failed.processedOnce;
    expect(kept - writes("shipments-db")).toBeGreaterThanOrEqual(0);
    const ordersInFlight = (r.routes["POST /orders"] as { requests: { inFlight: number } }).requests.inFlight;
    expect(kept - writes("shipments-db")).toBeLessThanOrEqual(ships.pending + ordersInFlight);
  });

  it("unlike the orchestrated saga, the clients are told every order was accepted", () => {
    const requests = (
      r.routes["POST /orders"] as { requests: { failed: number; byOutcome: Record<string, number> } }
    ).requests;
    expect(requests.failed).toBe(0);
    expect(Object.keys(requests.byOutcome)).toEqual(["ok"]);
  });
});

interface Group {
  delivery: { messages: number; lost: number; processedOnce: number; duplicated: number };
  lag: { messages: number; maxMessages: number; alertSeconds: number };
  series: { lag: number[] };
}

describe("examples/messaging/fan-out-channels.yaml", () => {
  const r: Report = runFile("examples/messaging/fan-out-channels.yaml");
  const group = (name: string) => r.components[name] as unknown as Group;
  const published = r.components.notifications.messages as number;
  const RATE = 1000;
  const BATCH = 100;
  // lag counts messages not yet committed: each instance may hold one batch processed but uncommitted
  const slack = (instances: number) => BATCH * instances;

  it("every group reads every message and loses none", () => {
    for (const name of ["email", "push", "sms", "analytics"]) {
      const g = group(name);
      expect(g.delivery.messages).toBe(published);
      expect(g.delivery.lost).toBe(0);
    }
  });

  it("the sms outage lags sms alone, by the events of the outage and the rebalance, then drains", () => {
    const sms = group("sms");
    // down 10s, then a 3s rebalance pause (the default) before it reads again
    const peak = RATE * (10 + 3);
    expect(Math.abs(sms.lag.maxMessages - peak)).toBeLessThanOrEqual(slack(4));
    // drains at 4 x 500/s - 1,000/s = 1,000/s: caught up 13s after reading again at 33s
    const caughtUp = 33 + peak / (4 * 500 - RATE);
    expect(sms.series.lag[Math.ceil(caughtUp) + 1]).toBeLessThanOrEqual(slack(4));
    expect(sms.lag.messages).toBeLessThanOrEqual(slack(4));
  });

  it("push's slow provider lags push alone, by what the slower pace cannot keep up with", () => {
    const push = group("push");
    // 3ms a message on 2 instances for 10s: 1,000/s arrive, 667/s are processed
    const peak = (RATE - 2 / 0.003) * 10;
    expect(Math.abs(push.lag.maxMessages - peak)).toBeLessThanOrEqual(slack(2));
    expect(push.lag.messages).toBeLessThanOrEqual(slack(2));
  });

  it("the healthy groups stay current throughout", () => {
    for (const [name, instances] of [
      ["email", 4],
      ["analytics", 6],
    ] as const) {
      const g = group(name);
      expect(g.lag.maxMessages).toBeLessThanOrEqual(slack(instances));
      expect(g.lag.alertSeconds).toBe(0);
    }
    expect(group("sms").lag.alertSeconds).toBeGreaterThan(0);
  });
});

describe("docs/report.md for sagas", () => {
  const reportDoc = readFileSync("docs/report.md", "utf8");
  const mentioned = new Set<string>();
  for (const m of reportDoc.matchAll(/`([^`\n]+)`/g)) {
    mentioned.add(m[1]);
    for (const part of m[1].split(/[.\s[\]()=,]+/)) if (part) mentioned.add(part);
  }
  it("mentions every field of a saga report", () => {
    const r = runFile("examples/messaging/saga-order.yaml", ["duration=5s"]);
    const sagas = r.components.orders.sagas as Record<string, Record<string, unknown>>;
    const s = sagas["POST /orders"];
    const stage = (s.stages as Record<string, object>).payment;
    const missing = [
      ...["sagas", ...Object.keys(s)].filter((k) => !mentioned.has(k)),
      ...Object.keys(stage).filter((k) => !mentioned.has(k)),
    ];
    expect(missing).toEqual([]);
  });
});
