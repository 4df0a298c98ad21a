// Call policies in running designs: what timeouts, retries, breakers,
// fallbacks, deadlines and load shedding do, against what they must do.
import { describe, expect, it } from "vitest";
import type { GuardReport } from "../src/components/call-guard.js";
import type { Report } from "../src/report/json.js";
import { rejection, runText } from "./support/run.js";

const guard = (r: Report, caller: string, callee: string) =>
  (r.components[caller].calls as Record<string, GuardReport>)[callee];
const num = (r: Report, comp: string, field: string) => r.components[comp][field] as number;
const zeroNet = "network: { latency: { sameZone: 0ms, client: 0ms } }";

describe("timeouts and deadlines", () => {
  // one worker taking 50ms (20/s) gets 10 requests/s, and 50/s from 5s to 10s
  const design = (policy: string) => `
duration: 20s
${zeroNet}
components:
  users:
    kind: workload
    target: api
    arrival: { process: spike, rate: 10/s, at: 5s, multiplier: 5, for: 5s }
    routes: [{ route: GET /x }]
  api:
    kind: service
    concurrency: 1000
    routes: { "*": [{ call: slow }] }
    calls: { slow: ${policy} }
  slow: { kind: service, concurrency: 1, queue: 100000, routes: { "*": [{ compute: 50ms }] } }
`;

  it("a caller gives up after its timeout, and the callee goes on serving what nobody waits for", () => {
    const r = runText(design("{ timeout: 200ms }"));
    const g = guard(r, "api", "slow");
    expect(g.timeouts).toBe(r.requests.byOutcome.timeout);
    expect(r.latencyMs.max).toBeLessThanOrEqual(200);
    // the spike leaves ~150 calls of backlog, drained at 20/s - 10/s: the
    // worker stays busy to the end of the run, serving calls long given up on
    const util = r.components.slow.series as { utilization: number[] };
    for (let s = 6; s < 20; s++) expect(util.utilization[s]).toBeGreaterThan(0.99);
    // and no call after the spike succeeds: each waits behind seconds of dead work
    expect(r.series.throughput.slice(11).every((n) => n === 0)).toBe(true);
  });

  it("with the deadline propagated, the callee drops the expired backlog and recovers when the spike ends", () => {
    const r = runText(design("{ timeout: 200ms, propagateDeadline: true }"));
    expect(num(r, "slow", "expired")).toBeGreaterThan(100);
    // within a second of the spike's end, calls succeed as they did before it
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const before = mean(r.series.errors.slice(0, 5));
    expect(before).toBeLessThan(1);
    expect(mean(r.series.errors.slice(11))).toBeLessThan(1);
    // during the spike, FIFO order still serves the oldest live call, which is
    // about to expire: most calls time out anyway (what LIFO or CoDel queues fix)
    expect(r.series.errors.slice(6, 10).every((e) => e > 20)).toBe(true);
  });
});

