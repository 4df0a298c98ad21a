// Turns a validated design into a runnable Simulation: network, components in
// declaration order, compiled route plans, load balancer pools, workloads and
// faults. Defaults live in defaults.ts.

import { sizeCostMs } from "../mechanisms/size-cost.js";
import { ReserveStep } from "../components/reserve-step.js";
import { PreferencesStep } from "../components/preferences-step.js";
import { Cache } from "../components/cache.js";
import type { CacheStrategy } from "../components/cache-writes.js";
import { Database, PRIMARY_READS } from "../components/database.js";
import { MultiLeaderStore } from "../components/multi-leader-store.js";
import { QuorumStore } from "../components/quorum-store.js";
import type { Realtime } from "../components/realtime.js";
import { type FaultConfig, Nemesis } from "../components/faults.js";
import { Cdn } from "../components/cdn.js";
import { Dns } from "../components/dns.js";
import { LoadBalancer } from "../components/load-balancer.js";
import { CAUSES, POOL_EXHAUSTED, QUEUE_FULL } from "../components/outcomes.js";
import { type Component, Sim } from "../components/runtime.js";
import { type FanOutSpec, type MessageSink, Service, type Step } from "../components/service.js";
import { ShardMap } from "../components/shard-map.js";
import { Simulation } from "../components/simulation.js";
import type { Store } from "../components/store.js";
import type { Station } from "../components/station.js";
import { type Arrivals, Workload } from "../components/workload.js";
import { type DistSpec, sampler } from "../kernel/distributions.js";
import { HomeRegions } from "../kernel/home-region.js";
import { type KeySpec, keySampler } from "../kernel/keys.js";
import { Network, type NetworkSpec } from "../kernel/network.js";
import { ConsistencyChecker } from "../mechanisms/consistency.js";
import {
  CompositePartitioner,
  ConsistentHashPartitioner,
  DirectoryPartitioner,
  GeoPartitioner,
  HashModPartitioner,
  JumpPartitioner,
  ListPartitioner,
  LogicalShardPartitioner,
  type Partitioner,
  RangePartitioner,
  RendezvousPartitioner,
  RoundRobinPartitioner,
  SlotPartitioner,
} from "../mechanisms/partitioning.js";
import { RequestMetrics } from "../metrics/requests.js";
import { buildBrowser, buildCdn } from "./build-cdn.js";
import {
  buildGateway,
  buildLimiterStore,
  buildLimitStep,
  defineGatewayRoutes,
  registerTiers,
} from "./build-gateway.js";
import type { Gateway } from "../components/gateway.js";
import { buildBlockStore } from "./build-block-store.js";
import { buildRealtime, notifies } from "./build-realtime.js";
import { guardCalls, priorityIndex, shedThresholds } from "./build-calls.js";
import {
  buildMessaging,
  publishStep,
  registerMessagingRoutes,
  requestStep,
  routesOf,
} from "./build-messaging.js";
import { buildRelays, outboxLedger, wireEvents } from "./build-events.js";
import { sagaStep } from "./build-saga.js";
import { SeenFilter } from "../mechanisms/seen-filter.js";
import { mintStep } from "./build-mint.js";
import { stepCalls } from "./validate-saga.js";
import { configureFleet, configureSessions, sessionStep } from "./build-capacity.js";
import { DEFAULTS, queueCap } from "./defaults.js";
import type { ComponentSpec, Design, FanOutDesign } from "./schema.js";
import {
  DEFAULT_REGION,
  DEFAULT_ZONE,
  lbPool,
  lowerKeys,
  parseCapacity,
  parsePopularity,
  updateConflicts,
  updateIsolation,
} from "./validate.js";
import { fleetSlots, initialInstances } from "./validate-capacity.js";

type IdempotencySpec = true | { ttl?: number; key?: "per-request" | "per-attempt"; check?: string };

/** The database's index of a step's idempotency-key policy (0: none; validation allows keys on databases only). */
function keyPolicy(store: Component | undefined, spec: IdempotencySpec | undefined): number {
  if (spec === undefined || !(store instanceof Database)) return 0;
  const p = spec === true ? {} : spec;
  return store.idempotencyPolicy({
    ttlMs: p.ttl ?? DEFAULTS.database.idempotencyTtl,
    perAttempt: p.key === "per-attempt",
    atomic: p.check !== "check-then-insert",
  });
}

function isZero(d: DistSpec): boolean {
  return d.type === "constant" && d.value === 0;
}

export function networkSpec(d: Design): NetworkSpec {
  const regions = d.network?.regions ?? { [DEFAULT_REGION]: [DEFAULT_ZONE] };
  const l = d.network?.latency ?? {};
  return {
    regions: Object.entries(regions).map(([name, zones]) => ({ name, zones })),
    sameZone: l.sameZone ?? DEFAULTS.latency.sameZone,
    crossZone: l.crossZone ?? DEFAULTS.latency.crossZone,
    crossRegion: l.crossRegion ?? DEFAULTS.latency.crossRegion,
    client: l.client ?? DEFAULTS.latency.client,
    regionPairs: Object.entries(l.pairs ?? {}).map(([k, latency]) => {
      const [a, b] = k.split("<->").map((s) => s.trim());
      return { a, b, latency };
    }),
  };
}

