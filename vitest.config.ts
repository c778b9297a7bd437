import { defineConfig } from 'vitest/config';

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
          environment: 'node',
          setupFiles: ['test/setup/fast-check.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // real servers: one file at a time keeps ports and CPU predictable on 2 cores
          fileParallelism: false,
        },
      },
    ],
  },
});
