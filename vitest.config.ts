import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores: each test file starts its own worker children, so run two files at a time.
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ["default"],
    // The platform's packages run as built (dist), exactly as in production: Node loads
    // them natively instead of through Vite's transform.
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
  },
});
