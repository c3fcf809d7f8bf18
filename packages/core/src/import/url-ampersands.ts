/**
 * WordPress writes `<wp:comment_author_url>` with `sanitize_url()`, which leaves `&` as it is (every
 * other URL in a WXR file goes through `esc_url()` and comes out `&#038;`), so a pingback from
 * `https://a.example/?p=1&lang=en` makes the export not well-formed XML: to a strict parser, `&lang=en…`
 * starts an entity reference that runs to the next `;` anywhere in the file. This pass, on the decoded
 * text before the parser sees it, escapes each `&` in that element's text that does not start one of
 * XML's own references (`&amp;`, `&#38;`, …). It touches nothing else: a `<` ends the element's text, so
 * a CDATA section or the next element is passed through as it is. Linear in the input; it keeps at most a
 * few characters between chunks.
 */
const OPEN = '<wp:comment_author_url>';
const REFERENCE = /&(?:amp|lt|gt|quot|apos|#[0-9]{1,10}|#x[0-9a-fA-F]{1,8});/y;
/** What could still become a reference once the next chunk arrives. */
const PARTIAL_REFERENCE = /^&(?:[a-z]{0,4}|#[0-9]{0,10}|#x[0-9a-fA-F]{0,8})$/;

/** Length of the longest end of `text` that is a beginning of `word`. */
function partialSuffix(text: string, word: string): number {
  for (let n = Math.min(word.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(word.slice(0, n))) return n;
  }
  return 0;
}

export class UrlAmpersandRepair {
  private inside = false;
  private carry = '';
  /** How many ampersands were escaped: the report says so. */
  repaired = 0;

  /** The text to hand the parser for this chunk; call `end()` after the last. */
  push(chunk: string, final = false): string {
    const text = this.carry + chunk;
    this.carry = '';
    let out = '';
    let i = 0;
    while (i < text.length) {
      if (!this.inside) {
        const at = text.indexOf(OPEN, i);
        if (at < 0) {
          const keep = final ? 0 : partialSuffix(text.slice(Math.max(i, text.length - OPEN.length)), OPEN);
          out += text.slice(i, text.length - keep);
          this.carry = text.slice(text.length - keep);
          return out;
        }
        out += text.slice(i, at + OPEN.length);
        i = at + OPEN.length;
        this.inside = true;
        continue;
      }
      const lt = text.indexOf('<', i);
      // Only the element's own text is searched: an `&` looked for in the whole rest of the chunk would
      // make each URL cost the chunk's length.
      const segment = text.slice(i, lt < 0 ? text.length : lt);
      let j = 0;
      for (;;) {
        const amp = segment.indexOf('&', j);
        if (amp < 0) {
          out += segment.slice(j);
          break;
        }
        out += segment.slice(j, amp);
        REFERENCE.lastIndex = amp;
        const ref = REFERENCE.exec(segment);
        if (ref) {
          out += ref[0];
          j = amp + ref[0].length;
        } else if (!final && lt < 0 && PARTIAL_REFERENCE.test(segment.slice(amp))) {
          this.carry = segment.slice(amp);
          return out;
        } else {
          out += '&amp;';
          this.repaired++;
          j = amp + 1;
        }
      }
      if (lt < 0) return out;
      this.inside = false;
      i = lt;
    }
    return out;
  }

  end(): string {
    return this.push('', true);
  }
}
