/** What an adapter knows about a built page when it decides whether the page is a post. */
export interface PageInfo {
  /** The page's absolute URL. */
  url: URL;
  /** Its canonical key (`/posts/hello`). */
  key: string;
  /** Astro: the route pattern (`/posts/[slug]`). */
  route?: string;
  /** Eleventy: the template's input path and data. */
  inputPath?: string;
  data?: Record<string, unknown>;
  /** What the host knows from front matter: a draft or `pingback: false` (opt-out), or `noindex: true`. */
  exclusion?: 'noindex' | 'opt-out';
  /** The page takes pingbacks only: front matter `advertise: { webmention: false }`. */
  pingbackOnly?: boolean;
}

/**
 * A path glob over canonical keys: `*` matches within one segment, `**` one or more whole segments
 * (so `/posts/**` matches `/posts/a` and `/posts/2026/a` but not the list page `/posts` itself).
 */
export function pathGlob(pattern: string): RegExp {
  const key = pattern.length > 1 ? pattern.replace(/\/+$/, '') : pattern;
  const parts = key.split('/').map((segment) => {
    if (segment === '**') return '[^/]+(?:/[^/]+)*';
    return segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  });
  return new RegExp(`^${parts.join('/')}$`);
}

/** True for a string that names an Astro route (`/posts/[slug]`) rather than a path glob. */
export function isRoutePattern(pattern: string): boolean {
  return pattern.includes('[');
}

const compiled = new Map<string, RegExp>();

/** Matches a page against route patterns and path globs (each glob compiled once). */
export function matchesAny(page: PageInfo, patterns: readonly string[]): boolean {
  for (const p of patterns) {
    if (isRoutePattern(p)) {
      if (page.route === p) return true;
      continue;
    }
    let re = compiled.get(p);
    if (!re) {
      re = pathGlob(p);
      compiled.set(p, re);
    }
    if (re.test(page.key)) return true;
  }
  return false;
}
