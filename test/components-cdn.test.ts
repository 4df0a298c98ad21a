// A CDN exercised through the whole simulation: users -> their region's PoP
// -> (shield) -> origin. Hit ratios, origin fetches and staleness emerge from
// real keys in byte-bounded stores; the bounds asserted below follow from the
// mechanisms (one fetch per object per expiry with collapsing, one per PoP
// without a shield), and comparisons between configurations are judged over
// independent replications.
import { describe, expect, it } from "vitest";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import { ZipfKeys } from "../src/kernel/keys.js";
import type { Report } from "../src/report/json.js";
import { confidence, rejection, runText } from "./support/run.js";

interface TierReport {
  requests: number;
  hits: number;
  hitRatio: number;
  fetches: number;
  collapsed: number;
  staleHits: number;
  swrHits: number;
  uncacheable: number;
  revalidations: number;
  notModified: number;
  pushed: number;
  purged: number;
  entries: number;
  bytes: number;
}
interface CdnReport {
  requests: number;
  hits: number;
  hitRatio: number;
  originFetches: number;
  originOffload: number;
  collapsed: number;
  staleHits: number;
  swrHits: number;
  bytes: { served: number; fromEdge: number; fromOrigin: number; pushed: number };
  bandwidthSaved: number;
  pops: Record<string, TierReport>;
  shield: TierReport | null;
  routes: Record<
    string,
    {
      requests: number;
      hits: number;
      originFetches: number;
      staleHits: number;
      leaked: number;
      wrongVariant: number;
    }
  >;
  leaked: number;
  wrongVariant: number;
  byRegion: Record<
    string,
    { pop: string; requests: number; hitRatio: number; latencyMs: { p50: number; max: number } }
  >;
  updates: { atMs: number; route: string; propagatedAtMs: number | null }[];
  series: Record<string, number[]>;
}
const cdnOf = (r: Report) => r.components.edge as unknown as CdnReport;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const REGIONS = ["us-east", "eu-west", "ap-south"];

/** Three regions, the origin in us-east; `edge` and `routes` are YAML fragments. */
const design = (o: {
  duration?: number;
  rate?: number;
  routes: string;
  edge: string;
  origin?: string;
  regions?: string;
}) => `
duration: ${o.duration ?? 20}s
network:
  regions: { us-east: [us-east-a], eu-west: [eu-west-a], ap-south: [ap-south-a] }
  latency:
    client: lognormal(median=8ms, p99=30ms)
    pairs: { "us-east<->eu-west": 40ms, "us-east<->ap-south": 110ms, "eu-west<->ap-south": 60ms }
components:
  users:
    kind: workload
    target: edge
    arrival: { process: poisson, rate: ${o.rate ?? 2000}/s }
    routes:
${o.routes}
    population: { regions: ${o.regions ?? "{ us-east: 50%, eu-west: 30%, ap-south: 20% }"} }
  edge:
    kind: cdn
    origin: web
${o.edge}
  web:
    kind: service
    instances: 8
    concurrency: 500
    zone: us-east-a
    routes:
      "*": [{ compute: ${o.origin ?? "exp(5ms)"} }]
`;

