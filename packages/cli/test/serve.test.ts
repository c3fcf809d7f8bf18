import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMethodCall, parseMethodResponse } from '@pingback/core';
import type { TestServer } from '../../../test/support/http.ts';
import { html, routes, startServer } from '../../../test/support/http.ts';
import {
  POSTS,
  SITE,
  expectCase,
  expectedRecords,
  receiverCases,
  runWithPython,
  startSourceSite,
  writeReceiverSite,
} from '../../../test/support/receiver-cases.ts';
import type { Served } from './serve-support.ts';
import { runCli, startServe } from './serve-support.ts';

let dir: string;
let sources: TestServer;
let site: Awaited<ReturnType<typeof writeReceiverSite>>;
const servers: Served[] = [];
const T = (path: string) => new URL(path, SITE).href;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-serve-'));
  site = await writeReceiverSite(dir);
  sources = await startSourceSite();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await sources.close();
  await rm(dir, { recursive: true, force: true });
});

async function serve(store: string, extra: string[] = [], env: Record<string, string> = {}, build = site): Promise<Served> {
  const s = await startServe(
    ['--root', build.root, '--manifest', build.manifestPath, '--store', join(dir, store), '--source-timeout', '1500', ...extra],
    dir,
    env,
  );
  servers.push(s);
  return s;
}

const list = async (store: string, extra: string[] = []) => {
  const out = await runCli(['list', '--json', '--store', join(dir, store), ...extra], dir);
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as {
    id: string;
    key: string;
    source: string;
    status: string;
    title: string;
    excerpt: string;
    author: { name: string; url?: string };
  }[];
};

describe("pingback serve answers every receiver case for Python's xmlrpc.client (R1–R36)", () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve('main', ['--allow-private-network', '--rate-limit', '0']);
  });

  it('gives the right answer to each case', async () => {
    const cases = receiverCases(sources.url, 32);
    const results = await runWithPython(
      served.endpoint,
      cases.map((c) => c.request),
    );
    for (const [i, c] of cases.entries()) expectCase(c, results[i]);
  });

  it('pingback list --json then shows exactly what was accepted, with title, excerpt and author', async () => {
    const records = await list('main');
    const expected = expectedRecords(sources.url);
    expect(records.map((r) => r.key).sort()).toEqual(Object.keys(expected).sort());
    for (const r of records) {
      const want = expected[r.key]!;
      expect(r.source, r.key).toBe(want.source);
      expect(r.status).toBe('approved');
      if (typeof want.title === 'string') expect(r.title, r.key).toBe(want.title);
      if (want.excerpt) expect(r.excerpt, r.key).toMatch(want.excerpt);
      if (want.author) expect(r.author, r.key).toEqual(want.author.url ? want.author : { name: want.author.name });
    }
  });
});

describe('private networks are refused without a connection (R19, R21, R23)', () => {
  it('refuses loopback sources by literal, by name and by port, all as 16, and never connects', async () => {
    const port = new URL(sources.url).port;
    // The source's own port is allowed, so that the address rule, not the port rule, is what refuses the loopback cases.
    const served = await serve('private', ['--rate-limit', '0', '--allow-port', port]);
    const before = sources.requests.length;
    const targets = [
      `http://127.0.0.1:${port}/links`,
      `http://localhost:${port}/links`,
      `http://[::1]:${port}/links`,
      `http://2130706433:${port}/links`,
      `http://0x7f.1:${port}/links`,
      `http://[::ffff:127.0.0.1]:${port}/links`,
      'http://10.0.0.1/links',
      'http://169.254.169.254/latest/meta-data/',
      'http://example.com:8081/links',
      'http://127.0.0.1/links',
    ];
    const results = await runWithPython(
      served.endpoint,
      targets.map((s) => ({ call: ['pingback.ping', [s, T('/posts/hello/')]] })),
    );
    for (const [i, r] of results.entries()) {
      expect(r.fault, targets[i]).toEqual({ code: 16, string: 'The source URL could not be retrieved.' });
    }
    expect(sources.requests.length).toBe(before);
    // The sender hears only the uniform fault 16; serve's own log says what would let a local test through.
    const refusals = served
      .stderr()
      .split('\n')
      .filter((l) => / unavailable \(forbidden-address\)/.test(l));
    expect(refusals).toHaveLength(targets.length);
    for (const l of refusals) expect(l).toMatch(/--allow-private-network allows it, for local demos and tests only/);
  });
});

