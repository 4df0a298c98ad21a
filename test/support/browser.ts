// Headless Chromium for the browser tests: Debian's package (/usr/bin/chromium,
// installed by .ci/run), launched once per test file, and pages that record
// console errors and any request for something other than a local file.
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

/** Launches Chromium before the file's tests and closes it after; call the result for the browser. */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error("Chromium is not running (useChromium's beforeAll has not run)");
    return browser;
  };
}

/** A 1280x800 page whose console errors/warnings, page errors and non-file requests are collected. */
export async function watchedPage(
  browser: Browser,
): Promise<{ page: Page; errors: string[]; fetched: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  const fetched: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) fetched.push(r.url());
  });
  return { page, errors, fetched };
}
