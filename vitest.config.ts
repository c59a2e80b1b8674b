import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time on two cores (vitest's default would be one): most e2e time is spent
    // waiting on child processes, windows and timers. That made a long run of synchronous tests
    // slow enough to starve vitest's worker RPC; test/helpers/yield.ts is what keeps it answered.
    maxWorkers: 2,
    minWorkers: 1,
    setupFiles: ['test/helpers/yield.ts'],
    globalSetup: ['test/helpers/pg-global.ts'],
  },
});
