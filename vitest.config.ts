import { defineConfig } from 'vitest/config';

// Tests that need what `npm test` prepares in the background (influxd 2.7 built from source, the
// Flink venv: minutes on a cold machine) are projects of their own, run last (docs/testing.md).
const INFLUX27 = 'test/integration/**/*.influx27.test.ts';
const FLINK = 'test/integration/targets/flink/**/*.test.ts';

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
          exclude: [INFLUX27, FLINK],
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
      {
        test: {
          name: 'flink',
          include: [FLINK],
          environment: 'node',
          setupFiles: ['test/setup/fast-check.ts'],
          // a Flink job in local mode is given 10 minutes by its helper (flink-helpers.ts)
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
