import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, PingbackRecord } from '@pingback/core';
import { MemoryStore, RECEIVER_DEFAULTS, Receiver, SOURCE_CONCURRENCY, parseMethodResponse, publicRecord, renderPingbacksHtml, writeMethodCall } from '@pingback/core';
import { startServer } from '../support/http.ts';
import type { HostileCase } from './support/cases.ts';
import { POSTS, hostileCases } from './support/cases.ts';
import type { HostileNetwork } from './support/network.ts';
import { SENTINEL_HOSTS, SITE, TRUSTED, hostileResolver, recordConnections, startHostileNetwork } from './support/network.ts';

const CLI = fileURLToPath(new URL('../../packages/cli/bin/pingback.js', import.meta.url));
const RECORDER = fileURLToPath(new URL('./support/record-connections.ts', import.meta.url));
const SOURCE_TIMEOUT_MS = 3000;

type Outcome = { fault: number } | { result: unknown };
const outcome = (bytes: Uint8Array): Outcome => {
  const reply = parseMethodResponse(bytes);
  return reply.kind === 'fault' ? { fault: reply.faultCode } : { result: reply.value };
};

/** The checks every refused case must pass, whichever way it was delivered. */
interface Harness {
  send(body: string | Uint8Array): Promise<Outcome>;
  storeSnapshot(): Promise<string>;
  /** Connection attempts made since the last call. */
  newAttempts(): Promise<string[]>;
}

async function expectRefused(h: Harness, c: HostileCase, allowed: string): Promise<void> {
  const label = `${c.group}: ${c.name}`;
  const before = await h.storeSnapshot();
  await h.newAttempts();
  const answer = await h.send(c.body);
  expect(answer, label).toEqual({ fault: c.fault });
  expect((await h.newAttempts()).filter((a) => a !== allowed), `${label}: connections`).toEqual([]);
  expect(await h.storeSnapshot(), `${label}: store`).toBe(before);
}

const controlPing = (source: string, post: string) => writeMethodCall('pingback.ping', [source, `${SITE}posts/${post}/`]);

/** Markup in the title, excerpt and author is stored as the text it is and rendered escaped. */
function expectMarkupIsText(record: PingbackRecord | undefined): void {
  expect(record).toBeDefined();
  expect(record!.title).toBe('<script>alert(1)</script> & more');
  expect(record!.excerpt).toContain('<img src=x onerror=alert(1)>');
  expect(record!.author?.name).toBe('"><script>alert(2)</script>');
  expect(record!.author?.url ?? null).toBeNull();
  const html = renderPingbacksHtml([publicRecord(record!)]);
  expect(html).not.toMatch(/<script|<img|javascript:/i);
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
}

