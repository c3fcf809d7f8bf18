import type { BoundedDocument, HtmlElement } from '../html/bounded-document.ts';
import { NOT_TEXT, elementAt, findElement, parseBoundedDocument, textContent, walk } from '../html/bounded-document.ts';
import { canonicalKey } from '../site/canonical.ts';
import { END_TAG, EOF, HtmlScanner, START_TAG } from '../html/html-scan.ts';
import type { SiteMatcher } from '../site/site.ts';
import type { LinkbackKind, PingbackAuthor } from '../store/record.ts';
import type { EntryFacts } from './extract/mf2.ts';
import { readEntry } from './extract/mf2.ts';
import { cap, plainText } from './plain-text.ts';

export interface SourceFacts {
  title: string;
  excerpt: string;
  author: PingbackAuthor;
  published?: string;
  lang?: string;
  /** From the page's microformats: what the entry does with the target (absent: a mention). */
  kind?: LinkbackKind;
  /** The entry's own URL, from its microformats (http(s)). */
  url?: string;
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

/** Lengths kept of what the page says of itself; a longer author URL is dropped rather than cut. */
export const LIMITS = { title: 200, excerpt: 300, author: 100, url: 2048 } as const;

const BLOCKS = new Set([
  'p',
  'li',
  'blockquote',
  'dd',
  'dt',
  'td',
  'th',
  'figcaption',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'pre',
  'div',
  'section',
  'article',
  'aside',
  'main',
  'header',
  'footer',
  'body',
]);

const LANG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;
/** Longer dates are not dates: Date.parse is never handed a stranger's megabyte. */
const MAX_DATE = 64;

function httpUrl(href: string | undefined, base: string): string | undefined {
  if (!href || href.length > LIMITS.url) return undefined;
  const url = URL.parse(href.trim(), base);
  return url && (url.protocol === 'http:' || url.protocol === 'https:') && url.href.length <= LIMITS.url ? url.href : undefined;
}

function textOf(element: HtmlElement | null | undefined): string {
  return element ? plainText(textContent(element)) : '';
}

/** An `<address>` as the author lookup needs it: where it stands in document order, and whether it has text. */
interface AddressEntry {
  el: HtmlElement;
  /** Its position in document order among all elements. */
  index: number;
  hasText: boolean;
}

/**
 * Everything extraction needs, gathered in one walk of the tree. Candidates are recorded with their place
 * in document order (each element's index and the last index under it), so every later question (which
 * `<address>` is nearest the link) is answered by looking up, never by searching the tree again.
 */
interface Gathered {
  title: HtmlElement | undefined;
  h1: HtmlElement | undefined;
  metas: Map<string, string>;
  /** p-author inside an h-entry, else any p-author. */
  author: HtmlElement | undefined;
  authorAnywhere: HtmlElement | undefined;
  relAuthor: HtmlElement | undefined;
  /** In document order. */
  addresses: AddressEntry[];
  /** Document-order index of each element, and of the last element under it. */
  order: Map<HtmlElement, { index: number; last: number }>;
  published: string | undefined;
  publishedAnywhere: string | undefined;
}

/** The metas extraction reads; the rest of a page's metas are not kept. */
const META_KEYS = new Set(['author', 'og:title', 'article:published_time']);

function gather(doc: BoundedDocument): Gathered {
  const g: Gathered = {
    title: undefined,
    h1: undefined,
    metas: new Map(),
    author: undefined,
    authorAnywhere: undefined,
    relAuthor: undefined,
    addresses: [],
    order: new Map(),
    published: undefined,
    publishedAnywhere: undefined,
  };
  let index = 0;
  let entries = 0; // open h-entry elements
  const entryOf = new Set<HtmlElement>();
  const openAddresses: AddressEntry[] = [];
  let hidden = 0; // inside a script, style or template: no text, no candidates
  walk(
    doc.html,
    (node) => {
      if (node.type === 'text') {
        const address = openAddresses[openAddresses.length - 1];
        if (address && !address.hasText && hidden === 0 && plainText(node.text) !== '') address.hasText = true;
        return;
      }
      const el = node;
      const place = { index, last: index };
      index++;
      g.order.set(el, place);
      if (el.name === 'template') return false; // inert: not part of the page
      if (NOT_TEXT.has(el.name)) hidden++;
      const html = el.namespace === 'html';
      switch (el.name) {
        case 'a':
          if (!g.relAuthor && (el.getAttribute('rel') ?? '').toLowerCase().split(/\s+/).includes('author')) g.relAuthor = el;
          break;
        case 'title':
          if (html) g.title ??= el;
          break;
        case 'h1':
          if (html) g.h1 ??= el;
          break;
        case 'address': {
          const entry = { el, index: index - 1, hasText: false };
          g.addresses.push(entry);
          openAddresses.push(entry);
          break;
        }
        case 'meta': {
          const key = (el.getAttribute('name') ?? el.getAttribute('property'))?.toLowerCase();
          const content = el.getAttribute('content');
          if (key && META_KEYS.has(key) && content !== undefined && !g.metas.has(key)) g.metas.set(key, content);
          break;
        }
      }
      if (el.getAttribute('class') !== undefined) {
        if (el.hasClass('h-entry')) {
          entries++;
          entryOf.add(el);
        }
        const inEntry = entries > 0;
        if (el.hasClass('p-author')) {
          if (inEntry) g.author ??= el;
          g.authorAnywhere ??= el;
        }
        if (el.hasClass('dt-published')) {
          const value = el.getAttribute('datetime');
          if (value !== undefined) {
            if (inEntry) g.published ??= value;
            g.publishedAnywhere ??= value;
          }
        }
      }
      return true;
    },
    (el) => {
      g.order.get(el)!.last = index - 1;
      if (NOT_TEXT.has(el.name)) hidden--;
      if (entryOf.has(el)) entries--;
      if (el.name === 'address') {
        const done = openAddresses.pop()!;
        // Text inside an inner address is text of the outer one too.
        const outer = openAddresses[openAddresses.length - 1];
        if (done.hasText && outer) outer.hasText = true;
      }
    },
  );
  return g;
}

const isLink = (e: HtmlElement) => e.name === 'a' && e.getAttribute('href') !== undefined;

/** The first address at or after document index `from` and no later than `to`, by binary search. */
function firstAddressIn(addresses: AddressEntry[], from: number, to: number): AddressEntry | undefined {
  let lo = 0;
  let hi = addresses.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (addresses[mid]!.index < from) lo = mid + 1;
    else hi = mid;
  }
  const found = addresses[lo];
  return found && found.index <= to ? found : undefined;
}

