// Canvas edits applied to the design's YAML, which stays the one source of
// truth: each edit changes the document in place (comments and formatting
// kept) and yields the new text. An edit that would turn a valid design into
// an invalid one is refused with the reason instead; a design that is not
// valid yet (being written) is edited as asked, so it can be built up.
import type { Document } from "yaml";
import { isMap as isYamlMap, isSeq } from "yaml";
import { DesignError } from "../design/errors.js";
import { loadDesign } from "../design/load.js";
import { COMPONENT_KINDS } from "../design/schema.js";
import { connectOptions } from "./connect.js";
import { componentsOf, designToGraph } from "./graph.js";
import { type Kind, type Reference, referencesOf } from "./references.js";
import { flowInner, mapAt, parseDoc, printDoc, renameKey, setValue } from "./yaml-doc.js";

export type Edit =
  | { op: "add"; kind: Kind; name?: string; at?: { x: number; y: number } }
  | { op: "delete"; name: string }
  | { op: "rename"; from: string; to: string }
  /** `option`: the index among connectOptions' options (default the first) */
  | { op: "connect"; from: string; to: string; option?: number }
  | { op: "disconnect"; from: string; to: string }
  | { op: "set"; name: string; path: (string | number)[]; value: unknown }
  | { op: "unset"; name: string; path: (string | number)[] }
  | { op: "move"; name: string; x: number; y: number };

export type EditResult =
  | {
      ok: true;
      text: string;
      /** the component the edit is about (an added one's new name) */
      name?: string;
      /** the new design does not validate (it did not before either) */
      invalid?: string;
    }
  | { ok: false; reason: string };

type Data = Record<string, unknown>;
const isMap = (v: unknown): v is Data => v !== null && typeof v === "object" && !Array.isArray(v);

/** The design's problems as one line each, or null when it is valid. */
export function problemsOf(text: string): string | null {
  try {
    loadDesign(text, "design.yaml");
    return null;
  } catch (e) {
    if (e instanceof DesignError)
      return e.diagnostics
        .map(
          (d) =>
            `${d.path.length ? `${d.path.join(".")}: ` : ""}${d.message}${d.hint ? ` (${d.hint})` : d.expected ? ` (expected ${d.expected})` : ""}`,
        )
        .join("; ");
    return (e as Error).message;
  }
}

