import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file at a time (vitest's default on two cores). Two files at once took 360-390 s instead of
    // ~560 s, but on this 2-core machine it intermittently failed the run with vitest's own worker RPC
    // timeout ("Timeout calling onTaskUpdate"): a suite that can fail by itself is worse than a slow one.
    maxWorkers: 1,
    minWorkers: 1,
    globalSetup: ['test/helpers/pg-global.ts'],
  },
});
