import { canonicalKey } from '../site/canonical.ts';
import type { Manifest } from '../site/manifest.ts';

/**
 * Which post of the new site an old post (or an old target URL) is, decided in this order and never
 * guessed: the import's map (old URL → new URL lines), the redirects the site declares (the manifest's
 * aliases), the same path (the post kept its URL), and the old slug against the last path segment of the
 * new site's post keys, when exactly one key ends in it. Anything else is unmatched and reported.
 */
export type MatchVia = 'map' | 'redirect' | 'same-path' | 'slug';

export type Match = { key: string; via: MatchVia } | { key: null; reason: 'no-match' | 'ambiguous-slug' | 'map-target-not-a-post'; candidates?: string[] };

/** What the map and the aliases are keyed by: the old URL's canonical key, with its query when it has one (`/?p=42`). */
export function oldUrlId(url: URL): string {
  const key = canonicalKey(url);
  return url.search.length > 1 ? `${key}${url.search}` : key;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A slug as compared: percent-escapes decoded (WordPress stores `%c3%bc`, keys hold `%C3%BC`), NFC, lower case. */
export function slugForm(segment: string): string {
  return safeDecode(segment).normalize('NFC').toLowerCase();
}

export class PostMatcher {
  private readonly pages: Set<string>;
  private readonly aliases: Record<string, string>;
  private readonly map: ReadonlyMap<string, string>;
  private readonly bySlug = new Map<string, string[]>();

  /**
   * `map`: old URL ids (`oldUrlId`) → new canonical keys, from `--map`. The site's pages are the
   * manifest's pingable pages and its posts.
   */
  constructor(manifest: Pick<Manifest, 'pages' | 'posts' | 'aliases'>, map: ReadonlyMap<string, string> = new Map()) {
    this.pages = new Set([...manifest.pages, ...manifest.posts.map((p) => p.key)]);
    this.aliases = manifest.aliases ?? {};
    this.map = map;
    for (const key of this.pages) {
      const last = key.slice(key.lastIndexOf('/') + 1);
      if (!last) continue;
      const slug = slugForm(last);
      const keys = this.bySlug.get(slug);
      if (keys) keys.push(key);
      else this.bySlug.set(slug, [key]);
    }
  }

  isPage(key: string): boolean {
    return this.pages.has(key);
  }

  /** The new post for an old URL (and the old post's slug, when known). */
  match(oldUrl: string, slug = ''): Match {
    const url = URL.parse(oldUrl);
    if (url && (url.protocol === 'http:' || url.protocol === 'https:')) {
      const id = oldUrlId(url);
      const mapped = this.map.get(id);
      if (mapped !== undefined)
        return this.pages.has(mapped) ? { key: mapped, via: 'map' } : { key: null, reason: 'map-target-not-a-post', candidates: [mapped] };
      const aliased = this.aliases[id];
      if (aliased !== undefined && this.pages.has(aliased)) return { key: aliased, via: 'redirect' };
      // `/?p=42` names its post by the query; its path (the home page) says nothing.
      if (url.search.length <= 1 && this.pages.has(id) && id !== '/') return { key: id, via: 'same-path' };
      if (!slug) {
        const last = url.search.length > 1 ? '' : id.slice(id.lastIndexOf('/') + 1);
        slug = last;
      }
    }
    if (slug) {
      const keys = this.bySlug.get(slugForm(slug));
      if (keys?.length === 1) return { key: keys[0]!, via: 'slug' };
      if (keys && keys.length > 1) return { key: null, reason: 'ambiguous-slug', candidates: [...keys].sort() };
    }
    return { key: null, reason: 'no-match' };
  }
}
