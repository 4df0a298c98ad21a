// Checks that need the whole design: every reference names a component of the
// right kind, no call cycles, every workload route is served along its path,
// zones and regions exist, fault targets and SLO routes exist.
import type { Isolation } from "../components/database.js";
import { LOGICAL_LIMIT } from "../mechanisms/partitioning.js";
import { DEFAULTS } from "./defaults.js";
import { cacheProblems } from "./validate-cache.js";
import { seenProblems } from "./validate-seen.js";
import { mintProblems } from "./validate-mint.js";
import { capacityProblems, initialInstances } from "./validate-capacity.js";
import { cdnProblems } from "./validate-cdn.js";
import { costProblems } from "./validate-cost.js";
import { gatewayProblems, limitStepProblems } from "./validate-gateway.js";
import { callProblems, policyProblems } from "./validate-calls.js";
import {
  consumerProblems,
  exchangeProblems,
  publishProblems,
  queueProblems,
  requestProblems,
  routesOf,
  topicProblems,
} from "./validate-messaging.js";
import { blockStoreProblems } from "./validate-block-store.js";
import { realtimeProblems } from "./validate-realtime.js";
import { outboxProblems, relayProblems } from "./validate-events.js";
import { sagaProblems, stepCalls } from "./validate-saga.js";
import { idempotencyProblems } from "./validate-idempotency.js";
import { fanOutProblems } from "./validate-fanout.js";
import type { ComponentSpec, Design } from "./schema.js";
import { parseSlo, SLO_METRICS, type SloSyntaxError } from "./slo.js";
import { didYouMean } from "./suggest.js";
import { parseCount, parseSize } from "./units.js";

/** Header names are case-insensitive. */
export function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

export interface Problem {
  path: (string | number)[];
  message: string;
  expected?: string;
  suggestion?: string;
  hint?: string;
  /** point at the key at `path` rather than its value */
  atKey?: boolean;
}

/** Longest duration a run may simulate: longer runs are almost always a unit mistake. */
export const MAX_DURATION_MS = 30 * 24 * 3600 * 1000;

export const DEFAULT_REGION = "local";
export const DEFAULT_ZONE = "local-a";

type Kind = ComponentSpec["kind"];

interface UpdateStep {
  update: string;
  occ?: boolean;
  lock?: boolean;
  isolation?: Isolation;
}

/** The isolation level an update step runs at: its own, else its database's. */
export function updateIsolation(s: UpdateStep, d: Design): Isolation {
  const db = d.components[s.update];
  return s.isolation ?? (db?.kind === "database" ? db.isolation : undefined) ?? DEFAULTS.database.isolation;
}

/**
 * Whether an update step's write can be refused, so that retrying makes
 * sense: with occ, or at repeatable-read (the key changed since the read) or
 * serializable (a deadlock); a row lock (lock) keeps the row from changing.
 */
export function updateConflicts(s: UpdateStep, d: Design): boolean {
  if (s.occ) return true;
  const level = updateIsolation(s, d);
  return !s.lock && (level === "repeatable-read" || level === "serializable");
}

/** Kinds whose instances a kill or slow fault can reach. */
const FAULT_TARGETS: Kind[] = [
  "service",
  "cache",
  "database",
  "quorum-store",
  "multi-leader",
  "cdn",
  "gateway",
  "limiter-store",
  "block-store",
  "realtime",
  "topic",
  "consumer",
  "queue",
  "exchange",
  "relay",
];

