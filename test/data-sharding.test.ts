// Sharding through design files: where keys land, what resharding moves and
// costs, hot shards from skewed and sequential keys and the salting that
// spreads them, and queries that must ask every shard.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

type Sharding = {
  shards: number;
  requestsPerShard: number[];
  keysPerShard: number[];
  requestImbalance: { cv: number; maxOverMean: number };
  resharding: {
    atMs: number;
    keysMoved: number;
    keysTotal: number;
    movedFraction: number;
    copies: number;
    doneAtMs: number | null;
  } | null;
};
const sharding = (r: Report, name: string) =>
  (r.components[name] as unknown as { sharding: Sharding }).sharding;

describe("sequential keys and resharding (examples/data/sharding.yaml)", () => {
  const r = runFile("examples/data/sharding.yaml");

  it("range sharding sends every sequential insert to one shard; hash spreads them", () => {
    const range = sharding(r, "orders-range");
    const hash = sharding(r, "orders-hash");
    expect(range.requestsPerShard.filter((n) => n > 0)).toHaveLength(1);
    expect(range.requestImbalance.maxOverMean).toBe(4);
    // four shards, ~30k uniform hashed inserts: a binomial share has sd ~0.5% of the mean
    expect(hash.requestImbalance.cv).toBeLessThan(0.03);
    // the hot shard cannot keep up (400 writes/s against 500/s); the spread one can
    expect(r.routes["POST /orders/range"].availability).toBeLessThan(0.9);
    expect(r.routes["POST /orders/hash"].availability).toBe(1);
  });

  it("adding a shard moves ~80% of keys under mod N and ~1/5 under consistent hashing", () => {
    const mod = sharding(r, "users-mod").resharding!;
    const ring = sharding(r, "users-ring").resharding!;
    // mod 4 -> mod 5 keeps a key only when h mod 20 < 4: 4/20 stay. Over ~10k
    // keys the binomial sd of the fraction is ~0.4%: allow 2%
    expect(Math.abs(mod.movedFraction - 0.8)).toBeLessThan(0.02);
    // a new shard with 150 vnodes takes ~1/5 of the ring; vnode placement varies it by a few %
    expect(Math.abs(ring.movedFraction - 0.2)).toBeLessThan(0.05);
    expect(mod.keysTotal).toBeGreaterThan(9000);
  });

  it("copies every moved key while traffic goes on, and moving fewer keys finishes sooner", () => {
    for (const name of ["users-mod", "users-ring"]) {
      const rs = sharding(r, name).resharding!;
      expect(rs.copies).toBe(rs.keysMoved);
      expect(rs.doneAtMs).not.toBeNull();
      expect(rs.doneAtMs!).toBeGreaterThan(rs.atMs);
    }
    const mod = sharding(r, "users-mod").resharding!;
    const ring = sharding(r, "users-ring").resharding!;
    expect(mod.doneAtMs! - mod.atMs).toBeGreaterThan(2 * (ring.doneAtMs! - ring.atMs));
    // the new shard serves its keys once they arrived; no key is lost or left behind
    const keys = sharding(r, "users-ring").keysPerShard;
    expect(keys[4]).toBeGreaterThan(0);
    const totalKeys = (name: string) => sharding(r, name).keysPerShard.reduce((a, b) => a + b, 0);
    expect(totalKeys("users-ring")).toBe(
      (r.components["users-ring"] as unknown as { keysWritten: number }).keysWritten,
    );
    expect(r.consistency!.lostAcknowledgedWrites).toBe(0);
    // writes that raced the switch fail as not-primary, a handful at most
    expect(r.routes["PUT /users/mod"].requests.failed).toBeLessThan(20);
  });
});

