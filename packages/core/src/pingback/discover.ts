import type { ClientOptions, ResolvedClientOptions } from '../net/client-options.ts';
import { resolveClientOptions } from '../net/client-options.ts';
import { BadReplyError, PingbackInputError } from '../errors.ts';
import { EOF, HtmlScanner, START_TAG, hasToken } from '../html/html-scan.ts';
import type { HttpResponse } from '../net/http-request.ts';
import { firstHeader, httpRequest } from '../net/http-request.ts';
import { decodeText, isTextualType, parseContentType } from '../net/media-type.ts';

export type DiscoveredVia = 'header' | 'link';

export interface Discovery {
  target: string;
  /** The absolute endpoint URL, or null when the target advertises none we may use. */
  endpoint: string | null;
  via: DiscoveredVia | null;
  /** Why there is no endpoint, or a note about how it was found. */
  reason: string;
}

/** Pingback 1.0 §2.3, verbatim: case-sensitive, fixed attribute order, double quotes. */
const SPEC_LINK = /<link rel="pingback" href="([^"]+)" ?\/?>/;

/** §2.3: exactly these four entities are expanded, nothing else. */
function expandFourEntities(href: string): string {
  return href.replace(/&(amp|lt|gt|quot);/g, (_, name: string) => (name === 'amp' ? '&' : name === 'lt' ? '<' : name === 'gt' ? '>' : '"'));
}

/** A character reference the spec forbids (`&#x3A;`, `&nbsp;`): the href is malformed. */
const OTHER_ENTITY = /&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);/;

function absoluteHttp(value: string): string | null {
  const url = URL.canParse(value) ? new URL(value) : null;
  return url && (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null;
}

/** Image, audio, video and archives can't carry a link element; WordPress stops at HEAD for them too. */
function isBinaryType(type: string): boolean {
  return (
    /^(image|audio|video|font|model)\//.test(type) || ['application/pdf', 'application/zip', 'application/octet-stream', 'application/gzip'].includes(type)
  );
}

function fromHeader(response: HttpResponse, lenient: boolean): { endpoint: string | null; note: string } | null {
  const value = firstHeader(response, 'x-pingback')?.trim();
  if (value === undefined) return null;
  const absolute = absoluteHttp(value);
  if (absolute) return { endpoint: absolute, note: 'X-Pingback header' };
  if (lenient && value !== '') {
    const resolved = URL.parse(value, response.url);
    if (resolved && (resolved.protocol === 'http:' || resolved.protocol === 'https:')) {
      return { endpoint: resolved.href, note: 'relative X-Pingback header resolved (lenient)' };
    }
  }
  return { endpoint: null, note: `X-Pingback header is not an absolute http(s) URL: ${JSON.stringify(value.slice(0, 200))}` };
}

function fromBodyStrict(html: string): { endpoint: string | null; note: string } | null {
  const match = SPEC_LINK.exec(html);
  if (!match) return null;
  // The regex ran over a byte-for-byte (latin1) view; the URL's own bytes are UTF-8.
  const href = Buffer.from(expandFourEntities(match[1]!), 'latin1').toString('utf8');
  if (OTHER_ENTITY.test(href)) {
    return { endpoint: null, note: `link element href uses an entity the spec forbids: ${JSON.stringify(href.slice(0, 200))}` };
  }
  const absolute = absoluteHttp(href);
  if (!absolute) return { endpoint: null, note: `link element href is not an absolute http(s) URL: ${JSON.stringify(href.slice(0, 200))}` };
  return { endpoint: absolute, note: 'link element' };
}

/**
 * Lenient reading: any `<link>` (outside comments and scripts) whose rel includes "pingback", in any
 * attribute order and quoting, entities decoded, a relative href resolved. It only ever takes the href
 * of that same element, never a neighbour's (WordPress's strpos discovery did, and pinged a stylesheet).
 */
function fromBodyLenient(html: string, pageUrl: string): { endpoint: string | null; note: string } | null {
  const scanner = new HtmlScanner(html);
  let base = pageUrl;
  for (let kind = scanner.next(); kind !== EOF; kind = scanner.next()) {
    if (kind !== START_TAG) continue;
    if (scanner.name === 'base') {
      const href = scanner.attr('href');
      if (href) base = URL.parse(href, pageUrl)?.href ?? base;
    }
    if (scanner.name !== 'link' || !hasToken(scanner.attr('rel'), 'pingback')) continue;
    const href = scanner.attr('href')?.trim();
    if (!href) return { endpoint: null, note: 'link element has no href' };
    const url = URL.parse(href, base);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      return { endpoint: null, note: `link element href is not an http(s) URL: ${JSON.stringify(href.slice(0, 200))}` };
    }
    return { endpoint: url.href, note: absoluteHttp(href) ? 'link element (lenient)' : 'relative link element href resolved (lenient)' };
  }
  return null;
}

