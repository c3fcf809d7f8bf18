import pingback from '@pingback/eleventy';
import { ASTRO_BLOG, ELEVENTY_BLOG } from './addresses.js';

export default function (eleventyConfig) {
  // Posts link to the Astro example with {{ astroBlog }}: one variable moves the whole demo.
  eleventyConfig.addGlobalData('astroBlog', ASTRO_BLOG);
  eleventyConfig.addGlobalData('site', { url: ELEVENTY_BLOG, name: 'Eleventy Example Blog' });
  eleventyConfig.addPlugin(pingback, {
    site: ELEVENTY_BLOG,
    // Real pages on the web are linked, but this example never pings them.
    skipHosts: ['*.wikipedia.org', 'www.11ty.dev', 'docs.astro.build', 'github.com', 'www.hixie.ch', 'www.w3.org'],
    // No blog directory hears about an example.
    directories: [],
  });
}

export const config = {
  dir: { input: 'src', output: '_site' },
  markdownTemplateEngine: 'njk',
};