/**
 * Does the source really link to the target? Only `<a href>` elements count (WordPress's rule too):
 * links in comments, scripts, styles, noscript and templates, in other attributes or in plain text do
 * not; an image pointing at the target does not. Hrefs are entity-decoded and resolved against the
 * page's `<base>` or URL; a link to the same post of this site in another form (http, trailing slash,
 * `index.html`) counts, so one post's pingbacks are never split.
 *
 * The tokenizer decides, as it does for the build: a tree library (node-html-parser, used here before)
 * disagreed with browsers both ways, taking the contents of `<xmp>`, `<iframe>`, `<noembed>`, `<noframes>`,
 * the rest of the page after `<plaintext>` and anchors swallowed by a bogus comment for links, and reading
 * `<!-->` as the start of a comment running to the next `-->`. Returns where the link's start tag begins in the source (-1: none) and the base links resolve against;
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

/**
 * The text of the link's block (its nearest paragraph, list item, cell, section… ancestor), cut to the
 * excerpt's length around the link. `anchor` is false when a cap left the link element out of the tree
 * and `link` is the element its content went into.
 */
function excerptAround(link: HtmlElement, anchor: boolean): string {
  let block: HtmlElement | null = anchor ? link.parent : link;
  while (block && !BLOCKS.has(block.name)) block = block.parent;
  const scope = block ?? link;
  // Where the link's text starts is known from the walk: searching the text for it could find an
  // earlier copy, and costs more than the walk.
  const all: string[] = [];
  let before = -1;
  walk(scope, (node) => {
    if (node.type === 'text') all.push(node.text);
    else if (node === link && anchor) before = all.length;
    else if (NOT_TEXT.has(node.name)) return false;
    return true;
  });
  const text = plainText(all.join(''));
  if (text.length <= LIMITS.excerpt) return text;
  const linkText = anchor ? textOf(link) : '';
  let at = before >= 0 ? plainText(all.slice(0, before).join('')).length : -1;
  if (at > 0 && text.charCodeAt(at) === 0x20) at++;
  const centre = at >= 0 && linkText ? at + linkText.length / 2 : 0;
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

function authorOf(g: Gathered, link: HtmlElement, anchor: boolean, base: string): PingbackAuthor | null {
  const card = g.author ?? g.authorAnywhere;
  if (card) {
    const nameEl = findElement(card, (e) => e.hasClass('p-name'));
    const name = textOf(nameEl) || textOf(card);
    const linkEl = card.name === 'a' ? card : (findElement(card, (e) => e.hasClass('u-url')) ?? findElement(card, isLink));
    const url = httpUrl(linkEl?.getAttribute('href'), base);
    if (name) return url ? { name, url } : { name };
  }
  if (g.relAuthor && textOf(g.relAuthor)) {
    const url = httpUrl(g.relAuthor.getAttribute('href'), base);
    return url ? { name: textOf(g.relAuthor), url } : { name: textOf(g.relAuthor) };
  }
  // pingdjack's rule: the <address> nearest the link. Going up from the link, the first ancestor that
  // is an address or holds one with text decides: the first such address in document order, found by
  // binary search over the addresses by their document-order index.
  if (g.addresses.length > 0) {
    for (let node: HtmlElement | null = anchor ? link.parent : link; node; node = node.parent) {
      const place = g.order.get(node);
      const found = place && firstAddressIn(g.addresses, place.index, place.last);
      if (found?.hasText) {
        const a = findElement(found.el, isLink);
        const url = httpUrl(a?.getAttribute('href'), base);
        const name = textOf(a) || textOf(found.el);
        return url ? { name, url } : { name };
      }
    }
  }
  const metaName = plainText(g.metas.get('author') ?? '');
  return metaName ? { name: metaName } : null;
}

function publishedOf(g: Gathered): string | undefined {
  for (const value of [g.published, g.publishedAnywhere, g.metas.get('article:published_time')]) {
    const trimmed = value?.trim();
    const time = trimmed && trimmed.length <= MAX_DATE ? Date.parse(trimmed) : Number.NaN;
    if (!Number.isNaN(time)) return new Date(time).toISOString();
  }
  return undefined;
}

/**
 * What a reader wants to see of a page whose link starts at source offset `at`: from its microformats2
 * when it has an h-entry (the entry's name, summary or content, published date, URL, author by the
 * authorship algorithm and the kind of response), and otherwise, and for whatever they leave out, from
 * its HTML semantics: the title, a plain-text excerpt around the link, the author (h-card p-author,
 * rel=author, the nearest `<address>`, `<meta name=author>`, else none: an empty name), the published
 * date and the language.
 *
 * Every step costs time in proportion to the page's length, whatever its markup: the tree is the bounded
 * document (`html/bounded-document.ts`), extraction is one walk of it that records each candidate with
 * its place, then lookups, and the microformats parser is given only the bounded input `mf2Input` makes.
 */
export function extractFacts(input: VerifyInput, at: number, base: string): SourceFacts {
  const doc = parseBoundedDocument(input.html);
  const g = gather(doc);
  const found = elementAt(doc, at);
  // False when a cap left the linking element out of the tree and `found` is the element its content went into.
  const anchor = found.start === at && !found.implied;

  const host = new URL(input.sourceUrl).host;
  const relAuthorUrl = httpUrl(g.relAuthor?.getAttribute('href'), base);
  const relAuthor = g.relAuthor ? { name: textOf(g.relAuthor), ...(relAuthorUrl ? { url: relAuthorUrl } : {}) } : undefined;
  let entry: EntryFacts | null = null;
  try {
    entry = readEntry(doc, { pageUrl: input.sourceUrl, base, target: input.target, key: input.key, site: input.site, ...(relAuthor ? { relAuthor } : {}) });
  } catch {
    entry = null; // the HTML's semantics still say what the page is
  }
  const title = cap(entry?.name || textOf(g.title) || plainText(g.metas.get('og:title') ?? '') || textOf(g.h1) || host, LIMITS.title);
  // No author named: none stored (renderers show none), rather than the title a second time.
  const author = entry?.author ?? authorOf(g, found, anchor, base) ?? { name: '' };
  const facts: SourceFacts = {
    title,
    excerpt: cap(entry?.text || excerptAround(found, anchor), LIMITS.excerpt),
    author: { ...author, name: cap(author.name, LIMITS.author) },
  };
  const published = entry?.published ?? publishedOf(g);
  if (published) facts.published = published;
  const lang = (doc.html.getAttribute('lang') ?? input.contentLanguage?.split(',')[0] ?? '').trim();
  if (LANG.test(lang)) facts.lang = lang;
  if (entry?.kind && entry.kind !== 'mention') facts.kind = entry.kind;
  if (entry?.url) facts.url = entry.url;
  return facts;
}

/** What a non-HTML source (JSON, plain text) gives a reader: its host for a title, and text around the link. */
export function plainFacts(sourceUrl: string, text: string | null, at: number): SourceFacts {
  let excerpt = '';
  if (text !== null && at >= 0) {
    const from = Math.max(0, at - LIMITS.excerpt / 2);
    excerpt = cap(plainText(text.slice(from, from + LIMITS.excerpt * 2)), LIMITS.excerpt);
  }
  return { title: new URL(sourceUrl).host, excerpt, author: { name: '' } };
}

/**
 * Verifies a pingback's link and reads what a reader wants to see (`extractFacts`). Returns null when the
 * source does not link to the target: only an `<a href>` to any form of the post counts (`linkStart`).
 */
export function verifySource(input: VerifyInput): SourceFacts | null {
  const { at, base } = linkStart(input);
  if (at < 0) return null;
  return extractFacts(input, at, base);
}
