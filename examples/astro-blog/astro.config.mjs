import pingback from '@pingback/astro';
import { defineConfig } from 'astro/config';
import { ASTRO_BLOG } from './addresses.mjs';
import { pingbackOptions } from './pingback.options.mjs';

export default defineConfig({
  site: ASTRO_BLOG,
  integrations: [
    pingback({
      ...pingbackOptions,
      // The repository root deploys this site with its own copy of the Function (netlify/functions/pingback.mts).
      ...(process.env.PINGBACK_EMIT_FUNCTION === 'false' ? { netlify: false } : {}),
    }),
  ],
});