export function validateDesign(d: Design): Problem[] {
  const out: Problem[] = [];
  const comps = d.components;
  const names = Object.keys(comps);

  const ref = (
    path: (string | number)[],
    name: string,
    kinds: Kind[],
    role: string,
  ): ComponentSpec | undefined => {
    const c = comps[name];
    if (!c) {
      const candidates = names.filter((n) => kinds.includes(comps[n].kind));
      out.push({
        path,
        message: `${role} "${name}" is not a component of this design`,
        expected: candidates.length
          ? `one of ${candidates.join(", ")}`
          : `a component of kind ${kinds.join(" or ")}`,
        suggestion: didYouMean(name, candidates.length ? candidates : names),
      });
      return undefined;
    }
    if (!kinds.includes(c.kind)) {
      out.push({ path, message: `${role} "${name}" is a ${c.kind}`, expected: `a ${kinds.join(" or ")}` });
      return undefined;
    }
    return c;
  };

  if (d.duration > MAX_DURATION_MS)
    out.push({
      path: ["duration"],
      message: `duration ${d.duration / 1000}s is longer than the 30 days a run may simulate`,
      expected: "at most 30d; did you mean milliseconds or seconds?",
    });

  // network
  const regions = d.network?.regions ?? { [DEFAULT_REGION]: [DEFAULT_ZONE] };
  const zones = new Set<string>();
  for (const [r, zs] of Object.entries(regions))
    for (const [i, z] of zs.entries()) {
      if (zones.has(z))
        out.push({ path: ["network", "regions", r, i], message: `zone "${z}" is listed twice` });
      zones.add(z);
    }
  const pairsSeen = new Map<string, string>();
  for (const pair of Object.keys(d.network?.latency?.pairs ?? {})) {
    const parts = pair.split("<->").map((s) => s.trim());
    if (parts.length !== 2)
      out.push({
        path: ["network", "latency", "pairs", pair],
        message: `cannot read region pair "${pair}"`,
        expected: '"a<->b"',
        atKey: true,
      });
    else {
      for (const p of parts)
        if (!(p in regions))
          out.push({
            path: ["network", "latency", "pairs", pair],
            message: `unknown region "${p}"`,
            suggestion: didYouMean(p, Object.keys(regions)),
            atKey: true,
          });
      const [a, b] = parts;
      const key = [a, b].sort().join("<->");
      if (a === b)
        out.push({
          path: ["network", "latency", "pairs", pair],
          message: `a pair joins two different regions; "${pair}" names ${a} twice`,
          hint: "latency between the zones of one region is crossZone",
          atKey: true,
        });
      else if (pairsSeen.has(key))
        out.push({
          path: ["network", "latency", "pairs", pair],
          message: `the latency between ${a} and ${b} is already given as "${pairsSeen.get(key)}"`,
          hint: "a pair applies in both directions: give it once",
          atKey: true,
        });
      pairsSeen.set(key, pair);
    }
  }
  const zoneRef = (path: (string | number)[], z: string) => {
    if (!zones.has(z))
      out.push({
        path,
        message: `unknown zone "${z}"`,
        expected: `one of ${[...zones].join(", ")}`,
        suggestion: didYouMean(z, zones),
      });
  };

  const workloadRoutes = new Set<string>();
  let workloads = 0;
  for (const [name, c] of Object.entries(comps)) {
    const at = (...p: (string | number)[]) => ["components", name, ...p];
    if ("zone" in c && c.zone) zoneRef(at("zone"), c.zone);
    if (c.kind === "service" || c.kind === "consumer" || c.kind === "gateway")
      out.push(...callProblems(name, c, d));
    if (c.kind === "workload" && c.client)
      out.push(...policyProblems(["components", name, "client"], c.client));
    switch (c.kind) {
      case "workload": {
        workloads++;
        ref(at("target"), c.target, ["dns", "load-balancer", "service", "cdn", "gateway"], "target");
        if (!c.arrival === !c.closed)
          out.push({
            path: at(),
            message: `workload "${name}" needs exactly one of arrival (open loop) or closed (closed loop)`,
            atKey: true,
          });
        if (
          c.arrival &&
          (c.arrival.process === "poisson" || c.arrival.process === "constant") &&
          !(c.arrival.rate > 0)
        )
          out.push({ path: at("arrival", "rate"), message: "the arrival rate must be greater than zero" });
        c.routes.forEach((r, i) => {
          workloadRoutes.add(r.route);
          if (r.keys?.popularity) {
            const err = popularityError(r.keys.popularity, r.keys.count ?? 1e6);
            if (err) out.push({ path: at("routes", i, "keys", "popularity"), ...err });
          }
          if (r.keys?.perUser && (r.keys.count !== undefined || r.keys.popularity !== undefined))
            out.push({
              path: at("routes", i, "keys", "perUser"),
              message: "perUser keys are the users' ids: count and popularity do not apply",
              hint: "remove count and popularity, or perUser",
              atKey: true,
            });
        });
        for (const region of Object.keys(c.population?.regions ?? {}))
          if (!(region in regions))
            out.push({
              path: at("population", "regions", region),
              message: `unknown region "${region}"`,
              suggestion: didYouMean(region, Object.keys(regions)),
              atKey: true,
            });
        break;
      }
      case "load-balancer": {
        const layer = c.layer ?? 4;
        if (c.rules && layer !== 7)
          out.push({
            path: at("rules"),
            message: "rules route by path, method or header, which needs layer: 7",
            atKey: true,
          });
        if (!c.backend && !c.rules?.length)
          out.push({
            path: at(),
            message: `load balancer "${name}" needs a backend (or rules at layer 7)`,
            atKey: true,
          });
        const backend = c.backend
          ? ref(at("backend"), c.backend, ["service", "gateway"], "backend")
          : undefined;
        c.rules?.forEach((r, i) => {
          ref(at("rules", i, "backend"), r.backend, ["service", "gateway"], "backend");
        });
        if (
          c.weights &&
          (backend?.kind === "gateway" || (backend?.kind === "service" && !backend.autoscale)) &&
          c.weights.length !== (backend.instances ?? 1)
        )
          out.push({
            path: at("weights"),
            message: `${c.weights.length} weights for ${backend.instances ?? 1} instances of "${c.backend}"`,
            expected: "one weight per instance",
          });
        if (c.algorithm === "weighted-round-robin" && !c.weights)
          out.push({
            path: at("algorithm"),
            message: "weighted-round-robin needs weights (one per instance)",
          });
        break;
      }
      case "dns":
        out.push(...dnsProblems(name, c, d, ref, at));
        break;
      case "topic":
        c.zones?.forEach((z, i) => {
          zoneRef(at("zones", i), z);
        });
        out.push(...topicProblems(name, c, d.duration));
        break;
      case "queue":
        c.zones?.forEach((z, i) => {
          zoneRef(at("zones", i), z);
        });
        out.push(...queueProblems(name, c, ref));
        break;
      case "exchange":
        c.zones?.forEach((z, i) => {
          zoneRef(at("zones", i), z);
        });
        out.push(...exchangeProblems(name, c, ref));
        break;
      case "consumer":
      case "service": {
        if (c.kind === "consumer") out.push(...consumerProblems(name, c, d, ref));
        c.zones?.forEach((z, i) => {
          zoneRef(at("zones", i), z);
        });
        if (c.kind === "service") out.push(...capacityProblems(name, c, d), ...sagaProblems(name, c, d));
        if (c.localCache) {
          const err = capacityError(c.localCache.capacity);
          if (err) out.push({ path: at("localCache", "capacity"), ...err });
        }
        for (const [route, steps] of Object.entries(routesOf(c)))
          steps.forEach((s, i) => {
            const p = c.kind === "consumer" ? at("steps", i) : at("routes", route, i);
            for (const x of stepCalls(s))
              if (x.at.at(-1) === "call")
                ref([...p, ...x.at], x.call, ["service", "load-balancer", "gateway", "block-store"], "call");
            if ("publish" in s) {
              ref([...p, "publish"], s.publish, ["topic", "queue", "exchange"], "publish");
              out.push(...publishProblems(s, p, d));
            }
            if ("read" in s && s.l1 && !c.localCache)
              out.push({
                path: [...p, "l1"],
                message: `l1 asks the in-process cache, but ${c.kind} "${name}" has none`,
                hint: `add localCache: { capacity: 1k, ttl: 2s } to the ${c.kind}`,
                atKey: true,
              });
            if ("read" in s && s.l1 && (s.salt !== undefined || s.scatter))
              out.push({
                path: [...p, "l1"],
                message:
                  "a salted or scatter read gathers several answers; the in-process cache holds one per key",
                hint: "remove l1 from this step",
                atKey: true,
              });
            if ("read" in s) {
              const db = ref([...p, "read"], s.read, ["database", "quorum-store", "multi-leader"], "read");
              out.push(...readStepProblems(s, p, s.read, db));
              out.push(...isolationProblems(s, p, s.read, db));
              out.push(...levelProblems(s.consistency, [...p, "consistency"], db, s.read));
            }
            if ("transaction" in s) ref([...p, "transaction"], s.transaction, ["database"], "transaction");
            if ("mint" in s && s.mint.store !== undefined) {
              const db = ref([...p, "mint", "store"], s.mint.store, ["database"], "mint store");
              if (db?.kind === "database" && db.sharding?.directory)
                out.push({
                  path: [...p, "mint", "store"],
                  message: `database "${s.mint.store}" is sharded by a directory; a mint step's calls do not look keys up`,
                  hint: "keep the counter (or the codes) in a database sharded by hash",
                });
            }
            if ("request" in s) {
              ref([...p, "request"], s.request, ["queue"], "request");
              out.push(...requestProblems(s.request, p, d));
            }
            if ("notify" in s) ref([...p, "notify"], s.notify, ["realtime"], "notify");
            if ("limit" in s) out.push(...limitStepProblems(s, p, c.kind, d));
            if ("preferences" in s) {
              const pf = s.preferences;
              const at = [...p, "preferences"];
              if (pf.deferTo !== undefined)
                ref([...at, "deferTo"], pf.deferTo, ["topic", "queue", "exchange"], "deferTo");
              out.push(...preferencesProblems(pf, at));
            }
            if ("write" in s || "update" in s || "transaction" in s)
              out.push(...idempotencyProblems(s, p, d));
            if ("read" in s || "write" in s) out.push(...fanOutProblems(s, p));
            if ("update" in s) {
              const upd = ref([...p, "update"], s.update, ["database"], "update");
              if (roundRobin(upd))
                out.push({
                  path: [...p, "update"],
                  message: `an update reads the key's row first, but database "${s.update}" places keys round-robin: the key does not say which shard holds it`,
                  hint: "read it with a read step (scatter: true), then write it with a write step",
                });
              if (s.lock && s.occ)
                out.push({
                  path: [...p, "lock"],
                  message: "an update either locks the row (lock) or checks its version (occ), not both",
                  atKey: true,
                });
              if (s.lock && s.from === "replica")
                out.push({
                  path: [...p, "from"],
                  message:
                    "a row lock (lock) is taken on the primary; a replica cannot lock rows for a write",
                  hint: "remove from: replica, or lock",
                  atKey: true,
                });
              if (s.pick !== undefined && s.from !== "replica")
                out.push({
                  path: [...p, "pick"],
                  message: "pick chooses among replicas, but this update reads the primary",
                  hint: "add from: replica",
                  atKey: true,
                });
              if (s.from === "replica" && upd?.kind === "database" && !upd.replicas)
                out.push({
                  path: [...p, "from"],
                  message: `database "${s.update}" has no replicas to read from`,
                  hint: `add replicas: 2 to ${s.update}, or read from the primary`,
                });
              if (s.retries !== undefined && !updateConflicts(s, d))
                out.push({
                  path: [...p, "retries"],
                  message: s.lock
                    ? "retries apply to writes that can be refused; under a row lock (lock) the write never conflicts"
                    : `retries apply to writes that can be refused; at ${updateIsolation(s, d)} without occ the write never conflicts`,
                  hint: s.lock ? "remove retries" : "add occ: true, or isolation: repeatable-read",
                  atKey: true,
                });
              if (
                !s.lock &&
                s.from === "replica" &&
                upd?.kind === "database" &&
                updateIsolation(s, d) === "serializable"
              )
                out.push({
                  path: [...p, s.isolation ? "isolation" : "from"],
                  message: `a serializable update takes a shared lock on the row it reads, and locks live on the primary; a replica cannot lock rows for a write`,
                  hint: "remove from: replica, or use isolation: repeatable-read",
                  atKey: true,
                });
            }
            if ("write" in s) {
              const db = ref([...p, "write"], s.write, ["database", "quorum-store", "multi-leader"], "write");
              if (s.salt !== undefined && s.cache)
                out.push({
                  path: [...p, "salt"],
                  message: "a salted write goes to a sub-key; invalidating the key in a cache would miss it",
                  hint: "remove cache from this step",
                  atKey: true,
                });
              out.push(...levelProblems(s.consistency, [...p, "consistency"], db, s.write));
              out.push(...outboxProblems(s, p, d, ref));
            }
            if ("cache" in s && s.cache) ref([...p, "cache"], s.cache, ["cache"], "cache");
          });
        break;
      }
      case "cdn":
        out.push(...cdnProblems(name, c, d, Object.keys(regions)));
        break;
      case "gateway":
        c.zones?.forEach((z, i) => {
          zoneRef(at("zones", i), z);
        });
        out.push(...gatewayProblems(name, c, d, ref));
        break;
      case "limiter-store":
        c.zones?.forEach((z, i) => {
          zoneRef(at("zones", i), z);
        });
        break;
      case "block-store":
        c.zones?.forEach((z, i) => {
          zoneRef(at("zones", i), z);
        });
        out.push(...blockStoreProblems(name, c));
        break;
      case "relay":
        out.push(...relayProblems(name, c, d, ref));
        break;
      case "realtime":
        c.zones?.forEach((z, i) => {
          zoneRef(at("zones", i), z);
        });
        out.push(...realtimeProblems(name, c));
        break;
      case "cache": {
        const err = capacityError(c.capacity);
        if (err) out.push({ path: at("capacity"), ...err });
        c.zones?.forEach((z, i) => {
          zoneRef(at("zones", i), z);
        });
        const onlyWith = (field: string, present: boolean, ok: boolean, condition: string) => {
          if (present && !ok)
            out.push({ path: at(field), message: `${field} applies to ${condition}`, atKey: true });
        };
        onlyWith(
          "vnodes",
          c.vnodes !== undefined,
          (c.sharding ?? "consistent-hash") === "consistent-hash",
          "sharding: consistent-hash",
        );
        onlyWith(
          "agingWindow",
          c.agingWindow !== undefined,
          c.eviction === "lfu-aging",
          "eviction: lfu-aging",
        );
        if (c.hotKeys && c.hotKeys.copies > (c.nodes ?? 1))
          out.push({
            path: at("hotKeys", "copies"),
            message: `${c.hotKeys.copies} copies of a hot key need as many nodes; the cache has ${c.nodes ?? 1}`,
            expected: `at most ${c.nodes ?? 1}`,
          });
        onlyWith("doorkeeper", c.doorkeeper !== undefined, c.eviction === "w-tinylfu", "eviction: w-tinylfu");
        onlyWith(
          "failoverAfter",
          c.failoverAfter !== undefined,
          (c.replicas ?? 0) > 0,
          "a cache with replicas",
        );
        onlyWith(
          "resyncBandwidth",
          c.resyncBandwidth !== undefined,
          (c.replicas ?? 0) > 0,
          "a cache with replicas",
        );
        break;
      }
      case "database":
        c.zones?.forEach((z, i) => {
          zoneRef(at("zones", i), z);
        });
        out.push(...databaseProblems(c, at));
        if (c.sharding?.directory) {
          const dir = ref(at("sharding", "directory"), c.sharding.directory, ["service"], "directory");
          if (dir?.kind === "service") {
            if (!dir.routes.lookup && !dir.routes["*"])
              out.push({
                path: at("sharding", "directory"),
                message: `directory "${c.sharding.directory}" has no steps for route lookup`,
                hint: `add routes: { lookup: [{ compute: 1ms }] } to ${c.sharding.directory}`,
              });
            const touches = Object.values(dir.routes).some((steps) =>
              steps.some(
                (st) =>
                  ("read" in st && st.read === name) ||
                  ("write" in st && st.write === name) ||
                  ("update" in st && st.update === name) ||
                  ("transaction" in st && st.transaction === name),
              ),
            );
            if (touches)
              out.push({
                path: at("sharding", "directory"),
                message: `directory "${c.sharding.directory}" reads or writes ${name} itself, which would need a lookup of its own`,
              });
          }
        }
        for (const region of Object.keys(c.sharding?.regions ?? {}))
          if (!(region in regions))
            out.push({
              path: at("sharding", "regions", region),
              message: `unknown region "${region}"`,
              suggestion: didYouMean(region, Object.keys(regions)),
              atKey: true,
            });
        break;
      case "multi-leader": {
        c.zones?.forEach((z, i) => {
          zoneRef(at("zones", i), z);
        });
        const leaders = c.leaders ?? DEFAULTS.multiLeader.leaders;
        if (c.clockSkew && c.clockSkew.length !== leaders)
          out.push({
            path: at("clockSkew"),
            message: `${c.clockSkew.length} clock skews for ${leaders} leaders`,
            expected: "one per leader",
          });
        break;
      }
      case "quorum-store": {
        c.zones?.forEach((z, i) => {
          zoneRef(at("zones", i), z);
        });
        const nodes = c.nodes ?? DEFAULTS.quorumStore.nodes;
        const rf = c.replicationFactor ?? DEFAULTS.quorumStore.replicationFactor;
        if (c.replication) out.push(...datacenterProblems(c, at, regions));
        else if (rf > nodes)
          out.push({
            path: at("replicationFactor"),
            message: `replicationFactor ${rf} needs at least ${rf} nodes; the store has ${nodes}`,
            expected: `at most ${nodes}`,
          });
        out.push(...levelProblems(c.r, at("r"), c, name), ...levelProblems(c.w, at("w"), c, name));
        break;
      }
    }
  }
  // a realtime gateway with its own event source drives a design by itself
  const sources = Object.values(comps).some((c) => c.kind === "realtime" && c.eventsPerUser !== undefined);
  if (workloads === 0 && !sources)
    out.push({
      path: ["components"],
      message: "the design has no workload: nothing would send requests",
      atKey: true,
      expected: "a component with kind: workload (or a realtime gateway with eventsPerUser)",
    });

  out.push(...cacheProblems(d));
  out.push(...seenProblems(d));
  out.push(...mintProblems(d));
  out.push(...cycles(d));
  if (out.length === 0) out.push(...routeCoverage(d));

  d.faults?.forEach((f, i) => {
    const p = ["faults", i];
    if ("kill" in f) {
      const c = ref([...p, "kill"], f.kill, FAULT_TARGETS, "kill target");
      if (c && typeof f.instance === "number") {
        const n =
          c.kind === "service"
            ? initialInstances(c)
            : c.kind === "database"
              ? Math.max(c.shards ?? 1, c.reshard?.shards ?? 1) * (1 + (c.replicas ?? 0))
              : c.kind === "quorum-store"
                ? (c.nodes ?? DEFAULTS.quorumStore.nodes)
                : c.kind === "multi-leader"
                  ? (c.leaders ?? DEFAULTS.multiLeader.leaders)
                  : c.kind === "cache"
                    ? (c.nodes ?? 1) * (1 + (c.replicas ?? 0))
                    : c.kind === "cdn"
                      ? (c.pops?.length ?? Object.keys(regions).length) + (c.shield ? 1 : 0)
                      : c.kind === "consumer"
                        ? (c.instances ?? c.autoscale?.min ?? 1)
                        : c.kind === "gateway" || c.kind === "limiter-store" || c.kind === "block-store"
                          ? (c.instances ?? 1)
                          : c.kind === "realtime"
                            ? (c.instances ?? DEFAULTS.realtime.instances)
                            : c.kind === "topic"
                              ? (c.brokers ?? DEFAULTS.topic.brokers)
                              : c.kind === "queue" || c.kind === "exchange"
                                ? (c.nodes ?? DEFAULTS.queue.nodes)
                                : 1;
        if (f.instance >= n)
          out.push({
            path: [...p, "instance"],
            message: `instance ${f.instance} does not exist: "${f.kill}" has ${n} (0..${n - 1})`,
            hint:
              c.kind === "cdn"
                ? "a cdn's instances are its PoPs in the order of pops (every region of the network, in order, by default), then its shield"
                : undefined,
          });
      }
    } else if ("slow" in f) ref([...p, "slow"], f.slow, FAULT_TARGETS, "slow target");
    else if ("outage" in f) {
      if (!(f.outage in regions)) {
        const region = Object.entries(regions).find(([, zs]) => zs.includes(f.outage))?.[0];
        out.push({
          path: [...p, "outage"],
          message: `unknown region "${f.outage}"`,
          expected: `one of ${Object.keys(regions).join(", ")}`,
          suggestion: region ? undefined : didYouMean(f.outage, Object.keys(regions)),
          hint: region
            ? `"${f.outage}" is a zone of ${region}: an outage takes a whole region; to lose one zone, use a partition or kill its instances`
            : undefined,
        });
      } else if (Object.keys(regions).length === 1)
        out.push({
          path: [...p, "outage"],
          message: `"${f.outage}" is the design's only region: nothing would be left to fail over to`,
          hint: "add regions under network.regions, or kill instances with kill faults",
        });
    } else if ("partition" in f) {
      const cutZones = new Set<string>();
      f.partition.forEach((name, j) => {
        if (name in regions) for (const z of regions[name]) cutZones.add(z);
        else if (zones.has(name)) cutZones.add(name);
        else
          out.push({
            path: [...p, "partition", j],
            message: `"${name}" is neither a zone nor a region`,
            expected: `one of ${[...Object.keys(regions), ...zones].join(", ")}`,
            suggestion: didYouMean(name, [...Object.keys(regions), ...zones]),
          });
      });
      if (cutZones.size === zones.size)
        out.push({
          path: [...p, "partition"],
          message: "the partition holds every zone: nothing is left on the other side",
          hint: "list only the zones or regions to cut off",
        });
    } else {
      ref(
        [...p, "link", "from"],
        f.link.from,
        ["workload", "load-balancer", "service", "cdn", "gateway", "consumer"],
        "link source",
      );
      ref(
        [...p, "link", "to"],
        f.link.to,
        [
          "load-balancer",
          "service",
          "cache",
          "database",
          "quorum-store",
          "multi-leader",
          "cdn",
          "gateway",
          "limiter-store",
          "topic",
          "queue",
        ],
        "link destination",
      );
    }
  });

  // positions are written by the studio; a renamed or removed component leaves its own behind
  for (const key of Object.keys(d.layout ?? {}))
    if (!(key in comps))
      out.push({
        path: ["layout", key],
        message: `layout places "${key}", which is not a component of this design`,
        expected: names.length ? `one of ${names.join(", ")}` : "a component's name",
        suggestion: didYouMean(key, names),
        atKey: true,
      });

  d.slo?.forEach((text, i) => {
    try {
      const s = parseSlo(text);
      if (s.route && !workloadRoutes.has(s.route))
        out.push({
          path: ["slo", i],
          message: `no workload sends route "${s.route}"`,
          suggestion: didYouMean(s.route, workloadRoutes),
        });
    } catch (e) {
      const err = e as SloSyntaxError;
      out.push({
        path: ["slo", i],
        message: err.message,
        expected: err.expected,
        suggestion: err.suggestion ? didYouMean(err.suggestion, SLO_METRICS) : undefined,
      });
    }
  });
  out.push(...costProblems(d));
  return out;
}

