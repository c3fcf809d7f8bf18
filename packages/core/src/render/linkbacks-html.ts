import { PingbackOptionError } from '../errors.ts';
import { checkKnownKeys } from '../option-checks.ts';
import type { PublicPingback } from '../receive/read-endpoint.ts';
import type { LinkbackKind } from '../store/record.ts';
import type { AvatarMode } from './avatar.ts';
import { renderAvatar } from './avatar.ts';
import type { CountWords } from './count.ts';
import { KIND_WORDS, isWords, pingbackCountText } from './count.ts';
import { escapeHtml, isolated, safeHref } from './escape.ts';
import { LIST_KINDS, RENDER_KINDS, checkKinds, kindOf, ofKinds } from './kinds.ts';

/** The kinds shown as rows of faces, each under a heading of its own. */
export type FaceKind = 'like' | 'repost' | 'bookmark';
const FACE_KINDS: readonly FaceKind[] = ['like', 'repost', 'bookmark'];

/**
 * Headings of the groups inside the section: `list` (replies and mentions; none by default, the
 * section's heading covers it) and each row of faces (by default the count in the kind's words, "3
 * likes"). Text, words by plural category to count in, or false for none.
 */
export interface GroupHeadings {
  list?: string | false;
  like?: string | CountWords | false;
  repost?: string | CountWords | false;
  bookmark?: string | CountWords | false;
}

export interface RenderOptions {
  /** Heading text; false for none. Default "Pingbacks" (`renderLinkbacksHtml`: "Responses"). */
  heading?: string | false;
  /** Heading level. Default 2; the groups' headings are one level below. */
  headingLevel?: 2 | 3 | 4 | 5 | 6;
  /** Shown when there are none; false renders nothing at all. Default "No pingbacks yet." ("No responses yet."). */
  empty?: string | false;
  /** BCP 47 locale for dates and plural rules. Default "en". */
  locale?: string;
  /** An id for the section (and, suffixed, its headings). Default "pingbacks". */
  id?: string;
  /**
   * Which kinds to show, in the order of their groups: replies and mentions share one list (placed where
   * the first of them is named), likes, reposts and bookmarks get a row of faces each. Default every kind:
   * `['reply', 'mention', 'like', 'repost', 'bookmark']`.
   */
  kinds?: LinkbackKind | readonly LinkbackKind[];
  headings?: GroupHeadings;
  /** `true` (default): photos with initials behind them; `'initials'`: never load a stranger's image; `false`: none. */
  avatars?: AvatarMode;
}

/** Markup a component renders itself (trusted, already escaped): the items, or the empty state. */
export interface RenderParts {
  itemsHtml?: string;
  emptyHtml?: string;
}

/** Options after `resolveRenderOptions`: every default filled in, every value checked. */
export interface ResolvedRender {
  heading: string | false;
  headingLevel: number;
  empty: string | false;
  locale: string;
  id: string;
  kinds: readonly LinkbackKind[];
  headings: GroupHeadings;
  avatars: AvatarMode;
}

/** The texts the two families of names default to. */
export interface SectionTexts {
  heading: string;
  empty: string;
}
export const PINGBACK_TEXTS: SectionTexts = { heading: 'Pingbacks', empty: 'No pingbacks yet.' };
export const RESPONSE_TEXTS: SectionTexts = { heading: 'Responses', empty: 'No responses yet.' };

const OPTION_KEYS = ['heading', 'headingLevel', 'empty', 'locale', 'id', 'kinds', 'headings', 'avatars'] as const;
const HEADING_KEYS = ['list', ...FACE_KINDS] as const;

function textOrFalse(option: string, value: unknown, fallback: string | false): string | false {
  if (value === undefined) return fallback;
  if (value === false || typeof value === 'string') return value;
  throw new PingbackOptionError(option, `must be text or false, got ${JSON.stringify(value)}`, 'Write e.g. "Responses", or false for none.');
}

