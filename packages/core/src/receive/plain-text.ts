/**
 * Control characters (C0, C1), bidirectional controls (embeddings and overrides U+202A–202E, isolates
 * U+2066–2069, the marks U+200E, U+200F and U+061C) and zero-width characters (U+200B–200D, U+2060–2064,
 * U+FEFF). A stranger's name is shown in a list beside other strangers' names: one right-to-left
 * override in it would reverse everything after it on the line, and zero-width characters let one name
 * pass for another. Line and paragraph separators go too; whitespace is collapsed after.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are removed from names.
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** Whitespace collapsed, control, bidirectional and zero-width characters removed: text as stored and shown, never markup. */
export function plainText(text: string): string {
  return text.replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
}

/** Cuts at a word boundary and marks the cut with an ellipsis. */
export function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
