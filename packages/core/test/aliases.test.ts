import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redirect } from '@pingback/core';
import {
  MemoryStore,
  Receiver,
  buildAliases,
  parseManifest,
  parseMethodResponse,
  parseNetlifyToml,
  parseRedirectsFile,
  readDeclaredRedirects,
  siteMatcher,
  writeMethodCall,
} from '@pingback/core';
import type { TestServer } from '../../../test/support/http.ts';
import { html, startServer } from '../../../test/support/http.ts';

const SITE = new URL('https://blog.example/');
const own = siteMatcher(SITE, ['www.blog.example']);
const PAGES = ['/posts/hello', '/posts/second', '/posts/2019/deep', '/notes/a', '/notes/b', '/about'];
const aliases = (rules: Redirect[] | string) =>
  buildAliases(typeof rules === 'string' ? parseRedirectsFile(rules, '_redirects') : rules, { site: SITE, isOwn: own.isOwn, pages: PAGES });

describe('reading declared redirects', () => {
  it("Netlify's _redirects: status, force, query matches, conditions and comments", () => {
    const rules = parseRedirectsFile(
      [
        '# moved',
        '/old  /posts/hello',
        '/older /posts/second 302!',
        '/store id=:id /notes/:id 301',
        '/de/* /notes/:splat 302 Language=de',
        '',
        '/x /y 404  # gone',
      ].join('\n'),
      '_redirects',
    );
    expect(rules).toEqual([
      { from: '/old', to: '/posts/hello', status: 301, force: false, conditional: false, origin: '_redirects:2' },
      { from: '/older', to: '/posts/second', status: 302, force: true, conditional: false, origin: '_redirects:3' },
      { from: '/store', to: '/notes/:id', status: 301, force: false, conditional: true, origin: '_redirects:4' },
      { from: '/de/*', to: '/notes/:splat', status: 302, force: false, conditional: true, origin: '_redirects:5' },
      { from: '/x', to: '/y', status: 404, force: false, conditional: false, origin: '_redirects:7' },
    ]);
  });

  it("netlify.toml's [[redirects]], read as TOML", () => {
    const rules = parseNetlifyToml(
      [
        '[build]',
        'publish = "dist"',
        '',
        '[[redirects]]',
        'from = "/2019/05/*"',
        'to = "/posts/:splat"',
        'status = 301',
        'force = true',
        '',
        '[[redirects]]',
        'from = "/geo"',
        'to = "/about"',
        '  [redirects.conditions]',
        '  Country = ["de"]',
      ].join('\n'),
      'netlify.toml',
    );
    expect(rules).toEqual([
      { from: '/2019/05/*', to: '/posts/:splat', status: 301, force: true, conditional: false, origin: 'netlify.toml [[redirects]] #1' },
      { from: '/geo', to: '/about', status: 301, force: false, conditional: true, origin: 'netlify.toml [[redirects]] #2' },
    ]);
    expect(() => parseNetlifyToml('[[redirects]\nfrom = ', 'netlify.toml')).toThrow();
  });

  it('from the build output (or public/) and netlify.toml, in the order Netlify applies them; a bad TOML file is a problem, not a crash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pingback-redirects-'));
    try {
      await writeFile(join(dir, 'netlify.toml'), '[[redirects]]\nfrom = "/b"\nto = "/posts/second"\n');
      const none = await readDeclaredRedirects(dir, join(dir, 'dist'));
      expect(none.redirects.map((r) => r.from)).toEqual(['/b']);
      await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'public')));
      await writeFile(join(dir, 'public', '_redirects'), '/a /posts/hello\n');
      expect((await readDeclaredRedirects(dir, join(dir, 'dist'))).redirects.map((r) => r.from)).toEqual(['/a', '/b']);
      await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'dist')));
      await writeFile(join(dir, 'dist', '_redirects'), '/c /posts/hello\n');
      expect((await readDeclaredRedirects(dir, join(dir, 'dist'))).redirects.map((r) => r.from)).toEqual(['/c', '/b']);
      await writeFile(join(dir, 'netlify.toml'), '[[redirects]\n');
      const bad = await readDeclaredRedirects(dir, join(dir, 'dist'));
      expect(bad.redirects.map((r) => r.from)).toEqual(['/c']);
      expect(bad.problems).toEqual([expect.stringMatching(/netlify\.toml is not valid TOML, so its redirects were not read/)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('aliases from redirects', () => {
  it('an exact redirect to a post is an alias, in canonical keys, whatever the spelling', () => {
    expect(aliases('/2019/05/hello/ /posts/hello/\n/Old.html https://www.blog.example/posts/second/index.html 308').aliases).toEqual({
      '/2019/05/hello': '/posts/hello',
      '/Old': '/posts/second',
    });
  });

  it('a rule with placeholders is turned round over the pages its destination matches', () => {
    expect(aliases('/blog/*  /notes/:splat\n/p/:slug /posts/:slug 301').aliases).toEqual({
      '/blog/a': '/notes/a',
      '/blog/b': '/notes/b',
      '/p/hello': '/posts/hello',
      '/p/second': '/posts/second',
    });
    expect(aliases('/archive/* /posts/:splat').aliases).toMatchObject({ '/archive/2019/deep': '/posts/2019/deep' });
  });

  it('chains are followed to the post; the first rule for a path wins; a page keeps its own pingbacks', () => {
    expect(aliases('/oldest /older\n/older /posts/hello\n/older /posts/second\n/about /posts/hello').aliases).toEqual({
      '/older': '/posts/hello',
      '/oldest': '/posts/hello',
    });
  });

  it("what can't be an alias is left out, and said why when it is a redirect at all", () => {
    const result = aliases(
      [
        '/gone /posts/hello 410',
        '/away https://other.example/posts/hello',
        '/cond /posts/hello 302 Country=de',
        '/:year/:month/:slug /posts/:slug',
        '/list /tags',
        '/x javascript:alert(1)',
      ].join('\n'),
    );
    expect(result.aliases).toEqual({});
    expect(result.skipped.map((s) => [s.origin, s.why])).toEqual([
      ['_redirects:2', 'it leads to another site (other.example)'],
      ['_redirects:3', 'it applies only under conditions or for some query parameters'],
      ['_redirects:4', "its destination does not use :year, :month, so which old path leads to which post can't be told"],
      ['_redirects:6', 'its destination "javascript:alert(1)" is not a path or an http(s) URL'],
    ]);
  });

  it('the manifest takes aliases of keys to keys, and refuses anything else', () => {
    const base = {
      version: 1,
      site: 'https://blog.example/',
      endpoint: 'https://blog.example/xmlrpc',
      hosts: [],
      pages: ['/posts/hello'],
      posts: [],
      directories: [],
      feed: null,
    };
    expect(parseManifest({ ...base, aliases: { '/old': '/posts/hello' } }).aliases).toEqual({ '/old': '/posts/hello' });
    expect(parseManifest(base).aliases).toBeUndefined();
    expect(() => parseManifest({ ...base, aliases: { old: '/posts/hello' } })).toThrow(/aliases\["old"\]/);
    expect(() => parseManifest({ ...base, aliases: ['/old'] })).toThrow(/`aliases` must be an object/);
  });
});

describe('a pingback to an old URL, through the handler', () => {
  let source: TestServer;
  beforeAll(async () => {
    source = await startServer(html('<p>I liked <a href="https://blog.example/2019/05/hello/">the old post</a>.</p>'));
  });
  afterAll(() => source.close());

  const ping = async (receiver: Receiver, target: string) => {
    const body = writeMethodCall('pingback.ping', [`${source.url}/reply`, target]);
    const response = await receiver.handle(new Request('https://blog.example/xmlrpc', { method: 'POST', body }));
    return parseMethodResponse(new Uint8Array(await response.arrayBuffer()));
  };

  it('is registered for the post it redirects to, stored under the post key with the target as sent', async () => {
    const store = new MemoryStore();
    const receiver = new Receiver({
      site: SITE,
      store,
      pages: ['/posts/hello'],
      aliases: aliases('/2019/05/hello/ /posts/hello/').aliases,
      allowPrivateNetwork: true,
      rateLimit: 0,
    });
    try {
      expect(await ping(receiver, 'https://blog.example/2019/05/hello/')).toMatchObject({ kind: 'result' });
      const [stored] = [...store.records.values()];
      expect(stored).toMatchObject({ key: '/posts/hello', target: 'https://blog.example/2019/05/hello/', status: 'approved' });
      // The same source again, to the new URL this time: one post, one source, one record.
      expect(await ping(receiver, 'https://blog.example/posts/hello/')).toMatchObject({ kind: 'fault', faultCode: 48 });
      expect(store.records.size).toBe(1);
    } finally {
      await receiver.close();
    }
  });

  it('without the alias the same ping is refused (33): the alias is what makes it land', async () => {
    const store = new MemoryStore();
    const receiver = new Receiver({ site: SITE, store, pages: ['/posts/hello'], allowPrivateNetwork: true, rateLimit: 0 });
    try {
      expect(await ping(receiver, 'https://blog.example/2019/05/hello/')).toMatchObject({ kind: 'fault', faultCode: 33 });
      // An alias to a page that takes no pingbacks is no way in either.
      const other = new Receiver({
        site: SITE,
        store,
        pages: ['/posts/hello'],
        aliases: { '/2019/05/hello': '/tags' },
        allowPrivateNetwork: true,
        rateLimit: 0,
      });
      expect(await ping(other, 'https://blog.example/2019/05/hello/')).toMatchObject({ kind: 'fault', faultCode: 33 });
      await other.close();
      expect(store.records.size).toBe(0);
    } finally {
      await receiver.close();
    }
  });
});
