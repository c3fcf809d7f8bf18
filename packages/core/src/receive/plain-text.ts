/** Whitespace collapsed, control characters removed: text as stored and shown, never markup. */
export function plainText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b\u2028\u2029\ufeff]/g, '')
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
