// Numbers quoted in documents are re-derived from runs: the marker format,
// the formatting of values, the errors for bad markers, and (for every
// document in docs/ that declares runs) that the committed numbers are current.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { filledDoc, staleParts } from "../src/cli/doc.js";
import { loadDesign } from "../src/design/load.js";
import { DocFillError, docRuns, fillDoc, formatValue, parsePath } from "../src/report/doc-fill.js";
import { niceTicks, svgLineChart, thinnedRuns } from "../src/report/svg-chart.js";
import { runDesign } from "../src/run.js";

describe("doc markers", () => {
  it("reads the declared runs with their seeds and overrides", () => {
    const runs = docRuns(
      "# T\n<!-- runs\na: examples/hello.yaml\nb-2: x.yaml --seed 7 --set components.api.instances=4\n-->\n",
    );
    expect(runs).toEqual([
      { name: "a", file: "examples/hello.yaml", sets: [] },
      { name: "b-2", file: "x.yaml", seed: 7, sets: ["components.api.instances=4"] },
    ]);
    expect(docRuns('<!-- runs\nq: x.yaml --set "api.routes.GET /:id.0.l1=false"\n-->')[0].sets).toEqual([
      "api.routes.GET /:id.0.l1=false",
    ]);
  });

  it("refuses duplicate runs and unknown options, naming the line", () => {
    const failure = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return `${(e as DocFillError).line}: ${(e as Error).message}`;
      }
      return "no error";
    };
    expect(failure(() => docRuns("<!-- runs\na: x.yaml\na: y.yaml\n-->"))).toMatch(
      /^3: run "a" is declared twice/,
    );
    expect(failure(() => docRuns("\n<!-- runs\na: x.yaml --fast 1\n-->"))).toMatch(
      /^3: unknown option "--fast"/,
    );
  });

  it("splits paths with quoted keys", () => {
    expect(parsePath('routes["GET /item/:id"].latencyMs.p99')).toEqual([
      "routes",
      "GET /item/:id",
      "latencyMs",
      "p99",
    ]);
    expect(() => parsePath("a..b")).toThrow();
  });

  it("replaces only the text between markers, and ratios divide two values", () => {
    const reports = { a: { x: { p: 250 }, r: { "GET /a b": { n: 0.5 } } }, b: { x: { p: 50 } } };
    const doc =
      'p99 <!--v a:x.p ms-->old<!--/v--> vs <!--v b:x.p ms-->?<!--/v--> = <!--v a:x.p/b:x.p x-->?<!--/v-->, <!--v a:r["GET /a b"].n pct-->?<!--/v-->';
    expect(fillDoc(doc, reports)).toBe(
      'p99 <!--v a:x.p ms-->250 ms<!--/v--> vs <!--v b:x.p ms-->50 ms<!--/v--> = <!--v a:x.p/b:x.p x-->5x<!--/v-->, <!--v a:r["GET /a b"].n pct-->50%<!--/v-->',
    );
  });

  it("filling twice changes nothing more (idempotent)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 1e9, noNaN: true }),
        fc.constantFrom("ms", "pct", "count", "x", "num"),
        (v, f) => {
          const doc = `<!--v a:v ${f}-->?<!--/v-->`;
          const once = fillDoc(doc, { a: { v } });
          expect(fillDoc(once, { a: { v } })).toBe(once);
        },
      ),
    );
  });

  it("leaves markers shown as code alone", () => {
    const doc =
      "```md\n<!-- runs\nz: nope.yaml\n-->\n<!--v z:q ms-->?<!--/v-->\n```\nsee `<!--v run:path fmt-->...<!--/v-->`\n<!-- runs\na: a.yaml\n-->\n<!--v a:v num-->?<!--/v-->";
    expect(docRuns(doc).map((r) => r.name)).toEqual(["a"]);
    expect(fillDoc(doc, { a: { v: 2 } })).toBe(doc.replace("<!--v a:v num-->?", "<!--v a:v num-->2"));
  });

  it("explains unknown runs, paths and formats with the line", () => {
    const reports = { a: { x: { p: 1 } } };
    expect(() => fillDoc("\n<!--v z:x.p ms-->?<!--/v-->", reports)).toThrow(
      /no run named "z" \(declared: a\)/,
    );
    expect(() => fillDoc("<!--v a:x.q ms-->?<!--/v-->", reports)).toThrow(/no "q" in x \(it has: p\)/);
    expect(() => fillDoc("<!--v a:x.p furlongs-->?<!--/v-->", reports)).toThrow(/unknown format "furlongs"/);
    expect(() => fillDoc("<!--v a:x ms-->?<!--/v-->", reports)).toThrow(DocFillError);
  });

  it("formats with three significant figures and units", () => {
    expect(formatValue(52.799, "ms")).toBe("52.8 ms");
    expect(formatValue(1530, "ms")).toBe("1.53 s");
    expect(formatValue(0.97000167, "pct")).toBe("97%");
    expect(formatValue(0.123456, "pct")).toBe("12.3%");
    expect(formatValue(23880.4, "count")).toBe("23,880");
    expect(formatValue(385.866, "rate")).toBe("386/s");
    expect(formatValue(12345.6, "num")).toBe("12,346");
  });
});

