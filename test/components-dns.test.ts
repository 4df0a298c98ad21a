// DNS in front of regions (catalogue DNS-01, DNS-03, LB-27, SC-12): geo,
// latency, weighted and failover answers, health checks, answers cached by
// users and resolvers for the TTL, and region outages.
//
// Timing argument used throughout. Probes of each endpoint are sent every I ms
// (the first ones spread over one interval) and a dead endpoint's probe fails
// `timeout` after it was sent, so an endpoint down from T is taken out of
// answers at some D in (T + (U-1)·I + timeout, T + U·I + timeout]. Answers
// naming it are handed out only before D, and cached until at most D + TTL (a
// shared resolver passes on only the TTL it has left), so the last request
// sent to it leaves before D + TTL and its failure is back one round trip
// later: well within a second here.
//
// Error count. Each open-loop request comes from a user drawn uniformly from
// U, so every user sends a Poisson stream of rate ρ = λ/U. With a per-user
// cache, a user's answer is fresh for TTL after each lookup, and the next
// lookup comes with the first request after it expires, Exp(1/ρ) later: in
// steady state a user holds a fresh answer a fraction p = TTL/(TTL + 1/ρ) of
// the time, its remaining life uniform on [0, TTL]. So when region E (with
// U_E users, sending λ_E = U_E·ρ) goes down, every request of its users fails
// until D, and afterwards a user fails only while its old answer lives:
//   E[errors] = λ_E·(D - T) + U_E·p·ρ·TTL/2.
// The first part is a Poisson count; a user's part is Poisson(ρR) with R
// uniform on [0, TTL] with probability p, which gives the variance.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import { DEFAULTS } from "../src/design/defaults.js";
import { sampler } from "../src/kernel/distributions.js";
import { HomeRegions } from "../src/kernel/home-region.js";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

interface Failover {
  endpoint: string;
  region: string;
  downAtMs: number;
  upAtMs: number | null;
  detectionMs: number | null;
  shareBefore: number;
  windowMs: number;
  requests: number;
  errors: number;
  lastErrorMs: number | null;
  moved50Ms: number | null;
  moved99Ms: number | null;
}
interface Endpoint {
  region: string;
  weight: number;
  answers: number;
  answerShare: number;
  requests: number;
  trafficShare: number;
  ok: number;
  failed: number;
  healthy: boolean;
  byUserRegion: Record<string, number>;
}
interface DnsReport {
  kind: string;
  addresses: number;
  retries: number;
  retriedOk: number;
  queries: number;
  cacheHits: number;
  lookups: number;
  resolverHits: number;
  authoritativeAnswers: number;
  endpoints: Record<string, Endpoint>;
  healthEvents: { t: number; endpoint: string; healthy: boolean }[];
  failovers: Failover[];
  series: Record<string, number[]>;
}

const dns = (r: Report, name: string) => r.components[name] as unknown as DnsReport;

/** The sum of a DNS series over the seconds closing in (from, to]. */
function sumOver(r: Report, name: string, series: string, from: number, to: number): number {
  const t = r.series.t;
  const v = dns(r, name).series[series];
  let s = 0;
  t.forEach((sec, i) => {
    if (sec > from && sec <= to) s += v[i];
  });
  return s;
}

const service = (name: string, zone: string, instances = 4) => `
  ${name}:
    kind: service
    instances: ${instances}
    concurrency: 32
    zone: ${zone}
    routes: { "*": [{ compute: exp(5ms) }] }`;

const regions3 = `
network:
  regions:
    us-east: [us-east-a]
    eu-west: [eu-west-a]
    ap-south: [ap-south-a]
    sa-east: [sa-east-a]
  latency:
    pairs:
      us-east<->eu-west: lognormal(median=40ms, p99=60ms)
      us-east<->ap-south: lognormal(median=110ms, p99=150ms)
      eu-west<->ap-south: lognormal(median=70ms, p99=100ms)
      sa-east<->us-east: lognormal(median=60ms, p99=90ms)
      sa-east<->eu-west: lognormal(median=90ms, p99=120ms)
      sa-east<->ap-south: lognormal(median=160ms, p99=200ms)
`;

