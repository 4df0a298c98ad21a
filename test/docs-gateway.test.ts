// docs/report.md describes every field of a gateway's and a limiter store's
// report, as test/docs.test.ts checks for the other kinds; the design run is
// the gateway example of docs/design-file.md (plans, three limits, a store
// that dies and a local fallback).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runText } from "./support/run.js";

const reportDoc = readFileSync("docs/report.md", "utf8");
const designDoc = readFileSync("docs/design-file.md", "utf8");

describe("docs/report.md for a gateway and a limiter store", () => {
  const mentioned = new Set<string>();
  for (const m of reportDoc.matchAll(/`([^`\n]+)`/g)) {
    mentioned.add(m[1]);
    for (const part of m[1].split(/[.\s[\]()=,]+/)) if (part) mentioned.add(part);
  }
  const section = designDoc.slice(designDoc.indexOf("### gateway"));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1];
  const run = runText(yaml, ["duration=90s"], { seed: 1 });
  const obj = (v: unknown) => v as Record<string, unknown>;
  const gw = obj(JSON.parse(JSON.stringify(run.components.gw)));
  const store = obj(JSON.parse(JSON.stringify(run.components.counters)));
  const unmentioned = (v: unknown, where: string) =>
    Object.keys(obj(v))
      .filter((k) => !mentioned.has(k))
      .map((k) => `${where}.${k}`);

  it("mentions every field of a gateway's report", () => {
    expect(gw.kind).toBe("gateway");
    expect(mentioned.has("gateway")).toBe(true);
    const limits = gw.limits as Record<string, unknown>[];
    expect(limits.length).toBe(3);
    // the run exercised every nested entry
    expect(limits.every((l) => l.maxPerWindow !== null)).toBe(true);
    expect(obj(gw.store).fallbackChecks).toBeGreaterThan(0);
    const at = "components.<gateway>";
    expect([
      ...unmentioned(gw, at),
      ...unmentioned(gw.series, `${at}.series`),
      ...unmentioned(gw.latencyMs, `${at}.latencyMs`),
      ...unmentioned(gw.store, `${at}.store`),
      ...Object.values(obj(gw.byKey)).flatMap((k) => unmentioned(k, `${at}.byKey`)),
      ...Object.values(obj(gw.byTier)).flatMap((t) => unmentioned(t, `${at}.byTier`)),
      ...limits.flatMap((l) => [
        ...unmentioned(l, `${at}.limits[]`),
        ...unmentioned(l.maxPerWindow, `${at}.limits[].maxPerWindow`),
      ]),
    ]).toEqual([]);
    expect(Object.keys(obj(gw.byTier)).sort()).toEqual(["enterprise", "free", "pro"]);
  });

  it("mentions every field of a limiter store's report", () => {
    expect(store.kind).toBe("limiter-store");
    expect(mentioned.has("limiter-store")).toBe(true);
    const at = "components.<limiter-store>";
    expect([...unmentioned(store, at), ...unmentioned(store.series, `${at}.series`)]).toEqual([]);
  });
});
