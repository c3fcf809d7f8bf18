import { createHash } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Manifest } from '@pingback/core';
import { FileStore, parseMethodResponse, writeMethodCall } from '@pingback/core';
import { astroBuild } from '../../../test/support/site-build.ts';
import type { LocalBlobs } from '../../../test/support/blobs.ts';
import { startLocalBlobs } from '../../../test/support/blobs.ts';
import { record } from '../../../test/support/store-contract.ts';
import type { TestServer } from '../../../test/support/http.ts';
import { HOSTILE, kindRecords, startPhotoServer } from '../../../test/support/linkback-kinds.ts';
import { launchChromium } from '../../../test/support/browser.ts';
import type { ReaderView } from '../../../test/support/linkbacks-browser.ts';
import { expectReaderBasics, readPost } from '../../../test/support/linkbacks-browser.ts';
import { serveFolder } from '../../../test/support/static-server.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/blog/', import.meta.url));
const out = (name: string) => join(FIXTURE, name);
const page = (dist: string, path: string) => readFile(join(out(dist), path, 'index.html'), 'utf8');

async function treeHashes(dir: string): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else
        hashes[full.slice(dir.length)] = createHash('sha256')
          .update(await readFile(full))
          .digest('hex');
    }
  };
  await walk(dir);
  return hashes;
}

/** Where the seeded avatars live; a real server on loopback, started before the first build. */
let photos: TestServer;
/** Photo URLs for builds that never load them. */
const NO_PHOTOS = 'https://photos.example';

/** The page cache the integration keeps between builds (`cacheDir`, by default under node_modules). */
const pageCache = join(FIXTURE, 'node_modules/.cache/pingback/build-pass.json');

async function seed(photoBase = NO_PHOTOS): Promise<void> {
  await rm(join(FIXTURE, '.pingback'), { recursive: true, force: true });
  await rm(pageCache, { force: true });
  const store = new FileStore(join(FIXTURE, '.pingback/store'));
  // Three forms of one post's URL, one pending and one deleted: the page must show exactly two of these,
  // records from before Webmention (no protocol, no kind: pingback mentions).
  await store.insert(
    record('/posts/hello', 'https://one.example/reply', {
      target: 'https://blog.example/posts/hello/',
      receivedAt: '2026-11-20T10:00:00.000Z',
      title: 'One <em>reply</em>',
    }),
  );
  await store.insert(
    record('/posts/hello', 'https://two.example/reply', {
      target: 'http://blog.example/posts/hello',
      receivedAt: '2026-11-21T10:00:00.000Z',
      author: { name: 'Bob', url: 'javascript:alert(1)' },
    }),
  );
  await store.insert(record('/posts/hello', 'https://three.example/reply', { target: 'https://blog.example/posts/hello/index.html', status: 'pending' }));
  await store.insert(record('/posts/hello', 'https://four.example/reply', { deletedAt: '2026-11-21T00:00:00.000Z', title: '' }));
  // And Webmentions of every kind: two replies (one hostile), two likes, a repost, a bookmark.
  for (const r of kindRecords('/posts/hello', photoBase)) await store.insert(r);
}

const built: string[] = [];
beforeAll(async () => {
  photos = await startPhotoServer();
});
afterAll(async () => {
  await photos?.close();
  for (const dir of built) await rm(out(dir), { recursive: true, force: true });
  await rm(join(FIXTURE, '.netlify'), { recursive: true, force: true });
  await rm(pageCache, { force: true });
});

