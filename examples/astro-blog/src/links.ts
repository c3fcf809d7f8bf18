import { ELEVENTY_BLOG } from '../addresses.mjs';

// Posts link to the Eleventy example as `eleventy:/posts/…/`; the page turns that into the absolute URL
// of wherever that blog lives, so the demo can move both blogs with one environment variable.
export function linkOtherBlog(html: string): string {
  return html.replaceAll('href="eleventy:/', `href="${ELEVENTY_BLOG}`);
}
