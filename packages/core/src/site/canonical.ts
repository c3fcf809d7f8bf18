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
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/** The canonical key of a path or URL relative to a site, e.g. a built file's URL path. */
export function canonicalKeyOfPath(path: string, site: string | URL): string {
  return canonicalKey(new URL(path, site));
}
