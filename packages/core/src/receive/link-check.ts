import { END_TAG, EOF, HtmlScanner, START_TAG } from '../html/html-scan.ts';
import { parseContentType } from '../net/media-type.ts';

/** How a fetched source is read for its link, by media type (W3C Webmention §3.2.2). */
export type SourceMedia = 'html' | 'json' | 'text';

/**
 * The media type's reading: HTML (and XHTML, and a response that names no type, as browsers would sniff
 * it), JSON (`application/json` and every `+json` type: JSON Feed, ActivityStreams, JSON-LD), plain
 * text (every other `text/*`, and XML such as feeds, searched as text). Anything else (images, PDF,
 * `application/octet-stream`) holds no link.
 */
export function sourceMedia(contentType: string | undefined): SourceMedia | null {
  const { type } = parseContentType(contentType);
  if (type === '' || type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type.startsWith('text/') || type === 'application/xml' || type.endsWith('+xml')) return 'text';
  return null;
}

/** The elements and attributes that link to or embed a resource, as the spec lists them ("and similar"). */
const LINK_ATTRIBUTES: Record<string, readonly string[]> = {
  a: ['href'],
  area: ['href'],
  img: ['src'],
  audio: ['src'],
  video: ['src', 'poster'],
  source: ['src'],
};

/** The URL as the WHATWG URL parser writes it, or null: what "exact" compares. */
function serialized(value: string, base?: string): string | null {
  const url = URL.parse(value, base);
  return url && (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null;
}

export interface HtmlLink {
  /** Where the linking element's start tag begins in the source. */
  at: number;
  /** The base relative links resolved against: the first `<base href>`, else the page's URL. */
  base: string;
}

/**
 * Whether an HTML source mentions the target, as Webmention requires: an element that links to or embeds
 * it (`<a href>`, `<area href>`, `<img src>`, `<audio src>`, `<video src>` and `poster`, `<source src>`)
 * with a URL that is exactly the target. Exactly means the same URL once both are written by the WHATWG
 * URL parser: the attribute entity-decoded, trimmed and resolved against the base, the target as sent;
 * so host case, a default port and percent-escape case may differ, but a trailing slash, a query, a
 * fragment or the scheme may not (unlike Pingback, which takes any form of the same post).
 *
 * The one-pass tokenizer decides what is an element, as for Pingback: nothing in comments, scripts,
 * styles, `<noscript>`, `<textarea>`, `<title>` or other raw text, nor inside `<template>`, counts.
 */
export function findHtmlLink(html: string, pageUrl: string, target: string): HtmlLink | null {
  const wanted = serialized(target);
  const scanner = new HtmlScanner(html);
  const candidates: { at: number; value: string }[] = [];
  let baseHref: string | undefined;
  let inTemplate = 0;
  for (let kind = scanner.next(); kind !== EOF; kind = scanner.next()) {
    const name = scanner.name;
    if (name === 'template') inTemplate = Math.max(0, inTemplate + (kind === END_TAG ? -1 : 1));
    if (kind !== START_TAG || inTemplate > 0) continue;
    if (name === 'base') {
      baseHref ??= scanner.attr('href') ?? undefined;
      continue;
    }
    const attributes = LINK_ATTRIBUTES[name];
    if (!attributes) continue;
    for (const attribute of attributes) {
      const value = scanner.attr(attribute);
      if (value !== null) candidates.push({ at: scanner.start, value });
    }
  }
  const base = (baseHref && serialized(baseHref.trim(), pageUrl)) || pageUrl;
  if (!wanted) return null;
  // Resolved only after the scan: the base applies to every link, wherever the <base> stands.
  for (const { at, value } of candidates) {
    if (serialized(value.trim(), base) === wanted) return { at, base };
  }
  return null;
}

/** A value is the target when it is the same URL, written the same way (see `findHtmlLink`). */
function sameUrl(value: string, target: string, wanted: string | null): boolean {
  if (value === target) return true;
  return wanted !== null && value.length <= 2 * target.length + 16 && serialized(value.trim()) === wanted;
}

/**
 * Whether a JSON source has a property value that is exactly the target (any depth, arrays included).
 * Parsed within the fetch's byte cap; walked without recursion, so nesting depth costs no stack. A body
 * that is not JSON holds no link.
 */
export function jsonHasLink(text: string, target: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  const wanted = serialized(target);
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const item = todo.pop();
    if (typeof item === 'string') {
      if (sameUrl(item, target, wanted)) return true;
    } else if (Array.isArray(item)) {
      for (const v of item) todo.push(v);
    } else if (item !== null && typeof item === 'object') {
      for (const v of Object.values(item)) todo.push(v);
    }
  }
  return false;
}

/** Where a plain-text source names the target: the URL searched as a string, as sent or as the parser writes it. */
export function textLinkAt(text: string, target: string): number {
  const at = text.indexOf(target);
  if (at >= 0) return at;
  const wanted = serialized(target);
  return wanted && wanted !== target ? text.indexOf(wanted) : -1;
}
