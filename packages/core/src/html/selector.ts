import { PingbackOptionError } from '../errors.ts';
import type { HtmlScanner } from './html-scan.ts';

/**
 * The part of CSS selectors that says which part of a page is a post's content: type, `*`, `#id`, `.class`
 * and `[attr]`, `[attr=v]`, `[attr~=v]`, `[attr^=v]`, `[attr$=v]`, `[attr*=v]`, `[attr|=v]`, joined by
 * descendant or child (`>`) combinators, in comma-separated lists. Matching runs while a page is
 * tokenized, against the stack of open elements, so no tree is ever built.
 */
export interface AttributeTest {
  name: string;
  op: '' | '=' | '~=' | '^=' | '$=' | '*=' | '|=';
  value: string;
}

export interface Compound {
  tag: string | null;
  ids: string[];
  classes: string[];
  attrs: AttributeTest[];
}

export interface ComplexSelector {
  compounds: Compound[];
  /** `combinators[i]` joins `compounds[i]` and `compounds[i + 1]`. */
  combinators: ('descendant' | 'child')[];
}

export interface SelectorList {
  source: string;
  selectors: ComplexSelector[];
}

const IDENT_START = /[A-Za-z_\-\u00a0-\uffff]/;
const IDENT_CHAR = /[A-Za-z0-9_\-\u00a0-\uffff]/;

class Reader {
  i = 0;
  readonly s: string;
  readonly option: string;
  constructor(s: string, option: string) {
    this.s = s;
    this.option = option;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  fail(why: string): never {
    throw new PingbackOptionError(
      this.option,
      `is not a selector this suite can match (${why} at character ${this.i + 1} of ${JSON.stringify(this.s)})`,
      'Use type, #id, .class and [attribute] selectors joined by spaces or ">", separated by commas, e.g. "article .e-content".',
    );
  }
  spaces(): boolean {
    const from = this.i;
    while (/\s/.test(this.peek())) this.i++;
    return this.i > from;
  }
  ident(): string {
    if (!IDENT_START.test(this.peek())) this.fail('expected a name');
    const from = this.i;
    while (this.i < this.s.length && IDENT_CHAR.test(this.peek())) this.i++;
    return this.s.slice(from, this.i);
  }
  string(): string {
    const quote = this.peek();
    if (quote === '"' || quote === "'") {
      const end = this.s.indexOf(quote, this.i + 1);
      if (end < 0) this.fail('unterminated string');
      const value = this.s.slice(this.i + 1, end);
      this.i = end + 1;
      return value;
    }
    return this.ident();
  }
}

function readCompound(r: Reader): Compound {
  const compound: Compound = { tag: null, ids: [], classes: [], attrs: [] };
  let parts = 0;
  if (r.peek() === '*') {
    r.i++;
    parts++;
  } else if (IDENT_START.test(r.peek())) {
    compound.tag = r.ident().toLowerCase();
    parts++;
  }
  for (;;) {
    const c = r.peek();
    if (c === '#') {
      r.i++;
      compound.ids.push(r.ident());
    } else if (c === '.') {
      r.i++;
      compound.classes.push(r.ident());
    } else if (c === '[') {
      r.i++;
      r.spaces();
      const name = r.ident().toLowerCase();
      r.spaces();
      let op: AttributeTest['op'] = '';
      let value = '';
      if (r.peek() !== ']') {
        const two = r.s.slice(r.i, r.i + 2);
        if (['~=', '^=', '$=', '*=', '|='].includes(two)) {
          op = two as AttributeTest['op'];
          r.i += 2;
        } else if (r.peek() === '=') {
          op = '=';
          r.i++;
        } else r.fail('expected an attribute operator');
        r.spaces();
        value = r.string();
        r.spaces();
      }
      if (r.peek() !== ']') r.fail('expected "]"');
      r.i++;
      compound.attrs.push({ name, op, value });
    } else break;
    parts++;
  }
  if (parts === 0) r.fail('expected a selector');
  return compound;
}

/** Parses a selector list; `option` names the option in the error a bad selector gets. */
export function parseSelector(source: string, option: string): SelectorList {
  const r = new Reader(source, option);
  const selectors: ComplexSelector[] = [];
  r.spaces();
  for (;;) {
    const complex: ComplexSelector = { compounds: [readCompound(r)], combinators: [] };
    for (;;) {
      const hadSpace = r.spaces();
      const c = r.peek();
      if (c === '' || c === ',') break;
      if (c === '>') {
        r.i++;
        r.spaces();
        complex.combinators.push('child');
      } else if (hadSpace) complex.combinators.push('descendant');
      else r.fail(`unexpected "${c}"`);
      complex.compounds.push(readCompound(r));
    }
    selectors.push(complex);
    if (r.peek() === ',') {
      r.i++;
      r.spaces();
      continue;
    }
    break;
  }
  if (r.i < source.length) r.fail('unexpected text');
  return { source, selectors };
}

function isSpaceCode(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0c || c === 0x0d || Number.isNaN(c);
}

/** Case-sensitive whitespace-token test without splitting: this runs for every element of every page. */
export function hasClassToken(list: string, token: string): boolean {
  if (token === '') return false;
  let from = 0;
  for (;;) {
    const at = list.indexOf(token, from);
    if (at < 0) return false;
    if ((at === 0 || isSpaceCode(list.charCodeAt(at - 1))) && isSpaceCode(list.charCodeAt(at + token.length))) return true;
    from = at + 1;
  }
}

function attributeMatches(actual: string | null, test: AttributeTest): boolean {
  if (actual === null) return false;
  switch (test.op) {
    case '':
      return true;
    case '=':
      return actual === test.value;
    case '~=':
      return hasClassToken(actual, test.value);
    case '^=':
      return test.value !== '' && actual.startsWith(test.value);
    case '$=':
      return test.value !== '' && actual.endsWith(test.value);
    case '*=':
      return test.value !== '' && actual.includes(test.value);
    case '|=':
      return actual === test.value || actual.startsWith(`${test.value}-`);
  }
}

/** Whether the scanner's current start tag satisfies one compound selector. */
export function compoundMatches(scanner: HtmlScanner, compound: Compound): boolean {
  if (compound.tag !== null && compound.tag !== scanner.name) return false;
  for (const id of compound.ids) if (scanner.attr('id') !== id) return false;
  if (compound.classes.length > 0) {
    const classes = scanner.attr('class');
    if (classes === null) return false;
    for (const cls of compound.classes) if (!hasClassToken(classes, cls)) return false;
  }
  for (const test of compound.attrs) if (!attributeMatches(scanner.attr(test.name), test)) return false;
  return true;
}
