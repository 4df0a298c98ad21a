// The design drawn as a graph: components as boxes in layers from the users
// on the left to the stores on the right, an arrow for every reference from one
// component to another (targets, backends, calls, reads, topics ...), each box
// filled by its peak utilisation. Plain SVG, laid out here by hand.
import type { Design } from "../../design/schema.js";
import type { Report } from "../json.js";
import { esc } from "./escape.js";
import { pct } from "./format.js";

export interface GraphNode {
  name: string;
  kind: string;
  /** the largest per-second utilisation (or the average when there is no series); null: not a sized component */
  peak: number | null;
}

export interface GraphEdge {
  from: string;
  to: string;
}

/** Names of other components found anywhere in a component's spec, as values or as keys. */
function references(spec: unknown, names: Set<string>, self: string, out: Set<string>): void {
  if (typeof spec === "string") {
    if (names.has(spec) && spec !== self) out.add(spec);
  } else if (Array.isArray(spec)) {
    for (const v of spec) references(v, names, self, out);
  } else if (spec && typeof spec === "object") {
    for (const [k, v] of Object.entries(spec)) {
      if (k === "kind") continue;
      if (names.has(k) && k !== self) out.add(k);
      references(v, names, self, out);
    }
  }
}

/**
 * Edges point the way requests and messages flow: a component to what it
 * names, except a consumer, which is fed by the topic or queue it names.
 */
