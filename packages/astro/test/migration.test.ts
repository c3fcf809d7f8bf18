import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@pingback/core';
import { sendPingback } from '@pingback/core';
import type { Served } from '../../cli/test/serve-support.ts';
import { runCli, startServe } from '../../cli/test/serve-support.ts';
import type { TestServer } from '../../../test/support/http.ts';
import { html, startServer } from '../../../test/support/http.ts';
import { astroBuild } from '../../../test/support/site-build.ts';

// The whole move from WordPress on a real Astro site: build (the old permalinks declared as Astro
// redirects become aliases), import the real WordPress 6.1.9 export with one command, rebuild (the
// old pingbacks and comments show on the new posts), then a pingback sent today to an old permalink lands
// on the new post through `pingback serve`, and shows after the next build.
const FIXTURE = fileURLToPath(new URL('./fixtures/migrated/', import.meta.url));
const WXR = fileURLToPath(new URL('../../core/test/fixtures/wxr/wordpress-6.1.9.xml', import.meta.url));
const post = (path: string) => readFile(join(FIXTURE, 'dist', path, 'index.html'), 'utf8');

const clean = () => Promise.all(['dist', '.pingback', '.astro'].map((d) => rm(join(FIXTURE, d), { recursive: true, force: true })));

let source: TestServer;
beforeAll(async () => {
  await clean();
  source = await startServer(
    html('<!doctype html><title>Still linking</title><p>I still link to <a href="https://blog.example/2019/05/hello-pingbacks/">the old permalink</a>.</p>'),
  );
});
afterAll(async () => {
  await source.close();
  await clean();
});

describe('moving a blog from WordPress to Astro', () => {
  let manifest: Manifest;

  it('the build turns the declared redirects into aliases of the posts', async () => {
    const result = await astroBuild(FIXTURE);
    expect(result.code, result.stderr).toBe(0);
    manifest = JSON.parse(await readFile(join(FIXTURE, '.pingback', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.aliases).toEqual({
      '/2019/05/hello-pingbacks': '/posts/hello',
      '/2020/02/hello': '/posts/hello',
      '/2020/02/uber-cafe': '/posts/uber-cafe',
    });
    expect(result.lines).toContain('3 old URLs lead to posts (redirects and imported permalinks): pingbacks to them land on the posts');
  }, 120_000);

  it('one command imports the old pingbacks, trackbacks and comments; the next build shows them on the new posts', async () => {
    const imported = await runCli(['import', 'wordpress', WXR, '--comments', '--json'], FIXTURE);
    expect(imported.stderr).toBe('');
    const report = JSON.parse(imported.stdout) as { imported: Record<string, number>; posts: { via: Record<string, number> } };
    expect(report.imported).toEqual({ pingback: 2, trackback: 1, comment: 3 });
    expect(report.posts.via).toEqual({ redirect: 2 });

    const result = await astroBuild(FIXTURE);
    expect(result.code, result.stderr).toBe(0);
    const hello = await post('posts/hello');
    expect(hello).toContain('A reply on a friend&#39;s blog');
    expect(hello).toContain('href="https://friend.example/2019/05/a-reply/?utm_source=feed&amp;ref=1"');
    expect(hello).toContain('Trackbacks are back');
    expect(hello).toContain('Ann Commenter');
    expect(hello).toContain('Great post! Here is a link.');
    // A comment's tag: source is never a link.
    expect(hello).not.toContain('href="tag:');
    expect(await post('posts/uber-cafe')).toContain('Café notes');
  }, 180_000);

  it('a pingback sent to the old permalink lands on the new post, and the next build shows it there', async () => {
    let served: Served | undefined;
    try {
      served = await startServe(['--root', join(FIXTURE, 'dist'), '--allow-private-network', '--rate-limit', '0'], FIXTURE);
      // Astro without an adapter writes a page that refreshes to the post at the old path; it is advertised.
      const old = await fetch(`${served.url}/2019/05/hello-pingbacks/`);
      expect(old.status).toBe(200);
      expect(old.headers.get('x-pingback')).toBe('https://blog.example/xmlrpc');
      const result = await sendPingback(`${source.url}/still`, 'https://blog.example/2019/05/hello-pingbacks/', { endpoint: served.endpoint });
      expect(result.status, result.message).toBe('registered');
    } finally {
      await served?.stop();
    }
    const build = await astroBuild(FIXTURE);
    expect(build.code, build.stderr).toBe(0);
    expect(await post('posts/hello')).toContain('Still linking');
  }, 180_000);
});
