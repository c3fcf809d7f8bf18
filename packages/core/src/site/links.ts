import type { HostPattern } from './host-pattern.ts';
import type { SiteMatcher } from './site.ts';

function trimUrl(href: string): string {
  if (href.length > 0 && href.charCodeAt(0) > 0x20 && href.charCodeAt(href.length - 1) > 0x20) return href;
  // What the URL parser strips anyway: surrounding C0 controls and spaces.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the URL parser's own trim, C0 controls included.
  return href.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
}

/** An href the URL parser would read against the base, keeping the base's host: `/about/`, `../x`, `?p=2`. */
const RELATIVE = 0;
/** An href with a scheme other than http(s): whatever the base, never a web page. */
const NOT_WEB = 1;
/** `http://…` or `https://…`: the base plays no part in where it points. */
const WEB = 2;
/** Anything else (`//host/…`, `http:x`, tabs or newlines the parser would drop): parsed against the base. */
const OTHER = 3;

function isSlash(c: number): boolean {
  return c === 0x2f || c === 0x5c;
}

/**
 * Which of the forms above an href (trimmed) has, by the URL Standard's scheme state, so that most links
 * of a page are settled without parsing them: a page's own relative links can only point to its own host.
 */
function hrefForm(href: string): number {
  if (href.includes('\t') || href.includes('\n') || href.includes('\r')) return OTHER;
  const first = href.charCodeAt(0);
  if (!((first >= 0x61 && first <= 0x7a) || (first >= 0x41 && first <= 0x5a))) {
    return isSlash(first) && isSlash(href.charCodeAt(1)) ? OTHER : RELATIVE;
  }
  for (let i = 1; i < href.length; i++) {
    const c = href.charCodeAt(i);
    if (c === 0x3a /* : */) {
      const scheme = href.slice(0, i).toLowerCase();
      if (scheme !== 'http' && scheme !== 'https') return NOT_WEB;
      return href.charCodeAt(i + 1) === 0x2f && href.charCodeAt(i + 2) === 0x2f ? WEB : OTHER;
    }
    const schemeChar = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
    if (!schemeChar) return RELATIVE;
  }
  return RELATIVE;
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
  const page = filter.pageUrl instanceof URL ? filter.pageUrl : new URL(filter.pageUrl);
  const base = (filter.baseHref && URL.parse(trimUrl(filter.baseHref), page.href)) || page;
  const baseHref = base.href;
  // Relative links resolve onto the base's host: when that is the page's own, they are all internal.
  const relativeIsOwn = (base.protocol === 'http:' || base.protocol === 'https:') && base.host === page.host;
  const seen = new Set<string>();
  const done = new Set<string>();
  const targets: string[] = [];
  for (const raw of hrefs) {
    const href = trimUrl(raw);
    if (href === '' || href.charCodeAt(0) === 0x23 /* # */) continue;
    const form = hrefForm(href);
    if (form === NOT_WEB || (form === RELATIVE && relativeIsOwn)) continue;
    // The same href again on the page can only come to the same decision.
    if (done.has(href)) continue;
    done.add(href);
    const url = form === WEB ? URL.parse(href) : URL.parse(href, baseHref);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) continue;
    if (url.username || url.password) continue;
    if (url.host === page.host || filter.site?.isOwn(url)) continue;
    if (filter.skip?.some((p) => p.matches(url))) continue;
    if (url.pathname === '/' && url.search === '') continue;
    const full = url.href;
    const hash = full.indexOf('#');
    const key = hash < 0 ? full : full.slice(0, hash);
    if (seen.has(key)) continue;
    seen.add(key);
    targets.push(form === WEB || URL.canParse(href) ? href : full);
  }
  return targets;
}
