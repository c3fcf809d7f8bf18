// Where the two example blogs live. Netlify sets URL for the deployed site; the demo serves both on fixed
// loopback addresses that these variables can change.
export const ELEVENTY_BLOG = process.env.URL ?? process.env.PINGBACK_ELEVENTY_URL ?? 'http://127.0.0.1:4322/';
export const ASTRO_BLOG = process.env.PINGBACK_ASTRO_URL ?? 'http://127.0.0.1:4321/';
