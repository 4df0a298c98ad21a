// Canvas edits on the design's YAML: the text stays the user's (comments and
// formatting kept), every edit leaves a valid design valid or is refused with
// a reason, and edits undone by their inverse give the design back.
import fc from "fast-check";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { DesignError } from "../src/design/errors.js";
import { loadDesign } from "../src/design/load.js";
import { COMPONENT_KINDS } from "../src/design/schema.js";
import { connectOptions } from "../src/studio/connect.js";
import { type Edit, applyEdit, applyEdits, problemsOf } from "../src/studio/edit.js";
import { designToGraph } from "../src/studio/graph.js";
import { type Kind, referencesOf } from "../src/studio/references.js";
import { parseDoc, printDoc, sameData } from "../src/studio/yaml-doc.js";
import { exampleFiles } from "./support/examples.js";

const examples = exampleFiles();
const data = (text: string): Record<string, unknown> => parse(text, { merge: true });
const comments = (text: string) =>
  text
    .split("\n")
    .map((l) => /#(?!\S*["']).*$/.exec(l)?.[0]?.trim())
    .filter((c): c is string => !!c && !/^#\s*$/.test(c));

describe("the YAML document", () => {
  it.each(examples)("$file prints back meaning the same, with its comments and style", ({ text }) => {
    const out = printDoc(parseDoc(text));
    expect(sameData(data(out), data(text))).toBe(true);
    for (const c of comments(text)) expect(out).toContain(c);
    // flow mappings and lists keep the house style
    // (a comment line may be re-indented to its mapping's level)
    const lines = (t: string) =>
      t.split("\n").map((l) => (/^\s*#/.test(l) ? l.trim() : l.replace(/\s+#.*$/, "").trimEnd()));
    expect(lines(out)).toEqual(lines(text));
  });
});

const hello = examples.find((e) => e.file.endsWith("hello.yaml"))!.text;

describe("edits of hello.yaml", () => {
  it("adds a component of every kind with minimal valid settings and a unique name", () => {
    for (const kind of COMPONENT_KINDS) {
      const r = applyEdit(hello, { op: "add", kind });
      if (!r.ok) {
        // only kinds that need a component hello has not got are refused, and they say which
        expect(["relay", "consumer", "exchange"]).toContain(kind);
        expect(r.reason).toMatch(/needs (a database|a topic|a queue)/);
        continue;
      }
      expect(r.name).toBe(kind === "database" || kind === "cache" ? `${kind}` : kind);
      expect(problemsOf(r.text)).toBeNull();
      expect(data(r.text).components).toHaveProperty([r.name!, "kind"], kind);
      // the rest of the text is untouched
      expect(
        r.text.startsWith(
          hello.slice(0, hello.indexOf("faults:")).trimEnd().split("\n").slice(0, -1).join("\n"),
        ),
      );
    }
    const twice = applyEdits(hello, [
      { op: "add", kind: "service" },
      { op: "add", kind: "service" },
    ]);
    expect(twice.ok && Object.keys(data(twice.text).components as object)).toEqual(
      expect.arrayContaining(["service", "service-2"]),
    );
  });

  it("renames a component and every reference to it, keeping comments", () => {
    const r = applyEdit(hello, { op: "rename", from: "api", to: "items" });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const d = data(r.text) as {
      components: Record<string, Record<string, unknown>>;
      faults: { kill: string }[];
    };
    expect(d.components.lb.backend).toBe("items");
    expect(d.faults[0].kill).toBe("items");
    expect(Object.keys(d.components)).toEqual(["users", "lb", "items", "redis", "db"]);
    for (const c of comments(hello)) expect(r.text).toContain(c);
    expect(r.text).not.toMatch(/\bapi\b(?!nstance)/);
    expect(applyEdit(hello, { op: "rename", from: "api", to: "db" })).toMatchObject({ ok: false });
  });

  it("refuses to delete a component others need, with the reason, and deletes one whose references can go", () => {
    const api = applyEdit(hello, { op: "delete", name: "api" });
    expect(api).toMatchObject({ ok: false });
    expect(!api.ok && api.reason).toMatch(/lb/);
    const redis = applyEdit(hello, { op: "delete", name: "redis" });
    expect(redis.ok).toBe(true);
    if (!redis.ok) return;
    expect(redis.text).not.toMatch(/redis/);
    expect(problemsOf(redis.text)).toBeNull();
    // the read and write steps stay, without their cache
    const steps = (data(redis.text).components as Record<string, { routes: Record<string, object[]> }>).api
      .routes;
    expect(steps["GET /item/:id"]).toEqual([{ compute: "exp(2ms)" }, { read: "db" }]);
  });

  it("moves a component: positions live in the layout, which the simulation ignores", () => {
    const r = applyEdits(hello, [
      { op: "move", name: "api", x: 120.4, y: 80 },
      { op: "move", name: "db", x: 300, y: 80 },
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(data(r.text).layout).toEqual({ api: { x: 120, y: 80 }, db: { x: 300, y: 80 } });
    expect(designToGraph(data(r.text)).nodes.find((n) => n.id === "api")?.position).toEqual({
      x: 120,
      y: 80,
    });
    const a = loadDesign(r.text, "a.yaml").design;
    const b = loadDesign(hello, "b.yaml").design;
    expect({ ...a, layout: undefined }).toEqual({ ...b, layout: undefined });
  });

  it("validates layout names, suggesting the component meant", () => {
    const text = `${hello}\nlayout:\n  apii: { x: 1, y: 2 }\n`;
    try {
      loadDesign(text, "d.yaml");
      expect.unreachable();
    } catch (e) {
      const d = (e as DesignError).diagnostics[0];
      expect(d.message).toMatch(/layout places "apii"/);
      expect(d.suggestion).toBe("api");
      expect(d.line).toBe(text.split("\n").findIndex((l) => l.includes("apii")) + 1);
    }
  });

  it("connects what the schema allows, the way the design writes it, and refuses the rest with a reason", () => {
    const added = applyEdit(hello, { op: "add", kind: "service", name: "audit" });
    expect(added.ok).toBe(true);
    if (!added.ok) return;
    const call = applyEdit(added.text, { op: "connect", from: "api", to: "audit" });
    expect(call.ok).toBe(true);
    if (!call.ok) return;
    const routes = (data(call.text).components as Record<string, { routes: Record<string, object[]> }>).api
      .routes;
    expect(routes["GET /item/:id"].at(-1)).toEqual({ call: "audit" });
    expect(call.text).toMatch(/- \{ call: audit \}/);
    const lb = applyEdit(added.text, { op: "connect", from: "lb", to: "audit" });
    expect(lb.ok && (data(lb.text).components as Record<string, { backend: string }>).lb.backend).toBe(
      "audit",
    );
    const refused = connectOptions(data(hello), "redis", "db");
    expect(refused).toMatchObject({ ok: false });
    expect(!refused.ok && refused.reason).toMatch(/read or write step/);
    const workloadToDb = connectOptions(data(hello), "users", "db");
    expect(!workloadToDb.ok && workloadToDb.reason).toMatch(/a workload connects to dns, load-balancer/);
    // drawn the other way round, the edge is still the consumer's
    expect(connectOptions(data(hello), "api", "users")).toMatchObject({ ok: true });
  });

  it("binds an exchange to a queue, and a service publishes to the exchange", () => {
    const ex = examples.find((e) => e.file.endsWith("messaging/exchanges.yaml"))!.text;
    const comps = data(ex).components as Record<string, { kind: string; bindings?: { queue: string }[] }>;
    const exchange = Object.keys(comps).find((n) => comps[n].kind === "exchange")!;
    const queue = Object.keys(comps).find((n) => comps[n].kind === "queue")!;
    const withQueue = applyEdit(ex, { op: "add", kind: "queue", name: "audit-log" });
    expect(withQueue.ok).toBe(true);
    if (!withQueue.ok) return;
    const bound = applyEdit(withQueue.text, { op: "connect", from: exchange, to: "audit-log" });
    expect(bound.ok).toBe(true);
    if (!bound.ok) return;
    const after = data(bound.text).components as typeof comps;
    expect(after[exchange].bindings!.map((b) => b.queue)).toContain("audit-log");
    expect(after[exchange].bindings!.map((b) => b.queue)).toContain(queue);
    const refused = connectOptions(
      data(ex),
      exchange,
      Object.keys(comps).find((n) => comps[n].kind === "workload")!,
    );
    expect(refused.ok).toBe(false);
  });

  it("unbinds an exchange from a queue as a whole binding, but never its last", () => {
    const ex = examples.find((e) => e.file.endsWith("messaging/exchanges.yaml"))!.text;
    const bindingsOf = (t: string, x: string) =>
      (data(t).components as Record<string, { bindings: { queue: string }[] }>)[x].bindings.map(
        (b) => b.queue,
      );
    // broadcast (fanout) binds cache-a, cache-b and cache-c: the edge to cache-b is its binding
    const cut = applyEdit(ex, { op: "disconnect", from: "broadcast", to: "cache-b" });
    expect(cut.ok).toBe(true);
    if (!cut.ok) return;
    expect(bindingsOf(cut.text, "broadcast")).toEqual(["cache-a", "cache-c"]);
    expect(loadDesign(cut.text, "cut.yaml").design.components["cache-b"]).toBeDefined();
    // a queue deleted (with its consumer first) takes its binding with it
    const noConsumer = applyEdit(cut.text, { op: "delete", name: "invalidate-c" });
    const gone = noConsumer.ok ? applyEdit(noConsumer.text, { op: "delete", name: "cache-c" }) : noConsumer;
    expect(gone.ok && bindingsOf(gone.text, "broadcast")).toEqual(["cache-a"]);
    // payments binds only card-payments: the exchange would be bound to nothing
    const last = applyEdit(ex, { op: "disconnect", from: "payments", to: "card-payments" });
    expect(last).toMatchObject({ ok: false });
    expect(!last.ok && last.reason).toMatch(/payments's only bindings are to card-payments/);
  });

  it("sets and unsets properties in place, refusing values that would break the design", () => {
    const set = applyEdit(hello, { op: "set", name: "api", path: ["instances"], value: 5 });
    // (the one change printing makes: the spaces before a comment at the end of a line)
    const printed = printDoc(parseDoc(hello));
    expect(set.ok && set.text).toBe(printed.replace("instances: 3", "instances: 5"));
    const bad = applyEdit(hello, { op: "set", name: "api", path: ["instances"], value: "lots" });
    expect(bad).toMatchObject({ ok: false });
    expect(!bad.ok && bad.reason).toMatch(/instances/);
    const unset = applyEdit(hello, { op: "unset", name: "lb", path: ["tls"] });
    expect(unset.ok && unset.text).toBe(printed.replace("    tls: true\n", ""));
  });
});

// ---------- properties over every example ----------

/** `after` holds everything `before` does, unchanged (lists may have grown at the end). */
function onlyAdds(before: unknown, after: unknown): boolean {
  if (Array.isArray(before))
    return (
      Array.isArray(after) && after.length >= before.length && before.every((v, i) => onlyAdds(v, after[i]))
    );
  if (before && typeof before === "object")
    return (
      !!after &&
      typeof after === "object" &&
      !Array.isArray(after) &&
      Object.entries(before).every(
        ([k, v]) => k in after && onlyAdds(v, (after as Record<string, unknown>)[k]),
      )
    );
  return sameData(before, after);
}

const names = (text: string) => Object.keys(data(text).components as object);

/** An edit drawn against the design as it is now. */
function editArb(text: string): fc.Arbitrary<Edit> {
  const ns = names(text);
  const name = fc.constantFrom(...ns);
  return fc.oneof(
    fc.record({
      op: fc.constant("add" as const),
      kind: fc.constantFrom(...(COMPONENT_KINDS as readonly Kind[])),
    }),
    fc.record({ op: fc.constant("delete" as const), name }),
    fc.record({
      op: fc.constant("rename" as const),
      from: name,
      to: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
    }),
    fc.record({ op: fc.constant("connect" as const), from: name, to: name, option: fc.nat(3) }),
    fc.record({ op: fc.constant("disconnect" as const), from: name, to: name }),
    fc.record({
      op: fc.constant("move" as const),
      name,
      x: fc.integer({ min: -2000, max: 2000 }),
      y: fc.integer(),
    }),
    fc.record({
      op: fc.constant("set" as const),
      name,
      path: fc.constantFrom<(string | number)[]>(
        ["instances"],
        ["concurrency"],
        ["queue"],
        ["zone"],
        ["ttl"],
        ["capacity"],
      ),
      value: fc.oneof(fc.integer({ min: -2, max: 50 }), fc.constantFrom("5s", "10k", "unbounded", "local-a")),
    }),
  );
}

describe("edit properties", () => {
  it("every edit of a valid design yields a valid design or is refused with a reason", () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(...examples)
          .chain((ex) =>
            fc.tuple(
              fc.constant(ex),
              fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
              fc.infiniteStream(fc.nat()),
            ),
          ),
        fc.integer(),
        ([ex, steps], seed) => {
          let text = ex.text;
          for (const [i] of steps.entries()) {
            const [edit] = fc.sample(editArb(text), { numRuns: 1, seed: seed + i });
            const r = applyEdit(text, edit);
            if (!r.ok) {
              expect(r.reason.length, JSON.stringify(edit)).toBeGreaterThan(10);
              continue;
            }
            expect(problemsOf(r.text), `${ex.file} ${JSON.stringify(edit)}`).toBeNull();
            expect(r.invalid).toBeUndefined();
            text = r.text;
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("an edit undone by its inverse gives the design back", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.nat(),
        fc.nat(),
        fc.stringMatching(/^[a-z]{1,6}$/),
        (ex, i, j, fresh) => {
          const ns = names(ex.text);
          const a = ns[i % ns.length];
          const b = ns[j % ns.length];
          // rename and back: the very same text
          if (!ns.includes(fresh)) {
            const there = applyEdits(ex.text, [
              { op: "rename", from: a, to: fresh },
              { op: "rename", from: fresh, to: a },
            ]);
            expect(there.ok && there.text).toBe(printDoc(parseDoc(ex.text)));
          }
          // add and delete: the same design
          const kind = COMPONENT_KINDS[(i + j) % COMPONENT_KINDS.length];
          const added = applyEdit(ex.text, { op: "add", kind });
          if (added.ok) {
            const back = applyEdit(added.text, { op: "delete", name: added.name! });
            expect(back.ok && sameData(data(back.text), data(ex.text))).toBe(true);
          }
          // connect a pair not connected yet, then disconnect: the same design (unless refused)
          const g = designToGraph(data(ex.text));
          const joined = g.edges.some((e) => (e.from === a && e.to === b) || (e.from === b && e.to === a));
          if (!joined && a !== b) {
            const c = applyEdit(ex.text, { op: "connect", from: a, to: b });
            // (a connection that replaces one, such as a workload's new target, is not undone by removing it)
            if (c.ok && onlyAdds(data(ex.text), data(c.text))) {
              const d = applyEdit(c.text, { op: "disconnect", from: a, to: b });
              expect(d.ok, !d.ok ? d.reason : "").toBe(true);
              if (d.ok) {
                // a dead-letter connection also sets the receive count that feeds it; it stays
                // when the queue is disconnected (messages are then dropped after that many)
                const undone = data(d.text) as { components: Record<string, Record<string, unknown>> };
                const before = data(ex.text) as { components: Record<string, Record<string, unknown>> };
                if (before.components[a]?.maxReceives === undefined) delete undone.components[a]?.maxReceives;
                expect(undone).toEqual(before);
              }
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("design -> graph -> edits -> YAML -> design: the graph after a rename is the same graph, renamed", () => {
    for (const ex of examples) {
      const ns = names(ex.text);
      const from = ns[ns.length - 1];
      const r = applyEdit(ex.text, { op: "rename", from, to: "renamed-x" });
      expect(r.ok, ex.file).toBe(true);
      if (!r.ok) continue;
      const map = (n: string) => (n === from ? "renamed-x" : n);
      const before = designToGraph(data(ex.text));
      const after = designToGraph(data(r.text));
      expect(after.edges.map((e) => `${e.from}->${e.to}:${e.roles.join(",")}`).sort()).toEqual(
        before.edges.map((e) => `${map(e.from)}->${map(e.to)}:${e.roles.join(",")}`).sort(),
      );
      expect(referencesOf(data(r.text)).map((x) => x.name)).not.toContain(from === "renamed-x" ? "" : from);
      const d1 = loadDesign(r.text, "a.yaml").design;
      expect(Object.keys(d1.components)).toContain("renamed-x");
    }
  });
});
