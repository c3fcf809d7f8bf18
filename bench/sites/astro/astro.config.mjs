import { defineConfig } from 'astro/config';
import { timedAstroIntegration, timedImport } from '../plugin-timer.mjs';

// Built with and without the integration by `pnpm bench astro-build`; posts are generated into
// src/content/posts. No network: the integration runs as a dry run, reading an empty store. The build
// without it does not import it either; with PINGBACK_BENCH_TIMES set, the integration's own time inside
// the build is written there (../plugin-timer.mjs).
const integrations = [];
if (process.env.PINGBACK_BENCH_WITH === '1') {
  const { default: pingback } = await timedImport(() => import('@pingback/astro'));
  integrations.push(timedAstroIntegration(pingback({ dryRun: true, directories: [] })));
}

export default defineConfig({
  site: 'https://bench.example',
  outDir: process.env.PINGBACK_BENCH_OUT ?? 'dist',
  integrations,
});