/** Applies one edit to the design's text. */
export function applyEdit(text: string, edit: Edit): EditResult {
  let doc: Document.Parsed;
  try {
    doc = parseDoc(text);
  } catch (e) {
    return { ok: false, reason: `the YAML cannot be read: ${(e as Error).message}` };
  }
  if (doc.errors.length) return { ok: false, reason: `fix the YAML first: ${doc.errors[0].message}` };
  const data: unknown = doc.toJS();
  const before = problemsOf(text);
  let name: string | undefined;
  try {
    const refused = change(doc, data, edit);
    if (typeof refused === "string") return { ok: false, reason: refused };
    name = refused?.name;
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  let out: string;
  try {
    out = printDoc(doc);
  } catch (e) {
    // e.g. deleting the component whose anchor (&defaults) others reuse with *defaults
    return { ok: false, reason: `the YAML would not be valid: ${(e as Error).message}` };
  }
  const after = problemsOf(out);
  if (after !== null && before === null)
    return { ok: false, reason: `the design would not be valid: ${after}` };
  return {
    ok: true,
    text: out,
    ...(name !== undefined ? { name } : {}),
    ...(after ? { invalid: after } : {}),
  };
}

/** Applies edits in turn, stopping at the first refusal. */
export function applyEdits(text: string, edits: Edit[]): EditResult {
  let result: EditResult = { ok: true, text };
  for (const e of edits) {
    if (!result.ok) return result;
    result = applyEdit(result.text, e);
  }
  return result;
}

function change(doc: Document, data: unknown, edit: Edit): string | { name?: string } | void {
  const comps = componentsOf(data);
  const known = (n: string) => (n in comps ? null : `"${n}" is not a component of this design`);
  switch (edit.op) {
    case "add":
      return add(doc, data, edit.kind, edit.name, edit.at);
    case "delete":
      return known(edit.name) ?? remove(doc, data, edit.name);
    case "rename":
      return known(edit.from) ?? rename(doc, data, edit.from, edit.to);
    case "connect": {
      const answer = connectOptions(data, edit.from, edit.to);
      if (!answer.ok) return answer.reason;
      const option = answer.options[edit.option ?? 0];
      if (!option) return `there are ${answer.options.length} ways to connect ${edit.from} to ${edit.to}`;
      option.apply(doc);
      return { name: option.owner };
    }
    case "disconnect":
      return known(edit.from) ?? known(edit.to) ?? disconnect(doc, data, edit.from, edit.to);
    case "set":
      if (known(edit.name)) return known(edit.name)!;
      if (edit.path.length === 0 || edit.path[0] === "kind")
        return "a component's kind cannot be changed: add a component of the other kind";
      setValue(doc, ["components", edit.name, ...edit.path], edit.value);
      return { name: edit.name };
    case "unset":
      if (known(edit.name)) return known(edit.name)!;
      if (edit.path.length === 0 || edit.path[0] === "kind") return "a component's kind cannot be removed";
      doc.deleteIn(["components", edit.name, ...edit.path]);
      return { name: edit.name };
    case "move": {
      if (known(edit.name)) return known(edit.name)!;
      if (!Number.isFinite(edit.x) || !Number.isFinite(edit.y)) return "a position needs finite x and y";
      mapAt(doc, ["layout"]);
      const node = doc.createNode({ x: Math.round(edit.x), y: Math.round(edit.y) });
      node.flow = true;
      doc.setIn(["layout", edit.name], node);
      return { name: edit.name };
    }
  }
}

// ---------- add ----------

/** A free name for a new component of a kind: `service`, `service-2`, ... */
export function freshName(data: unknown, base: string): string {
  const comps = componentsOf(data);
  if (!(base in comps)) return base;
  for (let i = 2; ; i++) if (!(`${base}-${i}` in comps)) return `${base}-${i}`;
}

/** The smallest valid settings of each kind, naming the first fitting component when it needs one. */
export function defaultsFor(kind: Kind, data: unknown): Data | string {
  const comps = componentsOf(data);
  const first = (kinds: string[]) => Object.keys(comps).find((n) => kinds.includes(String(comps[n].kind)));
  const needs = (what: string, kinds: string[]): string | undefined =>
    first(kinds) ?? `${A(kind)} needs ${what}: add ${kinds.map(A).join(" or ")} first`;
  const named = (v: string | undefined, f: (n: string) => Data): Data | string =>
    v === undefined ? "" : v.includes(" ") ? v : f(v);
  switch (kind) {
    case "workload":
      return named(needs("a target", ["load-balancer", "gateway", "dns", "cdn", "service"]), (target) => ({
        target,
        arrival: { process: "poisson", rate: "100/s" },
        routes: [{ route: routeFor(comps, target) }],
      }));
    case "load-balancer":
      return named(needs("a backend", ["service", "gateway"]), (backend) => ({ backend }));
    case "dns":
      return named(needs("an endpoint", ["load-balancer", "service", "cdn"]), (target) => ({
        endpoints: [{ target }],
      }));
    case "service":
      return { instances: 1, concurrency: 4, routes: { "*": [{ compute: "exp(5ms)" }] } };
    case "cache":
      return { capacity: "10k" };
    case "cdn":
      return named(needs("an origin", ["load-balancer", "service"]), (origin) => ({ origin }));
    case "gateway":
      return named(needs("a backend", ["service", "load-balancer"]), (b) => ({ routes: { "*": b } }));
    case "consumer":
      return named(needs("a topic or queue to read", ["topic", "queue"]), (source) => ({
        [String(comps[source].kind)]: source,
        steps: [{ compute: "exp(1ms)" }],
      }));
    case "realtime":
      return { model: "websocket", clients: 1000 };
    case "exchange":
      return named(needs("a queue to route to", ["queue"]), (queue) => ({
        type: "fanout",
        bindings: [{ queue }],
      }));
    case "relay": {
      const from = needs("a database", ["database"]);
      const to = needs("a topic", ["topic"]);
      if (from?.includes(" ")) return from;
      if (to?.includes(" ")) return to;
      return { from, to };
    }
    case "database":
    case "quorum-store":
    case "multi-leader":
    case "topic":
    case "queue":
    case "limiter-store":
    case "block-store":
      return {};
    default:
      return `unknown component kind "${String(kind)}"`;
  }
}

/** A route the target serves: its first named route, else a workload's, else GET /. */
function routeFor(comps: Record<string, Data>, target: string): string {
  const routes = comps[target]?.routes;
  const own = isMap(routes) ? Object.keys(routes).find((r) => r !== "*") : undefined;
  if (own) return own;
  for (const c of Object.values(comps))
    if (
      c.kind === "workload" &&
      Array.isArray(c.routes) &&
      isMap(c.routes[0]) &&
      typeof c.routes[0].route === "string"
    )
      return c.routes[0].route;
  return "GET /";
}

function add(
  doc: Document,
  data: unknown,
  kind: Kind,
  wanted: string | undefined,
  at: { x: number; y: number } | undefined,
): string | { name: string } {
  if (!(COMPONENT_KINDS as readonly string[]).includes(kind))
    return `unknown component kind "${String(kind)}"`;
  const name = wanted ?? freshName(data, kind);
  if (name.trim() === "") return "a component needs a name";
  if (name in componentsOf(data)) return `there is already a component named "${name}"`;
  const spec = defaultsFor(kind, data);
  if (typeof spec === "string") return spec;
  const components = mapAt(doc, ["components"]);
  const node = doc.createNode({ kind, ...spec });
  flowInner(node, 0);
  components.set(doc.createNode(name), node);
  if (at) {
    mapAt(doc, ["layout"]);
    const pos = doc.createNode({ x: Math.round(at.x), y: Math.round(at.y) });
    pos.flow = true;
    doc.setIn(["layout", name], pos);
  }
  return { name };
}

// ---------- rename ----------

function rename(doc: Document, data: unknown, from: string, to: string): string | { name: string } {
  if (to.trim() === "") return "a component needs a name";
  if (to === from) return { name: to };
  if (to in componentsOf(data)) return `there is already a component named "${to}"`;
  for (const ref of referencesOf(data)) {
    if (ref.name !== from) continue;
    if (ref.field.key) renameKey(doc, ref.path.slice(0, -1), from, to);
    else setValue(doc, ref.path, to);
  }
  renameKey(doc, ["components"], from, to);
  return { name: to };
}

// ---------- delete and disconnect ----------

/** The steps' naming keys: removing the name removes the step. */
const STEP_KEYS = new Set(["call", "read", "write", "update", "transaction", "publish", "notify"]);

/**
 * How a reference goes away: the path to delete (the field, or the list item
 * or mapping entry it lives in), or why it cannot.
 */
function removal(ref: Reference, data: unknown): (string | number)[] | string {
  const p = ref.path;
  const last = p[p.length - 1];
  if (ref.field.key) return p;
  if (ref.field.path.endsWith(".bindings[].queue")) {
    // an exchange's binding goes as a whole, unless it would leave the exchange bound to nothing
    const owner = ref.owner ?? "";
    const bindings = componentsOf(data)[owner]?.bindings;
    const others = Array.isArray(bindings)
      ? bindings.filter((b) => (b as { queue?: unknown } | null)?.queue !== ref.name).length
      : 0;
    if (others > 0) return p.slice(0, -1);
    return `${owner}'s only bindings are to ${ref.name}: bind ${owner} to another queue first, or delete ${owner}`;
  }
  if (ref.field.required) {
    const owner = ref.owner ?? "";
    if (ref.field.path.endsWith("routes.<*>")) return p; // the route goes with its only backend
    return `${owner}'s ${String(last)} is ${ref.name}: connect ${owner} to another first, or delete ${owner}`;
  }
  if (p[0] === "faults") return p.slice(0, 2);
  if (typeof last === "number") return p; // an item of a list of names
  if (typeof last === "string" && STEP_KEYS.has(last)) return p.slice(0, -1);
  if (last === "target" || (last === "backend" && p.includes("rules"))) return p.slice(0, -1);
  // shared sessions without their store are an error: the service goes back to no sessions
  if (last === "sessionStore") return p.slice(0, -1).concat("sessions");
  return p;
}

/** Deletes paths, later list items first so that earlier indices stay right, then empties left behind. */
function deletePaths(doc: Document, paths: (string | number)[][]): void {
  const key = (p: (string | number)[]) => p.map(String).join("\u0000");
  const unique = [...new Map(paths.map((p) => [key(p), p])).values()];
  unique.sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] === b[i]) continue;
      if (typeof a[i] === "number" && typeof b[i] === "number") return (b[i] as number) - (a[i] as number);
      return String(a[i]) < String(b[i]) ? -1 : 1;
    }
    return b.length - a.length;
  });
  for (const p of unique) {
    doc.deleteIn(p);
    pruneEmpty(doc, p.slice(0, -1));
  }
}

