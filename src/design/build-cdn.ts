// Builds a cdn component from its validated spec: PoP sites, the PoP each
// region's users reach, each route's edge policy from its Cache-Control, the
// push sets and the schedule of content updates.
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
    return {
      name: route,
      ...policy,
      size: sampler(rs.size ?? D.size),
      push: rs.push === undefined ? 0 : rs.push === "all" ? keys : Math.min(rs.push, keys),
      onUpdate: rs.onUpdate ?? D.onUpdate,
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
    popOfRegion: nearestPops(spec, pops),
    regionNames: spec.regions.map((r) => r.name),
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
 * The PoP each region's users reach: their own region's, else the one with
 * the lowest mean latency from their region (the first listed on a tie).
 */
function nearestPops(spec: NetworkSpec, pops: CdnSite[]): number[] {
  const names = spec.regions.map((r) => r.name);
  const link = (a: string, b: string) => {
    const p = spec.regionPairs.find((x) => (x.a === a && x.b === b) || (x.a === b && x.b === a));
    return sampler(p ? p.latency : spec.crossRegion).mean;
  };
  return names.map((region) => {
    const own = pops.findIndex((p) => p.region === region);
    if (own >= 0) return own;
    let best = 0;
    pops.forEach((p, i) => {
      if (link(region, p.region) < link(region, pops[best].region)) best = i;
    });
    return best;
  });
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
