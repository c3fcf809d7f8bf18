import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddress, sendResponse, toRequest } from '@pingback/core/node';
import type { LocalBlobs } from '../../../test/support/blobs.ts';
import { startLocalBlobs } from '../../../test/support/blobs.ts';
import type { TestServer } from '../../../test/support/http.ts';
import { SITE, expectCase, expectedRecords, receiverCases, runWithPython, startSourceSite, writeReceiverSite } from '../../../test/support/receiver-cases.ts';
import type { WebmentionSources } from '../../../test/support/webmention-cases.ts';
import { EXPECTED_WEBMENTIONS, expectWebmentionCase, runWebmentionClient, startWebmentionSources, webmentionCases } from '../../../test/support/webmention-cases.ts';
import { recordConnections } from '../../../test/hostile/support/network.ts';
import { BlobsStore } from '../src/blobs-store.ts';
import { emitNetlifyFunction } from '../src/emit.ts';
import type { FunctionSettings } from '../src/settings.ts';

// The generated module must resolve '@pingback/netlify/function' as a deployed site would, so it is
// written inside the workspace (ignored by git), not in the system temp folder.
const GENERATED = new URL('./.generated/', import.meta.url).pathname;

interface NetlifyModule {
  default: { fetch(request: Request, context: { ip?: string; waitUntil?: (p: Promise<unknown>) => void }): Promise<Response> };
  config: { path: string[]; method: string[]; rateLimit?: { windowLimit: number; windowSize: number; aggregateBy: string[] }; generator: string };
}

let blobs: LocalBlobs;
let sources: TestServer;
let wmSources: WebmentionSources;
const servers: Server[] = [];
/** What the Function handed to `context.waitUntil`: the work it goes on with after answering. */
const kept: Promise<unknown>[] = [];
const settled = async () => {
  while (kept.length > 0) await Promise.all(kept.splice(0));
};

beforeAll(async () => {
  blobs = await startLocalBlobs();
  sources = await startSourceSite();
  wmSources = await startWebmentionSources();
  // What Netlify puts in a Function's environment; the local-only switch lets sources live on loopback.
  process.env.NETLIFY_BLOBS_CONTEXT = blobs.context;
  process.env.PINGBACK_ALLOW_PRIVATE_NETWORK = 'true';
});
afterAll(async () => {
  delete process.env.NETLIFY_BLOBS_CONTEXT;
  delete process.env.PINGBACK_ALLOW_PRIVATE_NETWORK;
  for (const s of servers) s.close();
  await sources.close();
  await wmSources.close();
  await blobs.stop();
  await rm(GENERATED, { recursive: true, force: true });
});

