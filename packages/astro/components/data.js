// The site's pingbacks as the integration read them for this build, and helpers to look them up by any
// URL or path of a post (matched by canonical key, so trailing slashes and schemes never split counts).
import data from 'virtual:@pingback/astro/data';
import { canonicalKey } from '@pingback/core/render';

/** The canonical key of a URL, path or `Astro.url`. */
export function keyOf(url) {
  return canonicalKey(new URL(String(url), data.site));
}

/** The approved pingbacks of a post, oldest first. */
export function pingbacksFor(url) {
  return data.byKey[keyOf(url)] ?? [];
}

/** How many there are: always the length of `pingbacksFor(url)`. */
export function pingbackCount(url) {
  return pingbacksFor(url).length;
}
