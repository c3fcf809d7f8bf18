import type { FunctionSettings } from '../src/settings.ts';

/**
 * The examples' own deployment: the repository root deploys examples/astro-blog, and
 * netlify/functions/pingback.mts is the template rendered with these settings. Regenerate it with
 * `node packages/netlify/test/write-example-function.ts` after changing them.
 */
export const EXAMPLE_FUNCTION: { settings: FunctionSettings; manifestImport: string } = {
  settings: { site: 'https://pingback-astro-blog.netlify.app/', hosts: ['*--pingback-astro-blog.netlify.app'] },
  manifestImport: '../../examples/astro-blog/.pingback/manifest.json',
};
