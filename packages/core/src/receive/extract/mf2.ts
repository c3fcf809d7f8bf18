import { mf2 } from 'microformats-parser';
import type { BoundedDocument } from '../../html/bounded-document.ts';
import { canonicalKey } from '../../site/canonical.ts';
import type { SiteMatcher } from '../../site/site.ts';
import type { LinkbackKind, PingbackAuthor } from '../../store/record.ts';
import { plainText } from '../plain-text.ts';
import { mf2Input } from './mf2-input.ts';

type Property = Item | { alt: string; value?: string } | { html: string; value: string } | string;
interface Item {
  type?: string[];
  properties: Record<string, Property[]>;
  children?: Item[];
  value?: Property;
}

/** What a page's microformats say of its entry; each field only when the page says it. */
export interface EntryFacts {
  /** The entry's name, when it is a title rather than the start of its text. */
  name?: string;
  /** Its summary, else its content, as plain text (not yet capped). */
  text?: string;
  published?: string;
  /** The entry's own URL (http(s)). */
  url?: string;
  author?: PingbackAuthor;
  kind?: LinkbackKind;
}

export interface EntryInput {
  /** The URL the page came from, after redirects. */
  pageUrl: string;
  /** What relative URLs resolve against (the page's `<base>`, else its URL). */
  base: string;
  /** The target as the sender gave it. */
  target: string;
  /** The target's post key: a property pointing at any form of the post counts for the kind. */
  key: string;
  site: SiteMatcher;
  /** The page's first `rel=author` link, from the HTML (the authorship algorithm's step 5). */
  relAuthor?: { name: string; url?: string };
}

/** Text taken from the parser's values at most before cleaning: every field is capped far below it. */
const MAX_TEXT = 20_000;
const MAX_URL = 2048;
const MAX_DATE = 64;

/** The response kinds, in the order one is chosen when an entry has several for the target. */
const KINDS: [string, LinkbackKind][] = [
  ['in-reply-to', 'reply'],
  ['like-of', 'like'],
  ['repost-of', 'repost'],
  ['bookmark-of', 'bookmark'],
];

const isItem = (p: Property | undefined): p is Item => typeof p === 'object' && p !== null && 'properties' in p;
const hasType = (item: Item, type: string) => item.type?.includes(type) ?? false;

/** A property's text: the string, or an embedded item's or an image's value. */
function textOf(p: Property | undefined): string | undefined {
  if (p === undefined) return undefined;
  if (typeof p === 'string') return p;
  if (isItem(p)) return typeof p.value === 'string' ? p.value : textOf(p.value);
  return p.value;
}

function clean(text: string | undefined): string {
  return text === undefined ? '' : plainText(text.slice(0, MAX_TEXT));
}

function httpUrl(value: string | undefined, base: string): string | undefined {
  if (!value || value.length > MAX_URL) return undefined;
  const url = URL.parse(value.trim(), base);
  return url && (url.protocol === 'http:' || url.protocol === 'https:') && url.href.length <= MAX_URL ? url.href : undefined;
}

/** The first http(s) URL among a property's values: strings, images, or embedded items' `url`. */
function firstUrl(values: Property[] | undefined, base: string): string | undefined {
  for (const v of values ?? []) {
    const url = isItem(v) ? (firstUrl(v.properties.url, base) ?? httpUrl(textOf(v), base)) : httpUrl(textOf(v), base);
    if (url) return url;
  }
  return undefined;
}

function card(item: Item, base: string): PingbackAuthor {
  const author: PingbackAuthor = { name: clean(textOf(item.properties.name?.[0])) };
  const url = firstUrl(item.properties.url, base);
  if (url) author.url = url;
  const photo = firstUrl(item.properties.photo, base);
  if (photo) author.photo = photo;
  return author;
}

/** Every item on the page, nested ones included, in document order. */
function allItems(items: Item[]): Item[] {
  const out: Item[] = [];
  const todo = [...items].reverse();
  while (todo.length > 0) {
    const item = todo.pop()!;
    out.push(item);
    const nested: Item[] = [...(item.children ?? [])];
    for (const values of Object.values(item.properties)) for (const v of values) if (isItem(v)) nested.push(v);
    for (let i = nested.length - 1; i >= 0; i--) todo.push(nested[i]!);
  }
  return out;
}

/**
 * The page's entry: an h-entry at the top level or in a top-level h-feed; the one whose `url` is the
 * page itself if several, else the first.
 */
function primaryEntry(items: Item[], input: EntryInput): { entry: Item; feed?: Item } | null {
  const candidates: { entry: Item; feed?: Item }[] = [];
  for (const item of items) {
    if (hasType(item, 'h-entry')) candidates.push({ entry: item });
    else if (hasType(item, 'h-feed')) for (const child of item.children ?? []) if (hasType(child, 'h-entry')) candidates.push({ entry: child, feed: item });
  }
  const page = httpUrl(input.pageUrl, input.pageUrl);
  return (
    candidates.find((c) => page !== undefined && (c.entry.properties.url ?? []).some((u) => httpUrl(textOf(u), input.base) === page)) ?? candidates[0] ?? null
  );
}

