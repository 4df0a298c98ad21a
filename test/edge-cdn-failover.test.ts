// CDN PoPs that fail, and PoPs of finite capacity: users of a dead PoP are
// steered to the next-nearest one once the steering notices (anycast
// withdrawal), paying its longer path and its cache; a region outage takes
// its PoPs down; workers, queues and link bandwidth make an edge saturate
// and large objects cost time; stale-if-error keeps serving when the origin
// fails. Expected values are derived from the design (arrival rates, user
// shares, link latencies, key counts), not read off runs.
import { describe, expect, it } from "vitest";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import { HomeRegions } from "../src/kernel/home-region.js";
import type { Report } from "../src/report/json.js";
import { confidence, rejection, runText } from "./support/run.js";

interface Pop {
  requests: number;
  hits: number;
  fetches: number;
  alive: boolean;
  downMs: number;
  refused: number;
  failedOver: number;
  takenOver: number;
  staleIfError: number;
  rejected: number;
  utilization: number;
  linkUtilization: number;
}
interface Cdn {
  requests: number;
  hits: number;
  refused: number;
  failedOver: number;
  staleIfError: number;
  originLinkUtilization: number;
  pops: Record<string, Pop>;
  byRegion: Record<
    string,
    { pop: string; requests: number; failedOver: number; latencyMs: { mean: number } }
  >;
  series: Record<string, number[]>;
}
const cdnOf = (r: Report) => r.components.edge as unknown as Cdn;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

const SHARES = { "us-east": 50, "eu-west": 30, "ap-south": 20 };
const USERS = 10_000;
/** the exact share of users living in each region, as the workload places them */
const userShare = (region: keyof typeof SHARES) => {
  const names = Object.keys(SHARES);
  const home = new HomeRegions(
    names.map((_, i) => i),
    Object.values(SHARES),
  );
  let n = 0;
  for (let u = 0; u < USERS; u++) if (home.of(u) === names.indexOf(region)) n++;
  return n / USERS;
};

/** Three regions with constant links, the origin in us-east. */
const design = (o: {
  duration: number;
  rate: number;
  keys: string;
  edge?: string;
  cacheControl?: string;
  size?: string;
  origin?: string;
  faults?: string;
}) => `
duration: ${o.duration}s
network:
  regions: { us-east: [us-east-a], eu-west: [eu-west-a], ap-south: [ap-south-a] }
  latency:
    client: lognormal(median=8ms, p99=30ms)
    pairs: { "us-east<->eu-west": 40ms, "us-east<->ap-south": 110ms, "eu-west<->ap-south": 60ms }
components:
  users:
    kind: workload
    target: edge
    arrival: { process: poisson, rate: ${o.rate}/s }
    routes:
      - { route: GET /obj/:id, keys: ${o.keys} }
    population: { users: ${USERS}, regions: { us-east: 50%, eu-west: 30%, ap-south: 20% } }
  edge:
    kind: cdn
    origin: web
${o.edge ?? ""}
    routes: { GET /obj/:id: { cacheControl: "${o.cacheControl ?? "public, max-age=86400"}", size: ${o.size ?? "20KiB"} } }
  web:
    kind: service
    instances: 8
    concurrency: 500
    zone: us-east-a
    routes:
      "*": [{ compute: ${o.origin ?? "exp(5ms)"} }]
${o.faults ? `faults:\n${o.faults}` : ""}
`;

