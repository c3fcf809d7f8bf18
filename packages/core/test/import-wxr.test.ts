import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { WxrEvent } from '@pingback/core';
import { ImportError, MemoryStore, PostMatcher, importWordPress, readWxr } from '@pingback/core';
import { expectedCounts, generateWxr, postSlug } from '../../../bench/generate-wxr.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/wxr/wordpress-6.1.9.xml', import.meta.url));
const real = await readFile(FIXTURE);

/** The bytes in chunks of `size`: how a stream may cut them. */
async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}

const once = (bytes: Uint8Array | string) => () => chunked(typeof bytes === 'string' ? Buffer.from(bytes) : bytes, 64 * 1024);

async function events(bytes: Uint8Array, size = 64 * 1024): Promise<WxrEvent[]> {
  const out: WxrEvent[] = [];
  for await (const e of readWxr(chunked(bytes, size), 'export.xml')) out.push(e);
  return out;
}

/** The new site of the tests: three of the real export's posts moved to /posts/, one page kept its path. */
const site = () => new PostMatcher({ pages: ['/', '/posts/hello-pingbacks', '/posts/uber-cafe', '/about'], posts: [] });

const CLOCK = { now: () => Date.parse('2026-12-01T12:00:00.000Z') };

/** A WXR document around some items, as WordPress 6 writes one. */
function wxr(items: string, head = ''): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>${head}
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Old</title><link>https://oldblog.example</link><wp:wxr_version>1.2</wp:wxr_version>
<wp:base_blog_url>https://oldblog.example</wp:base_blog_url>${items}</channel></rss>`;
}

function post(comments: string, slug = 'hello-pingbacks', type = 'post'): string {
  return `<item><title><![CDATA[Hello]]></title><link>https://oldblog.example/2019/05/${slug}/</link><wp:post_id>7</wp:post_id>
<wp:post_name><![CDATA[${slug}]]></wp:post_name><wp:status><![CDATA[publish]]></wp:status><wp:post_type><![CDATA[${type}]]></wp:post_type>${comments}</item>`;
}

function comment(fields: { id?: string; type?: string; approved?: string; author?: string; url?: string; content?: string; date?: string }): string {
  return `<wp:comment><wp:comment_id>${fields.id ?? '1'}</wp:comment_id><wp:comment_author><![CDATA[${fields.author ?? 'Ann'}]]></wp:comment_author>
<wp:comment_author_email><![CDATA[ann@mail.example]]></wp:comment_author_email><wp:comment_author_url>${fields.url ?? 'https://ann.example/'}</wp:comment_author_url>
<wp:comment_author_IP><![CDATA[203.0.113.50]]></wp:comment_author_IP><wp:comment_date><![CDATA[2019-05-17 12:00:00]]></wp:comment_date>
<wp:comment_date_gmt><![CDATA[${fields.date ?? '2019-05-17 10:00:00'}]]></wp:comment_date_gmt><wp:comment_content><![CDATA[${fields.content ?? 'Nice post.'}]]></wp:comment_content>
<wp:comment_approved><![CDATA[${fields.approved ?? '1'}]]></wp:comment_approved><wp:comment_type><![CDATA[${fields.type ?? 'comment'}]]></wp:comment_type><wp:comment_parent>0</wp:comment_parent></wp:comment>`;
}

