// A starter design from an estimate: users at the peak rate with the
// read:write mix, a load balancer, the service with the computed instance
// count, a cache holding the hot 20% of the keys, and a database. Its numbers
// are chosen so that the run can check the estimate: each request holds a
// service worker for c / capacity on average, the time the estimate assumed,
// made of its data access (predicted below from the design's own latencies
// and, for the cache's hit ratio, Che's approximation) plus compute for the
// rest. The service's utilisation in the run should then be the estimate's.
import { stringify } from "yaml";
import { keySampler } from "../kernel/keys.js";
import { cheLru } from "../theory/caching.js";
import { md1, mmc } from "../theory/queueing.js";
import { DEFAULTS } from "../design/defaults.js";
import { type Estimate, EstimateError } from "./estimate.js";
import { REFERENCE as R } from "./reference.js";

export interface StarterOptions {
  /** distinct keys the workload reads and writes (default: the run's requests / 100, from 1,000 to 100,000) */
  keys?: number;
  /** simulated time (ms, default 60 s) */
  durationMs?: number;
}

export const STARTER_DEFAULTS = { minKeys: 1000, maxKeys: 100_000, durationMs: 60_000, dbConnections: 100 };

export interface StarterModel {
  keys: number;
  hotKeys: number;
  /** LRU hit ratio of a cache of the hot keys under hotspot(20%, 80%) traffic, by Che's approximation */
  cacheHitRatio: number;
  /** one-way network latency between components, ms: half of a Redis round trip less its work */
  hopMs: number;
  /** one cache operation, ms: 1 / the reference ops/s per node */
  cacheOpMs: number;
  /** mean time a read and a write spend on data (network, queues, cache, database), ms */
  dataMs: { read: number; write: number };
  /** mean compute per route: what is left of the hold time, ms */
  computeMs: { read: number; write: number };
  /** mean time a request holds a worker, ms: concurrency / capacity */
  holdMs: number;
  /** the service's utilisation at the peak rate */
  utilization: number;
  /** sized so that each stays at or below the target utilisation at the peak */
  cacheNodes: number;
  dbConnections: number;
  lbWorkers: number;
  durationMs: number;
}

/** The data-path arithmetic behind the starter design. */
export function starterModel(e: Estimate, opts: StarterOptions = {}): StarterModel {
  const durationMs = opts.durationMs ?? STARTER_DEFAULTS.durationMs;
  // a cache of the hot 20% of K keys has a characteristic time of ~0.3 K requests and
  // replaces its content every ~0.5 K (misses are ~40% of references): K = requests / 100
  // lets it turn over some 200 times, so its hit ratio is the steady state Che predicts
  const requests = (e.traffic.peak.total * durationMs) / 1000;
  const keys =
    opts.keys ??
    Math.min(STARTER_DEFAULTS.maxKeys, Math.max(STARTER_DEFAULTS.minKeys, Math.floor(requests / 100)));
  if (!(Number.isInteger(keys) && keys >= 10))
    throw new EstimateError(`keys must be a whole number >= 10, got ${keys}`);
  const hotKeys = Math.max(1, Math.floor(R.hotItems.value * keys));
  const sampler = keySampler({ type: "hotspot", keys, hotKeys, hotTraffic: R.hotTraffic.value });
  // every request references its key in the cache (a read's get, a write's update), so
  // the cache sees the workload's key law; the prewarmed hot keys start it near steady state
  const hit = cheLru((k) => sampler.probability(k), keys, hotKeys).hitRatio;
  const cacheOpMs = 1000 / R.cacheOpsPerNode.value;
  const hopMs = (R.redisOpMs.value - cacheOpMs) / 2;
  const peak = e.traffic.peak;
  const target = e.input.targetUtilization;
  // every request references the cache once, and a miss once more (its fill)
  const cacheOpsPerSec = peak.reads * (2 - hit) + peak.writes;
  const nodes = Math.max(e.cache.nodes, Math.ceil((cacheOpsPerSec * cacheOpMs) / 1000 / target));
  // the cache: reads' gets, misses' fills and writes' updates, one op at a time (Redis), M/D/1 per node
  const cacheOps = cacheOpsPerSec / nodes / 1000;
  const cacheWait = md1(cacheOps, 1 / cacheOpMs).wq;
  // the database: misses and writes, exponential query times on a pool of connections, M/M/c per shard
  const dbRate = (peak.reads * (1 - hit) + peak.writes) / e.database.shards / 1000;
  const dbMean =
    dbRate > 0
      ? (peak.reads * (1 - hit) * R.dbReadMs.value + peak.writes * R.dbWriteMs.value) /
        (peak.reads * (1 - hit) + peak.writes)
      : R.dbReadMs.value;
  // enough connections that the pool is at most the target busy (the reference limits per primary
  // assume faster queries than these exponential ones)
  const dbConnections = Math.max(STARTER_DEFAULTS.dbConnections, Math.ceil((dbRate * dbMean) / target));
  const dbWait = dbRate > 0 ? mmc(dbRate, 1 / dbMean, dbConnections).wq : 0;
  // the load balancer's workers, each request holding one for its L7 processing time
  const lbWorkers = Math.max(
    DEFAULTS.lb.workers,
    Math.ceil((peak.total * DEFAULTS.lb.l7Cost) / 1000 / target),
  );
  const read = 2 * hopMs + cacheWait + cacheOpMs + (1 - hit) * (2 * hopMs + dbWait + R.dbReadMs.value);
  const write = 2 * hopMs + dbWait + R.dbWriteMs.value;
  const holdMs = e.queueing.peak.serviceTimeMs;
  const needed = Math.max(peak.reads > 0 ? read : 0, peak.writes > 0 ? write : 0);
  if (!(holdMs > needed))
    throw new EstimateError(
      `an instance with ${e.input.concurrency} workers serving ${e.input.capacity} requests/s holds each for ${holdMs.toFixed(2)}ms, less than the ${needed.toFixed(2)}ms its data access takes: raise the concurrency or lower the capacity`,
    );
  return {
    keys,
    hotKeys,
    cacheHitRatio: hit,
    hopMs,
    cacheOpMs,
    dataMs: { read, write },
    computeMs: { read: holdMs - read, write: holdMs - write },
    holdMs,
    utilization: e.queueing.peak.rho,
    cacheNodes: nodes,
    dbConnections,
    lbWorkers,
    durationMs,
  };
}

