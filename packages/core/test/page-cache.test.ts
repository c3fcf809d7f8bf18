import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildManifest } from '../src/build/manifest-builder.ts';
import type { IntegrationOptions } from '../src/build/options.ts';
import { resolveIntegrationOptions } from '../src/build/options.ts';
import { PAGE_CACHE_FILE, PageCache } from '../src/build/page-cache.ts';
import type { PageResult } from '../src/build/page-pass.ts';
import { keptPage, pageInfo, passSettings, processPage } from '../src/build/page-pass.ts';
import type { PageInfo } from '../src/build/post-match.ts';

const SITE = new URL('https://blog.example/');
const context = { site: SITE, siteHint: '', dryRunByDefault: true, onNetlify: false };

const post = (n: number, extra = '') =>
  `<!doctype html><html><head><title>Post ${n} &amp; more</title><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body><aside class="extra"><a href="https://aside.example/x/">aside</a></aside><article class="h-entry"><div class="e-content"><p>See <a href="https://other.example/posts/${n}/">this</a>, <a href="https://other.example/posts/${n}/#c">again</a> and <a href="/posts/${n + 1}/">the next</a>.${extra}</p></div></article></body></html>`;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'page-cache-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** One full build's pass over `pages` (path → html), the page cache opened before and saved after, as the integrations do. */
async function pass(pages: Record<string, string>, options: IntegrationOptions = {}, extra: (path: string) => Partial<PageInfo> = () => ({})) {
  const resolved = resolveIntegrationOptions(options, context);
  const settings = passSettings(resolved);
  const cache = await PageCache.open(resolved, root);
  const full: PageResult[] = [];
  const kept: PageResult[] = [];
  for (const [path, html] of Object.entries(pages)) {
    const result = processPage(html, { ...pageInfo(SITE, path), ...extra(path) }, settings, cache);
    full.push(result);
    const k = keptPage(result);
    cache.keep(k);
    kept.push(k);
  }
  await cache.save();
  const manifest = buildManifest(kept, {
    site: SITE,
    endpoint: resolved.endpoint,
    hosts: [],
    directories: [],
    feed: undefined,
    name: undefined,
    generator: 'test',
  });
  return { full, kept, manifest, file: join(root, resolved.cacheDir, PAGE_CACHE_FILE) };
}

/** A result without what says where it came from: what the rest of the build sees of it. */
const seen = ({ cached: _cached, fingerprint: _fingerprint, ...rest }: PageResult) => rest;