describe('reading a real WordPress 6.1.9 export', () => {
  it('yields the blog, each post with its link, slug and type, and each comment of it', async () => {
    const all = await events(real);
    expect(all[0]).toEqual({ kind: 'site', url: 'https://oldblog.example' });
    const posts = all.filter((e) => e.kind === 'post');
    expect(posts.map((e) => [e.post.type, e.post.name, e.post.link, e.comments])).toEqual([
      ['post', 'hello-world', 'https://oldblog.example/2026/12/hello-world/', 1],
      ['page', 'sample-page', 'https://oldblog.example/sample-page/', 0],
      ['page', 'privacy-policy', 'https://oldblog.example/?page_id=3', 0],
      ['post', 'hello-pingbacks', 'https://oldblog.example/2019/05/hello-pingbacks/', 9],
      ['post', 'uber-cafe', 'https://oldblog.example/2020/02/uber-cafe/', 1],
      ['post', 'not-moved', 'https://oldblog.example/2020/06/not-moved/', 1],
      ['page', 'about', 'https://oldblog.example/about/', 1],
      ['post', 'draft-post', 'https://oldblog.example/?p=8', 0],
    ]);
    const comments = all.flatMap((e) => (e.kind === 'comment' ? [e.comment] : []));
    // WordPress never exports spam; every other approval state and type is there, '' among them.
    expect(comments.map((c) => `${c.type || "''"}/${c.approved}`)).toEqual([
      'comment/1',
      'pingback/1',
      'trackback/1',
      'comment/1',
      "''/1",
      'comment/1',
      'comment/0',
      'comment/trash',
      'pingback/0',
      'pingback/trash',
      'pingback/1',
      'pingback/1',
      'comment/1',
    ]);
    // WordPress leaves `&` bare in author URLs; the reader takes it as written, and reads on past it.
    expect(comments[1]!.authorUrl).toBe('https://friend.example/2019/05/a-reply/?utm_source=feed&ref=1');
    // `]]>` inside a comment is split over two CDATA sections by WordPress and joined again here.
    expect(comments[3]!.content).toContain('Second paragraph ]]> with a CDATA end in it.');
    // Never read: e-mail and IP addresses are not even fields.
    expect(JSON.stringify(all)).not.toMatch(/@mail\.example|203\.0\.113\.|198\.51\.100\.|wapuu@/);
  });

  it('reads the same whatever the chunk boundaries, down to one byte at a time', async () => {
    const whole = await events(real, real.byteLength);
    for (const size of [1, 7, 23, 4096]) expect(await events(real, size), `chunks of ${size}`).toEqual(whole);
  });
});

