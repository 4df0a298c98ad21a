import { describe, expect, it } from "vitest";
import { DesignError, formatDiagnostic, UnitError } from "../src/design/errors.js";
import { DesignSource, parseOverride } from "../src/design/source.js";

function designError(f: () => unknown): DesignError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DesignError);
    return e as DesignError;
  }
  throw new Error("expected a DesignError");
}

function unitError(f: () => unknown): UnitError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UnitError);
    return e as UnitError;
  }
  throw new Error("expected a UnitError");
}

// line numbers are part of the assertions below: keep this text as it is
const SAMPLE = `# archsim design
name: shortener
components:
  api:
    kind: service
    instances: 3
    routes:
      GET /r/:code:
        time: exp(5ms)
  cache:
    kind: cache
    nodes: [c1, c2, {name: c3, zone: us-east-b}]
workloads:
  - name: readers
    rate: 10k/s
  - name: writers
    rate: 100/s
slo:
  - p99 < 50ms
empty:
`;

describe("DesignSource.parse", () => {
  const src = DesignSource.parse(SAMPLE, "design.yaml");

  it("exposes the document as plain data", () => {
    expect(src.data).toEqual({
      name: "shortener",
      components: {
        api: { kind: "service", instances: 3, routes: { "GET /r/:code": { time: "exp(5ms)" } } },
        cache: { kind: "cache", nodes: ["c1", "c2", { name: "c3", zone: "us-east-b" }] },
      },
      workloads: [
        { name: "readers", rate: "10k/s" },
        { name: "writers", rate: "100/s" },
      ],
      slo: ["p99 < 50ms"],
      empty: null,
    });
    expect(Object.getPrototypeOf(src.data)).toBe(Object.prototype);
    expect(src.file).toBe("design.yaml");
    expect(src.warnings).toEqual([]);
  });

  it.each<[(string | number)[], number, number]>([
    [[], 2, 1],
    [["name"], 2, 7],
    [["components"], 4, 3],
    [["components", "api"], 5, 5],
    [["components", "api", "instances"], 6, 16],
    [["components", "api", "routes", "GET /r/:code", "time"], 9, 15],
    [["components", "cache", "nodes"], 12, 12],
    [["components", "cache", "nodes", 1], 12, 17],
    [["components", "cache", "nodes", 2], 12, 21],
    [["components", "cache", "nodes", 2, "zone"], 12, 38],
    [["workloads", 0], 14, 5],
    [["workloads", 1, "rate"], 17, 11],
    [["workloads", "1", "rate"], 17, 11],
    [["slo", 0], 19, 5],
    // a key with no value: point at the key
    [["empty"], 20, 1],
  ])("locate(%j) = %d:%d", (path, line, col) => {
    expect(src.locate(path)).toEqual({ line, col });
  });

  it.each<[(string | number)[], number, number]>([
    // missing paths point at where the deepest existing ancestor is introduced
    [["components", "api", "timeout"], 4, 3],
    [["components", "db", "kind"], 3, 1],
    [["components", "cache", "nodes", 7], 12, 5],
    [["workloads", 5, "rate"], 13, 1],
    [["workloads", "x"], 13, 1],
    [["components", "api", "instances", "deeper"], 6, 5],
    [["nope"], 2, 1],
  ])("locate(%j) of a missing path = %d:%d", (path, line, col) => {
    expect(src.locate(path)).toEqual({ line, col });
  });

  it("locates map keys for unknown-field errors", () => {
    expect(src.locateKey(["components", "api"], "instances")).toEqual({ line: 6, col: 5 });
    expect(src.locateKey(["components", "cache", "nodes", 2], "zone")).toEqual({ line: 12, col: 32 });
    expect(src.locateKey([], "workloads")).toEqual({ line: 13, col: 1 });
    // not there: where its map is introduced
    expect(src.locateKey(["components", "api"], "instnces")).toEqual({ line: 4, col: 3 });
  });

  it("turns problems into positioned diagnostics", () => {
    expect(
      src.diagnostic({
        path: ["components", "api", "instances"],
        message: "must be a whole number",
        expected: "a count",
      }),
    ).toEqual({
      file: "design.yaml",
      line: 6,
      col: 16,
      path: ["components", "api", "instances"],
      message: "must be a whole number",
      expected: "a count",
    });
    const d = src.diagnostic({
      path: ["components", "api", "kind"],
      message: "unknown field",
      atKey: true,
      suggestion: "x",
    });
    expect([d.line, d.col, d.suggestion]).toEqual([5, 5, "x"]);
  });

  it("handles CRLF line endings and a byte-order mark", () => {
    const s = DesignSource.parse("\uFEFFa: 1\r\nb:\r\n  c: 2\r\n", "crlf.yaml");
    expect(s.data).toEqual({ a: 1, b: { c: 2 } });
    expect(s.locate(["a"])).toEqual({ line: 1, col: 4 });
    expect(s.locate(["b", "c"])).toEqual({ line: 3, col: 6 });
  });

  it("reads JSON with positions", () => {
    const text = '{\n  "name": "x",\n  "components": {\n    "api": { "instances": 3 }\n  }\n}\n';
    const s = DesignSource.parse(text, "design.json");
    expect(s.data).toEqual({ name: "x", components: { api: { instances: 3 } } });
    expect(s.locate(["components", "api", "instances"])).toEqual({ line: 4, col: 27 });
  });

  it("returns null data for an empty file", () => {
    const s = DesignSource.parse("", "empty.yaml");
    expect(s.data).toBeNull();
    expect(s.locate(["anything"])).toEqual({ line: 1, col: 1 });
  });

  it("follows anchors, aliases and merge keys", () => {
    const text = "defaults: &d\n  timeout: 1s\n  retries: 2\napi:\n  <<: *d\n  retries: 5\nweb: *d\n";
    const s = DesignSource.parse(text, "anchors.yaml");
    expect(s.data).toEqual({
      defaults: { timeout: "1s", retries: 2 },
      api: { timeout: "1s", retries: 5 },
      web: { timeout: "1s", retries: 2 },
    });
    // own keys are found where they are written, merged and aliased ones at the anchor
    expect(s.locate(["api", "retries"])).toEqual({ line: 6, col: 12 });
    expect(s.locate(["api", "timeout"])).toEqual({ line: 2, col: 12 });
    expect(s.locate(["web", "retries"])).toEqual({ line: 3, col: 12 });
  });
});

