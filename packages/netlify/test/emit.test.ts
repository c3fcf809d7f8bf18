import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageInfo, passSettings, processPage, resolveIntegrationOptions } from '@pingback/core';
import { emitNetlifyFunction } from '../src/emit.ts';
import { emitForBuild } from '../src/emit-for-build.ts';
import { headerPaths } from '../src/header-rules.ts';
import { GENERATOR, renderFunction, renderSendFunction } from '../src/template.ts';
import { VERSION } from '../src/version.ts';
import { EXAMPLE_FUNCTION } from './example-function.ts';

describe('headerPaths: the fewest rules that cover exactly the advertised pages', () => {
  it('uses /dir/* when everything under a folder is advertised, the folder page included', () => {
    expect(headerPaths(['/posts', '/posts/a', '/posts/b'], ['/', '/about', '/posts', '/posts/a', '/posts/b'])).toEqual(['/posts/*']);
  });

  it('uses /dir/:slug when the folder page is a list page', () => {
    expect(headerPaths(['/posts/a', '/posts/b', '/posts/c'], ['/', '/posts', '/posts/a', '/posts/b', '/posts/c'])).toEqual(['/posts/:slug']);
  });

  it('lists pages one by one where a pattern would cover too much', () => {
    expect(headerPaths(['/posts/a', '/notes/x'], ['/', '/posts', '/posts/a', '/posts/draft', '/notes', '/notes/x', '/notes/y/z'])).toEqual([
      '/notes/x',
      '/posts/a',
    ]);
  });

  it('recurses into nested folders and covers the whole site with /* when every page is advertised', () => {
    expect(headerPaths(['/2026/11/a', '/2026/11/b', '/2026/10/c'], ['/', '/2026/11/a', '/2026/11/b', '/2026/10/c'])).toEqual(['/2026/*']);
    expect(headerPaths(['/', '/a', '/b/c'], ['/', '/a', '/b/c'])).toEqual(['/*']);
    expect(headerPaths([], ['/', '/a'])).toEqual([]);
  });
});