export function buildSimulation(d: Design, seed: number): Simulation {
  const spec = networkSpec(d);
  // with every hop that can occur free, no event is spent on the network
  const zoneCount = spec.regions.reduce((n, r) => n + r.zones.length, 0);
  const crossFree =
    zoneCount === 1 ||
    (isZero(spec.crossZone) &&
      (spec.regions.length === 1 ||
        [spec.crossRegion, ...spec.regionPairs.map((p) => p.latency)].every(isZero)));
  const zero = isZero(spec.sameZone) && isZero(spec.client) && crossFree;
  const net = new Network(spec);
  const sim = new Sim(seed, net, zero);
  const byName = new Map<string, Component>();
  /** a CDN with a browser cache: the browser its workloads send to */
  const viaBrowser = new Map<string, Component>();
  const entries = Object.entries(d.components);

  // every route name and header set gets an index up front, in order of first mention
  for (const [, c] of entries)
    if (c.kind === "workload")
      for (const r of c.routes) {
        sim.routeIndex(r.route);
        sim.headerSetIndex(lowerKeys(r.headers ?? {}));
      }
  if (entries.some(([, c]) => c.kind === "database" && c.sharding?.directory)) sim.routeIndex("lookup");
  for (const [, c] of entries)
    if (c.kind === "service")
      for (const [route, steps] of Object.entries(c.routes)) {
        if (route !== "*") sim.routeIndex(route);
        for (const s of steps) for (const x of stepCalls(s)) if (x.route) sim.routeIndex(x.route);
      }
  registerMessagingRoutes(d, sim);

  registerTiers(d, sim);

  const zonesOf = (c: ComponentSpec): number[] => {
    const names =
      "zones" in c && c.zones ? c.zones : "zone" in c && c.zone ? [c.zone] : [spec.regions[0].zones[0]];
    return names.map((z) => net.zone(z));
  };

  // stations first: balancers and workloads hold references to them
  for (const [name, c] of entries) {
    let comp: Component | null = null;
    if (c.kind === "service") {
      comp = new Service(name, {
        instances: initialInstances(c),
        slots: fleetSlots(c),
        concurrency: c.concurrency ?? DEFAULTS.service.concurrency,
        queue: queueCap(c.queue, DEFAULTS.service.queue),
        rejectCause: QUEUE_FULL,
        shedAt: shedThresholds(c.shedding, queueCap(c.queue, DEFAULTS.service.queue)),
        localCache: c.localCache && {
          ...capacityLimits(c.localCache.capacity),
          ttlMs: c.localCache.ttl,
          policy: c.localCache.eviction ?? "lru",
        },
      });
      configureFleet(comp as Service, c);
      configureSessions(comp as Service, c);
    } else if (c.kind === "database") comp = database(name, c, d);
    else if (c.kind === "quorum-store") comp = quorumStore(name, c);
    else if (c.kind === "limiter-store") comp = buildLimiterStore(name, c);
    else if (c.kind === "block-store") comp = buildBlockStore(name, c);
    else if (c.kind === "multi-leader") comp = multiLeader(name, c);
    else if (c.kind === "realtime") comp = buildRealtime(name, c, d);
    else if (c.kind === "cache") {
      const C = DEFAULTS.cache;
      const profile = c.profile ? DEFAULTS.cacheProfiles[c.profile] : C;
      const nodes = c.nodes ?? C.nodes;
      const replicas = c.replicas ?? C.replicas;
      comp = new Cache(name, {
        instances: nodes * (1 + replicas),
        concurrency: c.concurrency ?? profile.concurrency,
        queue: queueCap(c.queue, C.queue),
        rejectCause: QUEUE_FULL,
        opTime: sampler(c.opTime ?? profile.opTime),
        ...capacityLimits(c.capacity),
        policy: c.eviction ?? "lru",
        ttlMs: c.ttl,
        strategy: cacheStrategy(c, d),
        agingWindow: c.agingWindow,
        doorkeeper: c.doorkeeper,
        nodes,
        replicas,
        sharding: c.sharding ?? C.sharding,
        vnodes: c.vnodes ?? C.vnodes,
        ejectMs: c.ejectAfter ?? C.ejectAfter,
        failoverMs: c.failoverAfter ?? C.failoverAfter,
        // bytes per second in the design, per ms in the simulation
        resyncBytesPerMs: (c.resyncBandwidth ?? C.resyncBandwidth) / 1000,
        hotKeys: c.hotKeys ? { top: c.hotKeys.top, copies: c.hotKeys.copies } : null,
      });
    }
    if (comp) {
      comp.zones = zonesOf(c);
      sim.add(comp);
      byName.set(name, comp);
    }
  }

  // topics and the consumer groups reading them (consumers are services whose requests are messages)
  buildMessaging(d, sim, byName, zonesOf);
  // outbox relays and change-data-capture connectors, between databases and topics
  buildRelays(d, sim, byName, zonesOf);
  // gateways are stations too (balancers may spread over them); their limiter stores are built
  for (const [name, c] of entries)
    if (c.kind === "gateway") {
      const gw = buildGateway(name, c, d, sim, byName);
      gw.zones = zonesOf(c);
      sim.add(gw);
      byName.set(name, gw);
    }

  // a cache's store is the one the steps that use it read and write (validation makes it one)
  for (const [, c] of entries)
    if (c.kind === "service" || c.kind === "consumer")
      for (const steps of Object.values(routesOf(c)))
        for (const s of steps)
          if ("cache" in s && s.cache) {
            const b = (byName.get(s.cache) as Cache).behaviour;
            b.backing ??= byName.get("read" in s ? s.read : s.write) as Store;
          }

  for (const [name, c] of entries)
    if (c.kind === "database" && c.sharding?.directory)
      (byName.get(name) as Database).directory = {
        service: byName.get(c.sharding.directory)!,
        ttlMs: c.sharding.cacheTtl ?? DEFAULTS.database.directoryTtl,
      };

  const lateCalls: { step: Extract<Step, { type: "call" }>; name: string }[] = [];
  const lateSagas: (() => void)[] = [];
  for (const [name, c] of entries) {
    if (c.kind === "service" || c.kind === "consumer") {
      const plans = new Map<number, Step[]>();
      const named: [string, Step[]][] = [];
      let fallback: Step[] | null = null;
      const limitSteps: Step[] = [];
      for (const [route, steps] of Object.entries(routesOf(c))) {
        const plan: Step[] = steps.map((s, i): Step => {
          if ("compute" in s) return { type: "compute", time: sampler(s.compute) };
          if ("saga" in s) return sagaStep(s, byName, sim, lateSagas);
          if ("reserve" in s)
            return new ReserveStep(
              route,
              s.reserve.mode ?? "hold",
              s.reserve.stock,
              s.reserve.hold ?? DEFAULTS.reserveHold,
              s.reserve.units ?? 1,
            );
          if ("mint" in s) return mintStep(name, route, i, s.mint, byName, sim);
          if ("seen" in s)
            return {
              type: "seen",
              // the filter's hash seed comes from the run's seed: another seed, other false positives
              filter: new SeenFilter(
                s.seen.bits,
                s.seen.hashes,
                sim.stream(`${name}/seen/${route}`).int(2 ** 31),
              ),
              name: s.seen.name ?? route,
              route,
            };
          if ("preferences" in s) {
            const pf = s.preferences;
            const q = pf.quietHours;
            return new PreferencesStep(
              {
                category: pf.category,
                optOut: pf.optOut ?? 0,
                quietHours: q
                  ? { users: q.users, lengthMs: q.length, everyMs: q.every ?? DEFAULTS.quietHoursEvery }
                  : null,
              },
              route,
              pf.urgent ?? false,
              pf.deferTo ? (byName.get(pf.deferTo) as MessageSink) : null,
            );
          }
          if ("limit" in s) {
            const step = buildLimitStep(s, route, d, sim, limitSteps);
            limitSteps.push(step);
            return step;
          }
          if ("call" in s) {
            const step: Step = {
              type: "call",
              target: byName.get(s.call)!,
              route: s.route ? sim.routeIndex(s.route) : -1,
            };
            // a load balancer is built after the plans (it needs every route): aim at it then
            if (!step.target) lateCalls.push({ step, name: s.call });
            return step;
          }
          if ("read" in s) {
            const store = byName.get(s.read) as Store;
            const isolation = s.isolation ?? null;
            const policy = store.readPolicy(
              store instanceof QuorumStore
                ? { r: s.consistency }
                : s.from === "replica"
                  ? {
                      from: "replica",
                      pick: s.pick ?? "round-robin",
                      readYourWrites: s.readYourWrites ?? "none",
                      windowMs: s.window ?? DEFAULTS.database.rywWindow,
                      maxLagMs: s.maxLag ?? DEFAULTS.database.maxLag,
                      isolation,
                    }
                  : { ...PRIMARY_READS, isolation },
            );
            return {
              type: "read",
              store,
              cache: s.cache ? byName.get(s.cache)! : null,
              policy,
              salt: s.salt,
              saltKeys: s.saltKeys,
              scatter: s.scatter,
              l1: s.l1,
              fanout: fanOutSpec(s.fanout, route, i, "read", s.read),
              versionCheck:
                s.readYourWrites === "version-check"
                  ? {
                      retries: s.checkRetries ?? DEFAULTS.database.checkRetries,
                      intervalMs: s.checkInterval ?? DEFAULTS.database.checkInterval,
                      primary: store.readPolicy(PRIMARY_READS),
                    }
                  : undefined,
            };
          }
          if ("transaction" in s)
            return {
              type: "transaction",
              store: byName.get(s.transaction) as Store,
              keys: s.keys ?? 2,
              idem: keyPolicy(byName.get(s.transaction), s.idempotency),
            };
          if ("update" in s) {
            const store = byName.get(s.update) as Store;
            const isolation = updateIsolation(s, d);
            return {
              type: "update",
              store,
              occ: s.occ ?? false,
              retries: updateConflicts(s, d) ? (s.retries ?? DEFAULTS.occRetries) : 0,
              lock: s.lock ?? false,
              isolation,
              policy: store.readPolicy({
                ...PRIMARY_READS,
                ...(s.from === "replica" && { from: "replica", pick: s.pick ?? "round-robin" }),
                isolation,
              }),
              idem: keyPolicy(store, s.idempotency),
            };
          }
          if ("publish" in s) return publishStep(s, byName);
          if ("request" in s) return requestStep(s, byName);
          if ("notify" in s)
            return { type: "notify", target: byName.get(s.notify) as Realtime, to: s.to ?? "key" };
          const store = byName.get(s.write) as Store;
          return {
            type: "write",
            store,
            cache: s.cache ? byName.get(s.cache)! : null,
            policy: store instanceof QuorumStore ? store.readPolicy({ w: s.consistency }) : 0,
            salt: s.salt,
            saltKeys: s.saltKeys,
            idem: keyPolicy(store, s.idempotency),
            ledger: s.outbox !== undefined ? outboxLedger(s.write, s.outbox, byName) : undefined,
            fanout: fanOutSpec(s.fanout, route, i, "write", s.write),
          };
        });
        const session = c.kind === "service" ? sessionStep(c, byName) : null;
        if (session) plan.unshift(session);
        named.push([route, plan]);
        if (route === "*") fallback = plan;
        else plans.set(sim.routeIndex(route), plan);
      }
      (byName.get(name) as Service).define(plans, fallback);
      wireEvents(byName.get(name) as Service, named, byName);
    }
  }

  for (const [name, c] of entries) {
    if (c.kind !== "load-balancer") continue;
    const layer = c.layer ?? 4;
    const poolNames: string[] = [];
    const routePool = sim.routes.map((route) =>
      sim.headerSets.map((headers) => {
        const backend = lbPool(c, route, headers);
        if (!backend) return -1;
        let i = poolNames.indexOf(backend);
        if (i < 0) i = poolNames.push(backend) - 1;
        return i;
      }),
    );
    const hc = c.healthCheck;
    const lb = new LoadBalancer(name, {
      layer,
      algorithm: c.algorithm ?? "round-robin",
      vnodes: c.vnodes ?? DEFAULTS.lb.vnodes,
      hashOn: c.hashOn ?? (c.algorithm === "ip-hash" ? "ip" : "key"),
      pools: poolNames.map((p) => ({
        name: p,
        backend: byName.get(p) as Station,
        weights: p === c.backend ? c.weights : undefined,
      })),
      routePool,
      costMs:
        (c.cost ?? (layer === 7 ? DEFAULTS.lb.l7Cost : DEFAULTS.lb.l4Cost)) +
        (c.tls ? (c.tlsCost ?? DEFAULTS.lb.tlsCost) : 0),
      healthCheck: hc
        ? {
            intervalMs: hc.interval ?? DEFAULTS.healthCheck.interval,
            timeoutMs: hc.timeout ?? DEFAULTS.healthCheck.timeout,
            healthyThreshold: hc.healthyThreshold ?? DEFAULTS.healthCheck.healthy,
            unhealthyThreshold: hc.unhealthyThreshold ?? DEFAULTS.healthCheck.unhealthy,
            probeMs: hc.probeTime ?? DEFAULTS.healthCheck.probe,
          }
        : null,
      sticky: c.sticky ?? false,
      workers: c.workers ?? DEFAULTS.lb.workers,
    });
    lb.zones = zonesOf(c);
    sim.add(lb);
    byName.set(name, lb);
  }

  // a gateway's routes may go to balancers
  for (const [name, c] of entries)
    if (c.kind === "gateway") defineGatewayRoutes(byName.get(name) as Gateway, c, sim, byName);

  // CDNs after balancers: their origin may be one
  for (const [name, c] of entries)
    if (c.kind === "cdn") {
      const cdn = buildCdn(name, c, d, spec, sim, net, byName);
      sim.add(cdn);
      byName.set(name, cdn);
      // users of a CDN with a browser cache reach it through their browser
      const browser = buildBrowser(name, c, sim, cdn);
      if (browser) {
        sim.add(browser);
        viaBrowser.set(name, browser);
      }
    }

  // DNS names resolve to the balancers and services built above
  for (const [name, c] of entries) {
    if (c.kind !== "dns") continue;
    const hc = c.healthCheck;
    const D = DEFAULTS.dns;
    const dns = new Dns(
      name,
      {
        policy: c.policy ?? D.policy,
        ttlMs: c.ttl ?? D.ttl,
        addresses: c.addresses ?? D.addresses,
        endpoints: c.endpoints.map((e) => {
          const target = byName.get(e.target)!;
          const users = net.regionNames.map((_, r) => r);
          // a CDN is reached anywhere, at the PoP nearest each user (anycast)
          if (target instanceof Cdn)
            return {
              target,
              region: -1,
              regionFor: users.map((r) => net.zoneRegion[target.homeZone(r)]),
              weight: e.weight ?? D.weight,
            };
          const region = e.region ? net.region(e.region) : net.zoneRegion[target.zoneOf(-1)];
          return { target, region, regionFor: users.map(() => region), weight: e.weight ?? D.weight };
        }),
        healthCheck: hc
          ? {
              intervalMs: hc.interval ?? D.healthCheck.interval,
              timeoutMs: hc.timeout ?? D.healthCheck.timeout,
              healthyThreshold: hc.healthyThreshold ?? D.healthCheck.healthy,
              unhealthyThreshold: hc.unhealthyThreshold ?? D.healthCheck.unhealthy,
              probeMs: D.healthCheck.probe,
            }
          : null,
        lookup: sampler(c.lookupTime ?? D.lookupTime),
        resolvers: c.resolvers ?? 0,
        resolverTime: sampler(c.resolverTime ?? D.resolverTime),
      },
      net.regionNames,
      (from, to) => net.clientMean(from, to),
    );
    sim.add(dns);
    byName.set(name, dns);
  }

  // every read and acknowledged write of every database is judged by one checker
  const stores = sim.components.filter(
    (c): c is Database | QuorumStore | MultiLeaderStore =>
      c instanceof Database || c instanceof QuorumStore || c instanceof MultiLeaderStore,
  );
  if (stores.length > 0) {
    stores.forEach((db, i) => {
      db.storeId = i;
    });
    sim.consistency = new ConsistencyChecker({
      routes: Math.max(1, sim.routes.length),
      stores: stores.length,
    });
  }

  // what downstream components read of a request decides which draws a workload makes
  const specs = entries.map(([, c]) => c);
  const hashing = (c: ComponentSpec) =>
    c.kind === "load-balancer" && ["consistent-hash", "rendezvous", "ip-hash"].includes(c.algorithm ?? "");
  const hashOn = (c: ComponentSpec) =>
    c.kind === "load-balancer" ? (c.hashOn ?? (c.algorithm === "ip-hash" ? "ip" : "key")) : "";
  // a limit step counts by one of the request's keys
  const limitsBy = (c: ComponentSpec, keys: (k: string) => boolean) =>
    (c.kind === "service" || c.kind === "consumer") &&
    Object.values(routesOf(c)).some((steps) => steps.some((st) => "limit" in st && keys(st.limit.key)));
  const readsKeys = specs.some(
    (c) =>
      c.kind === "cache" ||
      c.kind === "topic" ||
      c.kind === "queue" ||
      c.kind === "cdn" ||
      c.kind === "database" ||
      c.kind === "quorum-store" ||
      c.kind === "multi-leader" ||
      c.kind === "block-store" ||
      (hashing(c) && hashOn(c) === "key") ||
      notifies(c, "key") ||
      limitsBy(c, (k) => k === "key") ||
      (c.kind === "service" && Object.values(c.routes).some((steps) => steps.some((st) => "seen" in st))),
  );
  // the consistency checker judges reads per user (session), so every store needs them
  const readsUsers = specs.some(
    (c) =>
      c.kind === "dns" ||
      (c.kind === "cdn" &&
        (c.browser !== undefined || Object.values(c.routes ?? {}).some((r) => r.perUser))) ||
      (c.kind === "load-balancer" && c.sticky) ||
      (c.kind === "service" && c.sessions !== undefined) ||
      (hashing(c) && hashOn(c) !== "key") ||
      c.kind === "database" ||
      c.kind === "quorum-store" ||
      c.kind === "multi-leader" ||
      (c.kind === "gateway" && (c.limits ?? []).some((l) => l.key !== "global")) ||
      notifies(c, "user") ||
      limitsBy(c, (k) => k !== "key" && k !== "global"),
  );
  const workloads: Workload[] = [];
  const metrics = new RequestMetrics(CAUSES, sim.routes.length);
  for (const [name, c] of entries) {
    if (c.kind !== "workload") continue;
    const users = c.population?.users ?? (c.closed ? c.closed.users : DEFAULTS.users);
    const regionShares = Object.entries(c.population?.regions ?? { [spec.regions[0].name]: 1 });
    const w = new Workload(
      name,
      {
        target: viaBrowser.get(c.target) ?? byName.get(c.target)!,
        routes: c.routes.map((r) => ({
          route: sim.routeIndex(r.route),
          headers: sim.headerSetIndex(lowerKeys(r.headers ?? {})),
          weight: r.weight ?? 1,
          keys: keySampler(keySpec(r.keys?.count ?? DEFAULTS.keys, r.keys?.popularity ?? "uniform")),
          perUser: r.keys?.perUser ?? false,
          missing: r.keys?.missing ?? 0,
          pages: r.keys?.pages,
          priority: priorityIndex(r.priority),
        })),
        arrivals: arrivals(c, d.duration),
        users,
        firstUser: c.population?.firstUser ?? 0,
        ips: c.population?.ips ?? users,
        apiKeys: c.population?.apiKeys ?? users,
        tiers: Object.entries(c.population?.tiers ?? {}).map(([t, weight]) => ({
          tier: sim.tierIndex(t),
          weight,
        })),
        regions: regionShares.map(([r, share]) => ({ region: net.region(r), weight: share })),
        startMs: 0,
        stopMs: d.duration,
        needsKeys: readsKeys,
        needsUsers: readsUsers || regionShares.length > 1 || c.routes.some((r) => r.keys?.perUser),
      },
      metrics,
    );
    sim.add(w);
    byName.set(name, w);
    workloads.push(w);
  }
  for (const { step, name } of lateCalls) step.target = byName.get(name)!;
  for (const late of lateSagas) late();
  // guards once every component has its index
  for (const [name, c] of entries) {
    if (c.kind === "service" || c.kind === "consumer" || c.kind === "gateway")
      for (const [target, policy] of Object.entries(c.calls ?? {}))
        guardCalls(sim, byName.get(name)!, byName.get(target)!, policy);
    if (c.kind === "workload" && c.client)
      guardCalls(sim, byName.get(name)!, byName.get(c.target)!, c.client);
  }
  // faults last: they may name any component, workloads included
  return new Simulation(sim, d.duration, workloads, new Nemesis(sim, faults(d, byName, net)), metrics);
}

