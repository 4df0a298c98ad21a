// Checks of a cdn component that need the whole design: its origin is a load
// balancer or service, its PoP and shield regions exist, its route entries and
// updates name routes that reach it, and each route's Cache-Control parses
// and allows what the route asks of the edge (a push).
import {
  CACHE_CONTROL_DIRECTIVES,
  CacheControlError,
  edgePolicy,
  parseCacheControl,
} from "../mechanisms/cache-control.js";
import { DEFAULTS } from "./defaults.js";
import type { ComponentSpec, Design } from "./schema.js";
import { didYouMean } from "./suggest.js";
import type { Problem } from "./validate.js";

type CdnSpec = Extract<ComponentSpec, { kind: "cdn" }>;

export function cdnProblems(name: string, c: CdnSpec, d: Design, regions: string[]): Problem[] {
  const out: Problem[] = [];
  const at = (...p: (string | number)[]) => ["components", name, ...p];

  const origin = d.components[c.origin];
  if (!origin) {
    const candidates = Object.keys(d.components).filter((n) =>
      ["load-balancer", "service"].includes(d.components[n].kind),
    );
    out.push({
      path: at("origin"),
      message: `origin "${c.origin}" is not a component of this design`,
      expected: candidates.length ? `one of ${candidates.join(", ")}` : "a load balancer or service",
      suggestion: didYouMean(c.origin, candidates.length ? candidates : Object.keys(d.components)),
    });
  } else if (origin.kind !== "load-balancer" && origin.kind !== "service")
    out.push({
      path: at("origin"),
      message: `origin "${c.origin}" is a ${origin.kind}`,
      expected: "a load balancer or service",
      hint: "a CDN fetches its misses over HTTP: put a service (or a load balancer in front of one) between it and the data",
    });

  const region = (path: (string | number)[], r: string, what: string) => {
    if (!regions.includes(r))
      out.push({
        path,
        message: `${what} region "${r}" is not a region of the network`,
        expected: `one of ${regions.join(", ")}`,
        suggestion: didYouMean(r, regions),
        hint: "PoPs are placed by region: add it under network.regions",
      });
  };
  const seen = new Set<string>();
  c.pops?.forEach((r, i) => {
    region(at("pops", i), r, "PoP");
    if (seen.has(r)) out.push({ path: at("pops", i), message: `region "${r}" has a PoP already` });
    seen.add(r);
  });
  if (c.shield !== undefined) region(at("shield"), c.shield, "shield");
  if (c.browser && d.components[`${name}.browser`])
    out.push({
      path: at("browser"),
      message: `the browser cache is named "${name}.browser", and a component of that name exists`,
      hint: `rename the component "${name}.browser"`,
      atKey: true,
    });
  if (c.browser && !Object.values(d.components).some((w) => w.kind === "workload" && w.target === name))
    out.push({
      path: at("browser"),
      message: `no workload targets cdn "${name}" directly: its browser cache would see no request`,
      hint: `set a workload's target to ${name}`,
      atKey: true,
    });
  if (c.queue !== undefined && c.workers === undefined)
    out.push({
      path: at("queue"),
      message: "a queue without workers: with unbounded workers nothing ever waits",
      hint: "set workers (requests a PoP works on at once), or remove queue",
      atKey: true,
    });

  // the routes that reach this CDN, directly or through a DNS name (any workload's, if none does)
  const reaches = (target: string) => {
    const t = d.components[target];
    return target === name || (t?.kind === "dns" && t.endpoints.some((e) => e.target === name));
  };
  const sent = new Set<string>();
  const all = new Set<string>();
  for (const w of Object.values(d.components))
    if (w.kind === "workload")
      for (const r of w.routes) {
        all.add(r.route);
        if (reaches(w.target)) sent.add(r.route);
      }
  const routes = sent.size ? sent : all;
  const routeRef = (path: (string | number)[], route: string, atKey: boolean) => {
    if (!routes.has(route))
      out.push({
        path,
        message: `no workload sends route "${route}" to cdn "${name}"`,
        expected: `one of ${[...routes].join(", ")}`,
        suggestion: didYouMean(route, routes),
        atKey,
      });
  };

  // the request headers workloads send on each route (names lower-cased, as requests carry them)
  const headersOn = new Map<string, Set<string>>();
  for (const w of Object.values(d.components))
    if (w.kind === "workload")
      for (const r of w.routes) {
        const set = headersOn.get(r.route) ?? new Set<string>();
        for (const h of Object.keys(r.headers ?? {})) set.add(h.toLowerCase());
        headersOn.set(r.route, set);
      }

  for (const [route, rs] of Object.entries(c.routes ?? {})) {
    if (route !== "*") routeRef(at("routes", route), route, true);
    const sentHeaders = new Set(
      route === "*" ? [...headersOn.values()].flatMap((h) => [...h]) : [...(headersOn.get(route) ?? [])],
    );
    for (const field of ["variesBy", "vary"] as const)
      rs[field]?.forEach((h, i) => {
        if (sentHeaders.has(h.toLowerCase())) return;
        const personal = ["cookie", "authorization"].includes(h.toLowerCase());
        out.push({
          path: at("routes", route, field, i),
          message: `no workload sends header "${h}" on route "${route}"`,
          expected: sentHeaders.size
            ? `one of ${[...sentHeaders].join(", ")}`
            : "a header set under the workload route's headers",
          suggestion: didYouMean(h.toLowerCase(), sentHeaders),
          hint: personal
            ? "a response personal to each user is perUser: true; the fix for caching it is cacheControl: private"
            : undefined,
        });
      });
    if (rs.push !== undefined && (rs.perUser || rs.variesBy?.length || rs.vary?.length))
      out.push({
        path: at("routes", route, "push"),
        message: `route "${route}" has content per user or per header: one pushed copy cannot serve every request`,
        hint: "remove push, or perUser, variesBy and vary",
        atKey: true,
      });
    let policy: ReturnType<typeof edgePolicy> | null = null;
    try {
      policy = edgePolicy(parseCacheControl(rs.cacheControl ?? DEFAULTS.cdn.cacheControl));
    } catch (e) {
      if (!(e instanceof CacheControlError)) throw e;
      out.push({
        path: at("routes", route, "cacheControl"),
        message: `cannot read Cache-Control "${rs.cacheControl}": ${e.message}`,
        expected: `comma-separated directives: ${CACHE_CONTROL_DIRECTIVES.join(", ")}`,
        suggestion: e.directive ? didYouMean(e.directive, CACHE_CONTROL_DIRECTIVES) : undefined,
        hint: e.hint,
      });
    }
    if (rs.push !== undefined && policy && !policy.store)
      out.push({
        path: at("routes", route, "push"),
        message: `route "${route}" is ${rs.cacheControl}: its responses may not be stored at the edge, so they cannot be pushed there`,
        hint: "remove push, or make the route's responses public",
        atKey: true,
      });
    if (rs.push !== undefined && policy?.revalidate)
      out.push({
        path: at("routes", route, "push"),
        message: `route "${route}" is no-cache: every use goes to the origin, so pushing it saves nothing`,
        hint: "remove push, or no-cache",
        atKey: true,
      });
    if (rs.push !== undefined && rs.onUpdate === "none")
      out.push({
        path: at("routes", route, "onUpdate"),
        message: "pushed objects never expire: with onUpdate: none an update would never reach them",
        hint: "use onUpdate: purge (the new content is pushed again) or versioned",
      });
  }

  c.updates?.forEach((u, i) => {
    if (u.route !== undefined) routeRef(at("updates", i, "route"), u.route, false);
  });
  return out;
}
