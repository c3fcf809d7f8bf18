import type { ClientOptions, ResolvedClientOptions } from '../net/client-options.ts';
import { resolveClientOptions } from '../net/client-options.ts';
import { PingbackInputError } from '../errors.ts';
import type { HttpTransport } from '../net/http-request.ts';
import { httpRequest } from '../net/http-request.ts';
import { isTextualType, parseContentType } from '../net/media-type.ts';
import { userAgent } from '../net/user-agent.ts';
import type { Discovery } from '../pingback/discover.ts';
import { pingbackFromResponse } from '../pingback/discover.ts';
import type { WebmentionEndpoint } from '../webmention/discover.ts';
import { webmentionFromResponse } from '../webmention/discover.ts';
import type { ResolvedProtocols, SendProtocol } from './protocols.ts';

/** Both endpoints of a target, from one GET. */
export interface EndpointsDiscovery {
  target: string;
  /** The URL that answered, after redirects. */
  url: string;
  /** The Webmention endpoint (§3.1.2), or null. */
  webmention: WebmentionEndpoint | null;
  /** How the Webmention endpoint was found, or why there is none. */
  webmentionReason: string;
  /** The Pingback side, as `discoverEndpoint` reports it (by Pingback 1.0's strict rules). */
  pingback: Discovery;
}

/** The endpoint to send to, by the preference order; null when the target offers none of the enabled ones. */
export type Chosen =
  | { protocol: 'webmention'; endpoint: string; via: WebmentionEndpoint['via'] }
  | { protocol: 'pingback'; endpoint: string; via: 'header' | 'link' };

export function chooseEndpoint(found: EndpointsDiscovery, protocols: ResolvedProtocols): Chosen | null {
  for (const protocol of protocols.order) {
    if (protocol === 'webmention' && found.webmention) return { protocol, ...found.webmention };
    if (protocol === 'pingback' && found.pingback.endpoint && found.pingback.via)
      return { protocol, endpoint: found.pingback.endpoint, via: found.pingback.via };
  }
  return null;
}

/** Why none of the enabled protocols can be used, both reasons in the preference order. */
export function noEndpointReason(found: EndpointsDiscovery, protocols: ResolvedProtocols): string {
  const reasons: Record<SendProtocol, string> = { webmention: `no Webmention endpoint: ${found.webmentionReason}`, pingback: found.pingback.reason };
  return protocols.order.map((p) => reasons[p]).join('; ');
}

function absoluteHttp(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:');
}

/**
 * Finds a target's Webmention and Pingback endpoints with ONE GET (no HEAD first): the response's
 * headers and the bounded body it carries are read by both protocols' rules. A body that can't hold a
 * link (an image, a PDF) is not downloaded at all. Throws `TransportError` or `BadReplyError` when the
 * target can't be read (network failure, timeout, an HTTP error other than 404 and 410), like
 * `discoverEndpoint`. `transport` is how the GET is made: the sender passes its guarded fetcher.
 */
export async function discoverEndpoints(
  target: string,
  options: ClientOptions | ResolvedClientOptions = {},
  transport: HttpTransport = httpRequest,
): Promise<EndpointsDiscovery> {
  const o = resolveClientOptions(options);
  if (!absoluteHttp(target)) throw new PingbackInputError(`target must be an absolute http(s) URL, got ${JSON.stringify(target.slice(0, 200))}`);
  // §3.1.2: a User-Agent naming Webmention tells the target why it was fetched (an override is kept).
  const agent = o.userAgent === userAgent(o.site) ? userAgent(o.site, 'Webmention and Pingback discovery') : o.userAgent;
  const page = await transport({
    url: target,
    method: 'GET',
    headers: { 'user-agent': agent, accept: 'text/html, application/xhtml+xml;q=0.9, */*;q=0.5' },
    maxBytes: o.maxDiscoveryBytes,
    timeoutMs: o.timeoutMs,
    maxRedirects: o.maxRedirects,
    dispatcher: o.dispatcher,
    signal: o.signal,
    readBody: (status, headers) => status >= 200 && status < 300 && isTextualType(parseContentType(headers.get('content-type')?.[0]).type),
  });
  // Status rules (404/410 none, other non-2xx an error) are Pingback's and apply to both.
  const pingback = pingbackFromResponse(target, page, o);
  if (page.status < 200 || page.status >= 300) {
    return { target, url: page.url, webmention: null, webmentionReason: pingback.reason, pingback };
  }
  const webmention = webmentionFromResponse(page, o.maxDiscoveryBytes);
  return { target, url: page.url, webmention: webmention.endpoint, webmentionReason: webmention.reason, pingback };
}
