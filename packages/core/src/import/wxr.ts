import { TextDecoder } from 'node:util';
import { SaxesParser } from 'saxes';
import type { SaxesTagNS } from 'saxes';
import { ImportError } from './import-error.ts';
import { UrlAmpersandRepair } from './url-ampersands.ts';

/**
 * A streaming reader of WordPress's export format (WXR: RSS 2.0 with the `wp:` namespace, as Tools →
 * Export writes it). It reads the file chunk by chunk with saxes and hands over each comment when its
 * `</wp:comment>` closes, so memory holds one item's fields and one comment at a time, whatever the size
 * of the file. Only what an import needs is kept: the post's link, slug, type and status, and of each
 * comment its id, author, author URL, dates, content, approval and type. E-mail addresses and IP
 * addresses are never read into memory at all.
 */
export interface WxrPost {
  id: string;
  title: string;
  /** The post's permalink on the old site. */
  link: string;
  /** `wp:post_name`: the slug, percent-encoded as WordPress stores it. */
  name: string;
  /** `post`, `page`, `attachment`, `nav_menu_item`, … */
  type: string;
  /** `publish`, `draft`, `private`, … */
  status: string;
}

export interface WxrComment {
  id: string;
  author: string;
  authorUrl: string;
  /** `YYYY-MM-DD HH:MM:SS` in UTC, or `0000-00-00 00:00:00`. */
  dateGmt: string;
  /** The same in the blog's own time zone. */
  date: string;
  /** HTML as WordPress stored it. */
  content: string;
  /** `1`, `0`, `spam`, `trash`, … */
  approved: string;
  /** `pingback`, `trackback`, `comment`, or `''` (a comment, in exports before WordPress 5.5). */
  type: string;
  parent: string;
}

export type WxrEvent =
  /** The blog's own address (`wp:base_blog_url`, else the channel's link), before any item. */
  | { kind: 'site'; url: string }
  | { kind: 'comment'; post: WxrPost; comment: WxrComment }
  /** At the end of each item, after its comments. */
  | { kind: 'post'; post: WxrPost; comments: number };

export interface WxrLimits {
  /** Characters kept of a comment's content (the rest is never needed: stored text is capped far lower). */
  maxContentChars: number;
  /** Characters kept of any other field. */
  maxFieldChars: number;
  /** Elements nested deeper than this make the file invalid (WXR nests six deep). */
  maxDepth: number;
}

const PIECE = 16 * 1024;

export const WXR_LIMITS: WxrLimits = { maxContentChars: 64 * 1024, maxFieldChars: 4096, maxDepth: 64 };

/** `http://wordpress.org/export/1.0/` to `1.2/`: the `wp:` namespace of every WXR version. */
const WP_NAMESPACE = /^https?:\/\/wordpress\.org\/export\/1\.\d+\/$/;

const POST_FIELDS: Record<string, keyof WxrPost> = {
  'wp:post_id': 'id',
  'wp:post_name': 'name',
  'wp:post_type': 'type',
  'wp:status': 'status',
  ':title': 'title',
  ':link': 'link',
};

const COMMENT_FIELDS: Record<string, keyof WxrComment> = {
  'wp:comment_id': 'id',
  'wp:comment_author': 'author',
  'wp:comment_author_url': 'authorUrl',
  'wp:comment_date_gmt': 'dateGmt',
  'wp:comment_date': 'date',
  'wp:comment_content': 'content',
  'wp:comment_approved': 'approved',
  'wp:comment_type': 'type',
  'wp:comment_parent': 'parent',
};

const emptyPost = (): WxrPost => ({ id: '', title: '', link: '', name: '', type: '', status: '' });
const emptyComment = (): WxrComment => ({ id: '', author: '', authorUrl: '', dateGmt: '', date: '', content: '', approved: '', type: '', parent: '' });

/** The encoding an XML declaration names, read from the first bytes. */
function declaredEncoding(head: Uint8Array): string {
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, 1024)).toString('latin1');
  const decl = /^(?:\uFEFF|\u00EF\u00BB\u00BF)?<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(text);
  return decl ? decl[1]!.toLowerCase() : 'utf-8';
}

/** What saxes reports, in terms of the file and what to do about it. */
function describe(error: unknown, where: string): ImportError {
  const raw = (error as Error)?.message ?? String(error);
  const m = /^(?:[^:]*:)?(\d+):(\d+): (.*)$/s.exec(raw);
  const at = m ? `line ${m[1]}, column ${m[2]}: ` : '';
  const message = (m ? m[3]! : raw).split('\n')[0]!;
  return new ImportError(
    `${where}: ${at}not well-formed XML (${message}). Export the site again from WordPress (Tools → Export); a file that was edited by hand must be valid XML.`,
    { cause: error },
  );
}

