// Builds a cdn component from its validated spec: PoP sites, the PoP each
// region's users reach, each route's edge policy from its Cache-Control, the
// push sets and the schedule of content updates.
import { BrowserCache } from "../components/browser-cache.js";
import { Cdn, type CdnRoute, type CdnSite, type CdnUpdate } from "../components/cdn.js";
import type { Component, Sim } from "../components/runtime.js";
import { sampler } from "../kernel/distributions.js";
import type { Network, NetworkSpec } from "../kernel/network.js";
import { edgePolicy, parseCacheControl } from "../mechanisms/cache-control.js";
import { DEFAULTS } from "./defaults.js";
import type { ComponentSpec, Design } from "./schema.js";

type CdnSpec = Extract<ComponentSpec, { kind: "cdn" }>;

export function buildCdn(
  name: string,
  c: CdnSpec,
  d: Design,
  spec: NetworkSpec,
  sim: Sim,
  net: Network,
  byName: Map<string, Component>,
): Cdn {
  const D = DEFAULTS.cdn;
  const site = (region: string): CdnSite => ({
    region,
    zone: net.zone(spec.regions.find((r) => r.name === region)!.zones[0]),
  });
  const pops = (c.pops ?? spec.regions.map((r) => r.name)).map(site);
  const routes: CdnRoute[] = sim.routes.map((route) => {
    const rs = c.routes?.[route] ?? c.routes?.["*"] ?? {};
    const policy = edgePolicy(parseCacheControl(rs.cacheControl ?? D.cacheControl));
    const keys = keyCount(d, route);
    const variesBy = (rs.variesBy ?? []).map((h) => h.toLowerCase());
    const vary = variants(
      sim.headerSets,
      (rs.vary ?? variesBy).map((h) => h.toLowerCase()),
    );
    return {
      name: route,
      ...policy,
      size: sampler(rs.size ?? D.size),
      push: rs.push === undefined ? 0 : rs.push === "all" ? keys : Math.min(rs.push, keys),
      onUpdate: rs.onUpdate ?? D.onUpdate,
      perUser: rs.perUser ?? false,
      varyOf: vary.of,
      variants: vary.count,
      contentOf: variants(sim.headerSets, variesBy).of,
      judged: (rs.perUser ?? false) || variesBy.length > 0,
    };
  });
  const updates: CdnUpdate[] = (c.updates ?? [])
    .map((u) => ({
      atMs: u.at,
      route: u.route === undefined ? -1 : sim.routeIndex(u.route),
      ranges: u.keys ?? null,
    }))
    .sort((a, b) => a.atMs - b.atMs);
  return new Cdn(name, {
    origin: byName.get(c.origin)!,
    pops,
    shield: c.shield ? site(c.shield) : null,
    popOrder: popOrder(spec, pops),
    regionNames: spec.regions.map((r) => r.name),
    failoverMs: c.failover ?? D.failover,
    workers: c.workers ?? Number.POSITIVE_INFINITY,
    queue: c.queue ?? Number.POSITIVE_INFINITY,
    // bytes per second in the design, per ms in the simulation
    bandwidth: (c.bandwidth ?? Number.POSITIVE_INFINITY) / 1000,
    originBandwidth: (c.originBandwidth ?? Number.POSITIVE_INFINITY) / 1000,
    capacityBytes: c.capacity ?? D.capacity,
    policy: c.eviction ?? D.eviction,
    edgeTime: sampler(c.edgeTime ?? D.edgeTime),
    collapse: c.collapse ?? D.collapse,
    purgeDelay: sampler(c.purgeDelay ?? D.purgeDelay),
    routes,
    updates,
  });
}

/**
 * The PoPs each region's users reach, in the order the steering prefers
 * them: their own region's, then by the lowest mean latency from their
 * region (the first listed on a tie). The first is where they go while it
 * is up; the next ones are where they fail over to.
 */
function popOrder(spec: NetworkSpec, pops: CdnSite[]): number[][] {
  const link = (a: string, b: string) => {
    if (a === b) return 0;
    const p = spec.regionPairs.find((x) => (x.a === a && x.b === b) || (x.a === b && x.b === a));
    return sampler(p ? p.latency : spec.crossRegion).mean;
  };
  return spec.regions.map(({ name }) =>
    pops
      .map((p, i) => ({ i, ms: link(name, p.region) }))
      .sort((a, b) => a.ms - b.ms || a.i - b.i)
      .map((x) => x.i),
  );
}

/**
 * Groups the header sets requests carry by their values of `headers`: the
 * variant each set falls in (numbered from 0 in order of first appearance),
 * and how many variants there are.
 */
function variants(sets: Record<string, string>[], headers: string[]): { of: Int32Array; count: number } {
  const ids = new Map<string, number>();
  const of = Int32Array.from(sets, (h) => {
    const key = JSON.stringify(headers.map((name) => h[name] ?? null));
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      ids.set(key, id);
    }
    return id;
  });
  return { of, count: Math.max(1, ids.size) };
}

/**
 * The browser cache of a CDN's users, if it has one: what each route's
 * Cache-Control lets a browser keep, and for how long (max-age; a browser
 * ignores s-maxage).
 */
export function buildBrowser(name: string, c: CdnSpec, sim: Sim, cdn: Cdn): BrowserCache | null {
  if (!c.browser) return null;
  const routes = sim.routes.map((route) => {
    const rs = c.routes?.[route] ?? c.routes?.["*"] ?? {};
    const cc = parseCacheControl(rs.cacheControl ?? DEFAULTS.cdn.cacheControl);
    return {
      store: !cc.noStore,
      revalidate: cc.noCache,
      ttlMs: (cc.maxAge ?? 0) * 1000,
      edgeTtlMs: edgePolicy(cc).ttlMs,
    };
  });
  return new BrowserCache(`${name}.browser`, { cdn, routes, capacityBytes: c.browser.capacity });
}

/** The number of distinct keys the workloads send on a route (what `push: all` pushes). */
function keyCount(d: Design, route: string): number {
  let n = 0;
  for (const c of Object.values(d.components))
    if (c.kind === "workload")
      for (const r of c.routes)
        if (r.route === route) {
          const users = c.population?.users ?? (c.closed ? c.closed.users : DEFAULTS.users);
          n = Math.max(n, r.keys?.perUser ? users : Math.round(r.keys?.count ?? DEFAULTS.keys));
        }
  return n;
}