const backends = `
  lb-us: { kind: load-balancer, backend: api-us, zone: us-east-a }
  lb-eu: { kind: load-balancer, backend: api-eu, zone: eu-west-a }
  lb-ap: { kind: load-balancer, backend: api-ap, zone: ap-south-a }
${service("api-us", "us-east-a")}
${service("api-eu", "eu-west-a")}
${service("api-ap", "ap-south-a")}
`;

describe("geo answers (DNS-01)", () => {
  const r = runText(
    `
duration: 30s
${regions3}
components:
  users:
    kind: workload
    target: www
    arrival: { process: poisson, rate: 400/s }
    routes: [{ route: GET /x }]
    population: { users: 5k, regions: { us-east: 40%, eu-west: 30%, ap-south: 20%, sa-east: 10% } }
  www:
    kind: dns
    ttl: 10s
    endpoints: [{ target: lb-us }, { target: lb-eu }, { target: lb-ap }]
    healthCheck: { interval: 2s }
${backends}
`,
    [],
    { seed: 3 },
  );
  const d = dns(r, "www");

  it("sends every user to their own region's endpoint while all are healthy, and users of a region without one to the nearest", () => {
    expect(Object.keys(d.endpoints["lb-us"].byUserRegion).sort()).toEqual(["sa-east", "us-east"]);
    expect(Object.keys(d.endpoints["lb-eu"].byUserRegion)).toEqual(["eu-west"]);
    expect(Object.keys(d.endpoints["lb-ap"].byUserRegion)).toEqual(["ap-south"]);
    expect(d.healthEvents).toEqual([]);
    expect(r.requests.failed).toBe(0);
  });

  it("counts every request once: cache hits and lookups, answers and traffic", () => {
    const eps = Object.values(d.endpoints);
    expect(d.cacheHits + d.lookups).toBe(d.queries);
    expect(d.queries).toBe(r.requests.total);
    expect(eps.reduce((s, e) => s + e.answers, 0)).toBe(d.authoritativeAnswers);
    const sent = eps.reduce((s, e) => s + e.requests, 0);
    // requests still waiting for their lookup at the end were never sent
    expect(sent).toBeLessThanOrEqual(d.queries);
    expect(d.queries - sent).toBe(d.lookups - d.authoritativeAnswers - d.resolverHits);
    expect(eps.reduce((s, e) => s + e.ok + e.failed, 0)).toBe(r.requests.ok + r.requests.failed);
  });

  it("adds the lookup to the latency of requests that needed one", () => {
    // the same design with free lookups is faster on average by the mean
    // lookup times the fraction of requests that looked up; the two runs
    // differ otherwise only in the network draws of reordered requests
    const free = runText(
      `
duration: 30s
${regions3}
components:
  users:
    kind: workload
    target: www
    arrival: { process: poisson, rate: 400/s }
    routes: [{ route: GET /x }]
    population: { users: 5k, regions: { us-east: 40%, eu-west: 30%, ap-south: 20%, sa-east: 10% } }
  www:
    kind: dns
    ttl: 10s
    lookupTime: 0ms
    endpoints: [{ target: lb-us }, { target: lb-eu }, { target: lb-ap }]
    healthCheck: { interval: 2s }
${backends}
`,
      [],
      { seed: 3 },
    );
    const lookup = sampler(DEFAULTS.dns.lookupTime).mean;
    const expected = lookup * (d.lookups / d.queries);
    expect(Math.abs(r.latencyMs.mean - free.latencyMs.mean - expected)).toBeLessThan(2);
  });
});

