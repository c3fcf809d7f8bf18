import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Manifest } from '@pingback/core';
import { FileStore, parseMethodResponse, writeMethodCall } from '@pingback/core';
import { PostgresStore } from '@pingback/postgres';
import { startLocalBlobs } from '../../../test/support/blobs.ts';
import type { TestServer } from '../../../test/support/http.ts';
import type { TargetSite } from '../../../test/support/pingback-target.ts';
import { startTargetSite } from '../../../test/support/pingback-target.ts';
import { runUntil, siteBuild } from '../../../test/support/site-build.ts';
import { startPostgres } from '../../../test/support/postgres.ts';
import { serveFolder } from '../../../test/support/static-server.ts';
import { record } from '../../../test/support/store-contract.ts';
import { HOSTILE, kindRecords, startPhotoServer } from '../../../test/support/linkback-kinds.ts';
import { launchChromium } from '../../../test/support/browser.ts';
import type { ReaderView } from '../../../test/support/linkbacks-browser.ts';
import { expectReaderBasics, readPost } from '../../../test/support/linkbacks-browser.ts';
import { templateFacts } from '../src/front-matter.ts';
import { ELEVENTY_COMPATIBILITY, VERSION } from '../src/version.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/blog/', import.meta.url));
const read = (dist: string, path: string) => readFile(join(FIXTURE, dist, path, 'index.html'), 'utf8');
const manifestPath = join(FIXTURE, '.pingback/manifest.json');
const outs = new Set<string>();

/** Where the seeded avatars live: a real server on loopback, started before the first build. */
let photos: TestServer;

/** The page cache the plugin keeps between full builds (`cacheDir`, by default under node_modules). */
const pageCache = join(FIXTURE, 'node_modules/.cache/pingback/build-pass.json');

async function seed(photoBase = 'https://photos.example'): Promise<void> {
  await rm(join(FIXTURE, '.pingback'), { recursive: true, force: true });
  await rm(pageCache, { force: true });
  const store = new FileStore(join(FIXTURE, '.pingback/store'));
  // Webmentions of every kind on the Nunjucks post, beside the pingbacks from before (mentions).
  for (const r of kindRecords('/posts/hello', photoBase)) await store.insert(r);
  await store.insert(
    record('/posts/hello', 'https://one.example/reply', {
      target: 'https://blog.example/posts/hello/',
      receivedAt: '2026-11-20T10:00:00.000Z',
      title: 'One <em>reply</em>',
    }),
  );
  await store.insert(
    record('/posts/hello', 'https://two.example/reply', { target: 'http://blog.example/posts/hello', receivedAt: '2026-11-21T10:00:00.000Z' }),
  );
  await store.insert(record('/posts/hello', 'https://three.example/reply', { status: 'pending' }));
  await store.insert(record('/posts/older', 'https://four.example/reply', { target: 'https://www.blog.example/posts/older/index.html' }));
  await store.insert(record('/posts/webc-post', 'https://five.example/reply', { title: 'A <b>WebC</b> reply' }));
}

const build = (out: string, env: Record<string, string> = {}, args: string[] = []) => {
  outs.add(out);
  return siteBuild('eleventy', FIXTURE, { PINGBACK_FIXTURE_OUT: out, ...env }, args);
};

beforeAll(async () => {
  photos = await startPhotoServer();
});
afterAll(async () => {
  await photos?.close();
  for (const out of outs) await rm(join(FIXTURE, out), { recursive: true, force: true });
  await rm(join(FIXTURE, '.pingback'), { recursive: true, force: true });
  await rm(join(FIXTURE, '.netlify'), { recursive: true, force: true });
  await rm(pageCache, { force: true });
});

it('declares its version and the Eleventy versions it supports', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect([pkg.version, pkg['11ty'].compatibility]).toEqual([VERSION, ELEVENTY_COMPATIBILITY]);
});

it('reads the front matter that makes a post take pingbacks only, and nothing else for it', () => {
  expect(templateFacts({ advertise: { webmention: false } })).toMatchObject({ pingbackOnly: true });
  for (const advertise of [undefined, { webmention: true }, { pingback: false }, 'pingback', null])
    expect(templateFacts({ advertise }).pingbackOnly, JSON.stringify(advertise)).toBeUndefined();
  // A page that opts out altogether stays out: the opt-out decides, whatever `advertise` says.
  expect(templateFacts({ pingback: false, advertise: { webmention: false } })).toMatchObject({ exclusion: 'opt-out' });
});