describe("a PoP that dies (kill edge, instance 1: eu-west)", () => {
  // eu-west's PoP is down from 10s to 25s; the steering takes 2s to notice
  // either change. eu-west users fail over to us-east (40ms away; ap-south
  // is 60ms away).
  const rate = 2000;
  const killed = design({
    duration: 30,
    rate,
    keys: "{ count: 1000, popularity: zipf(1.0) }",
    edge: "    failover: 2s",
    faults: "  - { kill: edge, instance: 1, at: 10s, for: 15s }",
  });
  const r = runText(killed, [], { seed: 3 });
  const c = cdnOf(r);
  const eu = c.pops["eu-west"];

  it("reports the PoP's time down, and sends its users to the next-nearest PoP until it is back", () => {
    expect(eu.downMs).toBe(15_000);
    expect(eu.alive).toBe(true);
    expect(c.byRegion["eu-west"].pop).toBe("eu-west");
    // eu-west users are steered away from 12s to 27s: 15s of their requests
    const expected = rate * userShare("eu-west") * 15;
    expect(Math.abs(eu.failedOver - expected)).toBeLessThan(4 * Math.sqrt(expected));
    expect(c.pops["us-east"].takenOver).toBe(eu.failedOver);
    expect(c.pops["ap-south"].takenOver).toBe(0);
    expect(c.byRegion["eu-west"].failedOver).toBe(eu.failedOver);
    expect(c.failedOver).toBe(eu.failedOver);
  });

  it("loses only the requests sent before the steering noticed: none once failover applies", () => {
    // users keep reaching the dead PoP for 2s: a Poisson count of eu-west's requests
    const expected = rate * userShare("eu-west") * 2;
    expect(Math.abs(eu.refused - expected)).toBeLessThan(4 * Math.sqrt(expected));
    // the others failed were inside the PoP when it died (a few ms of its requests)
    expect(r.requests.failed - eu.refused).toBeGreaterThanOrEqual(0);
    expect(r.requests.failed - eu.refused).toBeLessThan(0.05 * expected);
    expect(Object.keys(r.requests.byOutcome)).toEqual(["ok", "instance-down"]);
    // series index i covers second (i, i + 1]: after 12s plus a request's trip, no errors at all
    r.series.errors.forEach((n, i) => {
      if (i < 10 || i >= 13) expect(n).toBe(0);
    });
    expect(sum(r.series.errors.slice(10, 13))).toBe(r.requests.failed);
  });

  it("raises eu-west users' latency while they are served from us-east, and restores it after", () => {
    const s = c.series["latencyMs:eu-west"];
    const before = mean(s.slice(4, 10));
    const during = mean(s.slice(13, 25));
    const after = mean(s.slice(28, 30));
    // a hit now crosses 40ms each way; the hot set is cached at both PoPs, so
    // nearly every request is a hit and pays the full 80ms round trip more
    expect(during - before).toBeGreaterThan(80 * 0.8);
    expect(during - before).toBeLessThan(80 * 1.2);
    // the PoP kept its cache (on disk): back to its old latency, not a cold start
    expect(Math.abs(after - before)).toBeLessThan(80 * 0.2);
    // other regions are untouched
    const us = c.series["latencyMs:us-east"];
    expect(Math.abs(mean(us.slice(13, 25)) - mean(us.slice(4, 10)))).toBeLessThan(80 * 0.2);
  });

  it("is deterministic", () => {
    const again = runText(killed, [], { seed: 3 });
    expect(JSON.stringify({ ...again, engine: 0 })).toBe(JSON.stringify({ ...r, engine: 0 }));
  });
});

describe("the fallback PoP's cache", () => {
  // 50k keys drawn uniformly, kept forever: a PoP fetches each key the first
  // time it is asked for it, so after n requests it has fetched
  // N (1 - (1 - 1/N)^n) objects on average. The fallback PoP sees more
  // requests, and misses on the keys only the other region had asked for.
  const N = 50_000;
  const run = (faults?: string) =>
    cdnOf(
      runText(
        design({
          duration: 20,
          rate: 2000,
          keys: `{ count: ${N} }`,
          edge: "    failover: 1s",
          faults,
        }),
        [],
        { seed: 5 },
      ),
    );
  const control = run();
  const fault = run("  - { kill: edge, instance: 1, at: 5s }");

  it("fetches as many objects as distinct keys reached it, so its misses rise with the traffic taken over", () => {
    for (const c of [control, fault]) {
      const us = c.pops["us-east"];
      const expected = N * (1 - (1 - 1 / N) ** us.requests);
      expect(Math.abs(us.fetches - expected)).toBeLessThan(4 * Math.sqrt(expected));
    }
    const during = (c: Cdn) => sum(c.series["fetches:us-east"].slice(7));
    expect(fault.pops["us-east"].takenOver).toBeGreaterThan(0);
    expect(during(fault)).toBeGreaterThan(during(control));
    // and its hit ratio is lower than the one the dead PoP had reached: eu-west
    // users' keys are new to it
    expect(fault.pops["us-east"].fetches).toBeGreaterThan(control.pops["us-east"].fetches);
  });
});

