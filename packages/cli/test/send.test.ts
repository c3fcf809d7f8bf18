import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@pingback/core';
import type { TestServer } from '../../../test/support/http.ts';
import type { PythonPeer } from '../../../test/support/python.ts';
import { startPythonPeer } from '../../../test/support/python.ts';
import type { ReceivingSite } from '../../../test/support/receiving-site.ts';
import { startReceivingSite } from '../../../test/support/receiving-site.ts';
import { serveFolder } from '../../../test/support/static-server.ts';
import { runCli } from './serve-support.ts';

let dir: string;
let site: TestServer;
let other: ReceivingSite;
let directory: PythonPeer;

interface Row {
  source: string;
  target: string;
  status: string;
  message: string;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-send-'));
  other = await startReceivingSite();
  directory = await startPythonPeer();
  site = await serveFolder(() => join(dir, 'dist'), new Set(['/posts/later/']));
  const page = async (slug: string, body: string, head = '') => {
    await mkdir(join(dir, 'dist/posts', slug), { recursive: true });
    await writeFile(
      join(dir, 'dist/posts', slug, 'index.html'),
      `<!doctype html><html><head><title>${slug}</title>${head}</head><body><article>${body}</article></body></html>`,
    );
  };
  const link = `<link rel="pingback" href="${site.url}/xmlrpc">`;
  await page('one', `<a href="${other.url}/posts/a/">a</a> <a href="${other.url}/posts/b/">b</a>`, link);
  await page('later', `<a href="${other.url}/posts/c/">c</a>`, link);
  await page('page', `<a href="${other.url}/posts/not-a-post/">not from a post</a>`);
  // Live (200), but the published page doesn't carry the link the build saw (yet): not live for that target.
  await page('stale', '<p>An older version, without the link.</p>');
  const manifest: Manifest = {
    version: 1,
    site: `${site.url}/`,
    endpoint: `${site.url}/xmlrpc`,
    hosts: [],
    pages: ['/posts/one', '/posts/later', '/posts/stale'],
    posts: [
      { source: `${site.url}/posts/one/`, key: '/posts/one', targets: [`${other.url}/posts/a/`, `${other.url}/posts/b/`], hash: '1' },
      { source: `${site.url}/posts/later/`, key: '/posts/later', targets: [`${other.url}/posts/c/`], hash: '1' },
      { source: `${site.url}/posts/stale/`, key: '/posts/stale', targets: [`${other.url}/posts/d/`], hash: '1' },
    ],
    directories: [directory.endpoint],
    feed: null,
    name: 'Send test',
  };
  await mkdir(join(dir, '.pingback'), { recursive: true });
  await writeFile(join(dir, '.pingback/manifest.json'), JSON.stringify(manifest));
});
afterAll(async () => {
  await Promise.all([site.close(), other.close(), directory.close()]);
  await rm(dir, { recursive: true, force: true });
});

// The site is on loopback, so every run that should send says so (--allow-private-network).
const send = async (args: string[], allow = true) => {
  const out = await runCli(['send', ...args, ...(allow ? ['--allow-private-network'] : [])], dir);
  return { ...out, rows: args.includes('--json') && out.stdout.trim().startsWith('[') ? (JSON.parse(out.stdout) as Row[]) : [] };
};
const byTarget = (rows: Row[]) => Object.fromEntries(rows.map((r) => [new URL(r.target).pathname, r.status]));

