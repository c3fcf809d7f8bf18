import { resolveIntegrationOptions } from '@pingback/core';
import { DEPLOYED_URL, pingbackOptions } from '../../../examples/astro-blog/pingback.options.mjs';
import { functionSettings } from '../src/emit-for-build.ts';
import type { FunctionSettings } from '../src/settings.ts';

/**
 * The examples' own deployment: the repository root deploys examples/astro-blog (see netlify.toml), and
 * netlify/functions/pingback.mts is the template rendered with that example's options. Regenerate it with
 * `node packages/netlify/test/write-example-function.ts` after changing them.
 */
export const EXAMPLE_FUNCTION: { settings: FunctionSettings; manifestImport: string } = {
  settings: functionSettings(resolveIntegrationOptions(pingbackOptions, { site: DEPLOYED_URL, siteHint: '', dryRunByDefault: false, onNetlify: true })),
  manifestImport: '../../examples/astro-blog/.pingback/manifest.json',
};
