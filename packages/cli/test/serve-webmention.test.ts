import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithPython, SITE, writeReceiverSite } from '../../../test/support/receiver-cases.ts';
import type { WebmentionSources } from '../../../test/support/webmention-cases.ts';
import {
  EXPECTED_WEBMENTIONS,
  eventually,
  expectWebmentionCase,
  runWebmentionClient,
  startWebmentionSources,
  webmentionCases,
} from '../../../test/support/webmention-cases.ts';
import type { Served } from './serve-support.ts';
import { runCli, startServe } from './serve-support.ts';

let dir: string;
let sources: WebmentionSources;
let site: Awaited<ReturnType<typeof writeReceiverSite>>;
const servers: Served[] = [];
const T = (path: string) => new URL(path, SITE).href;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-serve-wm-'));
  site = await writeReceiverSite(dir);
  sources = await startWebmentionSources();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await sources.close();
  await rm(dir, { recursive: true, force: true });
});

async function serve(store: string, extra: string[] = [], manifestPath = site.manifestPath): Promise<Served & { webmention: string }> {
  const s = await startServe(['--root', site.root, '--manifest', manifestPath, '--store', join(dir, store), '--source-timeout', '1500', ...extra], dir);
  servers.push(s);
  return { ...s, webmention: `${s.url}/webmention` };
}

interface Listed {
  id: string;
  key: string;
  source: string;
  status: string;
  protocol: string;
  kind: string;
  excerpt: string;
  author: object;
  url?: string;
  updatedAt?: string;
  deletedAt?: string;
  deletedBy?: string;
  receivedAt: string;
}
const list = async (store: string, extra: string[] = []): Promise<Listed[]> => {
  const out = await runCli(['list', '--json', '--store', join(dir, store), ...extra], dir);
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as Listed[];
};

/** Waits until serve has logged the outcome of `n` verifications of this source (one line each). */
const verified = (served: Served, source: string, n = 1) =>
  eventually(
    () =>
      served
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('[pingback] webmention ') && l.includes(`: ${source} → `)).length,
    (count) => count >= n,
  );

const mention = async (served: Served & { webmention: string }, source: string, target: string, n: number) => {
  const [answer] = await runWebmentionClient(served.webmention, [
    {
      form: [
        ['source', source],
        ['target', target],
      ],
    },
  ]);
  expect(answer!.status).toBe(202);
  await verified(served, source, n);
};

