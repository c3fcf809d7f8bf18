import { defineConfig } from 'vitest/config';

// `pnpm test:registry`: the packages published to a local registry and installed from it as users will.
// Apart from `pnpm test` because its npm installs (astro, Eleventy, through the registry's proxy, with an
// empty npm cache) add about two minutes to it; .ci/run runs both.
export default defineConfig({
  test: {
    include: ['test/registry/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 180_000,
  },
});
