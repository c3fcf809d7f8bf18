import { timedEleventyPlugin, timedImport } from '../plugin-timer.mjs';

// Built with and without the plugin by `pnpm bench eleventy-build`; posts are generated into src/posts. The
// build without it does not import it either, as a site without the plugin would not. With
// PINGBACK_BENCH_TIMES set, the plugin's own time inside the build is written there (../plugin-timer.mjs).
export default async function (eleventyConfig) {
  if (process.env.PINGBACK_BENCH_WITH !== '1') return;
  const { default: pingback } = await timedImport(() => import('@pingback/eleventy'));
  eleventyConfig.addPlugin(timedEleventyPlugin(pingback), { site: 'https://bench.example/', dryRun: true, directories: [] });
}

export const config = { dir: { input: 'src', output: process.env.PINGBACK_BENCH_OUT ?? '_site' } };
