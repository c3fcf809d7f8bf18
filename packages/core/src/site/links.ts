import type { HostPattern } from './host-pattern.ts';
import type { SiteMatcher } from './site.ts';

function trimUrl(href: string): string {
  // What the URL parser strips anyway: surrounding C0 controls and spaces.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the URL parser's own trim, C0 controls included.
  return href.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
}

export interface TargetFilter {
  /** The page the links come from. */
  pageUrl: string | URL;
  /** `<base href>` of the page, if any. */
  baseHref?: string | null;
  /** Links to these origins are internal and never pinged. */
  site?: SiteMatcher;
  /** Hosts never pinged (social networks, say). */
  skip?: readonly HostPattern[];
}

/**
 * The targets worth pinging among a page's link hrefs: absolute http(s) links to other sites, not bare
 * home pages (no one registers a pingback on a home page), each once. Targets that differ only by
 * fragment are one target, sent as first written; an absolute href is sent exactly as written so that
 * receivers comparing strings (WordPress does) find it in the source.
 */
export function selectTargets(hrefs: readonly string[], filter: TargetFilter): string[] {
  const page = new URL(String(filter.pageUrl));
  const base = (filter.baseHref && URL.parse(trimUrl(filter.baseHref), page.href)) || page;
  const seen = new Set<string>();
  const targets: string[] = [];
  for (const raw of hrefs) {
    const href = trimUrl(raw);
    if (href === '' || href.startsWith('#')) continue;
    const url = URL.parse(href, base.href);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) continue;
    if (url.username || url.password) continue;
    if (url.host === page.host || filter.site?.isOwn(url)) continue;
    if (filter.skip?.some((p) => p.matches(url))) continue;
    if (url.pathname === '/' && url.search === '') continue;
    const key = url.href.replace(/#.*$/, '');
    if (seen.has(key)) continue;
    seen.add(key);
    targets.push(URL.canParse(href) ? href : url.href);
  }
  return targets;
}