describe("weighted answers", () => {
  const weights = [1, 3, 6];
  const design = (ttl: string, extra = "") => `
duration: 60s
${regions3}
components:
  users:
    kind: workload
    target: www
    arrival: { process: poisson, rate: 500/s }
    routes: [{ route: GET /x }]
    population: { users: 20k, regions: { us-east: 40%, eu-west: 30%, ap-south: 20%, sa-east: 10% } }
  www:
    kind: dns
    policy: weighted
    ttl: ${ttl}
    endpoints:
      - { target: lb-us, weight: ${weights[0]} }
      - { target: lb-eu, weight: ${weights[1]} }
      - { target: lb-ap, weight: ${weights[2]} }
${extra}
${backends}
`;
  const total = weights.reduce((a, b) => a + b, 0);
  /** Each answer is an independent draw: counts are binomial; allow 4 standard deviations. */
  const binomial = (counts: number[]) => {
    const n = counts.reduce((a, b) => a + b, 0);
    expect(n).toBeGreaterThan(5000);
    counts.forEach((k, i) => {
      const p = weights[i] / total;
      expect(Math.abs(k - n * p)).toBeLessThan(4 * Math.sqrt(n * p * (1 - p)));
    });
  };

  it("without caching (ttl 0) every request is a fresh draw: traffic splits by weight within binomial error", () => {
    const d = dns(runText(design("0s"), [], { seed: 5 }), "www");
    expect(d.cacheHits).toBe(0);
    binomial(["lb-us", "lb-eu", "lb-ap"].map((e) => d.endpoints[e].requests));
  });

  it("with cached answers, and with shared resolvers, the answers still split by weight", () => {
    binomial(
      ["lb-us", "lb-eu", "lb-ap"].map(
        (e) => dns(runText(design("20s"), [], { seed: 6 }), "www").endpoints[e].answers,
      ),
    );
    const d = dns(runText(design("2s", "    resolvers: 300"), [], { seed: 7 }), "www");
    expect(d.resolverHits).toBeGreaterThan(0);
    binomial(["lb-us", "lb-eu", "lb-ap"].map((e) => d.endpoints[e].answers));
  });
});

describe("shared resolvers", () => {
  it("answer their users from their cache: the authoritative servers see about one lookup per resolver per TTL", () => {
    const r = runText(
      `
duration: 100s
${regions3}
components:
  users:
    kind: workload
    target: www
    arrival: { process: poisson, rate: 500/s }
    routes: [{ route: GET /x }]
    population: { users: 20k, regions: { us-east: 40%, eu-west: 30%, ap-south: 20%, sa-east: 10% } }
  www:
    kind: dns
    ttl: 10s
    resolvers: 3
    endpoints: [{ target: lb-us }, { target: lb-eu }, { target: lb-ap }]
${backends}
`,
      [],
      { seed: 2 },
    );
    const d = dns(r, "www");
    // 4 regions x 3 resolvers, each busy enough to ask again as soon as its
    // answer expires, one TTL (plus a lookup) after it asked
    expect(d.authoritativeAnswers).toBeLessThanOrEqual(4 * 3 * (100 / 10 + 1));
    expect(d.authoritativeAnswers).toBeGreaterThanOrEqual(4 * 3 * (100 / 10 - 1));
    expect(d.resolverHits).toBeGreaterThan(10 * d.authoritativeAnswers);
    // every lookup was a resolver hit or made its resolver ask, bar at most one
    // question per resolver still outstanding at the end
    const asked = d.lookups - d.resolverHits;
    expect(asked - d.authoritativeAnswers).toBeGreaterThanOrEqual(0);
    expect(asked - d.authoritativeAnswers).toBeLessThanOrEqual(4 * 3);
  });
});

