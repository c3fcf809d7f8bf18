import type { HTMLElement } from 'node-html-parser';
import { parse } from 'node-html-parser';
import { canonicalKey } from '../site/canonical.ts';
import { END_TAG, EOF, HtmlScanner, START_TAG } from '../html/html-scan.ts';
import type { SiteMatcher } from '../site/site.ts';
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

/** Everything verification and extraction need, gathered in one walk of the tree (no selector engine). */
interface Gathered {
  title: HTMLElement | undefined;
  h1: HTMLElement | undefined;
  html: HTMLElement | undefined;
  metas: Map<string, string>;
  /** p-author inside an h-entry, else any p-author. */
  author: HTMLElement | undefined;
  authorAnywhere: HTMLElement | undefined;
  relAuthor: HTMLElement | undefined;
  addresses: HTMLElement[];
  published: string | undefined;
  publishedAnywhere: string | undefined;
}

function hasClass(el: HTMLElement, name: string): boolean {
  const cls = el.getAttribute('class');
  return cls !== undefined && cls.split(/\s+/).includes(name);
}

function gather(root: HTMLElement): Gathered {
  const g: Gathered = { title: undefined, h1: undefined, html: undefined, metas: new Map(), author: undefined, authorAnywhere: undefined, relAuthor: undefined, addresses: [], published: undefined, publishedAnywhere: undefined };
  const walk = (node: HTMLElement, inEntry: boolean) => {
    for (const child of node.childNodes) {
      if (child.nodeType !== 1) continue;
      const el = child as HTMLElement;
      const tag = el.rawTagName.toLowerCase();
      const hasCls = el.getAttribute('class') !== undefined;
      const entry = inEntry || (hasCls && hasClass(el, 'h-entry'));
      switch (tag) {
        case 'a':
          if (!g.relAuthor && (el.getAttribute('rel') ?? '').toLowerCase().split(/\s+/).includes('author')) g.relAuthor = el;
          break;
        case 'title':
          g.title ??= el;
          break;
        case 'h1':
          g.h1 ??= el;
          break;
        case 'html':
          g.html ??= el;
          break;
        case 'address':
          g.addresses.push(el);
          break;
        case 'meta': {
          const key = (el.getAttribute('name') ?? el.getAttribute('property'))?.toLowerCase();
          const content = el.getAttribute('content');
          if (key && content !== undefined && !g.metas.has(key)) g.metas.set(key, content);
          break;
        }
      }
      if (hasCls) {
        if (hasClass(el, 'p-author')) {
          if (entry) g.author ??= el;
          g.authorAnywhere ??= el;
        }
        if (hasClass(el, 'dt-published')) {
          const value = el.getAttribute('datetime');
          if (value !== undefined) {
            if (entry) g.published ??= value;
            g.publishedAnywhere ??= value;
          }
        }
      }
      walk(el, entry);
    }
  };
  walk(root, false);
  return g;
}

function findIn(el: HTMLElement, predicate: (e: HTMLElement) => boolean): HTMLElement | undefined {
  for (const child of el.childNodes) {
    if (child.nodeType !== 1) continue;
    const c = child as HTMLElement;
    if (predicate(c)) return c;
    const deeper = findIn(c, predicate);
    if (deeper) return deeper;
  }
  return undefined;
}

function isAncestor(ancestor: HTMLElement, node: HTMLElement): boolean {
  for (let n: HTMLElement | null = node.parentNode; n; n = n.parentNode) if (n === ancestor) return true;
  return false;
}

/** The deepest element of the tree that spans `offset` of the source: the `<a>` that starts there. */
function elementAt(node: HTMLElement, offset: number): HTMLElement {
  for (const child of node.childNodes) {
    if (child.nodeType === 1 && child.range[0] <= offset && offset < child.range[1]) return elementAt(child as HTMLElement, offset);
  }
  return node;
}

/**
 * Does the source really link to the target? Only `<a href>` elements count (WordPress's rule too):
 * links in comments, scripts, styles, noscript and templates, in other attributes or in plain text do
 * not; an image pointing at the target does not. Hrefs are entity-decoded and resolved against the
 * page's `<base>` or URL; a link to the same post of this site in another form (http, trailing slash,
 * `index.html`) counts, so one post's pingbacks are never split.
 *
 * The tokenizer decides, not the tree: node-html-parser (kept for the extraction) disagrees with browsers
 * both ways. It takes the contents of `<xmp>`, `<iframe>`, `<noembed>`, `<noframes>`, the rest of the page
 * after `<plaintext>` and anchors swallowed by a bogus comment (`<? …>`, `<!x …>`, `</ …>`) for links, and
 * it reads `<!-->` as the start of a comment running to the next `-->`, losing the real links in between.
 * Returns where the link's start tag begins in the source (-1: none) and the base links resolve against;
 * a page with no link is refused before any tree is built.
 */
