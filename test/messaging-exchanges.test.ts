// RabbitMQ exchanges (MQ-15): routing by type, copies per bound queue,
// unroutable messages, the broker's throughput, and exact accounting.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type PublishRouting, pickShape } from "../src/components/exchange.js";
import { stream } from "../src/kernel/rng.js";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

interface ExchangeReport {
  utilization: number;
  published: number;
  routed: number;
  copies: number;
  copiesByQueue: Record<string, number>;
  refusedCopies: number;
  unroutable: number;
  returned: number;
  toAlternate: number;
  rejected: number;
}
interface QueueReport {
  fromExchanges?: { taken: number; refused: number };
  delivery: {
    messages: number;
    processedOnce: number;
    duplicated: number;
    deduped: number;
    lost: number;
    deadLettered: number;
    pending: number;
  };
}
const exchange = (r: Report, n: string) => r.components[n] as unknown as ExchangeReport;
const queue = (r: Report, n: string) => r.components[n] as unknown as QueueReport;
/** every message a queue took is processed once, duplicated, deduped, lost, dead-lettered or still pending */
const conserved = (q: QueueReport) => {
  const d = q.delivery;
  return d.processedOnce + d.duplicated + d.deduped + d.lost + d.deadLettered + d.pending === d.messages;
};
/** a count of Binomial(n, p) lies within 4.5 standard deviations of n p (fixed seeds: a margin, not a flake rate) */
const binomial = (count: number, n: number, p: number) =>
  expect(Math.abs(count - n * p)).toBeLessThan(4.5 * Math.sqrt(n * p * (1 - p)));

describe("examples/messaging/exchanges.yaml", () => {
  const r = runFile("examples/messaging/exchanges.yaml");
  const orders = exchange(r, "order-events");
  const n = orders.published;

  it("topic routing: order.*.eu takes the eu events, order.# every order event, refund.* none", () => {
    // the keys' weights are 4:3:2:1 for created.eu, created.us, shipped.eu, refund.issued.apac
    binomial(orders.copiesByQueue["eu-fulfilment"], n, 0.6);
    binomial(orders.copiesByQueue["us-billing"], n, 0.3);
    binomial(orders.unroutable, n, 0.1);
    // order.# takes exactly the messages that were routed at all
    expect(orders.copiesByQueue.audit).toBe(orders.routed);
    expect(orders.routed + orders.unroutable).toBe(n);
    expect(orders.copies).toBe(
      orders.copiesByQueue.audit + orders.copiesByQueue["eu-fulfilment"] + orders.copiesByQueue["us-billing"],
    );
  });

  it("a fanout of three queues makes three copies of every publish", () => {
    const b = exchange(r, "broadcast");
    expect(b.published).toBe(n);
    expect(b.copies).toBe(3 * n);
    for (const q of ["cache-a", "cache-b", "cache-c"]) expect(b.copiesByQueue[q]).toBe(n);
  });

  it("mandatory publishes that no binding takes are returned: the request fails with unroutable", () => {
    const p = exchange(r, "payments");
    binomial(p.returned, p.published, 0.1);
    expect(p.unroutable).toBe(0);
    const pay = r.routes["POST /pay"].requests.byOutcome as Record<string, number>;
    expect(pay.unroutable).toBe(p.returned);
  });

  it("the alternate exchange takes what no binding of invoices does, into the parking queue", () => {
    const inv = exchange(r, "invoices");
    binomial(inv.toAlternate, inv.published, 0.5);
    expect(inv.unroutable + inv.returned).toBe(0);
    expect(inv.copiesByQueue.parking).toBe(inv.toAlternate);
    expect(queue(r, "parking").delivery.messages).toBe(inv.toAlternate);
  });

  it("every copy is a message of its queue, accounted for exactly once", () => {
    for (const name of ["eu-fulfilment", "audit", "us-billing", "cache-a", "card-payments", "parking"]) {
      const q = queue(r, name);
      expect(q.fromExchanges!.taken).toBe(q.delivery.messages);
      expect(conserved(q)).toBe(true);
      // the consumers keep up: at most a few in flight at the end
      expect(q.delivery.pending).toBeLessThan(20);
    }
  });

  it("the broker is far from its limit (about 50K copies/s per node)", () => {
    expect(orders.utilization).toBeLessThan(0.05);
  });
});

