// Bundles the CLI and the library entry with esbuild (types are checked by `tsc --noEmit`),
// then the studio's front-end with Vite into dist/studio (served by `archsim studio`).
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build as viteBuild } from "vite";
import { rawEsbuild } from "./raw-import.mjs";

await build({
  // the worker is an entry of its own: the run pool starts it by file (dist/cli/worker.js)
  entryPoints: { "cli/main": "src/cli/main.ts", "cli/worker": "src/cli/worker.ts", index: "src/index.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
  plugins: [rawEsbuild],
});

// `--no-studio` skips the front-end (a quicker rebuild while working on the CLI)
if (!process.argv.includes("--no-studio")) {
  const here = dirname(fileURLToPath(import.meta.url));
  await viteBuild({ configFile: join(here, "../studio/vite.config.ts") });
}