describe('the page cache: a rebuilt page that did not change is not scanned again', () => {
  it('gives an unchanged page the same result, the same page text out and the same manifest, from the cache', async () => {
    const pages = {
      '/': '<!doctype html><html><head></head><body><a href="https://x.example/a">x</a></body></html>',
      '/posts/1/': post(1),
      '/posts/2/': post(2),
    };
    const first = await pass(pages);
    expect(first.full.map((r) => r.cached)).toEqual([false, false, false]);
    const second = await pass(pages);
    expect(second.full.map((r) => r.cached)).toEqual([true, true, true]);
    expect(second.full.map((r) => r.html)).toEqual(first.full.map((r) => r.html));
    expect(second.kept.map(seen)).toEqual(first.kept.map(seen));
    expect(second.manifest).toEqual(first.manifest);
    expect(second.full[1]!.targets).toEqual(['https://other.example/posts/1/']);
    expect(second.full[1]!.html).toContain(
      '<link rel="pingback" href="https://blog.example/xmlrpc"><link rel="webmention" href="https://blog.example/webmention"></head>',
    );
  });

  it('scans a page whose text changed, even by one character, and keeps its new result', async () => {
    const first = await pass({ '/posts/1/': post(1) });
    const edited = await pass({ '/posts/1/': post(1, ' <a href="https://new.example/p/">new</a>') });
    expect(edited.full[0]!.cached).toBe(false);
    expect(edited.full[0]!.targets).toEqual(['https://other.example/posts/1/', 'https://new.example/p/']);
    expect(edited.full[0]!.contentHash).not.toBe(first.full[0]!.contentHash);
    const again = await pass({ '/posts/1/': post(1, ' <a href="https://new.example/p/">new</a>') });
    expect(again.full[0]).toMatchObject({ cached: true, targets: edited.full[0]!.targets, contentHash: edited.full[0]!.contentHash });
  });

  it('tells apart texts of the same length and texts that differ only past ASCII', async () => {
    const cache = await PageCache.open(resolveIntegrationOptions({}, context), root);
    const texts = [post(1), post(2), post(1).replace('Post', 'Tsop'), `${post(1)} `, post(1, ' é'), post(1, ' è'), post(1, ' 😀'), ''];
    const prints = texts.map((t) => cache.fingerprint(t));
    expect(new Set(prints).size).toBe(texts.length);
    expect(cache.fingerprint(post(1, ' é'))).toBe(prints[4]);
    expect(PageCache.none().fingerprint(post(1))).toBeNull();
  });

  it('does not take one page for another with the same text at another URL', async () => {
    await pass({ '/posts/1/': post(1) });
    const moved = await pass({ '/posts/one/': post(1) });
    expect(moved.full[0]!.cached).toBe(false);
    expect(moved.full[0]!.url).toBe('https://blog.example/posts/one/');
  });

  it('scans every page again when the scan settings or the site hosts change', async () => {
    const pages = { '/posts/1/': post(1) };
    await pass(pages);
    const content = await pass(pages, { content: '.extra' });
    expect(content.full[0]).toMatchObject({ cached: false, targets: ['https://aside.example/x/'] });
    const hosts = await pass(pages, { content: '.extra', hosts: ['aside.example'] });
    expect(hosts.full[0]).toMatchObject({ cached: false, targets: [] });
    const skip = await pass(pages, { content: '.extra', hosts: ['aside.example'], skipHosts: ['other.example'] });
    expect(skip.full[0]!.cached).toBe(false);
  });

  it('decides post or not, and what a page advertises, from this build, not from the cache', async () => {
    const pages = { '/notes/1/': post(1) };
    const asPage = await pass(pages);
    expect(asPage.full[0]).toMatchObject({ isPost: false, targets: [] });
    // Now a post (its front matter or the posts option changed, not its text): its links were not kept, so it is scanned.
    const isPost = await pass(pages, { posts: ['/notes/**'] });
    expect(isPost.full[0]).toMatchObject({ isPost: true, cached: false, targets: ['https://other.example/posts/1/'] });
    const again = await pass(pages, { posts: ['/notes/**'] });
    expect(again.full[0]).toMatchObject({ isPost: true, cached: true, targets: ['https://other.example/posts/1/'] });
    // An exclusion from front matter applies to a cached page too.
    const excluded = await pass(pages, { posts: ['/notes/**'] }, () => ({ exclusion: 'opt-out' }));
    expect(excluded.full[0]).toMatchObject({ cached: true, excluded: 'opt-out', advertised: false, targets: [] });
    expect(excluded.full[0]!.html).toBe(post(1));
  });

  it('keeps only the pages of the last build, and does not rewrite a file nothing changed in', async () => {
    const both = await pass({ '/posts/1/': post(1), '/posts/2/': post(2) });
    const one = await pass({ '/posts/1/': post(1) });
    expect(Object.keys(JSON.parse(await readFile(one.file, 'utf8')).pages)).toEqual(['https://blog.example/posts/1/']);
    const written = (await stat(one.file)).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const same = await pass({ '/posts/1/': post(1) });
    expect(same.full[0]!.cached).toBe(true);
    expect((await stat(same.file)).mtimeMs).toBe(written);
    expect(both.file).toBe(one.file);
  });

  it('reads a file it cannot use as an empty cache, and replaces it', async () => {
    const { file } = await pass({ '/posts/1/': post(1) });
    const good = JSON.parse(await readFile(file, 'utf8'));
    for (const broken of [
      `{"format":${good.format},`,
      '[]',
      'null',
      JSON.stringify({ ...good, key: 'other' }),
      // A file an older version wrote: its fingerprints were another hash's.
      JSON.stringify({ ...good, format: good.format - 1 }),
      JSON.stringify({ ...good, pages: { 'https://blog.example/posts/1/': ['x', { scan: {} }] } }),
    ]) {
      await writeFile(file, broken);
      const result = await pass({ '/posts/1/': post(1) });
      expect(result.full[0]).toMatchObject({ cached: false, targets: ['https://other.example/posts/1/'] });
      expect(JSON.parse(await readFile(file, 'utf8')).pages['https://blog.example/posts/1/']).toBeDefined();
    }
  });

  it('leaves out an entry edited into another shape, and scans that page', async () => {
    const { file } = await pass({ '/posts/1/': post(1), '/posts/2/': post(2) });
    const good = await readFile(file, 'utf8');
    const damage: ((facts: Record<string, unknown> & { scan: Record<string, unknown> }) => void)[] = [
      (f) => (f.targets = 'https://other.example/posts/1/'),
      (f) => (f.targets = [1]),
      (f) => (f.scan.insertAt = -1),
      (f) => (f.scan.title = 3),
      (f) => (f.scan.webmentionOff = 'no'),
      (f) => (f.scan.feed = 1),
      (f) => (f.scan.pingback = { href: 1 }),
      (f) => (f.scan.links = ['https://x.example/']),
      (f) => (f.contentHash = {}),
    ];
    for (const change of damage) {
      const data = JSON.parse(good);
      change(data.pages['https://blog.example/posts/1/'][1]);
      await writeFile(file, JSON.stringify(data));
      const result = await pass({ '/posts/1/': post(1), '/posts/2/': post(2) });
      expect(
        result.full.map((r) => r.cached),
        String(change),
      ).toEqual([false, true]);
      expect(result.full[0]!.targets).toEqual(['https://other.example/posts/1/']);
    }
  });

  it('without a cache, every page is scanned and nothing is written', async () => {
    const resolved = resolveIntegrationOptions({}, context);
    const cache = PageCache.none();
    const result = processPage(post(1), pageInfo(SITE, '/posts/1/'), passSettings(resolved), cache);
    cache.keep(keptPage(result));
    await cache.save();
    expect(result).toMatchObject({ cached: false, fingerprint: null, targets: ['https://other.example/posts/1/'] });
    await expect(stat(join(root, resolved.cacheDir))).rejects.toThrow();
  });
});
