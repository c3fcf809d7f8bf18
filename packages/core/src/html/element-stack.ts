import type { HtmlScanner } from './html-scan.ts';
import type { Compound, SelectorList } from './selector.ts';
import { compoundMatches } from './selector.ts';

/**
 * The open elements of a page being tokenized, each stamped with which selector lists it falls inside.
 * End tags pop to the nearest open element of the same name, and the commonest implied end tags
 * (`<p>` before a block, `<li>` before `<li>`, …) are applied, which is enough to know whether a link
 * sits inside the content, a `<nav>` or a `<template>` without building a tree.
 */
export interface OpenElement {
  name: string;
  /** Per compound (by global index): 1 when its selector, up to and including it, matches here with it on this element. */
  bits: Uint8Array;
  /** Per compound: 1 when `bits` has it on this element or an ancestor. */
  reach: Uint8Array;
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

/** How a compound joins the one before it in its selector. */
const LINK_NONE = 0;
const LINK_DESCENDANT = 1;
const LINK_CHILD = 2;

/**
 * The selector lists compiled for matching as elements open: every compound of every selector by global
 * index, how each joins the one before it, and which are the last of their selector. Made once for a
 * build's settings and shared by the stacks of all its pages.
 */
export class SelectorPlan {
  readonly compounds: Compound[] = [];
  /** Per global compound: how the selector reaches it from the compound before (LINK_NONE: it is the first). */
  readonly link: number[] = [];
  readonly testsAttributes: boolean[] = [];
  /** Per selector list, the global indexes of its selectors' last compounds. */
  readonly lasts: number[][] = [];
  readonly n: number;
  /** The compounds that name no tag: they are tested on every element. */
  private readonly anyTag: number[] = [];
  /** Per tag name a compound names, those compounds and the ones that name no tag, in global order. */
  private readonly byTag = new Map<string, number[]>();

  constructor(lists: readonly SelectorList[]) {
    if (lists.length > 30) throw new RangeError('at most 30 selector lists');
    for (const list of lists) {
      const lasts: number[] = [];
      for (const selector of list.selectors) {
        selector.compounds.forEach((c, i) => {
          this.compounds.push(c);
          this.testsAttributes.push(c.ids.length > 0 || c.classes.length > 0 || c.attrs.length > 0);
          this.link.push(i === 0 ? LINK_NONE : selector.combinators[i - 1] === 'child' ? LINK_CHILD : LINK_DESCENDANT);
        });
        lasts.push(this.compounds.length - 1);
      }
      this.lasts.push(lasts);
    }
    this.n = this.compounds.length;
    for (let i = 0; i < this.n; i++) {
      const tag = this.compounds[i]!.tag;
      if (tag === null) this.anyTag.push(i);
      else if (!this.byTag.has(tag))
        this.byTag.set(
          tag,
          this.compounds.flatMap((d, j) => (d.tag === null || d.tag === tag ? [j] : [])),
        );
    }
  }

  /** The compounds that can match an element of this name, in global order: most elements get only the tagless ones. */
  candidates(name: string): readonly number[] {
    return this.byTag.get(name) ?? this.anyTag;
  }
}

/**
 * The open elements of a page being tokenized. Each compound of each selector (by global index) gets two
 * bits an element: `own`, the selector up to that compound matches with the compound on this element;
 * `reach`, it matches on this element or an ancestor. An element's bits follow from its parent's alone,
 * so matching costs the same at any depth, and most elements match nothing and share one empty set.
 * Open elements are counted by name, so a stray end tag is known to be stray without a walk down the
 * stack: whatever the page's shape, the work per tag does not grow with its depth.
 */
export class ElementStack {
  private readonly stack: OpenElement[] = [];
  private readonly plan: SelectorPlan;
  private readonly openByName = new Map<string, number>();
  /** Bit `l` is set once any element matched list `l`. */
  matched = 0;
  private readonly root: OpenElement = { name: '#document', bits: NO_BITS, reach: NO_BITS, inside: 0, inert: false, foreign: false };
  /** The innermost open element (the document when none is open), kept as the stack changes. */
  current: OpenElement = this.root;

  constructor(plan: SelectorPlan) {
    this.plan = plan;
  }

  get depth(): number {
    return this.stack.length;
  }

  /** Handles the scanner's current start tag and returns the element's entry (pushed unless void). */
  open(scanner: HtmlScanner): OpenElement {
    const name = scanner.name;
    const { compounds, link: links, testsAttributes, lasts, n } = this.plan;
    this.applyImpliedEnds(name);
    const parent = this.current;
    let bits = NO_BITS;
    const candidates = this.plan.candidates(name);
    const bare = scanner.attrCount === 0;
    for (let c = 0; c < candidates.length; c++) {
      const i = candidates[c]!;
      // Most elements have no attributes, and a compound that tests one cannot match them.
      if (bare && testsAttributes[i]) continue;
      const compound = compounds[i]!;
      const link = links[i]!;
      // The selector's earlier compounds must hold where the combinator says before this one is worth testing.
      if (link === LINK_CHILD ? parent.bits[i - 1] !== 1 : link === LINK_DESCENDANT && parent.reach[i - 1] !== 1) continue;
      if (compoundMatches(scanner, compound)) {
        if (bits === NO_BITS) bits = new Uint8Array(n);
        bits[i] = 1;
      }
    }
    let inside = parent.inside;
    let reach = parent.reach;
    if (bits !== NO_BITS) {
      reach = new Uint8Array(n);
      for (let i = 0; i < n; i++) reach[i] = bits[i]! | (parent.reach[i] ?? 0);
      for (let l = 0; l < lasts.length; l++) {
        for (const last of lasts[l]!) {
          if (bits[last] === 1) {
            inside |= 1 << l;
            this.matched |= 1 << l;
            break;
          }
        }
      }
    }
    const foreign = parent.foreign || name === 'svg' || name === 'math';
    const inert = parent.inert || name === 'template';
    const entry: OpenElement = { name, bits, reach, inside, inert, foreign };
    const closesItself = VOID_ELEMENTS.has(name) || (scanner.selfClosing && foreign);
    if (!closesItself) this.push(entry);
    return entry;
  }

  /** Handles an end tag: pops to the nearest open element of that name, or ignores a stray one. */
  close(name: string): void {
    if (!this.openByName.get(name)) return;
    for (;;) if (this.pop()!.name === name) return;
  }

  private push(entry: OpenElement): void {
    this.stack.push(entry);
    this.current = entry;
    this.openByName.set(entry.name, (this.openByName.get(entry.name) ?? 0) + 1);
  }

  private pop(): OpenElement | undefined {
    const entry = this.stack.pop();
    this.current = this.stack[this.stack.length - 1] ?? this.root;
    if (entry) this.openByName.set(entry.name, this.openByName.get(entry.name)! - 1);
    return entry;
  }

  private applyImpliedEnds(name: string): void {
    // The document's own entry matches none of these names, so an empty stack is left as it is.
    const top = this.current;
    if (top.name === 'p' && CLOSES_P.has(name)) this.pop();
    else if (name === 'li' && top.name === 'li') this.pop();
    else if ((name === 'dt' || name === 'dd') && (top.name === 'dt' || top.name === 'dd')) this.pop();
    else if ((name === 'td' || name === 'th' || name === 'tr') && (top.name === 'td' || top.name === 'th')) {
      this.pop();
      if (name === 'tr' && this.current.name === 'tr') this.pop();
    } else if (name === 'tr' && top.name === 'tr') this.pop();
    else if (name === 'option' && top.name === 'option') this.pop();
  }
}
