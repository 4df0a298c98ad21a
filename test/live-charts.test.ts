// The run panel's chart data: series rows gathered frame by frame line up
// with the report's, and the charts are the report's charts of them.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadDesign } from "../src/design/load.js";
import { liveCharts, NodeHistory, SeriesBuffer } from "../src/live/charts.js";
import { LiveSession } from "../src/live/session.js";

const mm1 = () => loadDesign(readFileSync("examples/theory/mm1.yaml", "utf8"), "examples/theory/mm1.yaml");

describe("series buffer", () => {
  it("gathered in pieces equals the report's series, late series padded", () => {
    const live = new LiveSession(mm1(), { seed: 3, durationMs: 12_000 });
    const buf = new SeriesBuffer();
    for (const until of [1500, 1500, 4000, 7000, 12_000]) {
      live.advance(until);
      if (until === 4000) live.act("server", { type: "kill" }); // errors:<cause> series start late
      if (until === 7000) live.act("server", { type: "restart" });
      buf.append(buf.rows, live.series(buf.rows));
    }
    expect(buf.data).toEqual(live.report().series);
    expect(buf.total("errors")).toBe(live.report().requests.failed);
  });

  it("refuses rows out of order", () => {
    const buf = new SeriesBuffer();
    buf.append(0, { t: [1], throughput: [5] });
    expect(() => buf.append(0, { t: [2], throughput: [5] })).toThrow(RangeError);
  });
});

describe("live charts", () => {
  it("throughput, latency and errors by cause, with the faults shaded", () => {
    const live = new LiveSession(mm1(), { seed: 3, durationMs: 10_000 });
    live.advance(3000);
    live.act("server", { type: "kill" });
    live.advance(6000);
    const charts = liveCharts(live.series(), live.faults, live.durationMs);
    expect(charts.map((c) => c.title)).toEqual(["Throughput", "Latency", "Errors by cause"]);
    const errors = charts[2];
    // one line per cause the report counts
    const causes = Object.keys(live.report().requests.byOutcome).filter((c) => c !== "ok");
    expect(errors.series.map((s) => s.label).sort()).toEqual(causes.sort());
    expect(causes).toContain("no-healthy-backend");
    expect(errors.bands).toEqual([{ from: 3, to: null, label: "kill server[0]" }]);
    // no success in a second: a gap in the latency line, not a zero
    const tput = live.series().throughput;
    const p50 = charts[1].series[0].values;
    tput.forEach((v, i) => expect(p50[i] === null).toBe(v === 0));
  });

  it("a node's history: utilisation per frame for a station, nothing for a workload", () => {
    const live = new LiveSession(mm1(), { seed: 3, durationMs: 10_000 });
    const h = new NodeHistory(3);
    for (const t of [1000, 2000, 3000, 4000, 4000]) {
      live.advance(t);
      h.add(live.frame());
    }
    const [util, queue] = h.charts("server");
    expect(util.x).toEqual([2, 3, 4]); // the last three, the repeated time once
    expect(util.series[0].values.every((u) => u !== null && u > 0.5 && u <= 1)).toBe(true);
    expect(queue.series[0].values).toHaveLength(3);
    expect(h.charts("clients")).toEqual([]);
  });
});