/** A step list, saga, route or policy mapping left empty goes too (the schema wants at least one item). */
function pruneEmpty(doc: Document, path: (string | number)[]): void {
  if (path.length < 3) return;
  const node = doc.getIn(path, true);
  const empty = (isSeq(node) || isYamlMap(node)) && node.items.length === 0;
  if (!empty) return;
  const last = path[path.length - 1];
  const parentKey = path[path.length - 2];
  // emptied: a route's steps, a saga's stages (then its step), the calls policies, a consumer's steps
  if (
    parentKey === "routes" ||
    last === "saga" ||
    last === "calls" ||
    last === "steps" ||
    last === "endpoints"
  ) {
    doc.deleteIn(path);
    pruneEmpty(doc, path.slice(0, -1));
  } else if (typeof last === "number" && isYamlMap(node)) {
    doc.deleteIn(path);
    pruneEmpty(doc, path.slice(0, -1));
  }
}

function remove(doc: Document, data: unknown, name: string): string | { name: string } {
  const paths: (string | number)[][] = [];
  const reasons: string[] = [];
  for (const ref of referencesOf(data)) {
    if (ref.name !== name || ref.owner === name) continue;
    const r = removal(ref, data);
    if (typeof r === "string") reasons.push(r);
    else paths.push(r, ...(r.at(-1) === "sessions" ? [ref.path] : []));
  }
  if (reasons.length) return `${name} cannot be deleted: ${reasons.join("; ")}`;
  paths.push(["components", name]);
  deletePaths(doc, paths);
  return { name };
}

