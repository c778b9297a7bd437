import { defineConfig } from 'vitest/config';

// Tests that need influxd 2.7 (built from source, minutes on a cold machine) are their own
// project: `npm test` builds influxd 2.7 in the background and runs them last (docs/testing.md).
const INFLUX27 = 'test/integration/**/*.influx27.test.ts';

export default defineConfig({
  test: {
    globalSetup: ['test/setup/build-engine.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/setup/fast-check.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [INFLUX27],
          environment: 'node',
          setupFiles: ['test/setup/fast-check.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // real servers: one file at a time keeps ports and CPU predictable on 2 cores
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'influx27',
          include: [INFLUX27],
          environment: 'node',
          setupFiles: ['test/setup/fast-check.ts'],
          testTimeout: 180_000,
          // run on its own (`npx vitest run --project influx27`) the first start builds influxd 2.7
          hookTimeout: 40 * 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