/** A read step's own isolation level: only a database has them, and only its primary locks or sees writes in progress. */
function isolationProblems(
  s: ReadStep & { isolation?: Isolation },
  p: (string | number)[],
  name: string,
  db: ComponentSpec | undefined,
): Problem[] {
  const level = s.isolation;
  if (level === undefined || db === undefined) return [];
  if (db.kind !== "database")
    return [
      {
        path: [...p, "isolation"],
        message: `isolation levels belong to a database's transactions; ${db.kind} "${name}" has none`,
        hint: db.kind === "quorum-store" ? "use consistency: to choose R for this read" : "remove isolation",
        atKey: true,
      },
    ];
  const special =
    level === "serializable"
      ? "takes a shared lock on the row it reads"
      : level === "read-uncommitted"
        ? "sees writes still in progress"
        : null;
  if (special === null) return [];
  if (s.from === "replica")
    return [
      {
        path: [...p, "isolation"],
        message: `a ${level} read ${special} on the primary; a replica holds only committed, replicated writes`,
        hint: "remove from: replica, or the isolation",
        atKey: true,
      },
    ];
  if (s.scatter)
    return [
      {
        path: [...p, "isolation"],
        message: `a ${level} read ${special}; a scatter read asks every shard rather than for one row, and takes no row locks`,
        hint: "remove isolation",
        atKey: true,
      },
    ];
  return [];
}

