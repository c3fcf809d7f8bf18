import { NOT_TEXT, parseBoundedDocument, walk } from '../html/bounded-document.ts';
import { plainText } from '../receive/plain-text.ts';

/** Elements after which a reader sees a break: their text must not run into the next. */
const BREAKS = new Set(['p', 'br', 'div', 'li', 'blockquote', 'pre', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'tr', 'td', 'th', 'dd', 'dt', 'hr']);

/**
 * The text a reader sees in a stored comment's HTML, as plain text: markup dropped (scripts and styles
 * with their content), character references decoded, paragraphs separated by a space, control,
 * bidirectional and zero-width characters removed. Parsed with the suite's bounded HTML parser, so a
 * hostile comment costs work in proportion to its length.
 */
export function htmlText(html: string): string {
  if (!html.includes('<') && !html.includes('&')) return plainText(html);
  const doc = parseBoundedDocument(html);
  const parts: string[] = [];
  walk(
    doc.body,
    (node) => {
      if (node.type === 'text') parts.push(node.text);
      else if (NOT_TEXT.has(node.name)) return false;
      return true;
    },
    (el) => {
      if (BREAKS.has(el.name)) parts.push(' ');
    },
  );
  return plainText(parts.join(''));
}
