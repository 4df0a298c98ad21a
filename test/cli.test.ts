// The archsim command as a user meets it: the built binary, real files, exit
// codes, and bad input answered with located messages, never a stack trace.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

function archsim(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/archsim.js", ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const STACK = /^\s+at\s/m;

describe("archsim run", () => {
  it("runs the hello example and prints a summary", () => {
    const r = archsim("run", "examples/hello.yaml");
    expect(r.err).not.toMatch(STACK);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/GET \/item\/:id/);
    expect(r.out).toMatch(/hit ratio/);
    expect(r.out).toMatch(/kill api\[1\]/);
    expect(r.out).toMatch(/p99 < 100ms\s+\S+\s+pass/);
  });

  it("tells a cache cluster's ejections in the summary", () => {
    const r = archsim("run", "examples/cache/node-failure.yaml", "--duration", "35s");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/cache-ring .*1 node ejected/);
  });

  it("--json prints the documented report", () => {
    const r = archsim("run", "examples/hello.yaml", "--json", "--duration", "5s", "--seed", "3");
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.seed).toBe(3);
    expect(rep.durationMs).toBe(5000);
    for (const k of [
      "design",
      "requests",
      "latencyMs",
      "throughputPerSec",
      "routes",
      "components",
      "slo",
      "engine",
    ])
      expect(rep).toHaveProperty(k);
    const q = rep.requests;
    expect(q.total).toBe(q.ok + q.failed + q.inFlight);
    // every request, in flight or not, belongs to exactly one route
    const routes = Object.values(rep.routes) as { requests: typeof q }[];
    expect(routes.reduce((s, r) => s + r.requests.total, 0)).toBe(q.total);
    expect(routes.reduce((s, r) => s + r.requests.inFlight, 0)).toBe(q.inFlight);
    for (const r of routes) expect(r.requests.inFlight).toBeGreaterThanOrEqual(0);
    expect(rep.components.redis.kind).toBe("cache");
    expect(rep.components.redis.hitRatio).toBeGreaterThan(0);
  });

  it("--set overrides fields, with the component shorthand", () => {
    const a = JSON.parse(
      archsim("run", "examples/hello.yaml", "--json", "--duration", "5s", "--set", "api.instances=5").out,
    );
    expect(a.components.api.instances).toBe(5);
    const b = JSON.parse(
      archsim(
        "run",
        "examples/hello.yaml",
        "--json",
        "--duration",
        "5s",
        "--set",
        "components.api.instances=2",
      ).out,
    );
    expect(b.components.api.instances).toBe(2);
  });

  it("exits 1 when an SLO fails", () => {
    const r = archsim("run", "examples/hello.yaml", "--duration", "5s", "--set", "slo=[p50 < 1ms]");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL/);
  });

  it("stops a runaway run at its event budget with a message and exit code 3", () => {
    const r = archsim("run", "examples/hello.yaml", "--max-events", "20000");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/event budget/);
    expect(r.err).not.toMatch(STACK);
  });

  it("stops at its wall-clock budget too", () => {
    const r = archsim("run", "examples/hello.yaml", "--duration", "20000s", "--max-wall", "200ms");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/wall-clock budget/);
    const rep = r.out;
    expect(rep).toMatch(/stopped early by the wall-budget/);
  });

  it("rejects bad options without a stack trace", () => {
    for (const args of [
      ["run", "no-such-file.yaml"],
      ["run", "examples/hello.yaml", "--seed", "abc"],
      ["run", "examples/hello.yaml", "--duration", "-3s"],
      ["run", "examples/hello.yaml", "--duration", "400d"],
      ["run", "examples/hello.yaml", "--duration", "3 fortnights"],
      ["run", "examples/hello.yaml", "--set", "nonsense"],
      ["run", "examples/hello.yaml", "--set", "apii.instances=3"],
      ["frobnicate"],
    ]) {
      const r = archsim(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err).not.toMatch(STACK);
      expect(r.err.length).toBeGreaterThan(0);
    }
  });
});