describe('repeat pings, floods and races', () => {
  it('R33: a deleted pingback leaves a tombstone: pinging again answers 48', async () => {
    const served = await serve('deleted', ['--allow-private-network', '--rate-limit', '0']);
    const first = await runWithPython(served.endpoint, [{ call: ['pingback.ping', [`${sources.url}/deleted`, T('/posts/deleted/')]] }]);
    expect(first[0]!.result).toMatch(/registered/);
    const [record] = await list('deleted');
    const deleted = await runCli(['delete', record!.id, '--store', join(dir, 'deleted')], dir);
    expect(deleted.stdout).toMatch(/^deleted /);
    expect(await list('deleted')).toEqual([]);
    expect((await list('deleted', ['--status', 'deleted']))[0]).toMatchObject({ id: record!.id, title: '' });
    const again = await runWithPython(served.endpoint, [{ call: ['pingback.ping', [`${sources.url}/deleted`, T('/posts/deleted/')]] }]);
    expect(again[0]!.fault?.code).toBe(48);
  });

  it('R37: a flood from one client is cut at the limit; fetches identify us and whom they verify for', async () => {
    const served = await serve('flood', ['--allow-private-network', '--rate-limit', '3']);
    const results = await runWithPython(
      served.endpoint,
      [1, 2, 3, 4, 5].map((n) => ({ call: ['pingback.ping', [`${sources.url}/flood-${n}`, T(`/posts/flood-${n}/`)]] })),
    );
    expect(results.map((r) => r.fault?.code ?? 'ok')).toEqual(['ok', 'ok', 'ok', 49, 49]);
    expect(results[3]!.fault!.string).toBe('Too many pingbacks; try again later.');
    const fetch = sources.requests.find((r) => r.path === '/flood-1')!;
    expect(fetch.headers['x-pingback-forwarded-for']).toBe('127.0.0.1');
    expect(fetch.headers['user-agent']).toMatch(
      /^Pingback\/0\.1\.0 \(@pingback\/core\/0\.1\.0; \+https:\/\/blog\.example\/; verifying pingback from 127\.0\.0\.1\)$/,
    );
  });

  it('R37: one source named for two targets is fetched once', async () => {
    const served = await serve('shared', ['--allow-private-network', '--rate-limit', '0']);
    const before = sources.requests.filter((r) => r.path === '/shared').length;
    const results = await runWithPython(served.endpoint, [
      { call: ['pingback.ping', [`${sources.url}/shared`, T('/posts/shared-1/')]] },
      { call: ['pingback.ping', [`${sources.url}/shared`, T('/posts/shared-2/')]] },
    ]);
    expect(results.map((r) => typeof r.result)).toEqual(['string', 'string']);
    expect(sources.requests.filter((r) => r.path === '/shared').length - before).toBe(1);
  });

  it('50 concurrent copies of one pingback: one registered, 49 already registered, one record', async () => {
    const served = await serve('race', ['--allow-private-network', '--rate-limit', '0']);
    const body = writeMethodCall('pingback.ping', [`${sources.url}/concurrent`, T('/posts/concurrent/')]);
    const replies = await Promise.all(
      Array.from({ length: 50 }, async () =>
        parseMethodResponse(Buffer.from(await (await fetch(served.endpoint, { method: 'POST', body, headers: { 'content-type': 'text/xml' } })).arrayBuffer())),
      ),
    );
    expect(replies.filter((r) => r.kind === 'result')).toHaveLength(1);
    expect(replies.filter((r) => r.kind === 'fault' && r.faultCode === 48)).toHaveLength(49);
    expect(await list('race')).toHaveLength(1);
  });
});

