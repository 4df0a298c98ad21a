// The studio's shell as a person uses it, in headless Chromium (Debian's
// /usr/bin/chromium) against the real server on 127.0.0.1 (port 0) with a
// temp workspace and the built front-end (dist/studio, from `npm run build`):
// the gallery, a copy of an example, an error typed into the YAML and shown
// inline, the fix, Ctrl+S, a reload that shows the saved text; and the same
// by keyboard alone. A screenshot per step is kept in test-artifacts/.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listExamples } from "../src/cli/studio-examples.js";
import { createStudioServer, listen, stop } from "../src/cli/studio-server.js";
import { Workspace } from "../src/cli/workspace.js";
import { useChromium, watchedPage } from "./support/browser.js";

const chromium = useChromium();
/** expect.poll with room for a busy machine (its default gives up after a second) */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 50 });
const ARTIFACTS = "test-artifacts";
const HELLO = readFileSync("examples/hello.yaml", "utf8");

let server: Server;
let base = "";
let root = "";

beforeAll(async () => {
  if (!existsSync("dist/studio/index.html"))
    throw new Error("dist/studio is not built: run `npm run build` before the browser tests");
  mkdirSync(ARTIFACTS, { recursive: true });
  root = mkdtempSync(join(tmpdir(), "archsim-studio-e2e-"));
  const workspace = await Workspace.open(root);
  server = createStudioServer({ workspace, staticDir: "dist/studio", examplesDir: "examples" });
  ({ url: base } = await listen(server, 0));
});

afterAll(async () => {
  await stop(server);
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `studio-shell-${name}.png`) });
}

/** The editor's rendered lines (CodeMirror renders those near the viewport; an empty line renders as "\n"). */
async function editorLines(page: Page): Promise<string[]> {
  return (await page.locator(".cm-content .cm-line").allInnerTexts()).map((t) => t.replace(/\n$/, ""));
}

/** Scrolls the editor with the mouse wheel until a line containing `text` is rendered, and returns it. */
async function lineWith(page: Page, text: string) {
  const line = page.locator(".cm-content .cm-line", { hasText: text }).first();
  await page.locator(".cm-content").hover();
  for (let i = 0; i < 40 && (await line.count()) === 0; i++) {
    await page.mouse.wheel(0, 200);
    await page.waitForTimeout(30);
  }
  await line.scrollIntoViewIfNeeded();
  return line;
}

/** Puts the cursor at the end of the editor line that contains `text`. */
async function endOfLine(page: Page, text: string): Promise<void> {
  await (await lineWith(page, text)).click();
  await page.keyboard.press("End");
}