/**
 * The author by the IndieWeb authorship algorithm (indieweb.org/authorship-spec): the entry's `author`,
 * else its feed's; an h-card there is the author; a URL there, or else the page's rel=author, names the
 * author's page, which is looked for among the h-cards on this page (it is never fetched: verifying one
 * Webmention fetches one URL); else an h-card on the page that is the page's own (its url is the page or
 * its site), else the only top-level one.
 */
function authorOf(entry: Item, feed: Item | undefined, items: Item[], input: EntryInput): PingbackAuthor | undefined {
  const property = entry.properties.author?.[0] ?? feed?.properties.author?.[0];
  let page: string | undefined;
  let name = '';
  if (isItem(property) && hasType(property, 'h-card')) return card(property, input.base);
  if (property !== undefined) {
    const text = textOf(property);
    // Only an absolute URL names a page: a name is not resolved against the page as if it were a path.
    page = text && /^https?:\/\//i.test(text.trim()) ? httpUrl(text, input.base) : undefined;
    if (!page) {
      const named = clean(text);
      if (named) return { name: named };
    }
  }
  if (!page && input.relAuthor?.url) {
    page = input.relAuthor.url;
    name = input.relAuthor.name;
  }
  const cards = allItems(items).filter((i) => hasType(i, 'h-card'));
  if (page) {
    const match = cards.find((c) => [...(c.properties.url ?? []), ...(c.properties.uid ?? [])].some((u) => httpUrl(textOf(u), input.base) === page));
    return match ? card(match, input.base) : { name, url: page };
  }
  const topCards = items.filter((i) => hasType(i, 'h-card'));
  const here = new URL(input.pageUrl);
  const own = topCards.find((c) =>
    (c.properties.url ?? []).some((u) => {
      const url = httpUrl(textOf(u), input.base);
      return url !== undefined && (url === here.href || url === `${here.origin}/`);
    }),
  );
  const chosen = own ?? (topCards.length === 1 ? topCards[0] : undefined);
  return chosen ? card(chosen, input.base) : undefined;
}

/** Whether a property value points at the target: the same URL, or any URL of the same post of this site. */
function pointsAtTarget(value: Property, input: EntryInput, wanted: string | undefined): boolean {
  const candidates = isItem(value) ? [...(value.properties.url ?? []).map(textOf), textOf(value)] : [textOf(value)];
  for (const c of candidates) {
    const url = c === undefined || c.length > MAX_URL ? null : URL.parse(c.trim(), input.base);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) continue;
    if (url.href === wanted || (input.site.isOwn(url) && canonicalKey(url) === input.key)) return true;
  }
  return false;
}

function dateOf(values: Property[] | undefined): string | undefined {
  for (const v of values ?? []) {
    const text = textOf(v)?.trim();
    const time = text && text.length <= MAX_DATE ? Date.parse(text) : Number.NaN;
    if (!Number.isNaN(time)) return new Date(time).toISOString();
  }
  return undefined;
}

/**
 * What the page's microformats2 say of its entry, by `microformats-parser` given only the bounded input
 * (`mf2Input`); null when the page has no h-entry (then the HTML's semantics decide). The kind is a reply,
 * like, repost or bookmark only when that property points at the target; else a mention.
 */
export function readEntry(doc: BoundedDocument, input: EntryInput): EntryFacts | null {
  const prepared = mf2Input(doc);
  if (!prepared) return null;
  let items: Item[];
  try {
    items = mf2(prepared.html, { baseUrl: input.base }).items as Item[];
  } catch {
    return null; // a page the parser can't read is read by its HTML semantics instead
  }
  const found = primaryEntry(items, input);
  if (!found) return null;
  const { entry, feed } = found;
  const p = entry.properties;
  const facts: EntryFacts = {};
  const summary = clean(textOf(p.summary?.[0]));
  const content = clean(textOf(p.content?.[0]));
  const text = summary || content;
  if (text) facts.text = text;
  const name = clean(textOf(p.name?.[0]));
  // An implied or repeated name is the entry's text again (a note has no title): not a title.
  if (name && !(content && (name === content || name.startsWith(content) || content.startsWith(name)))) facts.name = name;
  const published = dateOf(p.published);
  if (published) facts.published = published;
  const url = firstUrl(p.url, input.base);
  if (url) facts.url = url;
  const author = authorOf(entry, feed, items, input);
  if (author && (author.name || author.url)) facts.author = author;
  const wanted = URL.parse(input.target)?.href;
  for (const [property, kind] of KINDS) {
    if ((p[property] ?? []).some((v) => pointsAtTarget(v, input, wanted))) {
      facts.kind = kind;
      break;
    }
  }
  return facts;
}
