import pingback from '@pingback/eleventy';

// Built with and without the plugin by `pnpm bench eleventy-build`; posts are generated into src/posts.
export default function (eleventyConfig) {
  if (process.env.PINGBACK_BENCH_WITH === '1') eleventyConfig.addPlugin(pingback, { site: 'https://bench.example/', dryRun: true, directories: [] });
}

export const config = { dir: { input: 'src', output: process.env.PINGBACK_BENCH_OUT ?? '_site' } };
