import { cap, plainText } from '../receive/plain-text.ts';
import { LIMITS } from '../receive/verify.ts';
import type { LinkbackProtocol, PingbackRecord } from '../store/record.ts';
import { recordId } from '../store/record.ts';
import { htmlText } from './html-text.ts';
import type { WxrComment } from './wxr.ts';

/** Why a comment in the export is not imported; each is counted in the report. */
export type WxrSkip =
  | 'spam'
  | 'trash'
  | 'unapproved'
  /** A comment (not a pingback or trackback), and `--comments` was not given. */
  | 'comment-not-asked'
  /** Another comment type (`webmention`, `note`, `review`, …). */
  | 'other-type'
  /** A pingback or trackback whose source is not an absolute http(s) URL. */
  | 'bad-source'
  /** A comment id that is not a number: not written by WordPress. */
  | 'bad-id';

export const WXR_SKIPS: readonly WxrSkip[] = ['spam', 'trash', 'unapproved', 'comment-not-asked', 'other-type', 'bad-source', 'bad-id'];

/** The comment's protocol, or null for a type this import does not take. `''` is a comment in exports before WordPress 5.5. */
export function wxrProtocol(type: string): LinkbackProtocol | null {
  if (type === 'pingback' || type === 'trackback') return type;
  if (type === '' || type === 'comment') return 'comment';
  return null;
}

/** `2019-05-17 10:00:00` (UTC) → ISO 8601; WordPress writes `0000-00-00 00:00:00` for "none". */
export function wxrDate(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!m || m[1] === '0000') return undefined;
  const time = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function httpUrl(text: string): string | undefined {
  const value = text.trim();
  if (!value || value.length > LIMITS.url) return undefined;
  const url = URL.parse(value);
  return url && (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && url.href.length <= LIMITS.url
    ? url.href
    : undefined;
}

/**
 * The source of an imported comment. A comment has no page of its own, and one (post, source) pair is one
 * record, so the commenter's URL can't be it (two comments by one person would be one record, and many
 * commenters give none). It is a `tag:` URI (RFC 4151) naming the comment on the old blog:
 * `tag:oldblog.example,2019-05-17:comment-4` (the blog's host, the comment's date, its WordPress id; a blog
 * under a path puts the path before `comment-`). Stable across exports of the same blog, unique per
 * comment, and never an http(s) URL, so it can't collide with a real source, and renderers, which only
 * link http(s) URLs, never link it. (The permalink WordPress gives a comment, `post/#comment-4`, would not
 * do: a source's identity drops the fragment, so every comment of a post would be one record.)
 */
export function commentSource(blogUrl: string, comment: WxrComment): string {
  const url = URL.parse(blogUrl);
  const host = url?.hostname ? url.hostname.replace(/\.$/, '') : 'wordpress.invalid';
  const path = url ? url.pathname.replace(/^\/+|\/+$/g, '') : '';
  const when = wxrDate(comment.dateGmt) ?? wxrDate(comment.date) ?? '2003-05-27T00:00:00.000Z';
  return `tag:${host},${when.slice(0, 10)}:${path ? `${path}/` : ''}comment-${comment.id}`;
}

/** `[…] text […]`, as WordPress stores a pingback's excerpt, in the suite's form: `…text…`. */
function pingbackExcerpt(text: string): string {
  return text.replace(/^\[(?:…|\.\.\.)\]\s*/, '…').replace(/\s*\[(?:…|\.\.\.)\]$/, '…');
}

export interface WxrRecordInput {
  comment: WxrComment;
  /** The old post's permalink: what the pingback was sent to. */
  target: string;
  /** The new post's canonical key. */
  key: string;
  /** The old blog's address (`wp:base_blog_url`). */
  blogUrl: string;
  comments: boolean;
  /** When the import runs: for a comment with no date. */
  now: string;
}

/**
 * One comment of the export as the record it becomes, or why it is skipped. Approved items only; text is
 * plain and capped as for received pingbacks (title 200, excerpt 300, author 100 characters); the author's
 * URL only when http(s); e-mail and IP addresses are never read.
 */
/** Why a comment is not imported, or null when it is: what `wxrRecord` decides, without making the record. */
export function wxrSkip(comment: WxrComment, comments: boolean): WxrSkip | null {
  const protocol = wxrProtocol(comment.type);
  if (protocol === null) return 'other-type';
  const approved = comment.approved;
  if (approved === 'spam') return 'spam';
  if (approved === 'trash' || approved === 'post-trashed') return 'trash';
  if (approved !== '1') return 'unapproved';
  if (protocol === 'comment' && !comments) return 'comment-not-asked';
  if (!/^\d{1,20}$/.test(comment.id)) return 'bad-id';
  if (protocol !== 'comment' && !httpUrl(comment.authorUrl)) return 'bad-source';
  return null;
}

export function wxrRecord(input: WxrRecordInput): { record: PingbackRecord } | { skip: WxrSkip } {
  const { comment } = input;
  const skip = wxrSkip(comment, input.comments);
  if (skip) return { skip };
  const protocol = wxrProtocol(comment.type)!;

  const date = wxrDate(comment.dateGmt) ?? wxrDate(comment.date);
  const authorUrl = httpUrl(comment.authorUrl);
  const name = cap(plainText(comment.author), LIMITS.author);
  let source: string;
  let title = '';
  let excerpt: string;
  let author: PingbackRecord['author'];
  if (protocol === 'comment') {
    source = commentSource(input.blogUrl, comment);
    excerpt = htmlText(comment.content);
    author = authorUrl ? { name, url: authorUrl } : { name };
  } else {
    if (!authorUrl) return { skip: 'bad-source' };
    source = authorUrl;
    if (protocol === 'pingback') {
      // WordPress keeps the source page's title where a comment keeps its author's name.
      title = cap(plainText(comment.author), LIMITS.title);
      excerpt = pingbackExcerpt(htmlText(comment.content));
      author = { name: '' };
    } else {
      // A trackback is stored as "<strong>title</strong>\n\nexcerpt", from the blog named as author.
      const strong = /^\s*<strong>([\s\S]*?)<\/strong>/.exec(comment.content);
      title = strong ? cap(htmlText(strong[1]!), LIMITS.title) : '';
      excerpt = htmlText(strong ? comment.content.slice(strong[0].length) : comment.content);
      author = { name };
    }
  }
  const record: PingbackRecord = {
    id: recordId(input.key, source),
    source,
    target: input.target,
    key: input.key,
    status: 'approved',
    title,
    excerpt: cap(excerpt, LIMITS.excerpt),
    author,
    receivedAt: date ?? input.now,
    protocol,
    kind: protocol === 'comment' ? 'reply' : 'mention',
  };
  if (date) record.published = date;
  return { record };
}
