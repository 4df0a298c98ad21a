// Types of scripts/raw-import.mjs, for vitest.config.ts.
import type { Plugin as EsbuildPlugin } from "esbuild";
import type { Plugin as VitePlugin } from "vite";

export const rawEsbuild: EsbuildPlugin;
export const rawVite: VitePlugin;
