import { escapeAttribute, escapeText } from 'entities/escape';
import type { BoundedDocument, HtmlElement, HtmlNode } from '../../html/bounded-document.ts';
import { NOT_TEXT, walk } from '../../html/bounded-document.ts';

/**
 * What the microformats2 parser is given of a page, at most. `microformats-parser` walks the subtree of
 * every microformat once per question it asks, concatenates arrays as it goes (each element it passes
 * copies the matches found so far), serializes every `e-*` property, sorts a link's rel tokens on each
 * token and copies an element once per `itemref` or `include` that names it. Given a stranger's page as
 * it is, that costs the square of its size or more (a megabyte of properties took 48 s, of rel links
 * 52 s). So it never sees the page: it sees a small document built from the bounded tree
 * (`html/bounded-document.ts`, itself linear whatever the markup) that holds only what its answers
 * depend on, each part capped:
 *
 * - only the subtrees of microformat roots (`h-*`, and the classic `hentry`, `hfeed`, `vcard` that
 *   WordPress themes still write); text elsewhere is not theirs to read;
 * - inside them, elements with microformat classes (at most `maxTokens` tokens, on at most
 *   `maxClassed` elements, no deeper than `maxNesting` inside one another), links with a classic `rel`
 *   (bookmark, tag, author, in-reply-to; at most `maxRels`), and the few children and grandchildren of a
 *   root whose attributes its implied name, url and photo are read from; every other element is reduced
 *   to its text, or, when it holds one of those, to its content (its tag kept only near a root, where
 *   the implied rules count children);
 * - tag names the parser does not ask about are written as `span`, so nothing (a table part outside its
 *   table, a block inside a paragraph) is moved or dropped by the parser's own tree rules;
 * - at most `maxText` characters of text in each microformat (the values stored are a few hundred);
 * - no `id`, `itemref` or `headers` (so no includes), no scripts, styles, templates, `<noscript>` or
 *   SVG and MathML, and attribute values of at most `maxValue` characters.
 *
 * The parser's work is then bounded by the caps, not by the page: a few thousand elements and a few
 * hundred kilobytes at worst.
 */
export interface Mf2InputLimits {
  maxClassed: number;
  maxNesting: number;
  maxTokens: number;
  maxRels: number;
  maxText: number;
  maxValue: number;
}

export const MF2_INPUT_LIMITS: Mf2InputLimits = { maxClassed: 256, maxNesting: 12, maxTokens: 16, maxRels: 256, maxText: 1024, maxValue: 2048 };

