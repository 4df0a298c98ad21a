// The canvas's model of a design: every component a node, every reference an
// edge. Two independent checks keep it complete: every field of the schema
// that holds a name is either a reference field or known not to name a
// component, and in every example every string that names another component
// is found as an edge.
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { loadDesign } from "../src/design/load.js";
import { COMPONENT_KINDS, jsonSchema } from "../src/design/schema.js";
import { designToGraph } from "../src/studio/graph.js";
import { EDGE_FIELDS, REFERENCE_FIELDS, referencesOf } from "../src/studio/references.js";
import { exampleFiles } from "./support/examples.js";
import { isText, type SchemaNode, schemaPaths } from "./support/schema-paths.js";

/** Text fields and mapping keys that do not name a component, and why. */
const NOT_REFERENCES: [RegExp, string][] = [
  [/^(name|description|slo\[\])$/, "free text"],
  [/\.type$/, "a distribution's type (mapping form)"],
  [
    /(Time|Delay|compute|thinkTime|bootTime|size|Size|\.time)$/,
    "a time or size written as text (a distribution)",
  ],
  [/(^network\.regions\.<\*>\[\]|\.zones?(\[\])?|\.region)$/, "a zone or region"],
  [/(\.pops\[\]|\.shield|faults\[\]\.partition\[\]|faults\[\]\.outage)$/, "a region or zone"],
  [/(\.route|\.undo|\.routes\[\]|\.path|\.method)$/, "a route or its path and method"],
  [/(\.instanceType|\.pricing)$/, "a price catalogue entry"],
  [/\.version$/, "a version's name"],
  [
    /(\.group|\.limit\.name|\.limits\[\]\.name|\.saga\[\]\.name|\.seen\.name|\.mint\.name|\.preferences\.category)$/,
    "a name of its own (group, limit, stage, filter, mint, category)",
  ],
  [/\.fanout\.count$/, "a count (distribution)"],
  [/(\.popularity|\.cacheControl|\.variesBy\[\]|\.vary\[\])$/, "a value in its own grammar"],
  [/(\.headers|\.header)\.<\*>$/, "a header's value"],
  [/^network\.latency\.(\w+|pairs\.<\*>)$/, "a latency (distribution)"],
  [/(\.routing\[\]\.key|\.bindings\[\]\.key)$/, "an AMQP routing key or binding pattern"],
  [/\.presence\.tiers\[\]\.name$/, "a presence tier's own name"],
];
const NOT_REFERENCE_KEYS: [RegExp, string][] = [
  [/^components\.<\*>$/, "the components themselves"],
  [/^network\.(regions|latency\.pairs)\.<\*>$/, "regions, region pairs"],
  [/(headers|header)\.<\*>$/, "header names"],
  [/population\.(regions|tiers)\.<\*>$/, "regions, plans"],
  [/(limit\.tiers|limits\[\]\.tiers|limits\[\]\.cost)\.<\*>$/, "plans, routes"],
  [/\.routes\.<\*>$/, "routes"],
  [/sharding\.(pin|regions|lists)\.<\*>$/, "keys, regions, shard numbers"],
  [/<quorum-store>\.replication\.<\*>$/, "datacenters (regions)"],
  [/^layout\.<\*>$/, "components (layout: a reference field of its own)"],
];

const refPaths = new Set(REFERENCE_FIELDS.filter((f) => !f.key).map((f) => f.path));
const keyPaths = new Set(REFERENCE_FIELDS.filter((f) => f.key).map((f) => f.path));