describe("studio shell in Chromium", () => {
  it("gallery -> copy of an example -> an error inline -> fixed -> saved -> reloaded", async () => {
    const { page, errors, fetched } = await watchedPage(chromium());

    // 1. an empty workspace opens on the gallery: every example, with its story
    await page.goto(base);
    const gallery = page.getByTestId("gallery");
    await gallery.waitFor();
    const examples = await listExamples("examples");
    await poll(() => gallery.locator(".card").count()).toBe(examples.length);
    const helloCard = gallery.locator('[data-example="hello.yaml"]');
    await poll(() => helloCard.locator(".story").innerText()).toMatch(/^A first design: users -> load/);
    await shot(page, "1-gallery");

    // 2. open a copy of hello.yaml in the workspace
    await page.getByRole("button", { name: "Open a copy of hello.yaml" }).click();
    const dialog = page.getByRole("dialog");
    await poll(() => dialog.locator("input").inputValue()).toBe("hello.yaml");
    await shot(page, "2-copy-dialog");
    await page.keyboard.press("Enter");
    await poll(() => page.getByTestId("current-file").innerText()).toBe("hello.yaml");
    expect(readFileSync(join(root, "hello.yaml"), "utf8")).toBe(HELLO);
    await poll(async () => (await editorLines(page)).slice(0, 10)).toEqual(HELLO.split("\n").slice(0, 10));
    expect(await (await lineWith(page, "instances:")).innerText()).toBe("    instances: 3");
    await poll(() => page.getByTestId("problems").locator("h2").textContent()).toBe("No problems");
    await poll(() => page.getByTestId("file-list").innerText()).toContain("hello.yaml");
    await shot(page, "3-copy-opened");

    // 3. an error typed into the YAML shows inline (underline, gutter, tooltip) and in the problems list
    const line = HELLO.split("\n").findIndex((l) => l.includes("instances: 3")) + 1;
    await endOfLine(page, "instances: 3");
    await page.keyboard.press("Backspace");
    await page.keyboard.type("three");
    const mark = page.locator(".cm-lintRange-error");
    // the linter may run mid-word (on "th") under load: wait for the diagnostic of the whole word
    await poll(() => mark.first().innerText()).toBe("three");
    await poll(() => page.locator(".cm-lint-marker-error").count()).toBe(1);
    const problems = page.getByTestId("problems");
    await poll(() => problems.locator("h2").textContent()).toBe("Problems (1)");
    const problem = await problems.locator("li").innerText();
    expect(problem).toContain(`${line}:16`);
    expect(problem).toContain('"three" is not a count');
    expect(problem).toContain("expected: a count such as 100");
    expect(await page.getByTestId("current-file").innerText()).toContain("●");
    // the problem in the list takes the cursor to it
    await page.keyboard.press("Control+Home");
    await problems.locator("li button").click();
    await poll(() => page.locator(".cm-activeLine").innerText()).toBe("    instances: three");
    await mark.first().hover();
    await page.locator(".cm-tooltip-lint").waitFor();
    expect(await page.locator(".cm-tooltip-lint").innerText()).toContain('"three" is not a count');
    await shot(page, "4-error-inline");

    // 4. fixed: the marks go; 5. Ctrl+S saves the new text and clears the dirty marker
    await endOfLine(page, "instances: three");
    for (let i = 0; i < "three".length; i++) await page.keyboard.press("Backspace");
    await page.keyboard.type("4");
    await poll(() => problems.locator("h2").textContent()).toBe("No problems");
    expect(await mark.count()).toBe(0);
    await shot(page, "5-fixed");
    await page.keyboard.press("Control+s");
    const saved = HELLO.replace("instances: 3", "instances: 4");
    await poll(() => readFileSync(join(root, "hello.yaml"), "utf8")).toBe(saved);
    await poll(() => page.getByTestId("status").innerText()).toBe("Saved hello.yaml");
    expect(await page.getByTestId("current-file").innerText()).toBe("hello.yaml");
    expect(readdirSync(root).sort()).toEqual(["hello.yaml"]);
    await shot(page, "6-saved");

    // 6. a reload reopens the file (its name is in the URL) with the saved text
    await page.reload();
    await poll(() => page.getByTestId("current-file").innerText()).toBe("hello.yaml");
    await poll(async () => (await editorLines(page)).slice(0, 10)).toEqual(saved.split("\n").slice(0, 10));
    expect(await (await lineWith(page, "instances:")).innerText()).toBe("    instances: 4");
    await shot(page, "7-reloaded");

    expect(errors).toEqual([]);
    expect(fetched.filter((u) => !u.startsWith(base))).toEqual([]);
    await page.close();
  });

  it("works from the keyboard alone: shortcuts list, new design, typing, save, problem navigation", async () => {
    const { page, errors } = await watchedPage(chromium());
    await page.goto(base);
    await page.getByTestId("file-list").waitFor();

    // Tab reaches the top bar's first enabled button (no file is open: Save is disabled), with a visible focus ring
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      return { text: el.textContent, outline: getComputedStyle(el).outlineStyle };
    });
    expect(focused).toEqual({ text: "New", outline: "solid" });

    // "?" lists the shortcuts; Esc closes the list
    await page.keyboard.press("?");
    const list = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await list.waitFor();
    expect(await list.innerText()).toContain("Ctrl/Cmd+S");
    // Tab stays inside the dialog (its only control is Close)
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Close");
    await shot(page, "keyboard-1-shortcuts");
    await page.keyboard.press("Escape");
    await list.waitFor({ state: "detached" });

    // Alt+Shift+N: a new design, named by typing; the editor has the focus afterwards
    await page.keyboard.press("Alt+Shift+KeyN");
    const dialog = page.getByRole("dialog", { name: "New design" });
    await dialog.waitFor();
    await page.keyboard.type("typed");
    await page.keyboard.press("Enter");
    await poll(() => page.getByTestId("current-file").innerText()).toBe("typed.yaml");
    await poll(() => page.evaluate(() => document.activeElement?.classList.contains("cm-content"))).toBe(
      true,
    );

    // a typo in a component kind, made with the arrow keys: the suggestion is in the problems list
    const starter = readFileSync(join(root, "typed.yaml"), "utf8").split("\n");
    const kindLine = starter.findIndex((l) => l.trim() === "kind: service");
    await page.keyboard.press("Control+Home");
    for (let i = 0; i < kindLine; i++) await page.keyboard.press("ArrowDown");
    await page.keyboard.press("End");
    for (let i = 0; i < 3; i++) await page.keyboard.press("Backspace");
    await page.keyboard.type("ce");
    const problems = page.getByTestId("problems");
    await poll(() => problems.innerText()).toContain("did you mean service?");
    // F8 (from the top) moves the cursor to the problem
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("F8");
    await poll(() => page.locator(".cm-activeLine").innerText()).toBe("    kind: servce");
    await shot(page, "keyboard-2-problem");

    await page.keyboard.press("Control+s");
    await poll(() => readFileSync(join(root, "typed.yaml"), "utf8")).toContain("kind: servce");
    await poll(() => page.getByTestId("status").innerText()).toBe("Saved typed.yaml (1 problem remains)");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("asks before overwriting a design that changed on disk since it was opened", async () => {
    const { page, errors } = await watchedPage(chromium());
    writeFileSync(join(root, "shared.yaml"), HELLO);
    await page.goto(`${base}#file=shared.yaml`);
    await poll(() => page.getByTestId("current-file").innerText()).toBe("shared.yaml");
    const theirs = HELLO.replace("seed: 42", "seed: 7");
    writeFileSync(join(root, "shared.yaml"), theirs); // another editor saves meanwhile
    await endOfLine(page, "seed: 42");
    await page.keyboard.type("0");

    // declined: the other version stays on disk
    const asked: string[] = [];
    page.once("dialog", (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.keyboard.press("Control+s");
    await poll(() => page.getByTestId("status").innerText()).toMatch(
      /^Not saved: shared\.yaml changed on disk/,
    );
    expect(asked).toEqual([
      "shared.yaml changed on disk since you opened it. Overwrite it with your version?",
    ]);
    expect(readFileSync(join(root, "shared.yaml"), "utf8")).toBe(theirs);
    await shot(page, "conflict-declined");

    // accepted: the user's version replaces it
    page.once("dialog", (d) => void d.accept());
    await page.keyboard.press("Control+s");
    await poll(() => readFileSync(join(root, "shared.yaml"), "utf8")).toBe(
      HELLO.replace("seed: 42", "seed: 420"),
    );
    await poll(() => page.getByTestId("status").innerText()).toBe("Saved shared.yaml");
    // the browser logs each refused save (412) as a failed request; nothing else may be logged
    expect(errors.filter((e) => !/status of 412 \(Precondition Failed\)/.test(e))).toEqual([]);
    expect(errors.length).toBe(2);
    await page.close();
  });
});
