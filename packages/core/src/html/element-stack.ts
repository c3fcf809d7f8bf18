import type { HtmlScanner } from './html-scan.ts';
import type { ComplexSelector, Compound, SelectorList } from './selector.ts';
import { compoundMatches } from './selector.ts';

/**
 * The open elements of a page being tokenized, each stamped with which selector lists it falls inside.
 * End tags pop to the nearest open element of the same name, and the commonest implied end tags
 * (`<p>` before a block, `<li>` before `<li>`, …) are applied, which is enough to know whether a link
 * sits inside the content, a `<nav>` or a `<template>` without building a tree.
 */
export interface OpenElement {
  name: string;
  /** Which compounds (by global index) this element itself satisfies. */
  bits: Uint8Array;
  /** Bit `l` is set when this element or an ancestor matches list `l`. */
  inside: number;
  /** Inside `<template>`: inert, never a real link. */
  inert: boolean;
  /** Inside `<svg>` or `<math>`, where `/>` really closes an element. */
  foreign: boolean;
}

export const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'source',
  'track',
  'wbr',
  'param',
  'keygen',
  'frame',
]);

const CLOSES_P = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'details',
  'dialog',
  'div',
  'dl',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hgroup',
  'hr',
  'main',
  'menu',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'ul',
]);

const NO_BITS = new Uint8Array(0);

interface Indexed {
  selector: ComplexSelector;
  /** Global compound index of each compound of `selector`. */
  index: number[];
}

export class ElementStack {
  private readonly stack: OpenElement[] = [];
  private readonly compounds: Compound[] = [];
  private readonly lists: Indexed[][] = [];
  /** Bit `l` is set once any element matched list `l`. */
  matched = 0;
  private readonly root: OpenElement;

  constructor(lists: readonly SelectorList[]) {
    if (lists.length > 30) throw new RangeError('at most 30 selector lists');
    for (const list of lists) {
      this.lists.push(
        list.selectors.map((selector) => ({
          selector,
          index: selector.compounds.map((c) => this.compounds.push(c) - 1),
        })),
      );
    }
    this.root = { name: '#document', bits: new Uint8Array(this.compounds.length), inside: 0, inert: false, foreign: false };
  }

  get depth(): number {
    return this.stack.length;
  }

  top(): OpenElement {
    return this.stack[this.stack.length - 1] ?? this.root;
  }

  /** Handles the scanner's current start tag and returns the element's entry (pushed unless void). */
  open(scanner: HtmlScanner): OpenElement {
    const name = scanner.name;
    this.applyImpliedEnds(name);
    const parent = this.top();
    // Most elements match no part of any selector: they share one empty bit set and skip the list checks.
    let bits = NO_BITS;
    for (let i = 0; i < this.compounds.length; i++) {
      const compound = this.compounds[i]!;
      if (compound.tag !== null && compound.tag !== name) continue;
      if (compoundMatches(scanner, compound)) {
        if (bits === NO_BITS) bits = new Uint8Array(this.compounds.length);
        bits[i] = 1;
      }
    }
    let inside = parent.inside;
    if (bits !== NO_BITS) {
      for (let l = 0; l < this.lists.length; l++) {
        if (this.matchesList(l, bits)) {
          inside |= 1 << l;
          this.matched |= 1 << l;
        }
      }
    }
    const foreign = parent.foreign || name === 'svg' || name === 'math';
    const inert = parent.inert || name === 'template';
    const entry: OpenElement = { name, bits, inside, inert, foreign };
    const closesItself = VOID_ELEMENTS.has(name) || (scanner.selfClosing && foreign);
    if (!closesItself) this.stack.push(entry);
    return entry;
  }

  /** Handles an end tag: pops to the nearest open element of that name, or ignores a stray one. */
  close(name: string): void {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      if (this.stack[i]!.name === name) {
        this.stack.length = i;
        return;
      }
    }
  }

  private applyImpliedEnds(name: string): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) return;
    if (top.name === 'p' && CLOSES_P.has(name)) this.stack.pop();
    else if (name === 'li' && top.name === 'li') this.stack.pop();
    else if ((name === 'dt' || name === 'dd') && (top.name === 'dt' || top.name === 'dd')) this.stack.pop();
    else if ((name === 'td' || name === 'th' || name === 'tr') && (top.name === 'td' || top.name === 'th')) {
      this.stack.pop();
      if (name === 'tr' && this.top().name === 'tr') this.stack.pop();
    } else if (name === 'tr' && top.name === 'tr') this.stack.pop();
    else if (name === 'option' && top.name === 'option') this.stack.pop();
  }

  private matchesList(l: number, bits: Uint8Array): boolean {
    for (const { selector, index } of this.lists[l]!) {
      const last = index.length - 1;
      if (!bits[index[last]!]) continue;
      if (this.matchAncestors(selector, index, last - 1, this.stack.length - 1)) return true;
    }
    return false;
  }

  /** Whether compounds `0..ci` of the selector match ancestors at stack positions `<= k`. */
  private matchAncestors(selector: ComplexSelector, index: number[], ci: number, k: number): boolean {
    if (ci < 0) return true;
    const combinator = selector.combinators[ci];
    const compound = index[ci]!;
    if (combinator === 'child') {
      return k >= 0 && this.stack[k]!.bits[compound] === 1 && this.matchAncestors(selector, index, ci - 1, k - 1);
    }
    for (let j = k; j >= 0; j--) {
      if (this.stack[j]!.bits[compound] === 1 && this.matchAncestors(selector, index, ci - 1, j - 1)) return true;
    }
    return false;
  }
}
