import { escapeAttribute, escapeText } from 'entities';
import type { BoundedDocument, HtmlElement, HtmlNode } from '../../html/bounded-document.ts';
import { NOT_TEXT, walk } from '../../html/bounded-document.ts';

/**
 * What the microformats2 parser is given of a page, at most. `microformats-parser` walks the subtree of
 * every microformat once per question it asks, concatenates arrays as it goes (each element it passes
 * copies the matches found so far), serializes every `e-*` property, sorts a link's rel tokens on each
 * token and copies an element once per `itemref` or `include` that names it. Given a stranger's page as
 * it is, those cost the square of its size or more. So it never sees the page: it sees a document built
 * from the bounded tree (`html/bounded-document.ts`, itself linear whatever the markup) that holds only
 * the microformats and what they read, each part capped:
 *
 * - only the subtrees of microformat roots (`h-*`, and the classic `hentry`, `hfeed`, `vcard` that
 *   WordPress themes still write); text elsewhere is not theirs to read;
 * - inside them, an element keeps its tag only when it carries something the parser reads (a property
 *   or root class, a link, an image, a date, a value) or holds such an element; anything else becomes
 *   its text, which is all the parser would take from it;
 * - class tokens only of microformats (at most `maxTokens` an element), on at most `maxClassed`
 *   elements, and no deeper than `maxNesting` microformat elements inside one another (past either the
 *   classes go, the text stays);
 * - `rel` only on links inside roots, only the tokens the classic vocabularies map (bookmark, tag,
 *   author, in-reply-to), on at most `maxRels` links; no `id`, `itemref` or `headers` (so no includes),
 *   and attribute values no longer than `maxValue` characters;
 * - no scripts, styles, templates, `<noscript>` or foreign (SVG, MathML) markup.
 *
 * The parser's work is then bounded by the caps (about `maxClassed` copies per element it passes, each
 * text read at most `maxNesting` times), and its result holds no more than a few copies of the page's
 * text.
 */
export interface Mf2InputLimits {
  maxClassed: number;
  maxNesting: number;
  maxTokens: number;
  maxRels: number;
  maxValue: number;
}

export const MF2_INPUT_LIMITS: Mf2InputLimits = { maxClassed: 256, maxNesting: 12, maxTokens: 16, maxRels: 256, maxValue: 2048 };

