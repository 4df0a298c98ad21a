// The studio's front-end build: React 19 through Vite's own JSX transform (no
// plugin), built by scripts/build.mjs into dist/studio, which `archsim studio`
// serves. Relative asset URLs, so the page works at any mount point.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { rawVite } from "../scripts/raw-import.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "./",
  // the same `?raw` resolution as the CLI bundle and Vitest (the HTML report's uPlot assets)
  plugins: [rawVite],
  oxc: { jsx: { runtime: "automatic" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/studio", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    // one app chunk of React + CodeMirror + the simulator core is expected
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      // hdr-histogram-js's UMD wrapper uses eval to find its globals: known and harmless
      onLog(level, log, handler) {
        if (log.code === "EVAL" && log.id?.includes("hdr-histogram-js")) return;
        handler(level, log);
      },
    },
  },
  worker: { format: "es" },
  logLevel: "warn",
  clearScreen: false,
});