interface StoreNodeSpec {
  connections?: number;
  queue?: number | "unbounded";
  readTime?: DistSpec;
  writeTime?: DistSpec;
  valueSize?: DistSpec;
}

/** What every data store's nodes share: a connection pool, a queue, read and write times, value sizes. */
function storeNodes(
  c: StoreNodeSpec,
  D: Required<Omit<StoreNodeSpec, "queue">> & { queue: number },
  instances: number,
) {
  return {
    instances,
    concurrency: c.connections ?? D.connections,
    queue: queueCap(c.queue, D.queue),
    rejectCause: POOL_EXHAUSTED,
    readTime: sampler(c.readTime ?? D.readTime),
    writeTime: sampler(c.writeTime ?? D.writeTime),
    valueSize: sampler(c.valueSize ?? D.valueSize),
  };
}

/** The largest key any workload can send: what range sharding splits by default. */
function keySpaceOf(d: Design): number {
  let max = 1;
  for (const c of Object.values(d.components))
    if (c.kind === "workload")
      for (const r of c.routes) {
        const users = c.population?.users ?? (c.closed ? c.closed.users : DEFAULTS.users);
        max = Math.max(max, r.keys?.perUser ? users : (r.keys?.count ?? DEFAULTS.keys));
      }
  return Math.round(max);
}