describe("edge PoPs", () => {
  it("each PoP misses an object once, then serves it from the edge, faster than the origin", () => {
    const r = runText(
      design({
        rate: 600,
        routes: "      - { route: GET /logo.png, keys: { count: 1 } }",
        edge: '    routes: { GET /logo.png: { cacheControl: "public, max-age=86400", size: 20KiB } }',
      }),
      [],
      { seed: 3 },
    );
    const c = cdnOf(r);
    expect(r.requests.failed).toBe(0);
    for (const region of REGIONS) {
      const pop = c.pops[region];
      expect(pop.fetches).toBe(1);
      expect(pop.hits).toBe(pop.requests - 1 - pop.collapsed);
      // the first request crossed to us-east and back; the rest stayed in the region
      const lat = c.byRegion[region].latencyMs;
      expect(c.byRegion[region].pop).toBe(region);
      if (region !== "us-east") expect(lat.max).toBeGreaterThan(2 * (region === "eu-west" ? 40 : 110));
      expect(lat.p50).toBeLessThan(40);
    }
    expect(c.originFetches).toBe(3);
    expect(c.bytes.fromOrigin).toBe(3 * 20 * 1024);
    // answered at the edge: those the users received, and some still on their way back
    expect(c.bytes.served % (20 * 1024)).toBe(0);
    expect(c.bytes.served).toBeGreaterThanOrEqual(r.requests.ok * 20 * 1024);
    expect(c.bytes.served).toBeLessThanOrEqual(r.requests.total * 20 * 1024);
  });

  it("users of a region without a PoP go to the nearest one", () => {
    const r = runText(
      design({
        rate: 200,
        routes: "      - { route: GET /a, keys: { count: 10 } }",
        edge: "    pops: [us-east, eu-west]",
      }),
      [],
      { seed: 1 },
    );
    const c = cdnOf(r);
    expect(Object.keys(c.pops)).toEqual(["us-east", "eu-west"]);
    // ap-south is 60ms from eu-west and 110ms from us-east
    expect(c.byRegion["ap-south"].pop).toBe("eu-west");
  });
});

describe("pull and push", () => {
  // 20k video segments under zipf(1); push puts the 1,000 most popular at
  // every PoP before the first request, pull starts cold
  const video = (push: boolean) =>
    design({
      duration: 4,
      rate: 3000,
      routes: "      - { route: GET /seg/:id, keys: { count: 20k, popularity: zipf(1.0) } }",
      edge: `    capacity: 8GiB
    routes: { GET /seg/:id: { cacheControl: "public, max-age=86400", size: 2MiB${push ? ", push: 1000" : ""} } }`,
    });

  it("push serves more of the popular head from the edge than a cold pull in the first seconds", () => {
    // paired replications: the same seed gives both the same requests
    const diffs = [1, 2, 3, 4, 5].map((seed) => {
      const first = (push: boolean) => {
        const s = cdnOf(runText(video(push), [], { seed })).series.hitRatio;
        return (s[0] + s[1]) / 2;
      };
      return first(true) - first(false);
    });
    const ci = confidence(diffs);
    expect(ci.mean - ci.half).toBeGreaterThan(0);
  });

  it("pushed objects stay at the edge: the pulled tail never evicts them", () => {
    const c = cdnOf(runText(video(true), [], { seed: 1 }));
    for (const region of REGIONS) expect(c.pops[region].pushed).toBe(1000);
    expect(c.bytes.pushed).toBe(3 * 1000 * 2 * 1024 * 1024);
    // every request for the pushed head is a hit, in every second (~3,000 requests each)
    const zipf = new ZipfKeys(20_000, 1);
    let head = 0;
    for (let k = 0; k < 1000; k++) head += zipf.probability(k);
    const sd = Math.sqrt((head * (1 - head)) / 3000);
    for (const ratio of c.series.hitRatio) expect(ratio).toBeGreaterThan(head - 4 * sd);
  });
});

describe("request collapsing", () => {
  // five hot objects, a 2s lifetime and a slow origin (300ms): many misses
  // for one object arrive while its fetch is in flight
  const hot = (collapse: boolean) =>
    design({
      duration: 20,
      rate: 3000,
      origin: "300ms",
      routes: "      - { route: GET /live/:id, keys: { count: 5 } }",
      edge: `    collapse: ${collapse}
    routes: { GET /live/:id: { cacheControl: "max-age=2", size: 100KiB } }`,
    });

  it("with collapsing, each PoP fetches an object at most once per expiry", () => {
    const c = cdnOf(runText(hot(true), [], { seed: 4 }));
    // a copy is fresh for 2s from its arrival, and the next fetch starts only
    // after that: at most floor(20 / 2) + 1 fetches per object per PoP
    for (const region of REGIONS) expect(c.pops[region].fetches).toBeLessThanOrEqual(5 * (20 / 2 + 1));
    expect(c.collapsed).toBeGreaterThan(0);
  });

  it("without it, every miss during a fetch goes to the origin too", () => {
    const on = cdnOf(runText(hot(true), [], { seed: 4 }));
    const off = cdnOf(runText(hot(false), [], { seed: 4 }));
    expect(off.collapsed).toBe(0);
    // ~3000/s spread over 3 PoPs and 5 keys: ~100 misses per object per PoP
    // arrive during each 300ms fetch
    expect(off.originFetches).toBeGreaterThan(10 * on.originFetches);
  });
});

