// The canvas in Chromium against the built studio (dist/studio) served on
// 127.0.0.1: an example opens as its components and edges; a node added from
// the palette, connected, edited and renamed in the property panel shows up
// in the YAML editor's text. A screenshot per step is kept in test-artifacts/.
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { parse } from "yaml";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStudioServer, listen, stop } from "../src/cli/studio-server.js";
import { Workspace } from "../src/cli/workspace.js";
import { designToGraph } from "../src/studio/graph.js";
import { useChromium, watchedPage } from "./support/browser.js";

const chromium = useChromium();
const ARTIFACTS = "test-artifacts";
let server: ReturnType<typeof createStudioServer>;
let url = "";

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "archsim-canvas-"));
  copyFileSync("examples/hello.yaml", join(dir, "hello.yaml"));
  server = createStudioServer({
    workspace: await Workspace.open(dir),
    staticDir: "dist/studio",
    examplesDir: "examples",
  });
  url = (await listen(server, 0)).url;
  mkdirSync(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await stop(server, 100);
});

/** The editor's whole text (CodeMirror draws only the lines in view: read its state instead). */
async function editorText(page: Page): Promise<string> {
  return page.evaluate(() => {
    type View = { view?: { state: { doc: { toString(): string } } } };
    // CodeMirror keeps its view on the content element (cmTile; cmView before 6.39)
    const content = document.querySelector(".cm-content") as
      (HTMLElement & { cmTile?: View; cmView?: View }) | null;
    const view = content?.cmTile?.view ?? content?.cmView?.view;
    if (!view) throw new Error("no CodeMirror view on .cm-content");
    return view.state.doc.toString();
  });
}

/** A handle's box once the canvas has stopped moving (it re-fits and re-renders after edits). */
async function stableBox(page: Page, selector: string) {
  let last = "";
  for (let i = 0; i < 50; i++) {
    const box = await page.locator(selector).boundingBox();
    const now = JSON.stringify(box);
    if (box && now === last) return box;
    last = now;
    await page.waitForTimeout(150);
  }
  throw new Error(`${selector} keeps moving`);
}

/** Drags a new edge from one node's source handle to another's target handle. */
async function drawEdge(page: Page, from: string, to: string) {
  const a = await stableBox(page, `.react-flow__node[data-id="${from}"] .react-flow__handle.source`);
  const b = await stableBox(page, `.react-flow__node[data-id="${to}"] .react-flow__handle.target`);
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
  await page.mouse.up();
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(ARTIFACTS, `studio-canvas-${name}.png`) });

describe("the studio canvas", () => {
  it("shows an example, adds a node, connects it and edits it, all in the YAML", async () => {
    const { page, errors } = await watchedPage(chromium());
    await page.goto(`${url}#file=hello.yaml`);
    const hello = readFileSync("examples/hello.yaml", "utf8");
    const graph = designToGraph(parse(hello));

    // 1. every component a node, every reference an edge
    for (const n of graph.nodes)
      await page.waitForSelector(`[data-testid="node-${n.id}"]`, { timeout: 20000 });
    await expect.poll(() => page.locator(".react-flow__edge").count()).toBe(graph.edges.length);
    await shot(page, "1-open");

    // 2. a service dragged from the palette onto the canvas
    await page.dragAndDrop('[data-testid="palette-service"]', ".sc-flow", {
      targetPosition: { x: 120, y: 200 },
    });
    await page.waitForSelector('[data-testid="node-service"]', { timeout: 10000 });
    await expect.poll(async () => parse(await editorText(page)).components?.service?.kind).toBe("service");
    await page.locator(".react-flow__controls-fitview").click();
    await shot(page, "2-added");

    // 3. an edge the schema does not allow is refused, and the canvas says why
    await drawEdge(page, "db", "users");
    await expect
      .poll(() => page.getByTestId("canvas-notice").innerText())
      .toMatch(/a database connects to relay, service; not to a workload/);
    await shot(page, "3-refused");
    await page.getByRole("button", { name: "Dismiss" }).click();

    // 4. api connected to it: a call step in the route the user picks
    await drawEdge(page, "api", "service");
    const choice = page.getByRole("dialog", { name: "Connect api to service" });
    await choice.getByRole("button", { name: /api calls service \(route GET/ }).click();
    await expect
      .poll(async () => parse(await editorText(page)).components.api.routes["GET /item/:id"].at(-1))
      .toEqual({ call: "service" });
    await page.waitForSelector(
      '.react-flow__edge[data-id="api->service"], [data-testid="rf__edge-api->service"]',
    );
    await shot(page, "4-connected");

    // 5. a property edited in the panel changes the YAML
    await page.locator('[data-testid="node-service"]').click();
    const instances = page.locator("#prop-instances");
    await instances.fill("4");
    await instances.press("Enter");
    await expect.poll(async () => parse(await editorText(page)).components.service.instances).toBe(4);
    const algorithm = page.locator("#prop-concurrency");
    await expect(algorithm.getAttribute("placeholder")).resolves.toMatch(/default 1/);
    await shot(page, "5-edited");

    // 6. renamed in the panel: the component, the step that calls it and the canvas follow,
    // and it stays selected under its new name; a name already taken is refused
    const name = page.locator("#prop-name");
    await name.fill("db");
    await name.press("Enter");
    await expect
      .poll(() => page.getByTestId("property-notice").innerText())
      .toBe('there is already a component named "db"');
    expect(parse(await editorText(page)).components.service.kind).toBe("service");
    await name.fill("billing");
    await name.press("Enter");
    await expect.poll(async () => parse(await editorText(page)).components.billing?.instances).toBe(4);
    const design = parse(await editorText(page));
    expect(design.components.service).toBeUndefined();
    expect(design.components.api.routes["GET /item/:id"].at(-1)).toEqual({ call: "billing" });
    await page.waitForSelector('[data-testid="node-billing"]');
    expect(await page.locator('[data-testid="node-service"]').count()).toBe(0);
    await expect.poll(() => page.locator("#prop-name").inputValue()).toBe("billing");
    await shot(page, "6-renamed");

    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
