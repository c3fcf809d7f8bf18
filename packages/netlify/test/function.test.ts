import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientAddress, sendResponse, toRequest } from '@pingback/core/node';
import type { LocalBlobs } from '../../../test/support/blobs.ts';
import { startLocalBlobs } from '../../../test/support/blobs.ts';
import type { TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import { SITE, expectCase, expectedRecords, receiverCases, runWithPython, startSourceSite, writeReceiverSite } from '../../../test/support/receiver-cases.ts';
import { PostgresStore } from '@pingback/postgres';
import type { TestPostgres } from '../../../test/support/postgres.ts';
import { startPostgres } from '../../../test/support/postgres.ts';
import type { WebmentionSources } from '../../../test/support/webmention-cases.ts';
import {
  EXPECTED_WEBMENTIONS,
  expectWebmentionCase,
  runWebmentionClient,
  startWebmentionSources,
  webmentionCases,
} from '../../../test/support/webmention-cases.ts';
import { recordConnections } from '../../../test/hostile/support/network.ts';
import { BlobsStore } from '../src/blobs-store.ts';
import { emitNetlifyFunction } from '../src/emit.ts';
import type { FunctionSettings } from '../src/settings.ts';

// The generated module must resolve '@pingback/netlify/function' as a deployed site would, so it is
// written inside the workspace (ignored by git), not in the system temp folder.
const GENERATED = new URL('./.generated/function/', import.meta.url).pathname;

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
// What one test handed to waitUntil (a webhook's delivery, a verification) is finished before the next,
// which may count what it hands over itself.
afterEach(settled);
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
  const { functionFile } = await emitNetlifyFunction({
    projectRoot: project,
    settings: { site: SITE, ...settings },
    manifestPath: site.manifestPath,
    headerPaths: ['/posts/:slug'],
    endpoint: `${SITE}xmlrpc`,
  });
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
      path: ['/xmlrpc', '/webmention', '/pingbacks.json', '/pingback/admin', '/pingback/admin/*'],
      method: ['GET', 'HEAD', 'POST'],
      rateLimit: { windowLimit: 60, windowSize: 60, aggregateBy: ['ip', 'domain'] },
      generator: '@pingback/netlify@0.1.0',
    });
  });

  it("gives Python's xmlrpc.client the same answers as pingback serve (a missing page is 33: the Function can't be sure)", async () => {
    const { url } = await deploy('cases', { storeName: 'cases', rateLimit: 0, sourceTimeoutMs: 1500 });
    const cases = receiverCases(sources.url, 33);
    const results = await runWithPython(
      `${url}/xmlrpc`,
      cases.map((c) => c.request),
    );
    for (const [i, c] of cases.entries()) expectCase(c, results[i]);

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
    const call = (url: string, n: number) =>
      runWithPython(`${url}/xmlrpc`, [{ call: ['pingback.ping', [`${sources.url}/flood-${n}`, `${SITE}posts/flood-${n}/`]] }]);
    expect((await call(first.url, 1))[0]!.result).toMatch(/registered/);
    expect((await call(second.url, 2))[0]!.result).toMatch(/registered/);
    expect((await call(first.url, 3))[0]!.fault).toEqual({ code: 49, string: 'Too many pingbacks; try again later.' });
  });

  it('serves the moderation page with the token from the environment, counts failed sign-ins in the store, and calls the webhook through waitUntil', async () => {
    const token = 'netlify-admin-token-0123456789abcdef';
    const hook = await startServer((_req, res) => void res.writeHead(204).end());
    const env = {
      PINGBACK_ADMIN_TOKEN: token,
      PINGBACK_NOTIFY_URL: `${hook.url}/hook`,
      PINGBACK_NOTIFY_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
      PINGBACK_NOTIFY_ALLOW_PRIVATE_NETWORK: 'true',
    };
    Object.assign(process.env, env);
    try {
      const { url } = await deploy('admin', { storeName: 'admin', moderation: 'pending', rateLimit: 0 });
      const pinged = await runWithPython(`${url}/xmlrpc`, [{ call: ['pingback.ping', [`${sources.url}/links`, `${SITE}posts/hello/`]] }]);
      expect(pinged[0]!.result).toMatch(/registered/);
      await expect.poll(() => hook.requests.length).toBe(1);
      expect(JSON.parse(hook.requests[0]!.body)).toMatchObject({
        type: 'linkback.received',
        data: { status: 'pending', key: '/posts/hello', moderationUrl: `${SITE}pingback/admin` },
      });
      expect(hook.requests[0]!.headers['webhook-signature']).toMatch(/^v1,/);

      const post = (path: string, fields: Record<string, string>, cookie = '') =>
        fetch(`${url}/pingback/admin${path}`, {
          method: 'POST',
          redirect: 'manual',
          body: new URLSearchParams(fields),
          headers: { origin: new URL(SITE).origin, ...(cookie ? { cookie } : {}) },
        });
      expect((await post('/sign-in', { token: 'not-the-token' })).status).toBe(401);
      const store = new BlobsStore({ name: 'admin', ...blobs.client });
      const buckets = (
        await Promise.all(Array.from({ length: 256 }, (_, i) => store.getMeta<Record<string, number[]>>(`admin-sign-in-${i.toString(36)}`)))
      ).filter(Boolean);
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

describe('the generated Netlify Function over PostgreSQL', () => {
  let postgres: TestPostgres;
  const opened: PostgresStore[] = [];
  const database = (schema: string) => {
    const store = new PostgresStore({ url: postgres.urlFor(schema) });
    opened.push(store);
    return store;
  };
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    delete process.env.PINGBACK_DATABASE_URL;
    delete process.env.NETLIFY_DATABASE_URL;
    await Promise.all(opened.map((s) => s.close()));
    await postgres?.stop();
  });
  // Each test has a schema of its own, so the fixture's five flood posts can be pinged afresh in each.
  const ping = (url: string, n: number) =>
    runWithPython(`${url}/xmlrpc`, [{ call: ['pingback.ping', [`${sources.url}/flood-${n}`, `${SITE}posts/flood-${n}/`]] }]);

  it('stores in the database PINGBACK_DATABASE_URL names, with rate limits exact across instances', async () => {
    process.env.PINGBACK_DATABASE_URL = postgres.urlFor('fn_env');
    const first = await deploy('db-a', { storeName: 'db-unused', rateLimit: 2 });
    const second = await deploy('db-b', { storeName: 'db-unused', rateLimit: 2 });
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => ping(n % 2 ? first.url : second.url, n)));
    expect(answers.filter(([a]) => /registered/.test(String(a!.result)))).toHaveLength(2);
    expect(answers.filter(([a]) => a!.fault?.code === 49)).toHaveLength(3);
    expect(await database('fn_env').list()).toHaveLength(2);
    expect(await new BlobsStore({ name: 'db-unused', ...blobs.client }).list()).toEqual([]);
    const read = (await (await fetch(`${second.url}/pingbacks.json`)).json()) as { items: unknown[]; next: string | null };
    expect(read).toMatchObject({ items: expect.any(Array), next: null });
    expect(read.items).toHaveLength(2);
  });

  it('counts pingbacks and Webmentions in the same windows across instances, and stores verified Webmentions in the database', async () => {
    process.env.PINGBACK_DATABASE_URL = postgres.urlFor('fn_webmention');
    const first = await deploy('db-wm-a', { storeName: 'db-unused', rateLimit: 2 });
    const second = await deploy('db-wm-b', { storeName: 'db-unused', rateLimit: 2 });
    const webmention = async (url: string, n: number) => {
      const [answer] = await runWebmentionClient(`${url}/webmention`, [
        {
          form: [
            ['source', `${sources.url}/flood-${n}`],
            ['target', `${SITE}posts/flood-${n}/`],
          ],
        },
      ]);
      return answer!;
    };
    expect((await ping(first.url, 1))[0]!.result).toMatch(/registered/);
    expect((await webmention(second.url, 2)).status).toBe(202);
    // The third from this client, to the instance that has seen one: the database has counted two.
    expect(await webmention(first.url, 3)).toMatchObject({ status: 429, retryAfter: '60' });
    await settled();
    const stored = await database('fn_webmention').list();
    expect(stored.map((r) => [r.key, r.protocol ?? 'pingback']).sort()).toEqual([
      ['/posts/flood-1', 'pingback'],
      ['/posts/flood-2', 'webmention'],
    ]);
    delete process.env.PINGBACK_DATABASE_URL;
  });

  it('uses Netlify Database (NETLIFY_DATABASE_URL) only when the setting `database` asks for it', async () => {
    delete process.env.PINGBACK_DATABASE_URL;
    process.env.NETLIFY_DATABASE_URL = postgres.urlFor('fn_netlify');
    const asked = await deploy('db-netlify', { storeName: 'db-netlify', database: true, rateLimit: 0 });
    expect((await ping(asked.url, 1))[0]!.result).toMatch(/registered/);
    expect(await database('fn_netlify').list()).toHaveLength(1);
    const unasked = await deploy('db-not-asked', { storeName: 'db-not-asked', rateLimit: 0 });
    expect((await ping(unasked.url, 2))[0]!.result).toMatch(/registered/);
    expect(await new BlobsStore({ name: 'db-not-asked', ...blobs.client }).list()).toHaveLength(1);
    expect(await database('fn_netlify').list()).toHaveLength(1);
  });

  it('answers fault 50 and 503, never a crash, when the database is asked for but not configured or not there', async () => {
    delete process.env.PINGBACK_DATABASE_URL;
    delete process.env.NETLIFY_DATABASE_URL;
    const unset = await deploy('db-unset', { database: true, rateLimit: 0 });
    expect((await ping(unset.url, 3))[0]!.fault).toEqual({ code: 50, string: 'The pingback could not be stored right now; try again later.' });
    expect((await fetch(`${unset.url}/pingbacks.json`)).status).toBe(503);

    process.env.PINGBACK_DATABASE_URL = `postgres://postgres@127.0.0.1:${postgres.port + 1}/none?connect_timeout=1`;
    const down = await deploy('db-down', { rateLimit: 0 });
    expect((await ping(down.url, 4))[0]!.fault?.code).toBe(50);
    delete process.env.PINGBACK_DATABASE_URL;
  });
});

