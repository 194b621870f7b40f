import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration suites share one broker on 2 cores: run files one at a time.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            '{libs,services,connectors,examples,schemas,infra}/*/src/**/*.test.ts',
            '{schemas,infra}/src/**/*.test.ts',
            'bench/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{libs,services,connectors,examples}/*/test/**/*.test.ts', '{schemas,infra}/test/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['libs/testing/src/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
