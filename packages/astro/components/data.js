// The site's linkbacks as the integration read them for this build, and helpers to look them up by any
// URL or path of a post (matched by canonical key, so trailing slashes and schemes never split counts).
import data from 'virtual:@pingback/astro/data';
import { canonicalKey, checkKinds, countLinkbacks, ofKinds } from '@pingback/core/render';

/** The canonical key of a URL, path or `Astro.url`. */
export function keyOf(url) {
  return canonicalKey(new URL(String(url), data.site));
}

/**
 * The approved linkbacks of a post, oldest first; with `kind` (one kind or a list), only those:
 * `pingbacksFor(Astro.url, 'like')`.
 */
export function pingbacksFor(url, kind) {
  const all = data.byKey[keyOf(url)] ?? [];
  return kind === undefined ? all : ofKinds(all, checked('pingbacksFor', kind));
}

/** How many there are (of `kind`, when given): always the length of `pingbacksFor(url, kind)`. */
export function pingbackCount(url, kind) {
  return countLinkbacks(data.byKey[keyOf(url)] ?? [], kind === undefined ? undefined : checked('pingbackCount', kind));
}

function checked(where, kind) {
  try {
    return checkKinds('kind', kind);
  } catch (error) {
    error.message = `[@pingback/astro] ${where}(): ${error.message}`;
    throw error;
  }
}

/** The same, in protocol-neutral names. */
export const linkbacksFor = pingbacksFor;
export const linkbackCount = pingbackCount;