/** Class tokens of microformats2: a prefix, then lower-case words joined by hyphens. */
const MF2_TOKEN = /^(?:h|p|u|dt|e)-[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_TOKEN = 64;
/** The value-class pattern's own classes. */
const VALUE_TOKENS = new Set(['value', 'value-title']);
/** The classic (microformats 1) roots kept: entries, feeds and cards. */
const OLD_ROOTS = new Set(['hentry', 'hfeed', 'vcard']);
/** Their properties the parser maps, for those three roots. */
const OLD_PROPERTIES = new Set([
  'entry-title', 'entry-summary', 'entry-content', 'author', 'updated', 'published',
  'fn', 'url', 'photo', 'logo', 'nickname', 'uid', 'given-name', 'family-name', 'org', 'note',
]);
const RELS = new Set(['bookmark', 'tag', 'author', 'in-reply-to']);

/** Attributes the parser reads, by element. */
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
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
/** Read as raw text or RCDATA by the parser: never kept as elements, their text goes to the parent. */
const TEXT_ONLY = new Set(['title', 'textarea', 'xmp', 'plaintext']);
/** Text directly inside these is moved out of the table by the parser: their children keep their tags. */
const STRUCTURE = new Set(['table', 'thead', 'tbody', 'tfoot', 'tr', 'colgroup', 'select', 'optgroup', 'datalist']);
const NAME = /^[a-z][a-z0-9-]*$/;

interface Kept {
  classes: string[];
  attributes: [string, string][];
  /** Carries something, or holds an element that does. */
  needed: boolean;
  root: boolean;
}

export interface Mf2Input {
  html: string;
  /** Roots given to the parser. */
  roots: number;
}

function classTokens(el: HtmlElement, oldRoot: boolean, max: number): { tokens: string[]; root: 'mf2' | 'old' | null } {
  const value = el.getAttribute('class');
  const tokens: string[] = [];
  let root: 'mf2' | 'old' | null = null;
  if (!value) return { tokens, root };
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

/**
 * The document the microformats2 parser may be given for this page (see `Mf2InputLimits`), or null when
 * the page has no microformat root: then there is nothing to parse.
 */
export function mf2Input(doc: BoundedDocument, limits: Mf2InputLimits = MF2_INPUT_LIMITS): Mf2Input | null {
  const kept = new Map<HtmlElement, Kept>();
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
      if (NOT_TEXT.has(el.name) || el.namespace !== 'html' || !NAME.test(el.name)) return false;
      const inRoot = roots.length > 0;
      const oldRoot = roots[roots.length - 1] === 'old';
      let { tokens, root } = classTokens(el, oldRoot, limits.maxTokens);
      if (tokens.length > 0 && (classed >= limits.maxClassed || classedOpen >= limits.maxNesting || TEXT_ONLY.has(el.name))) {
        tokens = [];
        root = null;
      }
      if (!inRoot && !root) {
        open.push(null);
        return true;
      }
      const attributes: [string, string][] = [];
      if (!TEXT_ONLY.has(el.name)) {
        for (const name of ATTRIBUTES[el.name] ?? []) {
          const value = el.getAttribute(name);
          if (value !== undefined && value.length <= limits.maxValue) attributes.push([name, value]);
        }
        if (tokens.includes('value-title')) {
          const title = el.getAttribute('title');
          if (title !== undefined && title.length <= limits.maxValue) attributes.push(['title', title]);
        }
        if ((el.name === 'a' || el.name === 'area' || el.name === 'link') && rels < limits.maxRels) {
          const rel = (el.getAttribute('rel') ?? '').toLowerCase().split(/[\t\n\f\r ]+/).filter((t, i, all) => RELS.has(t) && all.indexOf(t) === i);
          if (rel.length > 0) {
            attributes.push(['rel', rel.join(' ')]);
            rels++;
          }
        }
      }
      if (tokens.length > 0) classed++;
      const record: Kept = { classes: tokens, attributes, needed: tokens.length > 0 || attributes.length > 0, root: root !== null };
      kept.set(el, record);
      if (!inRoot) outermost.push(el);
      open.push(record);
      if (root) roots.push(root);
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
  // An explicit stack of what is left to write: depth costs no recursion.
  type Todo = string | { el: HtmlElement; shell: boolean } | { flatten: HtmlNode };
  for (const root of outermost) {
    const todo: Todo[] = [{ el: root, shell: false }];
    while (todo.length > 0) {
      const item = todo.pop()!;
      if (typeof item === 'string') {
        out.push(item);
        continue;
      }
      if ('flatten' in item) {
        if (item.flatten.type === 'text') {
          out.push(escapeText(item.flatten.text));
          continue;
        }
        walk(item.flatten, (node) => {
          if (node.type === 'text') out.push(escapeText(node.text));
          else if (NOT_TEXT.has(node.name)) return false;
          return true;
        });
        continue;
      }
      const { el } = item;
      const record = kept.get(el);
      // A root on <html>, <head> or <body> is written as a <div> inside the body.
      const name = el.name === 'html' || el.name === 'head' || el.name === 'body' ? 'div' : el.name;
      let tag = `<${name}`;
      if (record?.classes.length) tag += ` class="${escapeAttribute(record.classes.join(' '))}"`;
      for (const [key, value] of record?.attributes ?? []) tag += ` ${key}="${escapeAttribute(value)}"`;
      out.push(`${tag}>`);
      if (VOID.has(name)) continue;
      todo.push(`</${name}>`);
      const structure = STRUCTURE.has(name);
      for (let i = el.children.length - 1; i >= 0; i--) {
        const child = el.children[i]!;
        if (child.type === 'text') {
          if (!structure) todo.push({ flatten: child });
          continue;
        }
        if (NOT_TEXT.has(child.name)) continue;
        const childRecord = kept.get(child);
        if (childRecord?.needed) todo.push({ el: child, shell: false });
        else if (structure && NAME.test(child.name) && child.namespace === 'html' && !TEXT_ONLY.has(child.name)) todo.push({ el: child, shell: true });
        else todo.push({ flatten: child });
      }
    }
  }
  out.push('</body></html>');
  return { html: out.join(''), roots: outermost.length };
}
