/**
 * Control characters (C0, C1), bidirectional controls (embeddings and overrides U+202A–202E, isolates
 * U+2066–2069, the marks U+200E, U+200F and U+061C) and zero-width characters (U+200B–200D, U+2060–2064,
 * U+FEFF). A stranger's name is shown in a list beside other strangers' names: one right-to-left
 * override in it would reverse everything after it on the line, and zero-width characters let one name
 * pass for another. Line and paragraph separators go too; whitespace is collapsed after.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are removed from names.
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/gu;

const ZWNJ = '\u200c';
const ZWJ = '\u200d';
/** What an emoji ZWJ sequence joins: pictographs, after a skin tone or a presentation selector too. */
const EMOJI_BEFORE = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\ufe0f)$/u;
const EMOJI_AFTER = /^\p{Extended_Pictographic}$/u;
/**
 * Letters and marks of the scripts that need the joiners to be spelt right (Persian, Urdu, the Indic
 * scripts, Sinhala, Mongolian…). Latin, Greek and Cyrillic never do, and are where an invisible joiner
 * would let one name pass for another, so there they still go.
 */
const JOINING = /^(?![\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}])[\p{L}\p{M}]$/u;

function codePointBefore(text: string, at: number): string {
  const low = text.charCodeAt(at - 1);
  const start = low >= 0xdc00 && low <= 0xdfff && at >= 2 ? at - 2 : at - 1;
  return start < 0 ? '' : String.fromCodePoint(text.codePointAt(start)!);
}

function codePointAfter(text: string, at: number): string {
  const point = text.codePointAt(at + 1);
  return point === undefined ? '' : String.fromCodePoint(point);
}

/**
 * ZWJ and ZWNJ are kept where they are part of how something is written: inside an emoji sequence
 * (👩‍💻 is one picture, not two) and between two letters of a script that uses them (a Persian name
 * written without its ZWNJ is misspelt). Elsewhere they are as invisible as the rest.
 */
function joinsWithin(text: string, joiner: string, at: number): boolean {
  if (joiner !== ZWJ && joiner !== ZWNJ) return false;
  const before = codePointBefore(text, at);
  const after = codePointAfter(text, at);
  if (joiner === ZWJ && EMOJI_BEFORE.test(before) && EMOJI_AFTER.test(after)) return true;
  return JOINING.test(before) && JOINING.test(after);
}

/**
 * Whitespace collapsed; control and bidirectional characters removed, and zero-width ones except the
 * joiners inside a word or an emoji: text as stored and shown, never markup.
 */
export function plainText(text: string): string {
  return text
    .replace(INVISIBLE, (c: string, at: number) => (joinsWithin(text, c, at) ? c : ''))
    .replace(/\s+/g, ' ')
    .trim();
}

/** Cuts at a word boundary and marks the cut with an ellipsis. */
export function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