/** Class tokens of microformats2: a prefix, then lower-case words joined by hyphens. */
const MF2_TOKEN = /^(?:h|p|u|dt|e)-[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_TOKEN = 64;
/** The value-class pattern's own classes. */
const VALUE_TOKENS = new Set(['value', 'value-title']);
/** The classic (microformats 1) roots kept: entries, feeds and cards. */
const OLD_ROOTS = new Set(['hentry', 'hfeed', 'vcard']);
/** Their properties the parser maps, for those three roots. */
const OLD_PROPERTIES = new Set([
  'entry-title',
  'entry-summary',
  'entry-content',
  'author',
  'updated',
  'published',
  'fn',
  'url',
  'photo',
  'logo',
  'nickname',
  'uid',
  'given-name',
  'family-name',
  'org',
  'note',
]);
const RELS = new Set(['bookmark', 'tag', 'author', 'in-reply-to']);

/** Attributes the parser reads, by element: also the element names it asks about. */
const ATTRIBUTES: Record<string, readonly string[]> = {
  a: ['href'],
  area: ['href', 'alt'],
  link: ['href', 'title'],
  img: ['src', 'alt'],
  audio: ['src'],
  video: ['src', 'poster'],
  source: ['src'],
  object: ['data'],
  abbr: ['title'],
  time: ['datetime'],
  ins: ['datetime'],
  del: ['datetime'],
  data: ['value'],
  input: ['value'],
  meta: ['content'],
};
const VOID = new Set(['area', 'img', 'input', 'link', 'meta', 'source']);
/** The implied properties ask whether a root has exactly one of these as children. */
const COUNTED = ['a', 'area', 'img', 'object'] as const;
/** Read as raw text or RCDATA by the parser: never kept as elements, their text goes to the parent. */
const TEXT_ONLY = new Set(['title', 'textarea', 'xmp', 'plaintext']);
const NAME = /^[a-z][a-z0-9-]*$/;

interface Kept {
  classes: string[];
  attributes: [string, string][];
  /** Carries something itself. */
  own: boolean;
  /** Carries something, or holds an element that does. */
  needed: boolean;
  root: boolean;
  /** Levels below the nearest root (a root's children are 1); 0 for a root. */
  depth: number;
}

export interface Mf2Input {
  html: string;
  /** Roots given to the parser. */
  roots: number;
  /** Elements written. */
  elements: number;
}

const NO_TOKENS: string[] = [];

/** The microformat tokens of an element's class, and whether they make it a root (`mf2`, `old`). */
function classTokens(value: string | undefined, oldRoot: boolean, max: number): { tokens: string[]; root: 'mf2' | 'old' | null } {
  // Most elements of most pages carry no microformat: a class with no hyphen can only hold a classic root.
  if (
    !value ||
    (!value.includes('-') && !value.includes('hentry') && !value.includes('hfeed') && !value.includes('vcard') && !value.includes('value') && !oldRoot)
  ) {
    return { tokens: NO_TOKENS, root: null };
  }
  const tokens: string[] = [];
  let root: 'mf2' | 'old' | null = null;
  for (const token of value.split(/[\t\n\f\r ]+/)) {
    if (token === '' || token.length > MAX_TOKEN || tokens.includes(token)) continue;
    let keep = false;
    if (MF2_TOKEN.test(token)) {
      keep = true;
      if (token.startsWith('h-')) root = 'mf2';
    } else if (VALUE_TOKENS.has(token)) keep = true;
    else if (OLD_ROOTS.has(token)) {
      keep = true;
      root ??= 'old';
    } else if (oldRoot && OLD_PROPERTIES.has(token)) keep = true;
    if (keep) {
      tokens.push(token);
      if (tokens.length === max) break;
    }
  }
  return { tokens, root };
}

const readable = (el: HtmlNode): el is HtmlElement =>
  el.type === 'element' && el.namespace === 'html' && NAME.test(el.name) && !NOT_TEXT.has(el.name) && !TEXT_ONLY.has(el.name);

/**
 * The children of a root whose tags its implied properties count (the first two elements, and of links,
 * areas, images and objects the first two each: "exactly one" stays true or false), and those whose
 * attributes they read (the first element, when it is an image, area or abbreviation; the only link,
 * area, image or object). The same one level down when the root has a single child element.
 */
function impliedChildren(root: HtmlElement, shells: Set<HtmlElement>, readFrom: Set<HtmlElement>): void {
  const elements = root.children.filter(readable);
  for (const e of elements.slice(0, 2)) shells.add(e);
  const first = elements[0];
  if (first && (first.name === 'img' || first.name === 'area' || first.name === 'abbr')) readFrom.add(first);
  for (const name of COUNTED) {
    const of = elements.filter((e) => e.name === name);
    for (const e of of.slice(0, 2)) shells.add(e);
    if (of.length === 1) readFrom.add(of[0]!);
  }
  if (elements.length === 1 && first) {
    const inner = first.children.filter(readable);
    for (const e of inner.slice(0, 2)) shells.add(e);
    if (inner[0] && (inner[0].name === 'img' || inner[0].name === 'area' || inner[0].name === 'abbr')) readFrom.add(inner[0]);
    for (const name of COUNTED) {
      const of = inner.filter((e) => e.name === name);
      for (const e of of.slice(0, 2)) shells.add(e);
      if (of.length === 1) readFrom.add(of[0]!);
    }
  }
}

/**
 * The document the microformats2 parser may be given for this page (see `Mf2InputLimits`), or null when
 * the page has no microformat root: then there is nothing to parse.
 */
export function mf2Input(doc: BoundedDocument, limits: Mf2InputLimits = MF2_INPUT_LIMITS): Mf2Input | null {
  const kept = new Map<HtmlElement, Kept>();
  const shells = new Set<HtmlElement>();
  const readFrom = new Set<HtmlElement>();
  const outermost: HtmlElement[] = [];
  // The open elements' records (null outside roots), the kinds of the open roots, the open classed elements.
  const open: (Kept | null)[] = [];
  const roots: ('mf2' | 'old')[] = [];
  let classedOpen = 0;
  let classed = 0;
  let rels = 0;

  walk(
    doc.html,
    (node: HtmlNode) => {
      if (node.type === 'text') return;
      const el = node;
      // Not markup the parser should read; their text (foreign content's) is kept by the flattening.
      if (!readable(el)) return false;
      const parent = open[open.length - 1] ?? null;
      const inRoot = roots.length > 0;
      let { tokens, root } = classTokens(el.getAttribute('class'), roots[roots.length - 1] === 'old', limits.maxTokens);
      if (tokens.length > 0 && (classed >= limits.maxClassed || classedOpen >= limits.maxNesting)) {
        tokens = NO_TOKENS;
        root = null;
      }
      if (!inRoot && !root) {
        open.push(null);
        return true;
      }
      const attributes: [string, string][] = [];
      const take = (name: string) => {
        const value = el.getAttribute(name);
        if (value !== undefined && value.length <= limits.maxValue) attributes.push([name, value]);
      };
      const known = ATTRIBUTES[el.name];
      if (known && (tokens.length > 0 || readFrom.has(el))) for (const name of known) take(name);
      if (tokens.length > 0 && tokens.includes('value-title')) take('title');
      if ((el.name === 'a' || el.name === 'area' || el.name === 'link') && rels < limits.maxRels && el.getAttribute('rel') !== undefined) {
        const rel = el
          .getAttribute('rel')!
          .toLowerCase()
          .split(/[\t\n\f\r ]+/)
          .filter((t, i, all) => RELS.has(t) && all.indexOf(t) === i);
        if (rel.length > 0) {
          if (!attributes.some(([name]) => name === 'href')) take('href');
          attributes.push(['rel', rel.join(' ')]);
          rels++;
        }
      }
      if (tokens.length > 0) classed++;
      const own = tokens.length > 0 || attributes.length > 0;
      const depth = root ? 0 : parent ? parent.depth + 1 : 1;
      const record: Kept = { classes: tokens, attributes, own, needed: own, root: root !== null, depth };
      kept.set(el, record);
      if (!inRoot) outermost.push(el);
      open.push(record);
      if (root) {
        roots.push(root);
        impliedChildren(el, shells, readFrom);
      }
      if (tokens.length > 0) classedOpen++;
      return true;
    },
    () => {
      const record = open.pop();
      if (!record) return;
      if (record.root) roots.pop();
      if (record.classes.length > 0) classedOpen--;
      const parent = open[open.length - 1];
      if (record.needed && parent) parent.needed = true;
    },
  );
  if (outermost.length === 0) return null;

  const out: string[] = ['<!DOCTYPE html><html><head></head><body>'];
  let elements = 0;
  // Text left in each open microformat: the top is the innermost.
  const budgets: number[] = [];
  const text = (value: string) => {
    if (value.trim() === '') return void out.push(' ');
    const left = budgets[budgets.length - 1]!;
    if (left <= 0) return;
    const part = value.length > left ? value.slice(0, left) : value;
    budgets[budgets.length - 1] = left - part.length;
    out.push(escapeText(part));
  };
  // An explicit stack of what is left to write: depth costs no recursion.
  type Todo = { end: string; region: boolean } | { el: HtmlElement; as: 'element' | 'shell' | 'content' } | { flatten: HtmlNode };
  for (const root of outermost) {
    const todo: Todo[] = [{ el: root, as: 'element' }];
    while (todo.length > 0) {
      const item = todo.pop()!;
      if ('end' in item) {
        out.push(item.end);
        if (item.region) budgets.pop();
        continue;
      }
      if ('flatten' in item) {
        if (item.flatten.type === 'text') {
          text(item.flatten.text);
          continue;
        }
        walk(item.flatten, (node) => {
          if (node.type === 'text') text(node.text);
          else if (NOT_TEXT.has(node.name)) return false;
          return true;
        });
        continue;
      }
      const { el, as } = item;
      const record = as === 'shell' ? undefined : kept.get(el);
      if (as !== 'content') {
        // A root on <html>, <head> or <body> is written as a <div> inside the body.
        const name = el.name === 'html' || el.name === 'head' || el.name === 'body' ? 'div' : ATTRIBUTES[el.name] ? el.name : 'span';
        let tag = `<${name}`;
        if (record?.classes.length) tag += ` class="${escapeAttribute(record.classes.join(' '))}"`;
        for (const [key, value] of record?.attributes ?? []) tag += ` ${key}="${escapeAttribute(value)}"`;
        out.push(`${tag}>`);
        elements++;
        if (VOID.has(name)) continue;
        const region = !!record?.classes.length;
        if (region) budgets.push(limits.maxText);
        todo.push({ end: `</${name}>`, region });
        if (as === 'shell') {
          todo.push({ flatten: el });
          continue;
        }
      }
      for (let i = el.children.length - 1; i >= 0; i--) {
        const child = el.children[i]!;
        if (child.type === 'text') {
          todo.push({ flatten: child });
          continue;
        }
        if (NOT_TEXT.has(child.name)) continue;
        const c = kept.get(child);
        if (c?.own || c?.root) todo.push({ el: child, as: 'element' });
        else if (c?.needed) todo.push({ el: child, as: c.depth <= 2 || shells.has(child) ? 'element' : 'content' });
        else if (shells.has(child)) todo.push({ el: child, as: 'shell' });
        else todo.push({ flatten: child });
      }
    }
  }
  out.push('</body></html>');
  return { html: out.join(''), roots: outermost.length, elements };
}
