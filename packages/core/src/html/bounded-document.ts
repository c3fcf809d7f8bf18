import { decodeHTML } from 'entities/decode';
import { COMMENT, END_TAG, EOF, HtmlScanner } from './html-scan.ts';

/**
 * A document tree built from an untrusted page in one pass of the tokenizer, with its cost bounded by the
 * page's size whatever its shape. Tree libraries fix up unclosed and misnested markup by searching the
 * stack of open elements for every token, which makes a page of unclosed elements, or one nested very
 * deep, cost the square of its size (a 400 KB page of `<b>` took minutes). Here every rule the tree needs
 * (the HTML standard's implied end tags, "in scope" checks, end tags that close an element further down)
 * is answered in constant time from per-name and per-category stacks of positions, and the tree itself is
 * capped: elements past `maxElements`, or deeper than `maxDepth`, are not made (their text is kept, in the
 * element that was open), and an element keeps at most `maxAttributes` attributes.
 *
 * The rules followed are the body-insertion ones that decide a normal page's shape: `html`, `head` and
 * `body` always exist; `<p>` is closed by blocks, `<li>`, `<dd>`/`<dt>`, `<option>`, headings, buttons,
 * links and forms by their own kind; tables get their implied `tbody` and `tr`; SVG and MathML content
 * follows the foreign-content rules; stray end tags are ignored as browsers ignore them. What is left out
 * is the part that re-parents nodes (the adoption agency, reconstructing formatting elements, foster
 * parenting out of tables), so on misnested markup the tree can differ from a browser's; comments and the
 * doctype are dropped.
 *
 * `serializeDocument` writes the tree back as HTML in which every element is closed and nothing is
 * misnested: what a parser with superlinear fix-ups (parse5, inside `microformats-parser`) may be given.
 */

export type Namespace = 'html' | 'svg' | 'math';

export interface HtmlText {
  readonly type: 'text';
  /** The text, character references decoded (raw-text elements such as `<script>` keep theirs as written). */
  text: string;
}

export type HtmlNode = HtmlElement | HtmlText;

export class HtmlElement {
  readonly type = 'element' as const;
  /** Lower-cased tag name. */
  readonly name: string;
  readonly namespace: Namespace;
  readonly parent: HtmlElement | null;
  readonly children: HtmlNode[] = [];
  /** `[name, value]` pairs in source order: names lower-cased, values decoded, the first of a repeated name. */
  readonly attributes: [string, string][];
  /** Index in the source of the start tag's `<`; for an element the parser implied, of the token that made it. */
  readonly start: number;
  /** Index in the source where the element ended: past its end tag, or where something else closed it. */
  end: number;
  /** No start tag of its own: `html`, `head`, `body`, `tbody` or `tr` the rules put there. */
  readonly implied: boolean;

  constructor(name: string, namespace: Namespace, parent: HtmlElement | null, start: number, attributes: [string, string][], implied = false) {
    this.name = name;
    this.namespace = namespace;
    this.parent = parent;
    this.start = start;
    this.end = start;
    this.attributes = attributes;
    this.implied = implied;
  }

  getAttribute(name: string): string | undefined {
    for (const [key, value] of this.attributes) if (key === name) return value;
    return undefined;
  }

  /** Whether the whitespace-separated `class` holds `name`. */
  hasClass(name: string): boolean {
    const cls = this.getAttribute('class');
    if (cls === undefined || !cls.includes(name)) return false;
    return cls.split(/[\t\n\f\r ]+/).includes(name);
  }
}

export interface DocumentLimits {
  /** Elements made at most, the implied ones included. */
  maxElements: number;
  /** Deepest element made (`html` is at depth 1). */
  maxDepth: number;
  /** Attributes kept per element. */
  maxAttributes: number;
}

/**
 * Far above any real page (a 1 MiB article has about 30,000 elements, nested under 40 deep), and low
 * enough that the tree of the worst 1 MiB page stays a few megabytes and a second parser walking it stays
 * cheap.
 */
export const DOCUMENT_LIMITS: DocumentLimits = { maxElements: 50_000, maxDepth: 256, maxAttributes: 256 };

