import type { HtmlScanner } from './html-scan.ts';
import { lengthBit } from './html-scan.ts';
import type { Compound, SelectorList } from './selector.ts';
import { compoundMatches } from './selector.ts';

/**
 * The open elements of a page being tokenized, each stamped with which selector lists it falls inside.
 * End tags pop to the nearest open element of the same name, and the commonest implied end tags
 * (`<p>` before a block, `<li>` before `<li>`, …) are applied, which is enough to know whether a link
 * sits inside the content, a `<nav>` or a `<template>` without building a tree.
 */
export interface OpenElement {
  /** Per compound (by global index): 1 when its selector, up to and including it, matches here with it on this element. */
  readonly bits: Uint8Array;
  /** Per compound: 1 when `bits` has it on this element or an ancestor. */
  readonly reach: Uint8Array;
  /** Bit `l` is set when this element or an ancestor matches list `l`. */
  readonly inside: number;
  /** Inside `<template>`: inert, never a real link. */
  readonly inert: boolean;
  /** Inside `<svg>` or `<math>`, where `/>` really closes an element. */
  readonly foreign: boolean;
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

/** The attributes a compound tests, as `lengthBit`s: an element lacking one of these bits cannot match it. */
function neededLengths(compound: Compound): number {
  let need = 0;
  if (compound.ids.length > 0) need |= lengthBit(2);
  if (compound.classes.length > 0) need |= lengthBit(5);
  for (const test of compound.attrs) need |= lengthBit(test.name.length);
  return need;
}

/**
 * The selector lists compiled for matching as elements open: every compound of every selector by global
 * index, how each joins the one before it, and which are the last of their selector. Made once for a
 * build's settings and shared by the stacks of all its pages.
 */
export class SelectorPlan {
  readonly compounds: Compound[] = [];
  /** Per global compound: how the selector reaches it from the compound before (LINK_NONE: it is the first). */
  readonly link: number[] = [];
  /** Per global compound: `neededLengths`. */
  readonly needs: number[] = [];
  /** Per selector list, the global indexes of its selectors' last compounds. */
  readonly lasts: number[][] = [];
  readonly n: number;
  /** The compounds that name no tag: they are tested on every element. */
  private readonly anyTag: number[] = [];
  /** Every attribute bit some tagless compound needs: an element with none of them skips those compounds. */
  private readonly anyTagNeeds: number;
  /** A tagless compound needs no attribute (`*`): every element is tested. */
  private readonly anyTagAlways: boolean;
  /** Per tag name a compound names, those compounds and the ones that name no tag, in global order. */
  private readonly byTag = new Map<string, number[]>();

  constructor(lists: readonly SelectorList[]) {
    if (lists.length > 30) throw new RangeError('at most 30 selector lists');
    for (const list of lists) {
      const lasts: number[] = [];
      for (const selector of list.selectors) {
        selector.compounds.forEach((c, i) => {
          this.compounds.push(c);
          this.needs.push(neededLengths(c));
          this.link.push(i === 0 ? LINK_NONE : selector.combinators[i - 1] === 'child' ? LINK_CHILD : LINK_DESCENDANT);
        });
        lasts.push(this.compounds.length - 1);
      }
      this.lasts.push(lasts);
    }
    this.n = this.compounds.length;
    let anyTagNeeds = 0;
    let anyTagAlways = false;
    for (let i = 0; i < this.n; i++) {
      const tag = this.compounds[i]!.tag;
      if (tag === null) {
        this.anyTag.push(i);
        anyTagNeeds |= this.needs[i]!;
        if (this.needs[i] === 0) anyTagAlways = true;
      } else if (!this.byTag.has(tag))
        this.byTag.set(
          tag,
          this.compounds.flatMap((d, j) => (d.tag === null || d.tag === tag ? [j] : [])),
        );
    }
    this.anyTagNeeds = anyTagNeeds;
    this.anyTagAlways = anyTagAlways;
  }

  /**
   * The compounds that can match an element of this name with attributes of these `lengthBit`s, in global
   * order: most elements get none.
   */
  candidates(name: string, lengths: number): readonly number[] {
    return this.byTag.get(name) ?? (this.anyTagAlways || (lengths & this.anyTagNeeds) !== 0 ? this.anyTag : NONE);
  }
}

const NONE: readonly number[] = [];

/**
 * The open elements of a page being tokenized. Each compound of each selector (by global index) gets two
 * bits an element: `own`, the selector up to that compound matches with the compound on this element;
 * `reach`, it matches on this element or an ancestor. An element's bits follow from its parent's alone,
 * so matching costs the same at any depth. Most elements match nothing: they share their parent's entry
 * when it matched nothing either, so a page's thousands of plain elements allocate nothing. Open elements
 * are counted by name, so a stray end tag is known to be stray without a walk down the stack: whatever
 * the page's shape, the work per tag does not grow with its depth.
 */
export class ElementStack {
  private readonly names: string[] = [];
  private readonly entries: OpenElement[] = [];
  private readonly plan: SelectorPlan;
  /** How many elements of each name are open (one counter object a name, so a push or pop looks it up once). */
  private readonly openByName = new Map<string, { n: number }>();
  /** Bit `l` is set once any element matched list `l`. */
  matched = 0;
  private readonly root: OpenElement = { bits: NO_BITS, reach: NO_BITS, inside: 0, inert: false, foreign: false };
  /** The innermost open element (the document when none is open), kept as the stack changes. */
  current: OpenElement = this.root;
  /** The innermost open element's name (`#document` when none is open). */
  private currentName = '#document';

