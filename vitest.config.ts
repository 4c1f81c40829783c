import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the real models and photos, fetched into the cache or the run stops with one message
    globalSetup: ['test/fixtures/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests start real processes on free ports; two workers fit the 2-core box.
    maxWorkers: 2,
  },
});
