import type { HTMLElement } from 'node-html-parser';
import { parse } from 'node-html-parser';
import { canonicalKey } from '../canonical.ts';
import type { SiteMatcher } from '../site.ts';
import type { PingbackAuthor } from '../store/record.ts';
import { cap, plainText } from './plain-text.ts';

export interface SourceFacts {
  title: string;
  excerpt: string;
  author: PingbackAuthor;
  published?: string;
  lang?: string;
}

export interface VerifyInput {
  html: string;
  /** The URL the source was finally fetched from (after redirects): relative links resolve against it. */
  sourceUrl: string;
  /** The target exactly as the sender gave it. */
  target: string;
  /** The target's canonical key: a link to the same post in another form also counts. */
  key: string;
  site: SiteMatcher;
  /** Content-Language of the response, used when the page has no lang. */
  contentLanguage?: string;
}

export const LIMITS = { title: 200, excerpt: 300, author: 100 } as const;

const BLOCKS = new Set([
  'p', 'li', 'blockquote', 'dd', 'dt', 'td', 'th', 'figcaption', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre',
  'div', 'section', 'article', 'aside', 'main', 'header', 'footer', 'body',
]);

const LANG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;

function httpUrl(href: string | undefined, base: string): string | undefined {
  if (!href) return undefined;
  const url = URL.parse(href.trim(), base);
  return url && (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : undefined;
}

function textOf(element: HTMLElement | null | undefined): string {
  return element ? plainText(element.text) : '';
}

/**
 * Does the source really link to the target? Only `<a href>` elements count (WordPress's rule too):
 * links in comments, scripts, styles, noscript and templates, in other attributes or in plain text do
 * not; an image pointing at the target does not. Hrefs are entity-decoded and resolved against the
 * page's `<base>` or URL; a link to the same post of this site in another form (http, trailing slash,
 * `index.html`) counts, so one post's pingbacks are never split.
 */
export function findLink(root: HTMLElement, input: VerifyInput, base: string): HTMLElement | null {
  const wanted = URL.parse(input.target)?.href;
  for (const a of root.querySelectorAll('a[href]')) {
    if (a.closest('template')) continue;
    const url = URL.parse((a.getAttribute('href') ?? '').trim(), base);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) continue;
    if (url.href === wanted) return a;
    if (input.site.isOwn(url) && canonicalKey(url) === input.key) return a;
  }
  return null;
}

function excerptAround(link: HTMLElement): string {
  let block: HTMLElement | null = link.parentNode;
  while (block && !BLOCKS.has(block.tagName?.toLowerCase() ?? '')) block = block.parentNode;
  const text = textOf(block ?? link);
  const anchor = textOf(link);
  const at = anchor ? text.indexOf(anchor) : -1;
  if (text.length <= LIMITS.excerpt) return text;
  const centre = at >= 0 ? at + anchor.length / 2 : 0;
  let start = Math.max(0, Math.round(centre - LIMITS.excerpt / 2));
  let end = Math.min(text.length, start + LIMITS.excerpt - 2);
  start = Math.max(0, end - (LIMITS.excerpt - 2));
  if (start > 0) {
    const space = text.indexOf(' ', start);
    if (space >= 0 && space - start < 30) start = space + 1;
  }
  if (end < text.length) {
    const space = text.lastIndexOf(' ', end);
    if (space > start && end - space < 30) end = space;
  }
  return `${start > 0 ? '…' : ''}${text.slice(start, end).trim()}${end < text.length ? '…' : ''}`;
}

function authorOf(root: HTMLElement, link: HTMLElement, base: string): PingbackAuthor | null {
  const card = root.querySelector('.h-entry .p-author') ?? root.querySelector('.p-author');
  if (card) {
    const name = textOf(card.querySelector('.p-name')) || textOf(card);
    const url = httpUrl(card.tagName === 'A' ? card.getAttribute('href') : (card.querySelector('.u-url') ?? card.querySelector('a[href]'))?.getAttribute('href'), base);
    if (name) return url ? { name, url } : { name };
  }
  const rel = root.querySelectorAll('a[rel]').find((a) => (a.getAttribute('rel') ?? '').toLowerCase().split(/\s+/).includes('author'));
  if (rel && textOf(rel)) {
    const url = httpUrl(rel.getAttribute('href'), base);
    return url ? { name: textOf(rel), url } : { name: textOf(rel) };
  }
  // pingdjack's rule: the <address> nearest the link.
  for (let node: HTMLElement | null = link.parentNode; node; node = node.parentNode) {
    const address = node.tagName?.toLowerCase() === 'address' ? node : node.querySelector('address');
    if (address && textOf(address)) {
      const a = address.querySelector('a[href]');
      const url = httpUrl(a?.getAttribute('href'), base);
      const name = textOf(a) || textOf(address);
      return url ? { name, url } : { name };
    }
  }
  const meta = root.querySelectorAll('meta[name]').find((m) => m.getAttribute('name')?.toLowerCase() === 'author');
  const metaName = plainText(meta?.getAttribute('content') ?? '');
  return metaName ? { name: metaName } : null;
}

function publishedOf(root: HTMLElement): string | undefined {
  const candidates = [
    root.querySelector('.h-entry .dt-published')?.getAttribute('datetime'),
    root.querySelector('.dt-published')?.getAttribute('datetime'),
    root.querySelectorAll('meta[property]').find((m) => m.getAttribute('property') === 'article:published_time')?.getAttribute('content'),
  ];
  for (const value of candidates) {
    const time = value ? Date.parse(value.trim()) : Number.NaN;
    if (!Number.isNaN(time)) return new Date(time).toISOString();
  }
  return undefined;
}

/**
 * Verifies the link and reads what a reader wants to see, from the page's HTML semantics: the title, a
 * plain-text excerpt around the link, the author (h-card p-author, rel=author, the nearest `<address>`,
 * `<meta name=author>`, else the title, else the host), the published date and the language.
 * Returns null when the source does not link to the target.
 */
export function verifySource(input: VerifyInput): SourceFacts | null {
  const root = parse(input.html, { comment: false, blockTextElements: { script: true, style: true, noscript: true, textarea: true } });
  const baseHref = root.querySelector('base[href]')?.getAttribute('href');
  const base = (baseHref && URL.parse(baseHref.trim(), input.sourceUrl)?.href) || input.sourceUrl;
  const link = findLink(root, input, base);
  if (!link) return null;

  const host = new URL(input.sourceUrl).host;
  const ogTitle = root.querySelectorAll('meta[property]').find((m) => m.getAttribute('property') === 'og:title')?.getAttribute('content');
  const title = cap(textOf(root.querySelector('title')) || plainText(ogTitle ?? '') || textOf(root.querySelector('h1')) || host, LIMITS.title);
  const author = authorOf(root, link, base) ?? { name: title || host };
  const facts: SourceFacts = {
    title,
    excerpt: cap(excerptAround(link), LIMITS.excerpt),
    author: { ...author, name: cap(author.name, LIMITS.author) },
  };
  const published = publishedOf(root);
  if (published) facts.published = published;
  const lang = (root.querySelector('html')?.getAttribute('lang') ?? input.contentLanguage?.split(',')[0] ?? '').trim();
  if (LANG.test(lang)) facts.lang = lang;
  return facts;
}