/**
 * Where the user a key belongs to lives, for geo sharding: the first
 * workload's population, as the workload itself places its users.
 */
function homeOfKey(d: Design): (key: number) => number {
  const spec = networkSpec(d);
  const names = spec.regions.map((r) => r.name);
  const w = Object.values(d.components).find((c) => c.kind === "workload");
  const shares = Object.entries((w?.kind === "workload" && w.population?.regions) || { [names[0]]: 1 });
  const home = new HomeRegions(
    shares.map(([r]) => names.indexOf(r)),
    shares.map(([, share]) => share),
  );
  return (key) => home.of(key);
}

function partitioner(c: Extract<ComponentSpec, { kind: "database" }>, d: Design) {
  const strategy = c.sharding?.strategy ?? DEFAULTS.database.shardStrategy;
  const vnodes = c.sharding?.vnodes ?? DEFAULTS.lb.vnodes;
  const keySpace = keySpaceOf(d);
  return (shards: number): Partitioner => {
    switch (strategy) {
      case "directory": {
        // the directory's own table: pinned keys get their shard to themselves,
        // every other key is hashed over the shards nobody is pinned to
        const pins = Object.entries(c.sharding?.pin ?? {}).filter(([, shard]) => shard < shards);
        const dedicated = new Set(pins.map(([, shard]) => shard));
        const open = Array.from({ length: shards }, (_, i) => i).filter((i) => !dedicated.has(i));
        const hashed = new HashModPartitioner(Math.max(1, open.length));
        const dir = new DirectoryPartitioner(
          { shards: hashed.shards, shardOf: (key) => open[hashed.shardOf(key)] ?? 0 },
          shards,
        );
        for (const [key, shard] of pins) dir.assign(Number(key), shard);
        return dir;
      }
      case "geo": {
        const names = networkSpec(d).regions.map((r) => r.name);
        const map = c.sharding?.regions ?? {};
        return new GeoPartitioner(
          homeOfKey(d),
          names.map((name, i) => map[name] ?? i % shards),
        );
      }
      case "hash":
        return new HashModPartitioner(shards);
      case "consistent-hash": {
        const w = c.sharding?.weights;
        return new ConsistentHashPartitioner(shards, vnodes, w && w.length === shards ? w : undefined);
      }
      case "rendezvous":
        return new RendezvousPartitioner(shards);
      case "jump":
        return new JumpPartitioner(shards);
      case "slots":
        return new SlotPartitioner(shards);
      case "logical":
        return new LogicalShardPartitioner(
          shards,
          c.sharding?.logicalShards ?? DEFAULTS.database.logicalShards,
        );
      case "list": {
        const lists = Object.entries(c.sharding?.lists ?? {}).map(([shard, keys]) => ({
          shard: Number(shard),
          keys,
        }));
        return new ListPartitioner(shards, lists, [c.sharding?.default ?? 0].flat()[0]);
      }
      case "composite":
        return new CompositePartitioner(shards, c.sharding?.groups ?? [], [c.sharding?.default ?? 0].flat());
      case "round-robin":
        return new RoundRobinPartitioner(shards);
      case "range":
        return RangePartitioner.fromUniformRanges(shards, Math.max(shards, c.sharding?.keySpace ?? keySpace));
    }
  };
}

