import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetlifyDev } from '@netlify/dev';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteBuild } from './support/site-build.ts';
import type { TestServer } from './support/http.ts';
import { startServer } from './support/http.ts';
import type { PythonPeer } from './support/python.ts';
import { startPythonPeer } from './support/python.ts';
import { runWithPython } from './support/receiver-cases.ts';
import type { ReceivingSite } from './support/receiving-site.ts';
import { startReceivingSite } from './support/receiving-site.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/netlify-site/', import.meta.url));

let dev: NetlifyDev;
let bridge: Server;
let site: string;
let other: ReceivingSite;
let sources: TestServer;
let directory: PythonPeer;

beforeAll(async () => {
  await rm(join(FIXTURE, '.netlify'), { recursive: true, force: true });
  await rm(join(FIXTURE, '.pingback'), { recursive: true, force: true });
  other = await startReceivingSite();
  directory = await startPythonPeer();
  // Netlify's emulation behind a plain loopback server: the site's public address for this test.
  bridge = createServer((req, res) => {
    dev
      .handleAndIntrospectNodeRequest(req)
      .then(async (handled) => {
        if (!handled) return void res.writeHead(404).end();
        const headers: Record<string, string> = {};
        for (const [k, v] of handled.response.headers) headers[k] = v;
        res.writeHead(handled.response.status, headers).end(Buffer.from(await handled.response.arrayBuffer()));
      })
      .catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
  site = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}/`;

  const built = await siteBuild('astro', FIXTURE, { NETLIFY: 'true', PINGBACK_SITE: site, PINGBACK_TARGET: other.url, PINGBACK_DIRECTORY: directory.endpoint });
  expect(built.code, built.stderr).toBe(0);
  expect(built.lines).toContain('2 links queued: the Function sends them when the deploy is live');

  // Sources on loopback are refused in production; this switch exists for local emulation only.
  process.env.PINGBACK_ALLOW_PRIVATE_NETWORK = 'true';
  dev = new NetlifyDev({
    projectRoot: FIXTURE,
    skipGitignore: true,
    geolocation: { enabled: false },
    aiGateway: { enabled: false },
    database: { enabled: false },
    images: { enabled: false },
    edgeFunctions: { enabled: false },
  });
  await dev.start();
  // A blog that links to the fixture's posts, for the independent client to name as source.
  sources = await startServer((req, res) => {
    const slug = (req.url ?? '').split('/').pop();
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>Reply ${slug}</title><p>About <a href="${site}posts/${slug}/">that post</a>.</p>`);
  });
}, 180_000);

afterAll(async () => {
  delete process.env.PINGBACK_ALLOW_PRIVATE_NETWORK;
  await dev?.stop();
  bridge?.close();
  await Promise.all([other?.close(), sources?.close(), directory?.close()]);
  await rm(join(FIXTURE, '.netlify'), { recursive: true, force: true });
});

describe("the emitted Function under Netlify's local emulation (@netlify/dev, offline)", () => {
  it('serves the built pages with the link element, and the Function at /xmlrpc', async () => {
    const page = await (await fetch(`${site}posts/alpha/`)).text();
    expect(page).toContain(`<link rel="pingback" href="${site}xmlrpc">`);
    const get = await fetch(`${site}xmlrpc`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it("takes a pingback from Python's xmlrpc.client, verifies the source, stores it in the emulated Blobs, and serves it back", async () => {
    const results = await runWithPython(`${site}xmlrpc`, [
      { call: ['pingback.ping', [`${sources.url}/alpha`, `${site}posts/alpha/`]] },
      { call: ['pingback.ping', [`${sources.url}/alpha`, `${site}posts/alpha/`]] },
      { call: ['pingback.ping', [`${sources.url}/alpha`, `${site}`]] },
    ]);
    expect(results[0]!.result).toMatch(/registered/);
    expect(results[1]!.fault?.code).toBe(48);
    expect(results[2]!.fault?.code).toBe(33);
    const read = (await (await fetch(`${site}pingbacks.json?target=/posts/alpha/`)).json()) as { items: { source: string; title: string }[] };
    expect(read.items).toEqual([expect.objectContaining({ source: `${sources.url}/alpha`, title: 'Reply alpha' })]);
  });

  it("sends after a production deploy (the emulator delivers no deploy events, so the handler gets one shaped like Netlify's), never after a preview", async () => {
    const fn = (await import(join(FIXTURE, '.netlify/v1/functions/pingback.mjs'))) as { default: { deploySucceeded(e: object): Promise<void> } };
    const event = (context: string) => ({
      deploy: { id: `d-${context}`, context, publishedAt: '2026-11-21T00:00:00.000Z', url: site, sslUrl: site, permalinkUrl: site },
      site: { url: site },
    });
    await fn.default.deploySucceeded(event('deploy-preview'));
    expect(other.calls).toBe(0);
    await fn.default.deploySucceeded(event('production'));
    expect((await other.store.list()).map((r) => `${new URL(r.source).pathname} → ${r.key}`).sort()).toEqual([
      '/posts/alpha/ → /posts/alpha-reply',
      '/posts/beta/ → /posts/beta-reply',
    ]);
    await directory.waitForCalls(1);
    expect(directory.calls.map((c) => c.method)).toEqual(['weblogUpdates.extendedPing']);
    await fn.default.deploySucceeded(event('production'));
    expect(other.calls).toBe(2);
  });
});
