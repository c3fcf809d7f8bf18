import { escapeAttribute, escapeText } from 'entities/escape';
import type { BoundedDocument, HtmlElement, HtmlNode } from './bounded-document.ts';

const VOID = new Set([
  'area',
  'base',
  'basefont',
  'bgsound',
  'br',
  'col',
  'embed',
  'frame',
  'hr',
  'img',
  'input',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
/** Written as they are: their content is never read as markup. */
const LITERAL = new Set(['script', 'style', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript']);
/** A parser drops one newline right after these start tags, so a leading newline is written twice. */
const DROPS_NEWLINE = new Set(['pre', 'listing', 'textarea']);
/** Raw text a parser could read past: an end tag, or a comment opener that starts script's escaped states. */
const UNSAFE_LITERAL = /<\/|<!--/;

/**
 * The bounded document as HTML: a doctype (no quirks mode), then every element with its end tag (void
 * elements excepted), attributes double-quoted and escaped, text escaped. The contents of scripts and
 * styles are written as they were unless they could end their element early or open script's escaped
 * states (inside SVG or MathML: unless they hold markup or references), and are then left out. `<plaintext>`, which nothing can close, is written as `<pre>`.
 */
export function serializeDocument(doc: BoundedDocument): string {
  return `<!DOCTYPE html>${serializeElement(doc.html)}`;
}

/** One element and its content, as `serializeDocument` writes it. */
export function serializeElement(root: HtmlElement): string {
  const out: string[] = [];
  // An explicit stack of what is left to write, so the depth of the tree costs no recursion.
  const todo: (HtmlNode | string)[] = [root];
  while (todo.length > 0) {
    const item = todo.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    if (item.type === 'text') {
      out.push(escapeText(item.text));
      continue;
    }
    const html = item.namespace === 'html';
    const name = html && item.name === 'plaintext' ? 'pre' : item.name;
    let tag = `<${name}`;
    for (const [key, value] of item.attributes) tag += ` ${key}="${escapeAttribute(value)}"`;
    out.push(`${tag}>`);
    if (html && VOID.has(name)) continue;
    const first = item.children[0];
    if (LITERAL.has(name)) {
      const text = item.children.map((c) => (c.type === 'text' ? c.text : '')).join('');
      // In SVG and MathML a parser reads this content as markup, the tokenizer here as text: only
      // content that means the same both ways is written.
      if (html ? !UNSAFE_LITERAL.test(text) : !/[<&]/.test(text)) out.push(text);
      out.push(`</${name}>`);
      continue;
    }
    if (html && DROPS_NEWLINE.has(name) && first?.type === 'text' && first.text.startsWith('\n')) out.push('\n');
    todo.push(`</${name}>`);
    for (let i = item.children.length - 1; i >= 0; i--) todo.push(item.children[i]!);
  }
  return out.join('');
}