describe("Cache-Control", () => {
  const mixed = (cc: string) =>
    design({
      rate: 1000,
      routes: `      - { route: GET /img/:id, weight: 3, keys: { count: 100 } }
      - { route: GET /account, weight: 1, keys: { count: 100 } }`,
      edge: `    routes:
      GET /img/:id: { cacheControl: "public, max-age=3600", size: 30KiB }
      GET /account: { cacheControl: "${cc}", size: 2KiB }`,
    });

  for (const cc of ["private, max-age=600", "no-store"])
    it(`${cc} responses are never served from the edge`, () => {
      const c = cdnOf(runText(mixed(cc), [], { seed: 2 }));
      const account = c.routes["GET /account"];
      expect(account.requests).toBeGreaterThan(1000);
      expect(account.hits).toBe(0);
      expect(account.originFetches).toBe(account.requests);
      // the public route is served from the edge, and only it is stored
      expect(c.routes["GET /img/:id"].hits).toBeGreaterThan(0);
      for (const region of REGIONS) expect(c.pops[region].entries).toBeLessThanOrEqual(100);
    });

  it("no-cache revalidates every use: as many origin requests, but 304s carry no body", () => {
    const c = cdnOf(runText(mixed("no-cache"), [], { seed: 2 }));
    const account = c.routes["GET /account"];
    expect(account.hits).toBe(0);
    let notModified = 0;
    for (const region of REGIONS) notModified += c.pops[region].notModified;
    expect(notModified).toBeGreaterThan(0);
  });

  it("stale-while-revalidate answers from the edge while the copy is refreshed", () => {
    const swr = (cc: string) =>
      cdnOf(
        runText(
          design({
            rate: 1500,
            origin: "100ms",
            routes: "      - { route: GET /feed/:id, keys: { count: 20 } }",
            edge: `    routes: { GET /feed/:id: { cacheControl: "${cc}", size: 10KiB } }`,
          }),
          [],
          { seed: 5 },
        ),
      );
    const plain = swr("max-age=1");
    const withSwr = swr("max-age=1, stale-while-revalidate=10");
    expect(withSwr.swrHits).toBeGreaterThan(0);
    expect(plain.swrHits).toBe(0);
    // every expiry costs the plain edge one miss (and its collapsed followers) per object per PoP
    expect(withSwr.hits).toBeGreaterThan(plain.hits);
  });
});