describe("more sharding schemes (examples/data/sharding-schemes.yaml)", () => {
  const r = runFile("examples/data/sharding-schemes.yaml");
  const shares = (xs: number[]) => xs.map((x) => x / xs.reduce((a, b) => a + b, 0));

  it("round robin: inserts exactly even, every read on every shard", () => {
    const s = sharding(r, "events");
    const posts = r.routes["POST /events"].requests;
    expect(Math.max(...s.keysPerShard) - Math.min(...s.keysPerShard)).toBeLessThanOrEqual(
      1 + posts.inFlight + posts.failed,
    );
    const gets = r.routes["GET /events"].requests;
    const reads = (r.components.events as unknown as { reads: number }).reads;
    expect(reads).toBeGreaterThanOrEqual(4 * gets.ok);
    expect(reads).toBeLessThanOrEqual(4 * (gets.ok + gets.inFlight));
  });

  it("list and composite: shards as even as the lists make them", () => {
    // accounts: 10% of keys on each listed shard, 80% on the default; ~20k writes
    shares(sharding(r, "accounts").requestsPerShard).forEach((f, i) =>
      expect(Math.abs(f - [0.1, 0.1, 0.8][i])).toBeLessThan(0.015),
    );
    // orders: the hot fifth's 80% over four shards, the rest's 20% on one; ~40k requests
    for (const f of shares(sharding(r, "orders").requestsPerShard))
      expect(Math.abs(f - 0.2)).toBeLessThan(0.015);
  });

  it("logical shards: growing 4 -> 6 moves a third of the keys, with whole logical shards", () => {
    const rs = sharding(r, "profiles").resharding!;
    expect(Math.abs(rs.movedFraction - 1 / 3)).toBeLessThan(0.02);
    expect(rs.copies).toBe(rs.keysMoved);
    expect(r.consistency!.lostAcknowledgedWrites).toBe(0);
  });
});

describe("a hot key (examples/data/hot-key.yaml)", () => {
  const r = runFile("examples/data/hot-key.yaml", [], { durationMs: 30_000 });

  it("melts the one shard that holds it", () => {
    const plain = sharding(r, "likes");
    expect(plain.requestImbalance.maxOverMean).toBeGreaterThan(2.5);
    expect(r.routes["POST /like"].availability).toBeLessThan(0.95);
    expect(r.routes["POST /like"].requests.byOutcome["pool-exhausted"]).toBeGreaterThan(0);
  });

  it("salting spreads its writes over the shards and keeps every request served", () => {
    const salted = sharding(r, "likes-salted");
    expect(salted.requestImbalance.maxOverMean).toBeLessThan(
      sharding(r, "likes").requestImbalance.maxOverMean,
    );
    expect(salted.requestsPerShard.filter((n) => n > 0)).toHaveLength(8);
    expect(r.routes["POST /like/salted"].availability).toBe(1);
    expect(r.routes["GET /likes/salted"].availability).toBe(1);
    expect(r.routes["POST /like/salted"].latencyMs.p99).toBeLessThan(r.routes["POST /like"].latencyMs.p99);
  });
});

describe("scatter-gather", () => {
  const design = (scatter: boolean) => `
duration: 20s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 100/s }
    routes: [{ route: q, keys: { count: 1k } }]
  api: { kind: service, concurrency: 1000, routes: { q: [{ read: db${scatter ? ", scatter: true" : ""} }] } }
  db: { kind: database, shards: 8, readTime: exp(10ms), connections: 100 }
`;

  it("asks every shard and waits for the slowest: latency is the max of the shards'", () => {
    const one = runText(design(false), [], { seed: 5 });
    const all = runText(design(true), [], { seed: 5 });
    // the max of 8 exponentials of mean 10ms has mean 10 x H(8) = 27.2ms
    const h8 = 1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 5 + 1 / 6 + 1 / 7 + 1 / 8;
    expect(one.latencyMs.mean).toBeGreaterThan(9);
    expect(one.latencyMs.mean).toBeLessThan(11);
    // 2000 samples; sd of the max of 8 exp(10) is ~12.5ms, so se ~0.3ms
    expect(Math.abs(all.latencyMs.mean - 10 * h8)).toBeLessThan(1.5);
    const perShard = sharding(all, "db").requestsPerShard;
    expect(new Set(perShard).size).toBe(1); // every query reached every shard once
  });
});

