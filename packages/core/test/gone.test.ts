import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import { finishBuild } from '../src/build/finish.ts';
import { resolveIntegrationOptions } from '../src/build/options.ts';
import { pageInfo, passSettings, processPage } from '../src/build/page-pass.ts';
import type { Manifest } from '../src/site/manifest.ts';
import { goneSince, parseManifest } from '../src/site/manifest.ts';

const post = (body: string) =>
  `<!doctype html><html><head><title>t</title></head><body><nav><a href="/">home</a></nav><article>${body}</article></body></html>`;

function build(site: string, pages: Record<string, string>, extra: Record<string, unknown> = {}) {
  const options = resolveIntegrationOptions({ send: 'off', directories: [], ...extra }, { site, siteHint: '', dryRunByDefault: false, onNetlify: false });
  const settings = passSettings(options);
  return { options, pages: Object.entries(pages).map(([path, html]) => ({ ...processPage(html, pageInfo(options.site, path), settings), html: '' })) };
}

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

describe('content hash: what counts as an edit of a post', () => {
  it('changes with the content, not with the page around it', () => {
    const hash = (html: string) => build('https://blog.example/', { '/posts/a/': html }).pages[0]!.contentHash;
    const base = hash(post('<p>Text <a href="https://x.example/p">x</a></p>'));
    expect(base).toMatch(/^[0-9a-f]{32}$/);
    expect(hash(post('<p>Text, edited <a href="https://x.example/p">x</a></p>'))).not.toBe(base);
    expect(
      hash(
        post('<p>Text <a href="https://x.example/p">x</a></p>')
          .replace('<title>t</title>', '<title>new title</title>')
          .replace('home</a>', 'home</a><a href="/about/">about</a>'),
      ),
    ).toBe(base);
  });
});

describe('goneSince', () => {
  const previous = parseManifest({
    version: 1,
    site: 'https://blog.example/',
    endpoint: 'https://blog.example/xmlrpc',
    hosts: [],
    pages: [],
    posts: [
      { source: 'https://blog.example/posts/a/', key: '/posts/a', targets: ['https://x.example/1'], hash: '1' },
      { source: 'https://blog.example/posts/b/', key: '/posts/b', targets: [], hash: '2' },
    ],
    gone: [
      { source: 'https://blog.example/posts/old/', key: '/posts/old', targets: ['https://x.example/2'], since: '2026-01-01T00:00:00.000Z' },
      { source: 'https://blog.example/posts/back/', key: '/posts/back', targets: [], since: '2026-01-01T00:00:00.000Z' },
    ],
    directories: [],
    feed: null,
  });

  it('keeps the earlier gone posts, adds the posts whose page is missing, drops a key that is a page again', () => {
    // /posts/b still exists as a page (it may be no post any more): not gone.
    expect(goneSince(previous, new Set(['/', '/posts/b', '/posts/back']), '2027-02-02T00:00:00.000Z')).toEqual([
      { source: 'https://blog.example/posts/a/', key: '/posts/a', targets: ['https://x.example/1'], since: '2027-02-02T00:00:00.000Z' },
      { source: 'https://blog.example/posts/old/', key: '/posts/old', targets: ['https://x.example/2'], since: '2026-01-01T00:00:00.000Z' },
    ]);
    expect(goneSince(null, new Set(), 'x')).toEqual([]);
  });

  it('rejects a malformed gone list by name', () => {
    expect(() => parseManifest({ ...previous, gone: [{ key: 'posts/x' }] })).toThrow(/`gone\[0\]\.source` must be an absolute http\(s\) URL/);
  });
});

describe('finishBuild finds the posts gone since the build before', () => {
  let dir: string;
  let live: TestServer;
  let published: Manifest | null = null;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pingback-gone-'));
    live = await startServer((req, res) => {
      if (req.url === '/_pingback/manifest.json' && published)
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(published));
      res.writeHead(404).end();
    });
  });
  afterAll(async () => {
    await live.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('locally, from .pingback/manifest.json', async () => {
    const root = join(dir, 'local');
    await mkdir(root, { recursive: true });
    const one = build('https://blog.example/', { '/posts/a/': post('<a href="https://x.example/1">1</a>'), '/posts/b/': post('b') });
    await finishBuild({ ...one, root, logger: quiet, generator: 'test' });
    const lines: string[] = [];
    const two = build('https://blog.example/', { '/posts/b/': post('b') });
    const { manifest } = await finishBuild({ ...two, root, logger: { ...quiet, info: (m) => lines.push(m) }, generator: 'test' });
    expect(manifest.gone).toEqual([{ source: 'https://blog.example/posts/a/', key: '/posts/a', targets: ['https://x.example/1'], since: expect.any(String) }]);
    expect(lines).toContain('1 post is gone since the last build (/posts/a): each target that had a Webmention is told once the post answers 410 Gone');
    // Written, so the next build carries it on.
    const written = JSON.parse(await readFile(join(root, '.pingback/manifest.json'), 'utf8')) as Manifest;
    expect(written.gone?.map((g) => g.key)).toEqual(['/posts/a']);
  });

  it('on Netlify (a fresh clone), from the manifest the live deploy publishes', async () => {
    const root = join(dir, 'netlify');
    await mkdir(root, { recursive: true });
    const site = `${live.url}/`;
    published = (
      await finishBuild({ ...build(site, { '/posts/a/': post('a'), '/posts/b/': post('b') }), root: join(dir, 'scratch'), logger: quiet, generator: 'test' })
    ).manifest;
    const { options, pages } = build(site, { '/posts/b/': post('b') }, { netlify: true, dryRun: false });
    const { manifest } = await finishBuild({ options, pages, root, logger: quiet, generator: 'test' });
    expect(manifest.gone?.map((g) => g.key)).toEqual(['/posts/a']);
    expect(live.requests.map((r) => r.path)).toContain('/_pingback/manifest.json');
  });

  it('a live manifest that cannot be read is a warning, never a failed build', async () => {
    const root = join(dir, 'unreadable');
    await mkdir(root, { recursive: true });
    published = null;
    const warnings: string[] = [];
    const { options, pages } = build(`${live.url}/`, { '/posts/b/': post('b') }, { netlify: true, dryRun: false });
    await writeFile(join(dir, 'unused'), '');
    const { manifest } = await finishBuild({ options, pages, root, logger: { ...quiet, warn: (m) => warnings.push(m) }, generator: 'test' });
    expect(manifest.gone).toBeUndefined();
    expect(warnings).toEqual([]); // 404: the first deploy that publishes one
    const broken = await startServer((_req, res) => void res.writeHead(500).end());
    try {
      const again = build(`${broken.url}/`, { '/posts/b/': post('b') }, { netlify: true, dryRun: false });
      await finishBuild({ ...again, root: join(dir, 'broken'), logger: { ...quiet, warn: (m) => warnings.push(m) }, generator: 'test' });
      expect(warnings).toEqual([
        expect.stringMatching(
          /^could not read the live manifest at http:\/\/127\.0\.0\.1:\d+\/_pingback\/manifest\.json \(HTTP 500\); posts removed since the last deploy are not marked gone this time$/,
        ),
      ]);
    } finally {
      await broken.close();
    }
  });
});
