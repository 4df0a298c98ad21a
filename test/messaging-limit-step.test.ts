// The limit step: a per-key rate limit inside a service route or a consumer's
// steps, counted by the gateway's algorithms (src/mechanisms/rate-limiters.ts).
// Over the limit a request is suppressed (ok, the rest of its steps skipped)
// or, with onLimit: fail, ends with cause rate-limited. Counts are checked
// exactly against closed forms in regimes where every key surely exceeds its
// limit in every window.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { renderText } from "../src/report/text.js";
import { rejection, runText } from "./support/run.js";

interface LimitStepReport {
  name: string;
  route: string;
  key: string;
  algorithm: string;
  onLimit: string;
  admitted: number;
  limited: number;
}
interface WithLimits {
  limited: number;
  limits: LimitStepReport[];
  arrivals: number;
}
const limitsOf = (r: Report, name: string) => r.components[name] as unknown as WithLimits;
const topicMessages = (r: Report, name: string) =>
  (r.components[name] as unknown as { messages: number }).messages;

const ZERO_NET = "network: { latency: { sameZone: 0ms, client: 0ms } }";

/** One workload of constant arrivals into service api, whose route limits, then publishes to topic out. */
function serviceDesign(o: {
  /** run length: just short of a whole number of windows, so that no request opens one more */
  durationS: number;
  rate: number;
  keys: number;
  limit: string;
  onLimit?: "skip" | "fail";
}): string {
  return `
name: limit-step
duration: ${Math.round(o.durationS * 1000) - 1}ms
${ZERO_NET}
components:
  app:
    kind: workload
    target: api
    arrival: { process: constant, rate: ${o.rate}/s }
    routes: [{ route: POST /notify, keys: { count: ${o.keys} } }]
  api:
    kind: service
    instances: 2
    concurrency: 64
    routes:
      POST /notify:
        - { limit: ${o.limit}${o.onLimit ? `, onLimit: ${o.onLimit}` : ""} }
        - { compute: 1ms }
        - { publish: out }
  out: { kind: topic, partitions: 2 }
`;
}

/** Binomial(n, p) <= k: the chance a key gets no more than k of a window's n requests. */
function binomialCdf(k: number, n: number, p: number): number {
  let term = (1 - p) ** n;
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term *= ((n - i + 1) / i) * (p / (1 - p));
    sum += term;
  }
  return sum;
}