/** Builds a fixture project, emits its Function, imports it the way Netlify runs it, and serves it on loopback. */
async function deploy(name: string, settings: Omit<FunctionSettings, 'site'>): Promise<{ url: string; module: NetlifyModule }> {
  const project = join(GENERATED, name);
  await mkdir(project, { recursive: true });
  const site = await writeReceiverSite(project);
  const { functionFile } = await emitNetlifyFunction({ projectRoot: project, settings: { site: SITE, ...settings }, manifestPath: site.manifestPath, headerPaths: ['/posts/:slug'], endpoint: `${SITE}xmlrpc` });
  const module = (await import(functionFile)) as NetlifyModule;
  const server = createServer((req, res) => {
    module.default
      .fetch(toRequest(req, SITE), { ip: clientAddress(req), waitUntil: (p) => kept.push(p) })
      .then((response) => sendResponse(response, res, req.method === 'HEAD'))
      .catch((error: unknown) => res.destroy(error as Error));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, module };
}

describe('the generated Netlify Function over the local Blobs server', () => {
  it('declares its paths, methods, per-address backstop and generator as literals', async () => {
    const { module } = await deploy('config', { storeName: 'config-check' });
    expect(module.config).toEqual({
      path: ['/xmlrpc', '/webmention', '/pingbacks.json'],
      method: ['GET', 'HEAD', 'POST'],
      rateLimit: { windowLimit: 60, windowSize: 60, aggregateBy: ['ip', 'domain'] },
      generator: '@pingback/netlify@0.1.0',
    });
  });

  it('gives Python\'s xmlrpc.client the same answers as pingback serve (a missing page is 33: the Function can\'t be sure)', async () => {
    const { url } = await deploy('cases', { storeName: 'cases', rateLimit: 0, sourceTimeoutMs: 1500 });
    const cases = receiverCases(sources.url, 33);
    const results = await runWithPython(`${url}/xmlrpc`, cases.map((c) => c.request));
    cases.forEach((c, i) => expectCase(c, results[i]));

    const stored = await new BlobsStore({ name: 'cases', ...blobs.client }).list();
    const expected = expectedRecords(sources.url);
    expect(stored.map((r) => r.key).sort()).toEqual(Object.keys(expected).sort());
    for (const r of stored) {
      const want = expected[r.key]!;
      if (typeof want.title === 'string') expect(r.title, r.key).toBe(want.title);
      if (want.author) expect(r.author, r.key).toEqual(want.author.url ? want.author : { name: want.author.name });
    }
    const read = (await (await fetch(`${url}/pingbacks.json?target=/posts/latin1`)).json()) as { items: { title: string; excerpt: string }[] };
    expect(read.items).toMatchObject([{ title: 'Café', excerpt: 'Un café this post' }]);
  });

  it('keeps its rate limits in the store, so they hold across instances', async () => {
    const first = await deploy('limit-a', { storeName: 'limited', rateLimit: 2 });
    const second = await deploy('limit-b', { storeName: 'limited', rateLimit: 2 });
    const call = (url: string, n: number) => runWithPython(`${url}/xmlrpc`, [{ call: ['pingback.ping', [`${sources.url}/flood-${n}`, `${SITE}posts/flood-${n}/`]] }]);
    expect((await call(first.url, 1))[0]!.result).toMatch(/registered/);
    expect((await call(second.url, 2))[0]!.result).toMatch(/registered/);
    expect((await call(first.url, 3))[0]!.fault).toEqual({ code: 49, string: 'Too many pingbacks; try again later.' });
  });
});

describe('the generated Function receives Webmentions', () => {
  it('gives Python\'s urllib the same answers as pingback serve (a page never built: "does not accept"), then verifies after answering, through waitUntil', async () => {
    const { url } = await deploy('webmentions', { storeName: 'webmentions', rateLimit: 0, sourceTimeoutMs: 1500 });
    const { refused, accepted } = webmentionCases(wmSources.url, 'The target does not accept Webmentions.');
    const before = wmSources.requests.length;
    const answers = await runWebmentionClient(`${url}/webmention`, refused.map((c) => c.request));
    refused.forEach((c, i) => expectWebmentionCase(c, answers[i]));
    expect(wmSources.requests.length).toBe(before);
    expect(kept).toEqual([]);

    const results = await runWebmentionClient(`${url}/webmention`, accepted.map((c) => c.request));
    accepted.forEach((c, i) => expectWebmentionCase(c, results[i]));
    // Each accepted Webmention's verification was handed to waitUntil: the answer did not wait for it.
    expect(kept.length).toBe(accepted.length);
    await settled();
    const stored = await new BlobsStore({ name: 'webmentions', ...blobs.client }).list();
    const byKey = new Map(stored.map((r) => [r.key, r]));
    for (const [key, want] of Object.entries(EXPECTED_WEBMENTIONS)) {
      if (want === null) expect(byKey.get(key), key).toBeUndefined();
      else expect(byKey.get(key), key).toMatchObject({ protocol: 'webmention', ...(want.kind && want.kind !== 'mention' ? { kind: want.kind } : {}), ...(want.url ? { url: want.url } : {}) });
    }
    const read = (await (await fetch(`${url}/pingbacks.json?target=/posts/wm-like/`)).json()) as { items: { kind: string; author: object }[] };
    expect(read.items).toMatchObject([{ kind: 'like', author: { name: 'Bob', url: 'https://bob.example/' } }]);
  });

  it('updates and deletes as the source says, and takes a WordPress pingback for the same link as the same linkback', async () => {
    const { url } = await deploy('webmention-updates', { storeName: 'webmention-updates', rateLimit: 0, sourceTimeoutMs: 1500 });
    const store = new BlobsStore({ name: 'webmention-updates', ...blobs.client });
    const source = `${wmSources.url}/wm/double`;
    const target = `${SITE}posts/wm-double/`;
    const send = async () => {
      const [answer] = await runWebmentionClient(`${url}/webmention`, [{ form: [['source', source], ['target', target]] }]);
      expect(answer!.status).toBe(202);
      await settled();
      return store.list();
    };
    const [ping] = await runWithPython(`${url}/xmlrpc`, [{ call: ['pingback.ping', [source, target]] }]);
    expect(ping!.result).toMatch(/registered/);
    expect(await send()).toMatchObject([{ protocol: 'webmention', key: '/posts/wm-double' }]);
    wmSources.set('/wm/double', { status: 410, body: 'gone' });
    expect(await send()).toMatchObject([{ deletedBy: 'source', title: '' }]);
    wmSources.set('/wm/double', { body: `<!doctype html><title>Again</title><p>Back to <a href="${target}">it</a>.</p>` });
    const back = await send();
    expect(back).toMatchObject([{ status: 'approved', excerpt: 'Back to it.' }]);
    expect(back[0]!.deletedAt).toBeUndefined();
    const [again] = await runWithPython(`${url}/xmlrpc`, [{ call: ['pingback.ping', [source, target]] }]);
    expect(again!.fault?.code).toBe(48);
  });

  it('keeps the address policy: without the local-only switch, a loopback source is accepted, then never connected to', async () => {
    delete process.env.PINGBACK_ALLOW_PRIVATE_NETWORK;
    const recorder = recordConnections();
    try {
      // The receiver reads the switch when it is built, on its first request.
      const { url } = await deploy('webmention-policy', { storeName: 'webmention-policy', rateLimit: 0, sourceTimeoutMs: 1500 });
      const before = wmSources.requests.length;
      const [answer] = await runWebmentionClient(`${url}/webmention`, [{ form: [['source', `${wmSources.url}/wm/hello`], ['target', `${SITE}posts/wm-hello/`]] }]);
      expect(answer!.status).toBe(202);
      await settled();
      // Every TCP connection this process tried, at the socket: none to the source's port.
      expect(recorder.attempts.filter((a) => a.endsWith(`:${wmSources.port}`))).toEqual([]);
      expect(wmSources.requests.length).toBe(before);
      expect(await new BlobsStore({ name: 'webmention-policy', ...blobs.client }).list()).toEqual([]);
    } finally {
      recorder.stop();
      process.env.PINGBACK_ALLOW_PRIVATE_NETWORK = 'true';
    }
  });
});