export interface BoundedDocument {
  readonly html: HtmlElement;
  readonly head: HtmlElement;
  readonly body: HtmlElement;
  /** Elements made, the implied ones included. */
  readonly elementCount: number;
  /** Whether a cap left anything out (elements, depth or attributes). */
  readonly truncated: boolean;
}

// Categories of elements, as the standard's rules ask about them.
const SCOPE = 1; // ends "has an element in scope"
const SPECIAL = 2; // stops "any other end tag"
const LIST_STOP = 4; // special, but not address, div or p: stops the search for an open li, dd or dt
const HTML_NS = 8;
const HEADING = 16;
const IMPLIED_END = 32; // closed by "generate implied end tags"
const TABLE_SCOPE = 64; // ends "has an element in table scope"
const THOROUGH_END = 128; // also closed when a template ends
const INTEGRATION = 256; // an SVG or MathML element whose content is HTML again

const set = (names: string) => new Set(names.split(' '));
const SPECIAL_NAMES = set(
  'address applet area article aside base basefont bgsound blockquote body br button caption center col colgroup dd details dir div dl dt embed fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img input keygen li link listing main marquee menu meta nav noembed noframes noscript object ol p param plaintext pre script search section select source style summary table tbody td template textarea tfoot th thead title tr track ul wbr xmp',
);
const SCOPE_NAMES = set('applet caption html table td th marquee object template');
const IMPLIED_END_NAMES = set('dd dt li optgroup option p rb rp rt rtc');
const THOROUGH_END_NAMES = set('caption colgroup tbody td tfoot th thead tr');
const HEADINGS = set('h1 h2 h3 h4 h5 h6');
const VOID = set('area base basefont bgsound br col embed frame hr img input keygen link meta param source track wbr');
/** Their content is text up to their end tag (the tokenizer reads it so); written back as it was. */
const RAW_TEXT = set('script style xmp iframe noembed noframes noscript');
/** Their content is text with character references. */
const RCDATA = set('title textarea');
const CLOSES_P = set(
  'address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer header hgroup main menu nav ol p search section summary ul',
);
const BLOCK_END = set(
  'address article aside blockquote button center details dialog dir div dl fieldset figcaption figure footer header hgroup listing main menu nav ol pre search section select summary ul',
);
const FORMATTING_END = set('a b big code em font i nobr s small strike strong tt u');
const HEAD_VOID = set('base basefont bgsound link meta');
const HEAD_CONTENT = set('title style script noscript noframes template');
const TABLE_PARTS = set('caption col colgroup tbody td tfoot th thead tr');
const TABLE_CONTEXT = set('table tbody thead tfoot tr');
/** HTML start tags that end SVG or MathML content. */
const BREAKOUT = set(
  'b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var',
);
/** Foreign elements whose content is parsed as HTML again. */
const SVG_INTEGRATION = set('foreignobject desc title');
const MATH_INTEGRATION = set('mi mo mn ms mtext');

function htmlFlags(name: string): number {
  let flags = HTML_NS;
  if (SPECIAL_NAMES.has(name)) flags |= SPECIAL | (name === 'address' || name === 'div' || name === 'p' ? 0 : LIST_STOP);
  if (SCOPE_NAMES.has(name)) flags |= SCOPE;
  if (name === 'html' || name === 'table' || name === 'template') flags |= TABLE_SCOPE;
  if (HEADINGS.has(name)) flags |= HEADING;
  if (IMPLIED_END_NAMES.has(name)) flags |= IMPLIED_END;
  if (IMPLIED_END_NAMES.has(name) || THOROUGH_END_NAMES.has(name)) flags |= THOROUGH_END;
  return flags;
}

const HTML_FLAGS = new Map<string, number>();
function flagsOf(name: string, namespace: Namespace): number {
  if (namespace === 'html') {
    let flags = HTML_FLAGS.get(name);
    if (flags === undefined) {
      flags = htmlFlags(name);
      // Only the standard's own names are remembered: a page's made-up names must not grow a global map.
      if (flags !== HTML_NS) HTML_FLAGS.set(name, flags);
    }
    return flags;
  }
  return isIntegrationPoint(name, namespace) ? SCOPE | SPECIAL | LIST_STOP | INTEGRATION : 0;
}