describe('the generated Function receives Webmentions', () => {
  it('gives Python\'s urllib the same answers as pingback serve (a page never built: "does not accept"), then verifies after answering, through waitUntil', async () => {
    const { url } = await deploy('webmentions', { storeName: 'webmentions', rateLimit: 0, sourceTimeoutMs: 1500 });
    const { refused, accepted } = webmentionCases(wmSources.url, 'The target does not accept Webmentions.');
    const before = wmSources.requests.length;
    const answers = await runWebmentionClient(
      `${url}/webmention`,
      refused.map((c) => c.request),
    );
    for (const [i, c] of refused.entries()) expectWebmentionCase(c, answers[i]);
    expect(wmSources.requests.length).toBe(before);
    expect(kept).toEqual([]);

    const results = await runWebmentionClient(
      `${url}/webmention`,
      accepted.map((c) => c.request),
    );
    for (const [i, c] of accepted.entries()) expectWebmentionCase(c, results[i]);
    // Each accepted Webmention's verification was handed to waitUntil: the answer did not wait for it.
    expect(kept.length).toBe(accepted.length);
    await settled();
    const stored = await new BlobsStore({ name: 'webmentions', ...blobs.client }).list();
    const byKey = new Map(stored.map((r) => [r.key, r]));
    for (const [key, want] of Object.entries(EXPECTED_WEBMENTIONS)) {
      if (want === null) expect(byKey.get(key), key).toBeUndefined();
      else
        expect(byKey.get(key), key).toMatchObject({
          protocol: 'webmention',
          ...(want.kind && want.kind !== 'mention' ? { kind: want.kind } : {}),
          ...(want.url ? { url: want.url } : {}),
        });
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
      const [answer] = await runWebmentionClient(`${url}/webmention`, [
        {
          form: [
            ['source', source],
            ['target', target],
          ],
        },
      ]);
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
      const [answer] = await runWebmentionClient(`${url}/webmention`, [
        {
          form: [
            ['source', `${wmSources.url}/wm/hello`],
            ['target', `${SITE}posts/wm-hello/`],
          ],
        },
      ]);
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