describe('emitNetlifyFunction', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pingback-emit-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const emit = (headerPaths: string[]) =>
    emitNetlifyFunction({
      projectRoot: dir,
      settings: { site: 'https://blog.example/', moderation: 'manual', blocklist: ['spam.example'] },
      manifestPath: join(dir, '.pingback', 'manifest.json'),
      headerPaths,
      endpoint: 'https://blog.example/xmlrpc',
    });

  it('writes the Function with literal settings and config, importing the manifest relatively', async () => {
    const result = await emit(['/posts/*']);
    const source = await readFile(result.functionFile, 'utf8');
    expect(result.functionFile).toBe(join(dir, '.netlify/v1/functions/pingback.mjs'));
    expect(source).toContain(`import manifest from "../../../.pingback/manifest.json" with { type: 'json' };`);
    expect(source).toContain('"moderation": "manual"');
    expect(source).toMatch(
      /export const config = \{\n {2}"path": \[\n {4}"\/xmlrpc",\n {4}"\/webmention",\n {4}"\/pingbacks\.json",\n {4}"\/pingback\/admin",\n {4}"\/pingback\/admin\/\*"\n {2}\],/,
    );
    expect(source).toContain(`"generator": "${GENERATOR}"`);
    expect(source).toContain('"windowLimit": 60');
    expect(GENERATOR).toBe(`@pingback/netlify@${VERSION}`);
    const sender = await readFile(result.sendFunctionFile, 'utf8');
    expect(result.sendFunctionFile).toBe(join(dir, '.netlify/v1/functions/pingback-send-background.mjs'));
    expect(sender).toContain('"background": true');
    expect(sender).toContain(`import manifest from "../../../.pingback/manifest.json" with { type: 'json' };`);
  });

  it('merges its header rules into config.json, keeping what the adapter wrote, replacing only its own on a rebuild', async () => {
    const configFile = join(dir, '.netlify/v1/config.json');
    const adapter = {
      images: { remote_images: ['https://cdn.example/.*'] },
      headers: [{ for: '/_astro/*', values: { 'Cache-Control': 'public, max-age=31536000, immutable' } }],
    };
    await mkdir(join(dir, '.netlify/v1'), { recursive: true });
    await writeFile(configFile, JSON.stringify(adapter));
    await emit(['/posts/*']);
    await emit(['/posts/:slug', '/notes/x']);
    const config = JSON.parse(await readFile(configFile, 'utf8'));
    expect(config.images).toEqual(adapter.images);
    expect(config.headers).toEqual([
      adapter.headers[0],
      { for: '/posts/:slug', values: { 'X-Pingback': 'https://blog.example/xmlrpc' } },
      { for: '/notes/x', values: { 'X-Pingback': 'https://blog.example/xmlrpc' } },
    ]);
  });

  it('announces the Webmention endpoint with a Link header beside X-Pingback, each only when switched on, and a rebuild replaces both', async () => {
    const configFile = join(dir, '.netlify/v1/config.json');
    const theirs = { for: '/about', values: { Link: '</style.css>; rel=preload' } };
    await writeFile(configFile, JSON.stringify({ headers: [theirs] }));
    const emitWith = (endpoint: string | null, webmentionEndpoint: string | null) =>
      emitNetlifyFunction({
        projectRoot: dir,
        settings: { site: 'https://blog.example/' },
        manifestPath: join(dir, '.pingback', 'manifest.json'),
        headerPaths: ['/posts/*'],
        endpoint,
        webmentionEndpoint,
      });
    await emitWith('https://blog.example/xmlrpc', 'https://blog.example/webmention');
    expect(JSON.parse(await readFile(configFile, 'utf8')).headers).toEqual([
      theirs,
      { for: '/posts/*', values: { 'X-Pingback': 'https://blog.example/xmlrpc', Link: '<https://blog.example/webmention>; rel="webmention"' } },
    ]);
    await emitWith(null, 'https://blog.example/webmention');
    expect(JSON.parse(await readFile(configFile, 'utf8')).headers).toEqual([
      theirs,
      { for: '/posts/*', values: { Link: '<https://blog.example/webmention>; rel="webmention"' } },
    ]);
    await emitWith('https://blog.example/xmlrpc', null);
    expect(JSON.parse(await readFile(configFile, 'utf8')).headers).toEqual([
      theirs,
      { for: '/posts/*', values: { 'X-Pingback': 'https://blog.example/xmlrpc' } },
    ]);
    await emitWith(null, null);
    expect(JSON.parse(await readFile(configFile, 'utf8')).headers).toEqual([theirs]);
  });

  it('leaves the Link header off the posts that take pingbacks only, and X-Pingback on every post', async () => {
    const configFile = join(dir, '.netlify/v1/config.json');
    await writeFile(configFile, '{}');
    const site = new URL('https://blog.example/');
    const resolved = resolveIntegrationOptions({ posts: ['/posts/**'], directories: [] }, { site, siteHint: '', dryRunByDefault: true, onNetlify: true });
    const html = (head = '') => `<!doctype html><html><head><title>t</title>${head}</head><body><article><p>text</p></article></body></html>`;
    const pages = [
      processPage(html(), pageInfo(site, '/'), passSettings(resolved)),
      processPage(html(), pageInfo(site, '/posts/a/'), passSettings(resolved)),
      processPage(html(), pageInfo(site, '/posts/b/'), passSettings(resolved)),
      processPage(html('<meta name="webmention" content="off">'), pageInfo(site, '/posts/old/'), passSettings(resolved)),
    ];
    const said = await emitForBuild(resolved, dir)({} as never, join(dir, '.pingback', 'manifest.json'), pages);
    expect(said).toMatch(/; X-Pingback and Link: rel="webmention" on 3 header rules \(no Link on 1 page that takes pingbacks only\)$/);
    const link = '<https://blog.example/webmention>; rel="webmention"';
    expect(JSON.parse(await readFile(configFile, 'utf8')).headers).toEqual([
      { for: '/posts/*', values: { 'X-Pingback': 'https://blog.example/xmlrpc' } },
      { for: '/posts/a', values: { Link: link } },
      { for: '/posts/b', values: { Link: link } },
    ]);
    // Without such a post, one rule carries both, as before.
    await emitForBuild(resolved, dir)({} as never, join(dir, '.pingback', 'manifest.json'), pages.slice(0, 3));
    expect(JSON.parse(await readFile(configFile, 'utf8')).headers).toEqual([
      { for: '/posts/*', values: { 'X-Pingback': 'https://blog.example/xmlrpc', Link: link } },
    ]);
  });

  it('leaves an unreadable config.json alone and says so', async () => {
    await writeFile(join(dir, '.netlify/v1/config.json'), '{ not json');
    await expect(emit([])).rejects.toThrow(/config\.json is not valid JSON; it was left untouched/);
    expect(await readFile(join(dir, '.netlify/v1/config.json'), 'utf8')).toBe('{ not json');
  });

  it('refuses settings the Function does not take', () => {
    expect(() => renderFunction({ site: 'https://b.example/', allowPrivateNetwork: true } as never, './m.json')).toThrow(
      /option `allowPrivateNetwork` is not a setting the Netlify Function takes/,
    );
  });
});