describe("documents quote current numbers", () => {
  it("a value in a document is the run's report value", () => {
    const text = "<!-- runs\nh: examples/hello.yaml --seed 3\n-->\n<!--v h:throughputPerSec num-->?<!--/v-->";
    const report = runDesign(loadDesign(readFileSync("examples/hello.yaml", "utf8"), "hello.yaml"), {
      seed: 3,
    });
    expect(filledDoc("t.md", text).text).toContain(
      `-->${formatValue(report.throughputPerSec, "num")}<!--/v-->`,
    );
  });

  const markdown = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? markdown(p) : p.endsWith(".md") ? [p] : [];
    });
  // the learning path and the design cases check their documents in their own tests, with the same runs
  const docs = markdown("docs").filter(
    (f) => readFileSync(f, "utf8").includes("<!-- runs") && !/docs\/(learn|cases)\//.test(f),
  );
  it.each(docs)("%s", (file) => {
    const text = readFileSync(file, "utf8");
    expect(staleParts(file, text, filledDoc(file, text)), `run: node bin/archsim.js doc ${file}`).toEqual([]);
  });
});

describe("charts in documents", () => {
  it("nice ticks start at 0, cover the maximum and step by 1, 2 or 5 x 10^k", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e9, noNaN: true }), (max) => {
        const t = niceTicks(max);
        expect(t[0]).toBe(0);
        expect(t[t.length - 1]).toBeGreaterThanOrEqual(max);
        expect(t.length).toBeLessThanOrEqual(12);
        const step = t[1] - t[0];
        const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
        expect([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
      }),
    );
  });

  it("draws one path per series through every point, breaking at gaps", () => {
    const svg = svgLineChart({
      title: "a <b>",
      xLabel: "t",
      yLabel: "ms",
      series: [
        { label: "p99", x: [1, 2, 3, 4], y: [10, 20, null, 40] },
        { label: "p50", x: [1, 2, 3, 4], y: [1, 2, 3, 4] },
      ],
    });
    const paths = [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]);
    expect(paths).toHaveLength(2);
    expect(paths[0].match(/[ML]/g)).toEqual(["M", "L", "M"]);
    expect(paths[1].match(/[ML]/g)).toEqual(["M", "L", "L", "L"]);
    expect(svg).toContain("a &lt;b&gt;");
    expect(svgLineChart({ title: "x", xLabel: "", yLabel: "", series: [] })).toContain("</svg>");
  });

  it("thins a long series to at most four points a column, keeping each column's extremes, ends and gaps", () => {
    const col = (x: number): number => Math.floor(x / 10);
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: -50, max: 50 }), { nil: null }), { maxLength: 200 }),
        (ys) => {
          const x = ys.map((_, i) => i);
          const runs = thinnedRuns({ label: "s", x, y: ys }, col);
          // the runs between gaps, unthinned
          const full: [number, number][][] = [];
          let cur: [number, number][] = [];
          ys.forEach((y, i) => {
            if (y === null) {
              if (cur.length) full.push(cur);
              cur = [];
            } else cur.push([i, y]);
          });
          if (cur.length) full.push(cur);
          expect(runs.length).toBe(full.length);
          runs.forEach((run, r) => {
            const kept = new Set(run.map(([i]) => i));
            expect(run.map(([i]) => i)).toEqual([...kept].sort((a, b) => a - b));
            for (const [i, y] of run) expect(ys[i]).toBe(y);
            const byCol = new Map<number, [number, number][]>();
            for (const p of full[r]) byCol.set(col(p[0]), [...(byCol.get(col(p[0])) ?? []), p]);
            for (const pts of byCol.values()) {
              const keptHere = pts.filter(([i]) => kept.has(i));
              expect(keptHere.length).toBeLessThanOrEqual(4);
              expect(kept.has(pts[0][0]) && kept.has(pts[pts.length - 1][0])).toBe(true);
              const vals = keptHere.map(([, y]) => y);
              expect(Math.min(...vals)).toBe(Math.min(...pts.map(([, y]) => y)));
              expect(Math.max(...vals)).toBe(Math.max(...pts.map(([, y]) => y)));
            }
          });
        },
      ),
    );
    // an hour of one-second samples: a few points per pixel, not 3,600
    const x = Array.from({ length: 3600 }, (_, i) => i);
    const svg = svgLineChart({
      title: "t",
      xLabel: "",
      yLabel: "",
      series: [{ label: "s", x, y: x.map((i) => i % 97) }],
    });
    const points = svg.match(/<path d="([^"]*)"/)![1].match(/[ML]/g)!.length;
    expect(points).toBeLessThanOrEqual(4 * 640);
    expect(points).toBeLessThan(3600);
  });

  it("a chart marker becomes an image link and its SVG, from the run's series and clock", () => {
    const reports = { r: { series: { t: [1, 2, 3], p99: [5, 6, 7] } } };
    const charts = new Map<string, string>();
    const doc = "<!--chart img/a.svg\ntitle: Latency\ny: ms\nseries: r:series.p99 p99\n-->old<!--/chart-->";
    const out = fillDoc(doc, reports, charts);
    expect(out).toBe(
      "<!--chart img/a.svg\ntitle: Latency\ny: ms\nseries: r:series.p99 p99\n-->![Latency](img/a.svg)<!--/chart-->",
    );
    expect([...charts.keys()]).toEqual(["img/a.svg"]);
    expect(charts.get("img/a.svg")).toBe(
      svgLineChart({
        title: "Latency",
        xLabel: "time (s)",
        yLabel: "ms",
        series: [{ label: "p99", x: [1, 2, 3], y: [5, 6, 7] }],
      }),
    );
    expect(() =>
      fillDoc("<!--chart a.svg\ntitle: T\nseries: r:series.t9 x\n-->?<!--/chart-->", reports),
    ).toThrow(/no "t9"/);
    expect(() => fillDoc("<!--chart a.svg\ntitle: T\ncolour: red\n-->?<!--/chart-->", reports)).toThrow(
      /expected "title:"/,
    );
  });

  it("[a:b] averages a slice of a series", () => {
    const reports = { r: { series: { p99: [1, 2, 3, 10] } } };
    expect(fillDoc("<!--v r:series.p99[1:3] num-->?<!--/v-->", reports)).toBe(
      "<!--v r:series.p99[1:3] num-->2.5<!--/v-->",
    );
    expect(() => fillDoc("<!--v r:series.p99[2:9] num-->?<!--/v-->", reports)).toThrow(/outside/);
  });
});
