import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@pingback/core';
import { StoreLedger } from '@pingback/core';
import { sendResponse, toRequest } from '@pingback/core/node';
import type { LocalBlobs } from '../../../test/support/blobs.ts';
import { startLocalBlobs } from '../../../test/support/blobs.ts';
import type { TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import type { PythonPeer } from '../../../test/support/python.ts';
import { startPythonPeer } from '../../../test/support/python.ts';
import type { ReceivingSite } from '../../../test/support/receiving-site.ts';
import { startReceivingSite } from '../../../test/support/receiving-site.ts';
import { BlobsStore } from '../src/blobs-store.ts';
import type { DeployEvent } from '../src/deploy-send.ts';
import { emitNetlifyFunction } from '../src/emit.ts';

const GENERATED = new URL('./.generated/', import.meta.url).pathname;

interface Emitted {
  main: { default: { deploySucceeded(event: DeployEvent): Promise<void> } };
  background: { default: { fetch(r: Request, c?: object): Promise<Response> } };
}

let blobs: LocalBlobs;
let site: TestServer;
let other: ReceivingSite;
let directory: PythonPeer;
const servers: Server[] = [];
const POSTS = ['first', 'second', 'third'];

beforeAll(async () => {
  blobs = await startLocalBlobs();
  process.env.NETLIFY_BLOBS_CONTEXT = blobs.context;
  // The "production" site is on loopback, which a Netlify site never is: local emulation opts in.
  process.env.PINGBACK_ALLOW_PRIVATE_NETWORK = 'true';
  other = await startReceivingSite({ delayMs: 60 });
  directory = await startPythonPeer();
  // The production site after publish: each post links to two posts of the other blog.
  site = await startServer((req, res) => {
    const slug = (req.url ?? '').split('/')[2] ?? '';
    const links = [1, 2].map((n) => `<a href="${other.url}/posts/${slug}-${n}/">reply ${n}</a>`).join(' ');
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>${slug}</title><article class="e-content"><p>${links}</p></article>`);
  });
});
afterAll(async () => {
  delete process.env.NETLIFY_BLOBS_CONTEXT;
  delete process.env.PINGBACK_ALLOW_PRIVATE_NETWORK;
  for (const s of servers) s.close();
  await Promise.all([site.close(), other.close(), directory.close(), blobs.stop()]);
  await rm(join(GENERATED, 'deploy'), { recursive: true, force: true });
});

function manifest(posts = POSTS): Manifest {
  return {
    version: 1,
    site: `${site.url}/`,
    endpoint: `${site.url}/xmlrpc`,
    hosts: [],
    pages: posts.map((p) => `/posts/${p}`),
    posts: posts.map((p) => ({ source: `${site.url}/posts/${p}/`, key: `/posts/${p}`, targets: [1, 2].map((n) => `${other.url}/posts/${p}-${n}/`), hash: p })),
    directories: [directory.endpoint],
    feed: null,
    name: 'Deploy test blog',
  };
}

/** Emits the Function for a build (its manifest bundled), imports both entry points the way Netlify runs them. */
async function deployFunctions(name: string, storeName: string, sendBudgetMs?: number, posts?: string[]): Promise<Emitted & { backgroundUrl: string }> {
  const project = join(GENERATED, 'deploy', name);
  await mkdir(join(project, '.pingback'), { recursive: true });
  const manifestPath = join(project, '.pingback/manifest.json');
  await writeFile(manifestPath, JSON.stringify(manifest(posts)));
  const { functionFile, sendFunctionFile } = await emitNetlifyFunction({
    projectRoot: project,
    settings: { site: `${site.url}/`, storeName, ...(sendBudgetMs ? { sendBudgetMs } : {}) },
    manifestPath,
    headerPaths: [],
    endpoint: `${site.url}/xmlrpc`,
  });
  const main = (await import(functionFile)) as Emitted['main'];
  const background = (await import(sendFunctionFile)) as Emitted['background'];
  // The deploy's own URL, where Netlify runs its background function (given the deploy id as context).
  const server = createServer((req, res) => {
    void background.default.fetch(toRequest(req, 'http://deploy.invalid'), { deploy: { id: `deploy-${name}` } }).then((r) => sendResponse(r, res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { main, background, backgroundUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const event = (id: string, context: string, permalinkUrl = 'http://127.0.0.1:9', publishedAt: string | null = '2026-11-21T00:00:00Z'): DeployEvent => ({
  deploy: { id, context, publishedAt, permalinkUrl, url: `${site.url}/`, sslUrl: `${site.url}/` },
  site: { url: `${site.url}/` },
});

const stored = async () => (await other.store.list()).map((r) => `${new URL(r.source).pathname} → ${r.key}`).sort();

describe('sending after a deploy is live (C18, C19)', () => {
  it('deploy previews, branch deploys and unpublished deploys ping no one', async () => {
    const fns = await deployFunctions('preview', 'deploy-a');
    for (const e of [event('d1', 'deploy-preview'), event('d2', 'branch-deploy'), event('d3', 'production', undefined, null)]) {
      await fns.main.default.deploySucceeded(e);
    }
    expect(other.calls).toBe(0);
    expect(directory.calls).toHaveLength(0);
  });

  it('a published production deploy sends its outbox once, and tells the directory once', async () => {
    const fns = await deployFunctions('production', 'deploy-a');
    await fns.main.default.deploySucceeded(event('d4', 'production'));
    expect(await stored()).toEqual(POSTS.flatMap((p) => [1, 2].map((n) => `/posts/${p}/ → /posts/${p}-${n}`)).sort());
    await directory.waitForCalls(1);
    expect(directory.calls.map((c) => [c.method, c.params[0]])).toEqual([['weblogUpdates.extendedPing', 'Deploy test blog']]);
    const ledger = new StoreLedger(new BlobsStore({ name: 'deploy-a', ...blobs.client }));
    expect((await ledger.get(`${site.url}/posts/first/`, `${other.url}/posts/first-1/`))?.status).toBe('registered');
  });

  it('a later deploy with no new post sends nothing and tells no directory (C15)', async () => {
    const calls = other.calls;
    const fns = await deployFunctions('rebuild', 'deploy-a');
    await fns.main.default.deploySucceeded(event('d5', 'production'));
    expect(other.calls).toBe(calls);
    expect(directory.calls).toHaveLength(1);
  });

  it("what the event's time cannot hold goes to this deploy's background function, and all of it is sent", async () => {
    const fns = await deployFunctions('handoff', 'deploy-b', 1, ['fourth', 'fifth']);
    const before = (await stored()).length;
    await fns.main.default.deploySucceeded(event('deploy-handoff', 'production', fns.backgroundUrl));
    expect((await stored()).length - before).toBe(4);
    // The token was for one use only, and a stranger without it is turned away.
    for (const body of [
      { deployId: 'deploy-handoff', token: 'guessed' },
      { deployId: 'someone-else', token: 'x' },
    ]) {
      const response = await fetch(`${fns.backgroundUrl}/.netlify/functions/pingback-send-background`, { method: 'POST', body: JSON.stringify(body) });
      expect(response.status).toBe(403);
    }
  });

  it('an interrupted send resumes on the next deploy without a duplicate anywhere', async () => {
    const fns = await deployFunctions('interrupted', 'deploy-c', 150, ['sixth', 'seventh', 'eighth']);
    await fns.main.default.deploySucceeded(event('deploy-cut', 'production'));
    const partial = await stored();
    const again = await deployFunctions('resumed', 'deploy-c', undefined, ['sixth', 'seventh', 'eighth']);
    await again.main.default.deploySucceeded(event('deploy-next', 'production'));
    const all = await stored();
    const expected = ['sixth', 'seventh', 'eighth'].flatMap((p) => [1, 2].map((n) => `/posts/${p}/ → /posts/${p}-${n}`));
    expect(all.filter((r) => expected.includes(r)).sort()).toEqual([...expected].sort());
    expect(new Set(all).size).toBe(all.length);
    expect(partial.length).toBeLessThan(all.length);
  });
});
