// Which edges may be drawn from one component to another, and what each one
// writes in the design; when none may, the reason, in the user's terms.
// Directions are the traffic's: a workload to its target, a topic to its
// consumer, a database to the relay reading its outbox.
import type { Document } from "yaml";
import { componentsOf } from "./graph.js";
import type { Kind } from "./references.js";
import { mapAt, setValue } from "./yaml-doc.js";

/** One way of drawing the edge. */
export interface Connection {
  /** the edge's role (as graph.ts labels it) */
  role: string;
  /** what it does, e.g. `api reads db (route GET /item/:id)` */
  label: string;
  /** the component whose fields change */
  owner: string;
  /** writes it into the document */
  apply(doc: Document): void;
}

export type ConnectAnswer = { ok: true; options: Connection[] } | { ok: false; reason: string };

type Data = Record<string, unknown>;
type Comps = Record<string, Data>;
const isMap = (v: unknown): v is Data => v !== null && typeof v === "object" && !Array.isArray(v);

const CALLEES: Kind[] = ["service", "load-balancer", "gateway", "block-store"];
const STORES: Kind[] = ["database", "quorum-store", "multi-leader"];
const STEP_OWNERS: Kind[] = ["service", "consumer"];

/** Where a component's steps are: each service route's list, or a consumer's one list. */
function stepLists(name: string, c: Data): { where: string; path: (string | number)[]; steps: unknown[] }[] {
  if (c.kind === "consumer")
    return [{ where: "", path: ["components", name, "steps"], steps: Array.isArray(c.steps) ? c.steps : [] }];
  const routes = isMap(c.routes) ? c.routes : {};
  return Object.entries(routes).map(([route, steps]) => ({
    where: ` (route ${route})`,
    path: ["components", name, "routes", route],
    steps: Array.isArray(steps) ? steps : [],
  }));
}

const flowStep = (doc: Document, step: Data) => {
  const node = doc.createNode(step);
  node.flow = true;
  return node;
};

/** Appending a step that names `to`, one option per route. */
function stepOptions(comps: Comps, from: string, to: string, role: string, verb: string): Connection[] {
  const lists = stepLists(from, comps[from]);
  if (lists.length === 0)
    return [
      {
        role,
        owner: from,
        label: `${from} ${verb} ${to} (new route "*")`,
        apply: (doc) => setValue(doc, ["components", from, "routes"], { "*": [{ [role]: to }] }),
      },
    ];
  return lists.map((l) => ({
    role,
    owner: from,
    label: `${from} ${verb} ${to}${l.where}`,
    apply: (doc) => {
      if (l.steps.length === 0) setValue(doc, l.path, [{ [role]: to }]);
      else doc.addIn(l.path, flowStep(doc, { [role]: to }));
    },
  }));
}

/** Naming a cache on the read or write steps that have none. */
function cacheOptions(comps: Comps, from: string, to: string): Connection[] {
  const out: Connection[] = [];
  for (const l of stepLists(from, comps[from]))
    l.steps.forEach((s, i) => {
      if (!isMap(s) || s.cache !== undefined) return;
      const store = typeof s.read === "string" ? s.read : typeof s.write === "string" ? s.write : undefined;
      if (store === undefined || comps[store]?.kind === "quorum-store") return;
      const verb = typeof s.read === "string" ? "reads" : "writes";
      out.push({
        role: "cache",
        owner: from,
        label: `${from} ${verb} ${store} through cache ${to}${l.where}`,
        apply: (doc) => setValue(doc, [...l.path, i, "cache"], to),
      });
    });
  return out;
}

const set = (owner: string, role: string, label: string, field: (string | number)[], value: unknown) => ({
  role,
  owner,
  label,
  apply: (doc: Document) => setValue(doc, ["components", owner, ...field], value),
});

