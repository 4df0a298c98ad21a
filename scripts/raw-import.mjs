// `import text from "some/file?raw"`: the file's contents as a string, resolved
// like any import (node_modules included). One plugin for esbuild (scripts/build.mjs)
// and one for Vitest (vitest.config.ts), so source, tests and dist agree. Used to
// embed uPlot in the self-contained HTML report.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";

const SUFFIX = "?raw";
const VITE_ID = ".raw-import.js";

function resolveFrom(importer, spec) {
  return createRequire(importer).resolve(spec);
}

function module(file) {
  return `export default ${JSON.stringify(readFileSync(file, "utf8"))};`;
}

export const rawEsbuild = {
  name: "raw-import",
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: resolveFrom(`${args.resolveDir}/`, args.path.slice(0, -SUFFIX.length)),
      namespace: "raw-import",
    }));
    b.onLoad({ filter: /.*/, namespace: "raw-import" }, (args) => ({
      contents: readFileSync(args.path, "utf8"),
      loader: "text",
      resolveDir: dirname(args.path),
    }));
  },
};

export const rawVite = {
  name: "raw-import",
  enforce: "pre",
  resolveId(source, importer) {
    if (!source.endsWith(SUFFIX) || !importer) return null;
    // an id that no other plugin (CSS handling above all) claims
    return `${resolveFrom(importer, source.slice(0, -SUFFIX.length))}${VITE_ID}`;
  },
  load(id) {
    return id.endsWith(VITE_ID) ? module(id.slice(0, -VITE_ID.length)) : null;
  },
};
