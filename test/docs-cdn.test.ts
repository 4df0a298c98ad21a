// docs/report.md describes every field of a CDN's report, as test/docs.test.ts
// checks for the other kinds; the design run is the cdn example of
// docs/design-file.md (a shield, a push, a private route and an update).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runText } from "./support/run.js";

const reportDoc = readFileSync("docs/report.md", "utf8");
const designDoc = readFileSync("docs/design-file.md", "utf8");

describe("docs/report.md for a cdn", () => {
  const mentioned = new Set<string>();
  for (const m of reportDoc.matchAll(/`([^`\n]+)`/g)) {
    mentioned.add(m[1]);
    for (const part of m[1].split(/[.\s[\]()=,]+/)) if (part) mentioned.add(part);
  }
  const section = designDoc.slice(designDoc.indexOf("### cdn"));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1];
  const run = runText(yaml, ["components.viewers.arrival.rate=400/s", "duration=45s"], { seed: 1 });
  const cdn = JSON.parse(JSON.stringify(run.components.edge)) as Record<string, unknown>;
  const obj = (v: unknown) => v as Record<string, unknown>;
  const unmentioned = (v: unknown, where: string) =>
    Object.keys(obj(v))
      .map((k) =>
        k.replace(/^(hitRatio|fetches):.*/, "$1:<pop>").replace(/^latencyMs:.*/, "latencyMs:<region>"),
      )
      .filter((k) => !mentioned.has(k))
      .map((k) => `${where}.${k}`);

  it("mentions every field of a cdn's report", () => {
    expect(cdn.kind).toBe("cdn");
    expect(mentioned.has("cdn")).toBe(true);
    // the run exercised every nested entry
    expect(cdn.shield).not.toBeNull();
    const updates = cdn.updates as unknown[];
    expect(obj(updates[0]).propagatedAtMs).not.toBeNull();
    const at = "components.<cdn>";
    expect([
      ...unmentioned(cdn, at),
      ...unmentioned(cdn.bytes, `${at}.bytes`),
      ...unmentioned(cdn.series, `${at}.series`),
      ...unmentioned(cdn.shield, `${at}.shield`),
      ...Object.values(obj(cdn.pops)).flatMap((p) => unmentioned(p, `${at}.pops`)),
      ...Object.values(obj(cdn.routes)).flatMap((r) => unmentioned(r, `${at}.routes`)),
      ...Object.values(obj(cdn.byRegion)).flatMap((r) => [
        ...unmentioned(r, `${at}.byRegion`),
        ...unmentioned(obj(r).latencyMs, `${at}.byRegion.latencyMs`),
      ]),
      ...updates.flatMap((u) => unmentioned(u, `${at}.updates[]`)),
    ]).toEqual([]);
  });

  it("mentions every field of a browser cache's report", () => {
    const withBrowser = runText(
      yaml.replace("    shield: us-east", "    shield: us-east\n    browser: { capacity: 1GB }"),
      ["components.viewers.arrival.rate=100/s", "duration=10s"],
    );
    const b = JSON.parse(JSON.stringify(withBrowser.components["edge.browser"])) as Record<string, unknown>;
    expect(b.kind).toBe("browser-cache");
    expect(mentioned.has("browser-cache")).toBe(true);
    expect([...unmentioned(b, "components.<cdn>.browser")]).toEqual([]);
  });
});