/** The options for an edge from a component of one kind to one of another, in the traffic's direction. */
function options(comps: Comps, from: string, to: string): Connection[] {
  const fk = comps[from].kind as Kind;
  const tk = comps[to].kind as Kind;
  const c = comps[from];
  const out: Connection[] = [];
  switch (fk) {
    case "workload":
      if (["dns", "load-balancer", "service", "cdn", "gateway"].includes(tk))
        out.push(set(from, "target", `${from} sends its requests to ${to}`, ["target"], to));
      break;
    case "load-balancer":
      if (tk === "service" || tk === "gateway")
        out.push(set(from, "backend", `${from} balances over ${to}'s instances`, ["backend"], to));
      break;
    case "dns":
      if (["load-balancer", "service", "cdn"].includes(tk))
        out.push({
          role: "endpoint",
          owner: from,
          label: `${from} resolves to ${to}`,
          apply: (doc) => {
            if (Array.isArray(c.endpoints))
              doc.addIn(["components", from, "endpoints"], flowStep(doc, { target: to }));
            else setValue(doc, ["components", from, "endpoints"], [{ target: to }]);
          },
        });
      break;
    case "gateway":
      if (tk === "service" || tk === "load-balancer") {
        const routes = isMap(c.routes) ? c.routes : {};
        if (!("*" in routes))
          out.push(set(from, "route", `${from} sends every other route ("*") to ${to}`, ["routes", "*"], to));
        for (const [route, backend] of Object.entries(routes)) {
          const list = [backend].flat().filter((b): b is string => typeof b === "string");
          if (list.includes(to)) continue;
          out.push(
            set(
              from,
              "route",
              `${from} also calls ${to} for route ${route} (composition)`,
              ["routes", route],
              [...list, to],
            ),
          );
        }
      }
      if (tk === "limiter-store")
        out.push(set(from, "store", `${from} keeps its rate-limit counters in ${to}`, ["store"], to));
      break;
    case "queue":
      if (tk === "queue") {
        const label = `${from} sends messages received too often to ${to} (dead letters)`;
        out.push({
          role: "dead letters",
          owner: from,
          label,
          apply: (doc) => {
            setValue(doc, ["components", from, "deadLetter"], to);
            // a dead-letter queue needs the receive count that sends messages to it
            if (c.maxReceives === undefined) setValue(doc, ["components", from, "maxReceives"], 5);
          },
        });
      }
      if (tk === "consumer") out.push(consume(comps, to, from, "queue"));
      break;
    case "topic":
      if (tk === "consumer") out.push(consume(comps, to, from, "topic"));
      break;
    case "exchange":
      if (tk === "queue")
        out.push({
          role: "binding",
          owner: from,
          label: `${from} routes messages to ${to} (a binding)`,
          apply: (doc) => {
            const bindings = doc.getIn(["components", from, "bindings"]);
            const binding: Record<string, string> = { queue: to };
            // direct and topic exchanges route by key: bind every key until the user narrows it
            const type = String(c.type ?? "direct");
            if (type === "topic") binding.key = "#";
            else if (type === "direct") binding.key = to;
            if (bindings === undefined) setValue(doc, ["components", from, "bindings"], [binding]);
            else doc.addIn(["components", from, "bindings"], doc.createNode(binding, { flow: true }));
          },
        });
      if (tk === "exchange")
        out.push(
          set(from, "alternate", `${from} sends what it cannot route to ${to}`, ["alternateExchange"], to),
        );
      break;
    case "cdn":
      if (tk === "load-balancer" || tk === "service")
        out.push(set(from, "origin", `${from} fetches misses from origin ${to}`, ["origin"], to));
      break;
    case "database":
      if (tk === "relay") out.push(set(to, "relay", `${to} reads ${from}'s outbox`, ["from"], from));
      if (tk === "service")
        out.push({
          role: "directory",
          owner: from,
          label: `${from} looks up each key's shard in directory ${to}`,
          apply: (doc) => {
            const sharding = mapAt(doc, ["components", from, "sharding"]);
            sharding.flow = sharding.items.length === 0 ? true : sharding.flow;
            setValue(doc, ["components", from, "sharding", "strategy"], "directory");
            setValue(doc, ["components", from, "sharding", "directory"], to);
          },
        });
      break;
    case "relay":
      if (tk === "topic") out.push(set(from, "relay", `${from} publishes to ${to}`, ["to"], to));
      break;
    default:
      break;
  }
  if (STEP_OWNERS.includes(fk)) {
    if (CALLEES.includes(tk)) out.push(...stepOptions(comps, from, to, "call", "calls"));
    if (STORES.includes(tk)) {
      out.push(...stepOptions(comps, from, to, "read", "reads"));
      out.push(...stepOptions(comps, from, to, "write", "writes"));
      if (tk === "database") out.push(...stepOptions(comps, from, to, "update", "updates"));
    }
    if (tk === "cache") out.push(...cacheOptions(comps, from, to));
    if (tk === "topic" || tk === "queue" || tk === "exchange")
      out.push(...stepOptions(comps, from, to, "publish", "publishes to"));
    if (tk === "queue")
      out.push(...stepOptions(comps, from, to, "request", "sends requests (and waits for replies) to"));
    if (tk === "realtime") out.push(...stepOptions(comps, from, to, "notify", "notifies clients through"));
    if (fk === "service" && (tk === "cache" || tk === "database"))
      out.push({
        role: "sessions",
        owner: from,
        label: `${from} keeps users' sessions in ${to}`,
        apply: (doc) => {
          setValue(doc, ["components", from, "sessions"], "shared");
          setValue(doc, ["components", from, "sessionStore"], to);
        },
      });
  }
  return out;
}

