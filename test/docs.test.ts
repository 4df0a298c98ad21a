// The documentation is checked against the program, so neither can drift:
// - docs/design-file.md documents exactly the fields of the design schema
//   (derived from its JSON Schema), with "required" exactly where the schema
//   requires a field, and every complete design it shows is valid;
// - docs/report.md mentions every field of a real JSON report and every
//   outcome cause.
//
// Doc format relied on: in docs/design-file.md, a field table is a Markdown
// table whose first header cell is "Field"; each of its rows starts with the
// field's path as a single code span, e.g. `components.<service>.instances`.
// Paths use `.` between names and `[]` for "each item of a list". A
// placeholder `<kind>` (a component kind) stands for a component of that kind;
// any other placeholder (`<route>`, `<region>`, ...) stands for a key of a
// free-form mapping. The "Default" column starts with "required" exactly for
// required fields. Other tables (headers other than "Field") are prose.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CAUSES } from "../src/components/outcomes.js";
import { loadDesign } from "../src/design/load.js";
import { jsonSchema } from "../src/design/schema.js";
import { runDesign } from "../src/run.js";
import { runText } from "./support/run.js";

interface SchemaNode {
  type?: string | string[];
  const?: unknown;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
}

const ANY_KEY = "<*>";

/** An object whose keys the schema fixes (zod strictObject). */
const isClosed = (n: SchemaNode): boolean => n.properties !== undefined && n.additionalProperties === false;

/** A record: free keys, all with the same kind of value. */
const recordValue = (n: SchemaNode): SchemaNode | undefined =>
  n.properties === undefined &&
  typeof n.additionalProperties === "object" &&
  Object.keys(n.additionalProperties).length > 0
    ? n.additionalProperties
    : undefined;

const alternatives = (n: SchemaNode): SchemaNode[] => n.anyOf ?? n.oneOf ?? [];

/** The tag of each alternative when every one is a closed object with a constant string field (`kind`). */
function discriminants(options: SchemaNode[]): string[] | undefined {
  if (options.length < 2 || !options.every(isClosed)) return undefined;
  const tags = options.map(
    (o) => Object.values(o.properties ?? {}).find((p) => typeof p.const === "string")?.const,
  );
  return tags.every((t): t is string => typeof t === "string") ? tags : undefined;
}

interface SchemaFields {
  /** path -> whether the field is required in every alternative that has it */
  fields: Map<string, boolean>;
  /** placeholders that name a kind of record entry, e.g. <service> */
  kinds: Set<string>;
}

/**
 * Every field a design can contain, from the JSON Schema: each property of a
 * closed object, and each entry of a record whose values are not objects
 * themselves (such as `network.regions.<*>`). Objects that accept any key
 * besides a few (the mapping form of a distribution) are values, not field
 * groups: their grammar is documented with the distributions.
 */
function schemaFields(schema: SchemaNode): SchemaFields {
  const fields = new Map<string, boolean>();
  const kinds = new Set<string>();
  const add = (path: string, required: boolean) => {
    const before = fields.get(path);
    fields.set(path, before === undefined ? required : before && required);
  };
  const walk = (n: SchemaNode, path: string): void => {
    for (const o of alternatives(n)) walk(o, path);
    if (n.properties) {
      if (!isClosed(n)) return;
      for (const [k, v] of Object.entries(n.properties)) {
        const p = path ? `${path}.${k}` : k;
        add(p, (n.required ?? []).includes(k));
        walk(v, p);
      }
      return;
    }
    if (n.items) walk(n.items, `${path}[]`);
    const value = recordValue(n);
    if (value) {
      const options = alternatives(value);
      const tags = discriminants(options);
      if (tags) {
        options.forEach((o, i) => {
          kinds.add(tags[i]);
          walk(o, `${path}.<${tags[i]}>`);
        });
        return;
      }
      const objects = options.length ? options.every(isClosed) : isClosed(value);
      if (!objects) add(`${path}.${ANY_KEY}`, false);
      walk(value, `${path}.${ANY_KEY}`);
    }
  };
  walk(schema, "");
  return { fields, kinds };
}