function isIntegrationPoint(name: string, namespace: Namespace): boolean {
  return namespace === 'svg' ? SVG_INTEGRATION.has(name) : namespace === 'math' && (MATH_INTEGRATION.has(name) || name === 'annotation-xml');
}

function isWhitespace(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0c && c !== 0x0d) return false;
  }
  return true;
}

const NO_ATTRIBUTES: [string, string][] = [];

/** The current start tag's attributes, the first of each name, at most `max`. */
function attributesOf(scanner: HtmlScanner, max: number, builder: { truncated: boolean }): [string, string][] {
  const n = scanner.attrCount;
  if (n === 0) return NO_ATTRIBUTES;
  const out: [string, string][] = [];
  const seen = n > 8 ? new Set<string>() : null;
  for (let i = 0; i < n; i++) {
    const name = scanner.attrNameAt(i);
    if (seen ? seen.has(name) : out.some(([key]) => key === name)) continue;
    if (out.length === max) {
      builder.truncated = true;
      break;
    }
    seen?.add(name);
    const value = scanner.attrValueAt(i);
    out.push([name, value.includes('\r') ? value.replace(/\r\n?/g, '\n') : value]);
  }
  return out;
}

type TextMode = 'text' | 'raw' | 'rcdata' | 'drop';

class TreeBuilder {
  private readonly source: string;
  private readonly limits: DocumentLimits;
  private readonly scanner: HtmlScanner;
  readonly html: HtmlElement;
  readonly head: HtmlElement;
  body: HtmlElement | null = null;
  count = 1;
  truncated = false;

  // The stack of open elements, and for each name and category the stack positions that hold one.
  private readonly open: HtmlElement[] = [];
  private readonly openFlags: number[] = [];
  private readonly byName = new Map<string, number[]>();
  private readonly scopes: number[] = [];
  private readonly specials: number[] = [];
  private readonly listStops: number[] = [];
  private readonly htmls: number[] = [];
  /** HTML elements and integration points: where an HTML tag inside SVG or MathML returns to. */
  private readonly breakStops: number[] = [];
  private readonly headings: number[] = [];
  private readonly tableScopes: number[] = [];

  /** Before the body: `head` while the head is open, `after-head` once it closed. */
  private phase: 'head' | 'after-head' | 'body' = 'head';
  /** Whitespace before `<head>` (or head content) is dropped, as the standard drops it. */
  private headStarted = false;
  /** How the text before the next token is read (after a raw-text start tag, as that element's content). */
  private mode: TextMode = 'text';
  /** `<pre>`, `<listing>` and `<textarea>` drop a newline right after their start tag. */
  private newlineDropper: HtmlElement | null = null;

  constructor(source: string, limits: DocumentLimits) {
    this.source = source;
    this.limits = limits;
    this.scanner = new HtmlScanner(source, { comments: true });
    this.html = new HtmlElement('html', 'html', null, 0, [], true);
    this.push(this.html);
    this.head = this.append('head', 'html', 0, [], true)!;
    this.count = 2;
    this.push(this.head);
  }

  build(): BoundedDocument {
    const scanner = this.scanner;
    let textFrom = 0;
    for (;;) {
      const kind = scanner.next();
      if (scanner.start > textFrom) this.text(this.source.slice(textFrom, scanner.start));
      this.mode = 'text';
      if (kind === EOF) break;
      textFrom = scanner.end;
      this.newlineDropper = null;
      if (kind === COMMENT) continue;
      if (kind === END_TAG) this.endTag(scanner.name);
      else this.startTag(scanner.name === 'image' ? 'img' : scanner.name);
    }
    if (!this.body) this.openBody(this.source.length, true);
    const end = this.source.length;
    for (const el of this.open) el.end = end;
    return { html: this.html, head: this.head, body: this.body!, elementCount: this.count, truncated: this.truncated };
  }

  // ---- the stack --------------------------------------------------------------------------------------

  private top(): HtmlElement {
    return this.open[this.open.length - 1]!;
  }