describe("reference fields", () => {
  const paths = schemaPaths(jsonSchema() as SchemaNode);

  it("every text field of the schema is a reference field or known not to name a component", () => {
    const text = [...new Set(paths.filter((p) => isText(p.node)).map((p) => p.path))];
    const unclassified = text.filter((p) => !refPaths.has(p) && !NOT_REFERENCES.some(([re]) => re.test(p)));
    expect(unclassified).toEqual([]);
    // and no reference field is also excused, nor names a path the schema does not have
    expect(text.filter((p) => refPaths.has(p) && NOT_REFERENCES.some(([re]) => re.test(p)))).toEqual([]);
    expect([...refPaths].filter((p) => !text.includes(p))).toEqual([]);
  });

  it("every free-keyed mapping of the schema is a reference by key or known to be keyed otherwise", () => {
    const keyed = [...new Set(paths.filter((p) => p.record).map((p) => `${p.path}.<*>`))];
    const unclassified = keyed.filter(
      (p) => !keyPaths.has(p) && !NOT_REFERENCE_KEYS.some(([re]) => re.test(p)),
    );
    expect(unclassified).toEqual([]);
    expect([...keyPaths].filter((p) => !keyed.includes(p))).toEqual([]);
  });

  it("names only kinds that exist", () => {
    for (const f of REFERENCE_FIELDS) for (const k of f.kinds) expect(COMPONENT_KINDS).toContain(k);
  });
});

const ENUM_KEYS = new Set(["sessions"]);
const FIELD_NAMES = new Set(
  schemaPaths(jsonSchema() as SchemaNode)
    .map((p) => /(?:^|\.)([A-Za-z]+)$/.exec(p.path)?.[1])
    .filter((k): k is string => k !== undefined),
);

/** Every string value and mapping key inside a component that equals another component's name. */
function namesInside(value: unknown, names: Set<string>, self: string, out: Set<string>): void {
  if (typeof value === "string") {
    if (names.has(value) && value !== self) out.add(value);
  } else if (Array.isArray(value)) for (const v of value) namesInside(v, names, self, out);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      // a fixed field's name (population.users) is not a key naming a component
      if (names.has(k) && k !== self && !FIELD_NAMES.has(k)) out.add(k);
      // an enum's value that happens to be a component's name too (sessions: shared)
      if (!ENUM_KEYS.has(k)) namesInside(v, names, self, out);
    }
}

describe.each(exampleFiles())("$file", ({ file, text }) => {
  const data: unknown = parse(text, { merge: true });
  const graph = designToGraph(data);

  it("is valid, and has a node per component", () => {
    const { design } = loadDesign(text, file);
    expect(graph.nodes.map((n) => n.id).sort()).toEqual(Object.keys(design.components).sort());
    for (const n of graph.nodes) expect(n.kind).toBe(design.components[n.id].kind);
  });

  it("has an edge for every reference, in the direction of the traffic", () => {
    const edges = new Map(graph.edges.map((e) => [e.id, e]));
    for (const ref of referencesOf(data, EDGE_FIELDS)) {
      const [from, to] = ref.field.reverse ? [ref.name, ref.owner] : [ref.owner, ref.name];
      const e = edges.get(`${from}->${to}`);
      expect(e, `${ref.path.join(".")}`).toBeDefined();
      expect(e!.refs).toContainEqual(ref);
      expect(e!.roles).toContain(ref.field.role);
    }
  });

  it("joins every component to each other component it names anywhere in its fields", () => {
    const comps = (data as { components: Record<string, unknown> }).components;
    const names = new Set(Object.keys(comps));
    const pairs = new Set(graph.edges.filter((e) => !e.derived).flatMap((e) => [e.id, `${e.to}->${e.from}`]));
    for (const [name, spec] of Object.entries(comps)) {
      const named = new Set<string>();
      namesInside(spec, names, name, named);
      for (const other of named) expect(pairs, `${name} names ${other}`).toContain(`${name}->${other}`);
    }
  });

  it("groups a component in the zone (or the one region) the design places it in", () => {
    const regions = ((data as { network?: { regions?: Record<string, string[]> } }).network?.regions ??
      {}) as Record<string, string[]>;
    const comps = (data as { components: Record<string, { zone?: string; zones?: string[] }> }).components;
    for (const n of graph.nodes) {
      const zones = comps[n.id].zone ? [comps[n.id].zone!] : (comps[n.id].zones ?? []);
      if (zones.length === 0) expect(n.group).toBeUndefined();
      else if (new Set(zones).size === 1) {
        expect(n.group).toBe(zones[0]);
        expect(regions[n.region!]).toContain(zones[0]);
      } else if (n.group !== undefined) for (const z of zones) expect(regions[n.group]).toContain(z);
      if (n.group) expect(graph.groups.map((g) => g.id)).toContain(n.group);
    }
  });
});