describe("a limit step in a service route", () => {
  // 200 requests/s over 4 keys, 5 per key per 1s window, for 10 windows
  const T = 10;
  const rate = 200;
  const K = 4;
  const r = 5;
  const fixed = `{ key: key, algorithm: fixed-window, limit: ${r}, window: 1s }`;

  it("fixed window: admits exactly limit x keys x windows; the rest are suppressed, answered ok", () => {
    // each key gets Binomial(200, 1/4) requests a window; 5 or fewer in any of them is rarer than 1e-12
    expect(K * T * binomialCdf(r, rate, 1 / K)).toBeLessThan(1e-12);
    const rep = runText(serviceDesign({ durationS: T, rate, keys: K, limit: fixed }));
    const api = limitsOf(rep, "api");
    const [l] = api.limits;
    expect(l.admitted).toBe(K * r * T);
    expect(api.limited).toBe(l.limited);
    // every request that reached the step was counted once, admitted or limited
    expect(l.admitted + l.limited).toBe(api.arrivals);
    // suppressed is handled: nothing failed, and only the admitted went on to publish
    expect(rep.requests.failed).toBe(0);
    expect(topicMessages(rep, "out")).toBe(l.admitted);
    expect(l).toMatchObject({
      route: "POST /notify",
      key: "key",
      algorithm: "fixed-window",
      onLimit: "skip",
    });
    expect(l.name).toBe("POST /notify key fixed-window");
    expect(renderText(rep)).toContain(
      `api limit POST /notify key fixed-window: ${l.admitted.toLocaleString("en-US")} admitted, ${l.limited.toLocaleString("en-US")} suppressed`,
    );
  });

  it("onLimit: fail ends the refused requests with cause rate-limited instead", () => {
    const rep = runText(serviceDesign({ durationS: T, rate, keys: K, limit: fixed, onLimit: "fail" }));
    const [l] = limitsOf(rep, "api").limits;
    expect(l.admitted).toBe(K * r * T);
    expect(rep.requests.byOutcome["rate-limited"]).toBe(l.limited);
    expect(rep.requests.failed).toBe(l.limited);
    expect(topicMessages(rep, "out")).toBe(l.admitted);
  });

  it("token bucket: the burst, then one token per 1/rate, whatever the arrivals", () => {
    // one key; a full bucket of 5 at the first request, refilled at 2/s: by t it has admitted 5 + floor(2 t)
    const d = 10.25;
    const rep = runText(
      serviceDesign({
        durationS: d,
        rate,
        keys: 1,
        limit: "{ key: key, algorithm: token-bucket, rate: 2/s, burst: 5 }",
      }),
    );
    const [l] = limitsOf(rep, "api").limits;
    // the first request arrives within 1/rate of 0, the last within 1/rate of d: 2 x (d - 2/rate) > 20 > ... < 21
    expect(l.admitted).toBe(5 + Math.floor(2 * d));
  });

  it("leaky queue: admitted requests wait their turn, so the route's output is the drain rate", () => {
    // a queue of 10 drained at 20/s: a request is admitted if it fits, then waits for its slot
    const rep = runText(
      serviceDesign({
        durationS: T,
        rate,
        keys: 1,
        limit: "{ key: key, algorithm: leaky-queue, rate: 20/s, burst: 10 }",
      }),
    );
    const [l] = limitsOf(rep, "api").limits;
    const published = topicMessages(rep, "out");
    // the queue fills at once and then leaks one every 50ms: 20/s leave, and as many are admitted
    expect(Math.abs(published - 20 * T)).toBeLessThanOrEqual(1);
    expect(l.admitted - published).toBeLessThanOrEqual(10 + 1);
    expect(l.admitted).toBeGreaterThanOrEqual(20 * T);
  });

  it("per user and plan: a plan's rate scales the limit, an unlimited plan is never refused", () => {
    const run = (plan: string) =>
      runText(`
name: tiers
duration: 9999ms
${ZERO_NET}
components:
  app:
    kind: workload
    target: api
    arrival: { process: constant, rate: 400/s }
    population: { users: 4, tiers: { ${["free", "pro", "enterprise"].map((t) => `${t}: ${t === plan ? 100 : 0}%`).join(", ")} } }
    routes: [{ route: POST /notify }]
  api:
    kind: service
    routes:
      POST /notify:
        - limit:
            key: user
            algorithm: fixed-window
            limit: 5
            window: 1s
            tiers: { pro: 10/s, enterprise: unlimited }
        - { compute: 1ms }
`);
    // 4 users of ~100/s each (Binomial(400, 1/4) a window: never near 10), for 10 windows
    const windows = 10;
    const pro = limitsOf(run("pro"), "api").limits[0];
    expect(pro.admitted).toBe(4 * 10 * windows);
    const free = limitsOf(run("free"), "api").limits[0];
    expect(free.admitted).toBe(4 * 5 * windows);
    const enterprise = run("enterprise");
    expect(limitsOf(enterprise, "api").limits[0].limited).toBe(0);
    expect(limitsOf(enterprise, "api").limits[0].admitted).toBe(enterprise.requests.ok);
  });

  it("the counters are the service's, shared by its instances and kept through a restart", () => {
    // 2 instances, one of them killed for 1s in the middle of a 2s window: still 5 per window in all
    const text = serviceDesign({
      durationS: 10,
      rate: 100,
      keys: 3,
      limit: "{ key: global, algorithm: fixed-window, limit: 5, window: 2s }",
    });
    const rep = runText(`${text}faults: [{ kill: api, instance: 0, at: 4500ms, for: 1s }]\n`);
    const [l] = limitsOf(rep, "api").limits;
    expect(l.admitted).toBe(5 * 5);
  });

  it("property: a global fixed window admits limit x windows when every window overflows", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 2, max: 6 }),
        (limit, windowS, windows) => {
          // at least limit + 2 arrivals per window, and some left over in the last one
          const rate = (limit + 3) / windowS + 5;
          const rep = runText(
            serviceDesign({
              durationS: windowS * windows,
              rate,
              keys: 10,
              limit: `{ key: global, algorithm: fixed-window, limit: ${limit}, window: ${windowS}s }`,
            }),
          );
          const [l] = limitsOf(rep, "api").limits;
          expect(l.admitted).toBe(limit * windows);
          expect(l.admitted + l.limited).toBe(limitsOf(rep, "api").arrivals);
        },
      ),
      { numRuns: 15, seed: 6 },
    );
  });
});