describe("failover policy", () => {
  // the primary's region is out from 30s to 90s; TTL 10s
  const I = 5000;
  const timeout = 1000;
  const U = 2;
  const H = 2;
  const ttl = 10_000;
  const r = runText(
    `
duration: 150s
${regions3}
components:
  users:
    kind: workload
    target: www
    arrival: { process: poisson, rate: 300/s }
    routes: [{ route: GET /x }]
    population: { users: 3k, regions: { us-east: 50%, eu-west: 50% } }
  www:
    kind: dns
    policy: failover
    ttl: ${ttl}ms
    endpoints: [{ target: lb-us }, { target: lb-eu }]
    healthCheck: { interval: ${I}ms, timeout: ${timeout}ms, unhealthyThreshold: ${U}, healthyThreshold: ${H} }
${backends}
faults:
  - { outage: us-east, at: 30s, for: 60s }
`,
    [],
    { seed: 9 },
  );
  const d = dns(r, "www");

  it("sends everyone to the primary while it is healthy", () => {
    expect(sumOver(r, "www", "requests:eu-west", 0, 30)).toBe(0);
    expect(sumOver(r, "www", "requests:us-east", 0, 30)).toBeGreaterThan(5000);
  });

  it("moves everyone to the secondary once the primary is out of answers and cached answers expire", () => {
    const [down, up] = d.healthEvents;
    expect(d.healthEvents.map((e) => [e.endpoint, e.healthy])).toEqual([
      ["lb-us", false],
      ["lb-us", true],
    ]);
    expect(down.t).toBeGreaterThan(30_000 + (U - 1) * I + timeout);
    expect(down.t).toBeLessThanOrEqual(30_000 + U * I + timeout);
    const f = d.failovers[0];
    expect(f.endpoint).toBe("lb-us");
    expect(f.downAtMs).toBe(30_000);
    expect(f.upAtMs).toBe(90_000);
    expect(f.detectionMs).toBeCloseTo(down.t - 30_000, 6);
    expect(f.lastErrorMs!).toBeLessThan(f.detectionMs! + ttl + 1000);
    // between the last possible error and the restart, everything goes to the secondary
    const settled = Math.ceil((30_000 + U * I + timeout + ttl + 1000) / 1000);
    expect(sumOver(r, "www", "requests:us-east", settled, 90)).toBe(0);
    expect(sumOver(r, "www", "errors:eu-west", 0, 150)).toBe(0);
    // after the restart the primary is re-admitted within H intervals (plus a round trip)
    expect(up.t).toBeGreaterThan(90_000 + (H - 1) * I);
    expect(up.t).toBeLessThanOrEqual(90_000 + H * I + timeout);
    // and once the secondary's answers have expired, everyone is back
    const back = Math.ceil((up.t + ttl + 1000) / 1000);
    expect(sumOver(r, "www", "requests:eu-west", back, 150)).toBe(0);
    expect(d.endpoints["lb-us"].healthy).toBe(true);
  });
});

describe("latency answers", () => {
  // two names over the same two regions: one by latency, one by geography;
  // the US service is slowed by 150ms from 20s to 60s
  const r = runText(
    `
duration: 130s
network:
  regions: { us-east: [us-east-a], eu-west: [eu-west-a] }
  latency:
    client: 10ms
    pairs: { us-east<->eu-west: 40ms }
components:
  users-lat:
    kind: workload
    target: by-latency
    arrival: { process: poisson, rate: 200/s }
    routes: [{ route: GET /x }]
    population: { users: 2k, regions: { us-east: 50%, eu-west: 50% } }
  users-geo:
    kind: workload
    target: by-geo
    arrival: { process: poisson, rate: 200/s }
    routes: [{ route: GET /x }]
    population: { users: 2k, regions: { us-east: 50%, eu-west: 50% } }
  by-latency:
    kind: dns
    policy: latency
    ttl: 5s
    endpoints: [{ target: lb-us }, { target: lb-eu }]
  by-geo:
    kind: dns
    ttl: 5s
    endpoints: [{ target: lb-us }, { target: lb-eu }]
  lb-us: { kind: load-balancer, backend: api-us, zone: us-east-a }
  lb-eu: { kind: load-balancer, backend: api-eu, zone: eu-west-a }
${service("api-us", "us-east-a", 2)}
${service("api-eu", "eu-west-a", 2)}
faults:
  - { slow: api-us, by: 150ms, at: 20s, for: 40s }
`,
    [],
    { seed: 4 },
  );

  it("follows the network while nothing is slow: users stay in their region", () => {
    expect(sumOver(r, "by-latency", "requests:us-east", 0, 20)).toBeGreaterThan(1000);
    expect(sumOver(r, "by-latency", "requests:eu-west", 0, 20)).toBeLessThan(
      1.25 * sumOver(r, "by-latency", "requests:us-east", 0, 20),
    );
  });

  it("moves the users of a slowed region to a farther, faster one, and back once it recovers; geo does not", () => {
    // a round trip to Europe costs 2 x 40ms more than staying; the slowdown costs 150ms
    const usDuring = sumOver(r, "by-latency", "requests:us-east", 30, 60);
    const usBefore = sumOver(r, "by-latency", "requests:us-east", 0, 20);
    expect(usDuring).toBeLessThan(0.1 * usBefore * (30 / 20));
    const geoDuring = sumOver(r, "by-geo", "requests:us-east", 30, 60);
    expect(geoDuring).toBeGreaterThan(0.8 * sumOver(r, "by-geo", "requests:us-east", 0, 20) * (30 / 20));
    // measurements nobody refreshes fade (half-life 30s): users return and find it fast again
    const usAfter = sumOver(r, "by-latency", "requests:us-east", 100, 130);
    expect(usAfter).toBeGreaterThan(0.8 * usBefore * (30 / 20));
    expect(r.requests.failed).toBe(0);
  });
});

