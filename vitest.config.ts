import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests start real processes on free ports; two workers fit the 2-core box.
    maxWorkers: 2,
  },
});
