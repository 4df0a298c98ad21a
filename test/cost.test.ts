// The report's cost: every figure is derived here from the price catalogue
// (src/cost/prices.ts) and the run's own measurements, never copied from
// output. A month is 730 hours (365 × 24 / 12); usage measured over the
// simulated period is scaled by 730 h / simulated hours.
import { describe, expect, it } from "vitest";
import type { ComponentCost } from "../src/cost/cost.js";
import { HOURS_PER_MONTH, INSTANCE_TYPES, SERVICES, STORAGE } from "../src/cost/prices.js";
import type { Report } from "../src/report/json.js";
import { renderText } from "../src/report/text.js";
import { rejection, runFile, runText } from "./support/run.js";

const line = (r: Report, name: string): ComponentCost => {
  const l = r.cost?.components.find((c) => c.component === name);
  if (!l) throw new Error(`${name} is not priced`);
  return l;
};
/** a month's worth of one simulated period's usage */
const perMonth = (r: Report) => HOURS_PER_MONTH / (r.engine.simulatedMs / 3_600_000);

const base = (extra: string, service = "") => `
duration: 20s
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 200/s }
    routes: [{ route: GET /x, keys: { count: 1k } }]
  api:
    kind: service
    instances: 3
    concurrency: 4
${service}
    routes:
      GET /x: [{ compute: exp(5ms) }, { read: db }]
  db:
    kind: database
${extra}
`;

describe("cost of instance-priced components", () => {
  it("a month is 730 hours: 365 days x 24 h / 12", () => {
    expect(HOURS_PER_MONTH).toBe((365 * 24) / 12);
  });

  it("fixed instances cost the catalogue price x 730 h x instances; storage is GB x nodes x the gp3 rate", () => {
    const r = runText(
      base("    replicas: 2\n    instanceType: db.m5.large\n    storage: 50GB", "    instanceType: m5.large"),
    );
    const api = line(r, "api");
    expect(api.instances).toBe(3);
    expect(api.monthly).toBeCloseTo(INSTANCE_TYPES["m5.large"].hourly * HOURS_PER_MONTH * 3, 9);
    expect(api.hourly).toBeCloseTo(INSTANCE_TYPES["m5.large"].hourly * 3, 9);
    const db = line(r, "db");
    expect(db.instances).toBe(3); // a primary and two replicas
    const nodes = 3;
    expect(db.usage.storageGbMonths).toBeCloseTo(50 * nodes, 9);
    expect(db.monthly).toBeCloseTo(
      INSTANCE_TYPES["db.m5.large"].hourly * HOURS_PER_MONTH * nodes + 50 * nodes * STORAGE.gp3.perGbMonth,
      9,
    );
    expect(r.cost!.total.monthly).toBeCloseTo(api.monthly + db.monthly, 9);
    expect(r.cost!.unpriced).toEqual([]);
  });

  it("an explicit costPerHour overrides the instance type's price", () => {
    const r = runText(base("", "    instanceType: m5.large\n    costPerHour: 0.5"));
    expect(line(r, "api").monthly).toBeCloseTo(0.5 * HOURS_PER_MONTH * 3, 9);
    expect(line(r, "api").unitPrices.instanceHours).toBeCloseTo(0.5, 12);
    // the fleet's own dollars for the run agree: instance-hours x the price
    const cap = r.components.api.capacity as { cost: number; instanceSeconds: number };
    expect(cap.cost).toBeCloseTo((cap.instanceSeconds / 3600) * 0.5, 12);
    expect(r.cost!.unpriced).toEqual(["db"]);
  });

  it("an autoscaled fleet pays for the instance-seconds it ran, scaled up to a month", () => {
    const r = runText(`
duration: 10m
components:
  users:
    kind: workload
    target: api
    arrival: { process: ramp, from: 20/s, to: 300/s, over: 10m }
    routes: [{ route: GET /x }]
  api:
    kind: service
    instanceType: c5.large
    concurrency: 1
    queue: 100
    autoscale: { min: 2, max: 20, metric: rps-per-instance, target: 40/s, interval: 10s, cooldown: 30s, bootTime: 10s }
    routes:
      GET /x: [{ compute: exp(10ms) }]
`);
    const cap = r.components.api.capacity as { instanceSeconds: number; peakInstances: number };
    // the fleet grew, so its instance-seconds are not min x duration
    expect(cap.peakInstances).toBeGreaterThan(2);
    expect(cap.instanceSeconds).toBeGreaterThan(2 * 600 * 1.5);
    const api = line(r, "api");
    const price = INSTANCE_TYPES["c5.large"].hourly;
    expect(api.monthly).toBeCloseTo(price * (cap.instanceSeconds / 3600) * perMonth(r), 6);
    expect(api.instances).toBeCloseTo(cap.instanceSeconds / 600, 9);
  });
});