function requestHeaders(o: ResolvedClientOptions): Record<string, string> {
  return { 'user-agent': o.userAgent, accept: 'text/html, application/xhtml+xml;q=0.9, */*;q=0.5' };
}

/**
 * Finds the Pingback endpoint of `target` as Pingback 1.0 §2.3 says: HEAD first, and the first X-Pingback
 * header wins; otherwise GET a bounded prefix and take the first match of the spec's regular expression.
 * An answer of "none" is a result; only a target that can't be read at all (network failure, timeout,
 * server error) throws `TransportError` or `BadReplyError`.
 */
export async function discoverEndpoint(target: string, options: ClientOptions | ResolvedClientOptions = {}): Promise<Discovery> {
  const o = resolveClientOptions(options);
  if (!absoluteHttp(target)) throw new PingbackInputError(`target must be an absolute http(s) URL, got ${JSON.stringify(target.slice(0, 200))}`);
  const common = {
    url: target,
    headers: requestHeaders(o),
    timeoutMs: o.timeoutMs,
    maxRedirects: o.maxRedirects,
    dispatcher: o.dispatcher,
    signal: o.signal,
  };
  const none = (reason: string): Discovery => ({ target, endpoint: null, via: null, reason });
  // A Set: HEAD and GET often carry the same unusable header.
  const notes = new Set<string>();

  try {
    const head = await httpRequest({ ...common, method: 'HEAD', maxBytes: 0 });
    if (head.status >= 200 && head.status < 300) {
      const header = fromHeader(head, o.lenient);
      if (header?.endpoint) return { target, endpoint: header.endpoint, via: 'header', reason: header.note };
      if (header) notes.add(header.note);
      const { type } = parseContentType(firstHeader(head, 'content-type'));
      if (!header && isBinaryType(type)) return none(`no X-Pingback header, and a ${type} body can't carry a link element`);
    }
  } catch {
    // HEAD is only a shortcut (§2.3 allows it); some servers refuse or mishandle it. GET decides.
  }

  const page = await httpRequest({ ...common, method: 'GET', maxBytes: o.maxDiscoveryBytes });
  return pingbackFromResponse(target, page, o, notes);
}

/**
 * §2.3 on a target's GET response: 404 and 410 mean no endpoint, another non-2xx is an error; then the
 * first X-Pingback header, else the spec's regular expression over the body. `notes` carries what an
 * earlier HEAD saw. Shared by `discoverEndpoint` and the one-fetch discovery of both protocols.
 */
export function pingbackFromResponse(target: string, page: HttpResponse, o: ResolvedClientOptions, notes = new Set<string>()): Discovery {
  const none = (reason: string): Discovery => ({ target, endpoint: null, via: null, reason });
  if (page.status === 404 || page.status === 410) return none(`target answered ${page.status}`);
  if (page.status < 200 || page.status >= 300) {
    throw new BadReplyError(page.status, `target answered HTTP ${page.status}`);
  }
  const header = fromHeader(page, o.lenient);
  if (header?.endpoint) return { target, endpoint: header.endpoint, via: 'header', reason: header.note };
  if (header) notes.add(header.note);

  const { type, charset } = parseContentType(firstHeader(page, 'content-type'));
  if (!isTextualType(type)) return none([...notes, `a ${type} body has no link element`].join('; '));
  const link = o.lenient
    ? fromBodyLenient(decodeText(page.body, charset), page.url)
    : fromBodyStrict(Buffer.from(page.body.buffer, page.body.byteOffset, page.body.byteLength).toString('latin1'));
  if (link?.endpoint) return { target, endpoint: link.endpoint, via: 'link', reason: link.note };
  if (link) notes.add(link.note);
  const read = page.truncated ? `in the first ${o.maxDiscoveryBytes} bytes` : 'in the page';
  if (!link) notes.add(`no X-Pingback header and no <link rel="pingback" href="…"> ${read}`);
  return none([...notes].join('; '));
}
