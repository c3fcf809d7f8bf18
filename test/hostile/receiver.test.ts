import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PingbackRecord } from '@pingback/core';
import {
  MemoryStore,
  RECEIVER_DEFAULTS,
  Receiver,
  SOURCE_CONCURRENCY,
  WEBMENTION_QUEUE,
  parseMethodResponse,
  publicRecord,
  renderPingbacksHtml,
  writeMethodCall,
} from '@pingback/core';
import type { Served } from '../../packages/cli/test/serve-support.ts';
import { startServe, writeServedSite } from '../../packages/cli/test/serve-support.ts';
import { startServer } from '../support/http.ts';
import { runWebmentionClient } from '../support/webmention-cases.ts';
import type { HostileCase, HostileWebmention } from './support/cases.ts';
import { POSTS, hostileCases, hostileWebmentionCases } from './support/cases.ts';
import type { HostileNetwork } from './support/network.ts';
import { SENTINEL_HOSTS, SITE, TRUSTED, hostileResolver, recordConnections, startHostileNetwork } from './support/network.ts';

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
  expect(
    (await h.newAttempts()).filter((a) => a !== allowed),
    `${label}: connections`,
  ).toEqual([]);
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

/** The receiver as the Function runs it, over a memory store and the hostile network's resolver, every connection attempt recorded. */
interface Handler {
  receiver: Receiver;
  store: MemoryStore;
  storeSnapshot(): Promise<string>;
  newAttempts(): Promise<string[]>;
  close(): Promise<void>;
}

function startHandler(net: HostileNetwork): Handler {
  const store = new MemoryStore();
  const recorder = recordConnections();
  let seen = 0;
  const receiver = new Receiver({
    site: SITE,
    store,
    pages: POSTS.map((p) => `/posts/${p}`),
    rateLimit: 0,
    allowAddresses: [TRUSTED],
    allowedPorts: [80, 443, net.port],
    sourceTimeoutMs: SOURCE_TIMEOUT_MS,
    resolve: hostileResolver(),
  });
  return {
    receiver,
    store,
    storeSnapshot: async () => JSON.stringify(await store.list()),
    newAttempts: async () => {
      const fresh = recorder.attempts.slice(seen);
      seen = recorder.attempts.length;
      return fresh;
    },
    close: async () => {
      recorder.stop();
      await receiver.close();
    },
  };
}