describe("an exchange's throughput", () => {
  // one node, one thread, 1ms per copy: 1,000 copies/s; a fanout of 4 routes at most 250 publishes/s
  const design = (rate: number) => `
name: fanout-limit
duration: 20s
seed: 3
components:
  load: { kind: workload, target: api, arrival: { process: poisson, rate: ${rate}/s }, routes: [{ route: POST /x }] }
  api: { kind: service, instances: 4, concurrency: 64, routes: { "*": [{ publish: wide }] } }
  wide:
    kind: exchange
    type: fanout
    concurrency: 1
    opTime: 1ms
    queue: 50
    bindings: [{ queue: q1 }, { queue: q2 }, { queue: q3 }, { queue: q4 }]
  q1: { kind: queue, profile: rabbitmq }
  q2: { kind: queue, profile: rabbitmq }
  q3: { kind: queue, profile: rabbitmq }
  q4: { kind: queue, profile: rabbitmq }
`;

  it("is the node's threads over opTime per copy: offered more, it routes 250 publishes/s and refuses the rest", () => {
    const r = runText(design(400));
    const w = exchange(r, "wide");
    expect(w.utilization).toBeGreaterThan(0.97);
    const perSecond = w.published / 20;
    expect(perSecond).toBeGreaterThan(250 * 0.97);
    expect(perSecond).toBeLessThanOrEqual(250 * 1.005);
    expect(w.rejected).toBeGreaterThan(0);
    expect(w.copies).toBe(4 * w.published);
  });

  it("below it, utilisation is the copies' share of the node's time", () => {
    const r = runText(design(100));
    const w = exchange(r, "wide");
    // 100 publishes/s x 4 copies x 1ms = 0.4 of the one thread
    expect(Math.abs(w.utilization - 0.4)).toBeLessThan(0.03);
    expect(w.rejected).toBe(0);
  });
});

describe("headers exchanges and routing by request key", () => {
  it("a headers binding takes messages whose headers match all, or any, of its values", () => {
    const r = runText(`
name: headers
duration: 20s
seed: 8
components:
  load: { kind: workload, target: api, arrival: { process: poisson, rate: 200/s }, routes: [{ route: POST /x }] }
  api:
    kind: service
    concurrency: 64
    routes:
      "*":
        - publish: docs
          routing:
            - { headers: { format: pdf, type: report }, weight: 1 }
            - { headers: { format: pdf, type: invoice }, weight: 1 }
            - { headers: { format: csv, type: report }, weight: 2 }
  docs:
    kind: exchange
    type: headers
    bindings:
      - { queue: pdf-reports, headers: { format: pdf, type: report } }
      - { queue: pdf-or-report, headers: { format: pdf, type: report }, match: any }
      - { queue: invoices, headers: { type: invoice } }
  pdf-reports: { kind: queue, profile: rabbitmq }
  pdf-or-report: { kind: queue, profile: rabbitmq }
  invoices: { kind: queue, profile: rabbitmq }
`);
    const x = exchange(r, "docs");
    // every message has format pdf or type report: any takes them all; all takes the first kind only
    expect(x.copiesByQueue["pdf-or-report"]).toBe(x.published);
    binomial(x.copiesByQueue["pdf-reports"], x.published, 0.25);
    binomial(x.copiesByQueue.invoices, x.published, 0.25);
    expect(x.unroutable).toBe(0);
  });

  it("routeBy request-key: one request key always carries the same entry; over keys, the weights' shares", () => {
    const rng = stream(1, "test");
    const r: PublishRouting = {
      shapes: Int32Array.from([10, 20]),
      cum: Float64Array.from([0.25, 1]),
      byKey: true,
    };
    let second = 0;
    for (let key = 0; key < 10_000; key++) {
      const first = pickShape(r, key, rng);
      // whatever the rng's state, the key decides
      for (let k = 0; k < 3; k++) expect(pickShape(r, key, rng)).toBe(first);
      if (first === 20) second++;
    }
    binomial(second, 10_000, 0.75);
    // drawn at random, one key gets both
    const random = { ...r, byKey: false };
    const seen = new Set(Array.from({ length: 50 }, () => pickShape(random, 7, rng)));
    expect(seen).toEqual(new Set([10, 20]));
  });
});