describe("pingback serve answers an independent Webmention sender (Python's urllib)", () => {
  let served: Served & { webmention: string };
  beforeAll(async () => {
    served = await serve('main', ['--allow-private-network', '--rate-limit', '0']);
  });

  it('refuses what §3.2.1 refuses, each with its status and a short reason, before fetching anything', async () => {
    const { refused } = webmentionCases(sources.url, 'The target does not exist.');
    const before = sources.requests.length;
    const results = await runWebmentionClient(
      served.webmention,
      refused.map((c) => c.request),
    );
    for (const [i, c] of refused.entries()) expectWebmentionCase(c, results[i]);
    expect(sources.requests.length).toBe(before);
    expect(await list('main')).toEqual([]);
  });

  it('answers 202 for the rest, then verifies each: stored with its kind, author and URL, or not stored', async () => {
    const { accepted } = webmentionCases(sources.url, 'The target does not exist.');
    const results = await runWebmentionClient(
      served.webmention,
      accepted.map((c) => c.request),
    );
    for (const [i, c] of accepted.entries()) expectWebmentionCase(c, results[i]);
    for (const c of accepted) await verified(served, (c.request as { form: [string, string][] }).form[0]![1]);
    const records = await list('main');
    const byKey = new Map(records.map((r) => [r.key, r]));
    for (const [key, want] of Object.entries(EXPECTED_WEBMENTIONS)) {
      const got = byKey.get(key);
      if (want === null) {
        expect(got, key).toBeUndefined();
        continue;
      }
      expect(got, key).toMatchObject({
        protocol: 'webmention',
        status: 'approved',
        ...(want.kind ? { kind: want.kind } : {}),
        ...(want.url ? { url: want.url } : {}),
      });
      if (want.excerpt) expect(got!.excerpt, key).toMatch(want.excerpt);
      if (want.author) expect(got!.author, key).toEqual(want.author);
    }
    expect(records).toHaveLength(Object.values(EXPECTED_WEBMENTIONS).filter(Boolean).length);
    // What it asked the source for, and how it named itself.
    const fetched = sources.requests.find((r) => r.path === '/wm/reply')!;
    expect(fetched.headers.accept).toMatch(/^text\/html, .*application\/json/);
    expect(fetched.headers['user-agent']).toMatch(/verifying Webmention from 127\.0\.0\.1\)$/);
    // The read endpoint publishes the new fields.
    const read = (await (await fetch(`${served.url}/pingbacks.json?target=/posts/wm-reply/`)).json()) as { items: Listed[] };
    expect(read.items[0]).toMatchObject({
      protocol: 'webmention',
      kind: 'reply',
      url: 'https://mastodon.example/@alice/112233',
      author: { photo: 'https://files.mastodon.example/alice.png' },
    });
    expect(read.items[0]).not.toHaveProperty('status');
  });

  it('updates a known pair, deletes it when the source answers 410 or drops the link, and brings it back (§3.2.4)', async () => {
    const source = `${sources.url}/wm/update`;
    const target = T('/posts/wm-update/');
    await mention(served, source, target, 1);
    const [first] = (await list('main')).filter((r) => r.key === '/posts/wm-update');
    expect(first!.excerpt).toBe('First version: this.');

    sources.set('/wm/update', { body: `<!doctype html><title>v2</title><p>Second version: <a href="${target}">this</a>, edited.</p>` });
    await mention(served, source, target, 2);
    const [second] = (await list('main')).filter((r) => r.key === '/posts/wm-update');
    expect(second).toMatchObject({ id: first!.id, receivedAt: first!.receivedAt, status: 'approved', excerpt: 'Second version: this, edited.' });
    expect(second!.updatedAt).toBeDefined();

    // The same again: nothing changes, not even updatedAt.
    await mention(served, source, target, 3);
    expect((await list('main')).filter((r) => r.key === '/posts/wm-update')).toEqual([second]);

    sources.set('/wm/update', { status: 410, body: '<!doctype html><title>Deleted</title><p>Deleted</p>' });
    await mention(served, source, target, 4);
    expect((await list('main')).filter((r) => r.key === '/posts/wm-update')).toEqual([]);
    expect((await list('main', ['--status', 'deleted'])).find((r) => r.key === '/posts/wm-update')).toMatchObject({ id: first!.id, deletedBy: 'source' });
    expect((await (await fetch(`${served.url}/pingbacks.json?target=/posts/wm-update/`)).json()) as object).toEqual({ items: [], next: null });

    sources.set('/wm/update', { body: `<!doctype html><title>v3</title><p>Back: <a href="${target}">this</a>.</p>` });
    await mention(served, source, target, 5);
    expect((await list('main')).filter((r) => r.key === '/posts/wm-update')).toMatchObject([{ id: first!.id, status: 'approved', excerpt: 'Back: this.' }]);

    sources.set('/wm/update', { body: '<!doctype html><title>v4</title><p>No link any more.</p>' });
    await mention(served, source, target, 6);
    expect((await list('main')).filter((r) => r.key === '/posts/wm-update')).toEqual([]);
  });

  it("a delete by the site's owner is for good: a later Webmention is accepted and changes nothing", async () => {
    const source = `${sources.url}/wm/owner`;
    await mention(served, source, T('/posts/wm-owner/'), 1);
    const [record] = (await list('main')).filter((r) => r.key === '/posts/wm-owner');
    expect((await runCli(['delete', record!.id, '--store', join(dir, 'main')], dir)).stdout).toMatch(/^deleted /);
    await mention(served, source, T('/posts/wm-owner/'), 2);
    expect((await list('main')).filter((r) => r.key === '/posts/wm-owner')).toEqual([]);
    expect(served.stderr()).toMatch(/webmention ignored: .*wm\/owner → \/posts\/wm-owner \(deleted by the site's owner\)/);
  });

  it('WordPress sends a Webmention and a pingback for one link: the post shows it once', async () => {
    const source = `${sources.url}/wm/double`;
    const target = T('/posts/wm-double/');
    await mention(served, source, target, 1);
    const [ping] = await runWithPython(`${served.url}/xmlrpc`, [{ call: ['pingback.ping', [source, target]] }]);
    expect(ping!.fault?.code).toBe(48);
    const shown = (await (await fetch(`${served.url}/pingbacks.json?target=/posts/wm-double/`)).json()) as { items: Listed[] };
    expect(shown.items.map((i) => i.protocol)).toEqual(['webmention']);
  });
});

describe('the other order, and at once', () => {
  it('a pingback first, then the Webmention: one record, now a Webmention; both at once: one record', async () => {
    const served = await serve('double', ['--allow-private-network', '--rate-limit', '0']);
    const source = `${sources.url}/wm/double`;
    const target = T('/posts/wm-double/');
    const [ping] = await runWithPython(`${served.url}/xmlrpc`, [{ call: ['pingback.ping', [source, target]] }]);
    expect(ping!.result).toMatch(/registered/);
    await mention(served, source, target, 1);
    expect((await list('double')).map((r) => [r.key, r.protocol])).toEqual([['/posts/wm-double', 'webmention']]);

    const other = `${sources.url}/wm/hello`;
    const [both] = await Promise.all([
      runWebmentionClient(served.webmention, [
        {
          form: [
            ['source', other],
            ['target', T('/posts/wm-hello/')],
          ],
        },
      ]),
      runWithPython(`${served.url}/xmlrpc`, [{ call: ['pingback.ping', [other, T('/posts/wm-hello/')]] }]),
    ]);
    expect(both[0]!.status).toBe(202);
    await verified(served, other);
    expect((await list('double')).filter((r) => r.key === '/posts/wm-hello')).toHaveLength(1);
  });
});

describe('the address policy and the rate limits apply to Webmentions too', () => {
  it("without --allow-private-network a loopback source is never fetched, and serve's log says why", async () => {
    const served = await serve('private', ['--rate-limit', '0', '--allow-port', String(sources.port)]);
    const before = sources.requests.length;
    const results = await runWebmentionClient(served.webmention, [
      {
        form: [
          ['source', `${sources.url}/wm/hello`],
          ['target', T('/posts/wm-hello/')],
        ],
      },
    ]);
    expect(results[0]!.status).toBe(202);
    await verified(served, `${sources.url}/wm/hello`);
    expect(sources.requests.length).toBe(before);
    expect(await list('private')).toEqual([]);
    expect(served.stderr()).toMatch(/webmention not stored: .* \(source 127\.0\.0\.1:\d+ unavailable \(forbidden-address\)\) \(refused by the address policy/);
  });

  it('past the rate limit: 429 with Retry-After, nothing fetched', async () => {
    const served = await serve('limited', ['--allow-private-network', '--rate-limit', '2']);
    const results = await runWebmentionClient(
      served.webmention,
      ['hello', 'reply', 'like'].map((p) => ({
        form: [
          ['source', `${sources.url}/wm/${p}`],
          ['target', T(`/posts/wm-${p}/`)],
        ] as [string, string][],
      })),
    );
    expect(results.map((r) => r.status)).toEqual([202, 202, 429]);
    expect(results[2]).toMatchObject({ body: 'Too many Webmentions; try again later.\n', retryAfter: '60' });
  });
});

describe('what the pages announce', () => {
  it('X-Pingback and Link: rel="webmention" on the posts, as the manifest says; each can be switched off', async () => {
    // An old URL of a post (an alias, with the page Astro leaves there) announces what the post does.
    await mkdir(join(site.root, 'old', 'wm-hello'), { recursive: true });
    await writeFile(
      join(site.root, 'old', 'wm-hello', 'index.html'),
      '<!doctype html><title>Redirecting to: /posts/wm-hello/</title><meta http-equiv="refresh" content="0;url=/posts/wm-hello/">',
    );
    const aliases = { '/old/wm-hello': '/posts/wm-hello' };
    const both = join(dir, 'manifest-both.json');
    await writeFile(both, JSON.stringify({ ...site.manifest, webmention: T('/webmention'), advertise: { pingback: true, webmention: true }, aliases }));
    const webmentionOnly = join(dir, 'manifest-wm.json');
    await writeFile(
      webmentionOnly,
      JSON.stringify({ ...site.manifest, webmention: T('/webmention'), advertise: { pingback: false, webmention: true }, aliases }),
    );
    const a = await serve('headers-a', [], both);
    const post = await fetch(`${a.url}/posts/wm-hello/`);
    expect(post.headers.get('x-pingback')).toBe('https://blog.example/xmlrpc');
    expect(post.headers.get('link')).toBe('<https://blog.example/webmention>; rel="webmention"');
    const home = await fetch(`${a.url}/`);
    expect([home.headers.get('x-pingback'), home.headers.get('link')]).toEqual([null, null]);
    const moved = await fetch(`${a.url}/old/wm-hello/`);
    expect([moved.headers.get('x-pingback'), moved.headers.get('link')]).toEqual([
      'https://blog.example/xmlrpc',
      '<https://blog.example/webmention>; rel="webmention"',
    ]);
    const b = await serve('headers-b', [], webmentionOnly);
    const only = await fetch(`${b.url}/posts/wm-hello/`);
    expect([only.headers.get('x-pingback'), only.headers.get('link')]).toEqual([null, '<https://blog.example/webmention>; rel="webmention"']);
    const movedOnly = await fetch(`${b.url}/old/wm-hello/`);
    expect([movedOnly.headers.get('x-pingback'), movedOnly.headers.get('link')]).toEqual([null, '<https://blog.example/webmention>; rel="webmention"']);
    // A manifest from before Webmention: the pages were built announcing Pingback only.
    const old = await fetch(`${servers[0]!.url}/posts/wm-hello/`);
    expect([old.headers.get('x-pingback'), old.headers.get('link')]).toEqual(['https://blog.example/xmlrpc', null]);
  });

  it("a post that takes pingbacks only (the manifest's pingbackOnly) is served with X-Pingback and no Link, and so is its old URL", async () => {
    const manifestPath = join(dir, 'manifest-pingback-only.json');
    const aliases = { '/old/wm-hello': '/posts/wm-hello' };
    await writeFile(
      manifestPath,
      JSON.stringify({
        ...site.manifest,
        webmention: T('/webmention'),
        advertise: { pingback: true, webmention: true },
        pingbackOnly: ['/posts/wm-hello'],
        aliases,
      }),
    );
    const served = await serve('headers-pingback-only', [], manifestPath);
    const headers = async (path: string) => {
      const page = await fetch(`${served.url}${path}`);
      return [page.headers.get('x-pingback'), page.headers.get('link')];
    };
    expect(await headers('/posts/wm-hello/')).toEqual(['https://blog.example/xmlrpc', null]);
    expect(await headers('/old/wm-hello/')).toEqual(['https://blog.example/xmlrpc', null]);
    expect(await headers('/posts/wm-double/')).toEqual(['https://blog.example/xmlrpc', '<https://blog.example/webmention>; rel="webmention"']);
  });

  it('--webmention-path moves the endpoint; the old path is a page of the site', async () => {
    const served = await serve('moved', ['--allow-private-network', '--rate-limit', '0', '--webmention-path', '/wm']);
    const [moved] = await runWebmentionClient(`${served.url}/wm`, [{ method: 'GET' }]);
    expect(moved).toMatchObject({ status: 405, allow: 'POST' });
    expect((await fetch(`${served.url}/webmention`, { method: 'POST' })).status).toBe(405);
    expect(served.stderr()).toBe('');
    expect(
      (await runCli(['serve', '--root', site.root, '--manifest', site.manifestPath, '--webmention-path', '/xmlrpc', '--store', join(dir, 'clash')], dir))
        .stderr,
    ).toMatch(/--webmention-path: option `webmentionPath` is "\/xmlrpc", the path of another endpoint/);
  });
});