describe("retries", () => {
  // one of two backend instances is dead; a random balancer without health
  // checks sends each attempt to it with probability 1/2
  const design = (attempts: number) => `
duration: 60s
${zeroNet}
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 100/s }, routes: [{ route: GET /x }] }
  api:
    kind: service
    concurrency: 100
    routes: { "*": [{ call: lb }] }
    ${attempts > 1 ? `calls: { lb: { retry: { attempts: ${attempts}, backoff: none } } }` : ""}
  lb: { kind: load-balancer, algorithm: random, backend: backend }
  backend: { kind: service, instances: 2, concurrency: 10, routes: { "*": [{ compute: exp(1ms) }] } }
faults:
  - { kill: backend, instance: 1, at: 0s }
`;

  for (const attempts of [1, 2, 3, 4])
    it(`with ${attempts} attempt(s), a call fails with probability 2^-${attempts} and costs ${2 - 2 ** (1 - attempts)} attempts on average`, () => {
      const r = runText(design(attempts));
      const n = r.requests.total - r.requests.inFlight;
      const p = 2 ** -attempts;
      const failed = r.requests.failed / n;
      // binomial: 4.5 standard deviations
      expect(Math.abs(failed - p)).toBeLessThan(4.5 * Math.sqrt((p * (1 - p)) / n));
      if (attempts > 1) {
        const g = guard(r, "api", "lb");
        const mean = 2 - 2 ** (1 - attempts); // 1 + 1/2 + ... + 1/2^(attempts-1)
        // attempts per call: a sum of dependent Bernoullis with variance below 2
        expect(Math.abs(g.amplification - mean)).toBeLessThan(4.5 * Math.sqrt(2 / g.calls));
        expect(g.attempts).toBe(g.calls + g.retries);
      }
    });

  it("waits the backoff between attempts: base, then base x multiplier, without jitter", () => {
    // the dependency is down for the whole run, so every call takes all its
    // attempts and then falls back: its latency is exactly the sum of the waits
    const r = runText(`
duration: 5s
${zeroNet}
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 10/s }, routes: [{ route: GET /x }] }
  api:
    kind: service
    concurrency: 100
    routes: { "*": [{ call: dep }] }
    calls: { dep: { retry: { attempts: 4, backoff: { base: 50ms, multiplier: 3, jitter: none } }, fallback: true } }
  dep: { kind: service, routes: { "*": [{ compute: 1ms }] } }
faults:
  - { kill: dep, at: 0s }
`);
    expect(r.requests.failed).toBe(0);
    expect(r.requests.degraded).toBe(r.requests.ok);
    // 50 + 150 + 450
    expect(r.latencyMs.p50).toBeCloseTo(650, 0);
    expect(r.latencyMs.max).toBeCloseTo(650, 0);
    expect(guard(r, "api", "dep").fallbacks).toBe(r.requests.ok);
  });
});

describe("circuit breaker", () => {
  // the dependency dies from 10s to 20s; 2 api instances, a breaker each
  const design = (breaker: string, extra = "") => `
duration: 40s
${zeroNet}
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 200/s }, routes: [{ route: GET /x }] }
  api:
    kind: service
    instances: 2
    concurrency: 50
    routes: { "*": [{ call: dep }] }
    calls: { dep: { ${breaker} ${extra} } }
  dep: { kind: service, concurrency: 20, routes: { "*": [{ compute: exp(2ms) }] } }
faults:
  - { kill: dep, at: 10s, for: 10s }
`;

  it("opens during the outage, fails fast, probes every `open` seconds and closes within `open` of recovery", () => {
    const r = runText(design("breaker: { failureRate: 50%, window: 20, open: 3s }"));
    const g = guard(r, "api", "dep");
    const b = g.breaker!;
    expect(b.opened).toBeGreaterThanOrEqual(2);
    // while it is down, only the first window and one probe per 3s per instance reach it
    const attemptsDuring = g.series.attempts.slice(11, 20).reduce((a, x) => a + x, 0);
    expect(attemptsDuring).toBeLessThan(2 * (20 + 4));
    expect(r.requests.byOutcome["circuit-open"]).toBeGreaterThan(0.9 * 200 * 10 - 200);
    // each instance: open at ~10s, probe and reopen every 3s, close at its first probe after 20s
    for (const inst of [0, 1]) {
      const ts = b.transitions.filter((t) => t.instance === inst);
      const opens = ts.filter((t) => t.state === "open");
      const closes = ts.filter((t) => t.state === "closed");
      expect(opens[0].t).toBeGreaterThan(10_000);
      expect(opens[0].t).toBeLessThan(10_200);
      for (let i = 1; i < opens.length; i++) expect(opens[i].t - opens[i - 1].t).toBeGreaterThanOrEqual(3000);
      expect(closes).toHaveLength(1);
      expect(closes[0].t).toBeGreaterThan(20_000);
      expect(closes[0].t).toBeLessThan(23_100);
    }
    // after it closes, everything succeeds again
    expect(r.series.errors.slice(24).every((e) => e === 0)).toBe(true);
  });

  it("with a fallback, the outage costs no request, only degraded answers", () => {
    const r = runText(design("breaker: { failureRate: 50%, window: 20, open: 3s },", "fallback: true"));
    const g = guard(r, "api", "dep");
    expect(r.requests.failed).toBe(0);
    expect(r.requests.degraded).toBe(g.fallbacks);
    expect(g.fallbacks).toBe(g.failed);
    expect(g.fallbacks).toBeGreaterThan(0.9 * 200 * 10);
  });
});

