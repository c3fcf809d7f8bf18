/**
 * A WordPress export (WXR 1.2) of any size, in the shape WordPress 6 writes it (the same elements, order,
 * namespaces and CDATA as `export_wp()`, as in packages/core/test/fixtures/wxr/wordpress-6.1.9.xml),
 * generated as a stream of chunks so that a file of any size costs no memory to make. Per post, comments
 * cycle through the types and approval states an import meets: pingbacks (some from URLs with a bare `&`,
 * as WordPress writes them), trackbacks, comments of type `comment` and `''`, and held and trashed ones.
 */
export interface WxrShape {
  posts: number;
  commentsPerPost: number;
  /** Characters of text in each comment. Default 200. */
  commentChars?: number;
}

const HEAD = `<?xml version="1.0" encoding="UTF-8" ?>
<!-- generator="WordPress/6.1.9" created="2026-12-01 14:07" -->
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
	<title>Old Blog</title>
	<link>https://oldblog.example</link>
	<description></description>
	<language>en-US</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>https://oldblog.example</wp:base_site_url>
	<wp:base_blog_url>https://oldblog.example</wp:base_blog_url>
`;
const TAIL = '</channel>\n</rss>\n';

const KINDS = [
  { type: 'pingback', approved: '1' },
  { type: 'comment', approved: '1' },
  { type: 'trackback', approved: '1' },
  { type: '', approved: '1' },
  { type: 'comment', approved: '0' },
  { type: 'pingback', approved: '1' },
  { type: 'comment', approved: 'trash' },
  { type: 'comment', approved: '1' },
] as const;

export const postSlug = (i: number) => `post-number-${i}`;
export const postLink = (i: number) => `https://oldblog.example/2019/${String((i % 12) + 1).padStart(2, '0')}/${postSlug(i)}/`;

function comment(post: number, n: number, id: number, chars: number): string {
  const kind = KINDS[n % KINDS.length]!;
  const day = String((n % 28) + 1).padStart(2, '0');
  const text = `Comment ${id} on post ${post}: ${'lorem ipsum dolor sit amet '.repeat(Math.ceil(chars / 27))}`.slice(0, chars);
  const url =
    kind.type === 'pingback'
      ? `https://site${id % 997}.example/2019/reply-${id}/?a=1&b=${id}`
      : kind.type === 'trackback'
        ? `https://blog${id % 991}.example/tb/${id}`
        : `https://person${id % 983}.example/`;
  const content =
    kind.type === 'pingback' ? `[&#8230;] ${text} [&#8230;]` : kind.type === 'trackback' ? `<strong>Trackback ${id}</strong>\n\n${text}` : `<p>${text}</p>`;
  return `		<wp:comment>
			<wp:comment_id>${id}</wp:comment_id>
			<wp:comment_author><![CDATA[Author ${id}]]></wp:comment_author>
			<wp:comment_author_email><![CDATA[author${id}@mail.example]]></wp:comment_author_email>
			<wp:comment_author_url>${url}</wp:comment_author_url>
			<wp:comment_author_IP><![CDATA[203.0.113.${id % 250}]]></wp:comment_author_IP>
			<wp:comment_date><![CDATA[2019-05-${day} 10:00:00]]></wp:comment_date>
			<wp:comment_date_gmt><![CDATA[2019-05-${day} 08:00:00]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[${content}]]></wp:comment_content>
			<wp:comment_approved><![CDATA[${kind.approved}]]></wp:comment_approved>
			<wp:comment_type><![CDATA[${kind.type}]]></wp:comment_type>
			<wp:comment_parent>0</wp:comment_parent>
			<wp:comment_user_id>0</wp:comment_user_id>
		</wp:comment>
`;
}

function item(i: number, comments: string): string {
  return `	<item>
		<title><![CDATA[Post number ${i}]]></title>
		<link>${postLink(i)}</link>
		<pubDate>Tue, 14 May 2019 07:30:00 +0000</pubDate>
		<dc:creator><![CDATA[admin]]></dc:creator>
		<guid isPermaLink="false">https://oldblog.example/?p=${i + 10}</guid>
		<description></description>
		<content:encoded><![CDATA[<p>The body of post ${i}.</p>]]></content:encoded>
		<excerpt:encoded><![CDATA[]]></excerpt:encoded>
		<wp:post_id>${i + 10}</wp:post_id>
		<wp:post_date><![CDATA[2019-05-14 09:30:00]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[2019-05-14 07:30:00]]></wp:post_date_gmt>
		<wp:comment_status><![CDATA[open]]></wp:comment_status>
		<wp:ping_status><![CDATA[open]]></wp:ping_status>
		<wp:post_name><![CDATA[${postSlug(i)}]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:menu_order>0</wp:menu_order>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<wp:post_password><![CDATA[]]></wp:post_password>
		<wp:is_sticky>0</wp:is_sticky>
		<wp:postmeta>
		<wp:meta_key><![CDATA[_edit_last]]></wp:meta_key>
		<wp:meta_value><![CDATA[1]]></wp:meta_value>
		</wp:postmeta>
${comments}	</item>
`;
}

/** The export as chunks of about 64 KiB, made as they are read. */
export async function* generateWxr(shape: WxrShape): AsyncGenerator<Uint8Array> {
  const chars = shape.commentChars ?? 200;
  let buffer = HEAD;
  let id = 100;
  for (let i = 0; i < shape.posts; i++) {
    let comments = '';
    for (let n = 0; n < shape.commentsPerPost; n++) comments += comment(i, n, id++, chars);
    buffer += item(i, comments);
    if (buffer.length >= 64 * 1024) {
      yield Buffer.from(buffer);
      buffer = '';
    }
  }
  yield Buffer.from(buffer + TAIL);
}

/** What an import of `generateWxr(shape)` stores, per protocol, with and without `--comments`. */
export function expectedCounts(shape: WxrShape): { pingback: number; trackback: number; comment: number } {
  const counts = { pingback: 0, trackback: 0, comment: 0 };
  for (let n = 0; n < shape.commentsPerPost; n++) {
    const kind = KINDS[n % KINDS.length]!;
    if (kind.approved !== '1') continue;
    counts[kind.type === '' ? 'comment' : kind.type] += shape.posts;
  }
  return counts;
}
