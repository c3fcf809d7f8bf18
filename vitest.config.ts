import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/fixtures/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Servers bind port 0 on loopback, so files can run side by side safely.
    fileParallelism: true,
  },
});
