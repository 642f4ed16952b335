import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: run test files two at a time so CPU-heavy suites do not starve each other.
    maxWorkers: 2,
  },
});
