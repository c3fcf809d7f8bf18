import { PingbackOptionError } from '@pingback/core/build';
import type { CountWords, LinkbackKind, PublicPingback, RenderOptions } from '@pingback/core/render';
import {
  LINKBACKS_CSS,
  PINGBACK_WORDS,
  RESPONSE_WORDS,
  checkKinds,
  countLinkbacks,
  isWords,
  ofKinds,
  pingbackCountText,
  renderLinkbacksHtml,
  renderPingbackCountHtml,
  renderPingbacksHtml,
} from '@pingback/core/render';

type Fn = (...args: unknown[]) => unknown;

interface CountArgs {
  kind: readonly LinkbackKind[] | undefined;
  words?: CountWords;
  locale?: string;
}

const COUNT_KEYS = ['kind', 'words', 'locale'];

/**
 * A count filter's arguments after the value: a kind (`"like"`) or kinds, words by plural category
 * (`{ one: "reply", other: "replies" }`), or `{ kind, words, locale }`; then, optionally, the locale.
 */
function countArgs(second: unknown, third: unknown): CountArgs {
  let args: CountArgs = { kind: undefined };
  if (second === undefined || second === null) args = { kind: undefined };
  else if (typeof second === 'string' || Array.isArray(second)) args = { kind: checkKinds('kind', second) };
  else if (isWords(second)) args = { kind: undefined, words: second };
  else if (typeof second === 'object') {
    const given = second as Record<string, unknown>;
    const unknown = Object.keys(given).find((k) => !COUNT_KEYS.includes(k) && k !== '__keywords');
    if (unknown !== undefined) throw new PingbackOptionError(unknown, 'is not a known option', `Known options: ${COUNT_KEYS.join(', ')}.`);
    if (given.words !== undefined && !isWords(given.words)) {
      throw new PingbackOptionError(
        'words',
        `must be words by plural category, got ${JSON.stringify(given.words)}`,
        'Write e.g. { one: "like", other: "likes" }.',
      );
    }
    args = {
      kind: checkKinds('kind', given.kind),
      ...(given.words ? { words: given.words as CountWords } : {}),
      ...(typeof given.locale === 'string' ? { locale: given.locale } : {}),
    };
  } else {
    throw new PingbackOptionError(
      'kind',
      `must be a kind, a list of kinds, words or { kind, words, locale }, got ${JSON.stringify(second)}`,
      'Write e.g. "like", or { one: "reply", other: "replies" }.',
    );
  }
  if (third !== undefined && third !== null) {
    if (typeof third !== 'string' || third === '')
      throw new PingbackOptionError('locale', `must be a non-empty string, got ${JSON.stringify(third)}`, 'Write e.g. "en" or "fr-CA".');
    args.locale = third;
  }
  return args;
}

/**
 * The plugin's rendering filters and shortcodes over one lookup (a post's linkbacks by any URL or path
 * of it), under their Pingback names and their protocol-neutral ones. The two families differ only in
 * the words they fall back to: "Pingbacks"/"2 pingbacks" against "Responses"/"2 responses". Every
 * argument is checked where it is used; a bad one stops the build, naming the filter and the option.
 */
export function renderingFilters(
  linkbacksOf: (url: unknown) => PublicPingback[],
  prefix: string,
): { filters: Record<string, Fn>; shortcodes: Record<string, Fn> } {
  const named = (name: string, fn: Fn): Fn => {
    return (...args) => {
      try {
        return fn(...args);
      } catch (error) {
        if (error instanceof PingbackOptionError) error.message = `${prefix} ${name}: ${error.message}`;
        throw error;
      }
    };
  };
  const filters: Record<string, Fn> = {};
  const shortcodes: Record<string, Fn> = {};
  for (const [family, neutral] of [
    ['pingback', false],
    ['linkback', true],
  ] as const) {
    const fallback = neutral ? RESPONSE_WORDS : PINGBACK_WORDS;
    const render = neutral ? renderLinkbacksHtml : renderPingbacksHtml;
    // The count of a post's URL (of the kinds asked for), or a number as it is (`pingbackData.count`).
    const countOf = (value: unknown, kind: readonly LinkbackKind[] | undefined) =>
      typeof value === 'number' ? value : countLinkbacks(linkbacksOf(value), kind);
    filters[`${family}sFor`] = named(`${family}sFor filter`, (url, kind) =>
      kind === undefined || kind === null ? linkbacksOf(url) : ofKinds(linkbacksOf(url), checkKinds('kind', kind)),
    );
    filters[`${family}Count`] = named(`${family}Count filter`, (url, kind) =>
      countLinkbacks(linkbacksOf(url), kind === undefined || kind === null ? undefined : checkKinds('kind', kind)),
    );
    filters[`${family}CountText`] = named(`${family}CountText filter`, (value, second, third) => {
      const { kind, words, locale } = countArgs(second, third);
      return pingbackCountText(countOf(value, kind), { kind, fallback, ...(words ? { words } : {}), ...(locale ? { locale } : {}) });
    });
    filters[`${family}CountHtml`] = named(`${family}CountHtml filter`, (value, second, third) => {
      const { kind, words, locale } = countArgs(second, third);
      return renderPingbackCountHtml(countOf(value, kind), { label: words ?? true, kind, fallback, ...(locale ? { locale } : {}) });
    });
    filters[`${family}sHtml`] = named(`${family}sHtml filter`, (url, options) => render(linkbacksOf(url), (options ?? {}) as RenderOptions));
    shortcodes[`${family}s`] = named(`${family}s shortcode`, (url, options) => render(linkbacksOf(url), (options ?? {}) as RenderOptions));
  }
  shortcodes.linkbackStyles = () => `<style>${LINKBACKS_CSS}</style>`;
  return { filters, shortcodes };
}