describe("sharding settings are checked", () => {
  const problems = (db: string, step = "{ read: db }") =>
    rejection(
      `
duration: 1s
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 1/s }, routes: [{ route: r }] }
  api: { kind: service, routes: { r: [${step}] } }
  db: ${db}
  cache: { kind: cache, capacity: 10 }
`,
      "s.yaml",
    );

  it("rejects sharding options that cannot apply", () => {
    expect(problems("{ kind: database, sharding: { strategy: range } }")).toMatch(
      /sharding settings need more than one shard/,
    );
    expect(problems("{ kind: database, shards: 4, sharding: { vnodes: 10 } }")).toMatch(
      /vnodes applies to strategy: consistent-hash/,
    );
    expect(problems("{ kind: database, shards: 4, reshard: { at: 1s, shards: 4 } }")).toMatch(
      /already has 4 shards/,
    );
    expect(
      problems(
        "{ kind: database, shards: 4, sharding: { strategy: range }, reshard: { at: 1s, shards: 2 } }",
      ),
    ).toMatch(/range sharding grows by splitting ranges/);
    expect(problems("{ kind: database, shards: 4, sharding: { logicalShards: 64 } }")).toMatch(
      /s\.yaml:6:\d+: logicalShards applies to strategy: logical/,
    );
    expect(
      problems(
        "{ kind: database, shards: 4, sharding: { strategy: logical, logicalShards: 6 }, reshard: { at: 1s, shards: 8 } }",
      ),
    ).toMatch(/6 logical shards cannot fill 8 physical shards[\s\S]*expected: at least 8/);
  });

  it("rejects lists that contradict themselves or name shards that do not exist", () => {
    const list = (sharding: string, extra = "") =>
      problems(`{ kind: database, shards: 3, sharding: { strategy: list, ${sharding} }${extra} }`);
    expect(list('lists: { 0: ["0..99"], 1: [50] }, default: 2')).toMatch(
      /s\.yaml:6:\d+: key 50 is listed for shard 0 and shard 1/,
    );
    expect(list('lists: { 3: ["0..99"] }, default: 2')).toMatch(/shard 3 does not exist: the database has 3/);
    expect(list("lists: { 0: [1] }")).toMatch(/list sharding needs a default[\s\S]*hint: add default: 0/);
    expect(list("lists: { 0: [10-20] }, default: 1")).toMatch(
      /"10-20" is not a key or a range of keys[\s\S]*did you mean 10\.\.20\?/,
    );
    expect(list("lists: { 0: [20..10] }, default: 1")).toMatch(/"20\.\.10" is an empty range/);
    expect(list("lists: { 0: [1] }, default: [1, 2]")).toMatch(/use strategy: composite/);
    expect(list("lists: { 0: [1] }, default: 1", ", reshard: { at: 1s, shards: 4 }")).toMatch(
      /resharding it is not modelled/,
    );
    expect(problems("{ kind: database, shards: 3, sharding: { lists: { 0: [1] } } }")).toMatch(
      /lists apply to strategy: list/,
    );
  });

  it("rejects composite groups that share a shard or a key", () => {
    const composite = (groups: string, dflt = "[3]") =>
      problems(
        `{ kind: database, shards: 4, sharding: { strategy: composite, groups: ${groups}, default: ${dflt} } }`,
      );
    expect(composite('[{ keys: ["0..9"], shards: [0, 1] }, { keys: [20], shards: [1, 2] }]')).toMatch(
      /shard 1 is in group 0 and group 1[\s\S]*expected: each shard in one group/,
    );
    expect(composite('[{ keys: ["0..9"], shards: [0, 1] }]', "[1, 2]")).toMatch(
      /shard 1 is in group 0 and the default group/,
    );
    expect(composite('[{ keys: ["0..9"], shards: [0] }, { keys: ["5..6"], shards: [1] }]')).toMatch(
      /key 5 is listed for group 0 and group 1/,
    );
    expect(problems("{ kind: database, shards: 4, sharding: { strategy: composite } }")).toMatch(
      /composite sharding needs groups/,
    );
  });

  it("rejects gathering reads through a cache, and saltKeys without salt", () => {
    expect(problems("{ kind: database, shards: 2 }", "{ read: db, scatter: true, cache: cache }")).toMatch(
      /a scatter read gathers several answers; it cannot go through a cache/,
    );
    expect(problems("{ kind: database }", "{ read: db, saltKeys: 3 }")).toMatch(/saltKeys needs salt/);
  });
});