/**
 * Checks what a page asked for, once per call: every key known, every value of the right shape, so a
 * typo in a template stops the build with the option named rather than showing the wrong thing.
 * (Nunjucks marks keyword arguments with `__keywords`; that marker is not an option.)
 */
export function resolveRenderOptions(options: RenderOptions | Record<string, unknown> = {}, texts: SectionTexts = PINGBACK_TEXTS): ResolvedRender {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new PingbackOptionError('options', `must be an object, got ${JSON.stringify(options)}`, 'Write e.g. { heading: "Replies", kinds: ["reply"] }.');
  }
  const { __keywords: _kw, ...given } = options as Record<string, unknown>;
  checkKnownKeys('', given, OPTION_KEYS);
  const o = given as RenderOptions;
  const headingLevel = o.headingLevel ?? 2;
  if (!Number.isInteger(headingLevel) || headingLevel < 2 || headingLevel > 6) {
    throw new PingbackOptionError(
      'headingLevel',
      `must be a whole number from 2 to 6, got ${JSON.stringify(o.headingLevel)}`,
      'Write e.g. 3, or leave it out for 2.',
    );
  }
  for (const key of ['locale', 'id'] as const) {
    if (o[key] !== undefined && (typeof o[key] !== 'string' || o[key] === '')) {
      throw new PingbackOptionError(
        key,
        `must be a non-empty string, got ${JSON.stringify(o[key])}`,
        key === 'locale' ? 'Write e.g. "en" or "fr-CA".' : 'Write e.g. "responses".',
      );
    }
  }
  const headings = o.headings ?? {};
  if (typeof headings !== 'object' || headings === null || Array.isArray(headings)) {
    throw new PingbackOptionError('headings', `must be an object, got ${JSON.stringify(headings)}`, 'Write e.g. { like: "Liked by", repost: false }.');
  }
  checkKnownKeys('headings', headings, HEADING_KEYS);
  for (const key of HEADING_KEYS) {
    const value = headings[key];
    if (value === undefined || value === false || typeof value === 'string' || (key !== 'list' && isWords(value))) continue;
    throw new PingbackOptionError(
      `headings.${key}`,
      `must be text${key === 'list' ? '' : ', words to count in'} or false, got ${JSON.stringify(value)}`,
      key === 'list' ? 'Write e.g. "Replies", or false for none.' : 'Write e.g. "Liked by", { one: "like", other: "likes" }, or false for none.',
    );
  }
  if (o.avatars !== undefined && typeof o.avatars !== 'boolean' && o.avatars !== 'initials') {
    throw new PingbackOptionError(
      'avatars',
      `must be true, false or "initials", got ${JSON.stringify(o.avatars)}`,
      'Write "initials" to show no stranger\'s image, or false for no avatars.',
    );
  }
  return {
    heading: textOrFalse('heading', o.heading, texts.heading),
    headingLevel,
    empty: textOrFalse('empty', o.empty, texts.empty),
    locale: o.locale ?? 'en',
    id: o.id ?? 'pingbacks',
    kinds: checkKinds('kinds', o.kinds) ?? RENDER_KINDS,
    headings,
    avatars: o.avatars ?? true,
  };
}

// Making a formatter costs about 0.2 ms, formatting with one a microsecond: keep one per locale (the
// locales are the site's own, from its templates, so a few; the cap only guards against a loop).
const dateFormats = new Map<string, Intl.DateTimeFormat | null>();

function dateFormat(locale: string): Intl.DateTimeFormat | null {
  let format = dateFormats.get(locale);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
    } catch {
      format = null;
    }
    if (dateFormats.size >= 64) dateFormats.clear();
    dateFormats.set(locale, format);
  }
  return format;
}

export function formatDate(iso: string, locale = 'en'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return dateFormat(locale)?.format(date) ?? date.toISOString().slice(0, 10);
}