describe('netlify/functions/ in this repository', () => {
  it("holds exactly the templates' output for the examples' deployment", async () => {
    const committed = (name: string) => readFile(new URL(`../../../netlify/functions/${name}`, import.meta.url), 'utf8');
    expect(await committed('pingback.mts')).toBe(renderFunction(EXAMPLE_FUNCTION.settings, EXAMPLE_FUNCTION.manifestImport));
    expect(await committed('pingback-send-background.mts')).toBe(renderSendFunction(EXAMPLE_FUNCTION.settings, EXAMPLE_FUNCTION.manifestImport));
  });
});

describe('gone posts answer 410 Gone (Webmention §3.1.5)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pingback-emit-gone-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const manifest = (gone: { key: string }[]) => ({
    version: 1 as const,
    site: 'https://blog.example/',
    endpoint: 'https://blog.example/xmlrpc',
    hosts: [],
    pages: ['/posts/kept'],
    posts: [{ source: 'https://blog.example/posts/kept/', key: '/posts/kept', targets: [], hash: 'h' }],
    directories: [],
    feed: null,
    gone: gone.map((g) => ({ source: `https://blog.example${g.key}/`, key: g.key, targets: ['https://other.example/p/'], since: '2027-01-01T00:00:00.000Z' })),
  });
  const emit = (gone: { key: string }[]) =>
    emitNetlifyFunction({
      projectRoot: dir,
      settings: { site: 'https://blog.example/' },
      manifestPath: join(dir, '.pingback', 'manifest.json'),
      headerPaths: ['/posts/*'],
      endpoint: 'https://blog.example/xmlrpc',
      manifest: manifest(gone),
      outDir: join(dir, 'dist'),
    });

  it("writes a forced 410 rule per gone post before the user's own redirects, a tombstone page and the published manifest", async () => {
    await mkdir(join(dir, '.netlify/v1'), { recursive: true });
    await writeFile(join(dir, '.netlify/v1/config.json'), JSON.stringify({ redirects: [{ from: '/old', to: '/new', status: 301 }] }));
    const result = await emit([{ key: '/posts/gone' }, { key: '/posts/also-gone' }]);
    const config = JSON.parse(await readFile(result.configFile, 'utf8'));
    expect(config.redirects).toEqual([
      { from: '/posts/gone', to: '/_pingback/gone.html', status: 410, force: true },
      { from: '/posts/also-gone', to: '/_pingback/gone.html', status: 410, force: true },
      { from: '/old', to: '/new', status: 301 },
    ]);
    expect(await readFile(join(dir, 'dist/_pingback/gone.html'), 'utf8')).toContain(
      '<article class="h-entry"><p class="p-name e-content">Deleted</p></article>',
    );
    const published = JSON.parse(await readFile(join(dir, 'dist/_pingback/manifest.json'), 'utf8'));
    expect(published.gone.map((g: { key: string }) => g.key)).toEqual(['/posts/gone', '/posts/also-gone']);
  });

  it('a rebuild replaces only its own rules: a post back at its key loses its 410', async () => {
    const result = await emit([{ key: '/posts/also-gone' }]);
    const config = JSON.parse(await readFile(result.configFile, 'utf8'));
    expect(config.redirects).toEqual([
      { from: '/posts/also-gone', to: '/_pingback/gone.html', status: 410, force: true },
      { from: '/old', to: '/new', status: 301 },
    ]);
    expect(result.redirectRules).toHaveLength(1);
  });
});