describe("geo sharding", () => {
  const design = (strategy: string) => `
duration: 20s
network: { regions: { us: [us-a], eu: [eu-a] } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 1000/s }
    population: { users: 10k, regions: { us: 80%, eu: 20% } }
    routes: [{ route: w, keys: { perUser: true } }]
  api: { kind: service, zones: [us-a, eu-a], instances: 2, concurrency: 100, routes: { w: [{ write: db }] } }
  db:
    kind: database
    shards: 2
    zones: [us-a, eu-a]
    sharding: { strategy: ${strategy}${strategy === "geo" ? ", regions: { us: 0, eu: 1 }" : ""} }
`;

  it("keeps each user's data in the shard of their home region", () => {
    const geo = sharding(runText(design("geo"), [], { seed: 8 }), "db");
    const hash = sharding(runText(design("hash"), [], { seed: 8 }), "db");
    const share = (s: Sharding) => s.keysPerShard[0] / (s.keysPerShard[0] + s.keysPerShard[1]);
    // ~10k users touched; a binomial share has sd ~0.4%
    expect(Math.abs(share(geo) - 0.8)).toBeLessThan(0.02);
    expect(Math.abs(share(hash) - 0.5)).toBeLessThan(0.02);
  });
});

describe("directory-based sharding", () => {
  const design = (ttl: string, fault = "") => `
duration: 30s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 1000/s }
    routes: [{ route: r, keys: { count: 1k, popularity: "hotspot(0.1%, 50%)" } }]
  api: { kind: service, concurrency: 1000, routes: { r: [{ read: db }] } }
  dir: { kind: service, concurrency: 100, routes: { lookup: [{ compute: 2ms }] } }
  db:
    kind: database
    shards: 5
    readTime: 1ms
    sharding: { strategy: directory, directory: dir, cacheTtl: ${ttl}, pin: { "0": 4 } }
${fault}`;

  it("gives a pinned hot tenant a shard of its own, and hashes everyone else over the rest", () => {
    const s = sharding(runText(design("60s"), [], { seed: 6 }), "db");
    const total = s.requestsPerShard.reduce((a, b) => a + b, 0);
    // key 0 takes half the traffic, alone on shard 4; about 1000 keys share shards 0-3
    expect(Math.abs(s.requestsPerShard[4] / total - 0.5)).toBeLessThan(0.02);
    for (const n of s.requestsPerShard.slice(0, 4)) expect(Math.abs(n / total - 0.125)).toBeLessThan(0.02);
  });

  it("costs a lookup per request without a cache, and almost none with one", () => {
    const uncached = runText(design("0s"), [], { seed: 6 });
    const cached = runText(design("60s"), [], { seed: 6 });
    // every uncached request waits for the directory's 2ms first
    expect(uncached.latencyMs.mean - cached.latencyMs.mean).toBeGreaterThan(1.8);
    const lookups = (uncached.components.dir as unknown as { completed: number }).completed;
    expect(lookups).toBeGreaterThanOrEqual(uncached.requests.ok);
    expect(lookups).toBeLessThanOrEqual(uncached.requests.ok + uncached.requests.inFlight);
    // with a 60s TTL each of the ~1000 keys is looked up about once
    expect((cached.components.dir as unknown as { completed: number }).completed).toBeLessThan(1100);
  });

  it("makes the directory a dependency: when it is down, only keys still cached can be served", () => {
    const r = runText(design("5s", "faults: [{ kill: dir, at: 10s, for: 10s }]"), [], { seed: 6 });
    // with no live directory instance the lookups fail at once
    expect(r.requests.byOutcome["no-healthy-backend"]).toBeGreaterThan(0);
    // a TTL expires however often a key is used: 5s after the directory died every key
    // needs it again, and every request fails until it is back
    const errors = r.series.errors;
    expect(errors.slice(0, 10).every((e) => e === 0)).toBe(true);
    expect(errors.slice(16, 20).every((e) => e > 500)).toBe(true);
    expect(errors.slice(21).every((e) => e === 0)).toBe(true);
  });
});

