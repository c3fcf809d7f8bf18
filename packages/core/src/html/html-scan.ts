import { decodeAttributeValue } from './char-refs.ts';

/**
 * A pull tokenizer over HTML source, after the WHATWG tokenizer's tag, attribute, comment and raw-text
 * rules. It yields start and end tags only: text is jumped over with indexOf, comments and doctypes are
 * skipped, and the contents of script, style and the other raw-text elements are never taken for markup.
 * No tree is built and nothing is allocated per attribute until someone asks for a value, which is what
 * makes one pass over thousands of built pages cheap.
 */
export const EOF = 0;
export const START_TAG = 1;
export const END_TAG = 2;
/** A comment, a doctype or other markup the tokenizer drops (`<?…>`, `</>`): only reported when asked for. */
export const COMMENT = 3;
export type TokenKind = typeof EOF | typeof START_TAG | typeof END_TAG | typeof COMMENT;

export interface ScannerOptions {
  /**
   * Also stop at comments and the other markup that is dropped, so that whatever lies between two tokens
   * is exactly the page's text (or, after a raw-text start tag, that element's content).
   */
  comments?: boolean;
}

/** Elements whose content the tokenizer reads as text up to the matching end tag. */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript']);

/** A bit for an attribute name's length: `find` skips a tag none of whose attributes is as long as the name. */
export function lengthBit(length: number): number {
  return 1 << (length & 31);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0c || c === 0x0d;
}

