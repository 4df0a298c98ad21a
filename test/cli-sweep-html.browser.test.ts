// The pages of `archsim sweep --html` and `archsim compare --html`, built by
// the CLI and opened in headless Chromium (as in html-report.browser.test.ts):
// every chart drew its lines, nothing was fetched, nothing logged an error.
// Screenshots are kept in test-artifacts/sweep.png and compare.png.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { type ChartSpec, PALETTE } from "../src/report/html/index.js";
import { useChromium, watchedPage } from "./support/browser.js";

const chromium = useChromium();

const dir = mkdtempSync(join(tmpdir(), "archsim-sweep-html-"));

function archsim(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/archsim.js", ...args], { encoding: "utf8", timeout: 180_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** Opens a file and, per chart, counts the canvas pixels of each of its lines' colours. */
async function openAndCount(file: string): Promise<{
  page: Page;
  specs: ChartSpec[];
  pixels: number[][];
  errors: string[];
  fetched: string[];
}> {
  const { page, errors, fetched } = await watchedPage(chromium());
  await page.goto(pathToFileURL(file).href);
  const specs = JSON.parse((await page.locator("#archsim-charts").textContent()) ?? "[]") as ChartSpec[];
  const colours = specs.map((s) => s.series.map((x, i) => rgb(x.color ?? PALETTE[i % PALETTE.length])));
  const pixels = await page.evaluate((colours) => {
    return Array.from(document.querySelectorAll<HTMLElement>("[data-chart]")).map((el, i) => {
      const canvas = el.querySelector("canvas");
      if (!canvas || canvas.width === 0) return colours[i].map(() => 0);
      const px = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      return colours[i].map(([r, g, b]) => {
        let n = 0;
        for (let p = 0; p < px.length; p += 4)
          if (px[p + 3] > 200 && Math.abs(px[p] - r) + Math.abs(px[p + 1] - g) + Math.abs(px[p + 2] - b) < 60)
            n++;
        return n;
      });
    });
  }, colours);
  return { page, specs, pixels, errors, fetched };
}

describe("sweep and compare pages in Chromium", () => {
  it("plot every metric of a sweep against the parameter, a line per value of the other", async () => {
    const html = join(dir, "sweep.html");
    const r = archsim(
      "sweep",
      "examples/theory/mmc.yaml",
      "--set",
      "clients.arrival.rate=1000..3800:400",
      "--set",
      "server.concurrency=4,6",
      "--seeds",
      "2",
      "--duration",
      "10s",
      "--knee-factor",
      "3",
      "--html",
      html,
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const { page, specs, pixels, errors, fetched } = await openAndCount(html);
    const titles = specs.map((s) => s.title);
    for (const t of ["throughput", "p50", "p99", "error rate", "peak utilisation server"])
      expect(titles).toContain(`${t} vs clients.arrival.rate`);
    for (const s of specs) {
      expect(s.x).toEqual([1000, 1400, 1800, 2200, 2600, 3000, 3400, 3800]);
      expect(s.series.map((x) => x.label)).toEqual(["server.concurrency=4", "server.concurrency=6"]);
      // two seeds: each line carries its confidence band
      for (const x of s.series) expect(x.range).toBeDefined();
    }
    expect(specs.find((s) => s.title.startsWith("p99"))!.note).toMatch(/knee: p99 exceeds 3x/);
    // the top line of every chart drew (the first may hide under it where the two agree, e.g. no errors)
    for (const [i, counts] of pixels.entries())
      expect(counts[counts.length - 1], titles[i]).toBeGreaterThan(30);
    expect(await page.locator("div.card > table > tbody > tr").count()).toBe(16);
    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/sweep.png", fullPage: true });
    expect(errors).toEqual([]);
    expect(fetched).toEqual([]);
    await page.close();
  });

  it("put the comparison table above the designs' overlaid time series", async () => {
    const html = join(dir, "compare.html");
    const other = join(dir, "mmc-6.yaml");
    writeFileSync(
      other,
      readFileSync("examples/theory/mmc.yaml", "utf8").replace("concurrency: 4", "concurrency: 6"),
    );
    const r = archsim(
      "compare",
      "examples/theory/mmc.yaml",
      other,
      "--duration",
      "10s",
      "--seeds",
      "2",
      "--html",
      html,
    );
    expect(r.code).toBe(0);
    const { page, specs, pixels, errors, fetched } = await openAndCount(html);
    expect(specs.map((s) => s.title)).toEqual(
      expect.arrayContaining(["Throughput", "p50 latency", "p99 latency", "server utilisation"]),
    );
    for (const s of specs.filter((x) => x.xLabel === "time (s)"))
      expect(s.series.map((x) => x.label)).toEqual(["mmc", "mmc-6"]);
    for (const [i, counts] of pixels.entries())
      expect(counts[counts.length - 1], specs[i].title).toBeGreaterThan(30);
    // the better p99 (more servers) is marked
    const p99 = page.locator("tbody tr", { hasText: /^p99/ });
    expect(await p99.locator("td.better").count()).toBe(1);
    expect(await p99.locator("td").nth(2).getAttribute("class")).toMatch(/better/);
    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/compare.png", fullPage: true });
    expect(errors).toEqual([]);
    expect(fetched).toEqual([]);
    await page.close();
  });
});
