// The API gateway: authentication, routing and composition, and its rate
// limits (several at once, per plan, cost-weighted, Retry-After), with
// counters in each instance or in a central limiter store that can fail.
import { describe, expect, it } from "vitest";
import { RATE_LIMITED } from "../src/components/outcomes.js";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import { HashedShares } from "../src/kernel/shares.js";
import type { Report } from "../src/report/json.js";
import { rejection, runText } from "./support/run.js";

interface LimitReport {
  name: string;
  admitted: number;
  limited: number;
  keys: number;
  maxPerWindow: { units: number; limit: number; ratio: number; windowMs: number } | null;
}
interface GatewayReport {
  admitted: number;
  limited: number;
  unauthorized: number;
  delayed: number;
  arrivals: number;
  latencyMs: { p50: number; max: number };
  limits: LimitReport[];
  byTier: Record<string, { admitted: number; limited: number; unauthorized: number }>;
  byKey: Record<string, { admitted: number; limited: number }>;
  store: Record<string, number | string | boolean> | null;
  series: { admitted: number[]; limited: number[] };
}
const gw = (r: Report, name = "gw") => r.components[name] as unknown as GatewayReport;

const ZERO_NET = "network: { latency: { sameZone: 0ms, client: 0ms } }";

/** A design: one workload into gateway gw, with the given gateway body and extra components. */
function design(opts: {
  gateway: string;
  rate?: string;
  users?: number;
  population?: string;
  routes?: string;
  extra?: string;
  duration?: string;
  faults?: string;
  net?: string;
  arrival?: string;
}): string {
  return `
name: t
duration: ${opts.duration ?? "10s"}
${opts.net ?? ZERO_NET}
components:
  users:
    kind: workload
    target: gw
    arrival: ${opts.arrival ?? `{ process: poisson, rate: ${opts.rate ?? "500/s"} }`}
    population: ${opts.population ?? `{ users: ${opts.users ?? 10} }`}
    routes: ${opts.routes ?? "[{ route: GET /item }]"}
  gw:
    kind: gateway
${opts.gateway
  .trim()
  .split("\n")
  .map((l) => `    ${l}`)
  .join("\n")}
  api: { kind: service, instances: 4, concurrency: 64, routes: { "*": [{ compute: 1ms }] } }
${opts.extra ?? ""}
${opts.faults ?? ""}
`;
}

describe("gateway: authentication, routing and composition", () => {
  it("refuses the failRate share of credentials (unauthorized) and adds its auth time", () => {
    const r = runText(
      design({
        gateway: `compute: 0ms\nauth: { time: 2ms, failRate: 5% }\nroutes: { "*": api }`,
        rate: "1000/s",
      }),
    );
    const g = gw(r);
    const n = g.arrivals;
    const sd = Math.sqrt(n * 0.05 * 0.95);
    expect(Math.abs(g.unauthorized - 0.05 * n)).toBeLessThan(4.5 * sd);
    expect(r.requests.byOutcome.unauthorized).toBe(g.unauthorized);
    // 2ms of auth, then the backend's 1ms
    expect(r.latencyMs.p50).toBeCloseTo(3, 1);
  });

  it("fans a composed route out to every backend at once: as slow as the slowest, failed if any fails", () => {
    const text = (faults = "") =>
      design({
        gateway: `compute: 0ms\nroutes: { GET /home: [fast, slow], "*": api }`,
        routes: "[{ route: GET /home }, { route: GET /item }]",
        extra: `  fast: { kind: service, instances: 2, concurrency: 64, routes: { "*": [{ compute: 2ms }] } }
  slow: { kind: service, instances: 2, concurrency: 64, routes: { "*": [{ compute: 5ms }] } }`,
        faults,
      });
    const r = runText(text());
    const home = r.routes["GET /home"];
    expect(home.availability).toBe(1);
    expect(home.latencyMs.p50).toBeCloseTo(5, 2);
    expect(home.latencyMs.max).toBeCloseTo(5, 2);
    expect((r.components.fast as unknown as { arrivals: number }).arrivals).toBe(home.requests.total);
    expect((r.components.slow as unknown as { arrivals: number }).arrivals).toBe(home.requests.total);
    // one of the two backends down: every composed request fails, the other route does not
    const down = runText(text("faults: [{ kill: fast, instance: all, at: 0s }]"));
    expect(down.routes["GET /home"].requests.ok).toBe(0);
    expect(down.routes["GET /item"].availability).toBe(1);
  });

  it("answers the requests an instance was holding when it dies", () => {
    const r = runText(
      design({
        gateway: `instances: 2\nroutes: { "*": api }`,
        faults: "faults: [{ kill: gw, instance: 0, at: 2s, for: 1s }]",
        extra: "",
      }).replace("compute: 1ms", "compute: 50ms"),
    );
    expect(r.requests.byOutcome["instance-down"]).toBeGreaterThan(0);
    expect(r.requests.inFlight).toBeLessThan(100);
  });
});