describe("cross-shard transactions (two-phase commit)", () => {
  const design = (keys: string, fault = "") => `
duration: 30s
components:
  bank:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 500/s }
    routes:
      - { route: transfer, weight: 1, keys: { count: ${keys} } }
      - { route: deposit, weight: 1, keys: { count: ${keys} } }
  api:
    kind: service
    instances: 2
    concurrency: 500
    routes:
      transfer: [{ transaction: accounts, keys: 2 }]
      deposit: [{ write: accounts }]
  accounts: { kind: database, shards: 4 }
${fault}`;
  type T = {
    writes: number;
    transactions: {
      prepared: number;
      committed: number;
      aborted: number;
      conflicts: number;
      locksHeld: number;
    };
  };

  it("costs a second round trip: prepare everywhere, then commit everywhere", () => {
    const r = runText(design("100k"), [], { seed: 4 });
    // a single write is one round of ~4ms at the database plus the hops; a transfer is two
    expect(r.routes.transfer.latencyMs.p50).toBeGreaterThan(r.routes.deposit.latencyMs.p50 + 4);
    const t = (r.components.accounts as unknown as T).transactions;
    // both keys of every committed transfer are written, never one alone
    expect(t.committed).toBeGreaterThanOrEqual(2 * r.routes.transfer.requests.ok);
    expect(t.committed).toBeLessThanOrEqual(
      2 * (r.routes.transfer.requests.ok + r.routes.transfer.requests.inFlight),
    );
  });

  it("refuses a row another transaction holds (no-wait locking): conflicts abort, no deadlock", () => {
    const r = runText(design("100"), [], { seed: 4 });
    const t = (r.components.accounts as unknown as T).transactions;
    expect(t.conflicts).toBeGreaterThan(10);
    expect(r.routes.transfer.requests.byOutcome.conflict).toBeGreaterThan(0);
    // every failed transfer released what it had locked
    expect(t.locksHeld).toBeLessThanOrEqual(2 * r.routes.transfer.requests.inFlight);
    expect(r.routes.deposit.availability).toBe(1);
  });

  it("blocks when its coordinator dies between the phases: rows stay locked and writes to them wait", () => {
    const r = runText(design("100", "faults: [{ kill: api, instance: 0, at: 10s }]"), [], { seed: 4 });
    const t = (r.components.accounts as unknown as T).transactions;
    // transactions the dead instance had prepared are in doubt for good, and
    // deposits to those accounts queue behind their locks until the end
    expect(t.locksHeld).toBeGreaterThan(0);
    const healthy = runText(design("100"), [], { seed: 4 });
    expect(healthy.routes.deposit.requests.inFlight).toBeLessThan(20);
    expect(r.routes.deposit.requests.inFlight).toBeGreaterThan(100);
  });
});

describe("hash-slot sharding", () => {
  it("moves a quarter of the keys when a fourth shard joins three", () => {
    const r = runText(
      `
duration: 20s
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 2000/s }, routes: [{ route: w, keys: { count: 20k } }] }
  api: { kind: service, concurrency: 1000, routes: { w: [{ write: db }] } }
  db: { kind: database, shards: 3, sharding: { strategy: slots }, reshard: { at: 10s, shards: 4 } }
`,
      [],
      { seed: 9 },
    );
    const rs = sharding(r, "db").resharding!;
    expect(rs.keysTotal).toBeGreaterThan(10_000);
    // binomial sd of the fraction over ~12k keys is 0.4%
    expect(Math.abs(rs.movedFraction - 0.25)).toBeLessThan(0.02);
    expect(rs.copies).toBe(rs.keysMoved);
  });
});

