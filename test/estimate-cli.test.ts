// `archsim estimate` as a user meets it: the built binary, flags and files,
// --json, --emit writing a design that validate accepts and run runs, and bad
// input answered with exit code 2 and a message, never a stack trace.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estimate } from "../src/estimate/estimate.js";
import { inputFromValues } from "../src/estimate/input.js";

function archsim(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/archsim.js", ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const STACK = /^\s+at\s/m;

describe("archsim estimate", () => {
  const dir = mkdtempSync(join(tmpdir(), "archsim-estimate-"));

  it("prints the estimate, and --json the same figures as the API", () => {
    const flags = ["--dau", "10M", "--actions", "20", "--ratio", "10:1", "--instance-type", "m5.large"];
    const text = archsim("estimate", ...flags);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^service: \d+ instances/m);
    expect(text.out).toMatch(/p99 response/);
    const json = archsim("estimate", ...flags, "--json");
    expect(json.code).toBe(0);
    const e = JSON.parse(json.out);
    const api = estimate(
      inputFromValues({ dau: "10M", actionsPerUser: "20", readWrite: "10:1", instanceType: "m5.large" })
        .input,
    );
    expect(e.instances).toBe(api.instances);
    expect(e.traffic.peak.total).toBeCloseTo(api.traffic.peak.total, 9);
    expect(e.queueing.peak.rho).toBeCloseTo(api.queueing.peak.rho, 12);
  });

  it("reads a YAML file of inputs, and --emit writes a design validate accepts and run runs", () => {
    const inputs = join(dir, "inputs.yaml");
    const design = join(dir, "starter.yaml");
    writeFileSync(inputs, "dau: 1M\nactionsPerUser: 30\nreadWrite: '20:1'\ncapacity: 500/s\n");
    const r = archsim("estimate", inputs, "--emit", design, "--duration", "10s");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(design, "utf8")).toMatch(/^# A starter design/);
    expect(archsim("validate", design).code).toBe(0);
    const run = archsim("run", design, "--json");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out).requests.failed).toBe(0);
  });

  it("answers bad input with exit code 2 and what was expected", () => {
    const missing = archsim("estimate", "--actions", "20");
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/daily active users \(dau\) is required/);
    const ratio = archsim("estimate", "--dau", "1M", "--actions", "2", "--ratio", "10/1");
    expect(ratio.code).toBe(2);
    expect(ratio.err).toMatch(/read:write ratio[\s\S]*expected: reads:writes such as 10:1/);
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "dau: 1M\nactionsPerUser: lots\n");
    const located = archsim("estimate", file);
    expect(located.code).toBe(2);
    expect(located.err).toMatch(/bad\.yaml:2:\d+: actions per user per day/);
    const tight = archsim(
      "estimate",
      "--dau",
      "1M",
      "--actions",
      "20",
      "--capacity",
      "10k/s",
      "--concurrency",
      "1",
      "--emit",
      join(dir, "x.yaml"),
    );
    expect(tight.code).toBe(2);
    expect(tight.err).toMatch(/less than the .*ms its data access takes/);
    for (const r of [missing, ratio, located, tight]) expect(r.err).not.toMatch(STACK);
  });
});
