import { END_TAG, EOF, HtmlScanner, START_TAG, hasToken } from '../html/html-scan.ts';
import type { HttpResponse } from '../net/http-request.ts';
import { parseLinkHeader } from '../net/link-header.ts';
import { decodeText, parseContentType } from '../net/media-type.ts';

/** Where the endpoint was advertised: an HTTP `Link` header, a `<link>` element or an `<a>` element. */
export type WebmentionVia = 'header' | 'link' | 'a';

export interface WebmentionEndpoint {
  /** Absolute, with the query string it was advertised with. */
  endpoint: string;
  via: WebmentionVia;
}

export interface WebmentionDiscovery {
  endpoint: WebmentionEndpoint | null;
  /** How it was found, or why there is none. */
  reason: string;
}

/** §3.1.2: the HTML rules apply when the document is HTML (a missing type is sniffed as HTML, as browsers do). */
export function isHtmlType(type: string): boolean {
  return type === '' || type === 'text/html' || type === 'application/xhtml+xml';
}

/**
 * The endpoint a URL names, resolved against the URL that answered (after redirects, §3.1.2); an empty
 * value is that URL itself. Only http(s) endpoints can be posted to.
 */
function resolveEndpoint(value: string, base: string): string | null {
  const url = URL.parse(value.trim(), base);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return null;
  url.hash = '';
  return url.href;
}

/** Every `Link` header, in order, each with every value in order: the first `rel=webmention` wins. */
function fromHeaders(response: HttpResponse, notes: string[]): WebmentionEndpoint | null {
  for (const header of response.headers.get('link') ?? []) {
    for (const link of parseLinkHeader(header)) {
      if (!link.rel.includes('webmention')) continue;
      const endpoint = resolveEndpoint(link.uri, response.url);
      if (endpoint) return { endpoint, via: 'header' };
      notes.push(`Link header endpoint is not an http(s) URL: ${JSON.stringify(link.uri.slice(0, 200))}`);
    }
  }
  return null;
}

/**
 * The first `<link>` or `<a>` in document order whose `rel` has the token `webmention` and which has an
 * `href`. The one-pass tokenizer decides what is an element: markup in comments, scripts, styles,
 * `<template>` contents and escaped text (`&lt;a …&gt;`) is never taken for a link.
 */
function fromHtml(html: string, base: string, notes: string[]): WebmentionEndpoint | null {
  const scanner = new HtmlScanner(html);
  let inTemplate = 0;
  for (let kind = scanner.next(); kind !== EOF; kind = scanner.next()) {
    const name = scanner.name;
    if (name === 'template') {
      inTemplate = Math.max(0, inTemplate + (kind === END_TAG ? -1 : 1));
      continue;
    }
    if (kind !== START_TAG || inTemplate > 0 || (name !== 'link' && name !== 'a')) continue;
    if (!hasToken(scanner.attr('rel'), 'webmention')) continue;
    const href = scanner.attr('href');
    if (href === null) continue;
    const endpoint = resolveEndpoint(href, base);
    if (endpoint) return { endpoint, via: name === 'link' ? 'link' : 'a' };
    notes.push(`<${name} rel="webmention"> href is not an http(s) URL: ${JSON.stringify(href.slice(0, 200))}`);
  }
  return null;
}

/**
 * Webmention discovery (§3.1.2) on a target's 2xx response: the HTTP `Link` headers first, then, for an
 * HTML document, its first `<link>` or `<a>` element with `rel="webmention"`. `truncated` bodies are
 * read as far as they go.
 */
export function webmentionFromResponse(response: HttpResponse, maxBytes: number): WebmentionDiscovery {
  const notes: string[] = [];
  const header = fromHeaders(response, notes);
  if (header) return { endpoint: header, reason: 'Link header' };
  const { type, charset } = parseContentType(response.headers.get('content-type')?.[0]);
  if (!isHtmlType(type))
    return { endpoint: null, reason: [...notes, `no Link header with rel="webmention", and a ${type} document has no HTML links`].join('; ') };
  const element = fromHtml(decodeText(response.body, charset), response.url, notes);
  if (element) return { endpoint: element, reason: `<${element.via}> element` };
  const read = response.truncated ? `in the first ${maxBytes} bytes` : 'in the page';
  return { endpoint: null, reason: [...notes, `no Link header and no <link> or <a> with rel="webmention" ${read}`].join('; ') };
}