describe('pingback send', () => {
  it('--dry-run touches no network and lists what it would do', async () => {
    const out = await send(['--json', '--dry-run']);
    expect(out.code).toBe(0);
    expect(out.rows.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(out.rows[0]!.message).toBe('dry run: not checked, not sent');
    expect(other.calls).toBe(0);
  });

  it('a site that is not public sends nothing and tells no directory, says so in one line, and keeps no ledger', async () => {
    const out = await send([], false);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(
      /^pings \(pingback send\): nothing sent and no directory told, because the site is not public \(127\.0\.0\.1 is not a public address\); 4 links left for a run on the public site \(allowPrivateNetwork \/ --allow-private-network sends anyway, for local tests\)\n$/,
    );
    const json = await send(['--json'], false);
    expect(json.rows.map((r) => [r.status, r.message])).toEqual(
      Array(4).fill(['skipped', 'not sent: the site is not public (127.0.0.1 is not a public address)']),
    );
    expect(json.stderr).toMatch(/nothing sent and no directory told/);
    // Nor a reserved name, whatever the manifest says.
    const named = await send(['--site', 'http://blog.localhost:4321/', '--json'], false);
    expect(new Set(named.rows.map((r) => r.message))).toEqual(
      new Set(['not sent: the site is not public (blog.localhost is a local or reserved name (.localhost))']),
    );
    expect(other.calls).toBe(0);
    expect(site.requests).toHaveLength(0);
    expect(directory.calls).toHaveLength(0);
    await expect(readFile(join(dir, '.pingback/ledger.json'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('pings what is live, queues what is not, tells the directory, and writes the ledger', async () => {
    const out = await send(['--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(byTarget(out.rows)).toEqual({ '/posts/a/': 'registered', '/posts/b/': 'registered', '/posts/c/': 'queued', '/posts/d/': 'queued' });
    const message = (target: string) => out.rows.find((r) => r.target.endsWith(target))!.message;
    expect(message('/posts/c/')).toBe('not live yet: the post answers HTTP 404');
    // The page answers 200 but does not link to /posts/d/: a receiver would refuse it (17), so it waits.
    expect(message('/posts/d/')).toBe('not live yet: the published post does not link to it yet');
    expect(site.requests.filter((r) => r.path === '/posts/stale/')).toHaveLength(1);
    await directory.waitForCalls(1);
    expect(directory.calls[0]!.params.slice(0, 3)).toEqual(['Send test', `${site.url}/`, `${site.url}/posts/one/`]);
    const ledger = JSON.parse(await readFile(join(dir, '.pingback/ledger.json'), 'utf8'));
    expect(ledger.entries).toHaveLength(2);
  });

  it('a second run sends nothing new and says so in plain output', async () => {
    const calls = other.calls;
    const out = await send([]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^skipped +http:\/\/127\.0\.0\.1:\d+\/posts\/one\/ → .*\/posts\/a\/ \(pingback\)\n +registered on /m);
    expect(out.stdout).toMatch(/pings \(pingback send\): 0 registered, 0 already done, 0 refused, 0 retryable, 0 no endpoint, 2 queued/);
    expect(other.calls).toBe(calls);
  });

  it('--root scans a built site: the pages that advertise an endpoint are the posts', async () => {
    const out = await send(['--root', join(dir, 'dist'), '--site', `${site.url}/`, '--ledger', join(dir, 'other-ledger.json'), '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/advertised on 2 pages \(2 already had the link\), 2 posts scanned, 3 links to other sites/);
    expect(byTarget(out.rows)).toEqual({ '/posts/a/': 'already-registered', '/posts/b/': 'already-registered', '/posts/c/': 'queued' });
  });

  it('--strict exits 1 when a ping was refused or is to be retried', async () => {
    const manifest = JSON.parse(await readFile(join(dir, '.pingback/manifest.json'), 'utf8')) as Manifest;
    manifest.posts[0]!.targets.push('http://127.0.0.1:9/posts/down/');
    await writeFile(join(dir, 'strict.json'), JSON.stringify(manifest));
    await writeFile(
      join(dir, 'dist/posts/one/index.html'),
      (await readFile(join(dir, 'dist/posts/one/index.html'), 'utf8')).replace('</article>', '<a href="http://127.0.0.1:9/posts/down/">down</a></article>'),
    );
    const loose = await send(['--manifest', join(dir, 'strict.json'), '--ledger', join(dir, 'strict-ledger.json'), '--timeout', '2000']);
    expect(loose.code).toBe(0);
    const strict = await send(['--manifest', join(dir, 'strict.json'), '--ledger', join(dir, 'strict-ledger-2.json'), '--timeout', '2000', '--strict']);
    expect(strict.code).toBe(1);
  });

  it.each([
    [['--root', 'x', '--manifest', 'y'], /give --manifest or --root, not both/],
    [['--root', 'dist'], /--root needs --site URL/],
    [['--manifest', 'missing.json'], /missing\.json does not exist\. Build the site first/],
    [['--site', 'not a url'], /option `--site` must be an absolute http\(s\) URL/],
    [['--budget', 'soon'], /--budget must be a whole number/],
  ])('%j is a usage error', async (args, message) => {
    const out = await send(args);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
  });
});