/** The time a database's reads and writes add for the size of their data (fixed: N does not change in a run). */
function sizeCostOf(spec: Extract<ComponentSpec, { kind: "database" }>["sizeCost"], d: Design) {
  if (!spec) return { readMs: 0, writeMs: 0 };
  const n = spec.entries ?? keySpaceOf(d);
  return {
    readMs: sizeCostMs(spec.read ?? "constant", n, spec.unit),
    writeMs: sizeCostMs(spec.write ?? "constant", n, spec.unit),
  };
}

function database(name: string, c: Extract<ComponentSpec, { kind: "database" }>, d: Design): Database {
  const D = DEFAULTS.database;
  const replicas = c.replicas ?? D.replicas;
  const mode = c.replication?.mode ?? "async";
  const f = c.failover === true ? {} : c.failover;
  const shards = c.shards ?? 1;
  const capacity = Math.max(shards, c.reshard?.shards ?? 1);
  const make = partitioner(c, d);
  return new Database(name, {
    ...storeNodes(c, D, capacity * (1 + replicas)),
    nodesPerShard: 1 + replicas,
    sharding: new ShardMap(c.sharding?.strategy ?? D.shardStrategy, make(shards), make, capacity),
    reshard: c.reshard ? { atMs: c.reshard.at, shards: c.reshard.shards } : null,
    canary: canaryConfig(c.replication?.canary),
    applyTime: sampler(c.replication?.applyTime ?? D.applyTime),
    sizeCost: sizeCostOf(c.sizeCost, d),
    isolation: c.isolation ?? D.isolation,
    replication: {
      mode,
      acks: mode === "sync" ? replicas : mode === "semi-sync" ? (c.replication?.acks ?? D.semiSyncAcks) : 0,
      retention: c.replication?.logRetention ?? Number.POSITIVE_INFINITY,
      snapshot: c.replication?.snapshotTime ? sampler(c.replication.snapshotTime) : null,
      format: c.replication?.format ?? D.replicationFormat,
      nondeterministic: c.replication?.nondeterministic ?? D.nondeterministic,
      statementSize: sampler(c.replication?.statementSize ?? D.statementSize),
    },
    failover: f
      ? {
          heartbeatMs: f.heartbeat ?? D.heartbeat,
          timeoutMs: f.timeout ?? D.failureTimeout,
          electionMs: f.electionTimeout ?? D.electionTimeout,
          discoveryMs: f.discovery ?? D.discovery,
          fencing: f.fencing ?? true,
        }
      : null,
  });
}

