import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // test/registry runs apart, by `pnpm test:registry` (vitest.registry.config.ts): it adds about two minutes.
    exclude: ['**/node_modules/**', '**/fixtures/**', '**/dist/**', 'test/registry/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Servers bind port 0 on loopback, so files can run side by side safely.
    fileParallelism: true,
  },
});
