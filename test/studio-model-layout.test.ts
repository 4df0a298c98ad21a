// Where the canvas draws a design without a layout, the boxes of its zones
// and regions, and how live status colours it.
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { designToGraph } from "../src/studio/graph.js";
import { autoLayout, groupBoxes, NODE_HEIGHT, NODE_WIDTH } from "../src/studio/layout.js";
import { dotsFor, DOWN, statusColour } from "../src/studio/live-style.js";
import { exampleFiles } from "./support/examples.js";

describe.each(exampleFiles())("$file laid out", ({ text }) => {
  const graph = designToGraph(parse(text, { merge: true }));
  const pos = autoLayout(graph);

  it("places every node, none on another, each after the components that send to it", () => {
    expect(Object.keys(pos).sort()).toEqual(graph.nodes.map((n) => n.id).sort());
    const seen = new Set(Object.values(pos).map((p) => `${p.x},${p.y}`));
    expect(seen.size).toBe(graph.nodes.length);
    const cyclic = (from: string, to: string) => graph.edges.some((e) => e.from === to && e.to === from);
    for (const e of graph.edges)
      if (!e.derived && !cyclic(e.from, e.to)) expect(pos[e.to].x, e.id).toBeGreaterThan(pos[e.from].x);
  });

  it("draws each zone's and region's box around its components", () => {
    const boxes = groupBoxes(graph, pos);
    for (const n of graph.nodes)
      for (const g of [n.zone, n.region].filter(
        (x): x is string => x !== undefined && boxes[x] !== undefined,
      )) {
        const b = boxes[g];
        expect(pos[n.id].x).toBeGreaterThan(b.x);
        expect(pos[n.id].y).toBeGreaterThan(b.y);
        expect(pos[n.id].x + NODE_WIDTH).toBeLessThan(b.x + b.width);
        expect(pos[n.id].y + NODE_HEIGHT).toBeLessThan(b.y + b.height);
      }
  });
});

it("keeps the positions the file gives", () => {
  const graph = designToGraph(
    parse("components:\n  a: { kind: service }\n  b: { kind: database }\nlayout:\n  b: { x: -40, y: 7 }\n"),
  );
  expect(autoLayout(graph).b).toEqual({ x: -40, y: 7 });
});

it("colours by health first, then by utilisation from green to red; dots grow with the log of the traffic", () => {
  expect(statusColour(undefined)).toBeUndefined();
  expect(statusColour({ utilization: 0.1, health: "down", facts: {} })).toBe(DOWN);
  const hue = (u: number) =>
    Number(/hsl\((\d+)/.exec(statusColour({ utilization: u, health: "up", facts: {} })!)![1]);
  expect(hue(0)).toBe(130);
  expect(hue(1)).toBe(0);
  expect(hue(0.5)).toBeLessThan(hue(0.2));
  expect(hue(7)).toBe(0);
  expect([0, 1, 9, 10, 99, 1e4, 1e7].map(dotsFor)).toEqual([0, 1, 1, 2, 2, 3, 3]);
});
