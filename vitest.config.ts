import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

/** .svelte.ts modules compiled as for the browser (signals, not the server's plain fields), even under Node */
const clientSvelte = () => svelte({ dynamicCompileOptions: () => ({ generate: 'client' }) });

// Tests that need what `npm test` prepares in the background (influxd 2.7 built from source, the
// Flink venv: minutes on a cold machine) are projects of their own, run last (docs/testing.md).
const INFLUX27 = 'test/integration/**/*.influx27.test.ts';
/** tests that run Flink jobs (they need the flink-venv the set-up finishes in the background) */
const FLINK = ['test/integration/targets/flink/**/*.test.ts', 'test/integration/export/verify.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/setup/build-engine.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: ['test/unit/renderer/**'],
          environment: 'node',
          setupFiles: ['test/setup/fast-check.ts'],
          testTimeout: 20_000,
        },
      },
      {
        // the renderer's state classes (.svelte.ts runes modules, compiled as for the browser: signals, not the
        // server's plain fields) under plain Node, through the in-process transport of the real handlers
        // (docs/architecture.md#the-renderer)
        plugins: [clientSvelte()],
        test: {
          name: 'renderer',
          include: ['test/unit/renderer/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/setup/fast-check.ts'],
          testTimeout: 20_000,
        },
      },
      {
        // the renderer's state against real servers (test/integration/renderer-*.test.ts)
        plugins: [clientSvelte()],
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [INFLUX27, ...FLINK],
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
          include: FLINK,
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
