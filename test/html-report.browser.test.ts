// The HTML report as a person sees it: the built `archsim run --html` output
// opened in headless Chromium (Debian's package, /usr/bin/chromium, which
// .ci/run installs). Every chart must have drawn its first line, the design
// graph must be there, nothing may be fetched and nothing may log an error.
// A full-page screenshot is kept in test-artifacts/html-report.png.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { loadDesign } from "../src/design/load.js";
import { ChartSet, htmlPage, joinSeries, PALETTE, renderComparisonHtml } from "../src/report/html/index.js";
import type { ChartSpec } from "../src/report/html/index.js";
import { runDesign } from "../src/run.js";
import { useChromium, watchedPage } from "./support/browser.js";

const chromium = useChromium();

/** Opens a page that records errors and any request for something other than the file itself. */
async function open(): Promise<{ page: Page; errors: string[]; fetched: string[] }> {
  const { page, errors, fetched } = await watchedPage(chromium());
  return { page, errors, fetched };
}

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/**
 * For each chart card, in order: how many pixels of its canvas are (nearly) the
 * colour of its last line, the one drawn on top. A chart that drew nothing, or
 * drew without its data, has none.
 */
async function lastLinePixels(page: Page, specs: ChartSpec[]): Promise<number[]> {
  const colours = specs.map((s) => {
    const i = s.series.length - 1;
    return rgb(s.series[i].color ?? PALETTE[i % PALETTE.length]);
  });
  return page.evaluate((colours) => {
    return Array.from(document.querySelectorAll<HTMLElement>("[data-chart]")).map((el, i) => {
      const canvas = el.querySelector("canvas");
      if (!canvas || canvas.width === 0) return 0;
      const px = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      const [r, g, b] = colours[i];
      let n = 0;
      for (let p = 0; p < px.length; p += 4)
        if (px[p + 3] > 200 && Math.abs(px[p] - r) + Math.abs(px[p + 1] - g) + Math.abs(px[p + 2] - b) < 60)
          n++;
      return n;
    });
  }, colours);
}

describe("the HTML report in Chromium", () => {
  it("draws every chart and the design graph, fetches nothing and logs no error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "archsim-html-"));
    const file = join(dir, "hello.html");
    const run = spawnSync(
      process.execPath,
      [
        "bin/archsim.js",
        "run",
        "examples/hello.yaml",
        "--duration",
        "12s",
        "--set",
        "faults.0.at=4s",
        "--set",
        "faults.0.for=4s",
        "--html",
        file,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(1); // the dead instance fails the availability SLO; the page shows it

    const { page, errors, fetched } = await open();
    await page.goto(pathToFileURL(file).href);
    const specs = JSON.parse((await page.locator("#archsim-charts").textContent()) ?? "[]") as ChartSpec[];
    expect(specs.length).toBeGreaterThanOrEqual(8);
    expect(await page.locator(".uplot canvas").count()).toBe(specs.length);
    const drawn = await lastLinePixels(page, specs);
    expect(drawn).toHaveLength(specs.length);
    for (const [i, n] of drawn.entries()) expect(n, `chart "${specs[i].title}"`).toBeGreaterThan(30);

    // the design: a box per component, an arrow per reference
    const design = loadDesign(readFileSync("examples/hello.yaml", "utf8"), "hello.yaml").design;
    expect(await page.locator("svg g.node").count()).toBe(Object.keys(design.components).length);
    expect(await page.locator("svg path.edge").count()).toBe(4);
    expect(await page.locator(".pill.pass, .pill.fail").count()).toBe(design.slo?.length ?? 0);

    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/html-report.png", fullPage: true });
    expect(errors).toEqual([]);
    expect(fetched).toEqual([]);
    await page.close();
  });

  it("overlays several runs in a comparison page", async () => {
    const file = "examples/hello.yaml";
    const loaded = loadDesign(readFileSync(file, "utf8"), file, ["duration=5s", "faults.0.at=2s"]);
    const runs = [2, 3].map((n) => ({
      label: `${n} instances`,
      report: runDesign(
        loadDesign(readFileSync(file, "utf8"), file, ["duration=5s", `components.api.instances=${n}`]),
      ),
    }));
    runs.push({ label: "a fault", report: runDesign(loaded) });
    const { page, errors, fetched } = await open();
    await page.setContent(renderComparisonHtml(runs));
    const specs = JSON.parse((await page.locator("#archsim-charts").textContent()) ?? "[]") as ChartSpec[];
    const drawn = await lastLinePixels(page, specs);
    for (const [i, n] of drawn.entries()) expect(n, `chart "${specs[i].title}"`).toBeGreaterThan(30);
    // one legend entry per run on the throughput chart
    const legend = await page.locator(".chart").first().locator(".u-legend .u-series th").allTextContents();
    expect(legend.slice(1).map((t) => t.trim())).toEqual(runs.map((r) => r.label));
    expect(errors).toEqual([]);
    expect(fetched).toEqual([]);
    await page.close();
  });

  it("draws a chart of a metric against a parameter, with a confidence band, on a log axis", async () => {
    // the shape of a sweep: p99 (mean of seeds, with its 95% interval) against instances
    const instances = [2, 4, 8, 16];
    const p99 = [400, 120, 60, 55];
    const { x, series } = joinSeries([{ label: "p99", x: instances, y: p99 }]);
    series[0].range = { lo: p99.map((v) => v * 0.9), hi: p99.map((v) => v * 1.1) };
    const charts = new ChartSet();
    const card = charts.add({
      title: "p99 vs instances",
      x,
      xLabel: "instances",
      xLog: true,
      yFormat: "ms",
      series,
    });
    const { page, errors, fetched } = await open();
    await page.setContent(
      htmlPage({ title: "sweep", body: `<main><div class="grid">${card}</div></main>`, charts }),
    );
    // the band's two edges are series of their own, drawn with the line's colour, faded
    expect(await page.locator(".u-legend .u-series").count()).toBe(4);
    expect((await lastLinePixels(page, [{ ...charts.specs[0], series: [series[0]] }]))[0]).toBeGreaterThan(
      30,
    );
    expect(errors).toEqual([]);
    expect(fetched).toEqual([]);
    await page.close();
  });
});
