import { defineConfig } from "vitest/config";
import { rawVite } from "./scripts/raw-import.mjs";

export default defineConfig({
  plugins: [rawVite],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