  private topFlags(): number {
    return this.openFlags[this.openFlags.length - 1]!;
  }

  private push(el: HtmlElement): void {
    const at = this.open.length;
    const flags = flagsOf(el.name, el.namespace);
    this.open.push(el);
    this.openFlags.push(flags);
    let positions = this.byName.get(el.name);
    if (!positions) {
      positions = [];
      this.byName.set(el.name, positions);
    }
    positions.push(at);
    if (flags & SCOPE) this.scopes.push(at);
    if (flags & SPECIAL) this.specials.push(at);
    if (flags & LIST_STOP) this.listStops.push(at);
    if (flags & HTML_NS) this.htmls.push(at);
    if (flags & (HTML_NS | INTEGRATION)) this.breakStops.push(at);
    if (flags & HEADING) this.headings.push(at);
    if (flags & TABLE_SCOPE) this.tableScopes.push(at);
  }

  private pop(end: number): void {
    const el = this.open.pop()!;
    const flags = this.openFlags.pop()!;
    this.byName.get(el.name)!.pop();
    if (flags & SCOPE) this.scopes.pop();
    if (flags & SPECIAL) this.specials.pop();
    if (flags & LIST_STOP) this.listStops.pop();
    if (flags & HTML_NS) this.htmls.pop();
    if (flags & (HTML_NS | INTEGRATION)) this.breakStops.pop();
    if (flags & HEADING) this.headings.pop();
    if (flags & TABLE_SCOPE) this.tableScopes.pop();
    el.end = end;
  }

  /** Pops the element at stack position `at` and everything above it (never `html`). */
  private popTo(at: number, end = this.scanner.start): void {
    if (at < 1) return;
    while (this.open.length > at) this.pop(end);
  }

  private last(name: string): number {
    const positions = this.byName.get(name);
    return positions && positions.length > 0 ? positions[positions.length - 1]! : -1;
  }

  private static lastOf(positions: number[]): number {
    return positions.length > 0 ? positions[positions.length - 1]! : -1;
  }

  private inScope(name: string): boolean {
    const at = this.last(name);
    return at >= 0 && at >= TreeBuilder.lastOf(this.scopes);
  }

  private inButtonScope(name: string): boolean {
    const at = this.last(name);
    return at >= 0 && at >= Math.max(TreeBuilder.lastOf(this.scopes), this.last('button'));
  }

  private inListItemScope(name: string): boolean {
    const at = this.last(name);
    return at >= 0 && at >= Math.max(TreeBuilder.lastOf(this.scopes), this.last('ol'), this.last('ul'));
  }

  private inTableScope(name: string): boolean {
    const at = this.last(name);
    return at >= 0 && at >= TreeBuilder.lastOf(this.tableScopes);
  }

  private generateImpliedEndTags(except?: string, category = IMPLIED_END): void {
    while (this.topFlags() & category && this.top().name !== except) this.pop(this.scanner.start);
  }

  private closeP(): void {
    if (!this.inButtonScope('p')) return;
    this.generateImpliedEndTags('p');
    this.popTo(this.last('p'));
  }

  // ---- making nodes -----------------------------------------------------------------------------------

  /** A new element as the last child of the current node; null when a cap says no. */
  private append(name: string, namespace: Namespace, start: number, attributes: [string, string][], implied = false): HtmlElement | null {
    if (this.count >= this.limits.maxElements || this.open.length >= this.limits.maxDepth) {
      this.truncated = true;
      return null;
    }
    this.count++;
    const parent = this.top();
    const el = new HtmlElement(name, namespace, parent, start, attributes, implied);
    parent.children.push(el);
    return el;
  }

  private element(name: string, namespace: Namespace = 'html'): HtmlElement | null {
    const scanner = this.scanner;
    return this.append(name, namespace, scanner.start, attributesOf(scanner, this.limits.maxAttributes, this));
  }

