// Where the canvas draws a design that does not say (no `layout`): columns by
// the traffic's depth (workloads left, stores right), rows in the design's
// order, so the picture reads like the request path. Positions the file gives
// are kept; only the others are placed.
import type { Graph } from "./graph.js";

export const NODE_WIDTH = 170;
export const NODE_HEIGHT = 64;
const COLUMN = 240;
const ROW = 100;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Every node's position: the file's, else its column (longest path from a source) and row. */
export function autoLayout(graph: Graph): Record<string, { x: number; y: number }> {
  const ids = graph.nodes.map((n) => n.id);
  const incoming = new Map(ids.map((id) => [id, [] as string[]]));
  for (const e of graph.edges) if (!e.derived && e.from !== e.to) incoming.get(e.to)?.push(e.from);
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    // a cycle (invalid, but drawn anyway) stops where it closes
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const d = Math.max(-1, ...(incoming.get(id) ?? []).map(depthOf)) + 1;
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  const rows = new Map<number, number>();
  const out: Record<string, { x: number; y: number }> = {};
  for (const n of graph.nodes) {
    if (n.position) {
      out[n.id] = n.position;
      continue;
    }
    const col = depthOf(n.id);
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    out[n.id] = { x: col * COLUMN, y: row * ROW };
  }
  return out;
}

/** The box drawn around each zone and region: its members' bounds plus a margin (a region's includes its zones'). */
export function groupBoxes(
  graph: Graph,
  positions: Record<string, { x: number; y: number }>,
): Record<string, Box> {
  const out: Record<string, Box> = {};
  const pad = 16;
  const bound = (members: Box[], extra: number): Box | undefined => {
    if (members.length === 0) return undefined;
    const x0 = Math.min(...members.map((b) => b.x)) - extra;
    const y0 = Math.min(...members.map((b) => b.y)) - extra - 18;
    const x1 = Math.max(...members.map((b) => b.x + b.width)) + extra;
    const y1 = Math.max(...members.map((b) => b.y + b.height)) + extra;
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  };
  const nodeBox = (id: string): Box => ({ ...positions[id], width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const g of graph.groups.filter((x) => x.kind === "zone")) {
    const b = bound(
      graph.nodes.filter((n) => n.zone === g.id && positions[n.id]).map((n) => nodeBox(n.id)),
      pad,
    );
    if (b) out[g.id] = b;
  }
  for (const g of graph.groups.filter((x) => x.kind === "region")) {
    const members = [
      ...graph.nodes
        .filter((n) => n.region === g.id && n.zone === undefined && positions[n.id])
        .map((n) => nodeBox(n.id)),
      ...graph.groups.filter((z) => z.parent === g.id && out[z.id]).map((z) => out[z.id]),
    ];
    const b = bound(members, pad);
    if (b) out[g.id] = b;
  }
  return out;
}