describe("gateway: limits", () => {
  it("several limits: all must admit, and a refused request counts in none", () => {
    // two users behind one IP, constant arrivals far above both limits: per
    // second each user may have 5 and the IP 8; if requests refused by the IP
    // limit were counted in the user limits, users would run dry early and
    // fewer than 8 would pass per window
    const r = runText(
      design({
        gateway: `compute: 0ms
routes: { "*": api }
limits:
  - { key: user, algorithm: fixed-window, limit: 5, window: 1s }
  - { key: ip, algorithm: fixed-window, limit: 8, window: 1s }`,
        arrival: "{ process: constant, rate: 200/s }",
        population: "{ users: 2, ips: 1 }",
      }),
    );
    const g = gw(r);
    for (const n of g.series.admitted.slice(1)) expect(n).toBe(8);
    expect(g.limits[0].admitted).toBe(g.admitted);
    expect(g.limits[1].admitted).toBe(g.admitted);
    expect(g.byKey.ip.limited).toBeGreaterThan(0);
    // the user limit alone refuses some too (a user out of its 5 while the IP has room)
    expect(g.limited).toBe(r.requests.byOutcome["rate-limited"]);
  });

  it("costs: a route costing 5 units takes 5 of the limit", () => {
    const r = runText(
      design({
        gateway: `compute: 0ms
routes: { "*": api }
limits: [{ key: global, algorithm: fixed-window, limit: 10, window: 1s, cost: { GET /search: 5 } }]`,
        arrival: "{ process: constant, rate: 100/s }",
        routes: "[{ route: GET /search }]",
      }),
    );
    for (const n of gw(r).series.admitted.slice(1)) expect(n).toBe(2);
  });

  it("plans: each tier gets its own limit, unlimited plans are never refused", () => {
    const r = runText(
      design({
        gateway: `routes: { "*": api }
limits:
  - key: user
    algorithm: sliding-log
    limit: 2
    window: 1s
    tiers: { pro: 20/s, enterprise: unlimited }`,
        population: "{ users: 300, tiers: { free: 70%, pro: 20%, enterprise: 10% } }",
        rate: "3000/s",
      }),
    );
    const t = gw(r).byTier;
    expect(Object.keys(t).sort()).toEqual(["enterprise", "free", "pro"]);
    expect(t.enterprise.limited).toBe(0);
    // ~10 requests a second per user: free users (2/s) are mostly refused, pro users (20/s) hardly ever
    expect(t.free.limited / (t.free.admitted + t.free.limited)).toBeGreaterThan(0.7);
    expect(t.pro.limited / (t.pro.admitted + t.pro.limited)).toBeLessThan(0.05);
    const m = gw(r).limits[0].maxPerWindow!;
    expect(m.ratio).toBeLessThanOrEqual(1);
  });

  it("sets an exact Retry-After on every rate-limited answer, which a balancer in front passes on", () => {
    const text = design({
      gateway: `compute: 0ms
routes: { "*": api }
limits: [{ key: user, algorithm: fixed-window, limit: 3, window: 1s }]`,
      rate: "200/s",
      extra: "  lb: { kind: load-balancer, backend: gw, cost: 0ms }",
    });
    for (const target of ["gw", "lb"]) {
      const loaded = loadDesign(text.replace("target: gw", `target: ${target}`), "t.yaml");
      const simulation = buildSimulation(loaded.design, 1);
      const w = simulation.workloads[0];
      const onReply = w.onReply.bind(w);
      const seen: { t: number; retryAfterMs: number }[] = [];
      w.onReply = (job) => {
        if (job.outcome === RATE_LIMITED)
          seen.push({ t: simulation.sim.now, retryAfterMs: job.retryAfterMs });
        onReply(job);
      };
      simulation.run({ maxEvents: 1e8, maxWallMs: 60_000 });
      expect(seen.length).toBeGreaterThan(100);
      // decided as the request arrived (no network, no processing): the next window starts then
      for (const s of seen) expect(s.retryAfterMs).toBeCloseTo((Math.floor(s.t / 1000) + 1) * 1000 - s.t, 6);
    }
  });

  it("clients that honour Retry-After retry into the next window and get through; blind retries are refused again", () => {
    // each user sends 2 requests a second on average against a limit of 3 a second:
    // only the seconds where a user happens to send more than 3 refuse anything
    const run = (honour: boolean) =>
      runText(
        design({
          gateway: `compute: 0ms
routes: { "*": api }
limits: [{ key: user, algorithm: fixed-window, limit: 3, window: 1s }]`,
          rate: "40/s",
          users: 20,
          duration: "30s",
        }).replace(
          "    routes: [{ route: GET /item }]",
          `    routes: [{ route: GET /item }]\n    client: { retry: { attempts: 4, backoff: none, honourRetryAfter: ${honour} } }`,
        ),
      );
    const blind = run(false);
    const polite = run(true);
    // retried at once, with no network, every attempt of a refused request finds the same full window
    expect(gw(blind).limited).toBe(4 * blind.requests.byOutcome["rate-limited"]);
    // retried when the window turns over, almost every one gets through, for far fewer refusals
    expect(polite.requests.byOutcome["rate-limited"] ?? 0).toBeLessThan(
      0.1 * blind.requests.byOutcome["rate-limited"],
    );
    expect(gw(polite).limited).toBeLessThan(0.5 * gw(blind).limited);
  });

  it("leaky-queue: requests wait their turn and leave evenly, at the drain rate", () => {
    const r = runText(
      design({
        gateway: `compute: 0ms
routes: { "*": api }
limits: [{ key: global, algorithm: leaky-queue, rate: 100/s, burst: 50 }]`,
        rate: "150/s",
      }),
    );
    const g = gw(r);
    expect(g.delayed).toBeGreaterThan(0.9 * g.admitted);
    // the backend sees exactly the drain rate each second once the queue is full
    const arrivals = (r.components.api as unknown as { series: { arrivals: number[] } }).series.arrivals;
    for (const n of arrivals.slice(2)) expect(Math.abs(n - 100)).toBeLessThanOrEqual(1);
    // a full queue of 50 at 100/s is half a second of waiting
    expect(r.latencyMs.p99).toBeGreaterThan(400);
    expect(r.latencyMs.max).toBeLessThanOrEqual(502);
  });
});