function isAlpha(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

export class HtmlScanner {
  readonly html: string;
  private pos = 0;
  private rawText: string | null = null;
  private readonly comments: boolean;

  kind: TokenKind = EOF;
  /** Lower-cased tag name of the current token. */
  name = '';
  /** Index of the token's `<`; at `EOF`, where the page's text ends (an unfinished tag at the end is dropped). */
  start = 0;
  /** Index just past the token's `>`. */
  end = 0;
  selfClosing = false;
  /** End of the last `<!doctype …>` seen, or -1. */
  doctypeEnd = -1;

  private count = 0;
  /**
   * `lengthBit` of every attribute name of the current start tag, or-ed: a tag without this bit for a name
   * has no such attribute, which settles most selector tests without looking at the tag.
   */
  lengths = 0;
  private lastName = '';
  private lastValue: string | null = null;
  private readonly nameStart: number[] = [];
  private readonly nameEnd: number[] = [];
  private readonly valueStart: number[] = [];
  private readonly valueEnd: number[] = [];

  constructor(html: string, options: ScannerOptions = {}) {
    this.html = html;
    this.comments = options.comments === true;
  }

  /** Advances to the next start or end tag and returns its kind; `EOF` at the end. */
  next(): TokenKind {
    const html = this.html;
    const len = html.length;
    if (this.rawText !== null) this.skipRawText(this.rawText);
    let p = this.pos;
    for (;;) {
      p = html.indexOf('<', p);
      if (p < 0 || p + 1 >= len) return this.eof(len);
      const c = html.charCodeAt(p + 1);
      if (isAlpha(c)) {
        if (this.readTag(p, p + 1, START_TAG)) return this.kind;
        return this.eof(p);
      }
      let skipped: number;
      if (c === 0x2f /* / */) {
        const d = html.charCodeAt(p + 2);
        if (isAlpha(d)) {
          if (this.readTag(p, p + 2, END_TAG)) return this.kind;
          return this.eof(p);
        }
        skipped = d === 0x3e /* > */ ? p + 3 /* "</>" is dropped */ : this.bogusComment(p + 2);
      } else if (c === 0x21 /* ! */) {
        if (html.startsWith('--', p + 2)) skipped = this.comment(p + 4);
        else {
          skipped = this.bogusComment(p + 2);
          if (html.slice(p + 2, p + 9).toLowerCase() === 'doctype') this.doctypeEnd = skipped;
        }
      } else if (c === 0x3f /* ? */) {
        skipped = this.bogusComment(p + 2);
      } else {
        p++; // a lone "<" is text
        continue;
      }
      if (this.comments) {
        this.start = p;
        this.end = this.pos = skipped;
        this.name = '';
        this.kind = COMMENT;
        return COMMENT;
      }
      p = skipped;
    }
  }

  private eof(textEnd: number): TokenKind {
    this.pos = this.html.length;
    this.start = textEnd;
    this.end = this.html.length;
    this.name = '';
    this.kind = EOF;
    return EOF;
  }

  /** Position just past a comment whose "<!--" ended before `from`. */
  private comment(from: number): number {
    const html = this.html;
    if (html.charCodeAt(from) === 0x3e) return from + 1; // "<!-->"
    if (html.startsWith('->', from)) return from + 2; // "<!--->"
    let e = html.indexOf('--', from);
    while (e >= 0) {
      if (html.charCodeAt(e + 2) === 0x3e) return e + 3;
      if (html.startsWith('!>', e + 2)) return e + 4;
      e = html.indexOf('--', e + 1);
    }
    return html.length;
  }

  private bogusComment(from: number): number {
    const e = this.html.indexOf('>', from);
    return e < 0 ? this.html.length : e + 1;
  }

  private skipRawText(name: string): void {
    this.rawText = null;
    const html = this.html;
    if (name === 'plaintext') {
      this.pos = html.length;
      return;
    }
    let i = this.pos;
    for (;;) {
      const j = html.indexOf('</', i);
      if (j < 0) {
        this.pos = html.length;
        return;
      }
      const after = j + 2 + name.length;
      if (html.slice(j + 2, after).toLowerCase() === name) {
        const c = html.charCodeAt(after);
        if (Number.isNaN(c) || isSpace(c) || c === 0x2f || c === 0x3e) {
          this.pos = j;
          return;
        }
      }
      i = j + 2;
    }
  }

  /** Reads a tag whose name starts at `nameAt`; false when the document ends inside it (the tag is dropped). */
  private readTag(lt: number, nameAt: number, kind: typeof START_TAG | typeof END_TAG): boolean {
    const html = this.html;
    const len = html.length;
    let i = nameAt;
    while (i < len) {
      const c = html.charCodeAt(i);
      if (isSpace(c) || c === 0x2f || c === 0x3e) break;
      i++;
    }
    const name = html.slice(nameAt, i).toLowerCase();
    this.count = 0;
    this.lengths = 0;
    this.lastName = '';
    let selfClosing = false;
    for (;;) {
      let slash = false;
      let c = html.charCodeAt(i);
      while (i < len && (isSpace(c) || c === 0x2f)) {
        slash = c === 0x2f;
        c = html.charCodeAt(++i);
      }
      if (i >= len) {
        this.pos = len;
        return false;
      }
      if (c === 0x3e) {
        selfClosing = slash;
        i++;
        break;
      }
      const ns = i++; // the first character is part of the name even if it is "="
      while (i < len) {
        c = html.charCodeAt(i);
        if (isSpace(c) || c === 0x2f || c === 0x3e || c === 0x3d) break;
        i++;
      }
      const ne = i;
      while (i < len && isSpace(html.charCodeAt(i))) i++;
      let vs = -1;
      let ve = -1;
      if (html.charCodeAt(i) === 0x3d /* = */) {
        i++;
        while (i < len && isSpace(html.charCodeAt(i))) i++;
        c = html.charCodeAt(i);
        if (c === 0x22 || c === 0x27) {
          const q = html.indexOf(c === 0x22 ? '"' : "'", i + 1);
          if (q < 0) {
            this.pos = len;
            return false;
          }
          vs = i + 1;
          ve = q;
          i = q + 1;
        } else {
          vs = i;
          while (i < len) {
            c = html.charCodeAt(i);
            if (isSpace(c) || c === 0x3e) break;
            i++;
          }
          ve = i;
        }
      }
      if (kind === START_TAG) {
        const n = this.count++;
        this.nameStart[n] = ns;
        this.nameEnd[n] = ne;
        this.valueStart[n] = vs;
        this.valueEnd[n] = ve;
        this.lengths |= lengthBit(ne - ns);
      }
    }
    this.kind = kind;
    this.name = name;
    this.start = lt;
    this.end = i;
    this.selfClosing = selfClosing;
    this.pos = i;
    if (kind === START_TAG && RAW_TEXT.has(name)) this.rawText = name;
    else if (kind === START_TAG && name === 'plaintext') this.rawText = name;
    return true;
  }

  private find(name: string): number {
    if ((this.lengths & lengthBit(name.length)) === 0) return -1;
    const html = this.html;
    for (let n = 0; n < this.count; n++) {
      const ns = this.nameStart[n]!;
      const ne = this.nameEnd[n]!;
      if (ne - ns !== name.length) continue;
      let same = true;
      for (let k = 0; k < name.length; k++) {
        let c = html.charCodeAt(ns + k);
        if (c >= 0x41 && c <= 0x5a) c += 0x20;
        if (c !== name.charCodeAt(k)) {
          same = false;
          break;
        }
      }
      if (same) return n; // the first of duplicate attributes wins, as in browsers
    }
    return -1;
  }

  /** Whether the current start tag has the attribute (name in lower case). */
  has(name: string): boolean {
    return this.find(name) >= 0;
  }

  /** The attribute's value as written, without entity decoding; `''` for a bare attribute, null if absent. */
  rawAttr(name: string): string | null {
    const n = this.find(name);
    if (n < 0) return null;
    const vs = this.valueStart[n]!;
    return vs < 0 ? '' : this.html.slice(vs, this.valueEnd[n]!);
  }

  /** The attribute's value with character references decoded as a browser does in attributes. */
  attr(name: string): string | null {
    if (this.count === 0) return null;
    // Selectors ask for the same attribute (`class`) of one element again and again: cut it once.
    if (name === this.lastName) return this.lastValue;
    const raw = this.rawAttr(name);
    const value = raw === null ? raw : decodeAttributeValue(raw);
    this.lastName = name;
    this.lastValue = value;
    return value;
  }

  /** Index of the attribute's name among the current tag's attributes, or -1; tells attribute order. */
  attrIndex(name: string): number {
    return this.find(name);
  }

  /** How many attributes the current start tag has, repeated ones included. */
  get attrCount(): number {
    return this.count;
  }

  /** The name of attribute `n` (in source order), lower-cased. */
  attrNameAt(n: number): string {
    return this.html.slice(this.nameStart[n]!, this.nameEnd[n]!).toLowerCase();
  }

  /** The value of attribute `n`, decoded as `attr()` decodes it; `''` for a bare attribute. */
  attrValueAt(n: number): string {
    const vs = this.valueStart[n]!;
    if (vs < 0) return '';
    const raw = this.html.slice(vs, this.valueEnd[n]!);
    return decodeAttributeValue(raw);
  }
}

/** Splits a whitespace-separated token list such as `rel` or `class`. */
export function tokens(value: string | null): string[] {
  if (!value) return [];
  return value.split(/[\t\n\f\r ]+/).filter(Boolean);
}

export function hasToken(value: string | null, token: string): boolean {
  if (!value) return false;
  const lower = value.toLowerCase();
  if (!lower.includes(token)) return false;
  return tokens(lower).includes(token);
}