function canaryConfig(c: true | { interval?: number; alertAbove?: number } | undefined) {
  if (!c) return null;
  const o = c === true ? {} : c;
  return {
    intervalMs: o.interval ?? DEFAULTS.database.canaryInterval,
    alertAboveMs: o.alertAbove ?? DEFAULTS.database.canaryAlertAbove,
  };
}

/** A cache capacity as an entry or a byte limit. */
function capacityLimits(capacity: string | number): { maxEntries?: number; maxBytes?: number } {
  const cap = parseCapacity(capacity);
  return "entries" in cap ? { maxEntries: cap.entries } : { maxBytes: cap.bytes };
}

function quorumStore(name: string, c: Extract<ComponentSpec, { kind: "quorum-store" }>): QuorumStore {
  const D = DEFAULTS.quorumStore;
  const datacenters = c.replication
    ? Object.entries(c.replication).map(([dc, replicas]) => ({ name: dc, replicas }))
    : undefined;
  return new QuorumStore(name, {
    ...storeNodes(c, D, c.nodes ?? D.nodes),
    replicationFactor: datacenters
      ? datacenters.reduce((n, d) => n + d.replicas, 0)
      : (c.replicationFactor ?? D.replicationFactor),
    datacenters,
    vnodes: c.vnodes ?? D.vnodes,
    readRepair: c.readRepair ?? D.readRepair,
    hintedHandoff: c.hintedHandoff ?? D.hintedHandoff,
    antiEntropyMs: c.antiEntropy ?? 0,
    hintTtlMs: c.hintTtl ?? D.hintTtl,
    quorum: { r: c.r ?? D.level, w: c.w ?? D.level },
  });
}

