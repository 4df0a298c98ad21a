// The README's tour is a design a newcomer will paste: it must stay valid and run.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runText } from "./support/run.js";

describe("README", () => {
  it("the tour design runs and meets its own SLOs", () => {
    const readme = readFileSync("README.md", "utf8");
    const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    const r = runText(yaml as string, [], { seed: 1 });
    expect(r.requests.total).toBeGreaterThan(20_000);
    expect(r.slo.length).toBe(2);
    expect(r.slo.every((s) => s.pass)).toBe(true);
  });

  it("starts with the two commands a newcomer needs", () => {
    const head = readFileSync("README.md", "utf8").split("\n").slice(0, 6).join("\n");
    expect(head).toMatch(/npm ci && npx archsim run examples\/hello\.yaml/);
    expect(head).toMatch(/npm ci && npm test/);
    expect(readFileSync(".ci/run", "utf8")).toMatch(/npm test/);
  });
});