function consume(comps: Comps, consumer: string, source: string, field: "topic" | "queue"): Connection {
  const other = field === "topic" ? "queue" : "topic";
  return {
    role: "consume",
    owner: consumer,
    label: `${consumer} consumes ${source}`,
    apply: (doc) => {
      setValue(doc, ["components", consumer, field], source);
      // a consumer reads one source: a topic or a queue
      if (comps[consumer][other] !== undefined) doc.deleteIn(["components", consumer, other]);
    },
  };
}

const A = (k: string) => (/^[aeiou]/.test(k) ? `an ${k}` : `a ${k}`);

/** What may be drawn from `from` to `to` (either way round: a consumer dragged to its topic works too). */
export function connectOptions(data: unknown, from: string, to: string): ConnectAnswer {
  const comps = componentsOf(data);
  if (!(from in comps)) return { ok: false, reason: `"${from}" is not a component of this design` };
  if (!(to in comps)) return { ok: false, reason: `"${to}" is not a component of this design` };
  if (from === to) return { ok: false, reason: `a component cannot be connected to itself` };
  const forward = options(comps, from, to);
  if (forward.length) return { ok: true, options: forward };
  const backward = options(comps, to, from);
  if (backward.length) return { ok: true, options: backward };
  return { ok: false, reason: refusal(comps, from, to) };
}

/** The kinds a kind's edges may go to, for the reason an edge is refused. */
export const TARGETS: Record<Kind, Kind[]> = {
  workload: ["dns", "load-balancer", "service", "cdn", "gateway"],
  "load-balancer": ["service", "gateway"],
  dns: ["load-balancer", "service", "cdn"],
  service: [...CALLEES, ...STORES, "cache", "topic", "queue", "exchange", "realtime"],
  consumer: [...CALLEES, ...STORES, "cache", "topic", "queue", "exchange", "realtime"],
  gateway: ["service", "load-balancer", "limiter-store"],
  queue: ["queue", "consumer"],
  exchange: ["queue", "exchange"],
  topic: ["consumer"],
  cdn: ["load-balancer", "service"],
  database: ["relay", "service"],
  relay: ["topic"],
  cache: [],
  "quorum-store": [],
  "multi-leader": [],
  "limiter-store": [],
  "block-store": [],
  realtime: [],
};

const WHY: Partial<Record<Kind, string>> = {
  cache:
    "a cache is named by a service's read or write step (read: db, cache: redis): connect the service to the cache",
  "quorum-store": "a store answers the services and consumers that read and write it; it calls nothing",
  "multi-leader": "a store answers the services and consumers that read and write it; it calls nothing",
  "limiter-store": "a limiter store answers the gateways that keep their counters in it; it calls nothing",
  realtime: "a realtime gateway pushes events to its own clients; services notify it",
  "block-store": "a block store receives the uploads services call it with; it calls nothing",
};

function refusal(comps: Comps, from: string, to: string): string {
  const fk = String(comps[from].kind);
  const tk = String(comps[to].kind);
  const targets = TARGETS[fk as Kind];
  if (targets === undefined) return `"${fk}" is not a component kind`;
  if (targets.includes(tk as Kind) && tk === "cache")
    return `${from} has no read or write step of a database without a cache: connect ${from} to a database first, then to the cache`;
  if (targets.length === 0) return WHY[fk as Kind] ?? `${A(fk)} connects to nothing`;
  return `${A(fk)} connects to ${targets.join(", ")}; not to ${A(tk)}`;
}
