// Where a load balancer sends requests: layer-7 rules (LB-12), sticky
// sessions (LB-20), ip-hash behind one NAT (LB-06), consistent hashing on the
// data key (LB-07), and that one pool's faults do not disturb another pool.
import { describe, expect, it } from "vitest";
import { DesignError } from "../src/design/errors.js";
import { loadDesign } from "../src/design/load.js";
import type { Report } from "../src/report/json.js";
import { runText } from "./support/run.js";

interface LbReport {
  requests: number;
  noHealthyBackend: number;
  sessionsRepinned: number;
  pools: Record<string, { backend: string; forwarded: number[]; healthy: boolean[] }>;
  healthEvents: { t: number; pool: string; instance: number; healthy: boolean }[];
}
const lbOf = (r: Report, name = "lb") => r.components[name] as unknown as LbReport;
const arrivals = (r: Report, name: string) => r.components[name].arrivals as number;
const nonZero = (xs: number[]) => xs.filter((x) => x > 0).length;

describe("layer-7 rules (LB-12)", () => {
  // Zero network, zero balancer cost and a zero compute step make every
  // request finish at the instant it is issued, so nothing is in flight at the
  // end and per-service arrivals must equal the per-route counts exactly.
  const services = ["usersRead", "usersWrite", "assets", "api", "web"];
  const yaml = `
duration: 10s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: lb
    arrival: { process: poisson, rate: 2000/s }
    routes:
      - { route: GET /api/users/:id }
      - { route: get /api/users }
      - { route: POST /api/users }
      - { route: DELETE /api/users/:id }
      - { route: GET /static/app.js }
      - { route: GET /staticky }
      - { route: GET /api/orders/:id }
      - { route: PUT /api }
      - { route: GET /apiary }
      - { route: GET / }
      - { route: job }
  lb:
    kind: load-balancer
    layer: 7
    cost: 0ms
    backend: web
    rules:
      - { path: /api/users, method: get, backend: usersRead }
      - { path: /api/users, backend: usersWrite }
      - { path: /static*, backend: assets }
      - { path: /api, backend: api }
      - { path: /, method: PATCH, backend: api }
${services.map((s) => `  ${s}:\n    kind: service\n    instances: 2\n    concurrency: 64\n    routes: { "*": [{ compute: 0ms }] }`).join("\n")}
`;
  const expected: Record<string, string> = {
    "GET /api/users/:id": "usersRead", // prefix on whole segments, method compared without case
    "get /api/users": "usersRead",
    "POST /api/users": "usersWrite", // first rule's method does not match: falls to the next rule
    "DELETE /api/users/:id": "usersWrite",
    "GET /static/app.js": "assets", // a "*" pattern is a plain prefix...
    "GET /staticky": "assets", // ...so it also matches /staticky
    "GET /api/orders/:id": "api",
    "PUT /api": "api", // the prefix itself
    "GET /apiary": "web", // /api does not match /apiary: default backend
    "GET /": "web", // the PATCH rule does not match a GET
    job: "web", // a route without a method has no method: only method-less rules apply
  };

  it("sends each route to the service its first matching rule names, else to the default backend", () => {
    const r = runText(yaml, [], { seed: 4 });
    expect(r.requests.inFlight).toBe(0);
    expect(r.requests.failed).toBe(0);
    const perService: Record<string, number> = Object.fromEntries(services.map((s) => [s, 0]));
    for (const [route, svc] of Object.entries(expected)) {
      const n = r.routes[route].requests.total;
      // every route was exercised (≈ 20000/11 each)
      expect(n).toBeGreaterThan(1000);
      perService[svc] += n;
    }
    for (const s of services) expect(arrivals(r, s)).toBe(perService[s]);
    const pools = lbOf(r).pools;
    for (const s of services) {
      expect(pools[s].backend).toBe(s);
      expect(pools[s].forwarded.reduce((a, b) => a + b, 0)).toBe(perService[s]);
    }
  });

  it("routes on request headers: names compared without case, values exactly, together with path and method", () => {
    const text = `
duration: 10s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: lb
    arrival: { process: poisson, rate: 2000/s }
    routes:
      - { route: GET /a, headers: { x-tier: premium } }
      - { route: GET /b }
      - { route: GET /c, headers: { X-Tier: premium } }
      - { route: GET /d, headers: { x-tier: Premium } }
      - { route: GET /api/e, headers: { user-agent: mobile, x-tier: gold } }
      - { route: POST /api/f, headers: { user-agent: mobile } }
  lb:
    kind: load-balancer
    layer: 7
    cost: 0ms
    backend: standard
    rules:
      - { path: /api, method: GET, header: { User-Agent: mobile }, backend: mobile }
      - { header: { x-tier: premium }, backend: premium }
${["standard", "premium", "mobile"].map((s) => `  ${s}:\n    kind: service\n    concurrency: 64\n    routes: { "*": [{ compute: 0ms }] }`).join("\n")}
`;
    const r = runText(text, [], { seed: 5 });
    expect(r.requests.failed).toBe(0);
    const n = (route: string) => r.routes[route].requests.total;
    for (const route of ["GET /a", "GET /b", "GET /c", "GET /d", "GET /api/e", "POST /api/f"])
      expect(n(route)).toBeGreaterThan(2000);
    expect(arrivals(r, "premium")).toBe(n("GET /a") + n("GET /c"));
    expect(arrivals(r, "mobile")).toBe(n("GET /api/e"));
    // a value differing in case, or a header rule whose method does not match, falls through
    expect(arrivals(r, "standard")).toBe(n("GET /b") + n("GET /d") + n("POST /api/f"));
  });

  it("rejects a design in which some route matches no rule and there is no default backend, naming the route's location", () => {
    const text = `duration: 5s
components:
  users:
    kind: workload
    target: lb
    arrival: { process: poisson, rate: 10/s }
    routes:
      - route: GET /api/x
      - route: GET /other
  lb:
    kind: load-balancer
    layer: 7
    rules:
      - { path: /api, backend: api }
  api:
    kind: service
    routes: { "*": [{ compute: 1ms }] }
`;
    let err: unknown;
    try {
      loadDesign(text, "routes.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DesignError);
    const diags = (err as DesignError).diagnostics;
    expect(diags).toHaveLength(1);
    const d = diags[0];
    expect(d.message).toContain('"lb"');
    expect(d.message).toContain('"GET /other"');
    expect(d.path).toEqual(["components", "users", "routes", 1, "route"]);
    expect(d.file).toBe("routes.yaml");
    const line = text.split("\n").findIndex((l) => l.includes("route: GET /other")) + 1;
    expect(d.line).toBe(line);
    expect(d.col).toBeGreaterThan(0);
    // with a default backend the same design is valid
    expect(() =>
      loadDesign(text.replace("    layer: 7\n", "    layer: 7\n    backend: api\n"), "ok.yaml"),
    ).not.toThrow();
  });

  it("rejects rules on a layer-4 balancer", () => {
    const text = `duration: 5s
components:
  users: { kind: workload, target: lb, arrival: { process: poisson, rate: 10/s }, routes: [{ route: GET /a }] }
  lb:
    kind: load-balancer
    backend: api
    rules: [{ path: /a, backend: api }]
  api: { kind: service, routes: { "*": [{ compute: 1ms }] } }
`;
    expect(() => loadDesign(text, "l4.yaml")).toThrow(DesignError);
    try {
      loadDesign(text, "l4.yaml");
    } catch (e) {
      expect((e as DesignError).diagnostics[0].message).toMatch(/layer: 7/);
    }
  });
});

describe("one pool's faults do not disturb another pool", () => {
  // Two pools behind one L7 balancer, least-connections, 50 ms requests.
  // Killing an instance of pool B must leave pool A's balancing untouched:
  // with both A instances identical and never faulted, least-connections
  // splits A's traffic evenly (ties rotate), so the split must be even within
  // a few percent whether or not B has a fault. Pool B, once its instance is
  // back and re-admitted, must also return to an even split.
  const design = (faults: string) => `
duration: 60s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: lb
    arrival: { process: poisson, rate: 400/s }
    routes: [{ route: GET /a }, { route: GET /b }]
  lb:
    kind: load-balancer
    layer: 7
    algorithm: least-connections
    cost: 0ms
    rules:
      - { path: /a, backend: svcA }
      - { path: /b, backend: svcB }
    healthCheck: { interval: 1s, timeout: 200ms, unhealthyThreshold: 2, healthyThreshold: 2 }
  svcA: { kind: service, instances: 2, concurrency: 50, routes: { "*": [{ compute: 50ms }] } }
  svcB: { kind: service, instances: 2, concurrency: 50, routes: { "*": [{ compute: 50ms }] } }
faults: ${faults}
`;

  it("killing an instance of pool B leaves pool A's least-connections split even", () => {
    const calm = lbOf(runText(design("[]"), [], { seed: 2 })).pools;
    const [a0, a1] = calm.svcA.forwarded;
    expect(Math.abs(a0 - a1) / (a0 + a1)).toBeLessThan(0.05);

    const r = runText(design("[{ kill: svcB, instance: 1, at: 5s, for: 5s }]"), [], { seed: 2 });
    const pools = lbOf(r).pools;
    const [f0, f1] = pools.svcA.forwarded;
    // svcA was never faulted
    expect(Math.abs(f0 - f1) / (f0 + f1)).toBeLessThan(0.05);
    // svcB's instance 1 misses ~6 s of 60 (5 s dead + ejection/re-admission
    // lag), so it gets ≈ 27/57 of B's traffic afterwards at worst: its share
    // must be well above a third
    const [b0, b1] = pools.svcB.forwarded;
    expect(b1 / (b0 + b1)).toBeGreaterThan(0.4);
  });
});

describe("sticky sessions (LB-20)", () => {
  const design = (users: number, sticky: boolean, extra = "") => `
duration: 20s
components:
  users:
    kind: workload
    target: lb
    closed: { users: ${users}, thinkTime: exp(20ms) }
    routes: [{ route: GET /cart }]
  lb:
    kind: load-balancer
    algorithm: round-robin
    backend: app
    sticky: ${sticky}
    healthCheck: { interval: 500ms, timeout: 100ms, unhealthyThreshold: 2, healthyThreshold: 2 }
  app:
    kind: service
    instances: 8
    concurrency: 4
    routes: { "*": [{ compute: exp(2ms) }] }
${extra}`;

  it("keeps every request of a user on one instance: at most one busy instance per user", () => {
    for (const users of [1, 3, 5]) {
      const r = runText(design(users, true), [], { seed: 7 });
      const fwd = lbOf(r).pools.app.forwarded;
      // each user sent hundreds of requests
      expect(lbOf(r).requests).toBeGreaterThan(users * 300);
      expect(nonZero(fwd)).toBeLessThanOrEqual(users);
      expect(lbOf(r).sessionsRepinned).toBe(0);
    }
    // control: without stickiness round robin spreads even one user over all 8
    const free = runText(design(1, false), [], { seed: 7 });
    expect(nonZero(lbOf(free).pools.app.forwarded)).toBe(8);
  });

  it("re-pins a session once its instance is ejected, and keeps it on the new instance after the old one returns", () => {
    const calm = lbOf(runText(design(1, true), [], { seed: 11 })).pools.app.forwarded;
    const home = calm.findIndex((x) => x > 0);
    const r = runText(design(1, true, `faults:\n  - { kill: app, instance: ${home}, at: 5s, for: 5s }`), [], {
      seed: 11,
    });
    const report = lbOf(r);
    const fwd = report.pools.app.forwarded;
    // the one user moved exactly once, to exactly one other instance
    expect(report.sessionsRepinned).toBe(1);
    expect(nonZero(fwd)).toBe(2);
    const eject = report.healthEvents.find((e) => !e.healthy);
    const back = report.healthEvents.find((e) => e.healthy);
    expect(eject?.instance).toBe(home);
    expect(back?.instance).toBe(home);
    // until the ejection the user's requests kept going to the dead instance
    expect(r.requests.byOutcome["instance-down"]).toBeGreaterThan(0);
    // the session did not move back when its first instance was re-admitted
    // (at ≈11 s): the new home served everything after the ejection (≈6 s of
    // the 20), the old one the first 5 s
    const newHome = fwd.findIndex((x, i) => x > 0 && i !== home);
    expect(fwd[newHome]).toBeGreaterThan(fwd[home]);
  });

  it("keeps a user's session in each pool of a layer-7 balancer: alternating between pools is not a re-pin", () => {
    // One user whose requests alternate at random between two pools. A
    // session cookie pins the user to one instance per pool (as ALB's
    // stickiness is per target group); nothing fails, so nothing is re-pinned.
    const yaml = `
duration: 10s
components:
  users:
    kind: workload
    target: lb
    closed: { users: 1, thinkTime: exp(20ms) }
    routes: [{ route: GET /a/x }, { route: GET /b/y }]
  lb:
    kind: load-balancer
    layer: 7
    sticky: true
    rules:
      - { path: /a, backend: svcA }
      - { path: /b, backend: svcB }
  svcA: { kind: service, instances: 4, concurrency: 4, routes: { "*": [{ compute: exp(2ms) }] } }
  svcB: { kind: service, instances: 4, concurrency: 4, routes: { "*": [{ compute: exp(2ms) }] } }
`;
    const r = runText(yaml, [], { seed: 3 });
    const rep = lbOf(r);
    expect(r.requests.failed).toBe(0);
    // ≈ 10 s / (20 ms think + ≈ 25 ms round trip) ≈ 220 requests, half each way
    expect(r.routes["GET /a/x"].requests.ok).toBeGreaterThan(50);
    expect(r.routes["GET /b/y"].requests.ok).toBeGreaterThan(50);
    expect({
      repinned: rep.sessionsRepinned,
      busyA: nonZero(rep.pools.svcA.forwarded),
      busyB: nonZero(rep.pools.svcB.forwarded),
    }).toEqual({ repinned: 0, busyA: 1, busyB: 1 });
  });

  it("re-pins the sessions of many users when their instance is ejected", () => {
    const yaml = `
duration: 15s
components:
  users:
    kind: workload
    target: lb
    arrival: { process: poisson, rate: 500/s }
    population: { users: 40 }
    routes: [{ route: GET /cart }]
  lb:
    kind: load-balancer
    backend: app
    sticky: true
    healthCheck: { interval: 500ms, timeout: 100ms, unhealthyThreshold: 2, healthyThreshold: 2 }
  app: { kind: service, instances: 4, concurrency: 8, routes: { "*": [{ compute: exp(2ms) }] } }
faults:
  - { kill: app, instance: 0, at: 5s }
`;
    const r = runText(yaml, [], { seed: 1 });
    const rep = lbOf(r);
    // round robin pinned 40 users 10 per instance; each of instance 0's 10
    // users sends ≈12 requests/s, so every one of them comes back after the
    // ejection and is re-pinned, exactly once (instance 0 never returns)
    expect(rep.sessionsRepinned).toBe(10);
    expect(rep.pools.app.healthy).toEqual([false, true, true, true]);
  });
});

describe("hash-based policies", () => {
  const design = (algorithm: string, population: string, keys: string, extra = "") => `
duration: 10s
components:
  users:
    kind: workload
    target: lb
    arrival: { process: poisson, rate: 500/s }
    population: ${population}
    routes: [{ route: GET /item, keys: ${keys} }]
  lb:
    kind: load-balancer
    algorithm: ${algorithm}
    backend: app
    healthCheck: { interval: 500ms, timeout: 100ms, unhealthyThreshold: 2, healthyThreshold: 2 }
${extra}
  app: { kind: service, instances: 6, concurrency: 8, routes: { "*": [{ compute: exp(2ms) }] } }
`;

  it("ip-hash sends everyone behind one NAT address to a single instance (LB-06)", () => {
    const nat = runText(design("ip-hash", "{ users: 1000, ips: 1 }", "{ count: 1000 }"), [], { seed: 2 });
    const fwd = lbOf(nat).pools.app.forwarded;
    expect(nonZero(fwd)).toBe(1);
    expect(Math.max(...fwd)).toBe(lbOf(nat).requests);
    // 1000 distinct addresses spread over all six instances: each address
    // (≈5 requests) lands on one of 6, so each instance has ≈1/6 of them
    const open = runText(design("ip-hash", "{ users: 1000 }", "{ count: 1000 }"), [], { seed: 2 });
    const spread = lbOf(open).pools.app.forwarded;
    const total = spread.reduce((a, b) => a + b, 0);
    expect(nonZero(spread)).toBe(6);
    // 1000 addresses in 6 bins: sd of a bin's count ≈ √(1000·(1/6)(5/6)) ≈ 12
    // of ≈167, i.e. ±7 % share, plus request-count noise: 0.3 is > 5 sd away
    expect(Math.max(...spread) / total).toBeLessThan(0.3);
  });

  it("consistent-hash on the key gives each key exactly one instance (LB-07)", () => {
    for (const keys of [1, 2, 3]) {
      const r = runText(
        design("consistent-hash", "{ users: 1000 }", `{ count: ${keys} }`, "    hashOn: key"),
        [],
        {
          seed: keys,
        },
      );
      const fwd = lbOf(r).pools.app.forwarded;
      expect(nonZero(fwd)).toBeLessThanOrEqual(keys);
      expect(fwd.reduce((a, b) => a + b, 0)).toBe(lbOf(r).requests);
    }
    // many keys cover every instance
    const many = runText(
      design("consistent-hash", "{ users: 1000 }", "{ count: 10k }", "    hashOn: key"),
      [],
      {
        seed: 1,
      },
    );
    expect(nonZero(lbOf(many).pools.app.forwarded)).toBe(6);
  });

  it("consistent-hash moves a key off its ejected instance to one other instance and back when it returns", () => {
    const calm = runText(
      design("consistent-hash", "{ users: 1000 }", "{ count: 1 }", "    hashOn: key"),
      [],
      {
        seed: 3,
      },
    );
    const owner = lbOf(calm).pools.app.forwarded.findIndex((x) => x > 0);
    const r = runText(
      `${design("consistent-hash", "{ users: 1000 }", "{ count: 1 }", "    hashOn: key")}faults:\n  - { kill: app, instance: ${owner}, at: 3s, for: 3s }\n`,
      [],
      { seed: 3 },
    );
    const rep = lbOf(r);
    const fwd = rep.pools.app.forwarded;
    expect(nonZero(fwd)).toBe(2);
    expect(rep.healthEvents.map((e) => [e.instance, e.healthy])).toEqual([
      [owner, false],
      [owner, true],
    ]);
    // the owner served everything except [ejection, re-admission) ≈ 3–4 s of 10
    const out = rep.healthEvents[1].t - rep.healthEvents[0].t;
    const other = fwd.reduce((a, b) => a + b, 0) - fwd[owner];
    const expected = (500 * out) / 1000;
    expect(Math.abs(other - expected)).toBeLessThanOrEqual(4 * Math.sqrt(expected) + 2);
  });
});
