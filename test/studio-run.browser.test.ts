// The run panel end to end, in headless Chromium against the built studio
// (dist/studio) served on 127.0.0.1: open an example from the gallery, run it
// in the engine worker, kill its server from the inspector (by keyboard), and
// see the errors rise in the chart's data; then keep two runs, compare them
// and export one's report. A screenshot per step goes to test-artifacts/.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStudioServer, listen, stop } from "../src/cli/studio-server.js";
import { Workspace } from "../src/cli/workspace.js";
import { useChromium, watchedPage } from "./support/browser.js";

const chromium = useChromium();
const ARTIFACTS = "test-artifacts";
let server: Server;
let url: string;
let dir: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), "archsim-studio-run-"));
  server = createStudioServer({
    workspace: await Workspace.open(dir),
    staticDir: "dist/studio",
    examplesDir: "examples",
  });
  ({ url } = await listen(server, 0));
});

afterAll(async () => {
  await stop(server);
  rmSync(dir, { recursive: true, force: true });
});

const shot = (page: Page, step: string) => page.screenshot({ path: `${ARTIFACTS}/studio-run-${step}.png` });

/** What the named chart holds: rows (seconds) and each line's sum, from its data attributes. */
async function chartData(
  page: Page,
  id: string,
): Promise<{ rows: number; sums: Record<string, number> } | null> {
  const el = page.getByTestId(id);
  if ((await el.count()) === 0) return null;
  return {
    rows: Number(await el.getAttribute("data-rows")),
    sums: JSON.parse((await el.getAttribute("data-sums")) ?? "{}") as Record<string, number>,
  };
}

async function waitRows(page: Page, atLeast: number): Promise<void> {
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid="chart-throughput"]')?.getAttribute("data-rows")) >= n,
    atLeast,
    { timeout: 60_000 },
  );
}

describe("studio run panel", () => {
  it("runs an example, a kill from the inspector raises the errors, runs are kept, compared and exported", async () => {
    const { page, errors } = await watchedPage(chromium());
    await page.goto(url);
    await shot(page, "01-start");

    // open a copy of the M/M/1 example (one server: killing it fails every request)
    // the gallery is the first view when nothing is open
    await expect
      .poll(() => page.getByRole("button", { name: "Gallery" }).getAttribute("aria-pressed"))
      .toBe("true");
    await page.getByRole("button", { name: "Open a copy of theory/mm1.yaml" }).click();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByTestId("current-file").textContent()).toContain("mm1.yaml");
    await shot(page, "02-example-open");

    // run at x10 of real time
    await page.getByLabel("Speed").selectOption("10");
    await page.getByTestId("play").click();
    await waitRows(page, 4);
    await shot(page, "03-running");
    const before = (await chartData(page, "chart-throughput"))!;
    expect(before.sums.ok).toBeGreaterThan(0);
    expect(before.sums.failed).toBe(0);
    // no failure yet: no cause to chart
    expect(await chartData(page, "chart-errors-by-cause")).toBeNull();
    expect(await page.getByTestId("run-panel").getByTestId("node-server").getAttribute("data-health")).toBe(
      "up",
    );

    // kill the server from the inspector, by keyboard
    await page.getByRole("button", { name: "Kill server" }).focus();
    await page.keyboard.press("Enter");
    await expect
      .poll(() => page.getByTestId("run-panel").getByTestId("node-server").getAttribute("data-health"))
      .toBe("down");
    const killedAt = before.rows;
    await waitRows(page, killedAt + 4);
    // paused, so that the charts hold still while they are read
    await page.getByTestId("pause").click();
    await page.getByTestId("play").waitFor();
    await shot(page, "04-killed");
    const after = (await chartData(page, "chart-errors-by-cause"))!;
    const failures = Object.values(after.sums).reduce((a, b) => a + b, 0);
    // 800 requests/s fail from the kill on: at least two whole seconds of them
    expect(failures).toBeGreaterThan(2 * 800 * 0.8);
    expect((await chartData(page, "chart-throughput"))!.sums.failed).toBe(failures);

    // keep this run and start another: two runs kept, compared side by side
    await page.getByRole("button", { name: "New run" }).click();
    await page.getByTestId("play").click();
    await waitRows(page, 3);
    await page.getByTestId("pause").click();
    await page.getByRole("button", { name: "New run" }).click();
    await expect.poll(() => page.locator('[data-testid^="run-"] input[type="checkbox"]').count()).toBe(2);
    for (const box of await page.locator('[data-testid^="run-"] input[type="checkbox"]').all())
      await box.check();
    await page.getByRole("button", { name: "Compare two" }).click();
    const frame = page.frameLocator('iframe[title="Comparison of two runs"]');
    await expect.poll(() => frame.locator("table").count()).toBeGreaterThan(0);
    await shot(page, "05-compare");
    await page.getByRole("button", { name: "Close" }).click();

    // export the first run's HTML report
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page
        .getByRole("button", { name: /^Export the HTML report of / })
        .first()
        .click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^mm1-run1-seed\d+\.html$/);
    await shot(page, "06-exported");
    expect(errors).toEqual([]);
    await page.close();
  });
});