describe('importing a real WordPress export', () => {
  it('stores the approved pingbacks and trackbacks of the posts that exist, and comments only when asked', async () => {
    const store = new MemoryStore();
    const report = await importWordPress(once(real), { store, matcher: site(), clock: CLOCK, where: 'export.xml' });
    expect(report.imported).toEqual({ pingback: 2, trackback: 1 });
    expect(report.skipped).toEqual({ 'comment-not-asked': 5, unapproved: 2, trash: 2, unmatched: 1 });
    expect(report.posts).toEqual({ seen: 8, matched: 3, unmatched: 5, via: { slug: 2, 'same-path': 1 } });
    expect(report.unmatched.filter((u) => u.items > 0)).toEqual([
      { url: 'https://oldblog.example/2020/06/not-moved/', title: 'A post that did not move', slug: 'not-moved', reason: 'no-match', items: 1 },
    ]);
    expect(report.aliases).toEqual({ '/2019/05/hello-pingbacks': '/posts/hello-pingbacks', '/2020/02/uber-cafe': '/posts/uber-cafe' });
    expect(report.repairedAmpersands).toBe(1);
    const records = [...store.records.values()].sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : 1));
    expect(records).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{16}-[0-9a-f]{16}$/),
        source: 'https://friend.example/2019/05/a-reply/?utm_source=feed&ref=1',
        target: 'https://oldblog.example/2019/05/hello-pingbacks/',
        key: '/posts/hello-pingbacks',
        status: 'approved',
        title: "A reply on a friend's blog",
        excerpt: '…I read Hello pingbacks and it made me think about linkbacks…',
        author: { name: '' },
        published: '2019-05-15T08:00:00.000Z',
        receivedAt: '2019-05-15T08:00:00.000Z',
        protocol: 'pingback',
        kind: 'mention',
      },
      expect.objectContaining({
        source: 'https://another.example/posts/trackback-post',
        protocol: 'trackback',
        title: 'Trackbacks are back',
        excerpt: 'An excerpt the trackback sent, with markup & an ampersand.',
        author: { name: 'Another Blog' },
      }),
      expect.objectContaining({
        source: 'https://cafe.example/notes/1',
        key: '/posts/uber-cafe',
        target: 'https://oldblog.example/2020/02/uber-cafe/',
        excerpt: '…Über café…',
      }),
    ]);
  });

  it('with comments: each approved comment is a reply under a tag: source of its own, with its author and http(s) URL only', async () => {
    const store = new MemoryStore();
    const report = await importWordPress(once(real), { store, matcher: site(), comments: true, clock: CLOCK });
    expect(report.imported).toEqual({ pingback: 2, trackback: 1, comment: 4 });
    const comments = [...store.records.values()].filter((r) => r.protocol === 'comment').sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : 1));
    expect(comments.map((c) => [c.key, c.source, c.author, c.kind, c.excerpt])).toEqual([
      ['/about', 'tag:oldblog.example,2018-01-31:comment-14', { name: 'Page Visitor', url: 'https://visitor.example/' }, 'reply', 'A comment on a page.'],
      [
        '/posts/hello-pingbacks',
        'tag:oldblog.example,2019-05-17:comment-4',
        { name: 'Ann Commenter', url: 'https://ann.example/' },
        'reply',
        'Great post! Here is a link. Second paragraph ]]> with a CDATA end in it.',
      ],
      [
        '/posts/hello-pingbacks',
        'tag:oldblog.example,2019-05-18:comment-5',
        { name: 'Old-Style Commenter', url: 'http://old.example/~bob' },
        'reply',
        'A comment from before WordPress 5.5: comment_type is empty.',
      ],
      ['/posts/hello-pingbacks', 'tag:oldblog.example,2019-05-18:comment-6', { name: 'Threaded Reply' }, 'reply', 'A reply to Ann, with no website.'],
    ]);
    expect(JSON.stringify([...store.records.values()])).not.toMatch(/@mail\.example|@oldblog|203\.0\.113\.|198\.51\.100\./);
  });

  it('is idempotent: a second import adds nothing, and one after fixing the map adds only what was missing', async () => {
    const store = new MemoryStore();
    const first = await importWordPress(once(real), { store, matcher: site(), comments: true, clock: CLOCK });
    const stored = store.records.size;
    expect(stored).toBe(7);
    const again = await importWordPress(once(real), { store, matcher: site(), comments: true, clock: { now: () => CLOCK.now() + 86_400_000 } });
    expect(again.imported).toEqual({});
    expect(again.alreadyStored).toBe(stored);
    expect(store.records.size).toBe(stored);
    const map = new Map([['/2020/06/not-moved', '/posts/uber-cafe']]);
    const fixed = await importWordPress(once(real), {
      store,
      matcher: new PostMatcher({ pages: ['/', '/posts/hello-pingbacks', '/posts/uber-cafe', '/about'], posts: [] }, map),
      comments: true,
      clock: CLOCK,
    });
    expect(fixed.imported).toEqual({ pingback: 1 });
    expect(fixed.alreadyStored).toBe(stored);
    expect(fixed.posts.via).toMatchObject({ map: 1 });
    expect(store.records.size).toBe(stored + 1);
    expect(first.aliases['/2020/06/not-moved']).toBeUndefined();
    expect(fixed.aliases['/2020/06/not-moved']).toBe('/posts/uber-cafe');
  });

  it('a dry run counts what would be stored, and which of it is already there, and stores nothing', async () => {
    const store = new MemoryStore();
    const dry = await importWordPress(once(real), { store, matcher: site(), comments: true, dryRun: true, clock: CLOCK });
    expect(dry.imported).toEqual({ pingback: 2, trackback: 1, comment: 4 });
    expect(store.records.size).toBe(0);
    await importWordPress(once(real), { store, matcher: site(), clock: CLOCK });
    const later = await importWordPress(once(real), { store, matcher: site(), comments: true, dryRun: true, clock: CLOCK });
    expect(later.imported).toEqual({ comment: 4 });
    expect(later.alreadyStored).toBe(3);
    expect(store.records.size).toBe(3);
  });
});

