import { PingbackOptionError } from '../errors.ts';
import { checkKnownKeys } from '../option-checks.ts';
import type { LinkbackKind } from '../store/record.ts';
import { escapeHtml } from './escape.ts';
import { checkKinds, ofKinds } from './kinds.ts';

/** The words a count is told in, by plural category (`Intl.PluralRules`): `other` is used where a category is missing. */
export interface CountWords {
  zero?: string;
  one?: string;
  two?: string;
  few?: string;
  many?: string;
  other: string;
}

export const PINGBACK_WORDS: CountWords = { one: 'pingback', other: 'pingbacks' };
/** The protocol-neutral word the `Linkback…` names count in: what a reader sees is a response. */
export const RESPONSE_WORDS: CountWords = { one: 'response', other: 'responses' };
export const KIND_WORDS: Readonly<Record<LinkbackKind, CountWords>> = {
  mention: { one: 'mention', other: 'mentions' },
  reply: { one: 'reply', other: 'replies' },
  like: { one: 'like', other: 'likes' },
  repost: { one: 'repost', other: 'reposts' },
  bookmark: { one: 'bookmark', other: 'bookmarks' },
};

export interface CountOptions {
  /** The noun, by plural category. Default: the kind's (`1 like`) for one kind, else `fallback`. */
  words?: CountWords;
  /** BCP 47 locale choosing the plural category. Default "en". */
  locale?: string;
  /** What is counted, when not everything: picks the default words. */
  kind?: readonly LinkbackKind[] | undefined;
  /** The words when neither `words` nor a single kind gives them. Default `PINGBACK_WORDS`. */
  fallback?: CountWords;
}

// One set of plural rules per locale, as for dates: making one costs far more than using it.
const pluralRules = new Map<string, Intl.PluralRules>();

function pluralCategory(count: number, locale: string): Intl.LDMLPluralRule {
  let rules = pluralRules.get(locale);
  if (!rules) {
    try {
      rules = new Intl.PluralRules(locale);
    } catch {
      rules = new Intl.PluralRules('en');
    }
    if (pluralRules.size >= 64) pluralRules.clear();
    pluralRules.set(locale, rules);
  }
  return rules.select(count);
}

/** How many of `items` are of the kinds given (all of them when `kinds` is undefined). */
export function countLinkbacks(items: readonly { kind?: unknown }[], kinds?: readonly LinkbackKind[]): number {
  return kinds === undefined ? items.length : ofKinds(items, kinds).length;
}

function wordsFor(options: CountOptions): CountWords {
  if (options.words) return options.words;
  if (options.kind?.length === 1) return KIND_WORDS[options.kind[0]!];
  return options.fallback ?? PINGBACK_WORDS;
}

/** The count in words: "0 pingbacks", "1 pingback", "2 likes", or in the words and locale given. */
export function pingbackCountText(count: number, options: CountOptions = {}): string {
  const words = wordsFor(options);
  const category = pluralCategory(count, options.locale ?? 'en');
  return `${count} ${words[category] ?? words.other}`;
}

export interface CountHtmlOptions {
  /** Say the count in words: true for the default words, or the words by plural category. */
  label?: boolean | CountWords;
  locale?: string;
  /** What was counted: written as `data-kind` (space-separated), and picks the default words. */
  kind?: readonly LinkbackKind[] | undefined;
  fallback?: CountWords;
}

/**
 * The count as HTML: `<span class="pingback-count" data-count="3">3</span>`, or with `label`, the count in
 * words inside the span (`1 pingback`, `2 likes`; `label` may give the words). A count of some kinds
 * says which in `data-kind="like"`.
 */
export function renderPingbackCountHtml(count: number, options: CountHtmlOptions = {}): string {
  const { label = false, locale = 'en', kind, fallback } = options;
  const text =
    label === false
      ? String(count)
      : pingbackCountText(count, { ...(label === true ? {} : { words: label }), locale, kind, ...(fallback ? { fallback } : {}) });
  const kindAttr = kind ? ` data-kind="${escapeHtml(kind.join(' '))}"` : '';
  return `<span class="pingback-count" data-count="${count}"${kindAttr}>${escapeHtml(text)}</span>`;
}

/** Words by plural category: an object of strings with at least `other`. */
export function isWords(value: unknown): value is CountWords {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as CountWords).other === 'string' &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

/** What a count element may be asked for, as a component's props or a filter's arguments give it. */
export interface CountRequest {
  label?: unknown;
  locale?: unknown;
  kind?: unknown;
}

/**
 * Checks a count's options once per use: known keys only, `label` true, false or words, `locale` text,
 * `kind` one kind or a list; a typo stops the build with the option named.
 */
export function resolveCountOptions(request: CountRequest): { label: boolean | CountWords; locale: string; kind: readonly LinkbackKind[] | undefined } {
  checkKnownKeys('', request, ['label', 'locale', 'kind']);
  const { label = false, locale = 'en', kind } = request;
  if (typeof label !== 'boolean' && !isWords(label)) {
    throw new PingbackOptionError(
      'label',
      `must be true, false or words by plural category, got ${JSON.stringify(label)}`,
      'Write e.g. true, or { one: "like", other: "likes" }.',
    );
  }
  if (typeof locale !== 'string' || locale === '') {
    throw new PingbackOptionError('locale', `must be a non-empty string, got ${JSON.stringify(locale)}`, 'Write e.g. "en" or "fr-CA".');
  }
  return { label, locale, kind: checkKinds('kind', kind) };
}
