// The example's @pingback/astro options, in a module of their own so the repository's reference
// Function (netlify/functions/pingback.mts) is generated from exactly these.
export const pingbackOptions = {
  posts: ['/posts/**'],
  // Real pages on the web are linked, but this example never pings them.
  skipHosts: ['*.wikipedia.org', 'docs.astro.build', 'www.11ty.dev', 'github.com', 'www.hixie.ch', 'www.w3.org'],
  // No blog directory hears about an example.
  directories: [],
};

/** Netlify's URL for the repository's own deployment of this example. */
export const DEPLOYED_URL = 'https://pingback-astro-blog.netlify.app/';