async function filesOf(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries
    .filter((e) => e.isFile() && !e.name.endsWith('.tmp'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const parts = await Promise.all(files.map(async (f) => `${relative(dir, f)}\n${await readFile(f, 'utf8')}`));
  return parts.join('\n---\n');
}

/**
 * `pingback serve` over a built site in a temporary folder and a file store, sources trusted on the hostile
 * network's address and port, every outgoing connection attempt logged by the recorder it imports.
 */
interface ServeUnderTest {
  serve: Served;
  storeSnapshot(): Promise<string>;
  newAttempts(): Promise<string[]>;
  close(): Promise<void>;
}

async function startHostileServe(net: HostileNetwork, prefix: string): Promise<ServeUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const { root, manifest } = await writeServedSite(dir, SITE, POSTS, ['', 'tags/news']);
  const log = join(dir, 'connections.log');
  await writeFile(log, '');
  const args = ['--root', root, '--manifest', manifest, '--store', join(dir, 'store'), '--allow-address', TRUSTED, '--allow-port', String(net.port)];
  const serve = await startServe([...args, '--rate-limit', '0', '--source-timeout', String(SOURCE_TIMEOUT_MS)], dir, { PINGBACK_CONNECTION_LOG: log }, [
    '--import',
    RECORDER,
  ]);
  let logged = 0;
  return {
    serve,
    storeSnapshot: () => filesOf(join(dir, 'store')),
    newAttempts: async () => {
      const lines = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
      const fresh = lines.slice(logged);
      logged = lines.length;
      return fresh;
    },
    close: async () => {
      await serve.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('hostile requests through the receiver handler', () => {
  let net: HostileNetwork;
  let handler: Handler;
  let receiver: Receiver;
  let store: MemoryStore;
  let h: Harness;

  beforeAll(async () => {
    net = await startHostileNetwork();
    handler = startHandler(net);
    ({ receiver, store } = handler);
    h = {
      send: async (body) => {
        const response = await receiver.handle(new Request(`${SITE}xmlrpc`, { method: 'POST', body, headers: { 'content-type': 'text/xml' } }), {
          clientAddress: '192.0.2.1',
        });
        expect(response.status).toBe(200);
        return outcome(new Uint8Array(await response.arrayBuffer()));
      },
      storeSnapshot: handler.storeSnapshot,
      newAttempts: handler.newAttempts,
    };
  });
  afterAll(async () => {
    await handler?.close();
    await net?.close();
  });

  it('registers honest pingbacks from the trusted source, by address and by name (the controls)', async () => {
    expect(await h.send(controlPing(net.source('/link?post=control'), 'control'))).toMatchObject({ result: expect.stringMatching(/registered/) });
    expect(await h.send(controlPing(`http://good.test:${net.port}/link?post=control-by-name`, 'control-by-name'))).toMatchObject({
      result: expect.stringMatching(/registered/),
    });
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
    expect(await h.send(controlPing(`http://pin.test:${net.port}/link?post=control-pinned`, 'control-pinned'))).toMatchObject({
      result: expect.stringMatching(/registered/),
    });
    expect(await h.newAttempts()).toEqual([`${TRUSTED}:${net.port}`]);
    expect(net.sentinelConnections()['127.0.0.2']).toBe(0);
  });

  it('stores markup in titles, excerpts and author names as text, and renders it escaped', async () => {
    expect(await h.send(controlPing(net.source('/markup'), 'markup'))).toMatchObject({ result: expect.stringMatching(/registered/) });
    expectMarkupIsText((await store.list({ key: '/posts/markup' }))[0]);
  });
});

describe('hostile requests over HTTP to pingback serve', () => {
  let net: HostileNetwork;
  let under: ServeUnderTest;
  let endpoint: string;
  let h: Harness;

  beforeAll(async () => {
    net = await startHostileNetwork();
    under = await startHostileServe(net, 'pingback-hostile-');
    endpoint = under.serve.endpoint;
    h = {
      send: async (body) => {
        const response = await fetch(endpoint, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });
        expect(response.status).toBe(200);
        return outcome(new Uint8Array(await response.arrayBuffer()));
      },
      storeSnapshot: under.storeSnapshot,
      newAttempts: under.newAttempts,
    };
  });
  afterAll(async () => {
    await under?.close();
    await net?.close();
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
    expect(under.serve.child.exitCode).toBeNull();
    expect(under.serve.stderr()).not.toMatch(/internal error|unhandled|uncaught/i);
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
    expect(RECEIVER_DEFAULTS).toMatchObject({
      maxSourceBytes: 1024 * 1024,
      sourceTimeoutMs: 10_000,
      maxRedirects: 3,
      allowedPorts: [80, 443],
      maxRequestBytes: 64 * 1024,
      rateLimit: 10,
      storeTimeoutMs: 10_000,
    });
    expect(receiver.settings.source).toMatchObject({
      allowPrivateNetwork: false,
      allowedPorts: [80, 443],
      maxBytes: 1024 * 1024,
      timeoutMs: 10_000,
      maxRedirects: 3,
    });
    expect(receiver.settings).toMatchObject({ maxRequestBytes: 64 * 1024, storeTimeoutMs: 10_000, moderation: 'auto' });
    expect(SOURCE_CONCURRENCY).toBe(64);
  });
});

/** The checks every hostile Webmention must pass: its answer at once, then a verification that stores nothing and connects nowhere forbidden. */
interface WebmentionHarness {
  /** Sends the cases in order; the answers in the same order. */
  send(cases: HostileWebmention[]): Promise<{ status: number; body: string }[]>;
  /** Resolves when the Webmentions accepted so far have been verified. */
  verified(sources: string[]): Promise<void>;
  storeSnapshot(): Promise<string>;
  newAttempts(): Promise<string[]>;
}

async function expectWebmentionsRefused(h: WebmentionHarness, cases: HostileWebmention[], allowed: string): Promise<void> {
  const before = await h.storeSnapshot();
  await h.newAttempts();
  const answers = await h.send(cases);
  cases.forEach((c, i) => {
    expect(answers[i]?.status, `${c.group}: ${c.name}: ${answers[i]?.body}`).toBe(c.status);
    expect(answers[i]!.body.length, c.name).toBeLessThan(120);
  });
  await h.verified(cases.flatMap((c) => (c.source ? [c.source] : [])));
  expect(
    (await h.newAttempts()).filter((a) => a !== allowed),
    'connections',
  ).toEqual([]);
  expect(await h.storeSnapshot(), 'store').toBe(before);
}

const wmForm = (source: string, target: string) => new URLSearchParams({ source, target }).toString();

describe('hostile Webmentions through the receiver handler', () => {
  let net: HostileNetwork;
  let handler: Handler;
  let receiver: Receiver;
  let store: MemoryStore;
  let h: WebmentionHarness;

  beforeAll(async () => {
    net = await startHostileNetwork();
    handler = startHandler(net);
    ({ receiver, store } = handler);
    h = {
      send: async (cases) => {
        const out: { status: number; body: string }[] = [];
        for (const c of cases) {
          const response = await receiver.handle(
            new Request(`${SITE}webmention`, {
              method: 'POST',
              body: typeof c.body === 'string' ? Buffer.from(c.body) : c.body,
              headers: { 'content-type': c.contentType },
            }),
            { clientAddress: '192.0.2.1' },
          );
          expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
          out.push({ status: response.status, body: await response.text() });
        }
        return out;
      },
      verified: () => receiver.idle(),
      storeSnapshot: handler.storeSnapshot,
      newAttempts: handler.newAttempts,
    };
  });
  afterAll(async () => {
    await handler?.close();
    await net?.close();
  });

  it('stores an honest Webmention from the trusted source (the control)', async () => {
    const response = await receiver.handle(
      new Request(`${SITE}webmention`, {
        method: 'POST',
        body: Buffer.from(wmForm(net.source('/link?post=wm-control'), `${SITE}posts/wm-control/`)),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(response.status).toBe(202);
    await receiver.idle();
    expect((await store.list()).map((r) => [r.key, r.protocol])).toEqual([['/posts/wm-control', 'webmention']]);
  });

  it('answers every hostile source, target and form at once with its status, and verifies none: nothing stored, nothing forbidden connected', async () => {
    const cases = hostileWebmentionCases(net.port);
    expect(cases.filter((c) => c.status === 202).length).toBeGreaterThanOrEqual(70);
    expect(cases.filter((c) => c.group === 'form').length).toBeGreaterThanOrEqual(15);
    await expectWebmentionsRefused(h, cases, `${TRUSTED}:${net.port}`);
    expect(net.sentinelConnections()).toEqual(Object.fromEntries(SENTINEL_HOSTS.map((host) => [host, 0])));
  });

  it("a link in an <img src> is a Webmention's link (unlike a pingback's)", async () => {
    const response = await receiver.handle(
      new Request(`${SITE}webmention`, {
        method: 'POST',
        body: Buffer.from(wmForm(net.source('/in-img'), `${SITE}posts/hostile/`)),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(response.status).toBe(202);
    await receiver.idle();
    expect((await store.list({ key: '/posts/hostile' })).map((r) => r.protocol)).toEqual(['webmention']);
  });
});

describe('hostile Webmentions over HTTP to pingback serve', () => {
  let net: HostileNetwork;
  let under: ServeUnderTest;
  let base: string;
  const stderr = () => under.serve.stderr();
  let h: WebmentionHarness;

  beforeAll(async () => {
    net = await startHostileNetwork();
    under = await startHostileServe(net, 'pingback-hostile-wm-');
    base = under.serve.url;
    h = {
      // An independent client: Python's urllib, each body sent as it is.
      send: async (cases) => {
        const results = await runWebmentionClient(
          `${base}/webmention`,
          cases.map((c) => ({ raw: { base64: Buffer.from(c.body).toString('base64'), contentType: c.contentType } })),
        );
        return results.map((r) => {
          expect(r.error).toBeUndefined();
          return { status: r.status!, body: r.body! };
        });
      },
      // serve logs one line per verification, naming the source as sent.
      verified: async (sources) => {
        const until = Date.now() + 4 * SOURCE_TIMEOUT_MS;
        const done = () => sources.every((s) => stderr().includes(`: ${s} → `));
        while (!done()) {
          if (Date.now() > until) throw new Error(`not verified: ${sources.filter((s) => !stderr().includes(`: ${s} → `)).join(', ')}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      storeSnapshot: under.storeSnapshot,
      newAttempts: under.newAttempts,
    };
  });
  afterAll(async () => {
    await under?.close();
    await net?.close();
  });

  it('stores an honest Webmention from the trusted source (the control)', async () => {
    const source = net.source('/link?post=wm-control');
    expect(
      (
        await h.send([
          { group: 'form', name: 'control', body: wmForm(source, `${SITE}posts/wm-control/`), contentType: 'application/x-www-form-urlencoded', status: 202 },
        ])
      )[0]!.status,
    ).toBe(202);
    await h.verified([source]);
    expect(stderr()).toMatch(/webmention approved: .*wm-control → \/posts\/wm-control/);
    expect(await h.newAttempts()).toContain(`${TRUSTED}:${net.port}`);
  });

  it('answers every hostile case that needs no private DNS with its status, verifies none, connects nowhere forbidden, changes nothing', async () => {
    const cases = hostileWebmentionCases(net.port).filter((c) => !c.names);
    expect(cases.length).toBeGreaterThanOrEqual(80);
    await expectWebmentionsRefused(h, cases, `${TRUSTED}:${net.port}`);
    expect(net.sentinelConnections()).toEqual(Object.fromEntries(SENTINEL_HOSTS.map((host) => [host, 0])));
    expect(under.serve.child.exitCode).toBeNull();
    expect(stderr()).not.toMatch(/internal error|unhandled|uncaught/i);
  });
});

describe('a flood of Webmentions', () => {
  const post = (source: string) =>
    new Request(`${SITE}webmention`, {
      method: 'POST',
      body: Buffer.from(wmForm(source, `${SITE}posts/wm-flood/`)),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

  it(`holds at most ${WEBMENTION_QUEUE} waiting; the rest are answered 503 with Retry-After at once, and every accepted one is verified`, async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sources = await startServer(async (_req, res) => {
      await gate;
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<p><a href="${SITE}posts/wm-flood/">x</a></p>`);
    });
    const store = new MemoryStore();
    const receiver = new Receiver({ site: SITE, store, pages: ['/posts/wm-flood'], rateLimit: 0, allowPrivateNetwork: true });
    try {
      let most = 0;
      const answers = await Promise.all(
        Array.from({ length: 2000 }, async (_, i) => {
          const response = await receiver.handle(post(`${sources.url}/?n=${i}`));
          most = Math.max(most, receiver.pendingWebmentions);
          return { status: response.status, retry: response.headers.get('retry-after') };
        }),
      );
      expect(answers.filter((a) => a.status === 202)).toHaveLength(WEBMENTION_QUEUE);
      expect(answers.filter((a) => a.status === 503)).toHaveLength(2000 - WEBMENTION_QUEUE);
      expect(answers.filter((a) => a.status === 503).every((a) => a.retry === '60')).toBe(true);
      expect(most).toBeLessThanOrEqual(WEBMENTION_QUEUE);
      release();
      await receiver.idle();
      expect(receiver.pendingWebmentions).toBe(0);
      expect(await store.list()).toHaveLength(WEBMENTION_QUEUE);
      expect(sources.requests).toHaveLength(WEBMENTION_QUEUE);
      // Room again once they are verified.
      expect((await receiver.handle(post(`${sources.url}/?n=again`))).status).toBe(202);
      await receiver.idle();
    } finally {
      await receiver.close();
      await sources.close();
    }
  });

  it('one Webmention sent 3,000 times at once is one entry, one or two fetches and one record', async () => {
    const sources = await startServer(
      (_req, res) => void setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(`<p><a href="${SITE}posts/wm-flood/">x</a></p>`), 100),
    );
    const store = new MemoryStore();
    const receiver = new Receiver({ site: SITE, store, pages: ['/posts/wm-flood'], rateLimit: 0, allowPrivateNetwork: true });
    try {
      const statuses = await Promise.all(Array.from({ length: 3000 }, async () => (await receiver.handle(post(`${sources.url}/same`))).status));
      expect(statuses.every((s) => s === 202)).toBe(true);
      expect(receiver.pendingWebmentions).toBe(1);
      await receiver.idle();
      expect(sources.requests.length).toBeLessThanOrEqual(2);
      expect(await store.list()).toHaveLength(1);
    } finally {
      await receiver.close();
      await sources.close();
    }
  });

  it('from one client past the rate limit: 429 before anything is queued or fetched', async () => {
    const sources = await startServer(
      (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(`<p><a href="${SITE}posts/wm-flood/">x</a></p>`),
    );
    const receiver = new Receiver({ site: SITE, store: new MemoryStore(), pages: ['/posts/wm-flood'], allowPrivateNetwork: true });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 500; i++) statuses.push((await receiver.handle(post(`${sources.url}/?n=${i}`), { clientAddress: '198.51.100.7' })).status);
      expect(statuses.filter((s) => s === 202)).toHaveLength(RECEIVER_DEFAULTS.rateLimit);
      expect(statuses.filter((s) => s === 429)).toHaveLength(500 - RECEIVER_DEFAULTS.rateLimit);
      await receiver.idle();
      expect(sources.requests).toHaveLength(RECEIVER_DEFAULTS.rateLimit);
    } finally {
      await receiver.close();
      await sources.close();
    }
  });
});