  constructor(plan: SelectorPlan) {
    this.plan = plan;
  }

  get depth(): number {
    return this.names.length;
  }

  /** Handles the scanner's current start tag and returns the element's entry (pushed unless void). */
  open(scanner: HtmlScanner): OpenElement {
    const name = scanner.name;
    // Only these open elements are ever closed by a start tag: the test keeps the other elements' work down.
    const top = this.currentName;
    if (top.length <= 2 || top === 'option') this.applyImpliedEnds(name, top);
    const parent = this.current;
    const plan = this.plan;
    const candidates = plan.candidates(name, scanner.lengths);
    let bits = NO_BITS;
    if (candidates.length > 0) {
      const { compounds, link: links, needs } = plan;
      const lengths = scanner.lengths;
      for (let c = 0; c < candidates.length; c++) {
        const i = candidates[c]!;
        const need = needs[i]!;
        if ((lengths & need) !== need) continue;
        const link = links[i]!;
        // The selector's earlier compounds must hold where the combinator says before this one is worth testing.
        if (link === LINK_CHILD ? parent.bits[i - 1] !== 1 : link === LINK_DESCENDANT && parent.reach[i - 1] !== 1) continue;
        if (compoundMatches(scanner, compounds[i]!)) {
          if (bits === NO_BITS) bits = new Uint8Array(plan.n);
          bits[i] = 1;
        }
      }
    }
    const foreign = parent.foreign || name === 'svg' || name === 'math';
    const inert = parent.inert || name === 'template';
    let entry = parent;
    if (bits !== NO_BITS) entry = this.matchedEntry(parent, bits, inert, foreign);
    else if (parent.bits !== NO_BITS || foreign !== parent.foreign || inert !== parent.inert) {
      entry = { bits, reach: parent.reach, inside: parent.inside, inert, foreign };
    }
    const closesItself = VOID_ELEMENTS.has(name) || (scanner.selfClosing && foreign);
    if (!closesItself) this.push(name, entry);
    return entry;
  }

  private matchedEntry(parent: OpenElement, bits: Uint8Array, inert: boolean, foreign: boolean): OpenElement {
    const { lasts, n } = this.plan;
    const reach = new Uint8Array(n);
    for (let i = 0; i < n; i++) reach[i] = bits[i]! | (parent.reach[i] ?? 0);
    let inside = parent.inside;
    for (let l = 0; l < lasts.length; l++) {
      for (const last of lasts[l]!) {
        if (bits[last] === 1) {
          inside |= 1 << l;
          this.matched |= 1 << l;
          break;
        }
      }
    }
    return { bits, reach, inside, inert, foreign };
  }

  /** Handles an end tag: pops to the nearest open element of that name, or ignores a stray one. */
  close(name: string): void {
    if (this.currentName !== name && !this.openByName.get(name)?.n) return;
    for (;;) if (this.pop() === name) return;
  }

  private push(name: string, entry: OpenElement): void {
    this.names.push(name);
    this.entries.push(entry);
    this.current = entry;
    this.currentName = name;
    const open = this.openByName.get(name);
    if (open) open.n++;
    else this.openByName.set(name, { n: 1 });
  }

  /** Pops the innermost open element and returns its name. */
  private pop(): string {
    const name = this.names.pop()!;
    this.entries.pop();
    const depth = this.names.length;
    this.current = depth > 0 ? this.entries[depth - 1]! : this.root;
    this.currentName = depth > 0 ? this.names[depth - 1]! : '#document';
    this.openByName.get(name)!.n--;
    return name;
  }

  private applyImpliedEnds(name: string, top: string): void {
    if (top === 'p') {
      if (CLOSES_P.has(name)) this.pop();
    } else if (name === 'li' && top === 'li') this.pop();
    else if ((name === 'dt' || name === 'dd') && (top === 'dt' || top === 'dd')) this.pop();
    else if ((name === 'td' || name === 'th' || name === 'tr') && (top === 'td' || top === 'th')) {
      this.pop();
      if (name === 'tr' && this.currentName === 'tr') this.pop();
    } else if (name === 'tr' && top === 'tr') this.pop();
    else if (name === 'option' && top === 'option') this.pop();
  }
}
