/**
 * The URL a raw HTTP request target (RFC 9112 §3.2, what Node gives as `req.url`) asks for on `origin`,
 * resolved as a path, never as a URL reference: `//[/` and `//evil.example/x` are paths of this site (the
 * URL parser would read a host into them, or throw). The absolute form (`GET http://host/path`, as
 * proxies send it) gives its path and query, or null when the URL parser rejects it; the authority form
 * (CONNECT) and the asterisk form (`OPTIONS *`) name no resource here and are null too. A server answers
 * null with 400.
 *
 * The path goes through the URL's own path setter, so it comes out percent-encoded and with dot
 * segments resolved, but nothing in it can change the origin.
 */
export function requestTargetUrl(target: string, origin: string | URL): URL | null {
  let rest: string;
  if (target.startsWith('/')) rest = target;
  else {
    const absolute = URL.parse(target);
    if (!absolute || (absolute.protocol !== 'http:' && absolute.protocol !== 'https:')) return null;
    rest = absolute.pathname + absolute.search;
  }
  // A fragment is never part of a request target; a client that sends one means the resource without it.
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const query = rest.indexOf('?');
  const url = new URL(origin);
  url.hash = '';
  url.pathname = query === -1 ? rest : rest.slice(0, query);
  url.search = query === -1 ? '' : rest.slice(query);
  return url;
}
