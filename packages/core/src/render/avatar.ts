import { escapeHtml, safeHref } from './escape.ts';

/**
 * How avatars are shown: `true` (the author's photo, with initials behind it for a missing or broken
 * one), `'initials'` (never load a stranger's image), or `false` (none).
 */
export type AvatarMode = boolean | 'initials';

// Grapheme boundaries don't depend on the locale; a fixed one keeps builds alike on every machine.
// Made on first use: making it costs about 11 ms and 3 MiB, paid otherwise by every import of the
// renderer (so by every build's config), also where no name needs it.
let segmenter: Intl.Segmenter | undefined;
function graphemes(text: string): Intl.Segments {
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  return segmenter.segment(text);
}

/** The word's first grapheme, uppercased unless that makes it more than one ("ß" stays "ß", not "SS"). */
function initialOf(word: string): string {
  // The common case without the segmenter, which costs some microseconds a call: an ASCII letter or
  // digit followed by another ASCII character (or nothing) is a grapheme of its own.
  if (/^[A-Za-z0-9]/.test(word) && (word.length === 1 || word.charCodeAt(1) < 0x80)) return word[0]!.toUpperCase();
  let first = '';
  for (const { segment } of graphemes(word)) {
    first = segment;
    break;
  }
  const upper = first.toUpperCase();
  return [...graphemes(upper)].length === 1 ? upper : first;
}

/**
 * Up to two letters for a name: the first of its first and last words ("Ann Author" → "AA", "madonna" →
 * "M", "李小龍" → "李"), leading marks and symbols skipped ("@ann" → "A", a lone "—" is no word),
 * uppercased. Whole graphemes, so an accented or combined letter is never cut in half. "?" when nothing
 * fits.
 */
export function initials(name: string): string {
  const words = name
    .split(/\s+/u)
    .map((w) => w.replace(/^[^\p{L}\p{N}]+/u, ''))
    .filter((w) => w !== '');
  if (words.length === 0) return '?';
  return initialOf(words[0]!) + (words.length > 1 ? initialOf(words[words.length - 1]!) : '');
}

/**
 * The avatar: the initials, then the photo over them. The initials carry `hidden`, so without a
 * stylesheet the page shows the photo alone (or nothing); the optional stylesheet shows them and stacks
 * the two in one square, so a photo that is missing or fails to load leaves the initials visible, with
 * no script. The photo loads lazily and sends no Referer to the stranger's server; only http(s) photos
 * are printed, and it is decorative (`alt=""`): the name is always written beside it.
 */
export function renderAvatar(name: string, photo: string | undefined, mode: AvatarMode = true): string {
  if (mode === false) return '';
  const src = mode === true ? safeHref(photo) : null;
  const letters = escapeHtml(initials(name));
  const img = src
    ? `<img class="pingback__photo u-photo" src="${escapeHtml(src)}" alt="" width="48" height="48" loading="lazy" decoding="async" referrerpolicy="no-referrer" data-initials="${letters}">`
    : '';
  return `<span class="pingback__avatar"><span class="pingback__initials" aria-hidden="true" hidden>${letters}</span>${img}</span>`;
}
