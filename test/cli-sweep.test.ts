// archsim sweep and archsim compare as a user meets them: the built binary,
// worker threads, files written, knees checked against queueing theory,
// determinism whether the grid runs serially or in parallel, Ctrl-C.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadDesign } from "../src/design/load.js";
import { headlineMetrics } from "../src/report/headline.js";
import { runDesign } from "../src/run.js";
import { responseTimeQuantile } from "../src/theory/queueing.js";

function archsim(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/archsim.js", ...args], { encoding: "utf8", timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const STACK = /^\s+at\s/m;
const dir = mkdtempSync(join(tmpdir(), "archsim-sweep-"));

interface SweepJson {
  parameters: { path: string; values: string[] }[];
  seeds: number[];
  complete: boolean;
  gridPoints: number;
  points: {
    params: Record<string, string>;
    seeds: number[];
    metrics: Record<string, { mean: number; ci95: number | null; n: number }>;
  }[];
  knees: { metric: string; lastWithin: string | null; firstBeyond: string }[];
}

describe("archsim sweep", () => {
  it("finds the p99 knee of an M/M/c queue where Erlang C puts it", () => {
    // c = 4 servers at mu = 1000/s; arrival rate 1000..3800/s (rho 0.25..0.95)
    const rates = [1000, 1400, 1800, 2200, 2600, 3000, 3400, 3800];
    const factor = 3;
    const p99 = rates.map((r) => responseTimeQuantile(0.99, r / 1000, 1, 4));
    const expected = rates[p99.findIndex((v) => v > factor * p99[0])];
    // the grid leaves the knee well clear of simulation noise on both sides
    const k = rates.indexOf(expected);
    expect(p99[k - 1] / p99[0]).toBeLessThan(factor * 0.8);
    expect(p99[k] / p99[0]).toBeGreaterThan(factor * 1.2);
    const json = join(dir, "mmc.json");
    const r = archsim(
      "sweep",
      "examples/theory/mmc.yaml",
      "--set",
      "clients.arrival.rate=1000..3800:400",
      "--duration",
      "100s",
      "--knee-factor",
      String(factor),
      "--json",
      json,
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const res = JSON.parse(readFileSync(json, "utf8")) as SweepJson;
    expect(res.points.map((p) => Number(p.params["clients.arrival.rate"]))).toEqual(rates);
    const knee = res.knees.find((x) => x.metric === "latencyMs.p99")!;
    expect(knee).toMatchObject({ lastWithin: String(rates[k - 1]), firstBeyond: String(expected) });
    // each point's p99 is the theory's within 15%: a run that starts empty
    // underestimates the tail a little, most near saturation
    res.points.forEach((p, i) => {
      expect(p.metrics["latencyMs.p99"].mean / p99[i]).toBeGreaterThan(0.85);
      expect(p.metrics["latencyMs.p99"].mean / p99[i]).toBeLessThan(1.15);
    });
    expect(r.out).toMatch(/p99 exceeds 3x its baseline .* beyond clients\.arrival\.rate=3400 \(at 3800/);
  });

  it("gives each grid point the same result serially, in parallel and in-process", () => {
    const args = [
      "sweep",
      "examples/hello.yaml",
      "--set",
      "api.instances=2..4",
      "--set",
      "users.arrival.rate=300/s,600/s",
      "--duration",
      "3s",
      "--seeds",
      "2",
    ];
    const serial = join(dir, "serial.json");
    const parallel = join(dir, "parallel.json");
    const a = archsim(...args, "--jobs", "1", "--json", serial, "--csv", join(dir, "serial.csv"));
    const b = archsim(...args, "--jobs", "3", "--json", parallel, "--csv", join(dir, "parallel.csv"));
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(readFileSync(parallel, "utf8")).toBe(readFileSync(serial, "utf8"));
    expect(readFileSync(join(dir, "parallel.csv"), "utf8")).toBe(
      readFileSync(join(dir, "serial.csv"), "utf8"),
    );
    expect(b.out).toBe(a.out);
    const res = JSON.parse(readFileSync(serial, "utf8")) as SweepJson;
    expect(res.points.length).toBe(6);
    expect(res.seeds).toEqual([42, 43]); // hello.yaml's seed, then the next
    // the first point, seed by seed, through the API on this thread
    const text = readFileSync("examples/hello.yaml", "utf8");
    const sets = ['duration="3s"', "api.instances=2", "users.arrival.rate=300/s"];
    const runs = res.seeds.map((seed) =>
      headlineMetrics(runDesign(loadDesign(text, "examples/hello.yaml", sets), { seed })),
    );
    const p99s = runs.map((ms) => ms.find((x) => x.key === "latencyMs.p99")!.value);
    const pt = res.points[0];
    expect(pt.params).toEqual({ "api.instances": "2", "users.arrival.rate": "300/s" });
    expect(pt.metrics["latencyMs.p99"].mean).toBe((p99s[0] + p99s[1]) / 2);
    expect(pt.metrics["latencyMs.p99"].n).toBe(2);
    expect(pt.metrics["latencyMs.p99"].ci95).toBeGreaterThan(0);
    // the CSV has a header and a row per point, with a mean and a ci95 per metric
    const csv = readFileSync(join(dir, "serial.csv"), "utf8").trim().split("\n");
    expect(csv.length).toBe(7);
    expect(csv[0]).toMatch(
      /^api\.instances,users\.arrival\.rate,seeds,throughputPerSec\.mean,throughputPerSec\.ci95,/,
    );
    // the table shows the peak utilisation of the swept component
    expect(a.out).toMatch(/peak utilisation api/);
    expect(a.out).toMatch(/±/);
  });

  it("answers bad parameters with a located message and exit code 2, never a stack trace", () => {
    const cases: [string[], RegExp][] = [
      [["--set", "apii.instances=2..4"], /did you mean api\?/],
      [["--set", "components.apii.instances=2..4"], /no component "apii"[\s\S]*did you mean api\?/],
      [["--set", "api.instancs=2..4"], /unknown field "instancs"[\s\S]*did you mean instances\?/],
      [["--set", "api.instances=0..3"], /--set api\.instances=0: instances must be a whole number/],
      [["--set", "api.instances=9..3"], /runs backwards[\s\S]*did you mean 3\.\.9\?/],
      [["--set", "api.instances=2..4", "--set", "components.api.instances=5"], /swept twice/],
      [["--set", "users.arrival.rate=1k/s..4k/s:1k"], /same unit/],
      [["--set", "api.instances=2,lots"], /"lots" is not a count/],
      [["--set", "api.instances=2..3", "--seeds", "0"], /--seeds/],
      [["--set", "api.instances=2..3", "--jobs", "x"], /--jobs/],
      [["--set", "api.instances=2..3", "--knee-factor", "1"], /--knee-factor/],
      [[], /at least one --set/],
    ];
    for (const [args, message] of cases) {
      const r = archsim("sweep", "examples/hello.yaml", "--duration", "1s", ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err, args.join(" ")).toMatch(message);
      expect(r.err).not.toMatch(STACK);
      expect(r.out).toBe("");
    }
  });

  it("stops cleanly on Ctrl-C with the points that finished, and exit code 130", async () => {
    const csv = join(dir, "interrupted.csv");
    const json = join(dir, "interrupted.json");
    // 20 points of about a second each, one at a time
    const child = spawn(
      process.execPath,
      [
        "bin/archsim.js",
        "sweep",
        "examples/theory/mmc.yaml",
        "--set",
        "clients.arrival.rate=1000..2900:100",
        "--duration",
        "300s",
        "--jobs",
        "1",
        "--csv",
        csv,
        "--json",
        json,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const exited = new Promise<number | null>((res) => child.on("close", (code) => res(code)));
    // wait for the first finished point to reach the CSV, then interrupt
    const t0 = Date.now();
    while (!(existsSync(csv) && readFileSync(csv, "utf8").trim().split("\n").length >= 2)) {
      if (Date.now() - t0 > 120_000) throw new Error(`no result after 2 minutes: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGINT");
    const code = await exited;
    expect(code).toBe(130);
    expect(err).toMatch(/interrupted after \d+ of 20 runs/);
    expect(err).not.toMatch(STACK);
    const res = JSON.parse(readFileSync(json, "utf8")) as SweepJson;
    expect(res.complete).toBe(false);
    expect(res.gridPoints).toBe(20);
    expect(res.points.length).toBeGreaterThanOrEqual(1);
    expect(res.points.length).toBeLessThan(20);
    // the finished points, in grid order, in the table, the CSV and the JSON alike
    const rows = readFileSync(csv, "utf8").trim().split("\n").slice(1);
    expect(rows.length).toBe(res.points.length);
    expect(res.points.map((p) => p.params["clients.arrival.rate"])).toEqual(
      Array.from({ length: res.points.length }, (_, i) => String(1000 + 100 * i)),
    );
    expect(out).toMatch(new RegExp(`${res.points.length} of 20 points`));
    expect(out).toMatch(/interrupted/);
  }, 180_000);
});

describe("archsim compare", () => {
  const better = join(dir, "mmc-8.yaml");
  writeFileSync(
    better,
    readFileSync("examples/theory/mmc.yaml", "utf8").replace("concurrency: 4", "concurrency: 8"),
  );

  it("runs both designs with the same seeds and marks the better one per metric", () => {
    const r = archsim(
      "compare",
      "examples/theory/mmc.yaml",
      better,
      "--duration",
      "20s",
      "--seeds",
      "3",
      "--seed",
      "5",
      "--json",
    );
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out) as {
      designs: string[];
      seeds: number[];
      metrics: {
        key: string;
        best: number[];
        values: { mean: number; ci95: number; n: number }[];
        deltas: ({ mean: number } | null)[];
      }[];
    };
    expect(c.designs).toEqual(["mmc", "mmc-8"]);
    expect(c.seeds).toEqual([5, 6, 7]);
    const p99 = c.metrics.find((x) => x.key === "latencyMs.p99")!;
    // twice the servers at the same load: rho 0.4 instead of 0.8, so a far shorter tail
    expect(p99.best).toEqual([1]);
    expect(p99.values.map((v) => v.n)).toEqual([3, 3]);
    expect(p99.deltas[1]!.mean).toBeCloseTo(p99.values[1].mean - p99.values[0].mean, 9);
    const util = c.metrics.find((x) => x.key === "utilizationPeak:server")!;
    expect(util.best).toEqual([]); // utilisation has no better direction
  });

  it("compares a design with itself to zero differences (common random numbers)", () => {
    const r = archsim("compare", "examples/hello.yaml", "examples/hello.yaml", "--duration", "3s");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/seed 42/);
    expect(r.out).not.toMatch(/\s\*$/m); // no better value anywhere
    expect(r.out).toMatch(/p99 .*\(=\)/);
  });

  it("needs two designs and readable files", () => {
    for (const args of [
      ["examples/hello.yaml"],
      ["examples/hello.yaml", "no-such.yaml"],
      ["examples/hello.yaml", "examples/hello.yaml", "--seeds", "-2"],
    ]) {
      const r = archsim("compare", ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err).not.toMatch(STACK);
    }
  });
});