describe("gateway: where the counters live", () => {
  const limited = (extra: string) => `instances: 4
routes: { "*": api }
limits: [{ key: user, algorithm: sliding-log, limit: 20, window: 1s }]
${extra}`;
  const store = "  counters: { kind: limiter-store }";

  it("local counters let each of N instances admit the limit: up to N times it gets through", () => {
    const r = runText(design({ gateway: limited(""), rate: "400/s", users: 2 }));
    const m = gw(r).limits[0].maxPerWindow!;
    // each user sends ~200/s, far above 20/s: the 4 instances each admit 20
    expect(m.ratio).toBeGreaterThan(3.5);
    expect(m.ratio).toBeLessThanOrEqual(4);
  });

  it("an instance's own counters die with it: restarted, it admits a fresh limit", () => {
    const r = runText(
      design({
        gateway: `compute: 0ms
routes: { "*": api }
limits: [{ key: user, algorithm: fixed-window, limit: 5, window: 10s }]`,
        arrival: "{ process: constant, rate: 100/s }",
        users: 1,
        faults: "faults: [{ kill: gw, at: 2s, for: 1s }]",
      }),
    );
    // the first window: 5 at the start, and 5 more once the instance is back at 3s
    expect(gw(r).series.admitted).toEqual([5, 0, 0, 5, 0, 0, 0, 0, 0, 0]);
  });

  it("a central store holds the limit, and adds its round trip", () => {
    const net = "network: { latency: { sameZone: 0.5ms, client: 0ms } }";
    const local = runText(design({ gateway: limited(""), rate: "400/s", users: 2, net }));
    const central = runText(
      design({ gateway: limited("store: counters"), rate: "400/s", users: 2, net, extra: store }),
    );
    const m = gw(central).limits[0].maxPerWindow!;
    expect(m.ratio).toBeLessThanOrEqual(1);
    expect(m.ratio).toBeGreaterThan(0.9);
    // a round trip of 2 x 0.5ms plus the store's 20us per check
    const added = gw(central).latencyMs.p50 - gw(local).latencyMs.p50;
    expect(added).toBeGreaterThan(0.95);
    expect(added).toBeLessThan(1.2);
    expect(gw(central).store!.calls).toBe(gw(central).arrivals);
  });

  it("a read, then a separate increment: instances race past the limit; atomic checks never do", () => {
    // the race window is the round trip between a read's answer and its increment: 4ms,
    // in which ~4 more of a user's requests (1000/s each) read the same counter; each
    // time the log has room, that many extra pass, so the overshoot is a few units above
    // the limit (not a multiple of it)
    const net = "network: { latency: { sameZone: 2ms, client: 0ms } }";
    const run = (atomic: boolean) =>
      gw(
        runText(
          design({
            gateway: limited(`store: counters\natomic: ${atomic}`),
            rate: "2000/s",
            users: 2,
            net,
            extra: store,
          }),
        ),
      );
    expect(run(true).limits[0].maxPerWindow!.ratio).toBeLessThanOrEqual(1);
    const racing = run(false);
    const m = racing.limits[0].maxPerWindow!;
    expect(m.units).toBeGreaterThanOrEqual(m.limit + 2);
    expect(racing.store!.calls).toBeGreaterThan(racing.arrivals);
  });

  const outage = (policy: string) =>
    runText(
      design({
        gateway: limited(`store: counters\nonStoreFailure: ${policy}`),
        rate: "400/s",
        users: 2,
        extra: store,
        faults: "faults: [{ kill: counters, at: 4s, for: 3s }]",
      }),
    );

  it("store down, fail-open: everything passes; fail-closed: everything is refused; local: instance counters decide", () => {
    const open = gw(outage("open"));
    const closed = gw(outage("closed"));
    const local = gw(outage("local"));
    // seconds 5..7 (t = 5, 6, 7 end the seconds of the outage)
    for (const s of [4, 5, 6]) {
      expect(open.series.limited[s]).toBe(0);
      expect(closed.series.admitted[s]).toBe(0);
      // 2 users x 4 instances x 20
      expect(local.series.admitted[s]).toBeLessThanOrEqual(160);
      expect(local.series.admitted[s]).toBeGreaterThan(100);
    }
    expect(open.store!.failOpenPasses).toBe(open.store!.failures);
    expect(closed.store!.failClosedRefusals).toBe(closed.store!.failures);
    expect(local.store!.fallbackChecks).toBe(local.store!.failures);
    expect(open.store!.failures).toBeGreaterThan(1000);
    // before and after, the store holds the limit
    for (const s of [1, 2, 8, 9]) expect(open.series.admitted[s]).toBeLessThanOrEqual(40);
  });

  it("a slow store times out: the policy applies and the late answers are dropped", () => {
    const g = gw(
      runText(
        design({
          gateway: limited(`store: counters\nstoreTimeout: 5ms\nonStoreFailure: closed`),
          rate: "400/s",
          users: 2,
          extra: store,
          faults: "faults: [{ slow: counters, by: 20ms, at: 4s, for: 2s }]",
        }),
      ),
    );
    expect(g.store!.timeouts).toBeGreaterThan(500);
    expect(g.store!.failClosedRefusals).toBe(g.store!.timeouts);
    expect(g.store!.lateReplies).toBe(g.store!.timeouts);
  });
});