describe("load shedding by priority", () => {
  // 2x overload on one instance; half the traffic is critical, half low
  const design = (shedding: string) => `
duration: 30s
${zeroNet}
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 400/s }
    routes: [{ route: GET /checkout, priority: critical }, { route: GET /browse, priority: low }]
    client: { timeout: 500ms }
  api: { kind: service, concurrency: 2, queue: 100, ${shedding} routes: { "*": [{ compute: exp(10ms) }] } }
`;

  it("keeps serving critical requests while low-priority ones are shed", () => {
    const shed = runText(design("shedding: { low: 20% },"));
    const none = runText(design(""));
    const avail = (r: Report, route: string) => r.routes[route].availability;
    // capacity is 200/s: the critical half (200/s) can nearly all be served if the low half yields
    expect(avail(shed, "GET /checkout")).toBeGreaterThan(0.9);
    expect(avail(shed, "GET /browse")).toBeLessThan(0.2);
    expect(shed.routes["GET /browse"].requests.byOutcome.shed).toBeGreaterThan(0);
    expect(shed.routes["GET /checkout"].requests.byOutcome.shed ?? 0).toBe(0);
    // without shedding, both classes suffer alike
    expect(Math.abs(avail(none, "GET /checkout") - avail(none, "GET /browse"))).toBeLessThan(0.05);
    expect(avail(none, "GET /checkout")).toBeLessThan(0.6);
  });
});

describe("bad call policies are reported with their place and a way out", () => {
  const base = (calls: string, extra = "") => `
duration: 1s
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 10/s }, routes: [{ route: GET /x }] }
  api:
    kind: service
    ${extra}
    routes: { "*": [{ call: backend }] }
    calls: ${calls}
  backend: { kind: service, routes: { "*": [{ compute: 1ms }] } }
`;

  it("names the dependencies when a policy is for a component the service never calls", () => {
    const msg = rejection(base("{ backnd: { timeout: 1s } }"));
    expect(msg).toMatch(/bad\.yaml:\d+:\d+: "backnd" is not a component of this design/);
    expect(msg).toMatch(/expected: one of its dependencies: backend/);
    expect(msg).toMatch(/did you mean backend\?/);
    expect(rejection(base("{ users: { timeout: 1s } }"))).toMatch(/service "api" never calls "users"/);
  });

  it("rejects inconsistent numbers", () => {
    expect(rejection(base("{ backend: { breaker: { window: 10, minCalls: 20 } } }"))).toMatch(
      /minCalls 20 is more than the window of 10/,
    );
    expect(
      rejection(base("{ backend: { retry: { attempts: 3, backoff: { base: 1s, cap: 100ms } } } }")),
    ).toMatch(/cap on the wait is shorter than the first wait/);
    expect(rejection(base("{ backend: { retry: { attempts: 1 } } }"))).toMatch(
      /attempts 1 is too small\n {2}expected: a number at least 2/,
    );
    expect(rejection(base("{ backend: { retry: { attempts: 3, on: [ok] } } }"))).toMatch(
      /"ok" is not allowed here/,
    );
    expect(rejection(base("{ backend: { retry: { attempts: 3, backoff: { jitter: ful } } } }"))).toMatch(
      /did you mean full\?/,
    );
  });

  it("refuses a fallback on a cache, whose misses already fall back to the store", () => {
    const msg = rejection(`
duration: 1s
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 10/s }, routes: [{ route: GET /x }] }
  api:
    kind: service
    routes: { "*": [{ read: db, cache: redis }] }
    calls: { redis: { timeout: 5ms, fallback: true } }
  redis: { kind: cache, capacity: 100 }
  db: { kind: database }
`);
    expect(msg).toMatch(/a failed lookup in cache "redis" already falls back: to the store/);
  });

  it("needs a bounded queue to shed by priority, and sheds the least important first", () => {
    expect(rejection(base("{}", "queue: unbounded\n    shedding: { low: 50% }"))).toMatch(
      /load shedding needs a bounded queue/,
    );
    expect(rejection(base("{}", "shedding: { low: 80%, normal: 50% }"))).toMatch(
      /normal-priority requests would be shed before low-priority ones/,
    );
  });

  it("explains a distribution split by a comma inside { ... }", () => {
    const msg = rejection(`
duration: 1s
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 10/s }, routes: [{ route: GET /x }] }
  api: { kind: service, routes: { "*": [{ compute: uniform(1ms, 3ms) }] } }
`);
    expect(msg).toMatch(/a comma ends the value: quote it/);
  });
});