describe('a real astro build of a blog with the integration', () => {
  let lines: string[];
  beforeAll(async () => {
    await seed(photos.url);
    built.push('dist-main');
    const result = await astroBuild(FIXTURE, { PINGBACK_FIXTURE_OUT: 'dist-main' });
    expect(result.code, result.stderr).toBe(0);
    lines = result.lines;
  }, 120_000);

  it('adds the link element once, in the head, rel before href, on posts only', async () => {
    const tag = '<link rel="pingback" href="https://blog.example/xmlrpc">';
    // Beside it, the Webmention endpoint's (W3C Webmention §3.1.2).
    const webmentionTag = '<link rel="webmention" href="https://blog.example/webmention">';
    for (const path of ['posts/hello', 'posts/older']) {
      const html = await page('dist-main', path);
      expect(html.split(tag).length - 1, path).toBe(1);
      expect(html.indexOf(tag), path).toBeLessThan(html.indexOf('</head>'));
      expect(html.split(webmentionTag).length - 1, path).toBe(1);
      expect(html.indexOf(webmentionTag), path).toBeLessThan(html.indexOf('</head>'));
    }
    // C22: drafts, opted-out and noindex posts, and pages that are not posts, carry none.
    for (const path of ['', 'about', 'tags/news', 'posts/draft', 'posts/quiet', 'posts/secret']) {
      expect(await page('dist-main', path), path || '/').not.toMatch(/rel="(pingback|webmention)"/);
    }
  });

  it('writes the manifest: pingable pages, the outbox of external links, feed and name (C20)', async () => {
    const manifest = JSON.parse(await readFile(join(FIXTURE, '.pingback/manifest.json'), 'utf8')) as Manifest;
    expect(manifest).toEqual({
      version: 1,
      site: 'https://blog.example/',
      endpoint: 'https://blog.example/xmlrpc',
      webmention: 'https://blog.example/webmention',
      advertise: { pingback: true, webmention: true },
      hosts: ['www.blog.example'],
      pages: ['/posts/hello', '/posts/older'],
      posts: [
        {
          source: 'https://blog.example/posts/hello/',
          key: '/posts/hello',
          targets: ['https://other.example/their-post/', 'https://other.example/another/#part-2'],
          hash: expect.stringMatching(/^[0-9a-f]{32}$/),
          contentHash: expect.stringMatching(/^[0-9a-f]{32}$/),
        },
        {
          source: 'https://blog.example/posts/older/',
          key: '/posts/older',
          targets: ['https://papers.example/p/1?ref=blog&lang=en'],
          hash: expect.stringMatching(/^[0-9a-f]{32}$/),
          contentHash: expect.stringMatching(/^[0-9a-f]{32}$/),
        },
      ],
      directories: [],
      feed: 'https://blog.example/rss.xml',
      name: 'Fixture Blog',
      generator: '@pingback/astro@0.1.0',
    });
  });

  it('renders the approved linkbacks of the post, matched by canonical key, escaped, with the counts equal to the lists (R38)', async () => {
    const html = await page('dist-main', 'posts/hello');
    const section = html.slice(html.indexOf('<section class="pingbacks" id="pingbacks"'), html.indexOf('<section class="pingbacks" id="liked-by"'));
    // Replies and mentions in the list, oldest first; the records from before Webmention are mentions.
    expect([...section.matchAll(/<li class="pingback pingback--(\w+) h-cite"/g)].map((m) => m[1])).toEqual([
      'mention',
      'mention',
      'reply',
      'reply',
      'like',
      'like',
      'repost',
      'bookmark',
    ]);
    expect(html).toContain('<span class="pingback-count" data-count="8">8</span>');
    expect(html).toContain(
      '<a class="pingback__source u-url p-name" href="https://one.example/reply" rel="nofollow ugc"><bdi>One &lt;em&gt;reply&lt;/em&gt;</bdi></a>',
    );
    expect(html).toContain('<span class="p-name"><bdi>Bob</bdi></span>');
    // A reply links to its entry's own URL, with its author's photo, lazily and without a Referer.
    expect(section).toContain('<a class="pingback__source u-url p-name" href="https://social.example/@ann/1" rel="nofollow ugc"><bdi>Re: Hello</bdi></a>');
    expect(section).toContain(
      `<img class="pingback__photo u-photo" src="${photos.url}/ann.svg" alt="" width="48" height="48" loading="lazy" decoding="async" referrerpolicy="no-referrer" data-initials="AR">`,
    );
    expect(section).toContain('<h3 id="pingbacks-like-heading" class="pingbacks__group-heading">2 likes</h3><ul class="pingbacks__faces">');
    expect(section).toContain('<h3 id="pingbacks-repost-heading" class="pingbacks__group-heading">1 repost</h3>');
    expect(section).toContain('<h3 id="pingbacks-bookmark-heading" class="pingbacks__group-heading">1 bookmark</h3>');
    expect(html).toContain(
      '<p class="words"><span class="pingback-count" data-count="8">8 pingbacks</span> · <span class="pingback-count" data-count="8">8 replies</span></p>',
    );
    expect(html).toContain(
      '<p class="kinds"><span class="pingback-count" data-count="2" data-kind="like">2 likes</span> · <span class="pingback-count" data-count="4" data-kind="reply mention">4 pingbacks</span> · <span class="pingback-count" data-count="1" data-kind="repost">1</span> · <span class="pingback-count" data-count="8">8 responses</span></p>',
    );
    // <Linkbacks> with one kind and a function child: the child's markup for each like, nothing else.
    expect(html).toContain(
      '<section class="pingbacks" id="liked-by" aria-labelledby="liked-by-heading"><h2 id="liked-by-heading" class="pingbacks__heading">Liked by</h2><ol class="pingbacks__list"><li class="own-like">Cy Like</li><li class="own-like">Bo Broken</li></ol></section>',
    );
    // The optional stylesheet, once, in the head.
    expect(html.indexOf('.pingback__avatar{')).toBeLessThan(html.indexOf('</head>'));
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain(HOSTILE.title);
    expect(html).not.toContain('three.example');
    expect(html).not.toContain('four.example');
    const older = await page('dist-main', 'posts/older');
    expect(older).toContain('<p class="pingbacks__empty">No pingbacks yet.</p>');
    expect(older).toContain('data-count="0"');
    expect(older).toContain('<span class="pingback-count" data-count="0">0 pingbacks</span>');
    expect(older).toContain('<span class="pingback-count" data-count="0" data-kind="like">0 likes</span>');
    expect(older).not.toContain('id="liked-by"');
  });

  it('exposes the same linkbacks as a content collection, with their protocol, kind and photo', async () => {
    const home = await page('dist-main', '');
    expect(home).toContain('id="loader-count">8 pingbacks in the collection');
    // The hostile reply's javascript: photo is dropped from the entry, not passed on.
    expect(home).toContain(
      'id="loader-kinds">pingback/mention, pingback/mention, webmention/bookmark, webmention/like with photo, webmention/like with photo, webmention/reply, webmention/reply with photo, webmention/repost</p>',
    );
  });

  describe('in Chromium, as a reader sees the post', () => {
    let view: ReaderView;
    beforeAll(async () => {
      const site = await serveFolder(() => out('dist-main'));
      const browser = await launchChromium();
      try {
        view = await readPost(browser, `${site.url}/posts/hello/`, photos, { brokenPhoto: 'Bo Broken', loadedPhoto: 'Cy Like' });
      } finally {
        await browser.close();
        await site.close();
      }
    }, 60_000);

    it('replies and mentions in the list, likes, reposts and bookmarks as faces with names, each counted', () => {
      const main = view.sections.pingbacks!;
      expect(main.list.map((i) => i.kind)).toEqual(['mention', 'mention', 'reply', 'reply']);
      expect(main.list[2]!.text).toBe('Re: Hello Ann Reply Nov 22, 2026 Nice post, and a reply to it.');
      expect(main.faces).toEqual([
        { kind: 'like', text: 'Cy Like' },
        { kind: 'like', text: 'Bo Broken' },
        { kind: 'repost', text: 'Dee Repost' },
        { kind: 'bookmark', text: 'Eve Bookmark' },
      ]);
      expect(main.headings).toEqual(['2 likes', '1 repost', '1 bookmark']);
      expect(view.sections['liked-by']!.list.map((i) => i.text)).toEqual(['Cy Like', 'Bo Broken']);
      expect(view.counts).toEqual(['8', '8 pingbacks', '8 replies', '2 likes', '4 pingbacks', '1', '8 responses']);
    });

    it('avatars load lazily without a Referer, a broken one shows initials, and the hostile reply is inert', () => {
      expectReaderBasics(view, photos);
    });
  });

  it('logs one summary line per stage', () => {
    expect(lines).toContain(`read 8 pingbacks, 1 pending moderation from .pingback/store in ${lines.find((l) => l.startsWith('read '))!.split(' in ')[1]}`);
    expect(lines.find((l) => l.startsWith('advertised'))).toMatch(
      /^advertised on 2 pages, 5 posts scanned \(1 noindex, 2 opted out or drafts left alone\), 3 links to other sites, in \d+ ms$/,
    );
    expect(lines).toContain('manifest written to .pingback/manifest.json (2 pingable pages, 2 posts)');
    expect(lines).toContain('dry run: 3 links would be checked and pinged; nothing was sent');
  });

  it('a second build of unchanged input scans no page again and changes no output file', async () => {
    built.push('dist-again');
    const cached = Object.keys((JSON.parse(await readFile(pageCache, 'utf8')) as { pages: Record<string, unknown> }).pages);
    expect(cached).toContain('https://blog.example/posts/hello/');
    const again = await astroBuild(FIXTURE, { PINGBACK_FIXTURE_OUT: 'dist-again' });
    expect(again.code, again.stderr).toBe(0);
    expect(again.lines.find((l) => l.startsWith('advertised'))).toMatch(
      new RegExp(`, 3 links to other sites, in \\d+ ms \\(${cached.length} pages unchanged since the last build, not scanned again\\)$`),
    );
    expect(again.lines).toContain('manifest unchanged at .pingback/manifest.json (2 pingable pages, 2 posts)');
    expect(await treeHashes(out('dist-again'))).toEqual(await treeHashes(out('dist-main')));
  }, 120_000);
});