/** Cells of a Markdown table row; `\|` escapes a bar inside a cell. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

interface DocField {
  path: string;
  required: boolean;
  line: number;
}

/** The rows of every table headed "Field", outside code blocks. */
function documentedFields(markdown: string): { rows: DocField[]; malformed: string[] } {
  const rows: DocField[] = [];
  const malformed: string[] = [];
  const lines = markdown.split("\n");
  let fenced = false;
  let header: string[] | null = null;
  lines.forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced || !line.trim().startsWith("|")) {
      header = null;
      return;
    }
    const row = cells(line);
    if (header === null) {
      header = row;
      return;
    }
    if (header[0] !== "Field" || row.every((c) => /^:?-+:?$/.test(c))) return;
    const m = /^`([^`]+)`$/.exec(row[0]);
    if (!m) {
      malformed.push(`line ${i + 1}: ${line}`);
      return;
    }
    const d = header.indexOf("Default");
    rows.push({ path: m[1], required: d >= 0 && /^required\b/.test(row[d] ?? ""), line: i + 1 });
  });
  return { rows, malformed };
}

/** `<route>` and other free-key placeholders become `<*>`; component kinds stay. */
function normalise(path: string, kinds: Set<string>): string {
  return path.replace(/<([^>]+)>/g, (all, name: string) => (kinds.has(name) ? all : ANY_KEY));
}

function yamlBlocks(markdown: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const re = /^```ya?ml\n([\s\S]*?)^```/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown))
    out.push({ text: m[1], line: markdown.slice(0, m.index).split("\n").length });
  return out;
}

const designDoc = readFileSync("docs/design-file.md", "utf8");
const reportDoc = readFileSync("docs/report.md", "utf8");

describe("docs/design-file.md", () => {
  const { fields, kinds } = schemaFields(jsonSchema() as SchemaNode);
  const { rows, malformed } = documentedFields(designDoc);
  const documented = new Map(rows.map((r) => [normalise(r.path, kinds), r]));

  it("derives the fields from the schema", () => {
    // a walker that found nothing would make the checks below pass vacuously
    expect(kinds).toEqual(
      new Set([
        "workload",
        "dns",
        "load-balancer",
        "service",
        "cache",
        "database",
        "quorum-store",
        "multi-leader",
        "cdn",
        "topic",
        "consumer",
        "queue",
        "exchange",
        "gateway",
        "limiter-store",
        "block-store",
        "realtime",
        "relay",
      ]),
    );
    for (const p of [
      "duration",
      "network.regions.<*>",
      "components.<service>.instances",
      "components.<service>.routes.<*>[].compute",
      "components.<workload>.arrival.rate",
      "faults[].link.from",
      "slo",
    ])
      expect(fields.has(p), p).toBe(true);
    expect(fields.get("duration")).toBe(true);
    expect(fields.get("seed")).toBe(false);
  });

  it("writes every field table row as a path in a code span", () => {
    expect(malformed).toEqual([]);
    expect(rows.length).toBeGreaterThan(50);
  });

  it("documents every field of the schema", () => {
    const missing = [...fields.keys()].filter((p) => !documented.has(p));
    expect(missing).toEqual([]);
  });

  it("documents no field the schema does not have", () => {
    const unknown = rows
      .filter((r) => !fields.has(normalise(r.path, kinds)))
      .map((r) => `line ${r.line}: ${r.path}`);
    expect(unknown).toEqual([]);
  });

  it("documents each field once", () => {
    const seen = new Map<string, number>();
    const twice: string[] = [];
    for (const r of rows) {
      const p = normalise(r.path, kinds);
      if (seen.has(p)) twice.push(`${r.path} (lines ${seen.get(p)} and ${r.line})`);
      else seen.set(p, r.line);
    }
    expect(twice).toEqual([]);
  });

  it('marks exactly the required fields "required"', () => {
    const wrong = rows
      .filter((r) => fields.has(normalise(r.path, kinds)))
      .filter((r) => fields.get(normalise(r.path, kinds)) !== r.required)
      .map((r) => `line ${r.line}: ${r.path} should ${r.required ? "not " : ""}be marked required`);
    expect(wrong).toEqual([]);
  });

  const designs = yamlBlocks(designDoc).filter((b) => /^components:/m.test(b.text));
  it("shows complete designs", () => {
    expect(designs.length).toBeGreaterThanOrEqual(3);
  });
  for (const block of designs)
    it(`has a valid design in the yaml block at line ${block.line}`, () => {
      const loaded = loadDesign(block.text, `docs/design-file.md:${block.line}`);
      expect(Object.keys(loaded.design.components).length).toBeGreaterThan(0);
    });
});

describe("docs/report.md", () => {
  // every name written in a code span, split at dots, brackets, spaces and colons
  const mentioned = new Set<string>();
  for (const m of reportDoc.matchAll(/`([^`\n]+)`/g)) {
    mentioned.add(m[1]);
    for (const part of m[1].split(/[.\s[\]()=,]+/)) if (part) mentioned.add(part);
  }
  const unmentioned = (keys: string[], where: string) =>
    keys.filter((k) => !mentioned.has(k)).map((k) => `${where}.${k}`);

  // hello.yaml, with its instance killed early enough that the 5 s run sees
  // failures, a health-check ejection and an error series
  const file = "examples/hello.yaml";
  const report = runDesign(loadDesign(readFileSync(file, "utf8"), file, ["faults.0.at=1s"]), {
    durationMs: 5000,
  });
  const json = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
  const obj = (v: unknown) => v as Record<string, unknown>;
  const keys = (v: unknown) => Object.keys(obj(v));

  it("mentions every top-level field and the fields of archsim, requests, latencyMs and engine", () => {
    expect([
      ...unmentioned(keys(json), "report"),
      ...unmentioned(keys(json.archsim), "archsim"),
      ...unmentioned(keys(json.requests), "requests"),
      ...unmentioned(keys(json.latencyMs), "latencyMs"),
      ...unmentioned(keys(json.engine), "engine"),
    ]).toEqual([]);
  });

  it("mentions every field of a route entry", () => {
    const routes = Object.values(obj(json.routes));
    expect(routes.length).toBeGreaterThan(0);
    const missing = routes.flatMap((r) => [
      ...unmentioned(keys(r), "routes.<route>"),
      ...unmentioned(keys(obj(r).requests), "routes.<route>.requests"),
      ...unmentioned(keys(obj(r).latencyMs), "routes.<route>.latencyMs"),
    ]);
    expect(missing).toEqual([]);
  });

  it("mentions every field of each component kind's report", () => {
    const components = Object.values(obj(json.components)).map(obj);
    const seenKinds = new Set(components.map((c) => String(c.kind)));
    expect(seenKinds).toEqual(new Set(["load-balancer", "service", "cache", "database"]));
    const missing: string[] = [];
    for (const c of components) {
      const at = `components.<${String(c.kind)}>`;
      if (!mentioned.has(String(c.kind))) missing.push(`kind ${String(c.kind)}`);
      missing.push(...unmentioned(keys(c), at));
      if (c.latencyMs) missing.push(...unmentioned(keys(c.latencyMs), `${at}.latencyMs`));
      if (c.series) missing.push(...unmentioned(keys(c.series), `${at}.series`));
      for (const p of Object.values(obj(c.pools ?? {}))) missing.push(...unmentioned(keys(p), `${at}.pools`));
      for (const e of (c.healthEvents ?? []) as unknown[])
        missing.push(...unmentioned(keys(e), `${at}.healthEvents[]`));
    }
    expect(missing).toEqual([]);
    // the run above exercised the nested lists too
    const lb = components.find((c) => c.kind === "load-balancer")!;
    expect((lb.healthEvents as unknown[]).length).toBeGreaterThan(0);
  });

  it("mentions the fields of faults, slo and series entries", () => {
    const faults = json.faults as unknown[];
    const slo = json.slo as unknown[];
    expect(faults.length).toBeGreaterThan(0);
    expect(slo.length).toBeGreaterThan(0);
    const series = keys(json.series).map((k) => k.replace(/^errors:.*/, "errors:<cause>"));
    expect(series).toContain("errors:<cause>");
    expect([
      ...faults.flatMap((f) => unmentioned(keys(f), "faults[]")),
      ...slo.flatMap((s) => unmentioned(keys(s), "slo[]")),
      ...unmentioned(series, "series"),
    ]).toEqual([]);
  });

  it("mentions every field of an autoscaled service's fleet", () => {
    const f = "examples/resilience/autoscaling-spike.yaml";
    const run = runDesign(loadDesign(readFileSync(f, "utf8"), f), { durationMs: 150_000 });
    const svc = obj(obj(JSON.parse(JSON.stringify(run)).components)["fast-boot"]);
    const at = "components.<service>";
    const capacity = obj(svc.capacity);
    const autoscaling = obj(capacity.autoscaling);
    const events = autoscaling.events as unknown[];
    expect(events.length).toBeGreaterThan(0);
    expect([
      ...unmentioned(keys(svc), at),
      ...unmentioned(keys(svc.series), `${at}.series`),
      ...unmentioned(keys(capacity), `${at}.capacity`),
      ...unmentioned(keys(autoscaling), `${at}.capacity.autoscaling`),
      ...events.flatMap((e) => unmentioned(keys(e), `${at}.capacity.autoscaling.events[]`)),
    ]).toEqual([]);
    const v = "examples/resilience/vertical-scaling.yaml";
    const resized = JSON.parse(
      JSON.stringify(runDesign(loadDesign(readFileSync(v, "utf8"), v), { durationMs: 200_000 })),
    );
    const resize = obj(obj(obj(obj(resized.components).fleet).capacity).resize);
    expect(resize.finishedAt).toBeNull();
    const f2 = "examples/resilience/discovery.yaml";
    const found = JSON.parse(
      JSON.stringify(runDesign(loadDesign(readFileSync(f2, "utf8"), f2), { durationMs: 70_000 })),
    );
    const client = obj(obj(found.components)["client-side"]);
    expect(unmentioned(keys(client.discovery), `${at}.discovery`)).toEqual([]);
    const f3 = "examples/resilience/sessions.yaml";
    const sess = JSON.parse(
      JSON.stringify(runDesign(loadDesign(readFileSync(f3, "utf8"), f3), { durationMs: 5_000 })),
    );
    for (const name of ["sticky-memory", "shared"])
      expect(unmentioned(keys(obj(obj(sess.components)[name]).sessions), `${at}.sessions`)).toEqual([]);
    const c = "examples/resilience/canary.yaml";
    const deployed = JSON.parse(
      JSON.stringify(runDesign(loadDesign(readFileSync(c, "utf8"), c), { durationMs: 150_000 })),
    );
    const capacity2 = obj(obj(obj(deployed.components)["canary-bad"]).capacity);
    const deployments = capacity2.deployments as Record<string, unknown>[];
    const versions = Object.values(obj(capacity2.versions)).map(obj);
    expect(deployments[0].abortReason).not.toBeNull();
    expect([
      ...deployments.flatMap((d) => unmentioned(keys(d), `${at}.capacity.deployments[]`)),
      ...deployments.flatMap((d) =>
        (d.events as unknown[]).flatMap((e) => unmentioned(keys(e), `${at}.capacity.deployments[].events[]`)),
      ),
      ...versions.flatMap((v) => unmentioned(keys(v), `${at}.capacity.versions.<version>`)),
      ...versions.flatMap((v) =>
        unmentioned(keys(v.latencyMs), `${at}.capacity.versions.<version>.latencyMs`),
      ),
    ]).toEqual([]);
    expect([
      ...unmentioned(keys(resize), `${at}.capacity.resize`),
      ...unmentioned(keys(resize.to), `${at}.capacity.resize.to`),
    ]).toEqual([]);
  });

  it("mentions every field of a caller's calls and of a guarded workload", () => {
    // one design that uses every part of a call policy, so every key appears
    const text = `
duration: 20s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 300/s }
    routes: [{ route: GET /a, priority: low }, { route: GET /b, priority: critical }]
    client: { timeout: 150ms, retry: { attempts: 2, budget: 10% }, propagateDeadline: true }
  api:
    kind: service
    instances: 2
    concurrency: 8
    queue: 20
    shedding: { low: 50% }
    routes: { "*": [{ compute: exp(1ms) }, { call: backend }] }
    calls:
      backend:
        timeout: 30ms
        retry: { attempts: 3, backoff: { base: 5ms, jitter: decorrelated }, budget: { ratio: 20%, window: 5s } }
        breaker: { window: 10, open: 1s, probes: 2 }
        bulkhead: 4
        fallback: true
  backend: { kind: service, instances: 1, concurrency: 4, queue: 50, routes: { "*": [{ compute: exp(10ms) }] } }
faults:
  - { slow: backend, by: 40ms, at: 5s, for: 5s }
  - { slow: api, by: 100ms, at: 14s, for: 3s }
`;
    const rep = JSON.parse(JSON.stringify(runText(text))) as Record<string, unknown>;
    const comps = obj(rep.components);
    const api = obj(comps.api);
    const users = obj(comps.users);
    const g = obj(obj(api.calls).backend);
    const breaker = obj(g.breaker);
    expect((breaker.transitions as unknown[]).length).toBeGreaterThan(0);
    expect(g.fallbacks).toBeGreaterThan(0);
    expect(api.shed).toBeGreaterThan(0);
    expect(api.expired).toBeGreaterThan(0);
    expect(rep.series).toHaveProperty("degraded");
    expect([
      ...unmentioned(keys(api), "components.<service>"),
      ...unmentioned(keys(users), "components.<workload>"),
      ...unmentioned(keys(g), "calls.<dependency>"),
      ...unmentioned(keys(obj(obj(users.calls).api)), "calls.<dependency>"),
      ...unmentioned(keys(breaker), "calls.<dependency>.breaker"),
      ...(breaker.transitions as unknown[]).flatMap((t) => unmentioned(keys(t), "breaker.transitions[]")),
      ...unmentioned(keys(g.series), "calls.<dependency>.series"),
      ...unmentioned(
        keys(rep.series).filter((k) => !k.startsWith("errors:")),
        "series",
      ),
      ...unmentioned(keys(obj(obj(rep.requests))), "requests"),
    ]).toEqual([]);
  });

  it("mentions every field of a replicated database's report", () => {
    const f = "examples/data/failover.yaml";
    const run = runDesign(loadDesign(readFileSync(f, "utf8"), f), { durationMs: 35_000 });
    const rep = JSON.parse(JSON.stringify(run)) as Record<string, unknown>;
    const db = obj(obj(rep.components)["orders-async"]);
    const at = "components.<database>";
    const replication = obj(db.replication);
    const failover = obj(db.failover);
    const events = failover.events as unknown[];
    // the run reached a completed failover, so every event field is filled in
    expect(obj(events[0]).discoveredAtMs).not.toBeNull();
    const series = keys(db.series).map((k) => k.replace(/:\d+$/, ":<node>"));
    const consistency = obj(rep.consistency);
    expect([
      ...unmentioned(keys(db), at),
      ...unmentioned(series, `${at}.series`),
      ...unmentioned(keys(db.consistency), `${at}.consistency`),
      ...unmentioned(keys(replication), `${at}.replication`),
      ...(replication.nodes as unknown[]).flatMap((n) => unmentioned(keys(n), `${at}.replication.nodes[]`)),
      ...unmentioned(keys(failover), `${at}.failover`),
      ...events.flatMap((e) => unmentioned(keys(e), `${at}.failover.events[]`)),
      ...unmentioned(keys(consistency), "consistency"),
      ...Object.values(obj(consistency.byRoute)).flatMap((c) => unmentioned(keys(c), "consistency.byRoute")),
    ]).toEqual([]);
  });

  it("mentions every field of a sharded database's report", () => {
    const f = "examples/data/sharding.yaml";
    const run = runDesign(loadDesign(readFileSync(f, "utf8"), f), { durationMs: 32_000 });
    const db = obj(obj(JSON.parse(JSON.stringify(run)).components)["users-ring"]);
    const at = "components.<database>";
    const sharding = obj(db.sharding);
    expect(sharding.resharding).not.toBeNull();
    const series = keys(db.series).map((k) => k.replace(/:\d+$/, ":<shard>"));
    expect([
      ...unmentioned(keys(db), at),
      ...unmentioned(series, `${at}.series`),
      ...unmentioned(keys(sharding), `${at}.sharding`),
      ...unmentioned(keys(sharding.requestImbalance), `${at}.sharding.requestImbalance`),
      ...unmentioned(keys(sharding.resharding), `${at}.sharding.resharding`),
    ]).toEqual([]);
  });

  it("mentions every field of a database's idempotency report", () => {
    const f = "examples/resilience/payments-idempotency.yaml";
    const run = runDesign(loadDesign(readFileSync(f, "utf8"), f), { durationMs: 16_000 });
    const db = obj(obj(JSON.parse(JSON.stringify(run)).components)["ledger-check-then-insert"]);
    const at = "components.<database>";
    expect([
      ...unmentioned(keys(db), at),
      ...unmentioned(keys(db.series), `${at}.series`),
      ...unmentioned(keys(db.idempotency), `${at}.idempotency`),
    ]).toEqual([]);
  });

  it("mentions every field of a quorum store's report", () => {
    const f = "examples/data/cap-partition.yaml";
    const run = runDesign(loadDesign(readFileSync(f, "utf8"), f), { durationMs: 45_000 });
    const store = obj(obj(JSON.parse(JSON.stringify(run)).components).carts);
    const at = "components.<quorum-store>";
    expect(store.kind).toBe("quorum-store");
    expect(mentioned.has("quorum-store")).toBe(true);
    expect([
      ...unmentioned(keys(store), at),
      ...unmentioned(keys(store.series), `${at}.series`),
      ...unmentioned(keys(store.consistency), `${at}.consistency`),
      ...(store.nodes as unknown[]).flatMap((n) => unmentioned(keys(n), `${at}.nodes[]`)),
    ]).toEqual([]);
  });

  it("mentions every field of a multi-leader store's report", () => {
    const f = "examples/data/multi-leader.yaml";
    const run = JSON.parse(
      JSON.stringify(runDesign(loadDesign(readFileSync(f, "utf8"), f), { durationMs: 5_000 })),
    );
    const at = "components.<multi-leader>";
    expect(mentioned.has("multi-leader")).toBe(true);
    const missing: string[] = [];
    for (const name of ["docs-lww", "docs-vv", "likes-crdt"]) {
      const store = obj(obj(run.components)[name]);
      missing.push(
        ...unmentioned(keys(store), at),
        ...unmentioned(keys(store.series), `${at}.series`),
        ...unmentioned(keys(store.consistency), `${at}.consistency`),
        ...(store.nodes as unknown[]).flatMap((n) => unmentioned(keys(n), `${at}.nodes[]`)),
      );
    }
    expect(missing).toEqual([]);
  });

  it("mentions every field of a cache's report, with its strategies and defences", () => {
    const at = "components.<cache>";
    const missing: string[] = [];
    let caches = 0;
    for (const f of [
      "examples/cache/strategies.yaml",
      "examples/cache/thundering-herd.yaml",
      "examples/cache/penetration.yaml",
    ]) {
      const run = JSON.parse(
        JSON.stringify(runDesign(loadDesign(readFileSync(f, "utf8"), f), { durationMs: 12_000 })),
      );
      for (const c of Object.values(obj(run.components)).map(obj)) {
        if (c.kind !== "cache") continue;
        caches++;
        missing.push(...unmentioned(keys(c), at), ...unmentioned(keys(c.series), `${at}.series`));
        for (const group of ["readThrough", "writeThrough", "writeBehind", "stampede", "negative", "bloom"])
          if (c[group]) missing.push(...unmentioned(keys(c[group]), `${at}.${group}`));
      }
    }
    expect(caches).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });

  it("mentions every field of a DNS name's report", () => {
    const f = "examples/edge/multi-region.yaml";
    const run = JSON.parse(JSON.stringify(runDesign(loadDesign(readFileSync(f, "utf8"), f))));
    const dns = obj(obj(run.components)["dns-ttl60"]);
    const at = "components.<dns>";
    expect(dns.kind).toBe("dns");
    expect(mentioned.has("dns")).toBe(true);
    const failovers = dns.failovers as unknown[];
    const events = dns.healthEvents as unknown[];
    // the run went through an outage, its detection and the recovery
    expect(failovers.length).toBeGreaterThan(0);
    expect(events.length).toBeGreaterThan(1);
    const series = keys(dns.series).map((k) => k.replace(/^(requests|errors):.*/, "$1:<region>"));
    expect([
      ...unmentioned(keys(dns), at),
      ...unmentioned(series, `${at}.series`),
      ...Object.values(obj(dns.endpoints)).flatMap((e) => unmentioned(keys(e), `${at}.endpoints`)),
      ...events.flatMap((e) => unmentioned(keys(e), `${at}.healthEvents[]`)),
      ...failovers.flatMap((e) => unmentioned(keys(e), `${at}.failovers[]`)),
    ]).toEqual([]);
  });

  it("describes every outcome cause", () => {
    expect(unmentioned([...CAUSES], "cause")).toEqual([]);
  });
});
