import type { ResolvedClientOptions } from '../net/client-options.ts';
import { END_TAG, EOF, HtmlScanner } from '../html/html-scan.ts';
import type { HttpResponse } from '../net/http-request.ts';
import { httpRequest } from '../net/http-request.ts';
import { decodeText, parseContentType } from '../net/media-type.ts';

const LIVE_PAGE_BYTES = 4 * 1024 * 1024;

function withoutFragment(url: URL): string {
  url.hash = '';
  return url.href;
}

/** Every link of a page (outside comments, scripts and templates), resolved and without fragment. */
export function pageLinks(html: string, pageUrl: string): Set<string> {
  const links = new Set<string>();
  const scanner = new HtmlScanner(html);
  let base = pageUrl;
  let inTemplate = 0;
  for (let kind = scanner.next(); kind !== EOF; kind = scanner.next()) {
    if (scanner.name === 'template') {
      inTemplate += kind === END_TAG ? -1 : 1;
      continue;
    }
    if (kind === END_TAG || inTemplate > 0) continue;
    if (scanner.name === 'base') base = URL.parse(scanner.attr('href') ?? '', pageUrl)?.href ?? base;
    if (scanner.name !== 'a' && scanner.name !== 'area') continue;
    const url = URL.parse((scanner.attr('href') ?? '').trim(), base);
    if (url) links.add(withoutFragment(url));
  }
  return links;
}

/**
 * Whether a post is live: the page at its URL answers and already links to each target. A receiver will
 * fetch the same page to verify the ping, so sending before this is true only earns a refusal. Resolves
 * the set of its targets that are live (empty when the page can't be read).
 */
export interface Liveness {
  /** The post's page answered 2xx. */
  up: boolean;
  /** The HTTP status the page answered, or null when it could not be read. */
  status: number | null;
  /** The targets it already links to. */
  live: Set<string>;
  /** Of the `removed` targets asked about, those the live page no longer links to (it answered 2xx). */
  unlinked: Set<string>;
  /** Why a target is not live, for the `queued` row. */
  reason: string;
}

export async function liveTargets(
  source: string,
  targets: readonly string[],
  client: ResolvedClientOptions,
  removed: readonly string[] = [],
): Promise<Liveness> {
  let response: HttpResponse;
  try {
    response = await httpRequest({
      url: source,
      method: 'GET',
      headers: { 'user-agent': client.userAgent, accept: 'text/html' },
      maxBytes: LIVE_PAGE_BYTES,
      timeoutMs: client.timeoutMs,
      maxRedirects: client.maxRedirects,
      dispatcher: client.dispatcher,
      signal: client.signal,
    });
  } catch (error) {
    return { up: false, status: null, live: new Set(), unlinked: new Set(), reason: `not live yet: ${(error as Error).message}` };
  }
  if (response.status < 200 || response.status >= 300)
    return { up: false, status: response.status, live: new Set(), unlinked: new Set(), reason: `not live yet: the post answers HTTP ${response.status}` };
  const links = pageLinks(decodeText(response.body, parseContentType(response.headers.get('content-type')?.[0]).charset), response.url);
  const linked = (t: string) => {
    const url = URL.parse(t);
    return url !== null && links.has(withoutFragment(url));
  };
  const live = new Set(targets.filter(linked));
  const unlinked = new Set(removed.filter((t) => !linked(t)));
  return { up: true, status: response.status, live, unlinked, reason: 'not live yet: the published post does not link to it yet' };
}