describe('hostile and broken exports: a clear error and nothing stored', () => {
  const fails = async (bytes: Uint8Array | string, message: RegExp) => {
    const store = new MemoryStore();
    const error = await importWordPress(once(bytes), { store, matcher: site(), comments: true, where: 'export.xml' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toMatch(message);
    expect(store.records.size).toBe(0);
  };

  it('a DOCTYPE, with or without an entity bomb, is refused', async () => {
    const bomb = '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>';
    await fails(wxr(post(comment({ content: '&c;' })), bomb), /export\.xml: the file has a DOCTYPE/);
    await fails(wxr(post(comment({})), '<!DOCTYPE rss SYSTEM "file:///etc/passwd">'), /DOCTYPE/);
  });

  it('an undeclared entity is not well-formed, with its line and column', async () => {
    await fails(wxr(post(comment({ author: 'x' }).replace('<![CDATA[x]]>', '&lol;'))), /export\.xml: line \d+, column \d+: not well-formed XML/);
  });

  it('invalid UTF-8 is named as such', async () => {
    const bytes = Buffer.from(wxr(post(comment({ content: 'ZZ' }))));
    const at = bytes.indexOf('ZZ');
    bytes[at] = 0xff;
    bytes[at + 1] = 0xfe;
    await fails(bytes, /are not valid utf-8/);
  });

  it('a truncated export (the real one cut in half, after its first comments) stores none of them', async () => {
    await fails(real.subarray(0, Math.floor(real.byteLength / 2)), /export\.xml: the file ends before the export does .*truncated/);
    await fails(real.subarray(0, real.indexOf('</rss>')), /truncated/);
  });

  it('a file that is not a WordPress export says so', async () => {
    await fails('<html><body>hi</body></html>', /the root element is <html>, not <rss>/);
    await fails('<rss version="2.0"><channel><title>A feed</title><item><title>x</title></item></channel></rss>', /not a WordPress export/);
    await fails('', /empty/);
    await fails('name: value\n', /not well-formed|no XML element/);
  });

  it('javascript: author URLs are dropped: a comment keeps its text without a link, a pingback from one is skipped', async () => {
    const store = new MemoryStore();
    const report = await importWordPress(
      once(
        wxr(
          post(
            comment({ id: '1', url: 'javascript:alert(1)' }) +
              comment({ id: '2', type: 'pingback', url: 'javascript:alert(2)' }) +
              comment({ id: '3', type: 'trackback', url: 'data:text/html,x' }),
          ),
        ),
      ),
      {
        store,
        matcher: site(),
        comments: true,
      },
    );
    expect(report.imported).toEqual({ comment: 1 });
    expect(report.skipped).toEqual({ 'bad-source': 2 });
    expect([...store.records.values()][0]!.author).toEqual({ name: 'Ann' });
  });

  it('10 MB of text in one comment is stored capped, markup as text, and read in bounded memory', async () => {
    const huge = `<p>${'<b>x</b> <script>alert(1)</script> word '.repeat(250_000)}</p>`;
    expect(huge.length).toBeGreaterThan(10_000_000);
    const store = new MemoryStore();
    const report = await importWordPress(once(wxr(post(comment({ content: huge, author: `${'<b>Name</b>'.repeat(100_000)}` })))), {
      store,
      matcher: site(),
      comments: true,
    });
    expect(report.imported).toEqual({ comment: 1 });
    const [stored] = [...store.records.values()];
    expect(stored!.excerpt.length).toBeLessThanOrEqual(300);
    expect(stored!.excerpt).toMatch(/^x word x word/);
    expect(stored!.excerpt).not.toContain('<');
    expect(stored!.author.name.length).toBeLessThanOrEqual(100);
  });

  it('spam, trash, held, other comment types and comments on attachments are skipped and counted', async () => {
    const store = new MemoryStore();
    const items =
      post(
        comment({ id: '1', approved: 'spam' }) +
          comment({ id: '2', approved: 'trash' }) +
          comment({ id: '3', approved: '0' }) +
          comment({ id: '4', type: 'webmention' }) +
          comment({ id: '5', type: 'pingback', approved: 'post-trashed', url: 'https://a.example/' }),
      ) + post(comment({ id: '6', type: 'pingback', url: 'https://b.example/' }), 'photo-1', 'attachment');
    const report = await importWordPress(once(wxr(items)), { store, matcher: site(), comments: true });
    expect(report.skipped).toEqual({ spam: 1, trash: 2, unapproved: 1, 'other-type': 1, 'not-a-post-or-page': 1 });
    expect(report.otherPostTypes).toEqual({ attachment: 1 });
    expect(store.records.size).toBe(0);
  });

  it('older WXR namespaces (1.0) read the same', async () => {
    const store = new MemoryStore();
    const text = wxr(post(comment({ type: 'pingback', url: 'https://a.example/?x=1&y=2' }))).replace('export/1.2/', 'export/1.0/');
    const report = await importWordPress(once(text), { store, matcher: site() });
    expect(report.imported).toEqual({ pingback: 1 });
    expect([...store.records.values()][0]!.source).toBe('https://a.example/?x=1&y=2');
  });
});

describe('a generated export of 20,000 comments', () => {
  it('imports exactly what it holds, streamed from a generator', async () => {
    const shape = { posts: 500, commentsPerPost: 40 };
    const store = new MemoryStore();
    const pages = Array.from({ length: shape.posts }, (_, i) => `/posts/${postSlug(i)}`);
    const report = await importWordPress(() => generateWxr(shape), { store, matcher: new PostMatcher({ pages, posts: [] }), comments: true });
    expect(report.imported).toEqual(expectedCounts(shape));
    expect(report.posts).toMatchObject({ seen: 500, matched: 500, unmatched: 0 });
    expect(store.records.size).toBe(Object.values(expectedCounts(shape)).reduce((a, b) => a + b, 0));
  });
});
