import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real loopback servers (simulator, dynalite); keep the suite inside two cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    setupFiles: ['test/setup.ts'],
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
  },
});