  /** Inserts the current start tag and opens it; sets how its content reads. */
  private insert(name: string, namespace: Namespace = 'html'): HtmlElement | null {
    const el = this.element(name, namespace);
    if (el) this.push(el);
    if (RAW_TEXT.has(name))
      this.mode = el ? 'raw' : 'drop'; // a script that was not made leaves no text either
    else if (RCDATA.has(name) && el) this.mode = 'rcdata';
    else if (name === 'plaintext') this.mode = 'raw'; // the rest of the page, as written
    return el;
  }

  private insertVoid(name: string): void {
    this.element(name);
  }

  private implied(name: string): void {
    const el = this.append(name, 'html', this.scanner.start, [], true);
    if (el) this.push(el);
  }

  private mergeAttributes(el: HtmlElement): void {
    const scanner = this.scanner;
    for (const [name, value] of attributesOf(scanner, this.limits.maxAttributes, this)) {
      if (el.attributes.length >= this.limits.maxAttributes) {
        this.truncated = true;
        break;
      }
      if (el.getAttribute(name) === undefined) el.attributes.push([name, value]);
    }
  }

  private text(raw: string): void {
    if (this.mode === 'drop') return;
    let text = this.mode === 'raw' || !raw.includes('&') ? raw : decodeHTML(raw);
    // The standard's input stream has no carriage returns: CRLF and CR are newlines.
    if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
    if (this.newlineDropper && this.top() === this.newlineDropper && text.charCodeAt(0) === 0x0a) text = text.slice(1);
    if (text === '') return;
    if (this.mode === 'text') {
      if (this.phase === 'head' && !this.inHeadTemplate()) {
        if (isWhitespace(text)) {
          if (!this.headStarted) return;
        } else {
          this.leaveHead();
        }
      } else if (this.phase === 'after-head') {
        if (!isWhitespace(text)) this.openBody(this.scanner.start, true);
      }
    }
    const parent = this.top();
    const last = parent.children[parent.children.length - 1];
    if (last?.type === 'text') last.text += text;
    else parent.children.push({ type: 'text', text });
  }

  // ---- the head and the body --------------------------------------------------------------------------

  private inHeadTemplate(): boolean {
    return this.last('template') > this.last('head') && this.last('head') >= 0;
  }

  private leaveHead(): void {
    this.popTo(1);
    this.openBody(this.scanner.start, true);
  }

  private openBody(start: number, implied: boolean): void {
    this.popTo(1);
    if (!this.body) {
      // The body is made even past the element cap: the document always has one.
      this.count++;
      const attributes = implied ? [] : attributesOf(this.scanner, this.limits.maxAttributes, this);
      this.body = new HtmlElement('body', 'html', this.html, start, [...attributes], implied);
      this.html.children.push(this.body);
    } else if (!implied) {
      this.mergeAttributes(this.body);
    }
    this.push(this.body);
    this.phase = 'body';
  }

  // ---- start tags -------------------------------------------------------------------------------------

  private startTag(name: string): void {
    const top = this.top();
    if (top.namespace !== 'html' && !isIntegrationPoint(top.name, top.namespace)) {
      // <plaintext> too: the tokenizer reads the rest of the page as text whatever the namespace.
      const breakout =
        BREAKOUT.has(name) || name === 'plaintext' || (name === 'font' && (this.scanner.has('color') || this.scanner.has('face') || this.scanner.has('size')));
      if (!breakout) {
        this.foreign(name, name === 'svg' ? 'svg' : name === 'math' ? 'math' : top.namespace);
        return;
      }
      this.popTo(TreeBuilder.lastOf(this.breakStops) + 1);
    }
    if (this.phase === 'head' && !this.inHeadTemplate()) {
      if (this.headTag(name)) return;
      if (name === 'body') {
        this.openBody(this.scanner.start, false);
        return;
      }
      this.leaveHead();
    } else if (this.phase === 'after-head') {
      if (name === 'body') {
        this.openBody(this.scanner.start, false);
        return;
      }
      if (name === 'html') {
        this.mergeAttributes(this.html);
        return;
      }
      if (name === 'head') return;
      if (HEAD_VOID.has(name) || HEAD_CONTENT.has(name)) {
        // Head content between </head> and <body> still belongs to the head.
        this.push(this.head);
        this.phase = 'head';
        this.headTag(name);
        return;
      }
      this.openBody(this.scanner.start, true);
    }
    this.bodyStartTag(name);
  }