export function designEdges(design: Pick<Design, "components">): GraphEdge[] {
  const names = new Set(Object.keys(design.components));
  const edges: GraphEdge[] = [];
  for (const [name, spec] of Object.entries(design.components)) {
    const refs = new Set<string>();
    references(spec, names, name, refs);
    for (const r of refs) {
      const feeds = spec.kind === "consumer" && ["topic", "queue"].includes(design.components[r].kind);
      edges.push(feeds ? { from: r, to: name } : { from: name, to: r });
    }
  }
  const seen = new Set<string>();
  return edges.filter((e) => {
    const k = `${e.from}\u0000${e.to}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function peakUtilization(c: { utilization?: unknown; series?: Record<string, number[]> } | undefined) {
  if (!c) return null;
  const s = c.series?.utilization;
  if (s && s.length) return Math.max(...s);
  return typeof c.utilization === "number" && c.utilization > 0 ? c.utilization : null;
}

export function graphNodes(report: Report, design?: Pick<Design, "components">): GraphNode[] {
  const names = design ? Object.keys(design.components) : Object.keys(report.components);
  return names.map((name) => {
    const c = report.components[name];
    const kind = design?.components[name]?.kind ?? (c?.kind as string | undefined) ?? "component";
    return { name, kind, peak: peakUtilization(c as Parameters<typeof peakUtilization>[0]) };
  });
}

/** Layers by longest path from the sources, with the edges that close a cycle set aside. */
function layers(nodes: string[], edges: GraphEdge[]): { layer: Map<string, number>; back: Set<GraphEdge> } {
  const out = new Map(nodes.map((n) => [n, [] as GraphEdge[]]));
  const indeg = new Map(nodes.map((n) => [n, 0]));
  for (const e of edges) {
    out.get(e.from)?.push(e);
    indeg.set(e.to, (indeg.get(e.to) ?? 0) + 1);
  }
  // depth-first from the sources (then from whatever is left, for pure cycles) to find back edges
  const state = new Map<string, 1 | 2>();
  const back = new Set<GraphEdge>();
  const order: string[] = [];
  const visit = (n: string) => {
    state.set(n, 1);
    for (const e of out.get(n) ?? []) {
      const s = state.get(e.to);
      if (s === 1) back.add(e);
      else if (s === undefined) visit(e.to);
    }
    state.set(n, 2);
    order.push(n);
  };
  for (const n of nodes) if (indeg.get(n) === 0 && !state.has(n)) visit(n);
  for (const n of nodes) if (!state.has(n)) visit(n);
  const layer = new Map(nodes.map((n) => [n, 0]));
  for (const n of order.reverse())
    for (const e of out.get(n) ?? [])
      if (!back.has(e)) layer.set(e.to, Math.max(layer.get(e.to) ?? 0, (layer.get(n) ?? 0) + 1));
  return { layer, back };
}

const STOPS: [number, [number, number, number]][] = [
  [0, [214, 240, 226]],
  [0.5, [246, 234, 170]],
  [0.8, [248, 190, 130]],
  [1, [239, 132, 140]],
];

/** Fill for a peak utilisation: pale green when idle, yellow at half, red when saturated. */
export function utilizationColor(u: number | null): string {
  if (u === null) return "#e9edf5";
  const v = Math.min(Math.max(u, 0), 1);
  let i = 1;
  while (i < STOPS.length - 1 && v > STOPS[i][0]) i++;
  const [a, ca] = STOPS[i - 1];
  const [b, cb] = STOPS[i];
  const t = b === a ? 0 : (v - a) / (b - a);
  const c = ca.map((x, k) => Math.round(x + (cb[k] - x) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export const utilizationGradient = (): string =>
  `linear-gradient(90deg, ${STOPS.map(([p]) => `${utilizationColor(p)} ${p * 100}%`).join(", ")})`;

const W = 156;
const H = 46;
const COL = 64;
const ROW = 18;
const PAD = 16;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The graph as an SVG element. `faulted`: components some fault acts on (drawn with a dashed red border). */
export function renderGraphSvg(
  nodes: GraphNode[],
  edges: GraphEdge[],
  faulted: Set<string> = new Set(),
): string {
  if (nodes.length === 0) return "";
  const names = nodes.map((n) => n.name);
  const { layer, back } = layers(names, edges);
  const columns: string[][] = [];
  for (const n of names) (columns[layer.get(n)!] ??= []).push(n);
  // two barycentre sweeps (forward along incoming edges, then backward) to untangle crossings
  const pos = new Map<string, number>();
  const place = () => columns.forEach((col) => col.forEach((n, i) => pos.set(n, i)));
  place();
  const sweep = (col: string[], neighbours: (n: string) => string[]) => {
    const key = new Map(
      col.map((n, i) => {
        const ps = neighbours(n).map((m) => pos.get(m)!);
        return [n, ps.length ? ps.reduce((s, p) => s + p, 0) / ps.length : i];
      }),
    );
    col.sort((a, b) => key.get(a)! - key.get(b)! || names.indexOf(a) - names.indexOf(b));
  };
  const fwd = edges.filter((e) => !back.has(e));
  for (let k = 1; k < columns.length; k++) {
    sweep(columns[k], (n) => fwd.filter((e) => e.to === n).map((e) => e.from));
    place();
  }
  for (let k = columns.length - 2; k >= 0; k--) {
    sweep(columns[k], (n) => fwd.filter((e) => e.from === n).map((e) => e.to));
    place();
  }
  const tallest = Math.max(...columns.map((c) => c.length));
  const height = PAD * 2 + tallest * H + (tallest - 1) * ROW + 24;
  const width = PAD * 2 + columns.length * W + (columns.length - 1) * COL;
  const xy = new Map<string, { x: number; y: number }>();
  columns.forEach((col, k) => {
    const offset = ((tallest - col.length) * (H + ROW)) / 2;
    col.forEach((n, i) => xy.set(n, { x: PAD + k * (W + COL), y: PAD + offset + i * (H + ROW) }));
  });

  const paths = edges.map((e) => {
    const a = xy.get(e.from)!;
    const b = xy.get(e.to)!;
    if (!back.has(e) && b.x > a.x) {
      const x1 = a.x + W;
      const y1 = a.y + H / 2;
      const x2 = b.x - 2;
      const y2 = b.y + H / 2;
      const mx = (x1 + x2) / 2;
      return `<path class="edge" d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" marker-end="url(#arrow)"><title>${esc(e.from)} → ${esc(e.to)}</title></path>`;
    }
    // a cycle or a same-layer edge: a loop under the boxes
    const x1 = a.x + W / 2;
    const y1 = a.y + H;
    const x2 = b.x + W / 2;
    const y2 = b.y + H + 2;
    const dip = Math.max(y1, y2) + ROW + 8;
    return `<path class="edge" stroke-dasharray="4 3" d="M${x1},${y1} C${x1},${dip} ${x2},${dip} ${x2},${y2}" marker-end="url(#arrow)"><title>${esc(e.from)} → ${esc(e.to)}</title></path>`;
  });
  const boxes = nodes.map((n) => {
    const { x, y } = xy.get(n.name)!;
    const util = n.peak === null ? "" : ` · ${pct(n.peak, 2)}`;
    const tip = `${n.name} (${n.kind})${n.peak === null ? "" : `, peak utilisation ${pct(n.peak)}`}`;
    return `<g class="node${faulted.has(n.name) ? " faulted" : ""}" data-name="${esc(n.name)}" transform="translate(${x},${y})"><title>${esc(tip)}</title>
<rect width="${W}" height="${H}" rx="8" fill="${utilizationColor(n.peak)}"/>
<text x="12" y="19" font-weight="600">${esc(clip(n.name, 20))}</text>
<text class="kind" x="12" y="35">${esc(clip(n.kind, 14))}${esc(util)}</text></g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="the design's components and how they call each other" style="max-width:${width}px">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#a3abba"/></marker></defs>
${paths.join("\n")}
${boxes.join("\n")}
</svg>`;
}