describe("accounting, property", () => {
  /** the AMQP topic rule as a recursion over words, independent of the matcher */
  const topicRef = (p: string[], k: string[]): boolean =>
    p.length === 0
      ? k.length === 0
      : p[0] === "#"
        ? topicRef(p.slice(1), k) || (k.length > 0 && topicRef(p, k.slice(1)))
        : k.length > 0 && (p[0] === "*" || p[0] === k[0]) && topicRef(p.slice(1), k.slice(1));

  it("every publish is routed, dropped or returned, and every copy is in exactly one bound queue's accounting", () => {
    const words = fc.array(fc.constantFrom("a", "b"), { minLength: 1, maxLength: 3 });
    const patterns = fc.array(fc.constantFrom("a", "b", "*", "#"), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(
        fc.constantFrom("direct", "topic", "fanout"),
        fc.array(fc.tuple(fc.nat(2), patterns), { minLength: 1, maxLength: 4 }),
        words,
        fc.boolean(),
        fc.option(fc.integer({ min: 5, max: 50 }), { nil: undefined }),
        fc.integer({ min: 1, max: 1000 }),
        (type, bs, key, mandatory, maxLength, seed) => {
          const bindings = bs.map(([q, p]) =>
            type === "fanout"
              ? `{ queue: q${q} }`
              : `{ queue: q${q}, key: "${type === "direct" ? p.filter((w) => w.length === 1 && w !== "*" && w !== "#").join(".") || "a" : p.join(".")}" }`,
          );
          const keyOf = (b: string) => /key: "([^"]*)"/.exec(b)?.[1] ?? "";
          const r = runText(`
name: prop
duration: 3s
seed: ${seed}
components:
  load: { kind: workload, target: api, arrival: { process: poisson, rate: 300/s }, routes: [{ route: POST /x }] }
  api: { kind: service, instances: 2, concurrency: 64, routes: { "*": [{ publish: x, ${type === "fanout" ? "" : `routing: [{ key: "${key.join(".")}" }], `}mandatory: ${mandatory} }] } }
  x: { kind: exchange, type: ${type}, bindings: [${bindings.join(", ")}] }
${[0, 1, 2].map((i) => `  q${i}: { kind: queue, profile: rabbitmq${maxLength ? `, maxLength: ${maxLength}` : ""} }\n  c${i}: { kind: consumer, queue: q${i}, steps: [{ compute: 5ms }] }`).join("\n")}
`);
          const x = exchange(r, "x");
          expect(x.routed + x.unroutable + x.returned).toBe(x.published);
          const matched = new Set(
            bindings
              .filter((b) =>
                type === "fanout"
                  ? true
                  : type === "direct"
                    ? keyOf(b) === key.join(".")
                    : topicRef(keyOf(b).split("."), key),
              )
              .map((b) => Number(/q(\d)/.exec(b)![1])),
          );
          expect(x.routed).toBe(matched.size > 0 ? x.published : 0);
          expect(mandatory ? x.returned : x.unroutable).toBe(matched.size > 0 ? 0 : x.published);
          let copies = 0;
          for (const i of [0, 1, 2]) {
            const q = queue(r, `q${i}`);
            const taken = q.fromExchanges?.taken ?? 0;
            const refused = q.fromExchanges?.refused ?? 0;
            expect(taken + refused).toBe(matched.has(i) ? x.published : 0);
            expect(x.copiesByQueue[`q${i}`] ?? 0).toBe(taken);
            expect(q.delivery.messages).toBe(taken);
            expect(conserved(q)).toBe(true);
            copies += taken;
          }
          expect(x.copies).toBe(copies);
          expect(x.refusedCopies).toBe(matched.size * x.published - copies);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("the same seed gives the same report", () => {
    const a = runFile("examples/messaging/exchanges.yaml");
    const b = runFile("examples/messaging/exchanges.yaml");
    expect(JSON.stringify(a.components)).toBe(JSON.stringify(b.components));
  });
});

describe("validation", () => {
  const base = (x: string, step = "{ publish: x }") => `
name: bad
duration: 1s
components:
  load: { kind: workload, target: api, arrival: { process: poisson, rate: 1/s }, routes: [{ route: POST /x }] }
  api: { kind: service, routes: { "*": [${step}] } }
  x: ${x}
  q: { kind: queue }
`;
  it("a direct or topic binding needs a key", () => {
    expect(rejection(base("{ kind: exchange, type: topic, bindings: [{ queue: q }] }"))).toMatch(
      /has no key/,
    );
  });
  it("a fanout binding takes no key, and a headers binding needs headers", () => {
    expect(rejection(base("{ kind: exchange, type: fanout, bindings: [{ queue: q, key: a }] }"))).toMatch(
      /ignores routing keys/,
    );
    expect(rejection(base("{ kind: exchange, type: headers, bindings: [{ queue: q }] }"))).toMatch(
      /asks for none/,
    );
  });
  it("a binding names a queue, and the alternate exchange another exchange", () => {
    expect(rejection(base("{ kind: exchange, type: fanout, bindings: [{ queue: nope }] }"))).toMatch(/nope/);
    expect(
      rejection(base("{ kind: exchange, type: fanout, alternateExchange: x, bindings: [{ queue: q }] }")),
    ).toMatch(/its own alternate/);
  });
  it("routing applies to exchanges only, and a topic message's key has no wildcards", () => {
    expect(
      rejection(
        base("{ kind: queue }", "{ publish: x, routing: [{ key: a }] }").replace(
          "  q: { kind: queue }\n",
          "",
        ),
      ),
    ).toMatch(/routing applies to a publish to an exchange/);
    expect(
      rejection(
        base(
          "{ kind: exchange, type: topic, bindings: [{ queue: q, key: '#' }] }",
          "{ publish: x, routing: [{ key: a.* }] }",
        ),
      ),
    ).toMatch(/wildcards/);
  });
});