/**
 * A DNS name's endpoints: balancers or services, each named once, in the
 * region they say; weights only for the weighted policy; failover needs a
 * secondary and health checks to notice the primary is down.
 */
function dnsProblems(
  name: string,
  c: Extract<ComponentSpec, { kind: "dns" }>,
  d: Design,
  ref: (path: (string | number)[], name: string, kinds: Kind[], role: string) => ComponentSpec | undefined,
  at: (...p: (string | number)[]) => (string | number)[],
): Problem[] {
  const out: Problem[] = [];
  const regions = d.network?.regions ?? { [DEFAULT_REGION]: [DEFAULT_ZONE] };
  const firstZone = Object.values(regions)[0][0];
  const regionOf = (zone: string) => Object.entries(regions).find(([, zs]) => zs.includes(zone))?.[0];
  const policy = c.policy ?? DEFAULTS.dns.policy;
  const seen = new Map<string, number>();
  c.endpoints.forEach((e, i) => {
    const target = ref(
      at("endpoints", i, "target"),
      e.target,
      ["load-balancer", "service", "cdn"],
      "endpoint",
    );
    const before = seen.get(e.target);
    if (before !== undefined)
      out.push({
        path: at("endpoints", i, "target"),
        message: `"${e.target}" is already endpoint ${before} of ${name}`,
        expected: "each endpoint once",
      });
    seen.set(e.target, i);
    if (e.weight !== undefined && policy !== "weighted")
      out.push({
        path: at("endpoints", i, "weight"),
        message: `weights apply to policy: weighted; ${name} uses ${policy}`,
        hint: "add policy: weighted, or remove the weights",
        atKey: true,
      });
    if (e.region !== undefined && target?.kind === "cdn") {
      out.push({
        path: at("endpoints", i, "region"),
        message: `endpoint "${e.target}" is a cdn: users reach it at their nearest PoP, in no one region`,
        hint: "remove region",
        atKey: true,
      });
      return;
    }
    if (e.region !== undefined && !(e.region in regions)) {
      out.push({
        path: at("endpoints", i, "region"),
        message: `unknown region "${e.region}"`,
        expected: `one of ${Object.keys(regions).join(", ")}`,
        suggestion: didYouMean(e.region, Object.keys(regions)),
      });
      return;
    }
    if (e.region === undefined || !target || (target.kind !== "service" && target.kind !== "load-balancer"))
      return;
    const zones = target.kind === "service" && target.zones ? target.zones : [target.zone ?? firstZone];
    const targetRegions = [...new Set(zones.map(regionOf).filter((r): r is string => r !== undefined))];
    if (targetRegions.length > 0 && !targetRegions.includes(e.region))
      out.push({
        path: at("endpoints", i, "region"),
        message: `endpoint "${e.target}" runs in ${targetRegions.join(", ")}, not ${e.region}`,
        hint: `place ${e.target} in a zone of ${e.region} (zone: ${regions[e.region][0]}), or write region: ${targetRegions[0]}`,
      });
  });
  if (policy === "failover") {
    if (c.endpoints.length < 2)
      out.push({
        path: at("endpoints"),
        message:
          "policy failover answers with the primary, else a secondary: it needs at least two endpoints",
        hint: "add a secondary endpoint, or use policy: geo",
      });
    if (!c.healthCheck)
      out.push({
        path: at("policy"),
        message:
          "policy failover moves to a secondary when health checks find the primary down; without healthCheck it never does",
        hint: "add healthCheck: {} (probes every 10s)",
      });
  }
  if (c.resolverTime !== undefined && c.resolvers === undefined)
    out.push({
      path: at("resolverTime"),
      message: "resolverTime is the round trip to a shared resolver, and there are none",
      hint: "add resolvers: 4, or remove resolverTime",
      atKey: true,
    });
  return out;
}

