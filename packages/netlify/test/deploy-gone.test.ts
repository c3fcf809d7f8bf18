import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@pingback/core';
import type { LocalBlobs } from '../../../test/support/blobs.ts';
import { startLocalBlobs } from '../../../test/support/blobs.ts';
import type { TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import type { WebmentionReceiver } from '../../../test/support/webmention-receiver.ts';
import { startWebmentionReceiver } from '../../../test/support/webmention-receiver.ts';
import { BlobsStore } from '../src/blobs-store.ts';
import { onDeploySucceeded } from '../src/deploy-send.ts';

/*
 * The deploy-succeeded handler over the local Blobs server, sending to a Webmention receiver peer: a post
 * sends its Webmention on the first deploy; a later deploy whose manifest has it `gone` (the build found
 * its page missing; the deploy answers 410 there) tells the target once; the deploy after sends nothing.
 */

let blobs: LocalBlobs;
let peer: WebmentionReceiver;
let site: TestServer;
let deleted = false;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

beforeAll(async () => {
  blobs = await startLocalBlobs();
  process.env.NETLIFY_BLOBS_CONTEXT = blobs.context;
  // The "production" site is on loopback, which a Netlify site never is: local emulation opts in.
  process.env.PINGBACK_ALLOW_PRIVATE_NETWORK = 'true';
  peer = await startWebmentionReceiver();
  site = await startServer((_req, res) => {
    if (deleted) return void res.writeHead(410, { 'content-type': 'text/html' }).end('<p class="e-content">Deleted</p>');
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><article class="e-content"><a href="${peer.url}/posts/t/">a reply</a></article>`);
  });
});
afterAll(async () => {
  delete process.env.NETLIFY_BLOBS_CONTEXT;
  delete process.env.PINGBACK_ALLOW_PRIVATE_NETWORK;
  await Promise.all([site.close(), peer.close(), blobs.stop()]);
});

function manifest(gone: boolean): Manifest {
  const post = { source: `${site.url}/posts/p/`, key: '/posts/p', targets: [`${peer.url}/posts/t/`], hash: 'h1' };
  return {
    version: 1,
    site: `${site.url}/`,
    endpoint: `${site.url}/xmlrpc`,
    hosts: [],
    pages: gone ? [] : ['/posts/p'],
    posts: gone ? [] : [post],
    ...(gone ? { gone: [{ source: post.source, key: post.key, targets: post.targets, since: '2027-01-01T00:00:00.000Z' }] } : {}),
    directories: [],
    feed: null,
  };
}

const event = (id: string) => ({ deploy: { id, context: 'production', publishedAt: '2027-01-01T00:00:00Z' } });

describe('the deploy-succeeded handler tells the targets of a gone post, once', () => {
  it('first deploy: a Webmention; the deploy that lost the post: its deletion; the next: nothing', async () => {
    const store = new BlobsStore({ name: 'gone-test' });
    const first = await onDeploySucceeded(event('d1'), manifest(false), store, { site: `${site.url}/` }, quiet);
    await peer.settled();
    expect(first!.rows.map((r) => [r.status, r.protocol, r.why])).toEqual([['registered', 'webmention', undefined]]);
    expect(peer.mentions.size).toBe(1);

    deleted = true;
    const second = await onDeploySucceeded(event('d2'), manifest(true), store, { site: `${site.url}/` }, quiet);
    await peer.settled();
    expect(second!.rows.map((r) => [r.status, r.protocol, r.why])).toEqual([['registered', 'webmention', 'deleted']]);
    expect(peer.mentions.size).toBe(0);
    expect(peer.log.at(-1)).toBe(`deleted (410) ${site.url}/posts/p/ ${peer.url}/posts/t/`);

    const third = await onDeploySucceeded(event('d3'), manifest(true), store, { site: `${site.url}/` }, quiet);
    expect(third!.rows.map((r) => [r.status, r.why])).toEqual([['skipped', 'deleted']]);
    expect(peer.received).toHaveLength(2);
  });

  it('sends only by the protocols the settings allow', async () => {
    deleted = false;
    const store = new BlobsStore({ name: 'gone-test-pingback-only' });
    const report = await onDeploySucceeded(event('d4'), manifest(false), store, { site: `${site.url}/`, protocols: { webmention: false } }, quiet);
    expect(report!.rows.map((r) => [r.status, r.protocol])).toEqual([['no-endpoint', null]]);
    expect(report!.rows[0]!.message).toMatch(/^no X-Pingback header and no <link rel="pingback"/);
  });
});