  /** A start tag while the head is open; false when it ends the head. */
  private headTag(name: string): boolean {
    if (name === 'html') {
      this.mergeAttributes(this.html);
      return true;
    }
    if (name === 'head') {
      if (!this.headStarted) this.mergeAttributes(this.head);
      this.headStarted = true;
      return true;
    }
    if (HEAD_VOID.has(name)) {
      this.headStarted = true;
      this.insertVoid(name);
      return true;
    }
    if (HEAD_CONTENT.has(name)) {
      this.headStarted = true;
      this.insert(name);
      return true;
    }
    return false;
  }

  private foreign(name: string, namespace: Namespace): void {
    const el = this.element(name, namespace);
    if (!el) {
      if (RAW_TEXT.has(name) && !this.scanner.selfClosing) this.mode = 'drop';
      return;
    }
    if (this.scanner.selfClosing) return;
    this.push(el);
    if (RAW_TEXT.has(name)) this.mode = 'raw';
  }

  private bodyStartTag(name: string): void {
    const scanner = this.scanner;
    if (CLOSES_P.has(name)) {
      this.closeP();
      this.insert(name);
      return;
    }
    if (HEADINGS.has(name)) {
      this.closeP();
      if (this.topFlags() & HEADING) this.pop(scanner.start);
      this.insert(name);
      return;
    }
    if (VOID.has(name)) {
      if (name === 'hr') this.closeP();
      if (name === 'col') {
        if (this.last('table') < 0) return;
        if (this.top().name === 'table') this.implied('colgroup');
      }
      if (name === 'frame') return;
      this.insertVoid(name);
      return;
    }
    if (TABLE_PARTS.has(name)) {
      this.tablePart(name);
      return;
    }
    switch (name) {
      case 'html':
        if (this.last('template') < 0) this.mergeAttributes(this.html);
        return;
      case 'body':
        if (this.last('template') < 0 && this.body) this.mergeAttributes(this.body);
        return;
      case 'head':
      case 'frameset':
        return;
      case 'pre':
      case 'listing':
        this.closeP();
        this.newlineDropper = this.insert(name);
        return;
      case 'textarea':
        this.newlineDropper = this.insert(name);
        return;
      case 'form':
        if (this.last('form') >= 0 && this.last('template') < 0) return;
        this.closeP();
        this.insert(name);
        return;
      case 'li':
        this.closeListItem(this.last('li'), 'li');
        this.closeP();
        this.insert(name);
        return;
      case 'dd':
      case 'dt': {
        const dd = this.last('dd');
        const dt = this.last('dt');
        this.closeListItem(Math.max(dd, dt), dd > dt ? 'dd' : 'dt');
        this.closeP();
        this.insert(name);
        return;
      }
      case 'plaintext':
      case 'xmp':
        this.closeP();
        this.insert(name);
        return;
      case 'button':
        if (this.inScope('button')) {
          this.generateImpliedEndTags();
          this.popTo(this.last('button'));
        }
        this.insert(name);
        return;
      case 'a':
      case 'nobr':
        // A link inside a link closes the first (browsers do it with the adoption agency).
        if (this.last(name) >= 0 && this.last(name) > TreeBuilder.lastOf(this.scopes)) this.popTo(this.last(name));
        this.insert(name);
        return;
      case 'table':
        this.closeP();
        // A table directly inside a table's structure ends the first one.
        if (TABLE_CONTEXT.has(this.top().name)) this.popTo(this.last('table'));
        this.insert(name);
        return;
      case 'option':
        if (this.top().name === 'option') this.pop(scanner.start);
        this.insert(name);
        return;
      case 'optgroup':
        if (this.top().name === 'option') this.pop(scanner.start);
        if (this.top().name === 'optgroup') this.pop(scanner.start);
        this.insert(name);
        return;
      case 'rb':
      case 'rtc':
      case 'rp':
      case 'rt':
        if (this.inScope('ruby')) this.generateImpliedEndTags(name === 'rp' || name === 'rt' ? 'rtc' : undefined);
        this.insert(name);
        return;
      case 'svg':
      case 'math':
        this.foreign(name, name);
        return;
      default:
        this.insert(name);
    }
  }

