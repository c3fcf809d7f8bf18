/**
 * The canonical key of a post: the one string under which its pingbacks are stored, counted and rendered,
 * computed the same way by the receiver, the store and every renderer.
 *
 * It is the URL's path only. Scheme, host case, default ports and IDNA forms are settled by the WHATWG
 * URL parser and then dropped (which hosts count as this site is checked separately); the query and the
 * fragment are dropped because a static page is the same page whatever they say (tracking parameters
 * included); `index.html`, `.html` and a trailing slash are dropped because static hosts serve `/post`,
 * `/post/`, `/post.html` and `/post/index.html` as one page. Percent-escapes are normalised (unreserved
 * characters decoded, hex upper-cased). The root is `/`.
 */
export function canonicalKey(url: string | URL): string {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  let path = normalizeEscapes(parsed.pathname);
  // Until nothing changes, so that the key of a key is itself: one step can uncover another
  // (`/a/index.html/` → `/a/index.html` → `/a`), and dropping `.html` can leave a dot segment (`/a/..html`).
  for (let before = ''; path !== before; ) {
    before = path;
    path = path.replace(/\/index\.html?$/i, '/');
    path = path.replace(/\.html?$/i, '');
    if (/\/\.\.?$/.test(path)) path = new URL(`http://key${path}`).pathname;
    if (path.length > 1) path = path.replace(/\/+$/, '');
  }
  return path === '' ? '/' : path;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

function normalizeEscapes(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/**
 * Query parameters that only say where a reader came from: dropped from a source's identity, so that one
 * page linked from a newsletter and from a feed is one page. (A post's key drops the whole query; a
 * source's can't, because `?p=42` is how many blogs name their posts.)
 */
const TRACKING = new Set([
  'fbclid',
  'gclid',
  'dclid',
  'gbraid',
  'wbraid',
  'msclkid',
  'yclid',
  'twclid',
  'ttclid',
  'igshid',
  'mc_cid',
  'mc_eid',
  '_ga',
  '_gl',
  'mkt_tok',
  'li_fat_id',
]);

export function isTrackingParameter(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('utm_') || TRACKING.has(lower);
}

/**
 * A URL's host as identity: `hostname[:port]`, with case, IDNA and default ports settled by the URL parser
 * and a trailing dot dropped, since `blog.example.` (the fully qualified form) names the same host as
 * `blog.example`. Everything that asks "which host is this?" of a stranger's URL (own site, host patterns
 * and blocklists, rate limits, record identity) asks it here.
 */
export function canonicalHost(url: URL): string {
  const hostname = canonicalHostname(url);
  return url.port ? `${hostname}:${url.port}` : hostname;
}

/** The hostname part of `canonicalHost`. */
export function canonicalHostname(url: URL): string {
  const { hostname } = url;
  if (!hostname.endsWith('.')) return hostname;
  const trimmed = hostname.replace(/\.+$/, '');
  return trimmed === '' ? hostname : trimmed;
}

/**
 * The identity of a source page: the string that tells one linking page from another, so that one page
 * gives one pingback however it is spelled. Scheme and path as parsed; the host as `canonicalHost`; escapes
 * of unreserved characters decoded and hex upper-cased, in the path and the query; tracking parameters,
 * empty parameters, an empty query (`?` alone) and the fragment dropped. The rest of the query stays, in
 * its order: it may well name the page. Returns the input unchanged when it is not a URL, and only drops
 * the fragment of a URL the receiver would refuse anyway (another scheme, credentials).
 */
export function canonicalSource(source: string | URL): string {
  const url = typeof source === 'string' ? URL.parse(source) : source;
  if (!url) return String(source);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return url.href.replace(/#.*$/s, '');
  const query = url.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && !isTrackingParameter(safeDecode(pair.split('=', 1)[0]!.replace(/\+/g, ' '))))
    .map(normalizeEscapes)
    .join('&');
  return `${url.protocol}//${canonicalHost(url)}${normalizeEscapes(url.pathname)}${query ? `?${query}` : ''}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The canonical key of a path or URL relative to a site, e.g. a built file's URL path. */
export function canonicalKeyOfPath(path: string, site: string | URL): string {
  // A path is set as a path: resolved as a URL reference, `//evil.example/x` would name another host.
  if (!path.startsWith('/')) return canonicalKey(new URL(path, site));
  const url = new URL(site);
  const query = path.search(/[?#]/);
  url.pathname = query === -1 ? path : path.slice(0, query);
  return canonicalKey(url);
}