type ReadStep = {
  cache?: string;
  salt?: number;
  saltKeys?: number;
  scatter?: boolean;
  from?: string;
  pick?: string;
  readYourWrites?: string;
  window?: number;
  maxLag?: number;
  checkRetries?: number;
  checkInterval?: number;
};

/** Replica routing options only make sense together, and only with replicas to route to. */
function readStepProblems(
  s: ReadStep,
  p: (string | number)[],
  name: string,
  db: ComponentSpec | undefined,
): Problem[] {
  const out: Problem[] = [];
  const gather = s.salt !== undefined ? "salt" : s.scatter ? "scatter" : null;
  if (gather && s.cache)
    out.push({
      path: [...p, gather],
      message: `a ${gather === "salt" ? "salted" : "scatter"} read gathers several answers; it cannot go through a cache`,
      hint: "remove cache from this step",
      atKey: true,
    });
  if (s.saltKeys !== undefined && s.salt === undefined)
    out.push({ path: [...p, "saltKeys"], message: "saltKeys needs salt", atKey: true });
  if (s.salt !== undefined && s.scatter)
    out.push({
      path: [...p, "scatter"],
      message: "a read is either salted or scattered, not both",
      atKey: true,
    });
  if (!s.scatter && roundRobin(db))
    out.push({
      path: [...p, s.salt !== undefined ? "salt" : "read"],
      message: `database "${name}" places keys round-robin, so the key does not say which shard holds it: a read must ask every shard`,
      hint: s.salt !== undefined ? "replace salt with scatter: true" : "add scatter: true",
      atKey: s.salt !== undefined,
    });
  if (s.scatter && db?.kind === "quorum-store")
    out.push({
      path: [...p, "scatter"],
      message: `scatter asks every shard of a database; quorum store "${name}" has no shards`,
      atKey: true,
    });
  const replicaOnly = (["pick", "readYourWrites"] as const).filter((k) => s[k] !== undefined);
  if (s.from !== "replica")
    for (const k of replicaOnly)
      out.push({
        path: [...p, k],
        message: `${k} chooses among replicas, but this read goes to the primary`,
        hint: "add from: replica",
        atKey: true,
      });
  if (s.window !== undefined && s.readYourWrites !== "primary-after-write")
    out.push({
      path: [...p, "window"],
      message: "window applies to readYourWrites: primary-after-write",
      atKey: true,
    });
  if (s.maxLag !== undefined && s.readYourWrites !== "bounded-lag")
    out.push({
      path: [...p, "maxLag"],
      message: "maxLag applies to readYourWrites: bounded-lag",
      atKey: true,
    });
  for (const k of ["checkRetries", "checkInterval"] as const)
    if (s[k] !== undefined && s.readYourWrites !== "version-check")
      out.push({
        path: [...p, k],
        message: `${k} applies to readYourWrites: version-check`,
        atKey: true,
      });
  if (db?.kind === "quorum-store")
    for (const k of [
      "from",
      "pick",
      "readYourWrites",
      "window",
      "maxLag",
      "checkRetries",
      "checkInterval",
    ] as const)
      if (s[k] !== undefined)
        out.push({
          path: [...p, k],
          message: `${k} routes reads among a database's primary and replicas; quorum store "${name}" has neither`,
          hint: "use consistency: one, quorum or all",
          atKey: true,
        });
  if (s.from === "replica" && db?.kind === "database" && !db.replicas)
    out.push({
      path: [...p, "from"],
      message: `database "${name}" has no replicas to read from`,
      hint: `add replicas: 2 to ${name}, or read from the primary`,
    });
  return out;
}

/** Round-robin placement follows arrival order: only a scatter finds a key again. */
function roundRobin(db: ComponentSpec | undefined): boolean {
  return db?.kind === "database" && db.sharding?.strategy === "round-robin";
}

type QuorumStoreSpec = Extract<ComponentSpec, { kind: "quorum-store" }>;

/**
 * Replicas per datacenter (NetworkTopologyStrategy): each datacenter is a
 * region, and each needs at least as many of the store's nodes as it keeps
 * copies of a key, since a key's copies there are on distinct nodes.
 */
function datacenterProblems(
  c: QuorumStoreSpec,
  at: (...p: (string | number)[]) => (string | number)[],
  regions: Record<string, string[]>,
): Problem[] {
  const out: Problem[] = [];
  const replication = c.replication ?? {};
  if (c.replicationFactor !== undefined)
    out.push({
      path: at("replicationFactor"),
      message: "replicationFactor and replication both set the number of copies of a key",
      hint: "keep replication (copies per datacenter; N is their sum) and remove replicationFactor",
      atKey: true,
    });
  if (Object.keys(replication).length === 0)
    out.push({
      path: at("replication"),
      message: "replication lists no datacenter",
      expected: "copies per region, e.g. { us-east: 3, eu-west: 3 }",
    });
  // nodes are spread over the store's zones in turn
  const regionOfZone = new Map<string, string>();
  for (const [r, zs] of Object.entries(regions)) for (const z of zs) regionOfZone.set(z, r);
  const zones = c.zones ?? [c.zone ?? Object.values(regions)[0][0]];
  const nodes = c.nodes ?? DEFAULTS.quorumStore.nodes;
  const perRegion = new Map<string, number>();
  for (let i = 0; i < nodes; i++) {
    const r = regionOfZone.get(zones[i % zones.length]);
    if (r !== undefined) perRegion.set(r, (perRegion.get(r) ?? 0) + 1);
  }
  for (const [region, copies] of Object.entries(replication)) {
    if (!(region in regions)) {
      out.push({
        path: at("replication", region),
        message: `unknown region "${region}": a datacenter is a region of the network`,
        expected: `one of ${Object.keys(regions).join(", ")}`,
        suggestion: didYouMean(region, Object.keys(regions)),
        atKey: true,
      });
      continue;
    }
    const have = perRegion.get(region) ?? 0;
    if (copies > have)
      out.push({
        path: at("replication", region),
        message: `${copies} copies of each key in ${region} need ${copies} nodes there; the store has ${have} in ${region}`,
        expected: `at most ${have}`,
        hint:
          have === 0
            ? `list a zone of ${region} (${regions[region].join(", ")}) in zones`
            : `raise nodes (they are spread over zones in turn, ${nodes} over ${zones.length} zones now)`,
      });
  }
  return out;
}

const DATACENTER_LEVELS: readonly string[] = ["local-one", "local-quorum", "each-quorum"];

