// The cost documentation is checked against the program: the catalogue tables
// in docs/design-file.md are the ones src/cost/prices.ts gives, and every key
// of a real report's cost section is described in docs/report.md.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { instanceTable, serviceTable } from "../src/cost/catalogue-table.js";
import { runFile } from "./support/run.js";

const designDoc = readFileSync("docs/design-file.md", "utf8");
const reportDoc = readFileSync("docs/report.md", "utf8");

describe("cost docs", () => {
  it("docs/design-file.md shows the catalogue as it is in src/cost/prices.ts", () => {
    expect(designDoc).toContain(instanceTable());
    expect(designDoc).toContain(serviceTable());
  });

  it("docs/report.md describes every key of the cost section", () => {
    const r = runFile("examples/cost/web-app.yaml", [], { durationMs: 5000 });
    const cost = r.cost!;
    const keys = new Set<string>(Object.keys(cost));
    for (const k of Object.keys(cost.total)) keys.add(k);
    for (const c of cost.components) {
      for (const k of Object.keys(c)) keys.add(k);
      for (const k of Object.keys(c.usage)) keys.add(k);
    }
    const section = reportDoc.slice(reportDoc.indexOf("## cost"), reportDoc.indexOf("## series"));
    const missing = [...keys].filter((k) => !section.includes(`\`${k}\``));
    expect(missing).toEqual([]);
    expect(reportDoc).toMatch(/^\| `cost` \|/m);
  });
});