describe("a region outage", () => {
  it("takes down the PoP (and shield) in the region; users fail over; the PoPs count their time down", () => {
    const r = runText(
      design({
        duration: 20,
        rate: 1000,
        keys: "{ count: 500, popularity: zipf(1.0) }",
        edge: "    failover: 3s\n    shield: eu-west",
        origin: "exp(5ms)",
        faults: "  - { outage: eu-west, at: 5s, for: 10s }",
      }),
      [],
      { seed: 2 },
    );
    const c = cdnOf(r);
    expect(c.pops["eu-west"].downMs).toBe(10_000);
    expect(c.pops["us-east"].downMs).toBe(0);
    const shield = (r.components.edge as unknown as { shield: Pop }).shield;
    expect(shield.downMs).toBe(10_000);
    expect(c.pops["eu-west"].failedOver).toBeGreaterThan(0);
    // with the shield down, PoPs fetch from the origin directly: nothing fails after the 3s
    r.series.errors.forEach((n, i) => {
      if (i < 5 || i >= 9) expect(n).toBe(0);
    });
    expect(r.requests.failed).toBeGreaterThan(0);
  });

  it("a cdn's PoPs can be killed and slowed by name; instance numbers are checked", () => {
    const msg = rejection(
      design({
        duration: 5,
        rate: 10,
        keys: "{ count: 10 }",
        edge: "    shield: us-east",
        faults: "  - { kill: edge, instance: 4, at: 1s }",
      }),
    );
    expect(msg).toMatch(/instance 4 does not exist: "edge" has 4 \(0\.\.3\)/);
    expect(msg).toMatch(/hint: a cdn's instances are its PoPs in the order of pops/);
  });
});

describe("a slow edge", () => {
  it("adds the slowness to every answer", () => {
    const r = runText(
      design({
        duration: 10,
        rate: 500,
        keys: "{ count: 10 }",
        faults: "  - { slow: edge, by: 50ms, at: 5s }",
      }),
      [],
      { seed: 1 },
    );
    const s = cdnOf(r).series["latencyMs:us-east"];
    const d = mean(s.slice(6)) - mean(s.slice(1, 5));
    expect(d).toBeGreaterThan(50 * 0.9);
    expect(d).toBeLessThan(50 * 1.1);
  });
});

describe("PoP capacity", () => {
  // us-east users only; every answer is a hit on one small object
  const busy = (rate: number, edge: string) =>
    cdnOf(
      runText(
        design({ duration: 20, rate, keys: "{ count: 1 }", edge, size: "1KiB" }).replace(
          "regions: { us-east: 50%, eu-west: 30%, ap-south: 20% }",
          "regions: { us-east: 100% }",
        ),
        [],
        { seed: 4 },
      ),
    ).pops["us-east"];

  it("a PoP's workers are busy lambda x edgeTime / workers of the time, and refuse nothing below capacity", () => {
    // 4 workers x 10ms: 400 requests/s; at 200/s they are busy half the time
    const pop = busy(200, "    workers: 4\n    queue: 10\n    edgeTime: 10ms");
    expect(pop.rejected).toBe(0);
    const rho = ((pop.requests / 20) * 0.01) / 4;
    expect(Math.abs(pop.utilization - rho)).toBeLessThan(0.03);
  });

  it("beyond capacity the queue fills and the PoP refuses with queue-full, its workers saturated", () => {
    const pop = busy(600, "    workers: 4\n    queue: 10\n    edgeTime: 10ms");
    expect(pop.rejected).toBeGreaterThan(0);
    // what it served is at most what 4 workers can do in 20s (400/s), nearly all of it
    const served = pop.requests - pop.rejected;
    expect(served).toBeLessThanOrEqual(400 * 20 + 14);
    expect(served).toBeGreaterThan(400 * 20 * 0.95);
    expect(pop.utilization).toBeGreaterThan(0.95);
  });

  it("a queue needs workers", () => {
    const msg = rejection(design({ duration: 5, rate: 10, keys: "{ count: 1 }", edge: "    queue: 10" }));
    expect(msg).toMatch(/a queue without workers/);
    expect(msg).toMatch(/hint: set workers/);
  });
});

describe("bandwidth", () => {
  // one 1MiB object, us-east users only, at 50/s over a 1Gbps PoP link: a
  // transfer alone takes 8.39ms, and the link is busy rho = 50 x 8.39ms = 42%
  // of the time. Transfers share it (processor sharing), so the mean time on
  // it is (S / B) / (1 - rho) whatever the arrival order (M/G/1-PS).
  const S = 1024 * 1024;
  const B = 1e9 / 8 / 1000; // bytes per ms
  const rate = 50;
  const rho = (rate * (S / B)) / 1000;
  const run = (edge: string, seed: number, cc?: string) =>
    runText(
      design({
        duration: 60,
        rate,
        keys: "{ count: 1 }",
        edge,
        size: "1MiB",
        cacheControl: cc,
        origin: "1ms",
      }).replace("regions: { us-east: 50%, eu-west: 30%, ap-south: 20% }", "regions: { us-east: 100% }"),
      [],
      { seed },
    );

  it("a PoP's link is busy rho of the time, and adds (S/B)/(1 - rho) to each answer", () => {
    const diffs: number[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const base = cdnOf(run("", seed));
      const linked = cdnOf(run("    bandwidth: 1Gbps", seed));
      expect(Math.abs(linked.pops["us-east"].linkUtilization - rho)).toBeLessThan(0.05);
      // the same arrivals and network draws: the difference is the time on the link
      diffs.push(linked.byRegion["us-east"].latencyMs.mean - base.byRegion["us-east"].latencyMs.mean);
    }
    const ci = confidence(diffs);
    expect(Math.abs(ci.mean - S / B / (1 - rho))).toBeLessThan(ci.half);
  });

  it("bodies from the origin cross the origin's link: 304s and hits do not", () => {
    // no-store: every request fetches the body from the origin
    const c = cdnOf(run("    originBandwidth: 1Gbps", 1, "no-store"));
    expect(Math.abs(c.originLinkUtilization - rho)).toBeLessThan(0.05);
    const hits = cdnOf(run("    originBandwidth: 1Gbps", 1));
    // one fetch of the one object: busy for one transfer only
    expect(hits.originLinkUtilization).toBeLessThan((2 * S) / B / 60_000);
  });
});

describe("stale-if-error (RFC 5861)", () => {
  // 20 objects fresh for 2s; the origin is down from 10s to 20s
  const outage = (cc: string) =>
    runText(
      design({
        duration: 30,
        rate: 1000,
        keys: "{ count: 20 }",
        cacheControl: cc,
        faults: "  - { kill: web, instance: all, at: 10s, for: 10s }",
      }),
      [],
      { seed: 6 },
    );

  it("serves the stale copy while the origin is down, instead of an error", () => {
    const plain = outage("max-age=2");
    const sie = outage("max-age=2, stale-if-error=60");
    // without it, once copies expire every request whose fetch fails is an error
    expect(plain.requests.failed).toBeGreaterThan(1000);
    expect(cdnOf(plain).staleIfError).toBe(0);
    // with it, every PoP held every object: nothing fails
    expect(sie.requests.failed).toBe(0);
    const c = cdnOf(sie);
    expect(c.staleIfError).toBeGreaterThan(0);
    // the same arrivals: each request that failed without it was answered stale with it
    expect(c.staleIfError).toBe(plain.requests.failed);
    expect(sum(Object.values(c.pops).map((p) => p.staleIfError))).toBe(c.staleIfError);
    // a stale answer is not a hit
    expect(c.hits).toBe(cdnOf(plain).hits);
  });

  it("is cancelled by must-revalidate, and ends with its window", () => {
    expect(outage("max-age=2, stale-if-error=60, must-revalidate").requests.failed).toBeGreaterThan(1000);
    // a 3s window: copies fresh until at most 12s serve stale until at most 15s, then errors
    const short = outage("max-age=2, stale-if-error=3");
    expect(cdnOf(short).staleIfError).toBeGreaterThan(0);
    expect(short.requests.failed).toBeGreaterThan(0);
    short.series.errors.forEach((n, i) => {
      if (i < 12 || i >= 21) expect(n).toBe(0);
    });
  });
});

describe("accounting under failures", () => {
  it("leaks no job once arrivals stop: PoPs dying with queued work, transfers, fetches and a shield", () => {
    const text = design({
      duration: 12,
      rate: 1500,
      keys: "{ count: 2000, popularity: zipf(0.9) }",
      edge: `    failover: 500ms
    shield: us-east
    workers: 8
    queue: 20
    bandwidth: 2Gbps
    originBandwidth: 1Gbps`,
      cacheControl: "max-age=2, stale-if-error=5, stale-while-revalidate=1",
      size: `"uniform(10KiB, 1MiB)"`,
      origin: "exp(20ms)",
      faults: `  - { kill: edge, instance: 0, at: 2s, for: 3s }
  - { kill: edge, instance: 3, at: 4s, for: 2s }
  - { outage: eu-west, at: 6s, for: 2s }
  - { kill: web, instance: all, at: 8s, for: 1s }`,
    });
    // users time out after 300ms and retry once: timers watch the requests a dying PoP answers through stand-ins
    const withClient = text.replace(
      "    population: {",
      "    client: { timeout: 300ms, retry: { attempts: 2 } }\n    population: {",
    );
    const { design: d } = loadDesign(withClient, "inline.yaml");
    const simulation = buildSimulation(d, 7);
    const r = simulation.run({ maxEvents: 5e7, maxWallMs: 60_000 });
    simulation.sim.q.run(r.durationMs + 60_000, 5e7);
    expect(simulation.workloads.reduce((s, w) => s + w.answered, 0)).toBe(r.generated);
    expect(simulation.sim.pool.live).toBe(0);
  });
});