describe("a limit step in a consumer", () => {
  /** A topic of messages keyed over `keys` recipients, read by a consumer that limits, then works. */
  const consumerDesign = (limit: string, keys: number, durationS: number, onLimit = "skip") => `
name: limit-consumer
duration: ${durationS * 1000 - 1}ms
${ZERO_NET}
components:
  app:
    kind: workload
    target: api
    arrival: { process: constant, rate: 200/s }
    routes: [{ route: POST /notify, keys: { count: ${keys} } }]
  api:
    kind: service
    routes: { POST /notify: [{ publish: notifications }] }
  notifications: { kind: topic, partitions: 2 }
  push:
    kind: consumer
    topic: notifications
    instances: 2
    concurrency: 4
    steps:
      - { limit: ${limit}, onLimit: ${onLimit} }
      - { compute: 1ms }
`;
  interface Delivery {
    messages: number;
    processedOnce: number;
    failed: number;
    pending: number;
  }
  const consumer = (rep: Report) => rep.components.push as unknown as WithLimits & { delivery: Delivery };

  it("counts per message key; a suppressed message is processed (handled), not failed or retried", () => {
    const rep = runText(consumerDesign("{ key: key, algorithm: fixed-window, limit: 5, window: 1s }", 4, 10));
    const c = consumer(rep);
    const [l] = c.limits;
    expect(l.name).toBe("key fixed-window");
    expect(l.admitted).toBe(4 * 5 * 10);
    expect(c.limited).toBe(l.limited);
    expect(c.delivery.failed).toBe(0);
    // every message read was counted once by the limit
    expect(l.admitted + l.limited).toBe(c.arrivals);
  });

  it("onLimit: fail makes a refused message a failure (given up after its attempts)", () => {
    const rep = runText(
      consumerDesign("{ key: key, algorithm: fixed-window, limit: 5, window: 1s }", 4, 10, "fail"),
    );
    const c = consumer(rep);
    expect(c.limits[0].admitted).toBe(4 * 5 * 10);
    expect(c.delivery.failed).toBe(c.limited);
  });
});

describe("limit step validation", () => {
  const base = (steps: string, kind = "service") =>
    kind === "service"
      ? `
name: v
duration: 1s
components:
  app: { kind: workload, target: api, arrival: { process: poisson, rate: 1/s }, routes: [{ route: GET /x }] }
  api:
    kind: service
    routes: { GET /x: [${steps}] }
`
      : `
name: v
duration: 1s
components:
  app: { kind: workload, target: api, arrival: { process: poisson, rate: 1/s }, routes: [{ route: GET /x }] }
  api: { kind: service, routes: { GET /x: [{ publish: t }] } }
  t: { kind: topic }
  c: { kind: consumer, topic: t, steps: [${steps}] }
`;

  it("needs the parameters of its algorithm, as a gateway's limit does", () => {
    const msg = rejection(base("{ limit: { key: user, algorithm: fixed-window, limit: 5 } }"));
    expect(msg).toMatch(/a fixed-window limit needs window/);
    expect(msg).toMatch(/limit: 100, window: 1m/);
  });

  it("a consumer's messages carry only a key", () => {
    const msg = rejection(
      base("{ limit: { key: user, algorithm: fixed-window, limit: 5, window: 1h } }", "consumer"),
    );
    expect(msg).toMatch(/a message carries only its key; a consumer cannot count it per user/);
    expect(msg).toMatch(/steps\.0\.limit\.key|steps\[0\]\.limit\.key|:\d+:\d+/);
    expect(msg).toMatch(/use key: key/);
  });

  it("plans apply to users, not to a per-key count; onLimit is skip or fail", () => {
    expect(
      rejection(
        base("{ limit: { key: key, algorithm: fixed-window, limit: 5, window: 1h, tiers: { pro: 10/h } } }"),
      ),
    ).toMatch(/a limit per key counts requests of every plan together/);
    expect(
      rejection(
        base("{ limit: { key: key, algorithm: fixed-window, limit: 5, window: 1h }, onLimit: drop }"),
      ),
    ).toMatch(/skip|fail/);
  });
});
