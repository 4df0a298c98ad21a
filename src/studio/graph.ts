// A design as the canvas sees it: a node per component (grouped by the region
// and zone the design places it in) and an edge per pair of components one of
// which names the other, carrying every reference that makes it. Built from
// the raw parsed YAML so that a design being written (invalid) still shows.
import { EDGE_FIELDS, type Kind, type Reference, referencesOf } from "./references.js";

export interface GraphNode {
  /** the component's name */
  id: string;
  kind: Kind | string;
  /** the zone the design places it in (zone, or zones when they are all one) */
  zone?: string;
  /** the region of that zone, or of all its zones */
  region?: string;
  /** the group it is drawn in: its zone, else its region */
  group?: string;
  /** its position from the design's layout, when there is one */
  position?: { x: number; y: number };
  /** the component's fields as written */
  spec: Record<string, unknown>;
}

export interface GraphEdge {
  /** `from->to` */
  id: string;
  /** where requests or messages come from */
  from: string;
  to: string;
  /** the distinct roles of its references, in table order (call, read, cache ...) */
  roles: string[];
  /** the references that make it; empty for a derived edge */
  refs: Reference[];
  /** no field names it: it follows from others (a cache and the database a step names with it) */
  derived: boolean;
}

export interface GraphGroup {
  id: string;
  kind: "region" | "zone";
  /** a zone's region */
  parent?: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  groups: GraphGroup[];
}

type Data = Record<string, unknown>;
const isMap = (v: unknown): v is Data => v !== null && typeof v === "object" && !Array.isArray(v);

/** The design's components mapping, or an empty one while it is not a mapping yet. */
export function componentsOf(data: unknown): Record<string, Data> {
  const comps = isMap(data) ? data.components : undefined;
  if (!isMap(comps)) return {};
  const out: Record<string, Data> = {};
  for (const [k, v] of Object.entries(comps)) out[k] = isMap(v) ? v : {};
  return out;
}

/** network.regions as written (region -> zones), keeping only well-formed entries. */
export function regionsOf(data: unknown): Record<string, string[]> {
  const net = isMap(data) ? data.network : undefined;
  const regions = isMap(net) ? net.regions : undefined;
  const out: Record<string, string[]> = {};
  if (!isMap(regions)) return out;
  for (const [r, zs] of Object.entries(regions))
    out[r] = Array.isArray(zs) ? zs.filter((z): z is string => typeof z === "string") : [];
  return out;
}

export function layoutOf(data: unknown): Record<string, { x: number; y: number }> {
  const layout = isMap(data) ? data.layout : undefined;
  const out: Record<string, { x: number; y: number }> = {};
  if (!isMap(layout)) return out;
  for (const [k, v] of Object.entries(layout))
    if (isMap(v) && typeof v.x === "number" && typeof v.y === "number") out[k] = { x: v.x, y: v.y };
  return out;
}

function placement(c: Data, regions: Record<string, string[]>): Pick<GraphNode, "zone" | "region" | "group"> {
  const regionOf = (z: string) => Object.entries(regions).find(([, zs]) => zs.includes(z))?.[0];
  const zones =
    typeof c.zone === "string"
      ? [c.zone]
      : Array.isArray(c.zones)
        ? c.zones.filter((z): z is string => typeof z === "string")
        : [];
  if (zones.length === 0) return {};
  const distinct = [...new Set(zones)];
  const rs = [...new Set(distinct.map(regionOf))];
  const region = rs.length === 1 ? rs[0] : undefined;
  const zone = distinct.length === 1 ? distinct[0] : undefined;
  return { zone, region, group: zone ?? region };
}

/** The canvas's model of a design (any parsed YAML value). */
export function designToGraph(data: unknown): Graph {
  const comps = componentsOf(data);
  const regions = regionsOf(data);
  const layout = layoutOf(data);
  const nodes: GraphNode[] = Object.entries(comps).map(([id, spec]) => ({
    id,
    kind: typeof spec.kind === "string" ? spec.kind : "",
    ...placement(spec, regions),
    ...(layout[id] ? { position: layout[id] } : {}),
    spec,
  }));

  const edges = new Map<string, GraphEdge>();
  const edge = (from: string, to: string): GraphEdge => {
    const id = `${from}->${to}`;
    let e = edges.get(id);
    if (!e) edges.set(id, (e = { id, from, to, roles: [], refs: [], derived: true }));
    return e;
  };
  for (const ref of referencesOf(data, EDGE_FIELDS)) {
    // a dangling name is the editor's diagnostic, not an edge
    if (ref.owner === undefined || !(ref.name in comps)) continue;
    const [from, to] = ref.field.reverse ? [ref.name, ref.owner] : [ref.owner, ref.name];
    const e = edge(from, to);
    e.refs.push(ref);
    e.derived = false;
    if (!e.roles.includes(ref.field.role)) e.roles.push(ref.field.role);
  }
  // a step naming a cache and a store: the cache holds that store's data (its backing store)
  for (const [, c] of Object.entries(comps)) {
    const steps = [
      ...(isMap(c.routes) ? Object.values(c.routes).flatMap((s) => (Array.isArray(s) ? s : [])) : []),
      ...(Array.isArray(c.steps) ? c.steps : []),
    ];
    for (const s of steps) {
      if (!isMap(s) || typeof s.cache !== "string" || !(s.cache in comps)) continue;
      const store = typeof s.read === "string" ? s.read : typeof s.write === "string" ? s.write : undefined;
      if (store === undefined || !(store in comps)) continue;
      const e = edge(s.cache, store);
      if (!e.roles.includes("backs")) e.roles.push("backs");
    }
  }

  const groups: GraphGroup[] = [];
  const used = new Set(nodes.flatMap((n) => [n.zone, n.region]).filter((x) => x !== undefined));
  for (const [r, zs] of Object.entries(regions)) {
    const zones = zs.filter((z) => used.has(z));
    if (!used.has(r) && zones.length === 0) continue;
    groups.push({ id: r, kind: "region" });
    for (const z of zones) groups.push({ id: z, kind: "zone", parent: r });
  }
  return { nodes, edges: [...edges.values()], groups };
}
