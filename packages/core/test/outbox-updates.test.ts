import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import { MemoryLedger } from '../src/send/ledger.ts';
import { sendOutbox } from '../src/send/outbox.ts';
import type { Manifest } from '../src/site/manifest.ts';

/*
 * sendOutbox's updates (§3.1.4): a changed post resends its Webmentions and tells the links it lost,
 * once its live page has lost them; a failed update is retried with backoff until delivered, then never
 * again.
 */

let site: TestServer;
let receiver: TestServer;
let page = '';
let failB = false;
let now = Date.parse('2027-05-01T00:00:00Z');
const clock = { now: () => now };

beforeAll(async () => {
  receiver = await startServer((req, res, body) => {
    if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'text/html', link: '</wm>; rel=webmention' }).end('<p>post</p>');
    const target = new URLSearchParams(body).get('target') ?? '';
    if (failB && target.endsWith('/b/')) return void res.writeHead(503).end();
    res.writeHead(202).end();
  });
  site = await startServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(page));
});
afterAll(() => Promise.all([site.close(), receiver.close()]));

const A = () => `${receiver.url}/posts/a/`;
const B = () => `${receiver.url}/posts/b/`;
const html = (links: string[], text: string) => `<!doctype html><article><p>${text}</p>${links.map((l) => `<a href="${l}">x</a>`).join(' ')}</article>`;
const manifest = (targets: string[], hash: string, contentHash: string): Manifest => ({
  version: 1,
  site: `${site.url}/`,
  endpoint: `${site.url}/xmlrpc`,
  hosts: [],
  pages: ['/posts/p'],
  posts: [{ source: `${site.url}/posts/p/`, key: '/posts/p', targets, hash, contentHash }],
  directories: [],
  feed: null,
});
const run = async (m: Manifest, ledger: MemoryLedger) => {
  const report = await sendOutbox(m, { ledger, clock, allowPrivateNetwork: true, timeoutMs: 2000 });
  return Object.fromEntries(report.rows.map((r) => [new URL(r.target).pathname, [r.status, r.why ?? ''].join(' ').trim()]));
};

describe('sendOutbox: updates of an edited post', () => {
  it('waits for the live page, retries a failed update with backoff, then is done', async () => {
    const ledger = new MemoryLedger();
    page = html([A(), B()], 'v1');
    expect(await run(manifest([A(), B()], 'h1', 'c1'), ledger)).toEqual({ '/posts/a/': 'registered', '/posts/b/': 'registered' });
    expect(ledger.getPost(`${site.url}/posts/p/`)?.targets).toEqual([A(), B()]);

    // The build has v2, the live page still v1: A is resent, B waits until the page has lost it.
    const v2 = manifest([A()], 'h2', 'c2');
    expect(await run(v2, ledger)).toEqual({ '/posts/a/': 'registered', '/posts/b/': 'queued removed' });
    expect(ledger.getPost(`${site.url}/posts/p/`)?.targets).toEqual([A(), B()]);

    page = html([A()], 'v2');
    failB = true;
    expect(await run(v2, ledger)).toEqual({ '/posts/a/': 'skipped', '/posts/b/': 'retryable removed' });
    expect(await run(v2, ledger)).toEqual({ '/posts/a/': 'skipped', '/posts/b/': 'skipped removed' });
    now += 16 * 60_000;
    failB = false;
    expect(await run(v2, ledger)).toEqual({ '/posts/a/': 'skipped', '/posts/b/': 'registered removed' });
    expect(ledger.getPost(`${site.url}/posts/p/`)?.targets).toEqual([A()]);
    expect(await run(v2, ledger)).toEqual({ '/posts/a/': 'skipped' });
  });

  it('a dry run lists the resends, the lost links and the gone posts it would tell, sending nothing', async () => {
    const ledger = new MemoryLedger();
    const C = `${receiver.url}/posts/c/`;
    page = html([A(), B(), C], 'v1');
    const first = manifest([A(), B()], 'h1', 'c1');
    first.posts.push({ source: `${site.url}/posts/q/`, key: '/posts/q', targets: [C], hash: 'hq', contentHash: 'cq' });
    expect(await run(first, ledger)).toEqual({ '/posts/a/': 'registered', '/posts/b/': 'registered', '/posts/c/': 'registered' });
    const requests = receiver.requests.length;
    const edited: Manifest = {
      ...manifest([A()], 'h2', 'c2'),
      gone: [{ source: `${site.url}/posts/q/`, key: '/posts/q', targets: [C], since: '2027-04-30T00:00:00Z' }],
    };
    const report = await sendOutbox(edited, { ledger, clock, dryRun: true, allowPrivateNetwork: true });
    expect(report.rows.map((r) => [new URL(r.target).pathname, r.status, r.protocol, r.why ?? '', r.message])).toEqual([
      ['/posts/a/', 'skipped', null, '', 'dry run: not checked, not sent'],
      ['/posts/b/', 'skipped', 'webmention', 'removed', 'dry run: not checked, not sent'],
      ['/posts/c/', 'skipped', 'webmention', 'deleted', 'dry run: not checked, not sent'],
    ]);
    expect(receiver.requests.length).toBe(requests);
  });
});