describe('hostile requests through the receiver handler', () => {
  let net: HostileNetwork;
  let receiver: Receiver;
  const store = new MemoryStore();
  const recorder = recordConnections();
  let seen = 0;
  let h: Harness;

  beforeAll(async () => {
    net = await startHostileNetwork();
    receiver = new Receiver({
      site: SITE,
      store,
      pages: POSTS.map((p) => `/posts/${p}`),
      rateLimit: 0,
      allowAddresses: [TRUSTED],
      allowedPorts: [80, 443, net.port],
      sourceTimeoutMs: SOURCE_TIMEOUT_MS,
      resolve: hostileResolver(),
    });
    h = {
      send: async (body) => {
        const response = await receiver.handle(new Request(`${SITE}xmlrpc`, { method: 'POST', body, headers: { 'content-type': 'text/xml' } }), { clientAddress: '192.0.2.1' });
        expect(response.status).toBe(200);
        return outcome(new Uint8Array(await response.arrayBuffer()));
      },
      storeSnapshot: async () => JSON.stringify(await store.list()),
      newAttempts: async () => recorder.attempts.slice(seen, (seen = recorder.attempts.length)),
    };
  });
  afterAll(async () => {
    recorder.stop();
    await receiver?.close();
    await net?.close();
  });

  it('registers honest pingbacks from the trusted source, by address and by name (the controls)', async () => {
    expect(await h.send(controlPing(net.source('/link?post=control'), 'control'))).toMatchObject({ result: expect.stringMatching(/registered/) });
    expect(await h.send(controlPing(`http://good.test:${net.port}/link?post=control-by-name`, 'control-by-name'))).toMatchObject({ result: expect.stringMatching(/registered/) });
    expect((await store.list()).map((r) => r.key).sort()).toEqual(['/posts/control', '/posts/control-by-name']);
  });

  it('answers every hostile case with its exact fault, connects nowhere forbidden and changes nothing stored', async () => {
    const cases = hostileCases(net.port, 33);
    expect(cases.length).toBeGreaterThanOrEqual(60);
    for (const c of cases) await expectRefused(h, c, `${TRUSTED}:${net.port}`);
    expect(net.sentinelConnections()).toEqual(Object.fromEntries(SENTINEL_HOSTS.map((host) => [host, 0])));
  });

  it('connects to the very address it checked: a name that rebinds after the check never reaches the new address', async () => {
    await h.newAttempts();
    // pin.test answers 127.0.0.3 once, then 127.0.0.2: a fetcher that checked with one lookup and connected with another would reach the sentinel.
    expect(await h.send(controlPing(`http://pin.test:${net.port}/link?post=control-pinned`, 'control-pinned'))).toMatchObject({ result: expect.stringMatching(/registered/) });
    expect(await h.newAttempts()).toEqual([`${TRUSTED}:${net.port}`]);
    expect(net.sentinelConnections()['127.0.0.2']).toBe(0);
  });

  it('stores markup in titles, excerpts and author names as text, and renders it escaped', async () => {
    expect(await h.send(controlPing(net.source('/markup'), 'markup'))).toMatchObject({ result: expect.stringMatching(/registered/) });
    expectMarkupIsText((await store.list({ key: '/posts/markup' }))[0]);
  });
});

async function filesOf(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile() && !e.name.endsWith('.tmp')).map((e) => join(e.parentPath, e.name)).sort();
  const parts = await Promise.all(files.map(async (f) => `${relative(dir, f)}\n${await readFile(f, 'utf8')}`));
  return parts.join('\n---\n');
}

describe('hostile requests over HTTP to pingback serve', () => {
  let net: HostileNetwork;
  let dir: string;
  let serve: ChildProcess;
  let endpoint: string;
  let stderr = '';
  let logged = 0;
  let h: Harness;

  beforeAll(async () => {
    net = await startHostileNetwork();
    dir = await mkdtemp(join(tmpdir(), 'pingback-hostile-'));
    const root = join(dir, 'site');
    for (const path of ['', 'tags/news', ...POSTS.map((p) => `posts/${p}`)]) {
      await mkdir(join(root, path), { recursive: true });
      await writeFile(join(root, path, 'index.html'), `<!doctype html><title>${path}</title><p>${path}</p>`);
    }
    const manifest: Manifest = { version: 1, site: SITE, endpoint: `${SITE}xmlrpc`, hosts: [], pages: POSTS.map((p) => `/posts/${p}`), posts: [], directories: [], feed: null };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const log = join(dir, 'connections.log');
    await writeFile(log, '');
    serve = spawn(
      process.execPath,
      ['--import', RECORDER, CLI, 'serve', '--root', root, '--manifest', join(dir, 'manifest.json'), '--store', join(dir, 'store'), '--port', '0',
        '--allow-address', TRUSTED, '--allow-port', String(net.port), '--rate-limit', '0', '--source-timeout', String(SOURCE_TIMEOUT_MS)],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PINGBACK_CONNECTION_LOG: log } },
    );
    serve.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      serve.once('exit', (code) => reject(new Error(`pingback serve exited ${code}: ${stderr}`)));
      createInterface({ input: serve.stdout! }).on('line', (line) => {
        const m = /listening on (\S+)/.exec(line);
        if (m) resolve(m[1]!);
      });
    });
    endpoint = `${url}/xmlrpc`;
    h = {
      send: async (body) => {
        const response = await fetch(endpoint, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });
        expect(response.status).toBe(200);
        return outcome(new Uint8Array(await response.arrayBuffer()));
      },
      storeSnapshot: () => filesOf(join(dir, 'store')),
      newAttempts: async () => {
        const lines = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
        return lines.slice(logged, (logged = lines.length));
      },
    };
  });
  afterAll(async () => {
    serve?.kill('SIGINT');
    await net?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('registers an honest pingback from the trusted source (the control)', async () => {
    expect(await h.send(controlPing(net.source('/link?post=control'), 'control'))).toMatchObject({ result: expect.stringMatching(/registered/) });
    expect(await h.newAttempts()).toContain(`${TRUSTED}:${net.port}`);
  });

  it('answers every hostile case that needs no private DNS with its exact fault, connects nowhere forbidden, changes nothing', async () => {
    const cases = hostileCases(net.port, 32).filter((c) => !c.names);
    expect(cases.length).toBeGreaterThanOrEqual(60);
    for (const c of cases) await expectRefused(h, c, `${TRUSTED}:${net.port}`);
    expect(net.sentinelConnections()).toEqual(Object.fromEntries(SENTINEL_HOSTS.map((host) => [host, 0])));
    expect(serve.exitCode).toBeNull();
    expect(stderr).not.toMatch(/internal error|unhandled|uncaught/i);
  });

  it('stores markup as text and renders it escaped', async () => {
    expect(await h.send(controlPing(net.source('/markup'), 'markup'))).toMatchObject({ result: expect.stringMatching(/registered/) });
    const list = await fetch(new URL('/pingbacks.json?target=/posts/markup/', endpoint)).then((r) => r.json() as Promise<{ items: PingbackRecord[] }>);
    expectMarkupIsText({ ...list.items[0]!, status: 'approved' } as PingbackRecord);
  });
});