describe("archsim validate", () => {
  it("accepts every example", () => {
    const files = [
      "examples/hello.yaml",
      "examples/lb-algorithms.yaml",
      ...readdirSync("examples/theory").map((f) => `examples/theory/${f}`),
    ];
    for (const f of files) {
      const r = archsim("validate", f);
      expect(r.code, `${f}: ${r.err}`).toBe(0);
    }
  });

  it("reads JSON designs as well, with JSON positions in errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "archsim-"));
    const design = parse(readFileSync("examples/hello.yaml", "utf8"));
    const good = join(dir, "hello.json");
    writeFileSync(good, JSON.stringify(design, null, 2));
    expect(archsim("validate", good).code).toBe(0);
    const r = JSON.parse(archsim("run", good, "--json", "--duration", "3s").out);
    expect(r.requests.total).toBeGreaterThan(500);
    design.components.api.instnaces = 2;
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify(design, null, 2));
    const b = archsim("validate", bad);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/bad\.json:\d+:\d+: unknown field "instnaces"/);
  });

  const cases: [string, RegExp, RegExp | null][] = [
    ["malformed", /malformed\.yaml:4:1: /, null],
    ["unknown-kind", /unknown-kind\.yaml:13:11: unknown component kind "servce"/, /did you mean service\?/],
    ["unknown-field", /unknown-field\.yaml:10:5: unknown field "instnaces"/, /did you mean instances\?/],
    ["dangling", /dangling\.yaml:8:\d+: backend "apii" is not a component/, /did you mean api\?/],
    ["negative-rate", /negative-rate\.yaml:6:\d+: .*negative/, /expected: a rate/],
    ["zero-capacity", /zero-capacity\.yaml:12:\d+: capacity must be greater than zero/, null],
    ["absurd-duration", /absurd-duration\.yaml:1:11: duration .* longer than the 30 days/, null],
    ["cycle", /cycle\.yaml:15:\d+: call cycle: a -> b -> a/, null],
  ];
  for (const [name, message, hint] of cases)
    it(`reports ${name} with its location`, () => {
      const r = archsim("validate", `test/fixtures/bad/${name}.yaml`);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      if (hint) expect(r.err).toMatch(hint);
      expect(r.err).not.toMatch(STACK);
    });
});

describe("archsim schema", () => {
  it("prints the JSON Schema of the design file", () => {
    const r = archsim("schema");
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.$schema).toMatch(/json-schema/);
    expect(Object.keys(s.properties)).toEqual(
      expect.arrayContaining(["duration", "components", "faults", "slo"]),
    );
  });
});

describe("archsim doc", () => {
  const doc = (value: string) =>
    `<!-- runs\nh: examples/hello.yaml --set duration=5s\n-->\nrate <!--v h:requests.total count-->${value}<!--/v-->\n`;

  it("--check fails on a stale number and changes nothing; without it the number is refreshed", () => {
    const dir = mkdtempSync(join(tmpdir(), "archsim-doc-"));
    const file = join(dir, "notes.md");
    writeFileSync(file, doc("stale"));
    const check = archsim("doc", "--check", file);
    expect(check.code).toBe(1);
    expect(check.err).toMatch(/out of date/);
    expect(readFileSync(file, "utf8")).toBe(doc("stale"));
    const fill = archsim("doc", file);
    expect(fill.code).toBe(0);
    const total = /-->([\d,]+)<!--\/v-->/.exec(readFileSync(file, "utf8"))?.[1];
    const report = JSON.parse(archsim("run", "examples/hello.yaml", "--duration", "5s", "--json").out);
    expect(total).toBe(report.requests.total.toLocaleString("en-US"));
    expect(archsim("doc", "--check", file).code).toBe(0);
  });

  it("a bad marker is a located usage error, not a stack trace", () => {
    const dir = mkdtempSync(join(tmpdir(), "archsim-doc-"));
    const file = join(dir, "bad.md");
    writeFileSync(file, doc("1").replace("requests.total", "requests.totl"));
    const r = archsim("doc", file);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(STACK);
    expect(r.err).toMatch(/bad\.md:4: h: no "totl" in requests/);
  });
});