describe("DesignSource.parse errors", () => {
  it("reports a YAML syntax error at its line", () => {
    const e = designError(() => DesignSource.parse("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml"));
    expect(e.diagnostics).toHaveLength(1);
    expect(e.diagnostics[0]).toMatchObject({ file: "bad.yaml", line: 3, col: 1 });
    expect(e.message).toMatch(/^bad\.yaml:3:1: /);
  });

  it("reports bad indentation at its line", () => {
    const e = designError(() =>
      DesignSource.parse("components:\n  api:\n    kind: service\n   instances: 3\n", "i.yaml"),
    );
    expect(e.diagnostics[0].line).toBe(4);
  });

  it("explains tabs used for indentation", () => {
    const e = designError(() => DesignSource.parse("a:\n\tb: 1\n", "tab.yaml"));
    expect(e.diagnostics[0]).toMatchObject({ line: 2, col: 1 });
    expect(e.diagnostics[0].message).toContain("YAML indents with spaces only");
  });

  it("rejects a second document", () => {
    const e = designError(() => DesignSource.parse("a: 1\n---\nb: 2\n", "two.yaml"));
    expect(e.diagnostics[0]).toMatchObject({ line: 2, col: 1 });
    expect(e.diagnostics[0].message).toContain("a design file holds exactly one");
  });

  it("rejects duplicate keys naming both places", () => {
    const text =
      "components:\n  api:\n    kind: service\n  db:\n    kind: database\n  api:\n    kind: cache\n";
    const e = designError(() => DesignSource.parse(text, "dup.yaml"));
    expect(e.diagnostics).toHaveLength(1);
    const d = e.diagnostics[0];
    expect(d).toMatchObject({ file: "dup.yaml", line: 6, col: 3, path: ["components"] });
    expect(d.message).toBe('duplicate key "api": it is already defined at line 2, column 3');
    expect(formatDiagnostic(d)).toContain("dup.yaml:6:3:");
  });

  it("rejects duplicate keys in flow maps and JSON", () => {
    expect(designError(() => DesignSource.parse("a: {x: 1, x: 2}\n", "f.yaml")).diagnostics[0]).toMatchObject(
      {
        line: 1,
        col: 11,
      },
    );
    const e = designError(() => DesignSource.parse('{\n  "a": 1,\n  "a": 2\n}\n', "d.json"));
    expect(e.diagnostics[0]).toMatchObject({ line: 3, col: 3 });
    expect(e.diagnostics[0].message).toContain("line 2, column 3");
  });

  it("reports every duplicate at once", () => {
    const e = designError(() => DesignSource.parse("a: 1\na: 2\nb:\n  - {c: 1, c: 2}\n", "many.yaml"));
    expect(e.diagnostics.map((d) => [d.line, d.path])).toEqual([
      [2, []],
      [4, ["b", 0]],
    ]);
  });

  it("rejects aliases to missing anchors", () => {
    const e = designError(() => DesignSource.parse("a: 1\nb: *nope\n", "alias.yaml"));
    expect(e.diagnostics[0]).toMatchObject({ line: 2, col: 4 });
    expect(e.diagnostics[0].message).toContain("*nope refers to no anchor");
  });

  it("rejects keys that are lists or maps", () => {
    const e = designError(() => DesignSource.parse("? [a, b]\n: 1\n", "k.yaml"));
    expect(e.diagnostics[0].message).toContain("a key must be a plain name");
  });

  it("speaks JSON for broken JSON files", () => {
    const e = designError(() => DesignSource.parse('{\n  "a": 1\n  "b": 2\n}\n', "design.json"));
    expect(e.diagnostics).toHaveLength(1);
    expect(e.diagnostics[0]).toMatchObject({ file: "design.json", line: 3, col: 3 });
    expect(e.diagnostics[0].message).toMatch(/^invalid JSON: /);
    expect(e.diagnostics[0].message).not.toContain("position");
  });

  it("reports an unfinished JSON file at its end", () => {
    const e = designError(() => DesignSource.parse('{\n  "a": [1,\n', "cut.json"));
    expect(e.diagnostics[0].message).toMatch(/^invalid JSON: /);
    expect(e.diagnostics[0].line).toBe(2);
  });

  it("refuses alias bombs instead of expanding them", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const e = designError(() => DesignSource.parse(`${levels.join("\n")}\n`, "bomb.yaml"));
    expect(e.diagnostics[0].message).toContain("cannot read the document");
  });

  it("keeps unknown tags as warnings", () => {
    const s = DesignSource.parse("a: !custom 1\n", "w.yaml");
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toMatchObject({ line: 1, col: 4 });
  });
});