describe("population plans and API keys", () => {
  it("assigns each id a fixed class in the given shares", () => {
    const s = new HashedShares([80, 15, 5], 7);
    const n = 100_000;
    const counts = [0, 0, 0];
    for (let id = 0; id < n; id++) counts[s.of(id)]++;
    [0.8, 0.15, 0.05].forEach((p, i) => {
      expect(Math.abs(counts[i] - p * n)).toBeLessThan(4.5 * Math.sqrt(n * p * (1 - p)));
    });
    expect(new HashedShares([80, 15, 5], 7).of(12345)).toBe(s.of(12345));
  });
});

describe("distinct populations (firstUser)", () => {
  // 5 heavy users at 20/s each (1,200 a minute against a limit of 100) and 5 light users at 0.2/s each
  const twoCrowds = (light: string) => `
name: t
duration: 20s
${ZERO_NET}
components:
  heavy:
    kind: workload
    target: gw
    arrival: { process: poisson, rate: 100/s }
    population: { users: 5 }
    routes: [{ route: GET /heavy }]
  light:
    kind: workload
    target: gw
    arrival: { process: poisson, rate: 1/s }
    population: ${light}
    routes: [{ route: GET /light }]
  gw:
    kind: gateway
    routes: { "*": api }
    limits: [{ key: user, algorithm: sliding-log, limit: 100, window: 1m }]
  api: { kind: service, instances: 4, concurrency: 64, routes: { "*": [{ compute: 1ms }] } }
`;

  it("overlapping ids are the same people; a range of its own makes them different people", () => {
    const shared = runText(twoCrowds("{ users: 5 }"));
    const apart = runText(twoCrowds("{ users: 5, firstUser: 1000 }"));
    // shared: five counters, filled by the heavy users within seconds; the light users are refused with them
    expect(gw(shared).limits[0].keys).toBe(5);
    expect(gw(shared).limits[0].admitted).toBe(5 * 100);
    expect(shared.routes["GET /light"].availability).toBeLessThan(1);
    // apart: ten counters; the light users' ~20 requests are far below 100 a minute, so all get through
    expect(gw(apart).limits[0].keys).toBe(10);
    const light = apart.routes["GET /light"].requests.total;
    expect(light).toBeGreaterThan(0);
    expect(apart.routes["GET /light"].availability).toBe(1);
    expect(gw(apart).limits[0].admitted).toBe(5 * 100 + light);
  });
});

