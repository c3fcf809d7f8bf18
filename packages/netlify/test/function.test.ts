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
import { startServer } from '../../../test/support/http.ts';
import { SITE, expectCase, expectedRecords, receiverCases, runWithPython, startSourceSite, writeReceiverSite } from '../../../test/support/receiver-cases.ts';
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
const servers: Server[] = [];

beforeAll(async () => {
  blobs = await startLocalBlobs();
  sources = await startSourceSite();
  // What Netlify puts in a Function's environment; the local-only switch lets sources live on loopback.
  process.env.NETLIFY_BLOBS_CONTEXT = blobs.context;
  process.env.PINGBACK_ALLOW_PRIVATE_NETWORK = 'true';
});
afterAll(async () => {
  delete process.env.NETLIFY_BLOBS_CONTEXT;
  delete process.env.PINGBACK_ALLOW_PRIVATE_NETWORK;
  for (const s of servers) s.close();
  await sources.close();
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
    const pending: Promise<unknown>[] = [];
    module.default
      .fetch(toRequest(req, SITE), { ip: clientAddress(req), waitUntil: (p) => pending.push(p) })
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
      path: ['/xmlrpc', '/pingbacks.json', '/pingback/admin', '/pingback/admin/*'],
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

  it('serves the moderation page with the token from the environment, counts failed sign-ins in the store, and calls the webhook through waitUntil', async () => {
    const token = 'netlify-admin-token-0123456789abcdef';
    const hook = await startServer((_req, res) => void res.writeHead(204).end());
    const env = { PINGBACK_ADMIN_TOKEN: token, PINGBACK_NOTIFY_URL: `${hook.url}/hook`, PINGBACK_NOTIFY_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`, PINGBACK_NOTIFY_ALLOW_PRIVATE_NETWORK: 'true' };
    Object.assign(process.env, env);
    try {
      const { url } = await deploy('admin', { storeName: 'admin', moderation: 'pending', rateLimit: 0 });
      const pinged = await runWithPython(`${url}/xmlrpc`, [{ call: ['pingback.ping', [`${sources.url}/links`, `${SITE}posts/hello/`]] }]);
      expect(pinged[0]!.result).toMatch(/registered/);
      await expect.poll(() => hook.requests.length).toBe(1);
      expect(JSON.parse(hook.requests[0]!.body)).toMatchObject({ type: 'linkback.received', data: { status: 'pending', key: '/posts/hello', moderationUrl: `${SITE}pingback/admin` } });
      expect(hook.requests[0]!.headers['webhook-signature']).toMatch(/^v1,/);

      const post = (path: string, fields: Record<string, string>, cookie = '') =>
        fetch(`${url}/pingback/admin${path}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams(fields), headers: { origin: new URL(SITE).origin, ...(cookie ? { cookie } : {}) } });
      expect((await post('/sign-in', { token: 'not-the-token' })).status).toBe(401);
      const store = new BlobsStore({ name: 'admin', ...blobs.client });
      const buckets = (await Promise.all(Array.from({ length: 256 }, (_, i) => store.getMeta<Record<string, number[]>>(`admin-sign-in-${i.toString(36)}`)))).filter(Boolean);
      expect(buckets.map((b) => Object.values(b!).flat().length)).toEqual([1]);
      const signedIn = await post('/sign-in', { token });
      expect(signedIn.headers.get('set-cookie')).toMatch(/^__Host-pingback-admin=.*; Secure$/);
      const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
      const page = await fetch(`${url}/pingback/admin`, { headers: { cookie } });
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
      const [pending] = await store.list();
      expect((await post('/action', { csrf, one: `approve:${pending!.id}` }, cookie)).status).toBe(303);
      expect((await store.get(pending!.id))!.status).toBe('approved');
    } finally {
      for (const name of Object.keys(env)) delete process.env[name];
      await hook.close();
    }
  });

  it('answers pingbacks with the moderation page off when its token is too short, and says why in the log', async () => {
    process.env.PINGBACK_ADMIN_TOKEN = 'short';
    const errors: string[] = [];
    const original = console.error;
    console.error = (m: string) => void errors.push(m);
    try {
      const { url } = await deploy('bad-token', { storeName: 'bad-token', rateLimit: 0 });
      expect((await fetch(`${url}/pingback/admin`)).status).toBe(404);
      const pinged = await runWithPython(`${url}/xmlrpc`, [{ call: ['pingback.ping', [`${sources.url}/links`, `${SITE}posts/hello/`]] }]);
      expect(pinged[0]!.result).toMatch(/registered/);
      expect(errors).toEqual([expect.stringMatching(/^\[pingback\] moderation page off: option `admin\.token` must be a secret of at least 24 characters/)]);
    } finally {
      console.error = original;
      delete process.env.PINGBACK_ADMIN_TOKEN;
    }
  });
});
