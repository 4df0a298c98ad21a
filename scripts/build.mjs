// Bundles the CLI and the library entry with esbuild (types are checked by `tsc --noEmit`).
import { build } from "esbuild";
import { rawEsbuild } from "./raw-import.mjs";

await build({
  entryPoints: { "cli/main": "src/cli/main.ts", index: "src/index.ts" },
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