describe('a flood of valid pingbacks', () => {
  it(`fetches at most ${SOURCE_CONCURRENCY} sources at once; the rest wait their turn and are still verified`, async () => {
    const posts = Array.from({ length: 150 }, (_, i) => `flood-${i}`);
    const sources = await startServer((req, res) => {
      const post = new URL(req.url ?? '/', 'http://x').searchParams.get('post');
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(`<p><a href="${SITE}posts/${post}/">x</a></p>`), 50);
    });
    const receiver = new Receiver({ site: SITE, store: new MemoryStore(), pages: posts.map((p) => `/posts/${p}`), rateLimit: 0, allowPrivateNetwork: true });
    try {
      const answers = await Promise.all(
        posts.map(async (post) => {
          const response = await receiver.handle(new Request(`${SITE}xmlrpc`, { method: 'POST', body: controlPing(`${sources.url}/?post=${post}`, post) }));
          return outcome(new Uint8Array(await response.arrayBuffer()));
        }),
      );
      expect(answers.filter((a) => !('result' in a))).toEqual([]);
      expect(sources.requests.length).toBe(posts.length);
      expect(sources.maxConcurrent).toBeLessThanOrEqual(SOURCE_CONCURRENCY);
      expect(sources.maxConcurrent).toBeGreaterThan(1);
    } finally {
      await receiver.close();
      await sources.close();
    }
  });
});

describe('the limits SECURITY.md names', () => {
  it('are the defaults a receiver gets when it sets nothing', () => {
    const receiver = new Receiver({ site: SITE, store: new MemoryStore(), pages: [] });
    expect(RECEIVER_DEFAULTS).toMatchObject({ maxSourceBytes: 1024 * 1024, sourceTimeoutMs: 10_000, maxRedirects: 3, allowedPorts: [80, 443], maxRequestBytes: 64 * 1024, rateLimit: 10, storeTimeoutMs: 10_000 });
    expect(receiver.settings.source).toMatchObject({ allowPrivateNetwork: false, allowedPorts: [80, 443], maxBytes: 1024 * 1024, timeoutMs: 10_000, maxRedirects: 3 });
    expect(receiver.settings).toMatchObject({ maxRequestBytes: 64 * 1024, storeTimeoutMs: 10_000, moderation: 'auto' });
    expect(SOURCE_CONCURRENCY).toBe(64);
  });
});