/** Where an item links: the entry's own URL when the source names one (Bridgy's pages point at the original post), else the source. */
function entryHref(p: PublicPingback): string | null {
  return safeHref(p.url) ?? safeHref(p.source);
}

function langAttr(p: PublicPingback): string {
  return p.lang ? ` lang="${escapeHtml(p.lang)}"` : '';
}

/**
 * One reply or mention as an `h-cite`: the entry linked `rel="nofollow ugc"` (its own URL when it names
 * one, else the source), title, author with avatar, date, excerpt. A source without an author shows
 * none: older records carry the title (or the host) again as the author's name, which is not repeated
 * either.
 */
export function renderPingbackItem(p: PublicPingback, locale = 'en', avatars: AvatarMode = true): string {
  const href = entryHref(p);
  const titleText = p.title || (href ? new URL(href).host : '');
  const title = isolated(titleText);
  const link = href
    ? `<a class="pingback__source u-url p-name" href="${escapeHtml(href)}" rel="nofollow ugc">${title}</a>`
    : `<span class="pingback__source p-name">${title}</span>`;
  const authorUrl = safeHref(p.author.url);
  const nameText = p.author.name.trim();
  const name = isolated(nameText);
  const author =
    nameText === '' || (nameText === titleText.trim() && !authorUrl)
      ? ''
      : ` <span class="pingback__author p-author h-card">${renderAvatar(nameText, p.author.photo, avatars)}${authorUrl ? `<a class="p-name u-url" href="${escapeHtml(authorUrl)}" rel="nofollow ugc">${name}</a>` : `<span class="p-name">${name}</span>`}</span>`;
  const when = p.published ?? p.receivedAt;
  const date = formatDate(when, locale);
  return (
    `<li class="pingback pingback--${kindOf(p)} h-cite"${langAttr(p)}>` +
    `${link}${author}` +
    (date ? ` <time class="pingback__date dt-published" datetime="${escapeHtml(new Date(when).toISOString())}">${escapeHtml(date)}</time>` : '') +
    (p.excerpt ? `<p class="pingback__excerpt p-content" dir="auto">${escapeHtml(p.excerpt)}</p>` : '') +
    '</li>'
  );
}

/**
 * One like, repost or bookmark as a face: the author's avatar and name, linked to the entry. A source
 * that names no author shows its host instead.
 */
export function renderFaceItem(p: PublicPingback, avatars: AvatarMode = true): string {
  const href = entryHref(p);
  const nameText = p.author.name.trim() || (href ? new URL(href).host : '');
  const inner = `<span class="pingback__author p-author h-card">${renderAvatar(nameText, p.author.photo, avatars)}<span class="pingback__name p-name">${isolated(nameText)}</span></span>`;
  const face = href
    ? `<a class="pingback__face u-url" href="${escapeHtml(href)}" rel="nofollow ugc">${inner}</a>`
    : `<span class="pingback__face">${inner}</span>`;
  return `<li class="pingback pingback--${kindOf(p)} h-cite"${langAttr(p)}>${face}</li>`;
}

function headingTag(level: number, id: string, className: string, text: string): string {
  return `<h${level} id="${escapeHtml(id)}" class="${className}">${escapeHtml(text)}</h${level}>`;
}

function faceGroup(kind: FaceKind, items: readonly PublicPingback[], o: ResolvedRender, level: number): string {
  const setting = o.headings[kind];
  const text =
    setting === false
      ? false
      : typeof setting === 'string'
        ? setting
        : pingbackCountText(items.length, { words: setting ?? KIND_WORDS[kind], locale: o.locale });
  const faces = `<ul class="pingbacks__faces">${items.map((p) => renderFaceItem(p, o.avatars)).join('')}</ul>`;
  if (text === false) return `<div class="pingbacks__group pingbacks__group--${kind}">${faces}</div>`;
  const headingId = `${o.id}-${kind}-heading`;
  return `<section class="pingbacks__group pingbacks__group--${kind}" aria-labelledby="${escapeHtml(headingId)}">${headingTag(level, headingId, 'pingbacks__group-heading', text)}${faces}</section>`;
}