describe("caching hazards (CDN-10)", () => {
  it("a personal page cached as public is served to other users: every such hit leaks; private never does", () => {
    // one URL for everyone's account page (the user is known by a cookie)
    const account = (cc: string) =>
      runText(
        design({
          rate: 1000,
          routes: "      - { route: GET /account, keys: { count: 1 } }",
          edge: `    routes: { GET /account: { cacheControl: "${cc}", size: 4KiB, perUser: true } }`,
        }),
        [],
        { seed: 2 },
      );
    const bad = account("public, max-age=60");
    const c = cdnOf(bad);
    // a copy is the response to the user whose miss fetched it; any of the
    // 10,000 users may ask next, so all but ~1 in 10,000 of the answers from
    // copies (hits, and misses that joined another user's fetch) are theirs
    const fromCopies = c.hits + c.collapsed;
    expect(c.leaked).toBeGreaterThan(0.99 * c.hits);
    expect(c.leaked).toBeLessThanOrEqual(fromCopies);
    expect(c.routes["GET /account"].leaked).toBe(c.leaked);
    const good = cdnOf(account("private"));
    expect(good.leaked).toBe(0);
    expect(good.hits).toBe(0);
    // users are told apart even where nothing else needs them (one region)
    const one = cdnOf(
      runText(
        design({
          rate: 200,
          regions: "{ us-east: 100% }",
          routes: "      - { route: GET /account, keys: { count: 1 } }",
          edge: `    routes: { GET /account: { cacheControl: "max-age=60", perUser: true } }`,
        }),
        [],
        { seed: 2 },
      ),
    );
    expect(one.leaked).toBeGreaterThan(0.99 * one.hits);
  });

  it("content that varies by a header the edge does not key on (a missing Vary) serves the wrong variant", () => {
    // 70% of users ask in English, 30% in French
    const home = (vary: string) =>
      cdnOf(
        runText(
          design({
            rate: 2000,
            routes: `      - { route: GET /home/:id, weight: 7, keys: { count: 200 }, headers: { Accept-Language: en } }
      - { route: GET /home/:id, weight: 3, keys: { count: 200 }, headers: { Accept-Language: fr } }`,
            edge: `    routes: { GET /home/:id: { cacheControl: "max-age=2", size: 20KiB, variesBy: [Accept-Language]${vary} } }`,
          }),
          [],
          { seed: 3 },
        ),
      );
    const missing = home(", vary: []");
    // a copy is in the language of the request that fetched it: English with
    // probability 0.7, then wrong for the 30% asking in French, and the other
    // way round: 0.7 x 0.3 + 0.3 x 0.7 = 0.42 of the answers from copies.
    // Each copy's language is one draw, so the spread comes mostly from the
    // number of copies (fetches) rather than the number of answers.
    const p = 0.42;
    const fromCopies = missing.hits + missing.collapsed;
    let fetches = 0;
    for (const region of REGIONS) fetches += missing.pops[region].fetches;
    const sd = Math.sqrt((0.21 * 0.16) / fetches + (p * (1 - p)) / fromCopies);
    expect(Math.abs(missing.wrongVariant / fromCopies - p)).toBeLessThan(4 * sd);
    // keyed by the header (the default: vary follows variesBy), every answer is right, at the cost of a copy per language
    const right = home("");
    expect(right.wrongVariant).toBe(0);
    expect(right.leaked).toBe(0);
    expect(right.hitRatio).toBeLessThan(missing.hitRatio);
  });

  it("names only headers that requests carry, and pushes no per-user content", () => {
    const msg = rejection(
      design({
        rate: 10,
        routes: "      - { route: GET /a, keys: { count: 10 }, headers: { accept-language: en } }",
        edge: `    routes: { GET /a: { variesBy: [accept-langauge], vary: [Cookie], perUser: true, push: 5 } }`,
      }),
    );
    expect(msg).toMatch(/no workload sends header "accept-langauge" on route "GET \/a"/);
    expect(msg).toMatch(/did you mean accept-language\?/);
    expect(msg).toMatch(/hint: a response personal to each user is perUser: true/);
    expect(msg).toMatch(/one pushed copy cannot serve every request/);
  });
});