  /** `<li>` closes an open `<li>` unless a special element other than address, div or p stands between. */
  private closeListItem(at: number, name: string): void {
    if (at < 0 || TreeBuilder.lastOf(this.listStops) !== at) return;
    this.generateImpliedEndTags(name);
    this.popTo(at);
  }

  private tablePart(name: string): void {
    // Outside a table these are ignored, as browsers ignore them.
    if (this.last('table') < 0) return;
    const cell = Math.max(this.last('td'), this.last('th'));
    const inCell = cell >= 0 && cell >= TreeBuilder.lastOf(this.tableScopes);
    switch (name) {
      case 'caption':
      case 'colgroup':
        this.popTo(this.last('table') + 1);
        this.insert(name);
        return;
      case 'col':
        this.insertVoid(name);
        return;
      case 'tbody':
      case 'thead':
      case 'tfoot': {
        const section = Math.max(this.last('tbody'), this.last('thead'), this.last('tfoot'));
        if (section >= 0 && section >= TreeBuilder.lastOf(this.tableScopes)) this.popTo(section);
        else if (inCell) this.popTo(cell);
        this.insert(name);
        return;
      }
      case 'tr': {
        if (inCell) this.popTo(cell);
        const section = Math.max(this.last('tbody'), this.last('thead'), this.last('tfoot'), this.last('table'));
        this.popTo(section + 1); // an open row and anything left open in it
        if (this.top().name === 'table') this.implied('tbody');
        this.insert(name);
        return;
      }
      default: {
        // td, th
        if (inCell) this.popTo(cell);
        const row = Math.max(this.last('tr'), this.last('tbody'), this.last('thead'), this.last('tfoot'), this.last('table'));
        this.popTo(row + 1);
        if (this.top().name === 'table') this.implied('tbody');
        if (this.top().name === 'tbody' || this.top().name === 'thead' || this.top().name === 'tfoot') this.implied('tr');
        this.insert(name);
      }
    }
  }

  // ---- end tags ---------------------------------------------------------------------------------------

  private endTag(name: string): void {
    const scanner = this.scanner;
    const top = this.top();
    if (top.namespace !== 'html' && !isIntegrationPoint(top.name, top.namespace)) {
      if (name === 'br' || name === 'p') {
        // These two end SVG and MathML content, like an HTML start tag there.
        this.popTo(TreeBuilder.lastOf(this.breakStops) + 1);
      } else {
        // Close the nearest open element of that name, unless an HTML element comes first.
        const at = this.last(name);
        if (at > TreeBuilder.lastOf(this.htmls)) {
          this.popTo(at, scanner.end);
          return;
        }
      }
    }
    if (this.phase === 'head' && !this.inHeadTemplate()) {
      if (name === top.name && top !== this.head) {
        this.pop(scanner.end);
        return;
      }
      if (name === 'head') {
        if (top === this.head) this.pop(scanner.end);
        this.headStarted = true;
        this.phase = 'after-head';
        return;
      }
      if (name !== 'body' && name !== 'html' && name !== 'br') return;
      this.leaveHead();
    } else if (this.phase === 'after-head') {
      if (name !== 'body' && name !== 'html' && name !== 'br') return;
      this.openBody(scanner.start, true);
    }
    this.bodyEndTag(name);
  }