function multiLeader(name: string, c: Extract<ComponentSpec, { kind: "multi-leader" }>): MultiLeaderStore {
  const D = DEFAULTS.multiLeader;
  return new MultiLeaderStore(name, {
    ...storeNodes(c, D, c.leaders ?? D.leaders),
    applyTime: sampler(c.applyTime ?? D.applyTime),
    resolution: c.resolution ?? D.resolution,
    clockSkewMs: c.clockSkew,
  });
}

function cacheStrategy(c: Extract<ComponentSpec, { kind: "cache" }>, d: Design): CacheStrategy {
  const D = DEFAULTS.cache;
  type Stampede = Exclude<NonNullable<typeof c.stampede>, string>;
  const st: Partial<Stampede> = typeof c.stampede === "string" ? { defence: c.stampede } : (c.stampede ?? {});
  const bloom = c.bloom === true ? {} : c.bloom;
  return {
    reads: c.reads ?? D.reads,
    writes: c.writes ?? D.writes,
    flushIntervalMs: c.writeBehind?.interval ?? D.flushInterval,
    flushBatch: c.writeBehind?.batch ?? D.flushBatch,
    ttlJitter: c.ttlJitter ?? D.ttlJitter,
    negativeTtlMs: c.negativeTtl ?? 0,
    prewarm: c.prewarm ?? 0,
    stampede: {
      defence: st.defence ?? D.stampede,
      whileLocked: st.whileLocked ?? D.whileLocked,
      retryAfterMs: st.retryAfter ?? D.retryAfter,
      lockTtlMs: st.lockTtl ?? D.lockTtl,
      staleForMs: st.staleFor ?? c.ttl ?? 0,
      beta: st.beta ?? D.beta,
      refreshAhead: st.refreshAhead ?? D.refreshAhead,
    },
    bloom: bloom
      ? {
          falsePositiveRate: bloom.falsePositiveRate ?? D.bloomFalsePositiveRate,
          rebuildEveryMs: bloom.rebuildEvery ?? Number.POSITIVE_INFINITY,
          keySpace: keySpaceOf(d),
        }
      : null,
  };
}