describe("purge and versioned URLs", () => {
  // the 50 most popular of 1,000 objects change at 8s
  const changing = (onUpdate: string, extra = "") =>
    design({
      duration: 20,
      rate: 2000,
      routes: "      - { route: GET /page/:id, keys: { count: 1000, popularity: zipf(1.0) } }",
      edge: `    purgeDelay: uniform(1s, 4s)
${extra}    routes: { GET /page/:id: { cacheControl: "max-age=600", size: 50KiB, onUpdate: ${onUpdate} } }
    updates: [{ at: 8s, route: GET /page/:id, keys: ["0..49"] }]`,
    });

  it("a purge serves stale hits only while it propagates", () => {
    const c = cdnOf(runText(changing("purge"), [], { seed: 6 }));
    expect(c.staleHits).toBeGreaterThan(0);
    const done = c.updates[0].propagatedAtMs!;
    // each PoP applies it after its own delay, at most 4s after the change
    expect(done).toBeGreaterThan(8000);
    expect(done).toBeLessThanOrEqual(12_000);
    // series index i covers second (i, i + 1]
    c.series.staleHits.forEach((n, i) => {
      if (n > 0) {
        expect(i).toBeGreaterThanOrEqual(8);
        expect(i).toBeLessThan(Math.ceil(done / 1000));
      }
    });
  });

  it("with a shield, the shield is purged first and no PoP refills a stale copy after its purge", () => {
    const c = cdnOf(runText(changing("purge", "    shield: us-east\n"), [], { seed: 6 }));
    const done = c.updates[0].propagatedAtMs!;
    expect(c.staleHits).toBeGreaterThan(0);
    c.series.staleHits.forEach((n, i) => {
      if (n > 0) expect(i).toBeLessThan(Math.ceil(done / 1000));
    });
  });

  it("versioned URLs are never stale; the new version is a cold miss", () => {
    const c = cdnOf(runText(changing("versioned"), [], { seed: 6 }));
    expect(c.staleHits).toBe(0);
    const s = c.series.hitRatio;
    // The 50 changed objects take about 60% of the requests under zipf(1)
    // over 1,000 keys, so each of them is asked for at every PoP within the
    // second: 150 cold misses (plus the requests collapsed onto them) among
    // ~2,000 requests, a dip of 0.075 or more. A per-second ratio near 0.93
    // over 2,000 requests has a standard deviation near 0.006, so a 0.05 dip
    // is well clear of noise either way.
    expect(s[8]).toBeLessThan(mean(s.slice(4, 8)) - 0.05);
  });

  it("without a purge, copies serve the old content until they expire", () => {
    const c = cdnOf(runText(changing("none"), [], { seed: 6 }));
    // max-age=600 outlives the run: every later hit on a changed object is stale
    expect(c.series.staleHits.slice(14).every((n) => n > 0)).toBe(true);
  });
});

describe("origin shield", () => {
  // 20 objects, a 5s lifetime, about 50 requests per object per PoP per second
  const keys = 20;
  const ttl = 5;
  const duration = 30;
  const shielded = (shield: boolean) =>
    design({
      duration,
      rate: 3000,
      routes: `      - { route: GET /tile/:id, keys: { count: ${keys} } }`,
      edge: `${shield ? "    shield: us-east\n" : ""}    routes: { GET /tile/:id: { cacheControl: "max-age=${ttl}", size: 200KiB } }`,
    });

  it("the origin sees about one fetch per object per lifetime instead of one per PoP", () => {
    const with_ = cdnOf(runText(shielded(true), [], { seed: 8 }));
    const without = cdnOf(runText(shielded(false), [], { seed: 8 }));
    // with a shield: at most floor(30 / 5) + 1 fetches of each object
    expect(with_.originFetches).toBeLessThanOrEqual(keys * (duration / ttl + 1));
    // without: each of the 3 PoPs refetches each object at least once per
    // lifetime plus a round trip and a gap (well under 1s)
    expect(without.originFetches).toBeGreaterThanOrEqual(3 * keys * Math.floor(duration / (ttl + 1)));
    expect(with_.shield!.requests).toBeGreaterThan(0);
    expect(with_.hitRatio).toBeGreaterThan(0.9);
  });
});

describe("accounting", () => {
  const text = design({
    duration: 10,
    rate: 1500,
    routes: `      - { route: GET /seg/:id, weight: 4, keys: { count: 5000, popularity: zipf(0.9) } }
      - { route: GET /me, weight: 1, keys: { count: 1000 } }`,
    edge: `    shield: eu-west
    capacity: 200MiB
    routes:
      GET /seg/:id: { cacheControl: "max-age=3, stale-while-revalidate=2", size: "uniform(100KiB, 2MiB)", push: 50 }
      GET /me: { cacheControl: private, size: 1KiB }
    updates: [{ at: 4s, keys: ["0..20"] }]`,
  });

  it("is deterministic, and every request is counted once at the edge", () => {
    const a = runText(text, [], { seed: 9 });
    const b = runText(text, [], { seed: 9 });
    expect(JSON.stringify({ ...a, engine: 0 })).toBe(JSON.stringify({ ...b, engine: 0 }));
    const c = cdnOf(a);
    // requests still on their way to a PoP at the end are not counted there yet
    expect(c.requests).toBeLessThanOrEqual(a.requests.total);
    expect(c.requests).toBeGreaterThanOrEqual(a.requests.ok + a.requests.failed);
    let popRequests = 0;
    for (const region of REGIONS) popRequests += c.pops[region].requests;
    expect(popRequests).toBe(c.requests);
    expect(c.originOffload).toBeCloseTo(1 - c.originFetches / c.requests, 12);
    expect(c.bytes.fromEdge).toBeLessThanOrEqual(c.bytes.served);
    // sizes are a function of the key: a store holds no more than its capacity
    for (const region of REGIONS) expect(c.pops[region].bytes).toBeLessThanOrEqual(200 * 1024 * 1024);
  });

  it("leaks no job once arrivals stop", () => {
    const { design: d } = loadDesign(text, "inline.yaml");
    const simulation = buildSimulation(d, 5);
    const r = simulation.run({ maxEvents: 5e7, maxWallMs: 60_000 });
    simulation.sim.q.run(r.durationMs + 60_000, 5e7);
    expect(simulation.workloads.reduce((s, w) => s + w.answered, 0)).toBe(r.generated);
    expect(simulation.sim.pool.live).toBe(0);
  });
});