  private bodyEndTag(name: string): void {
    const end = this.scanner.end;
    if (name === 'body' || name === 'html') return; // what follows still goes into the body, as in browsers
    if (BLOCK_END.has(name) || name === 'form' || name === 'applet' || name === 'marquee' || name === 'object') {
      if (!this.inScope(name)) return;
      this.generateImpliedEndTags();
      this.popTo(this.last(name), end);
      return;
    }
    if (HEADINGS.has(name)) {
      const at = TreeBuilder.lastOf(this.headings);
      if (at < 0 || at < TreeBuilder.lastOf(this.scopes)) return;
      this.generateImpliedEndTags();
      this.popTo(at, end);
      return;
    }
    if (FORMATTING_END.has(name)) {
      if (this.inScope(name)) this.popTo(this.last(name), end);
      return;
    }
    if (TABLE_PARTS.has(name) || name === 'table') {
      if (this.inTableScope(name)) this.popTo(this.last(name), end);
      return;
    }
    switch (name) {
      case 'p':
        if (!this.inButtonScope('p')) {
          // A stray </p> makes an empty paragraph, in browsers too.
          this.append('p', 'html', this.scanner.start, []);
          return;
        }
        this.generateImpliedEndTags('p');
        this.popTo(this.last('p'), end);
        return;
      case 'li':
        if (!this.inListItemScope('li')) return;
        this.generateImpliedEndTags('li');
        this.popTo(this.last('li'), end);
        return;
      case 'dd':
      case 'dt':
        if (!this.inScope(name)) return;
        this.generateImpliedEndTags(name);
        this.popTo(this.last(name), end);
        return;
      case 'br':
        this.append('br', 'html', this.scanner.start, []);
        return;
      case 'template':
        if (this.last('template') < 0) return;
        this.generateImpliedEndTags(undefined, THOROUGH_END);
        this.popTo(this.last('template'), end);
        return;
    }
    // Any other end tag closes the nearest open element of its name, unless a special element is nearer.
    const at = this.last(name);
    if (at < 1 || TreeBuilder.lastOf(this.specials) > at) return;
    this.generateImpliedEndTags(name);
    this.popTo(at, end);
  }
}

/** Builds the bounded tree of a page: work and memory in proportion to its length, whatever its markup. */
export function parseBoundedDocument(html: string, limits: Partial<DocumentLimits> = {}): BoundedDocument {
  return new TreeBuilder(html, { ...DOCUMENT_LIMITS, ...limits }).build();
}

/**
 * Visits `root` and everything under it in document order, without recursion. `enter` returning false
 * skips an element's content; `exit` is called after an element's content.
 */
export function walk(root: HtmlElement, enter: (node: HtmlNode) => boolean | undefined, exit?: (el: HtmlElement) => void): void {
  if (enter(root) === false) return;
  const elements: HtmlElement[] = [root];
  const next: number[] = [0];
  while (elements.length > 0) {
    const el = elements[elements.length - 1]!;
    const i = next[next.length - 1]!;
    if (i >= el.children.length) {
      elements.pop();
      next.pop();
      exit?.(el);
      continue;
    }
    next[next.length - 1] = i + 1;
    const child = el.children[i]!;
    if (enter(child) === false || child.type === 'text') continue;
    elements.push(child);
    next.push(0);
  }
}

/** Elements whose content is not text a reader sees. */
export const NOT_TEXT = new Set(['script', 'style', 'template', 'noscript', 'iframe', 'noembed', 'noframes']);

/** The text under an element, in document order, without that of scripts, styles and templates. */
export function textContent(el: HtmlElement): string {
  if (NOT_TEXT.has(el.name)) return '';
  const parts: string[] = [];
  walk(el, (node) => {
    if (node.type === 'text') parts.push(node.text);
    else if (NOT_TEXT.has(node.name)) return false;
    return true;
  });
  return parts.join('');
}

/** The first element under `root` (not `root` itself), in document order, that `test` accepts. */
export function findElement(root: HtmlElement, test: (el: HtmlElement) => boolean): HtmlElement | undefined {
  let found: HtmlElement | undefined;
  walk(root, (node) => {
    if (found) return false;
    if (node.type === 'text' || node === root) return true;
    if (test(node)) found = node;
    return !found;
  });
  return found;
}

/**
 * The deepest element whose source spans `offset`: the element whose start tag begins there, or, when
 * a cap left that element out, the one its content went into.
 */
export function elementAt(doc: BoundedDocument, offset: number): HtmlElement {
  let node = doc.html;
  for (;;) {
    let next: HtmlElement | null = null;
    for (const child of node.children) {
      if (child.type === 'element' && child.start <= offset && offset < child.end && (next === null || child.start >= next.start)) next = child;
    }
    if (!next) return node;
    node = next;
  }
}