function keySpec(count: number, popularity: string): KeySpec {
  const p = parsePopularity(popularity);
  const keys = Math.round(count);
  if (p.type === "zipf") return { type: "zipf", keys, s: p.s };
  if (p.type === "hotspot")
    return {
      type: "hotspot",
      keys,
      hotKeys: Math.max(1, Math.floor(p.hotFraction * keys)),
      hotTraffic: p.traffic,
    };
  if (p.type === "sequential") return { type: "sequential", keys };
  return { type: "uniform", keys };
}

function arrivals(c: Extract<ComponentSpec, { kind: "workload" }>, durationMs: number): Arrivals {
  if (c.closed) return { type: "closed", users: c.closed.users, think: sampler(c.closed.thinkTime) };
  const a = c.arrival!;
  switch (a.process) {
    case "poisson":
    case "constant":
      return {
        type: "open",
        deterministic: a.process === "constant",
        rate: () => a.rate,
        maxRate: a.rate,
        steady: true,
      };
    case "ramp": {
      const start = a.start ?? 0;
      return {
        type: "open",
        deterministic: false,
        rate: (t) =>
          t <= start
            ? a.from
            : t >= start + a.over
              ? a.to
              : a.from + ((a.to - a.from) * (t - start)) / a.over,
        maxRate: Math.max(a.from, a.to),
        steady: a.from === a.to,
      };
    }
    case "spike":
      return {
        type: "open",
        deterministic: false,
        rate: (t) => (t >= a.at && t < a.at + a.for ? a.rate * a.multiplier : a.rate),
        maxRate: a.rate * Math.max(1, a.multiplier),
        steady: a.multiplier === 1,
      };
    case "diurnal": {
      const period = a.period ?? 24 * 3600 * 1000;
      const peak = a.peakAt ?? period / 2;
      return {
        type: "open",
        deterministic: false,
        rate: (t) => a.min + ((a.max - a.min) * (1 + Math.cos((2 * Math.PI * (t - peak)) / period))) / 2,
        maxRate: Math.max(a.min, a.max),
        steady: a.min === a.max,
      };
    }
  }
  void durationMs;
}

function faults(d: Design, byName: Map<string, Component>, net: Network): FaultConfig[] {
  return (d.faults ?? []).map((f) => {
    const base = { atMs: f.at, forMs: f.for ?? Number.POSITIVE_INFINITY };
    if ("kill" in f) {
      const target = byName.get(f.kill)!;
      const n = target.instances();
      const instances = f.instance === "all" ? Array.from({ length: n }, (_, i) => i) : [f.instance ?? 0];
      return { ...base, action: { type: "kill", target, instances } };
    }
    if ("slow" in f) return { ...base, action: { type: "slow", target: byName.get(f.slow)!, ms: f.by } };
    if ("outage" in f) {
      // every instance placed in one of the region's zones; users and DNS are on the internet
      const region = net.region(f.outage);
      const targets = [...byName.values()]
        .filter((c) => !c.isClient)
        .map((target) => ({
          target,
          instances: Array.from({ length: target.instances() }, (_, i) => i).filter(
            (i) => net.zoneRegion[target.zoneOf(i)] === region,
          ),
        }))
        .filter((t) => t.instances.length > 0);
      return { ...base, action: { type: "outage", region: f.outage, targets } };
    }
    if ("partition" in f) {
      const spec = networkSpec(d);
      const zones = f.partition.flatMap((name) => spec.regions.find((r) => r.name === name)?.zones ?? [name]);
      return {
        ...base,
        action: {
          type: "partition",
          zones: zones.map((z) => net.zone(z)),
          names: f.partition,
          timeoutMs: f.timeout ?? DEFAULTS.partitionTimeout,
        },
      };
    }
    return {
      ...base,
      action: { type: "link", from: byName.get(f.link.from)!, to: byName.get(f.link.to)!, ms: f.add },
    };
  });
}

/** A read or write step's fan-out over many keys, with its report counters (undefined: the step has none). */
function fanOutSpec(
  f: FanOutDesign | undefined,
  route: string,
  step: number,
  op: "read" | "write",
  store: string,
): FanOutSpec | undefined {
  if (!f) return undefined;
  return {
    count: sampler(f.count),
    keys: f.keys,
    concurrency: f.concurrency ?? Number.MAX_SAFE_INTEGER,
    hotKeys: f.hot?.keys ?? 0,
    hotCount: f.hot?.count ?? 0,
    stats: { route, step, op, store, requests: 0, calls: 0, maxKeys: 0, hotRequests: 0, hotCalls: 0 },
  };
}