describe("validation", () => {
  const bad = (edge: string, extra = "") => `duration: 10s
network: { regions: { us-east: [us-east-a], eu-west: [eu-west-a] } }
components:
  users:
    kind: workload
    target: edge
    arrival: { process: poisson, rate: 10/s }
    routes: [{ route: GET /a }]
  edge:
    kind: cdn
${edge}
  db: { kind: database }
  web: { kind: service, routes: { "*": [{ read: db }] } }
${extra}`;

  it("an origin must be a load balancer or service", () => {
    const msg = rejection(bad("    origin: db"));
    expect(msg).toMatch(/^bad\.yaml:11:13: origin "db" is a database/m);
    expect(msg).toMatch(/expected: a load balancer or service/);
    expect(msg).toMatch(/hint: /);
  });

  it("PoP and shield regions must exist", () => {
    const msg = rejection(bad("    origin: web\n    pops: [us-east, eu-wset]\n    shield: mars"));
    expect(msg).toMatch(/bad\.yaml:12:\d+: PoP region "eu-wset" is not a region of the network/);
    expect(msg).toMatch(/did you mean eu-west\?/);
    expect(msg).toMatch(/bad\.yaml:13:\d+: shield region "mars" is not a region/);
  });

  it("a Cache-Control is read as HTTP writes it", () => {
    const msg = rejection(
      bad('    origin: web\n    routes: { GET /a: { cacheControl: "public, max-agee=60" } }'),
    );
    expect(msg).toMatch(/unknown Cache-Control directive "max-agee"/);
    expect(msg).toMatch(/did you mean max-age\?/);
    const unit = rejection(bad('    origin: web\n    routes: { GET /a: { cacheControl: "max-age=1h" } }'));
    expect(unit).toMatch(/hint: Cache-Control counts seconds without a unit/);
  });

  it("private content cannot be pushed, and route names are checked", () => {
    const msg = rejection(
      bad("    origin: web\n    routes: { GET /a: { cacheControl: private, push: 10 }, GET /b: {} }"),
    );
    expect(msg).toMatch(/cannot be pushed/);
    expect(
      rejection(bad("    origin: web\n    routes: { GET /a: { cacheControl: no-cache, push: 10 } }")),
    ).toMatch(/pushing it saves nothing/);
    expect(rejection(bad("    origin: web\n    routes: { GET /a: { push: 10, onUpdate: none } }"))).toMatch(
      /pushed objects never expire/,
    );
    expect(msg).toMatch(/no workload sends route "GET \/b" to cdn "edge"/);
    expect(msg).toMatch(/did you mean GET \/a\?/);
  });

  it("a cdn's PoPs may be killed, but a link fault cannot start at a database", () => {
    expect(() =>
      loadDesign(bad("    origin: web", "faults: [{ kill: edge, instance: 1, at: 1s }]"), "ok.yaml"),
    ).not.toThrow();
    const msg = rejection(
      bad("    origin: web", "faults: [{ link: { from: db, to: edge }, add: 5ms, at: 1s }]"),
    );
    expect(msg).toMatch(/link source "db" is a database/);
  });
});