/** A read or write level must be a quorum the store can form. */
function levelProblems(
  level: string | number | undefined,
  path: (string | number)[],
  store: ComponentSpec | undefined,
  name: string,
): Problem[] {
  if (level === undefined || !store) return [];
  if (store.kind !== "quorum-store")
    return [
      {
        path,
        message:
          "consistency levels apply to quorum stores; a database reads from the node the step routes to",
        atKey: true,
      },
    ];
  const dcs = store.replication;
  if (typeof level === "string" && DATACENTER_LEVELS.includes(level) && !dcs)
    return [
      {
        path,
        message: `${level} counts replicas per datacenter, but quorum store "${name}" does not place them per datacenter`,
        suggestion: level === "local-one" ? "one" : "quorum",
        hint: `or give ${name} replication: { <region>: 3, ... } instead of replicationFactor`,
      },
    ];
  const rf = dcs
    ? Object.values(dcs).reduce((n, f) => n + f, 0)
    : (store.replicationFactor ?? DEFAULTS.quorumStore.replicationFactor);
  if (typeof level === "number" && level > rf)
    return [
      {
        path,
        message: `a quorum of ${level} cannot be met: each key has ${rf} replicas`,
        expected: `at most ${rf}, or one, quorum or all`,
      },
    ];
  return [];
}

function databaseProblems(
  c: Extract<ComponentSpec, { kind: "database" }>,
  at: (...p: (string | number)[]) => (string | number)[],
): Problem[] {
  const out: Problem[] = [];
  const replicas = c.replicas ?? 0;
  const rep = c.replication;
  const shards = c.shards ?? 1;
  const strategy = c.sharding?.strategy ?? DEFAULTS.database.shardStrategy;
  if (c.sharding && shards === 1 && !c.reshard)
    out.push({
      path: at("sharding"),
      message: "sharding settings need more than one shard",
      hint: "add shards: 4, or a reshard",
      atKey: true,
    });
  if (c.sharding?.vnodes !== undefined && strategy !== "consistent-hash")
    out.push({
      path: at("sharding", "vnodes"),
      message: "vnodes applies to strategy: consistent-hash",
      atKey: true,
    });
  if (c.sharding?.weights !== undefined) {
    if (strategy !== "consistent-hash")
      out.push({
        path: at("sharding", "weights"),
        message: "weights apply to strategy: consistent-hash",
        atKey: true,
      });
    else if (c.sharding.weights.length !== shards)
      out.push({
        path: at("sharding", "weights"),
        message: `${c.sharding.weights.length} weights for ${shards} shards`,
        expected: "one weight per shard",
      });
    if (c.reshard)
      out.push({
        path: at("sharding", "weights"),
        message: "weights are per shard; a resharding would leave the new shards without one",
        hint: "remove the reshard, or the weights",
      });
  }
  if (c.sharding?.logicalShards !== undefined && strategy !== "logical")
    out.push({
      path: at("sharding", "logicalShards"),
      message: "logicalShards applies to strategy: logical",
      atKey: true,
    });
  if (strategy === "logical") {
    const logical = c.sharding?.logicalShards ?? DEFAULTS.database.logicalShards;
    const most = Math.max(shards, c.reshard?.shards ?? 0);
    if (logical < most)
      out.push({
        path: at("sharding", c.sharding?.logicalShards !== undefined ? "logicalShards" : "strategy"),
        message: `${logical} logical shards cannot fill ${most} physical shards: a logical shard is never split`,
        expected: `at least ${most} logical shards, usually many more (4096)`,
      });
    else if (logical > LOGICAL_LIMIT)
      out.push({
        path: at("sharding", "logicalShards"),
        message: `${logical} logical shards is more than the ${LOGICAL_LIMIT} archsim keeps a table for`,
        expected: `at most ${LOGICAL_LIMIT}`,
      });
  }
  if (c.sharding?.keySpace !== undefined && strategy !== "range")
    out.push({
      path: at("sharding", "keySpace"),
      message: "keySpace applies to strategy: range",
      atKey: true,
    });
  if (c.reshard?.shards === shards)
    out.push({
      path: at("reshard", "shards"),
      message: `the database already has ${shards} shard${shards === 1 ? "" : "s"}`,
      expected: "a different number of shards",
    });
  if (strategy === "directory" && !c.sharding?.directory)
    out.push({
      path: at("sharding", "strategy"),
      message: "directory sharding needs a directory: the service that answers lookups",
      hint: "add directory: <a service with a lookup route>",
    });
  for (const k of ["directory", "cacheTtl", "pin"] as const)
    if (c.sharding?.[k] !== undefined && strategy !== "directory")
      out.push({ path: at("sharding", k), message: `${k} applies to strategy: directory`, atKey: true });
  for (const [key, shard] of Object.entries(c.sharding?.pin ?? {})) {
    if (!/^\d+$/.test(key))
      out.push({
        path: at("sharding", "pin", key),
        message: `pin keys are key numbers, got "${key}"`,
        atKey: true,
      });
    if (shard >= Math.max(shards, c.reshard?.shards ?? 0))
      out.push({
        path: at("sharding", "pin", key),
        message: `shard ${shard} does not exist: the database has ${shards} (0..${shards - 1})`,
      });
  }
  if (strategy === "geo") {
    if (c.reshard)
      out.push({
        path: at("reshard"),
        message: "geo sharding places keys by region; resharding it is not modelled",
        atKey: true,
      });
    for (const [region, shard] of Object.entries(c.sharding?.regions ?? {}))
      if (shard >= shards)
        out.push({
          path: at("sharding", "regions", region),
          message: `shard ${shard} does not exist: the database has ${shards} (0..${shards - 1})`,
        });
  } else if (c.sharding?.regions)
    out.push({ path: at("sharding", "regions"), message: "regions applies to strategy: geo", atKey: true });
  out.push(...listProblems(c, at, strategy));
  if (c.reshard && strategy === "round-robin")
    out.push({
      path: at("reshard"),
      message: "round-robin sharding remembers where it put each key; resharding it is not modelled",
      hint: "remove the reshard",
      atKey: true,
    });
  if (c.reshard && strategy === "range" && c.reshard.shards < shards)
    out.push({
      path: at("reshard", "shards"),
      message: "range sharding grows by splitting ranges; merging them is not modelled",
      expected: `more than ${shards} shards`,
    });
  if (rep && replicas === 0)
    out.push({
      path: at("replication"),
      message: "replication settings need replicas",
      hint: "add replicas: 2",
      atKey: true,
    });
  if (rep?.acks !== undefined && rep.mode !== "semi-sync")
    out.push({
      path: at("replication", "acks"),
      message: `acks counts replica acknowledgements in semi-sync mode; ${rep.mode ?? "async"} ${
        rep.mode === "sync" ? "waits for every live replica" : "waits for none"
      }`,
      hint: "add mode: semi-sync, or remove acks",
      atKey: true,
    });
  if (rep?.statementSize !== undefined && (rep.format ?? DEFAULTS.database.replicationFormat) === "row")
    out.push({
      path: at("replication", "statementSize"),
      message: "statementSize applies to format: statement or mixed; row-based replication ships rows",
      hint: "add format: statement, or remove statementSize",
      atKey: true,
    });
  if (rep?.mode === "semi-sync" && (rep.acks ?? 1) > replicas && replicas > 0)
    out.push({
      path: at("replication", "acks"),
      message: `semi-sync waits for ${rep.acks} acknowledgements but there are only ${replicas} replicas`,
      expected: `at most ${replicas}`,
    });
  if (c.failover !== undefined) {
    if (replicas < 2)
      out.push({
        path: at("failover"),
        message: `an election needs a majority of all nodes alive: with ${replicas} replica${
          replicas === 1 ? "" : "s"
        }, losing the primary leaves no majority`,
        hint: "use at least replicas: 2",
        atKey: true,
      });
    const f = c.failover === true ? {} : c.failover;
    const hb = f.heartbeat ?? DEFAULTS.database.heartbeat;
    const timeout = f.timeout ?? DEFAULTS.database.failureTimeout;
    if (timeout <= hb)
      out.push({
        path: at("failover", f.timeout !== undefined ? "timeout" : "heartbeat"),
        message: `the failure timeout (${timeout}ms) must be longer than the heartbeat interval (${hb}ms), or every replica suspects a healthy primary`,
      });
  }
  return out;
}