describe("region outage (examples/edge/multi-region.yaml)", () => {
  const file = "examples/edge/multi-region.yaml";
  const I = 10_000;
  const U = 3;
  const timeout = 2000;
  const outageAt = 60_000;
  const runs = [1, 2, 3].map((seed) => runFile(file, [], { seed }));
  const names = { "dns-ttl60": 60_000, "dns-ttl5": 5000 } as const;

  it("takes down every instance in the region: only requests sent there fail, all with instance-down", () => {
    for (const r of runs) {
      expect(r.faults).toEqual([
        // the components placed in us-east's zones (DNS and users are on the internet)
        {
          description: "outage of region us-east",
          targets: ["api-us", "lb-us"],
          startMs: 60_000,
          endMs: 180_000,
        },
      ]);
      expect(Object.keys(r.requests.byOutcome).sort()).toEqual(["instance-down", "ok"]);
      for (const name of Object.keys(names)) {
        const d = dns(r, name);
        expect(d.endpoints["lb-eu"].failed + d.endpoints["lb-ap"].failed).toBe(0);
        expect(sumOver(r, name, "errors:us-east", 0, outageAt / 1000)).toBe(0);
      }
    }
  });

  it("detects the outage within the health-check bounds, and errors stop within detection + TTL", () => {
    for (const r of runs)
      for (const [name, ttl] of Object.entries(names)) {
        const f = dns(r, name).failovers;
        expect(f.length).toBe(1);
        const [ev] = f;
        expect([ev.endpoint, ev.region, ev.downAtMs, ev.upAtMs]).toEqual([
          "lb-us",
          "us-east",
          60_000,
          180_000,
        ]);
        expect(ev.detectionMs!).toBeGreaterThan((U - 1) * I + timeout);
        expect(ev.detectionMs!).toBeLessThanOrEqual(U * I + timeout);
        // users keep going to the dead region at least until detection...
        expect(ev.lastErrorMs!).toBeGreaterThan(ev.detectionMs!);
        // ...and at most until their last answer naming it expires (plus a round trip)
        expect(ev.lastErrorMs!).toBeLessThan(ev.detectionMs! + ttl + 1000);
        // every request sent to it during the outage failed
        expect(ev.errors).toBeGreaterThanOrEqual(ev.requests);
        // the traffic moves between detection and the last error
        expect(ev.moved50Ms!).toBeGreaterThanOrEqual(ev.detectionMs! - ev.windowMs);
        expect(ev.moved99Ms!).toBeGreaterThanOrEqual(ev.moved50Ms!);
        expect(ev.moved99Ms!).toBeLessThanOrEqual(ev.lastErrorMs! + ev.windowMs);
        // and after the restart the region is taken back
        expect(dns(r, name).healthEvents.map((e) => e.healthy)).toEqual([false, true]);
      }
  });

  it("a shorter TTL fails over faster, with fewer errors", () => {
    for (const r of runs) {
      const long = dns(r, "dns-ttl60").failovers[0];
      const short = dns(r, "dns-ttl5").failovers[0];
      // the same probes detect both at the same moment; what differs is how long cached answers live
      expect(short.detectionMs).toBe(long.detectionMs);
      expect(short.moved99Ms!).toBeLessThan(short.detectionMs! + 5000 + short.windowMs);
      expect(long.moved99Ms!).toBeGreaterThan(short.moved99Ms! + 30_000);
      expect(long.moved50Ms!).toBeGreaterThan(short.moved50Ms!);
      expect(long.errors).toBeGreaterThan(short.errors);
    }
  });

  it("leaks no job: once arrivals stop and work drains, every request is answered and every job is free", () => {
    const { design } = loadDesign(readFileSync(file, "utf8"), file, ["duration=200s"]);
    const simulation = buildSimulation(design, 5);
    const r = simulation.run({ maxEvents: 5e7, maxWallMs: 60_000 });
    // health checks keep probing; everything else finishes
    simulation.sim.q.run(r.durationMs + 60_000, 5e7);
    expect(simulation.workloads.reduce((s, w) => s + w.answered, 0)).toBe(r.generated);
    expect(simulation.sim.pool.live).toBe(0);
  });

  it("is deterministic: the same seed gives the same report", () => {
    const again = runFile(file, [], { seed: 1 });
    const strip = (r: Report) => JSON.stringify({ ...r, engine: undefined });
    expect(strip(again)).toBe(strip(runs[0]));
  });
});