function disconnect(doc: Document, data: unknown, from: string, to: string): string | { name: string } {
  const graph = designToGraph(data);
  const edge =
    graph.edges.find((e) => e.id === `${from}->${to}`) ?? graph.edges.find((e) => e.id === `${to}->${from}`);
  if (!edge) return `${from} and ${to} are not connected`;
  if (edge.refs.length === 0)
    return `this edge follows from the steps that name both ${edge.from} and ${edge.to}: remove the cache from those steps`;
  const paths: (string | number)[][] = [];
  const reasons: string[] = [];
  for (const ref of edge.refs) {
    const r = removal(ref, data);
    if (typeof r === "string") reasons.push(r);
    else paths.push(r, ...(r.at(-1) === "sessions" ? [ref.path] : []));
  }
  if (reasons.length) return reasons.join("; ");
  // a call policy for a dependency no longer called would be an error
  const owner = edge.refs[0].owner!;
  const callee = owner === edge.from ? edge.to : edge.from;
  const calls = componentsOf(data)[owner]?.calls;
  if (isMap(calls) && callee in calls) paths.push(["components", owner, "calls", callee]);
  deletePaths(doc, paths);
  return { name: owner };
}

const A = (k: string) => (/^[aeiou]/.test(k) ? `an ${k}` : `a ${k}`);

/** The edits a canvas offers for a kind, used by the palette. */
export const PALETTE: readonly Kind[] = COMPONENT_KINDS;
