// Principle 6: the core (kernel, mechanisms, components, design loading,
// reports) runs unchanged in a browser Web Worker. Bundling the public API for
// the browser platform fails on any Node-only import, and the bundle must run
// a design with nothing but what a worker has.
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";

describe("browser core", () => {
  it("bundles for the browser and runs a design without Node's globals", async () => {
    const out = await build({
      entryPoints: ["src/index.ts"],
      bundle: true,
      platform: "browser",
      format: "iife",
      globalName: "archsim",
      write: false,
      logLevel: "silent",
    });
    const code = out.outputFiles[0].text;
    // a fresh context with only what a Web Worker offers: no process, require or Buffer
    const sandbox: Record<string, unknown> = {
      performance,
      console,
      TextEncoder,
      TextDecoder,
      importScripts: () => undefined, // libraries tell a worker apart by this global
    };
    runInNewContext(`${code};globalThis.archsim = archsim;`, sandbox);
    const api = sandbox.archsim as typeof import("../src/index.js");
    const loaded = api.loadDesign(readFileSync("examples/theory/mm1.yaml", "utf8"), "mm1.yaml", [
      "duration=5s",
    ]);
    const report = api.runDesign(loaded, { seed: 1 });
    expect(report.requests.total).toBeGreaterThan(3000);
    expect(report.requests.failed).toBe(0);
  });
});