describe('moderation, rebuilds and the read endpoint', () => {
  it('holds pingbacks as pending in manual mode; approve publishes and calls the build hook', async () => {
    const hook = await startServer((_req, res) => void res.writeHead(200).end('{}'));
    try {
      const env = { PINGBACK_BUILD_HOOK_URL: `${hook.url}/build_hooks/abc123` };
      const served = await serve('moderated', ['--allow-private-network', '--moderation', 'manual'], env);
      const ping = await runWithPython(served.endpoint, [{ call: ['pingback.ping', [`${sources.url}/moderated`, T('/posts/moderated/')]] }]);
      expect(ping[0]!.result).toMatch(/registered/);
      const [pending] = await list('moderated', ['--status', 'pending']);
      expect(pending).toMatchObject({ key: '/posts/moderated', status: 'pending' });
      expect(await (await fetch(`${served.url}/pingbacks.json`)).json()).toEqual({ items: [], next: null });
      expect(hook.requests).toHaveLength(0);

      const approved = await runCli(['approve', pending!.id, '--store', join(dir, 'moderated')], dir, env);
      expect(approved.stdout).toMatch(/approved .*\n {2}rebuild requested/);
      expect(hook.requests.map((r) => [r.method, r.path])).toEqual([['POST', '/build_hooks/abc123']]);
      const read = (await (await fetch(`${served.url}/pingbacks.json`)).json()) as { items: { id: string }[] };
      expect(read.items.map((i) => i.id)).toEqual([pending!.id]);

      const again = await runCli(['approve', pending!.id, '--store', join(dir, 'moderated')], dir, env);
      expect(again.stdout).toMatch(/already requested in this interval/);
      expect(hook.requests).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });

  it('a pingback that comes after its interval asked for a rebuild is rebuilt for when the interval ends, once', async () => {
    const hook = await startServer((_req, res) => void res.writeHead(200).end('{}'));
    try {
      const env = { PINGBACK_BUILD_HOOK_URL: `${hook.url}/build_hooks/owed` };
      await serve('owed', ['--allow-private-network', '--rate-limit', '0', '--rebuild-interval', '3000'], env);
      const served = servers.at(-1)!;
      // Two approved pingbacks a moment apart: the second most often in the interval the first asked for.
      const pings = await runWithPython(served.endpoint, [
        { call: ['pingback.ping', [`${sources.url}/links`, T('/posts/hello/')]] },
        { call: ['pingback.ping', [`${sources.url}/upper`, T('/posts/upper/')]] },
      ]);
      expect(pings.map((p) => p.result)).toEqual([expect.stringMatching(/registered/), expect.stringMatching(/registered/)]);
      const deadline = Date.now() + 15_000;
      while (hook.requests.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(hook.requests.map((r) => [r.method, r.path])).toEqual([
        ['POST', '/build_hooks/owed'],
        ['POST', '/build_hooks/owed'],
      ]);
      // Nothing more is owed: two more intervals pass without a call.
      await new Promise((r) => setTimeout(r, 6500));
      expect(hook.requests).toHaveLength(2);
    } finally {
      await hook.close();
    }
  });

  it('serves the moderation page when PINGBACK_ADMIN_TOKEN is set: sign in, see the pending pingback, approve it over HTTP', async () => {
    const token = 'serve-admin-token-0123456789abcdef';
    const served = await serve('admin', ['--allow-private-network', '--moderation', 'pending', '--admin-path', '/moderate'], { PINGBACK_ADMIN_TOKEN: token });
    expect((await fetch(`${served.url}/pingback/admin`)).status).toBe(404);
    const ping = await runWithPython(served.endpoint, [{ call: ['pingback.ping', [`${sources.url}/moderated`, T('/posts/moderated/')]] }]);
    expect(ping[0]!.result).toMatch(/registered/);
    const origin = new URL(SITE).origin;
    const post = (path: string, fields: Record<string, string>, cookie = '') =>
      fetch(`${served.url}/moderate${path}`, {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams(fields),
        headers: { origin, ...(cookie ? { cookie } : {}) },
      });
    expect((await post('/sign-in', { token: 'wrong' })).status).toBe(401);
    const signedIn = await post('/sign-in', { token });
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await fetch(`${served.url}/moderate`, { headers: { cookie } })).text();
    expect(page).toContain('<span class="badge badge--pending">pending</span>');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const [pending] = await list('admin', ['--status', 'pending']);
    expect((await post('/action', { csrf, one: `approve:${pending!.id}` }, cookie)).status).toBe(303);
    expect((await list('admin', ['--status', 'approved'])).map((r) => r.id)).toEqual([pending!.id]);
    expect(served.stderr()).not.toContain(token);
  });

  it('refuses a moderation token too short to be a secret, naming the variable that holds it', async () => {
    const out = await runCli(['serve', '--root', site.root, '--manifest', site.manifestPath, '--port', '0', '--admin-token-env', 'MY_TOKEN'], dir, {
      MY_TOKEN: 'short',
    });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(
      /^pingback serve: MY_TOKEN: option `admin\.token` must be a secret of at least 24 characters, got 5\. Make one with `openssl rand -base64 32`/,
    );
  });

  it('pages with a cursor, filters by post, answers 304 to a matching ETag, and rejects bad parameters', async () => {
    const served = servers[0]!;
    const all = (await (await fetch(`${served.url}/pingbacks.json?limit=1000`)).json()) as { items: { key: string }[] };
    expect(all.items.length).toBe(Object.keys(expectedRecords(sources.url)).length);
    const seen: string[] = [];
    let url = `${served.url}/pingbacks.json?limit=5`;
    for (;;) {
      const page = (await (await fetch(url)).json()) as { items: { id: string }[]; next: string | null };
      seen.push(...page.items.map((i) => i.id));
      if (!page.next) break;
      url = `${served.url}/pingbacks.json?limit=5&cursor=${page.next}`;
    }
    expect(seen.length).toBe(all.items.length);
    expect(new Set(seen).size).toBe(seen.length);

    const one = await fetch(`${served.url}/pingbacks.json?target=${encodeURIComponent('http://www.blog.example/posts/hello/index.html')}`);
    const body = (await one.json()) as { items: { key: string; source: string }[] };
    expect(body.items.map((i) => [i.key, i.source])).toEqual([['/posts/hello', `${sources.url}/links`]]);
    const etag = one.headers.get('etag')!;
    const cached = await fetch(`${served.url}/pingbacks.json?target=/posts/hello/`, { headers: { 'if-none-match': etag } });
    expect(cached.status).toBe(304);

    expect((await fetch(`${served.url}/pingbacks.json?limit=0`)).status).toBe(400);
    expect((await fetch(`${served.url}/pingbacks.json?target=https://elsewhere.example/x`)).status).toBe(400);
    expect((await fetch(`${served.url}/pingbacks.json?cursor=!!!`)).status).toBe(400);
  });
});

describe('a rebuild while serving', () => {
  const ping = (served: Served, source: string, post: string) =>
    runWithPython(served.endpoint, [{ call: ['pingback.ping', [source, T(`/posts/${post}/`)]] }]).then(([r]) => r!.fault?.code ?? r!.result);
  const linking = (...posts: string[]) =>
    html(`<!doctype html><title>Reply</title><p>${posts.map((p) => `<a href="${T(`/posts/${p}/`)}">${p}</a>`).join(' ')}</p>`);
  let replies: TestServer;
  beforeAll(async () => {
    replies = await startServer(
      routes({ '/fresh': linking('fresh'), '/hello': linking('hello'), '/later': linking('later'), '/advertised': linking('advertised') }),
    );
  });
  afterAll(() => replies.close());

  it('serves a new post with its endpoint and accepts its pings, without a restart; a half-written manifest keeps the last good one', async () => {
    const build = await writeReceiverSite(join(dir, 'rebuild'));
    const served = await serve('rebuild', ['--allow-private-network', '--rate-limit', '0'], {}, build);
    // Before the rebuild the post doesn't exist yet: 32, and no endpoint on a page that isn't there.
    expect(await ping(served, `${replies.url}/fresh`, 'fresh')).toBe(32);

    // The rebuild writes the new page, then the manifest that lists it.
    await mkdir(join(build.root, 'posts', 'fresh'), { recursive: true });
    await writeFile(join(build.root, 'posts', 'fresh', 'index.html'), '<!doctype html><title>Fresh</title><article>Fresh</article>');
    await writeFile(build.manifestPath, JSON.stringify({ ...build.manifest, pages: [...build.manifest.pages, '/posts/fresh'] }));
    const page = await fetch(`${served.url}/posts/fresh/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('x-pingback')).toBe('https://blog.example/xmlrpc');
    expect(await ping(served, `${replies.url}/fresh`, 'fresh')).toMatch(/registered/);
    expect(served.stderr()).toMatch(/reloaded .*manifest\.json: \d+ pingable pages \(1 new\)/);

    // A manifest caught half-written is not a manifest: the last good one still answers, and the log says so once.
    await mkdir(join(build.root, 'posts', 'later'), { recursive: true });
    await writeFile(join(build.root, 'posts', 'later', 'index.html'), '<!doctype html><title>Later</title>');
    await writeFile(build.manifestPath, JSON.stringify({ ...build.manifest, pages: [...build.manifest.pages, '/posts/fresh', '/posts/later'] }).slice(0, 60));
    expect(await ping(served, `${replies.url}/hello`, 'hello')).toMatch(/registered/);
    expect(await ping(served, `${replies.url}/later`, 'later')).toBe(33);
    expect(served.stderr().match(/is not valid JSON\. Rebuild the site to write a fresh manifest\. Still answering by the manifest read before/g)).toHaveLength(
      1,
    );
    await writeFile(build.manifestPath, JSON.stringify({ ...build.manifest, pages: [...build.manifest.pages, '/posts/fresh', '/posts/later'] }));
    expect(await ping(served, `${replies.url}/later`, 'later')).toMatch(/registered/);
    expect((await list('rebuild')).map((r) => r.key).sort()).toEqual(['/posts/fresh', '/posts/hello', '/posts/later']);
  });

  it('without a manifest, a new page that advertises the endpoint takes pings at once', async () => {
    const build = await writeReceiverSite(join(dir, 'rebuild-plain'));
    const served = await startServe(
      ['--root', build.root, '--site', SITE, '--store', join(dir, 'rebuild-plain-store'), '--allow-private-network', '--rate-limit', '0'],
      dir,
    );
    servers.push(served);
    await mkdir(join(build.root, 'posts', 'advertised'), { recursive: true });
    await writeFile(
      join(build.root, 'posts', 'advertised', 'index.html'),
      `<!doctype html><title>Advertised</title><link rel="pingback" href="${T('/xmlrpc')}">`,
    );
    expect((await fetch(`${served.url}/posts/advertised/`)).headers.get('x-pingback')).toBe('https://blog.example/xmlrpc');
    expect(await ping(served, `${replies.url}/advertised`, 'advertised')).toMatch(/registered/);
  });
});

describe('static serving', () => {
  it('sends X-Pingback on pingable pages only, serves pretty URLs, 404s what is missing, stays inside the root', async () => {
    const served = servers[0]!;
    const post = await fetch(`${served.url}/posts/hello/`);
    expect(post.status).toBe(200);
    expect(post.headers.get('x-pingback')).toBe('https://blog.example/xmlrpc');
    expect((await fetch(`${served.url}/posts/${POSTS[1]}`)).headers.get('x-pingback')).toBe('https://blog.example/xmlrpc');
    const home = await fetch(`${served.url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('x-pingback')).toBe(null);
    expect((await fetch(`${served.url}/posts/closed/`)).headers.get('x-pingback')).toBe(null);
    expect((await fetch(`${served.url}/nope/`)).status).toBe(404);
    expect((await fetch(`${served.url}/%2e%2e/manifest.json`)).status).toBe(404);
    expect((await fetch(`${served.url}/rss.xml`)).headers.get('content-type')).toMatch(/xml/);
  });

  it('needs a site and a root, and says so', async () => {
    expect((await runCli(['serve', '--root', join(dir, 'nowhere'), '--site', SITE], dir)).stderr).toMatch(/--root .* does not exist; build the site first/);
    expect((await runCli(['serve', '--root', site.root], dir)).stderr).toMatch(/--site URL is required when there is no manifest/);
  });

  it('on a port already taken, says which and how to pick another, exits 2, no stack', async () => {
    const holder = await startServer((_req, res) => void res.end());
    try {
      const out = await runCli(
        ['serve', '--root', site.root, '--manifest', site.manifestPath, '--port', String(holder.port), '--store', join(dir, 'busy')],
        dir,
      );
      expect(out.code).toBe(2);
      expect(out.stderr).toBe(
        `pingback serve: port ${holder.port} on 127.0.0.1 is already in use; stop what is using it, or pick another with --port (0 picks a free one)\nRun \`pingback serve --help\` for usage.\n`,
      );
    } finally {
      await holder.close();
    }
  });
});