/**
 * List and composite sharding: the lists name existing shards, no key is
 * listed for two owners, no shard is in two groups, and keys no list names
 * have somewhere to go.
 */
function listProblems(
  c: Extract<ComponentSpec, { kind: "database" }>,
  at: (...p: (string | number)[]) => (string | number)[],
  strategy: string,
): Problem[] {
  const out: Problem[] = [];
  const s = c.sharding;
  const shards = c.shards ?? 1;
  const list = strategy === "list";
  const composite = strategy === "composite";
  if (s?.lists !== undefined && !list)
    out.push({ path: at("sharding", "lists"), message: "lists apply to strategy: list", atKey: true });
  if (s?.groups !== undefined && !composite)
    out.push({ path: at("sharding", "groups"), message: "groups apply to strategy: composite", atKey: true });
  if (s?.default !== undefined && !list && !composite)
    out.push({
      path: at("sharding", "default"),
      message: "default applies to strategy: list or composite",
      atKey: true,
    });
  if (!list && !composite) return out;
  if (c.reshard)
    out.push({
      path: at("reshard"),
      message: `${strategy} sharding places keys by the lists it is given; resharding it is not modelled`,
      hint: "remove the reshard, or list the keys of every shard from the start",
      atKey: true,
    });
  if (list && s?.lists === undefined)
    out.push({
      path: at("sharding", "strategy"),
      message: "list sharding needs lists: the keys each shard holds",
      hint: 'add lists: { 0: [1, 2, 3], 1: ["10..20"] }',
    });
  if (composite && s?.groups === undefined)
    out.push({
      path: at("sharding", "strategy"),
      message: "composite sharding needs groups: the keys each group of shards holds",
      hint: 'add groups: [{ keys: ["0..999"], shards: [0, 1] }]',
    });
  if (s?.default === undefined)
    out.push({
      path: at("sharding", "strategy"),
      message: `${strategy} sharding needs a default: ${list ? "the shard" : "the shards"} for the keys no list names`,
      hint: list ? "add default: 0" : "add default: [2, 3]",
    });
  else if (list && Array.isArray(s.default))
    out.push({
      path: at("sharding", "default"),
      message: "the default of list sharding is one shard",
      hint: "to hash the other keys over several shards, use strategy: composite with groups",
    });
  const shardRef = (path: (string | number)[], shard: number) => {
    if (shard >= shards)
      out.push({
        path,
        message: `shard ${shard} does not exist: the database has ${shards} (0..${shards - 1})`,
      });
  };
  // every listed key range, with its owner (a shard, or a group) and where it is written
  const spans: { lo: number; hi: number; owner: number; path: (string | number)[] }[] = [];
  for (const [key, keys] of Object.entries(s?.lists ?? {})) {
    if (!/^\d+$/.test(key)) {
      out.push({
        path: at("sharding", "lists", key),
        message: `lists are keyed by shard number, got "${key}"`,
        atKey: true,
      });
      continue;
    }
    shardRef(at("sharding", "lists", key), Number(key));
    keys.forEach(([lo, hi], i) =>
      spans.push({ lo, hi, owner: Number(key), path: at("sharding", "lists", key, i) }),
    );
  }
  const member = new Map<number, string>();
  const joins = (path: (string | number)[], shard: number, group: string) => {
    shardRef(path, shard);
    const before = member.get(shard);
    if (before !== undefined && before !== group)
      out.push({
        path,
        message: `shard ${shard} is in ${before} and ${group}`,
        expected: "each shard in one group",
      });
    else if (before === group) out.push({ path, message: `shard ${shard} is listed twice in ${group}` });
    member.set(shard, group);
  };
  s?.groups?.forEach((g, gi) => {
    g.shards.forEach((shard, j) => joins(at("sharding", "groups", gi, "shards", j), shard, `group ${gi}`));
    g.keys.forEach(([lo, hi], i) =>
      spans.push({ lo, hi, owner: gi, path: at("sharding", "groups", gi, "keys", i) }),
    );
  });
  if (s?.default !== undefined) {
    if (Array.isArray(s.default))
      s.default.forEach((shard, j) => joins(at("sharding", "default", j), shard, "the default group"));
    else shardRef(at("sharding", "default"), s.default);
  }
  // sorted by start, an overlap is with the furthest-reaching span before
  const owner = list ? "shard" : "group";
  spans.sort((a, b) => a.lo - b.lo || a.hi - b.hi);
  let reach: (typeof spans)[number] | undefined;
  for (const sp of spans) {
    if (reach && sp.lo <= reach.hi && sp.owner !== reach.owner)
      out.push({
        path: sp.path,
        message: `key ${sp.lo} is listed for ${owner} ${reach.owner} and ${owner} ${sp.owner}`,
        expected: `each key in one ${owner}'s list`,
      });
    if (!reach || sp.hi > reach.hi) reach = sp;
  }
  return out;
}