describe('incremental builds', () => {
  it('restored pages keep one link element; a new pingback re-renders the pages that show pingbacks', async () => {
    await seed();
    built.push('dist-incremental');
    const env = { PINGBACK_FIXTURE_OUT: 'dist-incremental', PINGBACK_FIXTURE_INCREMENTAL: '1' };
    expect((await astroBuild(FIXTURE, env)).code).toBe(0);
    const second = await astroBuild(FIXTURE, env);
    expect(second.code, second.stderr).toBe(0);
    const hello = await page('dist-incremental', 'posts/hello');
    expect(hello.split('rel="pingback"').length - 1).toBe(1);
    expect(hello.match(/<li class="pingback pingback--/g)).toHaveLength(8);

    await new FileStore(join(FIXTURE, '.pingback/store')).insert(
      record('/posts/hello', 'https://five.example/reply', { receivedAt: '2026-11-22T10:00:00.000Z' }),
    );
    const third = await astroBuild(FIXTURE, env);
    expect(third.code, third.stderr).toBe(0);
    const updated = await page('dist-incremental', 'posts/hello');
    expect(updated.match(/<li class="pingback pingback--/g)).toHaveLength(9);
    expect(updated).toContain('data-count="9"');
    expect(updated.split('rel="pingback"').length - 1).toBe(1);
  }, 180_000);
});

describe('building for Netlify', () => {
  it("emits a Function that answers a Request, and keeps the adapter's config across rebuilds", async () => {
    await seed();
    built.push('dist-netlify');
    const env = {
      PINGBACK_FIXTURE_OUT: 'dist-netlify',
      PINGBACK_FIXTURE_NETLIFY: '1',
      NETLIFY: 'true',
      PINGBACK_FIXTURE_OPTIONS: JSON.stringify({ readFrom: 'store' }),
    };
    for (let i = 0; i < 2; i++) {
      const result = await astroBuild(FIXTURE, env);
      expect(result.code, result.stderr).toBe(0);
      expect(result.lines).toContain('Netlify Function emitted to .netlify/v1/functions/pingback.mjs; X-Pingback and Link: rel="webmention" on 2 header rules');
      expect(result.lines).toContain('3 links queued: the Function sends them when the deploy is live');
    }
    const config = JSON.parse(await readFile(join(FIXTURE, '.netlify/v1/config.json'), 'utf8'));
    expect(config.headers).toEqual([
      { for: '/_astro/*', values: { 'Cache-Control': 'public, max-age=31536000, immutable' } },
      { for: '/posts/hello', values: { 'X-Pingback': 'https://blog.example/xmlrpc', Link: '<https://blog.example/webmention>; rel="webmention"' } },
      { for: '/posts/older', values: { 'X-Pingback': 'https://blog.example/xmlrpc', Link: '<https://blog.example/webmention>; rel="webmention"' } },
    ]);

    // What Netlify gives the Function: access to the site's Blobs (here Netlify's local Blobs server).
    const blobs: LocalBlobs = await startLocalBlobs();
    process.env.NETLIFY_BLOBS_CONTEXT = blobs.context;
    onTestFinished(async () => {
      delete process.env.NETLIFY_BLOBS_CONTEXT;
      await blobs.stop();
    });
    const fn = (await import(join(FIXTURE, '.netlify/v1/functions/pingback.mjs'))) as {
      default: { fetch(r: Request, c?: object): Promise<Response> };
      config: { path: string[] };
    };
    expect(fn.config.path).toEqual(['/xmlrpc', '/webmention', '/pingbacks.json', '/pingback/admin', '/pingback/admin/*']);
    const get = await fn.default.fetch(new Request('https://blog.example/xmlrpc'));
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    const call = (body: string) => fn.default.fetch(new Request('https://blog.example/xmlrpc', { method: 'POST', body }), { ip: '192.0.2.1' });
    const methods = parseMethodResponse(new Uint8Array(await (await call(writeMethodCall('system.listMethods', []))).arrayBuffer()));
    expect(methods).toEqual({ kind: 'result', value: ['pingback.ping', 'pingback.extensions.getPingbacks', 'system.listMethods'] });
    const refused = parseMethodResponse(
      new Uint8Array(await (await call(writeMethodCall('pingback.ping', ['https://other.example/x', 'https://blog.example/about/']))).arrayBuffer()),
    );
    expect(refused).toMatchObject({ kind: 'fault', faultCode: 33 });
  }, 180_000);
});

describe('options', () => {
  it.each([
    [{ send: 'sometimes' }, /\[@pingback\/astro\] option `send` must be one of "after-deploy", "build", "off", got "sometimes"/],
    [{ advertize: 'all' }, /\[@pingback\/astro\] option `advertize` is not a known option\. Did you mean `advertise`\?/],
    [{ content: 'article >' }, /\[@pingback\/astro\] option `content` is not a selector this suite can match/],
    [{ hosts: ['ok.example', 'not a host'] }, /option `hosts\[1\]` has an entry that is not a host/],
  ])(
    '%j fails the config with a message naming the option',
    async (options, message) => {
      const result = await astroBuild(FIXTURE, { PINGBACK_FIXTURE_OUT: 'dist-bad', PINGBACK_FIXTURE_OPTIONS: JSON.stringify(options) });
      expect(result.code).not.toBe(0);
      expect(`${result.stdout}${result.stderr}`).toMatch(message);
    },
    60_000,
  );

  it("warns, naming the option and some of the site's pages, when `posts` matches none of them", async () => {
    built.push('dist-no-posts');
    const result = await astroBuild(FIXTURE, { PINGBACK_FIXTURE_OUT: 'dist-no-posts', PINGBACK_FIXTURE_OPTIONS: JSON.stringify({ posts: ['/articles/**'] }) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.lines).toContain(
      '`posts` (["/articles/**"]) matched none of the site\'s 8 pages, so no post was scanned: nothing is advertised, pinged or announced. The site\'s pages include /posts/draft/, /posts/hello/, /posts/older/, /posts/quiet/, /posts/secret/, …; set `posts` to match its posts, e.g. posts: ["/posts/**"]',
    );
    // The default matches, and says nothing.
    expect((await astroBuild(FIXTURE, { PINGBACK_FIXTURE_OUT: 'dist-no-posts' })).lines.join('\n')).not.toMatch(/matched none/);
  }, 60_000);

  it.each([
    [{ props: { kind: 'like' } }, /\[@pingback\/astro\] <Pingbacks>: option `kind` is not a known option\. Did you mean `kinds`\?/],
    [
      { props: { kinds: ['likes'] } },
      /\[@pingback\/astro\] <Pingbacks>: option `kinds` has "likes", which is not a kind\. Write one of "reply", "mention", "like", "repost", "bookmark"/,
    ],
    [{ count: true, props: { kind: 'likes' } }, /\[@pingback\/astro\] <PingbackCount>: option `kind` has "likes", which is not a kind/],
  ])(
    'a component with a bad prop (%j) stops the build, naming the prop',
    async (bad, message) => {
      built.push('dist-bad');
      const result = await astroBuild(FIXTURE, { PINGBACK_FIXTURE_OUT: 'dist-bad', PINGBACK_FIXTURE_BAD_PROPS: JSON.stringify(bad) });
      expect(result.code).not.toBe(0);
      expect(`${result.stdout}${result.stderr}`).toMatch(message);
    },
    60_000,
  );

  it('asks for `site` when it is missing', async () => {
    const result = await astroBuild(FIXTURE, { PINGBACK_FIXTURE_OUT: 'dist-bad', PINGBACK_FIXTURE_NO_SITE: '1' });
    expect(result.code).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toMatch(
      /option `site` is not set: pingbacks need the absolute URL of the site\. Set `site` in astro\.config\.mjs/,
    );
  }, 60_000);
});