describe("DesignSource.setPath", () => {
  it("replaces a value and keeps other positions", () => {
    const s = DesignSource.parse(SAMPLE, "design.yaml");
    s.setPath(["components", "api", "instances"], 8);
    const data = s.data as { components: { api: { instances: number; kind: string } } };
    expect(data.components.api.instances).toBe(8);
    expect(s.locate(["components", "api", "kind"])).toEqual({ line: 5, col: 11 });
    expect(s.locate(["workloads", 1, "rate"])).toEqual({ line: 17, col: 11 });
    // the new value has no source position: report where its key is
    expect(s.locate(["components", "api", "instances"])).toEqual({ line: 6, col: 5 });
  });

  it("creates intermediate maps", () => {
    const s = DesignSource.parse(SAMPLE, "design.yaml");
    s.setPath(["components", "api", "limits", "cpu"], 2);
    s.setPath(["seed"], 42);
    const data = s.data as Record<string, unknown> & { components: { api: Record<string, unknown> } };
    expect(data.components.api.limits).toEqual({ cpu: 2 });
    expect(data.seed).toBe(42);
    expect(s.locate(["components", "api", "limits", "cpu"])).toEqual({ line: 4, col: 3 });
    expect(s.locate(["components", "api", "routes"])).toEqual({ line: 8, col: 7 });
  });

  it("fills an empty value with a map", () => {
    const s = DesignSource.parse(SAMPLE, "design.yaml");
    s.setPath(["empty", "x"], "y");
    expect((s.data as { empty: unknown }).empty).toEqual({ x: "y" });
  });

  it("indexes into sequences", () => {
    const s = DesignSource.parse(SAMPLE, "design.yaml");
    s.setPath(["workloads", "0", "rate"], "20k/s");
    s.setPath(["slo", "1"], "availability > 99.9%");
    const data = s.data as { workloads: { rate: string }[]; slo: string[] };
    expect(data.workloads[0].rate).toBe("20k/s");
    expect(data.slo).toEqual(["p99 < 50ms", "availability > 99.9%"]);
    expect(() => s.setPath(["workloads", "9", "rate"], 1)).toThrow(/not one of its positions/);
    expect(() => s.setPath(["workloads", "first", "rate"], 1)).toThrow(UnitError);
  });

  it("sets structured values", () => {
    const s = DesignSource.parse(SAMPLE, "design.yaml");
    s.setPath(["components", "cache", "nodes"], ["a", "b"]);
    s.setPath(["components", "db"], { kind: "database" });
    const data = s.data as { components: Record<string, Record<string, unknown>> };
    expect(data.components.cache.nodes).toEqual(["a", "b"]);
    expect(data.components.db).toEqual({ kind: "database" });
  });

  it("refuses to descend into a scalar", () => {
    const s = DesignSource.parse(SAMPLE, "design.yaml");
    const e = unitError(() => s.setPath(["name", "first"], "x"));
    expect(e.message).toBe('cannot set name.first: name is "shortener", not a map');
    expect(() => s.setPath([], 1)).toThrow(UnitError);
  });

  it("changes only the aliased place, not every user of the anchor", () => {
    const text = "defaults: &d\n  timeout: 1s\n  limits: {cpu: 1}\napi:\n  <<: *d\nweb: *d\n";
    const s = DesignSource.parse(text, "anchors.yaml");
    s.setPath(["web", "timeout"], "2s");
    s.setPath(["api", "limits", "cpu"], 4);
    expect(s.data).toEqual({
      defaults: { timeout: "1s", limits: { cpu: 1 } },
      api: { timeout: "1s", limits: { cpu: 4 } },
      web: { timeout: "2s", limits: { cpu: 1 } },
    });
  });

  it("starts a map in an empty document", () => {
    const s = DesignSource.parse("# nothing yet\n", "e.yaml");
    s.setPath(["a", "b"], 1);
    expect(s.data).toEqual({ a: { b: 1 } });
  });

  it("writes the overridden document back as YAML with comments", () => {
    const s = DesignSource.parse("# keep me\na: 1 # and me\n", "c.yaml");
    s.setPath(["a"], 2);
    expect(s.toString()).toContain("# keep me");
    expect(DesignSource.parse(s.toString(), "again.yaml").data).toEqual({ a: 2 });
  });
});

