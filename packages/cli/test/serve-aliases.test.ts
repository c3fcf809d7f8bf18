import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, PublicPingback } from '@pingback/core';
import { discoverEndpoint, renderPingbacksHtml, sendPingback } from '@pingback/core';
import { freePort } from '../../../test/support/free-port.ts';
import type { TestServer } from '../../../test/support/http.ts';
import { html, routes, startServer } from '../../../test/support/http.ts';
import type { Served } from './serve-support.ts';
import { startServe } from './serve-support.ts';

// A site that moved from WordPress: posts under /posts/, the old permalinks redirected by `_redirects`
// (exact and with a splat), and one old URL that is an alias from the build (Astro's redirects without
// an adapter write a page that refreshes to the post, so a file exists there).
let dir: string;
let site: string;
let served: Served;
let sources: TestServer;

const page = (title: string, endpoint?: string) =>
  `<!doctype html><html><head><title>${title}</title>${endpoint ? `<link rel="pingback" href="${endpoint}">` : ''}</head><body><article><h1>${title}</h1></article></body></html>`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-serve-aliases-'));
  const port = await freePort();
  site = `http://127.0.0.1:${port}/`;
  const endpoint = `${site}xmlrpc`;
  const root = join(dir, 'dist');
  const files: Record<string, string> = {
    'posts/hello/index.html': page('Hello', endpoint),
    'posts/second/index.html': page('Second', endpoint),
    'tags/index.html': page('Tags'),
    '2019/05/refreshing/index.html':
      '<!doctype html><title>Redirecting to: /posts/hello/</title><meta http-equiv="refresh" content="0;url=/posts/hello/"><a href="/posts/hello/">/posts/hello/</a>',
    _redirects: '# moved from WordPress\n/2019/05/hello/  /posts/hello/  301\n/blog/*  /posts/:splat  302\n/2019/05/tags /tags 301\n',
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  const manifest: Manifest = {
    version: 1,
    site,
    endpoint,
    hosts: [],
    pages: ['/posts/hello', '/posts/second'],
    posts: [],
    directories: [],
    feed: null,
    aliases: { '/2019/05/refreshing': '/posts/hello' },
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  sources = await startServer(
    routes({
      '/to-old': html(`<p>I liked <a href="${site}2019/05/hello/">this post</a> years ago.</p>`),
      '/to-splat': html(`<p>See <a href="${site}blog/second">the second one</a>.</p>`),
      '/to-refreshing': html(`<p>And <a href="${site}2019/05/refreshing/">this</a>.</p>`),
      '/to-tags': html(`<p>Tags: <a href="${site}2019/05/tags">old tags</a>.</p>`),
    }),
  );
  served = await startServe(
    [
      '--root',
      root,
      '--manifest',
      join(dir, 'manifest.json'),
      '--store',
      join(dir, 'store'),
      '--port',
      String(port),
      '--allow-private-network',
      '--rate-limit',
      '0',
    ],
    dir,
  );
}, 60_000);
afterAll(async () => {
  await served?.stop();
  await sources?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('pingback serve on a site with old URLs', () => {
  it('answers _redirects as Netlify does: exact and splat rules, the query kept', async () => {
    const exact = await fetch(`${site}2019/05/hello/`, { redirect: 'manual' });
    expect(exact.status).toBe(301);
    expect(exact.headers.get('location')).toBe('/posts/hello/');
    const splat = await fetch(`${site}blog/second?from=feed`, { redirect: 'manual' });
    expect(splat.status).toBe(302);
    expect(splat.headers.get('location')).toBe('/posts/second?from=feed');
    // A file that exists wins over a rule that is not forced.
    expect((await fetch(`${site}posts/hello/`, { redirect: 'manual' })).status).toBe(200);
  });

  it('discovery on an old URL finds the endpoint: through the redirect, or on the page that stands at the old path', async () => {
    expect(await discoverEndpoint(`${site}2019/05/hello/`)).toMatchObject({ endpoint: `${site}xmlrpc` });
    expect(await discoverEndpoint(`${site}blog/second`)).toMatchObject({ endpoint: `${site}xmlrpc` });
    const refreshing = await fetch(`${site}2019/05/refreshing/`);
    expect(refreshing.status).toBe(200);
    expect(refreshing.headers.get('x-pingback')).toBe(`${site}xmlrpc`);
    // An old URL that leads to a page taking no pingbacks is advertised as nothing.
    expect((await fetch(`${site}tags/`)).headers.get('x-pingback')).toBeNull();
  });

  it('a pingback to an old URL lands on the post it now is, keeps the target as sent, and renders there', async () => {
    for (const [source, target] of [
      ['to-old', `${site}2019/05/hello/`],
      ['to-splat', `${site}blog/second`],
      ['to-refreshing', `${site}2019/05/refreshing/`],
    ] as const) {
      const result = await sendPingback(`${sources.url}/${source}`, target);
      expect(result.status, `${source}: ${result.message}`).toBe('registered');
    }
    const refused = await sendPingback(`${sources.url}/to-tags`, `${site}2019/05/tags`, { endpoint: `${site}xmlrpc` });
    expect(refused.status).toBe('refused');

    const hello = (await (await fetch(`${site}pingbacks.json?target=/posts/hello/`)).json()) as { items: PublicPingback[] };
    expect(hello.items.map((p) => [p.key, p.source, p.target]).sort()).toEqual([
      ['/posts/hello', `${sources.url}/to-old`, `${site}2019/05/hello/`],
      ['/posts/hello', `${sources.url}/to-refreshing`, `${site}2019/05/refreshing/`],
    ]);
    const second = (await (await fetch(`${site}pingbacks.json?target=${encodeURIComponent(`${site}posts/second`)}`)).json()) as { items: PublicPingback[] };
    expect(second.items.map((p) => p.target)).toEqual([`${site}blog/second`]);
    const rendered = renderPingbacksHtml(hello.items);
    expect(rendered).toContain(`href="${sources.url}/to-old"`);
    expect(rendered).toContain(`href="${sources.url}/to-refreshing"`);
    expect(served.stderr()).not.toMatch(/failed, answered 500/);
  });
});