class WxrReader {
  private readonly parser = new SaxesParser({ xmlns: true, position: true });
  private readonly repair = new UrlAmpersandRepair();
  private decoder: TextDecoder | null = null;
  private head: Uint8Array[] = [];
  private headBytes = 0;
  private bytes = 0;
  private out: WxrEvent[] = [];
  /** The open elements, as `prefix-free namespace key` strings (`wp:comment`, `:item`). */
  private readonly stack: string[] = [];
  private sawRoot = false;
  private sawWxr = false;
  private siteSent = false;
  private channelLink = '';
  private baseBlogUrl = '';
  private post: WxrPost | null = null;
  private postComments = 0;
  /** Comments that came before their item's link or type (only in hand-made files): kept to the item's end. */
  private early: WxrComment[] = [];
  private comment: WxrComment | null = null;
  private field: { target: 'post' | 'comment' | 'channel'; name: string; depth: number; text: string; max: number } | null = null;

  private readonly where: string;
  private readonly limits: WxrLimits;

  constructor(where: string, limits: WxrLimits) {
    this.where = where;
    this.limits = limits;
    const p = this.parser;
    p.on('doctype', () => {
      // saxes never expands what a DTD declares, but nothing in WXR needs one: refuse it outright.
      throw new ImportError(
        `${this.where}: the file has a DOCTYPE, which no WordPress export has; refusing it (entity declarations are a known attack). Export the site again from WordPress.`,
      );
    });
    p.on('error', (error) => {
      if (error instanceof ImportError) throw error;
      throw describe(error, this.where);
    });
    p.on('opentag', (tag) => this.open(tag as SaxesTagNS));
    p.on('closetag', (tag) => this.close(tag as SaxesTagNS));
    p.on('text', (text) => this.text(text));
    p.on('cdata', (text) => this.text(text));
  }

  /** Element keys by namespace and local name: made once each, not once per element. */
  private readonly keys = new Map<string, Map<string, string>>();

  private keyOf(tag: SaxesTagNS): string {
    let names = this.keys.get(tag.uri);
    if (!names) {
      names = new Map();
      this.keys.set(tag.uri, names);
    }
    let key = names.get(tag.local);
    if (key === undefined) {
      const wp = WP_NAMESPACE.test(tag.uri);
      if (wp) this.sawWxr = true;
      key = wp ? `wp:${tag.local}` : tag.uri === '' ? `:${tag.local}` : `${tag.uri} ${tag.local}`;
      // A stranger's file could name endless distinct elements: keep the memo small.
      if (names.size < 256) names.set(tag.local, key);
    }
    return key;
  }

  private open(tag: SaxesTagNS): void {
    const key = this.keyOf(tag);
    const depth = this.stack.length;
    if (depth >= this.limits.maxDepth)
      throw new ImportError(`${this.where}: elements nested deeper than ${this.limits.maxDepth}; this is not a WordPress export.`);
    if (depth === 0) {
      if (key !== ':rss')
        throw new ImportError(
          `${this.where}: the root element is <${tag.name}>, not <rss>: this is not a WordPress export (WXR). Export the site from WordPress with Tools → Export.`,
        );
      this.sawRoot = true;
    }
    this.stack.push(key);
    const parent = this.stack[depth - 1];
    if (key === ':item' && parent === ':channel') {
      this.post = emptyPost();
      this.postComments = 0;
      this.early = [];
    } else if (key === 'wp:comment' && parent === ':item' && this.post) {
      this.comment = emptyComment();
    } else if (parent === ':item' && this.post && POST_FIELDS[key]) {
      this.field = { target: 'post', name: POST_FIELDS[key], depth, text: '', max: this.limits.maxFieldChars };
    } else if (parent === 'wp:comment' && this.comment && COMMENT_FIELDS[key]) {
      const name = COMMENT_FIELDS[key];
      this.field = { target: 'comment', name, depth, text: '', max: name === 'content' ? this.limits.maxContentChars : this.limits.maxFieldChars };
    } else if (parent === ':channel' && (key === ':link' || key === 'wp:base_blog_url')) {
      this.field = { target: 'channel', name: key, depth, text: '', max: this.limits.maxFieldChars };
    }
    // Nested elements inside a field (none in WXR) end its text there.
    else if (this.field) this.field = null;
  }

  private text(text: string): void {
    const f = this.field;
    if (!f || this.stack.length !== f.depth + 1) return;
    if (f.text.length < f.max) f.text += text.length > f.max - f.text.length ? text.slice(0, f.max - f.text.length) : text;
  }

  private close(tag: SaxesTagNS): void {
    const depth = this.stack.length - 1;
    const key = this.stack.pop()!;
    void tag;
    const f = this.field;
    if (f && f.depth === depth) {
      this.field = null;
      if (f.target === 'post' && this.post) this.post[f.name as keyof WxrPost] = f.text.trim();
      else if (f.target === 'comment' && this.comment) {
        const name = f.name as keyof WxrComment;
        this.comment[name] = name === 'content' || name === 'author' ? f.text : f.text.trim();
      } else if (f.target === 'channel') {
        if (f.name === ':link') this.channelLink = f.text.trim();
        else this.baseBlogUrl = f.text.trim();
      }
      return;
    }
    if (key === 'wp:comment' && this.comment && this.post) {
      this.postComments++;
      this.sendSite();
      if (this.post.link && this.post.type) this.out.push({ kind: 'comment', post: { ...this.post }, comment: this.comment });
      else this.early.push(this.comment);
      this.comment = null;
    } else if (key === ':item' && this.post) {
      this.sendSite();
      for (const comment of this.early) this.out.push({ kind: 'comment', post: { ...this.post }, comment });
      this.out.push({ kind: 'post', post: this.post, comments: this.postComments });
      this.post = null;
      this.early = [];
    }
  }

