import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most e2e time is spent waiting on child processes, windows and timers, not CPU: two files at a
    // time on two cores halves the run (vitest's default is one worker per core, minus one). More than
    // two starved vitest's own worker RPC on this machine (a timeout calling onTaskUpdate).
    maxWorkers: 2,
    minWorkers: 1,
    globalSetup: ['test/helpers/pg-global.ts'],
  },
});
