import { loadEntities } from './entities-load.ts';

/**
 * Character references in the build's reading of pages (titles, attribute values), decoded as a browser
 * does. Most pages have none, or only `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;` and numeric references
 * to printable ASCII: those are decoded here, the same in text and in attributes (a reference ended by
 * `;` is never subject to the attribute rule). Anything else goes to `entities`, loaded the first time it
 * is needed: unpacking its table of the 2,231 named references costs a build about 10 ms before it has
 * read a page, and most builds never need it.
 */

const SIMPLE = /&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));/y;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** `raw` with its references decoded, or null when one of them is not of the simple kinds above. */
function decodeSimple(raw: string): string | null {
  let out = '';
  let last = 0;
  for (let amp = raw.indexOf('&'); amp >= 0; amp = raw.indexOf('&', last)) {
    SIMPLE.lastIndex = amp;
    const m = SIMPLE.exec(raw);
    if (m === null) return null;
    let char: string;
    if (m[1] !== undefined) char = NAMED[m[1]]!;
    else {
      const code = m[2] !== undefined ? Number.parseInt(m[2], 10) : Number.parseInt(m[3]!, 16);
      // Below space, above tilde, the spec's replacements (NUL, C1 controls, surrogates) and
      // out-of-range values come in: the library knows them.
      if (code < 0x20 || code > 0x7e) return null;
      char = String.fromCharCode(code);
    }
    out += raw.slice(last, amp) + char;
    last = SIMPLE.lastIndex;
  }
  return last === 0 ? raw : out + raw.slice(last);
}

/** Text content with its character references decoded (as `entities`' `decodeHTML`). */
export function decodeText(raw: string): string {
  if (!raw.includes('&')) return raw;
  return decodeSimple(raw) ?? loadEntities().decodeHTML(raw);
}

/** An attribute value with its character references decoded (as `entities`' `decodeHTMLAttribute`). */
export function decodeAttributeValue(raw: string): string {
  if (!raw.includes('&')) return raw;
  return decodeSimple(raw) ?? loadEntities().decodeHTMLAttribute(raw);
}