describe("logical shards on physical ones", () => {
  const design = (strategy: string) => `
duration: 20s
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 2000/s }, routes: [{ route: w, keys: { count: 20k } }] }
  api: { kind: service, concurrency: 1000, routes: { w: [{ write: db }] } }
  db: { kind: database, shards: 4, sharding: { strategy: ${strategy} }, reshard: { at: 10s, shards: 6 } }
`;

  it("moves whole logical shards: 4 -> 6 shards moves a third of the keys, where mod N moves two thirds", () => {
    const logical = runText(design("logical, logicalShards: 4096"), [], { seed: 9 });
    const mod = runText(design("hash"), [], { seed: 9 });
    const rs = sharding(logical, "db").resharding!;
    expect(rs.keysTotal).toBeGreaterThan(10_000);
    // (6 - 4) / 6 of the logical shards are reassigned, the fewest possible;
    // the keys follow them, with a binomial sd of ~0.5% over ~12k keys
    expect(Math.abs(rs.movedFraction - 1 / 3)).toBeLessThan(0.02);
    // mod 4 -> mod 6 keeps a key only when h mod 12 < 4
    expect(Math.abs(sharding(mod, "db").resharding!.movedFraction - 2 / 3)).toBeLessThan(0.02);
    expect(rs.copies).toBe(rs.keysMoved);
    expect(rs.doneAtMs).not.toBeNull();
    expect(sharding(logical, "db").shards).toBe(6);
    expect(sharding(logical, "db").keysPerShard.every((n) => n > 0)).toBe(true);
    expect(logical.consistency!.lostAcknowledgedWrites).toBe(0);
  });
});

describe("list and composite sharding", () => {
  const design = (keys: string, db: string) => `
duration: 20s
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 2000/s }, routes: [{ route: w, keys: ${keys} }] }
  api: { kind: service, concurrency: 1000, routes: { w: [{ write: db }] } }
  db: ${db}
`;
  const share = (xs: number[]) => {
    const total = xs.reduce((a, b) => a + b, 0);
    return xs.map((x) => x / total);
  };

  it("list: each shard holds exactly the keys listed for it, the default shard the rest", () => {
    const r = runText(
      design(
        "{ count: 1000 }",
        '{ kind: database, shards: 3, sharding: { strategy: list, lists: { 0: ["0..99"], 1: [100..149, "150..199"] }, default: 2 } }',
      ),
      [],
      { seed: 3 },
    );
    const s = sharding(r, "db");
    // 40k writes over 1000 keys touch every key; keys 0-99, 100-199 and the other 800
    expect(s.keysPerShard).toEqual([100, 100, 800]);
    // requests follow the lists: 10%, 10%, 80%, binomial over ~40k writes
    share(s.requestsPerShard).forEach((f, i) => expect(Math.abs(f - [0.1, 0.1, 0.8][i])).toBeLessThan(0.01));
  });

  it("composite: a hot key range hashed over a group of its own evens out what range sharding piles on one shard", () => {
    // keys 0-1999 are a fifth of the keys and take 80% of the writes
    const keys = '{ count: 10k, popularity: "hotspot(20%, 80%)" }';
    const composite = sharding(
      runText(
        design(
          keys,
          '{ kind: database, shards: 5, sharding: { strategy: composite, groups: [{ keys: ["0..1999"], shards: [0, 1, 2, 3] }], default: [4] } }',
        ),
        [],
        { seed: 3 },
      ),
      "db",
    );
    const range = sharding(
      runText(
        design(keys, "{ kind: database, shards: 5, sharding: { strategy: range, keySpace: 10k } }"),
        [],
        {
          seed: 3,
        },
      ),
      "db",
    );
    // range: the first fifth of the key space is one shard with 80% of the load
    expect(range.requestImbalance.maxOverMean).toBeGreaterThan(3.5);
    // composite: four shards share the hot fifth's 80%, one takes the rest's 20%:
    // a fifth each, binomial over ~40k writes
    for (const f of share(composite.requestsPerShard)) expect(Math.abs(f - 0.2)).toBeLessThan(0.015);
    // the hot group holds only the hot keys, spread by hash over its shards
    expect(composite.keysPerShard.slice(0, 4).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2000);
    for (const k of composite.keysPerShard.slice(0, 4)) expect(Math.abs(k / 500 - 1)).toBeLessThan(0.15);
  });
});