/** The groups in the order `kinds` names them: one list for replies and mentions, a row per other kind. */
function groups(items: readonly PublicPingback[], o: ResolvedRender, level: number): string {
  let html = '';
  let listDone = false;
  for (const kind of o.kinds) {
    if (LIST_KINDS.includes(kind)) {
      if (listDone) continue;
      listDone = true;
      const listed = ofKinds(
        items,
        o.kinds.filter((k) => LIST_KINDS.includes(k)),
      );
      if (listed.length === 0) continue;
      if (o.headings.list) html += headingTag(level, `${o.id}-list-heading`, 'pingbacks__group-heading', o.headings.list);
      html += `<ol class="pingbacks__list">${listed.map((p) => renderPingbackItem(p, o.locale, o.avatars)).join('')}</ol>`;
    } else {
      const faces = ofKinds(items, [kind]);
      if (faces.length > 0) html += faceGroup(kind as FaceKind, faces, o, level);
    }
  }
  return html;
}

function renderSection(all: readonly PublicPingback[], o: ResolvedRender, parts: RenderParts): string {
  const items = ofKinds(all, o.kinds);
  if (items.length === 0 && o.empty === false && parts.emptyHtml === undefined) return '';
  const headingId = `${o.id}-heading`;
  const head = o.heading === false ? '' : headingTag(o.headingLevel, headingId, 'pingbacks__heading', o.heading);
  const labelled = o.heading === false ? '' : ` aria-labelledby="${escapeHtml(headingId)}"`;
  const level = o.heading === false ? o.headingLevel : Math.min(o.headingLevel + 1, 6);
  const body =
    items.length === 0
      ? (parts.emptyHtml ?? `<p class="pingbacks__empty">${escapeHtml(o.empty || '')}</p>`)
      : parts.itemsHtml !== undefined
        ? `<ol class="pingbacks__list">${parts.itemsHtml}</ol>`
        : groups(items, o, level);
  return `<section class="pingbacks" id="${escapeHtml(o.id)}"${labelled}>${head}${body}</section>`;
}

/**
 * A post's linkbacks as semantic, accessible, unstyled HTML with stable class names: a
 * `<section class="pingbacks">` with a heading, an `<ol class="pingbacks__list">` of `h-cite` replies and
 * mentions, and a row of faces (`<ul class="pingbacks__faces">`) for each of likes, reposts and
 * bookmarks, under a heading that counts them; or the empty state. Every text is escaped, titles and
 * names isolated in `<bdi>`; only http(s) URLs become links or images. Astro's `<Pingbacks />` and
 * Eleventy's `pingbacks` shortcode both print exactly this. With `parts.itemsHtml` (a component's own
 * markup for each item) the items go into the one list, whatever their kind.
 */
export function renderPingbacksHtml(items: readonly PublicPingback[], options: RenderOptions = {}, parts: RenderParts = {}): string {
  return renderSection(items, resolveRenderOptions(options, PINGBACK_TEXTS), parts);
}

/** `renderPingbacksHtml` in protocol-neutral words: "Responses", "No responses yet.". */
export function renderLinkbacksHtml(items: readonly PublicPingback[], options: RenderOptions = {}, parts: RenderParts = {}): string {
  return renderSection(items, resolveRenderOptions(options, RESPONSE_TEXTS), parts);
}

/** Pingbacks grouped by canonical post key, oldest first: what renderers look up. */
export function groupByKey(items: readonly PublicPingback[]): Record<string, PublicPingback[]> {
  const byKey: Record<string, PublicPingback[]> = {};
  for (const item of items) {
    const list = byKey[item.key];
    if (list) list.push(item);
    else byKey[item.key] = [item];
  }
  for (const list of Object.values(byKey)) list.sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : a.id < b.id ? -1 : 1));
  return byKey;
}