describe("answers with several addresses: clients retry the next one", () => {
  // the example's outage, with two addresses per answer: a US user's answer
  // is [lb-us, lb-eu] (eu-west is the nearest other region), so a request
  // refused by the dead region is sent again to Europe
  const file = "examples/edge/multi-region.yaml";
  const sets = ["components.dns-ttl60.addresses=2", "components.dns-ttl5.addresses=2"];
  const r = runFile(file, sets, { seed: 1 });
  const base = runFile(file, [], { seed: 1 });

  it("loses no request to the outage: every failure to connect is retried, and succeeds", () => {
    expect(base.requests.failed).toBeGreaterThan(0);
    expect(r.requests.failed).toBe(0);
    for (const name of ["dns-ttl60", "dns-ttl5"]) {
      const d = dns(r, name);
      expect(d.addresses).toBe(2);
      expect(d.retries).toBeGreaterThan(0);
      // each failure at the dead region was retried once, at an endpoint that was up
      expect(d.retries).toBe(d.endpoints["lb-us"].failed);
      expect(d.retriedOk).toBe(d.retries);
      expect(d.endpoints["lb-eu"].failed + d.endpoints["lb-ap"].failed).toBe(0);
      // the failovers still happen as before: the retries hide them from users
      expect(d.failovers[0].errors).toBe(d.endpoints["lb-us"].failed);
      expect(dns(base, name).retries).toBe(0);
    }
  });
});

describe("a CDN as a DNS endpoint", () => {
  // www resolves to the CDN, else to the origin's balancer (bypassing the
  // edge); every PoP dies at 10s for 20s
  const text = (addresses: number) => `
duration: 40s
network:
  regions: { us-east: [us-east-a], eu-west: [eu-west-a] }
  latency: { pairs: { us-east<->eu-west: 40ms } }
components:
  users:
    kind: workload
    target: www
    arrival: { process: poisson, rate: 400/s }
    routes: [{ route: GET /page/:id, keys: { count: 100 } }]
    population: { regions: { us-east: 50%, eu-west: 50% } }
  www:
    kind: dns
    policy: failover
    ttl: 10s
    addresses: ${addresses}
    endpoints: [{ target: edge }, { target: lb-us }]
    healthCheck: { interval: 2s }
  edge:
    kind: cdn
    origin: lb-us
    failover: 1s
    routes: { GET /page/:id: { cacheControl: "max-age=600", size: 10KiB } }
  lb-us: { kind: load-balancer, backend: api-us, zone: us-east-a }
${service("api-us", "us-east-a")}
faults:
  - { kill: edge, instance: all, at: 10s, for: 20s }
`;

  it("is reached anywhere (anycast); health checks take it out when every PoP is down, and put it back", () => {
    const r = runText(text(1), [], { seed: 2 });
    const d = dns(r, "www");
    expect(d.endpoints.edge.region).toBe("anycast");
    expect(Object.keys(d.series)).toEqual(
      expect.arrayContaining(["requests:us-east", "requests:edge", "errors:edge"]),
    );
    expect(d.failovers.map((f) => [f.endpoint, f.downAtMs, f.upAtMs])).toEqual([["edge", 10_000, 30_000]]);
    expect(d.healthEvents.map((e) => [e.endpoint, e.healthy])).toEqual([
      ["edge", false],
      ["edge", true],
    ]);
    // until users' answers move, requests to the dead edge fail
    expect(r.requests.failed).toBeGreaterThan(0);
    expect(d.endpoints["lb-us"].requests).toBeGreaterThan(0);
    // those that reached a dead PoP, and any a PoP held when it died
    const cdn = r.components.edge as unknown as { refused: number };
    expect(cdn.refused).toBeGreaterThan(0);
    expect(d.endpoints.edge.failed).toBeGreaterThanOrEqual(cdn.refused);
  });

  it("with two addresses, a request the dead edge refuses goes to the origin's balancer instead", () => {
    const r = runText(text(2), [], { seed: 2 });
    const d = dns(r, "www");
    expect(r.requests.failed).toBe(0);
    expect(d.retries).toBe(d.endpoints.edge.failed);
    expect(d.retriedOk).toBe(d.retries);
  });
});