function linkStart(input: VerifyInput): { at: number; base: string } {
  const scanner = new HtmlScanner(input.html);
  const anchors: { at: number; href: string }[] = [];
  let baseHref: string | undefined;
  let inTemplate = 0;
  for (let kind = scanner.next(); kind !== EOF; kind = scanner.next()) {
    const name = scanner.name;
    if (name === 'template') inTemplate = Math.max(0, inTemplate + (kind === END_TAG ? -1 : 1));
    if (kind !== START_TAG || inTemplate > 0 || (name !== 'a' && name !== 'base')) continue;
    const href = scanner.attr('href');
    if (href === null) continue;
    // The first <base> sets the base of every link, wherever it stands.
    if (name === 'base') baseHref ??= href;
    else anchors.push({ at: scanner.start, href });
  }
  const base = (baseHref && URL.parse(baseHref.trim(), input.sourceUrl)?.href) || input.sourceUrl;
  const wanted = URL.parse(input.target)?.href;
  for (const { at, href } of anchors) {
    const url = URL.parse(href.trim(), base);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) continue;
    if (url.href === wanted || (input.site.isOwn(url) && canonicalKey(url) === input.key)) return { at, base };
  }
  return { at: -1, base };
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

function authorOf(g: Gathered, link: HTMLElement, base: string): PingbackAuthor | null {
  const card = g.author ?? g.authorAnywhere;
  if (card) {
    const nameEl = findIn(card, (e) => hasClass(e, 'p-name'));
    const name = textOf(nameEl) || textOf(card);
    const linkEl = card.rawTagName.toLowerCase() === 'a' ? card : (findIn(card, (e) => hasClass(e, 'u-url')) ?? findIn(card, (e) => e.rawTagName.toLowerCase() === 'a' && e.getAttribute('href') !== undefined));
    const url = httpUrl(linkEl?.getAttribute('href'), base);
    if (name) return url ? { name, url } : { name };
  }
  if (g.relAuthor && textOf(g.relAuthor)) {
    const url = httpUrl(g.relAuthor.getAttribute('href'), base);
    return url ? { name: textOf(g.relAuthor), url } : { name: textOf(g.relAuthor) };
  }
  // pingdjack's rule: the <address> nearest the link.
  if (g.addresses.length > 0) {
    for (let node: HTMLElement | null = link.parentNode; node; node = node.parentNode) {
      const address = node.rawTagName?.toLowerCase() === 'address' ? node : g.addresses.find((a) => isAncestor(node!, a));
      if (address && textOf(address)) {
        const a = findIn(address, (e) => e.rawTagName.toLowerCase() === 'a' && e.getAttribute('href') !== undefined);
        const url = httpUrl(a?.getAttribute('href'), base);
        const name = textOf(a) || textOf(address);
        return url ? { name, url } : { name };
      }
    }
  }
  const metaName = plainText(g.metas.get('author') ?? '');
  return metaName ? { name: metaName } : null;
}

function publishedOf(g: Gathered): string | undefined {
  for (const value of [g.published, g.publishedAnywhere, g.metas.get('article:published_time')]) {
    const time = value ? Date.parse(value.trim()) : Number.NaN;
    if (!Number.isNaN(time)) return new Date(time).toISOString();
  }
  return undefined;
}

/**
 * Verifies the link and reads what a reader wants to see, from the page's HTML semantics: the title, a
 * plain-text excerpt around the link, the author (h-card p-author, rel=author, the nearest `<address>`,
 * `<meta name=author>`, else none: an empty name), the published date and the language.
 * Returns null when the source does not link to the target.
 */
export function verifySource(input: VerifyInput): SourceFacts | null {
  const { at, base } = linkStart(input);
  if (at < 0) return null;
  const root = parse(input.html, { comment: false, blockTextElements: { script: true, style: true, noscript: true, textarea: true, title: true } });
  const g = gather(root);
  const link = elementAt(root, at);

  const host = new URL(input.sourceUrl).host;
  const title = cap(textOf(g.title) || plainText(g.metas.get('og:title') ?? '') || textOf(g.h1) || host, LIMITS.title);
  // No author named: none stored (renderers show none), rather than the title a second time.
  const author = authorOf(g, link, base) ?? { name: '' };
  const facts: SourceFacts = {
    title,
    excerpt: cap(excerptAround(link), LIMITS.excerpt),
    author: { ...author, name: cap(author.name, LIMITS.author) },
  };
  const published = publishedOf(g);
  if (published) facts.published = published;
  const lang = (g.html?.getAttribute('lang') ?? input.contentLanguage?.split(',')[0] ?? '').trim();
  if (LANG.test(lang)) facts.lang = lang;
  return facts;
}