describe("backpressure", () => {
  it("a slow service at the end of a chain fills each caller in turn, and the overload surfaces at the front door", () => {
    // a -> b -> c -> d, each holding a worker while its call is out; d slows
    // from 10s to 20s to 25ms a call (10 workers: 400/s for 500/s offered)
    const r = runText(`
duration: 30s
network: { latency: { sameZone: 0.2ms, client: 1ms } }
components:
  users: { kind: workload, target: a, arrival: { process: poisson, rate: 500/s }, routes: [{ route: GET /x }] }
  a: { kind: service, concurrency: 80, queue: 100, routes: { "*": [{ compute: exp(1ms) }, { call: b }] } }
  b: { kind: service, concurrency: 40, queue: 100, routes: { "*": [{ compute: exp(1ms) }, { call: c }] } }
  c: { kind: service, concurrency: 20, queue: 100, routes: { "*": [{ compute: exp(1ms) }, { call: d }] } }
  d: { kind: service, concurrency: 10, queue: 100, routes: { "*": [{ compute: exp(5ms) }] } }
faults:
  - { slow: d, by: 20ms, at: 10s, for: 10s }
`);
    type S = { utilization: number[]; queueLength: number[] };
    const series = (n: string) => r.components[n].series as S;
    const workers: Record<string, number> = { a: 80, b: 40, c: 20, d: 10 };
    for (const n of ["a", "b", "c", "d"]) {
      // every tier is saturated during the slowdown...
      expect(
        series(n)
          .utilization.slice(11, 20)
          .every((u) => u > 0.99),
      ).toBe(true);
    }
    // ...but a callee's queue never holds more than its caller's workers can send it
    expect(Math.max(...series("d").queueLength)).toBeLessThanOrEqual(workers.c - workers.d);
    expect(Math.max(...series("c").queueLength)).toBeLessThanOrEqual(workers.b - workers.c);
    expect(Math.max(...series("b").queueLength)).toBeLessThanOrEqual(workers.a - workers.b);
    // so only the front door turns requests away
    expect(r.components.a.rejected as number).toBeGreaterThan(0);
    for (const n of ["b", "c", "d"]) expect(r.components[n].rejected).toBe(0);
    expect(r.requests.byOutcome["queue-full"]).toBe(r.components.a.rejected);
  });
});

describe("an API gateway's calls to its backends", () => {
  // a composed route: both backends are called at once; one of profile's two instances is dead
  const design = (calls: string) => `
duration: 30s
${zeroNet}
components:
  users: { kind: workload, target: gw, arrival: { process: poisson, rate: 200/s }, routes: [{ route: GET /home }] }
  gw:
    kind: gateway
    concurrency: 64
    routes: { "*": [profile-lb, feed] }
    ${calls}
  profile-lb: { kind: load-balancer, algorithm: random, backend: profile }
  profile: { kind: service, instances: 2, concurrency: 16, routes: { "*": [{ compute: exp(2ms) }] } }
  feed: { kind: service, concurrency: 16, routes: { "*": [{ compute: exp(3ms) }] } }
faults:
  - { kill: profile, instance: 1, at: 0s }
`;

  it("are guarded per backend: retries hide the dead instance from the composed route", () => {
    const bare = runText(design(""));
    const guarded = runText(design("calls: { profile-lb: { retry: { attempts: 4, backoff: none } } }"));
    const n = (r: Report) => r.requests.total - r.requests.inFlight;
    // each composed request fails if its profile call fails: 1/2 without retries, 1/16 with 4 attempts
    const p0 = bare.requests.failed / n(bare);
    const p4 = guarded.requests.failed / n(guarded);
    expect(Math.abs(p0 - 0.5)).toBeLessThan(4.5 * Math.sqrt(0.25 / n(bare)));
    expect(Math.abs(p4 - 1 / 16)).toBeLessThan(4.5 * Math.sqrt(((1 / 16) * (15 / 16)) / n(guarded)));
    expect(guard(guarded, "gw", "profile-lb").calls).toBe(n(guarded));
  });

  it("name only the gateway's backends", () => {
    expect(rejection(design("calls: { profile: { timeout: 1s } }"))).toMatch(
      /gateway "gw" never calls "profile"/,
    );
  });
});