describe("errors during a failover (stationary caches)", () => {
  // Two names, TTL 60s and 20s, over two regions; the outage comes after ten
  // minutes, when every user's cache has forgotten the empty start (the
  // cache cycle is TTL + 1/ρ, here at most 110s).
  const rate = 200;
  const users = 10_000;
  const shareUs = 0.6;
  const outageAt = 600_000;
  const design = `
duration: 720s
network:
  regions: { us-east: [us-east-a], eu-west: [eu-west-a] }
  latency: { pairs: { us-east<->eu-west: 40ms } }
components:
${["60", "20"]
  .map(
    (ttl) => `
  users-${ttl}:
    kind: workload
    target: dns-${ttl}
    arrival: { process: poisson, rate: ${rate}/s }
    routes: [{ route: GET /x }]
    population: { users: ${users}, regions: { us-east: ${shareUs * 100}%, eu-west: ${(1 - shareUs) * 100}% } }
  dns-${ttl}:
    kind: dns
    ttl: ${ttl}s
    endpoints: [{ target: lb-us }, { target: lb-eu }]
    healthCheck: { interval: 10s, timeout: 2s, unhealthyThreshold: 3 }`,
  )
  .join("")}
  lb-us: { kind: load-balancer, backend: api-us, zone: us-east-a }
  lb-eu: { kind: load-balancer, backend: api-eu, zone: eu-west-a }
${service("api-us", "us-east-a")}
${service("api-eu", "eu-west-a")}
faults:
  - { outage: us-east, at: ${outageAt / 1000}s }
`;
  // the users living in us-east, exactly as the workload places them
  const home = new HomeRegions([0, 1], [shareUs, 1 - shareUs]);
  let usUsers = 0;
  for (let u = 0; u < users; u++) if (home.of(u) === 0) usUsers++;
  const rho = rate / users / 1000; // per user per ms

  for (const seed of [1, 2, 3])
    it(`match λ_E·D + U_E·p·ρ·TTL/2 within 4 standard deviations (seed ${seed})`, () => {
      const r = runText(design, [], { seed });
      for (const ttl of [60_000, 20_000]) {
        const [ev] = dns(r, `dns-${ttl / 1000}`).failovers;
        const D = ev.detectionMs!;
        const lambda = usUsers * rho;
        const p = ttl / (ttl + 1 / rho);
        const before = lambda * D;
        const after = usUsers * p * ((rho * ttl) / 2);
        // variance: a Poisson count before detection; afterwards, per user,
        // N ~ Poisson(ρR) with R uniform on [0, TTL] with probability p
        const m1 = (rho * ttl) / 2;
        const m2 = m1 + (rho * ttl) ** 2 / 3;
        const variance = before + usUsers * (p * m2 - (p * m1) ** 2);
        expect(Math.abs(ev.errors - before - after)).toBeLessThan(4 * Math.sqrt(variance));
      }
    });
});

