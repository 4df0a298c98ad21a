// The studio end to end, in headless Chromium against the built studio
// (dist/studio) served on 127.0.0.1. First the whole story in one
// flow: open an example from the gallery, run it in the engine worker, watch
// its node coloured by load and the request dots on its edge, kill the node
// from the canvas's node menu, see it go down and the errors rise in the
// chart's data, change the design (a second server), save it, reload the
// page: the design is still there, and killing one of its two servers leaves
// the node degraded, not down. Then the runs: a kill from the inspector by keyboard, two runs
// kept, compared side by side, one exported. A screenshot per step goes to
// test-artifacts/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { parse } from "yaml";
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

/** expect.poll with room for a machine under load (a page load, a worker start) */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 20_000 });

/** The node as the canvas draws it (the inspector has one of the same test id). */
const canvasNode = (page: Page, name: string) => page.getByTestId("canvas").getByTestId(`node-${name}`);
const inspectorNode = (page: Page, name: string) => page.getByTestId("run-panel").getByTestId(`node-${name}`);

/** Opens a copy of the example from the gallery under the name the dialog offers; returns that name. */
async function openExampleCopy(page: Page, example: string): Promise<string> {
  if (
    (await page.getByRole("button", { name: "Gallery", exact: true }).getAttribute("aria-pressed")) !== "true"
  )
    await page.getByRole("button", { name: "Gallery", exact: true }).click();
  await page.getByRole("button", { name: `Open a copy of ${example}` }).click();
  const name = await page.getByRole("dialog").locator("input").inputValue();
  await page.keyboard.press("Enter");
  await poll(() => page.getByTestId("current-file").textContent()).toContain(name);
  return name;
}