describe('a real Eleventy build of a blog with the plugin', () => {
  let lines: string[];
  beforeAll(async () => {
    await seed(photos.url);
    const result = await build('_site-main');
    expect(result.code, result.stderr).toBe(0);
    lines = result.lines;
  }, 60_000);

  it('injects the link element once, before </head>, on posts only, whatever the template language', async () => {
    const tag = '<link rel="pingback" href="https://blog.example/xmlrpc">';
    // Beside it, the Webmention endpoint's (W3C Webmention §3.1.2).
    const webmentionTag = '<link rel="webmention" href="https://blog.example/webmention">';
    for (const path of ['posts/hello', 'posts/older', 'posts/js-post', 'posts/webc-post']) {
      const html = await read('_site-main', path);
      expect(html.split(tag).length - 1, path).toBe(1);
      expect(html.indexOf(tag), path).toBeLessThan(html.indexOf('</head>'));
      expect(html.split(webmentionTag).length - 1, path).toBe(1);
      expect(html.indexOf(webmentionTag), path).toBeLessThan(html.indexOf('</head>'));
    }
    for (const path of ['', 'about', 'posts/draft', 'posts/quiet', 'posts/hidden']) {
      expect(await read('_site-main', path), path || '/').not.toMatch(/rel="(pingback|webmention)"/);
    }
  });

  it('writes the manifest: posts by tag, front matter opt-outs honoured, external links only', async () => {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
    expect(manifest.pages).toEqual(['/posts/hello', '/posts/js-post', '/posts/older', '/posts/webc-post']);
    expect(manifest.posts.map((p) => [p.key, p.targets])).toEqual([
      ['/posts/hello', ['https://other.example/their-post/', 'https://other.example/another/#part-2']],
      ['/posts/js-post', ['https://other.example/js-target/']],
      ['/posts/older', ['https://papers.example/p/1?ref=blog&lang=en']],
      ['/posts/webc-post', ['https://other.example/webc-target/']],
    ]);
    expect(manifest).toMatchObject({
      site: 'https://blog.example/',
      hosts: ['www.blog.example'],
      feed: 'https://blog.example/feed.xml',
      name: 'Fixture Blog',
      generator: '@pingback/eleventy@0.1.0',
    });
  });

  it('renders the shortcode and filters in Nunjucks, Liquid, JavaScript and WebC, counts equal to the lists', async () => {
    // What the shortcode (or the pingbacksHtml filter) printed itself, apart from the fixture's own loop.
    const section = (html: string, id = 'pingbacks') => {
      const start = html.indexOf(`<section class="pingbacks" id="${id}"`);
      expect(start, id).toBeGreaterThanOrEqual(0);
      expect(html.indexOf(`<section class="pingbacks" id="${id}"`, start + 1), id).toBe(-1);
      // Sections nest (a group of faces is one): the section ends where its depth comes back to zero.
      let depth = 0;
      for (const m of html.slice(start).matchAll(/<section\b|<\/section>/g)) {
        depth += m[0] === '</section>' ? -1 : 1;
        if (depth === 0) return html.slice(start, start + m.index + m[0].length);
      }
      throw new Error(`unclosed section ${id}`);
    };
    const kinds = (html: string) => [...html.matchAll(/<li class="pingback pingback--(\w+) h-cite"/g)].map((m) => m[1]);
    const webc = await read('_site-main', 'posts/webc-post');
    expect(webc).toContain('<p class="count">1 pingback</p>');
    expect(webc).toContain('<ul class="titles"><li>A &lt;b&gt;WebC&lt;/b&gt; reply</li></ul>');
    expect(kinds(section(webc))).toEqual(['mention']);
    expect(section(webc)).toContain('rel="nofollow ugc"><bdi>A &lt;b&gt;WebC&lt;/b&gt; reply</bdi></a>');
    const hello = await read('_site-main', 'posts/hello');
    const list = section(hello);
    expect(kinds(list)).toEqual(['mention', 'mention', 'reply', 'reply', 'like', 'like', 'repost', 'bookmark']);
    expect(list).toContain('<h3 id="pingbacks-heading" class="pingbacks__heading">Replies</h3>');
    expect(list).toContain(
      '<a class="pingback__source u-url p-name" href="https://one.example/reply" rel="nofollow ugc"><bdi>One &lt;em&gt;reply&lt;/em&gt;</bdi></a>',
    );
    expect(list).toContain(
      '<span class="pingback__author p-author h-card"><span class="pingback__avatar"><span class="pingback__initials" aria-hidden="true" hidden>AA</span></span><a class="p-name u-url" href="https://ann.example/" rel="nofollow ugc"><bdi>Ann Author</bdi></a></span>',
    );
    // A reply links to its entry's own URL; faces under counted headings one level below the section's.
    expect(list).toContain('<a class="pingback__source u-url p-name" href="https://social.example/@ann/1" rel="nofollow ugc"><bdi>Re: Hello</bdi></a>');
    expect(list).toContain(
      `<img class="pingback__photo u-photo" src="${photos.url}/cy.svg" alt="" width="48" height="48" loading="lazy" decoding="async" referrerpolicy="no-referrer" data-initials="CL">`,
    );
    expect(list).toContain('<h4 id="pingbacks-like-heading" class="pingbacks__group-heading">2 likes</h4><ul class="pingbacks__faces">');
    expect(hello).not.toContain('<em>reply');
    expect(hello).not.toContain('javascript:');
    expect(hello).not.toContain(HOSTILE.title);
    expect(hello).toContain('<p class="count">8 pingbacks</p><p class="count-html"><span class="pingback-count" data-count="8">8 replies</span></p>');
    expect(hello).toContain(
      '<p class="kinds">2 · 2 likes · <span class="pingback-count" data-count="4" data-kind="reply mention">4 pingbacks</span> · 8 responses · 2</p>',
    );
    expect(hello).toContain(
      `<ul class="titles"><li>One &lt;em&gt;reply&lt;/em&gt;</li><li>Title of https://two.example/reply</li><li>Re: Hello</li><li></li><li></li><li></li><li>Hello</li><li>${HOSTILE.title.replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')}</li></ul>`,
    );
    // The protocol-neutral shortcode with kinds, no heading and initials only; the filter with a kind.
    const reactions = section(hello, 'reactions');
    expect(
      reactions.startsWith(
        '<section class="pingbacks" id="reactions"><section class="pingbacks__group pingbacks__group--like" aria-labelledby="reactions-like-heading"><h2 id="reactions-like-heading" class="pingbacks__group-heading">2 likes</h2>',
      ),
    ).toBe(true);
    expect(kinds(reactions)).toEqual(['like', 'like', 'repost']);
    expect(reactions).not.toContain('<img');
    expect(hello).toContain('<ul class="likers"><li>Cy Like</li><li>Bo Broken</li></ul>');
    // The optional stylesheet, in the head.
    expect(hello.indexOf('.pingback__avatar{')).toBeLessThan(hello.indexOf('</head>'));
    const older = await read('_site-main', 'posts/older');
    expect(older).toContain('<p class="count">1 pingback</p><p class="kinds">0 likes · 1</p>');
    expect(kinds(section(older))).toEqual(['mention']);
    const js = await read('_site-main', 'posts/js-post');
    expect(js).toContain('<p class="count">0 pingbacks</p>');
    expect(js).toContain('<section class="pingbacks" id="pingbacks"><p class="pingbacks__empty">No pingbacks yet.</p></section>');
    expect(await read('_site-main', '')).toContain('<p id="total">10 pingbacks in all</p>');
  });

  describe('in Chromium, as a reader sees the post', () => {
    let view: ReaderView;
    beforeAll(async () => {
      const site = await serveFolder(() => join(FIXTURE, '_site-main'));
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
      expect(main.faces.map((f) => [f.kind, f.text])).toEqual([
        ['like', 'Cy Like'],
        ['like', 'Bo Broken'],
        ['repost', 'Dee Repost'],
        ['bookmark', 'Eve Bookmark'],
      ]);
      expect(main.headings).toEqual(['2 likes', '1 repost', '1 bookmark']);
      expect(view.sections.reactions!.faces.map((f) => f.text)).toEqual(['Cy Like', 'Bo Broken', 'Dee Repost']);
      expect(view.counts).toEqual(['8 replies', '4 pingbacks']);
    });

    it('avatars load lazily without a Referer, a broken one shows initials, and the hostile reply is inert', () => {
      expectReaderBasics(view, photos);
    });
  });

  it('logs the same summary lines as the Astro integration', () => {
    expect(lines.find((l) => l.startsWith('read '))).toMatch(/^read 10 pingbacks, 1 pending moderation from \.pingback\/store in \d+ ms$/);
    expect(lines.find((l) => l.startsWith('advertised'))).toMatch(
      /^advertised on 4 pages, 7 posts scanned \(1 noindex, 2 opted out or drafts left alone\), 5 links to other sites, in \d+ ms$/,
    );
    expect(lines).toContain('manifest written to .pingback/manifest.json (4 pingable pages, 4 posts)');
    expect(lines).toContain('dry run: 5 links would be checked and pinged; nothing was sent');
  });

  it('a rebuild of the unchanged site scans no page again, and writes the same pages and the same manifest', async () => {
    const paths = ['', 'about', 'posts/hello', 'posts/older', 'posts/js-post', 'posts/webc-post', 'posts/draft', 'posts/quiet', 'posts/hidden'];
    const pages = await Promise.all(paths.map((p) => read('_site-main', p)));
    const manifest = await readFile(manifestPath, 'utf8');
    const cached = JSON.parse(await readFile(pageCache, 'utf8')) as { pages: Record<string, unknown> };
    expect(Object.keys(cached.pages)).toContain('https://blog.example/posts/hello/');
    const result = await build('_site-main');
    expect(result.code, result.stderr).toBe(0);
    const pass = result.lines.find((l) => l.startsWith('advertised'));
    expect(pass).toMatch(/, 5 links to other sites, in \d+ ms \((\d+) pages unchanged since the last build, not scanned again\)$/);
    expect(Number(/\((\d+) pages unchanged/.exec(pass!)![1])).toBe(Object.keys(cached.pages).length);
    expect(await Promise.all(paths.map((p) => read('_site-main', p)))).toEqual(pages);
    expect(await readFile(manifestPath, 'utf8')).toBe(manifest);
    expect(result.lines).toContain('manifest unchanged at .pingback/manifest.json (4 pingable pages, 4 posts)');
  });

  it('an in-memory build (--to=json) renders the same lists and writes no manifest', async () => {
    await rm(manifestPath, { force: true });
    const result = await build('_site-json', { PINGBACK_FIXTURE_NO_JS: '1' }, ['--to=json']);
    expect(result.code, result.stderr).toBe(0);
    const pages = JSON.parse(result.stdout.slice(result.stdout.indexOf('['))) as { url: string; content: string }[];
    expect(pages.find((p) => p.url === '/posts/hello/')!.content.match(/<li class="pingback pingback--/g)).toHaveLength(8 + 3);
    expect(existsSync(manifestPath)).toBe(false);
  }, 60_000);
});

describe('only a full build writes the manifest and sends', () => {
  let target: TargetSite;
  let site: TestServer;
  beforeAll(async () => {
    target = await startTargetSite();
    site = await serveFolder(() => join(FIXTURE, '_site-send'));
  });
  afterAll(() => Promise.all([target.close(), site.close()]));

  const sendEnv = () => ({
    PINGBACK_SITE: `${site.url}/`,
    PINGBACK_TARGET: target.url,
    PINGBACK_FIXTURE_OPTIONS: JSON.stringify({ send: 'build', dryRun: false, skipHosts: ['papers.example'], allowPrivateNetwork: true }),
  });

  it.each([
    ['--watch', /Watching…|Watching/],
    ['--serve', /Server at|Watching/],
  ])(
    '%s advertises but writes no manifest and sends nothing',
    async (flag, ready) => {
      await seed();
      outs.add('_site-send');
      const result = await runUntil(
        'eleventy',
        FIXTURE,
        [flag, '--port=0'].filter((a) => flag === '--serve' || a !== '--port=0'),
        ready,
        { ...sendEnv(), PINGBACK_FIXTURE_OUT: '_site-send' },
      );
      expect(result.lines.join('\n')).toMatch(/(watch|serve) build: advertised on 4 pages; no manifest written and nothing sent/);
      expect(existsSync(manifestPath)).toBe(false);
      expect(target.requests).toHaveLength(0);
    },
    90_000,
  );

  it('--incremental sends nothing either', async () => {
    await seed();
    const result = await build('_site-send', sendEnv(), ['--incremental']);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(manifestPath)).toBe(false);
    expect(target.requests).toHaveLength(0);
  }, 60_000);

  it('a full build in send mode "build" pings the live posts\' links, once', async () => {
    await seed();
    const result = await build('_site-send', sendEnv());
    expect(result.code, result.stderr).toBe(0);
    expect(target.pings.map(([s, t]) => `${new URL(s).pathname} → ${new URL(t).pathname}`).sort()).toEqual([
      '/posts/hello/ → /another/',
      '/posts/hello/ → /their-post/',
      '/posts/js-post/ → /js-target/',
      '/posts/webc-post/ → /webc-target/',
    ]);
    expect(result.lines.find((l) => l.startsWith('pings'))).toMatch(
      /^pings \(build\): 4 registered, 0 already done, 0 refused, 0 retryable, 0 no endpoint, 0 queued, in/,
    );
    const again = await build('_site-send', sendEnv());
    expect(again.lines.find((l) => l.startsWith('pings'))).toMatch(/^pings \(build\): 0 registered.*4 skipped/);
    expect(target.pings).toHaveLength(4);
  }, 90_000);
});

const ASTRO_FIXTURE_MODULES = fileURLToPath(new URL('../../astro/test/fixtures/blog/node_modules/', import.meta.url));

/** A small Astro site at blog.example with @pingback/astro, built for Netlify in a folder of its own. */
async function astroProjectOnNetlify(options: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pingback-astro-twin-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'node_modules/@pingback'), { recursive: true });
  await mkdir(join(dir, 'src/pages/posts'), { recursive: true });
  await symlink(await realpath(join(ASTRO_FIXTURE_MODULES, 'astro')), join(dir, 'node_modules/astro'), 'dir');
  for (const name of ['astro', 'netlify'])
    await symlink(await realpath(join(ASTRO_FIXTURE_MODULES, '@pingback', name)), join(dir, 'node_modules/@pingback', name), 'dir');
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'astro-twin', private: true, type: 'module' }));
  await writeFile(
    join(dir, 'astro.config.mjs'),
    `import pingback from '@pingback/astro';\nexport default { site: 'https://blog.example', integrations: [pingback(${JSON.stringify(options)})] };\n`,
  );
  await writeFile(
    join(dir, 'src/pages/posts/hello.astro'),
    '<html><head><title>Hello</title></head><body><article><a href="https://other.example/x/">x</a></article></body></html>\n',
  );
  const result = await siteBuild('astro', dir, { NETLIFY: 'true' });
  expect(result.code, result.stderr).toBe(0);
  expect(result.lines.find((l) => l.startsWith('Netlify Function emitted'))).toMatch(/^Netlify Function emitted to \.netlify\/v1\/functions\/pingback\.mjs/);
  return dir;
}