  private sendSite(): void {
    if (this.siteSent) return;
    this.siteSent = true;
    this.out.push({ kind: 'site', url: this.baseBlogUrl || this.channelLink });
  }

  private decode(bytes: Uint8Array, final: boolean): string {
    if (!this.decoder) {
      const encoding = declaredEncoding(bytes);
      try {
        this.decoder = new TextDecoder(encoding, { fatal: true });
      } catch {
        throw new ImportError(
          `${this.where}: the file says its encoding is "${encoding}", which can't be read here. Convert it to UTF-8 (e.g. iconv -f ${encoding} -t UTF-8) and change the XML declaration to say so.`,
        );
      }
    }
    try {
      return this.decoder.decode(bytes, { stream: !final });
    } catch (error) {
      const enc = this.decoder.encoding;
      throw new ImportError(
        `${this.where}: bytes ${this.bytes - bytes.byteLength}–${this.bytes} are not valid ${enc}. WordPress writes UTF-8: the file was damaged or re-saved in another encoding; export it again, or convert it (iconv) and declare the encoding in the XML declaration.`,
        { cause: error },
      );
    }
  }

  /** Text to the repair and the parser in pieces of at most 16 Ki characters, whatever the stream's chunk size. */
  private feed(text: string, final = false): WxrEvent[] {
    // A piece is joined to what the last one left over (a few characters): on a string of that shape
    // V8's string search gets slower the longer the string, so long pieces made the pass superlinear.
    for (let i = 0; i < text.length; i += PIECE) {
      const piece = this.repair.push(text.slice(i, i + PIECE));
      if (piece) this.parser.write(piece);
    }
    if (final) {
      const rest = this.repair.end();
      if (rest) this.parser.write(rest);
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  write(chunk: Uint8Array): WxrEvent[] {
    this.bytes += chunk.byteLength;
    if (!this.decoder) {
      // The encoding is read from the XML declaration: gather enough of the start to see all of it.
      this.head.push(chunk);
      this.headBytes += chunk.byteLength;
      if (this.headBytes < 1024) return [];
      const head = Buffer.concat(this.head);
      this.head = [];
      return this.feed(this.decode(head, false));
    }
    return this.feed(this.decode(chunk, false));
  }

  end(): WxrEvent[] {
    let text = '';
    if (!this.decoder) {
      const head = Buffer.concat(this.head);
      this.head = [];
      text = this.decode(head, true);
    } else text = this.decode(new Uint8Array(0), true);
    const out = this.feed(text, true);
    if (!this.sawRoot) throw new ImportError(`${this.where}: the file is empty or has no XML element: this is not a WordPress export.`);
    try {
      this.parser.close();
    } catch (error) {
      if (error instanceof ImportError && /unclosed|unexpected end/i.test(error.message)) {
        throw new ImportError(
          `${this.where}: the file ends before the export does (${this.stack.length ? `<${this.stack[this.stack.length - 1]!.replace(/^:/, '')}> is never closed` : 'unexpected end'}): it is truncated. Export the site again, or copy the whole file.`,
          { cause: error },
        );
      }
      throw error;
    }
    if (!this.sawWxr)
      throw new ImportError(
        `${this.where}: an RSS feed without WordPress's wp: elements: this is not a WordPress export (WXR). Export the site from WordPress with Tools → Export.`,
      );
    out.push(...this.out);
    this.out = [];
    return out;
  }

  get repairedAmpersands(): number {
    return this.repair.repaired;
  }
}

export interface WxrReadResult {
  /** Bare `&` in author URLs that were escaped (WordPress's export leaves them so). */
  repairedAmpersands: number;
}

/**
 * Reads a WXR file from its bytes, chunk by chunk, and yields what an import needs as it goes. Throws an
 * `ImportError` (naming the line and column) for a file that is not well-formed, is truncated, declares a
 * DOCTYPE, is not valid in its encoding, or is not a WordPress export; a caller that must not write half an
 * import reads the whole file once before writing anything.
 */
export async function* readWxr(
  chunks: AsyncIterable<Uint8Array>,
  where = 'the export',
  limits: WxrLimits = WXR_LIMITS,
  result?: WxrReadResult,
): AsyncGenerator<WxrEvent> {
  const reader = new WxrReader(where, limits);
  for await (const chunk of chunks) {
    const events = reader.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    for (const event of events) yield event;
  }
  for (const event of reader.end()) yield event;
  if (result) result.repairedAmpersands = reader.repairedAmpersands;
}