describe("parseOverride", () => {
  it.each<[string, string[], unknown]>([
    ["components.api.instances=8", ["components", "api", "instances"], 8],
    ["seed=1e3", ["seed"], 1000],
    ["a.b=true", ["a", "b"], true],
    ["a=250ms", ["a"], "250ms"],
    ["a=10k/s", ["a"], "10k/s"],
    ["a=[a, b]", ["a"], ["a", "b"]],
    ["a={x: 1}", ["a"], { x: 1 }],
    ["a=null", ["a"], null],
    ['a=""', ["a"], ""],
    ["a='quoted text'", ["a"], "quoted text"],
    ["slo.0=p99 < 50ms", ["slo", "0"], "p99 < 50ms"],
    ["a = 3", ["a"], 3],
    ["a=http://x:80/y", ["a"], "http://x:80/y"],
    ["a=#fff", ["a"], "#fff"],
    ["a=x: y", ["a"], "x: y"],
    ["a=exp(5ms)", ["a"], "exp(5ms)"],
    ['components."my.svc".instances=3', ["components", "my.svc", "instances"], 3],
    ["components.'a=b'.x=1", ["components", "a=b", "x"], 1],
    ['a."say \\"hi\\"".b=1', ["a", 'say "hi"', "b"], 1],
  ])("%s", (arg, path, value) => {
    expect(parseOverride(arg)).toEqual({ path, value });
  });

  it.each<[string, string, string | undefined]>([
    ["components.api.instances", 'no "=" between the path and the value', undefined],
    ["=5", "the path is empty", undefined],
    ["a..b=1", "empty name between dots", undefined],
    ["a.=1", "the path ends with a dot", undefined],
    ["a=", 'no value after "="', 'a=""'],
    ['a."b=1', 'unterminated " in the path', undefined],
    ['a."b"c=1', 'unexpected "c"', undefined],
    ["a=[1, 2", "cannot read the value", 'a="[1, 2"'],
    ["a=*ref", "cannot read the value", 'a="*ref"'],
  ])("rejects %s", (arg, message, suggestion) => {
    const e = unitError(() => parseOverride(arg));
    expect(e.message).toContain(message);
    expect(e.suggestion).toBe(suggestion);
    expect(e.expected.length).toBeGreaterThan(0);
  });

  it("rejected paths say what an override looks like", () => {
    expect(unitError(() => parseOverride("oops")).expected).toContain("path=value");
  });

  it("feeds setPath", () => {
    const s = DesignSource.parse(SAMPLE, "design.yaml");
    const { path, value } = parseOverride("components.cache.nodes=[x, y]");
    s.setPath(path, value);
    expect((s.data as { components: { cache: { nodes: string[] } } }).components.cache.nodes).toEqual([
      "x",
      "y",
    ]);
  });
});