describe('building for Netlify', () => {
  it('emits the same Function as the Astro integration would, from the same template, and it answers', async () => {
    await seed();
    const result = await build('_site-netlify', { NETLIFY: 'true', PINGBACK_FIXTURE_OPTIONS: JSON.stringify({ readFrom: 'store' }) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.lines).toContain('Netlify Function emitted to .netlify/v1/functions/pingback.mjs; X-Pingback and Link: rel="webmention" on 4 header rules');
    const file = join(FIXTURE, '.netlify/v1/functions/pingback.mjs');
    // What a real `astro build` with @pingback/astro emits for the same options, on Netlify.
    const astro = await astroProjectOnNetlify({ hosts: ['www.blog.example'], directories: [], readFrom: 'store' });
    for (const name of ['pingback.mjs', 'pingback-send-background.mjs']) {
      expect(await readFile(join(FIXTURE, '.netlify/v1/functions', name), 'utf8'), name).toBe(
        await readFile(join(astro, '.netlify/v1/functions', name), 'utf8'),
      );
    }

    const blobs = await startLocalBlobs();
    process.env.NETLIFY_BLOBS_CONTEXT = blobs.context;
    onTestFinished(async () => {
      delete process.env.NETLIFY_BLOBS_CONTEXT;
      await blobs.stop();
    });
    const fn = (await import(file)) as { default: { fetch(r: Request, c?: object): Promise<Response> } };
    const reply = await fn.default.fetch(
      new Request('https://blog.example/xmlrpc', {
        method: 'POST',
        body: writeMethodCall('pingback.ping', ['https://x.example/', 'https://blog.example/posts/draft/']),
      }),
    );
    expect(parseMethodResponse(new Uint8Array(await reply.arrayBuffer()))).toMatchObject({ kind: 'fault', faultCode: 33 });
  }, 120_000);
});

describe('reading from PostgreSQL at build time', () => {
  it('reads the database PINGBACK_DATABASE_URL names, renders the same lists, and ships a Function that keeps them there', async () => {
    await seed();
    const postgres = await startPostgres();
    const url = postgres.urlFor('eleventy_build');
    const db = new PostgresStore({ url });
    onTestFinished(async () => {
      await db.close();
      await postgres.stop();
    });
    for (const r of await new FileStore(join(FIXTURE, '.pingback/store')).list()) await db.insert(r);
    await rm(join(FIXTURE, '.pingback/store'), { recursive: true, force: true });
    const result = await build('_site-postgres', { PINGBACK_DATABASE_URL: url, NETLIFY: 'true', PINGBACK_FIXTURE_OPTIONS: JSON.stringify({ database: true }) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.lines.find((l) => l.startsWith('read '))).toBe(
      `read 10 pingbacks, 1 pending moderation from ${url} in ${result.lines
        .find((l) => l.startsWith('read '))!
        .split(' in ')
        .pop()}`,
    );
    const hello = await read('_site-postgres', 'posts/hello');
    // The same items as from the file store: the main list (8) and the reactions shortcode (3).
    expect([...hello.matchAll(/<li class="pingback pingback--\w+ h-cite"/g)]).toHaveLength(11);
    expect(await read('_site-postgres', '')).toContain('<p id="total">10 pingbacks in all</p>');
    expect(await readFile(join(FIXTURE, '.netlify/v1/functions/pingback.mjs'), 'utf8')).toContain('"database": true');
  }, 60_000);
});

describe('options', () => {
  it.each([
    [{ send: 'sometimes' }, /\[@pingback\/eleventy\] option `send` must be one of "after-deploy", "build", "off"/],
    [{ postTag: ['posts'] }, /\[@pingback\/eleventy\] option `postTag` is not a known option\. Did you mean `postTags`\?/],
    [{ dataKey: 'not a key' }, /\[@pingback\/eleventy\] option `dataKey` must be a valid identifier/],
    [{ posts: 42 }, /\[@pingback\/eleventy\] option `posts` must be globs or a function/],
  ])(
    '%j stops the build with a message naming the option',
    async (options, message) => {
      const result = await build('_site-bad', { PINGBACK_FIXTURE_OPTIONS: JSON.stringify(options) });
      expect(result.code).not.toBe(0);
      expect(`${result.stdout}${result.stderr}`).toMatch(message);
    },
    60_000,
  );

  it("warns, naming the options and some of the site's pages, when `posts` and `postTags` match none of them", async () => {
    const result = await build('_site-no-posts', { PINGBACK_FIXTURE_OPTIONS: JSON.stringify({ posts: ['/articles/**'], postTags: [] }) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.lines.join('\n')).toContain(
      '`posts` (["/articles/**"]) with `postTags` ([]) matched none of the site\'s 9 pages, so no post was scanned: nothing is advertised, pinged or announced. The site\'s pages include /posts/draft/, /posts/hello/, /posts/hidden/, /posts/js-post/, /posts/older/, …; set `posts` to match its posts, e.g. posts: ["/posts/**"]',
    );
  }, 60_000);

  it.each([
    [{ shortcode: { kind: 'like' } }, /\[@pingback\/eleventy\] pingbacks shortcode: option `kind` is not a known option\. Did you mean `kinds`\?/],
    [
      { shortcode: { kinds: ['like', 'likes'] } },
      /\[@pingback\/eleventy\] pingbacks shortcode: option `kinds` has "likes", which is not a kind\. Write one of "reply", "mention", "like", "repost", "bookmark"/,
    ],
    [
      { shortcode: { headings: { like: 3 } } },
      /\[@pingback\/eleventy\] pingbacks shortcode: option `headings\.like` must be text, words to count in or false, got 3/,
    ],
    [{ count: 'likes' }, /\[@pingback\/eleventy\] pingbackCountText filter: option `kind` has "likes", which is not a kind/],
    [
      { count: { kinds: 'like' } },
      /\[@pingback\/eleventy\] pingbackCountText filter: option `kinds` is not a known option\. Known options: kind, words, locale\./,
    ],
  ])(
    'a template passing %j stops the build, naming the shortcode or filter and the option',
    async (bad, message) => {
      const result = await build('_site-bad', { PINGBACK_FIXTURE_BAD_ARGS: JSON.stringify(bad) });
      expect(result.code).not.toBe(0);
      expect(`${result.stdout}${result.stderr}`).toMatch(message);
    },
    60_000,
  );

  it('asks for the site URL', async () => {
    const result = await build('_site-bad', { PINGBACK_SITE: '' });
    expect(result.code).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toMatch(/option `site` is not set: pingbacks need the absolute URL of the site\. Pass it to the plugin/);
  }, 60_000);
});
