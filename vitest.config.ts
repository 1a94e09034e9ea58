import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests drive one real Docker engine on a 2-core machine: run files one at a
    // time so their timing-sensitive parts (readiness, cancellation) are not starved.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    globalSetup: ["test/global-setup.ts"],
  },
});
