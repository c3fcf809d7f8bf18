import type { PublicPingback } from '../receive/read-endpoint.ts';

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** An href we are willing to print: http(s) only, whatever a stored record says. */
export function safeHref(url: string | undefined): string | null {
  const parsed = url ? URL.parse(url) : null;
  return parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:') ? parsed.href : null;
}

export interface RenderOptions {
  /** Heading text; false for none. Default "Pingbacks". */
  heading?: string | false;
  /** Heading level. Default 2. */
  headingLevel?: 2 | 3 | 4 | 5 | 6;
  /** Shown when there are none; false renders nothing at all. Default "No pingbacks yet.". */
  empty?: string | false;
  /** BCP 47 locale for dates. Default "en". */
  locale?: string;
  /** An id for the section's heading (aria-labelledby). Default "pingbacks". */
  id?: string;
}

export function formatDate(iso: string, locale = 'en'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
  } catch {
    return date.toISOString().slice(0, 10);
  }
}

/**
 * A stranger's text, escaped and isolated in `<bdi>`: whatever direction controls it holds (records stored
 * before they were stripped on arrival may still hold some), they can't reorder the text around it.
 */
function isolated(text: string): string {
  return `<bdi>${escapeHtml(text)}</bdi>`;
}

/**
 * One pingback as an `h-cite`: the source linked `rel="nofollow ugc"`, title, author, date, excerpt. A
 * source without an author shows none: older records carry the title (or the host) again as the author's
 * name, which is not repeated either.
 */
export function renderPingbackItem(p: PublicPingback, locale = 'en'): string {
  const source = safeHref(p.source);
  const titleText = p.title || (source ? new URL(source).host : '');
  const title = isolated(titleText);
  const link = source ? `<a class="pingback__source u-url p-name" href="${escapeHtml(source)}" rel="nofollow ugc">${title}</a>` : `<span class="pingback__source p-name">${title}</span>`;
  const authorUrl = safeHref(p.author.url);
  const nameText = p.author.name.trim();
  const name = isolated(nameText);
  const author =
    nameText === '' || (nameText === titleText.trim() && !authorUrl)
      ? ''
      : ` <span class="pingback__author p-author h-card">${authorUrl ? `<a class="p-name u-url" href="${escapeHtml(authorUrl)}" rel="nofollow ugc">${name}</a>` : `<span class="p-name">${name}</span>`}</span>`;
  const when = p.published ?? p.receivedAt;
  const date = formatDate(when, locale);
  const lang = p.lang ? ` lang="${escapeHtml(p.lang)}"` : '';
  return (
    `<li class="pingback h-cite"${lang}>` +
    `${link}${author}` +
    (date ? ` <time class="pingback__date dt-published" datetime="${escapeHtml(new Date(when).toISOString())}">${escapeHtml(date)}</time>` : '') +
    (p.excerpt ? `<p class="pingback__excerpt p-content" dir="auto">${escapeHtml(p.excerpt)}</p>` : '') +
    '</li>'
  );
}

/**
 * The list of a post's pingbacks as semantic, accessible, unstyled HTML with stable class names: a
 * `<section class="pingbacks">` with a heading, and an `<ol>` of `h-cite` items, or the empty state.
 * Every text is escaped; only http(s) URLs become links. Astro's `<Pingbacks />` and Eleventy's shortcode
 * both print exactly this.
 */
/** Markup a component renders itself (trusted, already escaped): the items, or the empty state. */
export interface RenderParts {
  itemsHtml?: string;
  emptyHtml?: string;
}

export function renderPingbacksHtml(items: readonly PublicPingback[], options: RenderOptions = {}, parts: RenderParts = {}): string {
  const { heading = 'Pingbacks', headingLevel = 2, empty = 'No pingbacks yet.', locale = 'en', id = 'pingbacks' } = options;
  if (items.length === 0 && empty === false && parts.emptyHtml === undefined) return '';
  const headingId = `${escapeHtml(id)}-heading`;
  const head = heading === false ? '' : `<h${headingLevel} id="${headingId}" class="pingbacks__heading">${escapeHtml(heading)}</h${headingLevel}>`;
  const labelled = heading === false ? '' : ` aria-labelledby="${headingId}"`;
  const body =
    items.length === 0
      ? (parts.emptyHtml ?? `<p class="pingbacks__empty">${escapeHtml(empty || '')}</p>`)
      : `<ol class="pingbacks__list">${parts.itemsHtml ?? items.map((p) => renderPingbackItem(p, locale)).join('')}</ol>`;
  return `<section class="pingbacks" id="${escapeHtml(id)}"${labelled}>${head}${body}</section>`;
}

/** The words a count is told in, by plural category (`Intl.PluralRules`): `other` is used where a category is missing. */
export interface CountWords {
  zero?: string;
  one?: string;
  two?: string;
  few?: string;
  many?: string;
  other: string;
}

export interface CountOptions {
  /** The noun, by plural category. Default `{ one: 'pingback', other: 'pingbacks' }`. */
  words?: CountWords;
  /** BCP 47 locale choosing the plural category. Default "en". */
  locale?: string;
}

const PINGBACK_WORDS: CountWords = { one: 'pingback', other: 'pingbacks' };

function pluralCategory(count: number, locale: string): Intl.LDMLPluralRule {
  try {
    return new Intl.PluralRules(locale).select(count);
  } catch {
    return new Intl.PluralRules('en').select(count);
  }
}

/** The count in words: "0 pingbacks", "1 pingback", "2 pingbacks", or in the words and locale given. */
export function pingbackCountText(count: number, options: CountOptions = {}): string {
  const words = options.words ?? PINGBACK_WORDS;
  const category = pluralCategory(count, options.locale ?? 'en');
  return `${count} ${words[category] ?? words.other}`;
}

/**
 * The count as HTML: `<span class="pingback-count" data-count="3">3</span>`, or with `label`, the count in
 * words inside the span (`1 pingback`, `2 pingbacks`; `label` may give the words).
 */
export function renderPingbackCountHtml(count: number, options: { label?: boolean | CountWords; locale?: string } = {}): string {
  const { label = false, locale = 'en' } = options;
  const text = label === false ? String(count) : pingbackCountText(count, { ...(label === true ? {} : { words: label }), locale });
  return `<span class="pingback-count" data-count="${count}">${escapeHtml(text)}</span>`;
}

/** Pingbacks grouped by canonical post key, oldest first: what renderers look up. */
export function groupByKey(items: readonly PublicPingback[]): Record<string, PublicPingback[]> {
  const byKey: Record<string, PublicPingback[]> = {};
  for (const item of items) (byKey[item.key] ??= []).push(item);
  for (const list of Object.values(byKey)) list.sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : a.id < b.id ? -1 : 1));
  return byKey;
}