/** Components that call each other in a loop would recurse forever. */
function cycles(d: Design): Problem[] {
  const edges = new Map<string, { to: string; path: (string | number)[] }[]>();
  for (const [name, c] of Object.entries(d.components)) {
    const list: { to: string; path: (string | number)[] }[] = [];
    if (c.kind === "service")
      for (const [route, steps] of Object.entries(c.routes))
        steps.forEach((s, i) => {
          for (const x of stepCalls(s))
            list.push({ to: x.call, path: ["components", name, "routes", route, i, ...x.at] });
        });
    if (c.kind === "consumer")
      c.steps.forEach((s, i) => {
        if ("call" in s) list.push({ to: s.call, path: ["components", name, "steps", i, "call"] });
      });
    if (c.kind === "dns")
      c.endpoints.forEach((e, i) => {
        list.push({ to: e.target, path: ["components", name, "endpoints", i, "target"] });
      });
    if (c.kind === "cdn") list.push({ to: c.origin, path: ["components", name, "origin"] });
    if (c.kind === "gateway")
      for (const [route, to] of Object.entries(c.routes))
        for (const b of [to].flat()) list.push({ to: b, path: ["components", name, "routes", route] });
    if (c.kind === "load-balancer") {
      if (c.backend) list.push({ to: c.backend, path: ["components", name, "backend"] });
      c.rules?.forEach((r, i) => {
        list.push({ to: r.backend, path: ["components", name, "rules", i, "backend"] });
      });
    }
    edges.set(name, list);
  }
  const state = new Map<string, number>(); // 1 visiting, 2 done
  const stack: string[] = [];
  const found: Problem[] = [];
  const visit = (n: string): void => {
    state.set(n, 1);
    stack.push(n);
    for (const e of edges.get(n) ?? []) {
      if (!edges.has(e.to)) continue;
      const s = state.get(e.to);
      if (s === 1) {
        const loop = [...stack.slice(stack.indexOf(e.to)), e.to];
        found.push({
          path: e.path,
          message: `call cycle: ${loop.join(" -> ")}`,
          expected: "calls that end (a request would recurse forever)",
        });
      } else if (!s) visit(e.to);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of edges.keys()) if (!state.has(n)) visit(n);
  return found;
}

/** Every route a workload sends must have a plan wherever it lands. */
function routeCoverage(d: Design): Problem[] {
  const out: Problem[] = [];
  const comps = d.components;
  const seen = new Set<string>();
  const reach = (
    target: string,
    route: string,
    headers: Record<string, string>,
    path: (string | number)[],
  ): void => {
    const key = `${target}|${route}|${JSON.stringify(headers)}`;
    if (seen.has(key)) return;
    seen.add(key);
    const c = comps[target];
    if (c.kind === "dns") for (const e of c.endpoints) reach(e.target, route, headers, path);
    else if (c.kind === "load-balancer") {
      const backend = lbPool(c, route, headers);
      if (!backend) {
        const with_ = Object.keys(headers).length ? ` with headers ${JSON.stringify(headers)}` : "";
        out.push({
          path,
          message: `no rule of load balancer "${target}" matches route "${route}"${with_} and it has no default backend`,
        });
        return;
      }
      reach(backend, route, headers, path);
    } else if (c.kind === "cdn") {
      reach(c.origin, route, headers, path);
    } else if (c.kind === "gateway") {
      const to = c.routes[route] ?? c.routes["*"];
      if (to === undefined) {
        out.push({
          path,
          message: `gateway "${target}" has no entry for route "${route}"`,
          expected: `a routes entry "${route}" or "*"`,
          suggestion: didYouMean(route, Object.keys(c.routes)),
        });
        return;
      }
      for (const b of [to].flat()) reach(b, route, headers, path);
    } else if (c.kind === "service") {
      const steps = c.routes[route] ?? c.routes["*"];
      if (!steps) {
        out.push({
          path,
          message: `service "${target}" has no steps for route "${route}"`,
          expected: `a routes entry "${route}" or "*"`,
          suggestion: didYouMean(route, Object.keys(c.routes)),
        });
        return;
      }
      steps.forEach((s, i) => {
        const p = ["components", target, "routes", c.routes[route] ? route : "*", i];
        for (const x of stepCalls(s)) reach(x.call, x.route ?? route, headers, [...p, ...x.at]);
      });
    }
  };
  for (const [name, c] of Object.entries(comps))
    if (c.kind === "workload")
      c.routes.forEach((r, i) => {
        reach(c.target, r.route, lowerKeys(r.headers ?? {}), ["components", name, "routes", i, "route"]);
      });
  // a consumer's messages have its topic's name as their route
  for (const [name, c] of Object.entries(comps))
    if (c.kind === "consumer")
      c.steps.forEach((s, i) => {
        if ("call" in s)
          reach(s.call, s.route ?? c.topic ?? c.queue ?? "", {}, ["components", name, "steps", i, "call"]);
      });
  return out;
}

/** The pool (backend service name) an L7 balancer picks for a route, or its default. */
export function lbPool(
  c: Extract<ComponentSpec, { kind: "load-balancer" }>,
  route: string,
  headers: Record<string, string> = {},
): string | undefined {
  const [method, ...rest] = route.trim().split(/\s+/);
  const path = rest.length ? rest.join(" ") : method;
  const verb = rest.length ? method.toUpperCase() : "";
  for (const r of c.rules ?? []) {
    if (r.method && r.method.toUpperCase() !== verb) continue;
    if (r.path && !pathMatches(r.path, path)) continue;
    if (r.header && !Object.entries(r.header).every(([k, v]) => headers[k.toLowerCase()] === v)) continue;
    return r.backend;
  }
  return c.backend;
}

function pathMatches(pattern: string, path: string): boolean {
  if (pattern.endsWith("*")) return path.startsWith(pattern.slice(0, -1));
  return path === pattern || path.startsWith(pattern.endsWith("/") ? pattern : `${pattern}/`);
}

export type Popularity =
  | { type: "uniform" }
  | { type: "zipf"; s: number }
  | { type: "hotspot"; hotFraction: number; traffic: number }
  | { type: "sequential" };

export function parsePopularity(text: string): Popularity {
  const t = text.trim().toLowerCase();
  if (t === "uniform") return { type: "uniform" };
  if (t === "sequential") return { type: "sequential" };
  const z = /^zipf\(\s*([0-9.eE+-]+)\s*\)$/.exec(t);
  if (z) return { type: "zipf", s: Number(z[1]) };
  const h = /^hotspot\(\s*([0-9.]+)%\s*,\s*([0-9.]+)%\s*\)$/.exec(t);
  if (h) return { type: "hotspot", hotFraction: Number(h[1]) / 100, traffic: Number(h[2]) / 100 };
  throw new Error(`cannot read popularity "${text}"`);
}

function popularityError(text: string, count: number): Omit<Problem, "path"> | null {
  let p: Popularity;
  try {
    p = parsePopularity(text);
  } catch {
    return {
      message: `cannot read popularity "${text}"`,
      expected: "uniform, sequential, zipf(s) with s > 0, or hotspot(hot keys %, traffic %)",
      suggestion: didYouMean(text.replace(/\(.*$/, ""), ["uniform", "sequential", "zipf", "hotspot"]),
    };
  }
  if (p.type === "zipf" && !(p.s > 0)) return { message: "zipf exponent must be greater than zero" };
  if (p.type === "hotspot") {
    if (!(p.hotFraction > 0 && p.hotFraction < 1) || !(p.traffic > 0 && p.traffic < 1))
      return { message: "hotspot percentages must be between 0% and 100% (exclusive)" };
    if (Math.floor(p.hotFraction * count) < 1)
      return { message: `hotspot of ${p.hotFraction * 100}% of ${count} keys holds no key` };
  }
  return null;
}

export type Capacity = { entries: number } | { bytes: number };

export function parseCapacity(v: string | number): Capacity {
  if (typeof v === "string" && /[bB]\s*$/.test(v.trim())) return { bytes: parseSize(v) };
  return { entries: parseCount(v) };
}

function capacityError(v: string | number): Omit<Problem, "path"> | null {
  try {
    const c = parseCapacity(v);
    const n = "bytes" in c ? c.bytes : c.entries;
    if (!(n > 0)) return { message: "capacity must be greater than zero" };
    if ("entries" in c && !Number.isInteger(c.entries))
      return { message: "a capacity in entries must be a whole number" };
    return null;
  } catch (e) {
    return {
      message: `cannot read capacity "${v}": ${(e as Error).message}`,
      expected: "entries (e.g. 10k) or bytes (e.g. 64MiB)",
    };
  }
}

/** A preferences step's settings that contradict each other. */
function preferencesProblems(
  pf: { quietHours?: { length: number; every?: number }; urgent?: boolean; deferTo?: string },
  at: (string | number)[],
): Problem[] {
  const out: Problem[] = [];
  const q = pf.quietHours;
  if (q && !pf.urgent && pf.deferTo === undefined)
    out.push({
      path: at,
      message: "notifications deferred by quiet hours need somewhere to go when the quiet hours end",
      hint: "add deferTo: the topic or queue the sends go through (e.g. the push outbox), or urgent: true if quiet hours do not apply",
      atKey: true,
    });
  if (!q && pf.deferTo !== undefined)
    out.push({
      path: [...at, "deferTo"],
      message: "deferTo takes the notifications quiet hours defer, but this step has no quietHours",
      hint: "add quietHours: { users: 30%, length: 8h }, or remove deferTo",
      atKey: true,
    });
  if (!q && pf.urgent !== undefined)
    out.push({
      path: [...at, "urgent"],
      message: "urgent lets notifications through quiet hours, but this step has no quietHours",
      hint: "add quietHours, or remove urgent",
      atKey: true,
    });
  if (q && pf.urgent && pf.deferTo !== undefined)
    out.push({
      path: [...at, "deferTo"],
      message: "an urgent step never defers a notification, so deferTo is never used",
      hint: "remove deferTo, or urgent",
      atKey: true,
    });
  const every = q?.every ?? DEFAULTS.quietHoursEvery;
  if (q && q.length > every)
    out.push({
      path: [...at, "quietHours", "length"],
      message: `quiet hours of ${q.length / 3_600_000} h cannot recur every ${every / 3_600_000} h`,
      expected: "a length no longer than every (24h by default)",
      atKey: true,
    });
  return out;
}
