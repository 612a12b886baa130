import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
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
    projects: [
      { extends: true, test: { name: "suite", include: ["packages/*/test/**/*.test.ts"] } },
      {
        // The server's end-to-end suites again, on PostgreSQL + RabbitMQ + Redis (one
        // schema and queue per test platform: see packages/server/test/helpers.ts).
        extends: true,
        test: {
          name: "distributed",
          include: ["packages/server/test/**/*.test.ts"],
          exclude: ["packages/server/test/distributed.test.ts", "packages/server/test/files-store.test.ts"],
          env: { BIFROST_TEST_MODE: "distributed" },
        },
      },
      {
        // Restarts the shared RabbitMQ and Redis: runs alone, after every other file.
        extends: true,
        test: { name: "faults", include: ["packages/*/test-faults/**/*.test.ts"], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