const msText = (v: number) => `${Number(v.toPrecision(6))}ms`;

/** The starter design as YAML that `archsim validate` accepts and `archsim run` runs. */
export function emitDesign(e: Estimate, opts: StarterOptions = {}): string {
  const m = starterModel(e, opts);
  const peak = e.traffic.peak;
  const priced = e.input.instanceType !== undefined;
  const routes: Record<string, unknown>[] = [];
  const keys = {
    count: m.keys,
    popularity: `hotspot(${R.hotItems.value * 100}%, ${R.hotTraffic.value * 100}%)`,
  };
  if (e.input.reads > 0) routes.push({ route: "GET /item/:id", weight: e.input.reads, keys });
  if (e.input.writes > 0) routes.push({ route: "PUT /item/:id", weight: e.input.writes, keys });
  const design = {
    name: "estimate-starter",
    duration: `${m.durationMs / 1000}s`,
    seed: 1,
    network: { latency: { sameZone: msText(m.hopMs) } },
    components: {
      users: {
        kind: "workload",
        target: "lb",
        arrival: { process: "poisson", rate: `${Number(peak.total.toPrecision(6))}/s` },
        routes,
      },
      lb: {
        kind: "load-balancer",
        layer: 7,
        backend: "api",
        workers: m.lbWorkers,
        ...(priced && { pricing: "alb" }),
      },
      api: {
        kind: "service",
        instances: e.instances,
        concurrency: e.input.concurrency,
        queue: "unbounded",
        ...(priced && { instanceType: e.input.instanceType }),
        routes: {
          ...(e.input.reads > 0 && {
            "GET /item/:id": [
              { compute: `exp(${msText(m.computeMs.read)})` },
              { read: "db", cache: "cache" },
            ],
          }),
          ...(e.input.writes > 0 && {
            "PUT /item/:id": [
              { compute: `exp(${msText(m.computeMs.write)})` },
              { write: "db", cache: "cache" },
            ],
          }),
        },
      },
      cache: {
        kind: "cache",
        profile: "redis",
        nodes: m.cacheNodes,
        capacity: Math.ceil(m.hotKeys / m.cacheNodes),
        prewarm: m.hotKeys,
        writes: "update",
        opTime: msText(m.cacheOpMs),
      },
      db: {
        kind: "database",
        shards: e.database.shards,
        replicas: Math.max(0, Math.round(e.input.replication) - 1),
        connections: m.dbConnections,
        readTime: `exp(${msText(R.dbReadMs.value)})`,
        writeTime: `exp(${msText(R.dbWriteMs.value)})`,
        valueSize: `${Math.round(e.input.writeSize)}B`,
        storage: `${Math.max(1, Math.ceil(e.storage.retained / e.database.shards / 1e9))}GB`,
      },
    },
  };
  const header = [
    "# A starter design written by `archsim estimate --emit`. Run it with `archsim run`.",
    `# Users arrive at the estimated peak, ${peak.total.toFixed(1)} requests/s (${peak.reads.toFixed(1)} reads, ${peak.writes.toFixed(1)} writes).`,
    `# api: ${e.instances} instances x ${e.input.concurrency} workers at ${e.input.capacity} requests/s each: a request holds`,
    `# a worker ${m.holdMs.toFixed(3)}ms on average, its data access (${m.dataMs.read.toFixed(3)}ms for a read, ${m.dataMs.write.toFixed(3)}ms for a write)`,
    "# included, so the service's utilisation at the peak should be the estimate's:",
    `# ${(m.utilization * 100).toFixed(1)}%.`,
    `# cache: the hot ${R.hotItems.value * 100}% of the ${m.keys.toLocaleString("en-US")} keys, which get ${R.hotTraffic.value * 100}% of the traffic; under LRU`,
    `# Che's approximation predicts a ${(m.cacheHitRatio * 100).toFixed(1)}% hit ratio. The full working set by the`,
    `# 80/20 rule is ${(e.cache.workingSet / 1e9).toPrecision(3)} GB; the key space here is scaled down to simulate quickly.`,
    "",
  ];
  return header.join("\n") + stringify(design, { lineWidth: 0, aliasDuplicateObjects: false });
}