describe("cost of usage-priced components", () => {
  const r = runFile("examples/cost/web-app.yaml", [], { durationMs: 20_000 });

  it("a CDN pays per GB served and per 10k requests, from the bytes and requests measured", () => {
    const cdn = r.components.images as unknown as { requests: number; bytes: { served: number } };
    const p = SERVICES.cloudfront;
    const expected =
      (cdn.bytes.served / 1e9) * p.perGbOut * perMonth(r) +
      (cdn.requests / 1e4) * p.per10kRequests * perMonth(r);
    expect(cdn.bytes.served).toBeGreaterThan(0);
    expect(line(r, "images").monthly).toBeCloseTo(expected, 6);
  });

  it("a load balancer pays per LB-hour, and per LCU-hour for its request rate", () => {
    const lb = r.components.lb as unknown as { requests: number };
    const rps = lb.requests / (r.engine.simulatedMs / 1000);
    const p = SERVICES.alb;
    const expected = (p.hourly + (rps / p.requestsPerSecondPerLcu) * p.lcuHourly) * HOURS_PER_MONTH;
    expect(line(r, "lb").monthly).toBeCloseTo(expected, 9);
  });

  it("examples/cost/web-app.yaml: the CDN's egress, 200 images/s of 200 KiB, dominates the bill", () => {
    const full = runFile("examples/cost/web-app.yaml");
    const images = line(full, "images");
    // a month of 200 requests/s x 200 KiB, in GB; Poisson arrivals over 60 s (12,000
    // requests) give a relative standard deviation of 1/sqrt(12000) < 1%: allow 4 of them
    const expectedGb = (200 * 200 * 1024 * HOURS_PER_MONTH * 3600) / 1e9;
    expect(Math.abs(images.usage.gbOut / expectedGb - 1)).toBeLessThan(4 / Math.sqrt(12_000));
    const others = full.cost!.components.filter((c) => c.component !== "images");
    expect(images.monthly).toBeGreaterThan(others.reduce((s, c) => s + c.monthly, 0));
    expect(line(full, "api").monthly).toBeCloseTo(4 * INSTANCE_TYPES["m5.large"].hourly * HOURS_PER_MONTH, 9);
  });

  it("the total is the sum of the components, and the text summary shows the table", () => {
    const sum = r.cost!.components.reduce((s, c) => s + c.monthly, 0);
    expect(r.cost!.total.monthly).toBeCloseTo(sum, 9);
    expect(r.cost!.total.hourly).toBeCloseTo(sum / HOURS_PER_MONTH, 9);
    for (const c of r.cost!.components) {
      let m = 0;
      for (const k of Object.keys(c.usage)) m += c.usage[k] * c.unitPrices[k];
      expect(c.monthly).toBeCloseTo(m, 9);
    }
    const text = renderText(r);
    expect(text).toMatch(/^cost \(/m);
    expect(text).toMatch(/^total\s+\$/m);
  });

  it("an SQS queue pays per million requests: a send, a receive and a delete per message", () => {
    const q = runFile(
      "examples/messaging/priority-queue.yaml",
      [
        "components.outbox-fifo.profile=sqs",
        "components.outbox-fifo.pricing=sqs-standard",
        "components.outbox-priority.instanceType=mq.m5.large",
      ],
      { durationMs: 20_000 },
    );
    const rep = q.components["outbox-fifo"] as unknown as {
      delivery: { messages: number };
      redeliveries: number;
    };
    expect(rep.delivery.messages).toBeGreaterThan(0);
    const requests = 3 * rep.delivery.messages + rep.redeliveries;
    expect(line(q, "outbox-fifo").monthly).toBeCloseTo(
      (requests / 1e6) * SERVICES["sqs-standard"].perMillionRequests * perMonth(q),
      6,
    );
    // a RabbitMQ queue's nodes are priced as broker instances
    expect(line(q, "outbox-priority").monthly).toBeCloseTo(
      INSTANCE_TYPES["mq.m5.large"].hourly * HOURS_PER_MONTH,
      9,
    );
    expect(q.cost!.unpriced).toContain("parked-fifo");
  });

  it("a design without prices has no cost section", () => {
    const h = runFile("examples/hello.yaml", [], { durationMs: 2000 });
    expect(h.cost).toBeUndefined();
  });
});

describe("every kind is priced", () => {
  it("topics pay per broker, consumers and realtime gateways per instance", () => {
    const r = runFile(
      "examples/messaging/consumer-lag.yaml",
      ["components.events.instanceType=kafka.m5.large", "components.four.instanceType=m5.large"],
      { durationMs: 5000 },
    );
    expect(line(r, "events").instances).toBe(2); // brokers: 2
    expect(line(r, "events").monthly).toBeCloseTo(
      2 * INSTANCE_TYPES["kafka.m5.large"].hourly * HOURS_PER_MONTH,
      9,
    );
    expect(line(r, "four").monthly).toBeCloseTo(4 * INSTANCE_TYPES["m5.large"].hourly * HOURS_PER_MONTH, 9);
    const rt = runFile("examples/messaging/realtime.yaml", ["components.poll.instanceType=c5.large"], {
      durationMs: 5000,
    });
    expect(line(rt, "poll").monthly).toBeCloseTo(4 * INSTANCE_TYPES["c5.large"].hourly * HOURS_PER_MONTH, 9);
  });

  it("a Route 53 name pays its zone and its authoritative queries; API Gateway its requests", () => {
    const d = runFile("examples/edge/multi-region.yaml", ["components.dns-ttl60.pricing=route53"], {
      durationMs: 20_000,
    });
    const dns = d.components["dns-ttl60"] as unknown as { authoritativeAnswers: number };
    expect(dns.authoritativeAnswers).toBeGreaterThan(0);
    const p = SERVICES.route53;
    expect(line(d, "dns-ttl60").monthly).toBeCloseTo(
      p.zoneMonthly + (dns.authoritativeAnswers / 1e6) * p.perMillionQueries * perMonth(d),
      6,
    );
    const g = runFile("examples/resilience/rate-limiters.yaml", ["components.gw-fixed.pricing=apigw-http"], {
      durationMs: 5000,
    });
    const gw = g.components["gw-fixed"] as unknown as { arrivals: number };
    expect(line(g, "gw-fixed").monthly).toBeCloseTo(
      (gw.arrivals / 1e6) * SERVICES["apigw-http"].perMillionRequests * perMonth(g),
      6,
    );
  });

  it("a resize to a new instance type prices the restarted instances at the new type's price", () => {
    const r = runText(`
duration: 60s
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 100/s }
    routes: [{ route: GET /x }]
  api:
    kind: service
    instances: 2
    concurrency: 4
    instanceType: m5.large
    drain: 1s
    resize: { at: 10s, instanceType: m5.2xlarge, restartTime: 1s }
    routes:
      GET /x: [{ compute: exp(5ms) }]
`);
    const cap = r.components.api.capacity as { cost: number; instanceSeconds: number };
    const [small, big] = [INSTANCE_TYPES["m5.large"].hourly, INSTANCE_TYPES["m5.2xlarge"].hourly];
    const hours = cap.instanceSeconds / 3600;
    // before the resize every instance-hour costs the small price, after it the big one
    expect(cap.cost).toBeGreaterThan(hours * small);
    expect(cap.cost).toBeLessThan(hours * big);
    expect(line(r, "api").monthly).toBeCloseTo(cap.cost * perMonth(r), 9);
  });
});

describe("price validation", () => {
  it("an unknown instance type is an error at its place, with the nearest catalogue name", () => {
    const msg = rejection(base("", "    instanceType: m5.lrage"));
    expect(msg).toMatch(/bad\.yaml:\d+:\d+: unknown instance type "m5\.lrage"/);
    expect(msg).toContain("did you mean m5.large?");
  });

  it("a type of the wrong family for the kind is refused", () => {
    const msg = rejection(base("    instanceType: cache.r6g.large"));
    expect(msg).toMatch(/"cache\.r6g\.large" is an ElastiCache node type, which cannot run a database/);
    expect(msg).toContain("did you mean db.r6g.large?");
  });

  it("pricing must be a service of the component's kind, and SQS pricing has no instances", () => {
    expect(
      rejection(
        base("").replace("    target: api\n", "    target: lb\n") +
          `  lb:
    kind: load-balancer
    backend: api
    pricing: cloudfrnt
`,
      ),
    ).toMatch(/unknown pricing "cloudfrnt"[\s\S]*expected: one of alb, nlb/);
    const text = base("").replace("  db:\n", "  q:\n    kind: queue\n    instanceType: m5.large\n  db:\n");
    expect(rejection(text)).toContain("an SQS queue has no instances to price");
  });
});