describe("gateway validation", () => {
  const base = (gateway: string, extra = "") =>
    design({ gateway, extra, population: "{ users: 10, tiers: { free: 90%, pro: 10% } }" });
  it("explains what a limit is missing or cannot do", () => {
    expect(
      rejection(
        base(`routes: { "*": api }\nlimits: [{ key: user, algorithm: token-bucket, limit: 5, window: 1s }]`),
      ),
    ).toMatch(/needs rate/);
    expect(
      rejection(base(`routes: { "*": api }\nlimits: [{ key: user, algorithm: fixed-window, limit: 5 }]`)),
    ).toMatch(/needs window/);
    expect(
      rejection(
        base(
          `routes: { "*": api }\nlimits: [{ key: user, algorithm: fixed-window, limit: 5, window: 1s, tiers: { prp: 10/s } }]`,
        ),
      ),
    ).toMatch(/plan "prp"[\s\S]*pro/);
    expect(
      rejection(
        base(
          `routes: { "*": api }\nlimits: [{ key: ip, algorithm: fixed-window, limit: 5, window: 1s, tiers: { pro: 10/s } }]`,
        ),
      ),
    ).toMatch(/plans belong to API keys/);
    expect(
      rejection(
        base(
          `routes: { "*": api }\nlimits: [{ key: user, algorithm: fixed-window, limit: 5, window: 1s, cost: { GET /item: 6 } }]`,
        ),
      ),
    ).toMatch(/costs 6 units/);
    expect(
      rejection(
        base(
          `routes: { "*": api }\nlimits: [{ key: user, algorithm: sliding-log, limit: 5, window: 1s, routes: [GET /itme] }]`,
        ),
      ),
    ).toMatch(/GET \/item/);
  });

  it("knows how many instances a gateway and a store have, for kill faults", () => {
    const text = (instance: number) =>
      design({
        gateway: `instances: 2\nroutes: { "*": api }\nlimits: [{ key: user, algorithm: sliding-log, limit: 5, window: 1s }]\nstore: counters`,
        extra: "  counters: { kind: limiter-store, instances: 3 }",
        faults: `faults: [{ kill: gw, instance: ${instance}, at: 1s }, { kill: counters, instance: 2, at: 1s }]`,
      });
    expect(() => runText(text(1), ["duration=2s"])).not.toThrow();
    expect(rejection(text(2))).toMatch(/instance 2 does not exist: "gw" has 2/);
  });

  it("checks routes, backends and the store", () => {
    expect(rejection(base(`routes: { GET /other: api }`))).toMatch(/no entry for route "GET \/item"/);
    expect(rejection(base(`routes: { "*": apu }`))).toMatch(/backend "apu"/);
    expect(rejection(base(`routes: { "*": api }\nonStoreFailure: closed`))).toMatch(
      /applies to counters in a limiter store/,
    );
    expect(
      rejection(
        base(
          `routes: { "*": api }\nstore: api\nlimits: [{ key: user, algorithm: sliding-log, limit: 5, window: 1s }]`,
        ),
      ),
    ).toMatch(/store "api" is a service/);
  });
});