describe("round-robin sharding", () => {
  // events are appended under ever-new ids and read back by id
  const design = (strategy: string, scatter: boolean) => `
duration: 20s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 1000/s }
    routes:
      - { route: POST /events, weight: 3, keys: { count: 1e9, popularity: sequential } }
      - { route: GET /events, weight: 1, keys: { count: 10k } }
  api:
    kind: service
    concurrency: 1000
    routes:
      POST /events: [{ write: events }]
      GET /events: [{ read: events${scatter ? ", scatter: true" : ""} }]
  events: { kind: database, shards: 4, readTime: exp(5ms), sharding: { strategy: ${strategy} } }
`;
  type Counts = { reads: number; writes: number };
  const rr = runText(design("round-robin", true), [], { seed: 12 });
  const hash = runText(design("hash", false), [], { seed: 12 });

  it("spreads inserts exactly evenly, where hashing is only even on average", () => {
    const s = sharding(rr, "events");
    const posts = rr.routes["POST /events"].requests;
    // placed keys differ by at most one per shard; only writes still on their way may be missing
    const spread = Math.max(...s.keysPerShard) - Math.min(...s.keysPerShard);
    expect(spread).toBeLessThanOrEqual(1 + posts.inFlight + posts.failed);
    expect(s.keysPerShard.reduce((a, b) => a + b, 0)).toBeGreaterThan(10_000);
    // ~15k hashed inserts over 4 shards: each count's binomial sd is ~50
    const h = sharding(hash, "events").keysPerShard;
    expect(Math.max(...h) - Math.min(...h)).toBeGreaterThan(spread);
  });

  it("makes every read ask every shard: four times the reads, each as slow as the slowest shard", () => {
    const gets = rr.routes["GET /events"];
    const served = (rr.components.events as unknown as Counts).reads;
    expect(served).toBeGreaterThanOrEqual(4 * gets.requests.ok);
    expect(served).toBeLessThanOrEqual(4 * (gets.requests.ok + gets.requests.inFlight));
    expect((hash.components.events as unknown as Counts).reads).toBeLessThanOrEqual(
      hash.routes["GET /events"].requests.total,
    );
    // reads reach every shard alike, whatever key they are for
    const perShard = sharding(rr, "events").requestsPerShard;
    expect(Math.max(...perShard) - Math.min(...perShard)).toBeLessThanOrEqual(
      1 + gets.requests.inFlight * 4 + rr.routes["POST /events"].requests.inFlight,
    );
    // the max of 4 exp(5ms) reads has mean 5 x H(4) = 10.4ms, against 5ms for one
    expect(gets.latencyMs.mean).toBeGreaterThan(1.6 * hash.routes["GET /events"].latencyMs.mean);
  });

  it("refuses reads that name a key, updates and resharding", () => {
    const problems = (step: string, extra = "") =>
      rejection(
        `
duration: 1s
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 1/s }, routes: [{ route: r }] }
  api: { kind: service, routes: { r: [${step}] } }
  db: { kind: database, shards: 4, sharding: { strategy: round-robin }${extra} }
`,
        "rr.yaml",
      );
    expect(problems("{ read: db }")).toMatch(
      /rr\.yaml:5:\d+: database "db" places keys round-robin, so the key does not say which shard holds it: a read must ask every shard\n\s+hint: add scatter: true/,
    );
    expect(problems("{ read: db, salt: 4 }")).toMatch(/hint: replace salt with scatter: true/);
    expect(problems("{ update: db }")).toMatch(/an update reads the key's row first/);
    expect(problems("{ write: db }", ", reshard: { at: 1s, shards: 5 }")).toMatch(
      /rr\.yaml:6:\d+: round-robin sharding remembers where it put each key; resharding it is not modelled/,
    );
  });
});

describe("weighted consistent hashing", () => {
  it("gives a shard of weight 2 about twice the keys of the others", () => {
    const r = runText(
      `
duration: 10s
components:
  users: { kind: workload, target: api, arrival: { process: poisson, rate: 3000/s }, routes: [{ route: w, keys: { count: 1e6 } }] }
  api: { kind: service, concurrency: 1000, routes: { w: [{ write: db }] } }
  db: { kind: database, shards: 3, sharding: { strategy: consistent-hash, vnodes: 500, weights: [1, 1, 2] } }
`,
      [],
      { seed: 10 },
    );
    const k = sharding(r, "db").keysPerShard;
    const total = k.reduce((a, b) => a + b, 0);
    // shares 1/4, 1/4, 1/2, within the ring's placement noise (500 vnodes per unit: a few %)
    expect(Math.abs(k[2] / total - 0.5)).toBeLessThan(0.04);
    expect(Math.abs(k[0] / total - 0.25)).toBeLessThan(0.04);
  });
});