describe("studio end to end", () => {
  it("the story: an example from the gallery runs, live colours and dots, a kill from the canvas raises the errors, saved, reloaded", async () => {
    const { page, errors } = await watchedPage(chromium());
    await page.goto(url);
    await shot(page, "01-start");

    // 1. open a copy of the M/M/1 example (one server at 80% load: killing it fails every request);
    // the gallery is the first view when the workspace is empty
    await poll(() =>
      page.getByRole("button", { name: "Gallery", exact: true }).getAttribute("aria-pressed"),
    ).toBe("true");
    const file = await openExampleCopy(page, "theory/mm1.yaml");
    expect(file).toBe("mm1.yaml");
    await canvasNode(page, "server").waitFor();
    await shot(page, "02-example-open");

    // 2. run it at x10 of real time
    await page.getByLabel("Speed").selectOption("10");
    await page.getByTestId("play").click();
    await waitRows(page, 4);

    // 3. live: the server coloured by how busy it is, dots travelling along the clients -> server edge
    await poll(() => canvasNode(page, "server").getAttribute("data-health")).toBe("up");
    // its utilisation over the latest frame: rho = 800/s x 1 ms = 0.8 on average, busy but not idle
    await poll(async () =>
      Number(await canvasNode(page, "server").getAttribute("data-utilization")),
    ).toBeGreaterThan(0.2);
    expect(await canvasNode(page, "server").evaluate((el) => (el as HTMLElement).style.borderColor)).not.toBe(
      "",
    );
    const dots = page.locator('[data-testid="rf__edge-clients->server"] circle.sc-dot');
    await poll(() => dots.count()).toBeGreaterThan(0);
    await shot(page, "03-running");
    const before = (await chartData(page, "chart-throughput"))!;
    expect(before.sums.ok).toBeGreaterThan(0);
    expect(before.sums.failed).toBe(0);
    // no failure yet: no cause to chart
    expect(await chartData(page, "chart-errors-by-cause")).toBeNull();

    // 4. kill the server from its node menu on the canvas (right click)
    await canvasNode(page, "server").click({ button: "right" });
    await page.getByRole("menu", { name: "server menu" }).getByRole("menuitem", { name: "Kill" }).click();
    await poll(() => canvasNode(page, "server").getAttribute("data-health")).toBe("down");
    expect(await inspectorNode(page, "server").getAttribute("data-health")).toBe("down");
    const killedAt = (await chartData(page, "chart-throughput"))!.rows;
    await waitRows(page, killedAt + 4);
    // paused, so that the charts hold still while they are read
    await page.getByTestId("pause").click();
    await page.getByTestId("play").waitFor();
    await shot(page, "04-killed");

    // 5. the errors rise: 800 requests/s fail from the kill on, at least two whole seconds of them
    const after = (await chartData(page, "chart-errors-by-cause"))!;
    const failures = Object.values(after.sums).reduce((a, b) => a + b, 0);
    expect(failures).toBeGreaterThan(2 * 800 * 0.8);
    expect((await chartData(page, "chart-throughput"))!.sums.failed).toBe(failures);
    expect(await canvasNode(page, "server").getAttribute("data-health")).toBe("down");

    // 6. the lesson learnt: a second server (property panel), saved with Ctrl+S
    await canvasNode(page, "server").click();
    const instances = page.locator("#prop-instances");
    await instances.fill("2");
    await instances.press("Enter");
    await poll(() => page.getByTestId("current-file").textContent()).toContain("●");
    await page.keyboard.press("Control+s");
    await poll(() => page.getByTestId("status").innerText()).toBe(`Saved ${file}`);
    const saved = readFileSync(join(dir, file), "utf8");
    expect(parse(saved).components.server.instances).toBe(2);
    await shot(page, "05-saved");

    // 7. a reload reopens the design as saved: its name, its canvas, its text
    await page.reload();
    await poll(() => page.getByTestId("current-file").textContent()).toBe(file);
    for (const name of Object.keys(parse(saved).components)) await canvasNode(page, name).waitFor();
    await canvasNode(page, "server").click();
    await poll(() => page.locator("#prop-instances").inputValue()).toBe("2");
    expect(readFileSync(join(dir, file), "utf8")).toBe(saved);
    await shot(page, "06-reloaded");

    // 8. run again with the two servers: one killed (the inspector's choice of instance) leaves
    // the node degraded, not down, and the other one serving
    await page.getByLabel("Speed").selectOption("10");
    await page.getByTestId("play").click();
    await waitRows(page, 2);
    await page.getByTestId("instance-server").selectOption("1");
    await page.getByRole("button", { name: "Kill server instance 1" }).click();
    await poll(() => canvasNode(page, "server").getAttribute("data-health")).toBe("degraded");
    await poll(() => inspectorNode(page, "server").innerText()).toContain("1/2 up");
    const okAtKill = (await chartData(page, "chart-throughput"))!;
    await waitRows(page, okAtKill.rows + 2);
    await page.getByTestId("pause").click();
    expect((await chartData(page, "chart-throughput"))!.sums.ok).toBeGreaterThan(okAtKill.sums.ok);
    expect(await canvasNode(page, "server").getAttribute("data-health")).toBe("degraded");
    await shot(page, "06b-one-instance-killed");

    expect(errors).toEqual([]);
    await page.close();
  });

  it("runs are kept, compared and exported; the inspector's kill works from the keyboard", async () => {
    const { page, errors } = await watchedPage(chromium());
    await page.goto(url);
    const file = await openExampleCopy(page, "theory/mm1.yaml");
    const stem = file.replace(/\.yaml$/, "");

    // run 1: the server killed from the inspector, by keyboard
    await page.getByLabel("Speed").selectOption("10");
    await page.getByTestId("play").click();
    await waitRows(page, 2);
    await page.getByRole("button", { name: "Kill server" }).focus();
    await page.keyboard.press("Enter");
    await poll(() => inspectorNode(page, "server").getAttribute("data-health")).toBe("down");
    await waitRows(page, 4);
    await page.getByTestId("pause").click();
    await shot(page, "07-inspector-kill");

    // keep it and start another: two runs kept, compared side by side
    await page.getByRole("button", { name: "New run" }).click();
    await page.getByTestId("play").click();
    await waitRows(page, 3);
    await page.getByTestId("pause").click();
    await page.getByRole("button", { name: "New run" }).click();
    await poll(() => page.locator('[data-testid^="run-"] input[type="checkbox"]').count()).toBe(2);
    for (const box of await page.locator('[data-testid^="run-"] input[type="checkbox"]').all())
      await box.check();
    await page.getByRole("button", { name: "Compare two" }).click();
    const frame = page.frameLocator('iframe[title="Comparison of two runs"]');
    await poll(() => frame.locator("table").count()).toBeGreaterThan(0);
    await shot(page, "08-compare");
    await page.getByRole("button", { name: "Close" }).click();

    // export the first run's HTML report
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page
        .getByRole("button", { name: /^Export the HTML report of / })
        .first()
        .click(),
    ]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${stem}-run1-seed\\d+\\.html$`));
    await shot(page, "09-exported");
    expect(errors).toEqual([]);
    await page.close();
  });
});
