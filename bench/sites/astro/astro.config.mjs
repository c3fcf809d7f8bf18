import pingback from '@pingback/astro';
import { defineConfig } from 'astro/config';

// Built with and without the integration by `pnpm bench astro-build`; posts are generated into
// src/content/posts. No network: the integration runs as a dry run, reading an empty store.
export default defineConfig({
  site: 'https://bench.example',
  outDir: process.env.PINGBACK_BENCH_OUT ?? 'dist',
  integrations: process.env.PINGBACK_BENCH_WITH === '1' ? [pingback({ dryRun: true, directories: [] })] : [],
});
