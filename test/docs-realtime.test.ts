// docs/report.md describes every field of a realtime gateway's report, as
// test/docs.test.ts checks for the other kinds; the run is the realtime
// example, whose crash fills in the reconnect fields.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runFile } from "./support/run.js";

const reportDoc = readFileSync("docs/report.md", "utf8");

describe("docs/report.md for a realtime gateway", () => {
  const mentioned = new Set<string>();
  for (const m of reportDoc.matchAll(/`([^`\n]+)`/g)) {
    mentioned.add(m[1]);
    for (const part of m[1].split(/[.\s[\]()=,]+/)) if (part) mentioned.add(part);
  }
  const run = runFile("examples/messaging/realtime.yaml", ["duration=70s"]);
  const obj = (v: unknown) => v as Record<string, unknown>;
  const unmentioned = (v: unknown, where: string) =>
    Object.keys(obj(v))
      .filter((k) => !mentioned.has(k))
      .map((k) => `${where}.${k}`);

  it("mentions every field of a realtime gateway's report", () => {
    const gw = JSON.parse(JSON.stringify(run.components.ws)) as Record<string, unknown>;
    expect(gw.kind).toBe("realtime");
    expect(mentioned.has("realtime")).toBe(true);
    const reconnects = obj(gw.reconnects);
    expect(reconnects.reconnected).toBeGreaterThan(0);
    const at = "components.<realtime>";
    expect([
      ...unmentioned(gw, at),
      ...["connections", "memory", "requests", "events", "registry", "reconnects", "series"].flatMap((k) =>
        unmentioned(gw[k], `${at}.${k}`),
      ),
      ...unmentioned(obj(gw.events).latencyMs, `${at}.events.latencyMs`),
      ...unmentioned(reconnects.timeToReconnectMs, `${at}.reconnects.timeToReconnectMs`),
      ...(gw.byInstance as unknown[]).flatMap((i) => unmentioned(i, `${at}.byInstance[]`)),
    ]).toEqual([]);
  });

  it("mentions every field of the devices, churn, heartbeats, presence and typing sections", () => {
    const at = "components.<realtime>";
    const sections = ["devices", "churn", "heartbeats", "presence", "typing"];
    const seen = new Set<string>();
    const missing: string[] = [];
    for (const [file, name] of [
      ["examples/messaging/presence.yaml", "beat10s"],
      ["examples/messaging/multi-device.yaml", "chat"],
    ]) {
      const gw = JSON.parse(JSON.stringify(runFile(file, ["duration=3m"]).components[name])) as Record<
        string,
        unknown
      >;
      missing.push(...unmentioned(gw, at), ...unmentioned(gw.events, `${at}.events`));
      for (const k of sections) {
        if (gw[k] === undefined) continue;
        seen.add(k);
        missing.push(...unmentioned(gw[k], `${at}.${k}`));
      }
      const p = gw.presence as Record<string, unknown> | undefined;
      if (p)
        missing.push(
          ...unmentioned(p.fanout, `${at}.presence.fanout`),
          ...unmentioned(p.offlineDetectionMs, `${at}.presence.offlineDetectionMs`),
          ...(p.byTier as unknown[]).flatMap((t) => unmentioned(t, `${at}.presence.byTier[]`)),
        );
      const h = gw.heartbeats as Record<string, unknown> | undefined;
      if (h) missing.push(...unmentioned(h.noticeDelayMs, `${at}.heartbeats.noticeDelayMs`));
    }
    expect([...seen].sort()).toEqual([...sections].sort());
    expect(missing).toEqual([]);
  });

  it("mentions every field of the conversations section", () => {
    const r = runFile("examples/cases/chat/naive.yaml", ["duration=5s"]);
    const c = obj(obj(JSON.parse(JSON.stringify(r.components.chat))).conversations);
    expect(c.ordering).toBe("client-clock");
    expect(unmentioned(c, "components.<realtime>.conversations")).toEqual([]);
  });
});