describe("validation", () => {
  const base = (dnsBody: string, faults = "") => `
duration: 10s
network:
  regions: { us-east: [us-east-a], eu-west: [eu-west-a] }
components:
  users:
    kind: workload
    target: www
    arrival: { process: poisson, rate: 10/s }
    routes: [{ route: GET /x }]
  www:
    kind: dns
${dnsBody}
  lb-us: { kind: load-balancer, backend: api-us, zone: us-east-a }
  lb-eu: { kind: load-balancer, backend: api-eu, zone: eu-west-a }
${service("api-us", "us-east-a")}
${service("api-eu", "eu-west-a")}
  notes: { kind: cache, capacity: 10 }
${faults}`;
  const two = `    endpoints: [{ target: lb-us }, { target: lb-eu }]`;

  it("accepts a design whose workload targets a dns", () => {
    expect(() => runText(base(two), [], { durationMs: 1000 })).not.toThrow();
  });

  it("points at endpoint regions that do not exist, or that their target is not in, with a hint", () => {
    const unknown = rejection(base(`    endpoints: [{ target: lb-us, region: us-eats }, { target: lb-eu }]`));
    expect(unknown).toMatch(/bad\.yaml:\d+:\d+: unknown region "us-eats"/);
    expect(unknown).toMatch(/did you mean us-east\?/);
    const wrong = rejection(base(`    endpoints: [{ target: lb-us, region: eu-west }, { target: lb-eu }]`));
    expect(wrong).toMatch(/bad\.yaml:\d+:\d+: endpoint "lb-us" runs in us-east, not eu-west/);
    expect(wrong).toMatch(
      /hint: place lb-us in a zone of eu-west \(zone: eu-west-a\), or write region: us-east/,
    );
  });

  it("rejects endpoints that are not balancers or services, twice-listed ones, and misplaced weights", () => {
    expect(rejection(base(`    endpoints: [{ target: notes }]`))).toMatch(/endpoint "notes" is a cache/);
    expect(rejection(base(`    endpoints: [{ target: lb-us }, { target: lb-us }]`))).toMatch(
      /"lb-us" is already endpoint 0 of www/,
    );
    const w = rejection(base(`    endpoints: [{ target: lb-us, weight: 2 }, { target: lb-eu }]`));
    expect(w).toMatch(/weights apply to policy: weighted; www uses geo/);
    expect(w).toMatch(/hint: add policy: weighted/);
  });

  it("takes a cdn as an endpoint, but not with a region", () => {
    const withCdn = (ep: string) =>
      base(`    endpoints: [${ep}, { target: lb-eu }]`).replace(
        "  notes: { kind: cache, capacity: 10 }",
        "  edge: { kind: cdn, origin: lb-us }",
      );
    expect(() => loadDesign(withCdn("{ target: edge }"), "ok.yaml")).not.toThrow();
    const msg = rejection(withCdn("{ target: edge, region: us-east }"));
    expect(msg).toMatch(/endpoint "edge" is a cdn: users reach it at their nearest PoP/);
    expect(msg).toMatch(/hint: remove region/);
    expect(rejection(base(`${two}\n    addresses: 0`))).toMatch(/addresses/);
  });

  it("asks failover for a secondary and health checks, and resolverTime for resolvers", () => {
    const f = rejection(base(`    policy: failover\n    endpoints: [{ target: lb-us }]`));
    expect(f).toMatch(/needs at least two endpoints/);
    expect(f).toMatch(/without healthCheck it never does/);
    expect(rejection(base(`${two}\n    resolverTime: 5ms`))).toMatch(/hint: add resolvers: 4/);
  });

  it("rejects an outage of an unknown region, and explains a zone given for a region", () => {
    const typo = rejection(base(two, `faults:\n  - { outage: eu-wets, at: 1s }`));
    expect(typo).toMatch(/bad\.yaml:\d+:\d+: unknown region "eu-wets"/);
    expect(typo).toMatch(/did you mean eu-west\?/);
    expect(rejection(base(two, `faults:\n  - { outage: eu-west-a, at: 1s }`))).toMatch(
      /hint: "eu-west-a" is a zone of eu-west: an outage takes a whole region/,
    );
  });

  it("rejects a latency pair within one region, or given twice", () => {
    const pairs = (p: string) =>
      rejection(
        base(two).replace(
          "  regions: { us-east: [us-east-a], eu-west: [eu-west-a] }",
          `  regions: { us-east: [us-east-a], eu-west: [eu-west-a] }\n  latency: { pairs: { ${p} } }`,
        ),
      );
    expect(pairs("us-east<->us-east: 5ms")).toMatch(
      /hint: latency between the zones of one region is crossZone/,
    );
    expect(pairs("us-east<->eu-west: 40ms, eu-west<->us-east: 50ms")).toMatch(
      /the latency between eu-west and us-east is already given as "us-east<->eu-west"/,
    );
  });
});
