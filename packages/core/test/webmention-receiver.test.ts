import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import { record } from '../../../test/support/store-contract.ts';
import type { ReceiverOptions } from '../src/receive/receiver-options.ts';
import { Receiver } from '../src/receive/receiver.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { recordId, tombstone } from '../src/store/record.ts';
import type { PingbackRecord } from '../src/store/record.ts';
import { blockHost } from '../src/receive/blocklist.ts';
import { parseMethodResponse, writeMethodCall } from '../src/xmlrpc/index.ts';
import { generateWebhookSecret } from '../src/notify/webhook-secret.ts';

const SITE = 'https://blog.example/';
const POST = `${SITE}posts/a/`;

/** The source blog: each path answers what the test last set for it. */
interface Page {
  status?: number;
  type?: string;
  body: string | Buffer;
}
const pages = new Map<string, Page>();
let sources: TestServer;
let S: (path: string) => string;

beforeAll(async () => {
  sources = await startServer((req: IncomingMessage, res: ServerResponse) => {
    const page = pages.get((req.url ?? '/').split('?')[0]!);
    if (!page) return void res.writeHead(404, { 'content-type': 'text/html' }).end('<p>gone</p>');
    res.writeHead(page.status ?? 200, { 'content-type': page.type ?? 'text/html; charset=utf-8' }).end(page.body);
  });
  S = (path) => `${sources.url}${path}`;
});
afterAll(() => sources.close());
beforeEach(() => pages.clear());

const doc = (body: string, head = '<title>A reply</title>') => `<!doctype html><html lang="en"><head>${head}</head><body>${body}</body></html>`;

/** A clock the test moves: the source cache's window and `updatedAt` follow it. */
function clock(start = Date.UTC(2026, 10, 1)) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function receiver(extra: Partial<ReceiverOptions> = {}) {
  const store = (extra.store as MemoryStore | undefined) ?? new MemoryStore();
  const r = new Receiver({ site: SITE, store, pages: ['/posts/a', '/posts/b'], rateLimit: 0, allowPrivateNetwork: true, ...extra });
  return { r, store };
}

interface Sent {
  status: number;
  body: string;
  headers: Headers;
}

async function send(
  r: Receiver,
  body: string | URLSearchParams | Record<string, string>,
  init: { contentType?: string | null; method?: string; context?: object } = {},
): Promise<Sent> {
  const form = typeof body === 'string' || body instanceof URLSearchParams ? body : new URLSearchParams(body);
  const headers: Record<string, string> = {};
  const contentType = init.contentType === undefined ? 'application/x-www-form-urlencoded' : init.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  const method = init.method ?? 'POST';
  // Bytes, not a string: a string body would get Content-Type text/plain from Request itself.
  const request = new Request(`${SITE}webmention`, { method, headers, ...(method === 'POST' ? { body: Buffer.from(String(form)) } : {}) });
  const response = await r.handle(request, init.context ?? {});
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** Sends a Webmention and waits for its verification. */
async function mention(r: Receiver, source: string, target = POST): Promise<Sent> {
  const answer = await send(r, { source, target });
  await r.idle();
  return answer;
}

const visible = async (store: MemoryStore) => (await store.list()).filter((x) => !x.deletedAt);

describe('the synchronous checks (§3.2.1): no network, a short plain-text reason', () => {
  const cases: [string, string | Record<string, string>, number, RegExp, { contentType?: string | null; method?: string }?][] = [
    ['no source', { target: POST }, 400, /^The source parameter is missing\.\n$/],
    ['no target', { source: 'https://other.example/reply' }, 400, /^The target parameter is missing\.\n$/],
    ['an empty source', { source: '', target: POST }, 400, /source parameter is missing/],
    [
      'two sources',
      'source=https%3A%2F%2Fa.example%2F&source=https%3A%2F%2Fb.example%2F&target=https%3A%2F%2Fblog.example%2Fposts%2Fa%2F',
      400,
      /source parameter is given more than once/,
    ],
    [
      'two targets',
      `source=https%3A%2F%2Fa.example%2F&target=${encodeURIComponent(POST)}&target=${encodeURIComponent(POST)}`,
      400,
      /target parameter is given more than once/,
    ],
    ['a source that is no URL', { source: 'not a url', target: POST }, 400, /source is not a valid URL/],
    ['a target that is no URL', { source: 'https://other.example/reply', target: '/posts/a/' }, 400, /target is not a valid URL/],
    ['a mailto: source', { source: 'mailto:ann@other.example', target: POST }, 400, /source must be an http or https URL/],
    ['a javascript: source', { source: 'javascript:alert(1)', target: POST }, 400, /source must be an http or https URL/],
    ['an ftp: target', { source: 'https://other.example/reply', target: 'ftp://blog.example/posts/a/' }, 400, /target must be an http or https URL/],
    ['credentials in the source', { source: 'https://user:pw@other.example/reply', target: POST }, 400, /user name or password/],
    ['a source over 4,096 characters', { source: `https://other.example/${'x'.repeat(5000)}`, target: POST }, 400, /source URL is too long/],
    ['source equal to target', { source: POST, target: POST }, 400, /same URL/],
    ['source equal to target but for the fragment', { source: `${POST}#reply`, target: POST }, 400, /same URL/],
    [
      'a target on another site',
      { source: 'https://other.example/reply', target: 'https://elsewhere.example/posts/a/' },
      400,
      /^The target is not a page of this site\.\n$/,
    ],
    ['a look-alike host', { source: 'https://other.example/reply', target: 'https://blog.example.evil.example/posts/a/' }, 400, /not a page of this site/],
    [
      'a page that takes no Webmentions',
      { source: 'https://other.example/reply', target: `${SITE}tags/news/` },
      400,
      /^The target does not accept Webmentions\.\n$/,
    ],
    ['a source on this site', { source: `${SITE}posts/b/`, target: POST }, 400, /this site's own pages/],
    ['invalid UTF-8', 'source=\u00ff', 400, /not valid UTF-8/],
    [
      'a JSON body',
      JSON.stringify({ source: 'https://other.example/reply', target: POST }),
      415,
      /application\/x-www-form-urlencoded/,
      { contentType: 'application/json' },
    ],
    ['multipart', 'x', 415, /x-www-form-urlencoded/, { contentType: 'multipart/form-data; boundary=x' }],
    ['GET', '', 405, /POST a form with source and target/, { method: 'GET' }],
  ];

  it.each(cases)('%s', async (_name, body, status, reason, init) => {
    const { r, store } = receiver();
    const raw = body === 'source=\u00ff' ? undefined : body;
    let answer: Sent;
    if (raw === undefined) {
      const response = await r.handle(
        new Request(`${SITE}webmention`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: Buffer.from([0x73, 0x6f, 0x75, 0x72, 0x63, 0x65, 0x3d, 0xff]),
        }),
      );
      answer = { status: response.status, body: await response.text(), headers: response.headers };
    } else answer = await send(r, body as Record<string, string>, init);
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(answer.body).toMatch(reason);
    expect(answer.body.length).toBeLessThan(120);
    if (status === 405) expect(answer.headers.get('allow')).toBe('POST');
    await r.idle();
    expect(await store.list()).toEqual([]);
    expect(sources.requests.filter((q) => q.path.startsWith('/never'))).toEqual([]);
    await r.close();
  });

  it('answers a missing page 400 "does not exist" only where the site knows every page', async () => {
    const { r } = receiver({ pageExists: () => false });
    const answer = await send(r, { source: 'https://other.example/reply', target: `${SITE}posts/never-built/` });
    expect(answer).toMatchObject({ status: 400, body: 'The target does not exist.\n' });
    await r.close();
  });

  it('answers a body over the cap 413 without reading it all', async () => {
    const { r } = receiver({ maxRequestBytes: 1024 });
    const answer = await send(r, { source: `https://other.example/${'x'.repeat(2000)}`, target: POST });
    expect(answer.status).toBe(413);
    expect(answer.body).toBe('The request body is too large for a Webmention.\n');
    await r.close();
  });

  it('takes a form whatever its charset parameter or case says, and one with no Content-Type', async () => {
    pages.set('/ok', { body: doc(`<p><a href="${POST}">x</a></p>`) });
    for (const contentType of ['application/x-www-form-urlencoded; charset=UTF-8', 'Application/X-WWW-Form-URLEncoded;charset=iso-8859-1', null]) {
      const { r, store } = receiver();
      expect((await send(r, { source: S('/ok'), target: POST }, { contentType })).status).toBe(202);
      await r.idle();
      expect((await store.list()).length, String(contentType)).toBe(1);
      await r.close();
    }
  });

  it("ignores parameters it does not know (Vouch's vouch, say)", async () => {
    pages.set('/ok', { body: doc(`<p><a href="${POST}">x</a></p>`) });
    const { r, store } = receiver();
    expect((await send(r, { source: S('/ok'), target: POST, vouch: 'https://friend.example/' })).status).toBe(202);
    await r.idle();
    expect((await store.list()).length).toBe(1);
    await r.close();
  });

  it('answers 429 with Retry-After past the rate limit, per client and per source host, before any fetch', async () => {
    pages.set('/ok', { body: doc(`<p><a href="${POST}">x</a></p>`) });
    const { r } = receiver({ rateLimit: 2 });
    const before = sources.requests.length;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await send(r, { source: `${S('/ok')}?n=${i}`, target: POST }, { context: { clientAddress: '192.0.2.7' } })).status);
    expect(statuses).toEqual([202, 202, 429, 429]);
    const refused = await send(r, { source: `${S('/ok')}?n=9`, target: POST }, { context: { clientAddress: '192.0.2.8' } });
    // Another client, but the same source host: its window is full too.
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.body).toBe('Too many Webmentions; try again later.\n');
    await r.idle();
    expect(sources.requests.length - before).toBe(2);
    await r.close();
  });

  it('answers a blocked source host 429, configured or blocked at run time, and fetches nothing', async () => {
    const { r, store } = receiver({ blocklist: ['*.spam.example'] });
    await blockHost(store, 'other.example');
    expect((await send(r, { source: 'https://www.spam.example/x', target: POST })).status).toBe(429);
    expect((await send(r, { source: 'https://other.example./x', target: POST })).status).toBe(429);
    await r.idle();
    expect(await store.list()).toEqual([]);
    await r.close();
  });
});

describe('verification after the answer (§3.2.2)', () => {
  it('answers 202 at once, before the source is fetched, and hands the work to waitUntil', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = await startServer(async (_req, res) => {
      await gate;
      res.writeHead(200, { 'content-type': 'text/html' }).end(doc(`<a href="${POST}">x</a>`));
    });
    const { r, store } = receiver();
    const kept: Promise<unknown>[] = [];
    const answer = await send(r, { source: `${slow.url}/slow`, target: POST }, { context: { waitUntil: (p: Promise<unknown>) => kept.push(p) } });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatch(/^Accepted: the source will be fetched/);
    expect(kept).toHaveLength(1);
    expect(await store.list()).toEqual([]);
    release();
    await kept[0];
    expect((await store.list()).map((x) => [x.protocol, x.status])).toEqual([['webmention', 'approved']]);
    await r.close();
    await slow.close();
  });

  it('asks for HTML, JSON or text and says it verifies a Webmention', async () => {
    pages.set('/ua', { body: doc(`<a href="${POST}">x</a>`) });
    const { r } = receiver();
    await mention(r, S('/ua'));
    const fetched = sources.requests.findLast((q) => q.path === '/ua')!;
    expect(fetched.headers.accept).toBe('text/html, application/xhtml+xml;q=0.9, application/json;q=0.8, text/plain;q=0.7, */*;q=0.1');
    expect(fetched.headers['user-agent']).toMatch(/verifying Webmention from unknown\)$/);
    await r.close();
  });

  const stored = async (page: Page, target = POST) => {
    pages.set('/page', page);
    const { r, store } = receiver();
    expect((await mention(r, S('/page'), target)).status).toBe(202);
    await r.close();
    return store.list();
  };

  it.each([
    ['<a href>', `<p><a href="${POST}">x</a></p>`],
    ['<img src>', `<img src="${POST}" alt="">`],
    ['<video src>', `<video src="${POST}"></video>`],
    ['<video poster>', `<video poster="${POST}"></video>`],
    ['<audio src>', `<audio src="${POST}"></audio>`],
    ['<source src>', `<video><source src="${POST}"></video>`],
    ['<area href>', `<map><area href="${POST}" alt=""></map>`],
    ['a relative link under <base>', '<base href="https://blog.example/posts/"><a href="a/">x</a>'],
    ['entity-encoded, upper-case host and a default port', '<a href="HTTPS://Blog.Example:443/posts/a/">x</a>'],
  ])('HTML: %s is a link', async (_name, body) => {
    expect(await stored({ body: doc(body) })).toHaveLength(1);
  });

  it.each([
    ['only in a comment', `<!-- <a href="${POST}">x</a> -->`],
    ['only in a script', `<script>'<a href="${POST}">x</a>'</script>`],
    ['only in a template', `<template><a href="${POST}">x</a></template>`],
    ['only in <noscript>', `<noscript><a href="${POST}">x</a></noscript>`],
    ['only as text', `<p>${POST}</p>`],
    ['only in another attribute', `<p data-href="${POST}">x</p><link rel="related" href="${POST}">`],
    ['without its trailing slash (not exact)', '<a href="https://blog.example/posts/a">x</a>'],
    ['with index.html (not exact)', '<a href="https://blog.example/posts/a/index.html">x</a>'],
    ['over http (not exact)', '<a href="http://blog.example/posts/a/">x</a>'],
    ['with a query (not exact)', '<a href="https://blog.example/posts/a/?utm_source=x">x</a>'],
    ['a relative link, resolved against the source', '<a href="/posts/a/">x</a>'],
  ])('HTML: the target %s is no link', async (_name, body) => {
    expect(await stored({ body: doc(body) })).toEqual([]);
  });

  it('a target with a fragment needs that fragment', async () => {
    expect(await stored({ body: doc(`<a href="${POST}#comment-3">x</a>`) }, `${POST}#comment-3`)).toHaveLength(1);
    expect(await stored({ body: doc(`<a href="${POST}">x</a>`) }, `${POST}#comment-3`)).toEqual([]);
  });

  it('JSON: a property value that is exactly the target, at any depth; a mere substring is not', async () => {
    const [json] = await stored({ type: 'application/activity+json', body: JSON.stringify({ type: 'Note', object: { inReplyTo: [1, { href: POST }] } }) });
    expect(json).toMatchObject({ title: new URL(sources.url).host, protocol: 'webmention' });
    expect(await stored({ type: 'application/json', body: JSON.stringify({ text: `see ${POST} now` }) })).toEqual([]);
    expect(await stored({ type: 'application/json', body: '{"broken": ' })).toEqual([]);
  });

  it('plain text: the URL searched as a string; the excerpt is the text around it', async () => {
    const [text] = await stored({ type: 'text/plain; charset=utf-8', body: `Notes\n\nI read ${POST} today and liked it.` });
    expect(text!.excerpt).toContain(`I read ${POST} today and liked it.`);
    expect(await stored({ type: 'text/plain', body: 'nothing here' })).toEqual([]);
  });

  it('an image, a PDF or octet-stream holds no link', async () => {
    for (const type of ['image/png', 'application/pdf', 'application/octet-stream'])
      expect(await stored({ type, body: doc(`<a href="${POST}">x</a>`) }), type).toEqual([]);
  });

  it('a source that fails, answers 404 or 500, is not stored', async () => {
    expect(await stored({ status: 404, body: doc(`<a href="${POST}">x</a>`) })).toEqual([]);
    expect(await stored({ status: 500, body: doc(`<a href="${POST}">x</a>`) })).toEqual([]);
    const { r, store } = receiver({ allowPrivateNetwork: false });
    await mention(r, S('/page'));
    expect(await store.list()).toEqual([]);
    await r.close();
  });
});

describe('update and delete (§3.2.4)', () => {
  it('re-verifies a known pair and replaces its content, keeping id, status and receivedAt; the same again writes nothing', async () => {
    const time = clock();
    const { r, store } = receiver({ clock: time });
    pages.set('/post', { body: doc(`<p>First version: <a href="${POST}">x</a></p>`, '<title>v1</title>') });
    await mention(r, S('/post'));
    const [first] = await store.list();
    expect(first).toMatchObject({ title: 'v1', excerpt: 'First version: x', protocol: 'webmention' });
    expect(first!.updatedAt).toBeUndefined();

    time.advance(5_000);
    pages.set('/post', { body: doc(`<p>Second version: <a href="${POST}">x</a></p>`, '<title>v2</title>') });
    await mention(r, S('/post'));
    const [second] = await store.list();
    expect(second).toMatchObject({
      id: first!.id,
      status: 'approved',
      receivedAt: first!.receivedAt,
      title: 'v2',
      excerpt: 'Second version: x',
      updatedAt: new Date(time.now()).toISOString(),
    });

    time.advance(5_000);
    const writes: PingbackRecord[] = [];
    const update = store.update.bind(store);
    store.update = async (x) => {
      writes.push(x);
      return update(x);
    };
    await mention(r, S('/post'));
    expect(writes).toEqual([]);
    expect(await store.list()).toEqual([second]);
    await r.close();
  });

  it("keeps a moderator's status: a rejected or pending record is updated, not published", async () => {
    const store = new MemoryStore();
    pages.set('/post', { body: doc(`<a href="${POST}">new text</a>`) });
    await store.insert(record('/posts/a', S('/post'), { status: 'rejected' }));
    const { r } = receiver({ store });
    await mention(r, S('/post'));
    expect(await store.list()).toMatchObject([{ status: 'rejected', excerpt: 'new text', protocol: 'webmention' }]);
    await r.close();
  });

  it('a source that answers 410, or 200 without the link, deletes the record (deletedBy source); a later valid one brings it back', async () => {
    const time = clock();
    const { r, store } = receiver({ clock: time });
    pages.set('/post', { body: doc(`<a href="${POST}">x</a>`) });
    await mention(r, S('/post'));
    const [first] = await store.list();

    time.advance(1000);
    pages.set('/post', { status: 410, body: doc('<p>Deleted</p>') });
    await mention(r, S('/post'));
    expect(await store.list()).toMatchObject([{ id: first!.id, deletedBy: 'source', title: '', excerpt: '' }]);
    expect(await visible(store)).toEqual([]);

    time.advance(1000);
    pages.set('/post', { body: doc(`<p>Back: <a href="${POST}">x</a></p>`) });
    await mention(r, S('/post'));
    expect(await visible(store)).toMatchObject([{ id: first!.id, status: 'approved', receivedAt: first!.receivedAt, excerpt: 'Back: x' }]);
    expect((await store.list())[0]!.deletedBy).toBeUndefined();

    time.advance(1000);
    pages.set('/post', { body: doc('<p>The link is gone now.</p>') });
    await mention(r, S('/post'));
    expect(await store.list()).toMatchObject([{ id: first!.id, deletedBy: 'source' }]);
    await r.close();
  });

  it('a revived record waits as pending under manual moderation', async () => {
    const store = new MemoryStore();
    await store.insert(tombstone(record('/posts/a', S('/post')), '2026-11-01T00:00:00.000Z', 'source'));
    pages.set('/post', { body: doc(`<a href="${POST}">x</a>`) });
    const { r } = receiver({ store, moderation: 'manual' });
    await mention(r, S('/post'));
    expect(await store.list()).toMatchObject([{ status: 'pending', protocol: 'webmention' }]);
    await r.close();
  });

  it("a delete by the site's owner is for good: accepted, never fetched, never revived", async () => {
    for (const by of ['moderator', undefined] as const) {
      const store = new MemoryStore();
      const dead = tombstone(record('/posts/a', S('/post')), '2026-11-01T00:00:00.000Z', by ?? 'moderator');
      if (by === undefined) delete dead.deletedBy; // a tombstone from before there were two kinds
      await store.insert(dead);
      pages.set('/post', { body: doc(`<a href="${POST}">x</a>`) });
      const { r } = receiver({ store });
      const before = sources.requests.length;
      expect((await mention(r, S('/post'))).status).toBe(202);
      expect(sources.requests.length).toBe(before);
      expect(await store.list()).toEqual([dead]);
      await r.close();
    }
  });

  it('a 404, a 500 or a network failure deletes nothing', async () => {
    const time = clock();
    const { r, store } = receiver({ clock: time });
    pages.set('/post', { body: doc(`<a href="${POST}">x</a>`) });
    await mention(r, S('/post'));
    for (const status of [404, 500]) {
      time.advance(1000);
      pages.set('/post', { status, body: 'x' });
      await mention(r, S('/post'));
    }
    expect(await visible(store)).toHaveLength(1);
    await r.close();
  });

  it('a page cut at the byte cap before any link proves nothing: the record stays', async () => {
    const time = clock();
    const { r, store } = receiver({ clock: time, maxSourceBytes: 2048 });
    pages.set('/post', { body: doc(`<a href="${POST}">x</a>`) });
    await mention(r, S('/post'));
    time.advance(1000);
    pages.set('/post', { body: doc(`<p>${'long '.repeat(1000)}</p><a href="${POST}">x</a>`) });
    await mention(r, S('/post'));
    expect(await visible(store)).toHaveLength(1);
    await r.close();
  });

  it('an update is fetched afresh, though the source was fetched moments before for a new pair', async () => {
    const time = clock();
    const { r, store } = receiver({ clock: time });
    pages.set('/post', { body: doc(`<p>v1 <a href="${POST}">x</a> <a href="${SITE}posts/b/">y</a></p>`) });
    await mention(r, S('/post'));
    // The same source for another post, within the cache's window: one fetch serves both.
    const before = sources.requests.length;
    await mention(r, S('/post'), `${SITE}posts/b/`);
    expect(sources.requests.length).toBe(before);
    expect(await store.list()).toHaveLength(2);
    // An update of the first pair, a second later: the source changed, so it is fetched again.
    time.advance(1000);
    pages.set('/post', { body: doc(`<p>v2 <a href="${POST}">x</a></p>`) });
    await mention(r, S('/post'));
    expect(sources.requests.length).toBe(before + 1);
    expect((await store.get(recordId('/posts/a', S('/post'))))!.excerpt).toBe('v2 x');
    await r.close();
  });

  it('many copies of one Webmention at once are one verification and one record', async () => {
    pages.set('/post', { body: doc(`<a href="${POST}">x</a>`) });
    const { r, store } = receiver();
    const before = sources.requests.length;
    const answers = await Promise.all(Array.from({ length: 50 }, () => send(r, { source: S('/post'), target: POST })));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    await r.idle();
    expect(await store.list()).toHaveLength(1);
    expect(sources.requests.length - before).toBeLessThanOrEqual(2);
    await r.close();
  });
});

describe('one linkback per (post, source), whatever the protocol', () => {
  const ping = async (r: Receiver, source: string) => {
    const response = await r.handle(new Request(`${SITE}xmlrpc`, { method: 'POST', body: writeMethodCall('pingback.ping', [source, POST]) }));
    return parseMethodResponse(new Uint8Array(await response.arrayBuffer()));
  };

  it("a Webmention, then WordPress's pingback for the same link: one record, the pingback answered 48", async () => {
    pages.set('/wp', { body: doc(`<a href="${POST}">x</a>`) });
    const { r, store } = receiver();
    await mention(r, S('/wp'));
    expect(await ping(r, S('/wp'))).toMatchObject({ kind: 'fault', faultCode: 48 });
    expect(await store.list()).toMatchObject([{ protocol: 'webmention' }]);
    await r.close();
  });

  it('a pingback, then the Webmention: one record, now a Webmention', async () => {
    pages.set('/wp', { body: doc(`<a href="${POST}">x</a>`) });
    const { r, store } = receiver();
    expect(await ping(r, S('/wp'))).toMatchObject({ kind: 'result' });
    await mention(r, S('/wp'));
    const list = await store.list();
    expect(list).toHaveLength(1);
    expect(list[0]!.protocol).toBe('webmention');
    await r.close();
  });

  it('both at once: one record', async () => {
    pages.set('/wp', { body: doc(`<a href="${POST}">x</a>`) });
    const { r, store } = receiver();
    await Promise.all([send(r, { source: S('/wp'), target: POST }), ping(r, S('/wp'))]);
    await r.idle();
    expect(await store.list()).toHaveLength(1);
    await r.close();
  });

  it('a pingback for a record its source deleted is 48 too', async () => {
    const store = new MemoryStore();
    await store.insert(tombstone(record('/posts/a', S('/wp')), '2026-11-01T00:00:00.000Z', 'source'));
    pages.set('/wp', { body: doc(`<a href="${POST}">x</a>`) });
    const { r } = receiver({ store });
    expect(await ping(r, S('/wp'))).toMatchObject({ kind: 'fault', faultCode: 48 });
    await r.close();
  });
});

describe('moderation, the arrival webhook and old URLs: as for a pingback', () => {
  it('takes a Webmention to an old URL of a post (an alias) for the post, keeping the target as sent', async () => {
    const old = `${SITE}2019/05/a/`;
    pages.set('/old', { body: doc(`<p>Years ago: <a href="${old}">this</a>.</p>`) });
    const { r, store } = receiver({ aliases: { '/2019/05/a': '/posts/a' } });
    expect((await mention(r, S('/old'), old)).status).toBe(202);
    expect(await store.list()).toMatchObject([
      { id: recordId('/posts/a', S('/old')), key: '/posts/a', target: old, protocol: 'webmention', status: 'approved' },
    ]);
    await r.close();
    // Without the alias the old URL is no post: refused before anything is fetched.
    const plain = receiver();
    const before = sources.requests.length;
    expect((await mention(plain.r, S('/old'), old)).status).toBe(400);
    expect(sources.requests.length).toBe(before);
    await plain.r.close();
  });

  it('pending-except-allowed: a Webmention from an allowed host is approved on arrival and when it comes back, one from another host waits', async () => {
    // Named hosts, resolved to the loopback source server, so the allow list has hosts to match.
    const on = (host: string, path: string) => `http://${host}:${sources.port}${path}`;
    pages.set('/friend', { body: doc(`<a href="${POST}">x</a>`) });
    pages.set('/stranger', { body: doc(`<a href="${POST}">x</a>`) });
    const store = new MemoryStore();
    await store.insert(tombstone(record('/posts/b', on('friend.example', '/friend')), '2026-11-01T00:00:00.000Z', 'source'));
    pages.set('/friend', { body: doc(`<a href="${POST}">x</a> <a href="${SITE}posts/b/">y</a>`) });
    const { r } = receiver({
      store,
      moderation: 'pending-except-allowed',
      allowlist: ['friend.example'],
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    await mention(r, on('friend.example', '/friend'));
    await mention(r, on('stranger.example', '/stranger'));
    await mention(r, on('friend.example', '/friend'), `${SITE}posts/b/`);
    const status = async (key: string, source: string) => (await store.get(recordId(key, source)))?.status;
    expect(await status('/posts/a', on('friend.example', '/friend'))).toBe('approved');
    expect(await status('/posts/a', on('stranger.example', '/stranger'))).toBe('pending');
    expect(await status('/posts/b', on('friend.example', '/friend'))).toBe('approved');
    await r.close();
  });

  it('the webhook hears of a new Webmention and of one its source brought back, each once and through waitUntil; not of an update or a delete', async () => {
    const hook = await startServer((_req, res) => void res.writeHead(204).end());
    const time = clock();
    const { r } = receiver({ clock: time, notify: { url: `${hook.url}/hook`, secret: generateWebhookSecret(), allowPrivateNetwork: true } });
    const kept: Promise<unknown>[] = [];
    const context = { waitUntil: (p: Promise<unknown>) => kept.push(p) };
    const round = async (body: Page) => {
      time.advance(1000);
      pages.set('/post', body);
      expect((await send(r, { source: S('/post'), target: POST }, { context })).status).toBe(202);
      await r.idle();
      await Promise.all(kept);
    };
    const reply = (text: string) => doc(`<article class="h-entry"><a class="u-in-reply-to" href="${POST}">re</a> <p class="e-content">${text}</p></article>`);
    try {
      await round({ body: reply('First') });
      // The verification, then the delivery it started: both kept alive by the platform.
      expect(kept).toHaveLength(2);
      expect(hook.requests).toHaveLength(1);
      expect(JSON.parse(hook.requests[0]!.body)).toMatchObject({
        type: 'linkback.received',
        data: { key: '/posts/a', status: 'approved', protocol: 'webmention', kind: 'reply' },
      });
      await round({ body: reply('Edited') });
      await round({ status: 410, body: 'gone' });
      expect(hook.requests).toHaveLength(1);
      await round({ body: reply('Back again') });
      expect(hook.requests).toHaveLength(2);
      expect(JSON.parse(hook.requests[1]!.body)).toMatchObject({
        data: { key: '/posts/a', status: 'approved', excerpt: expect.stringContaining('Back again') },
      });
    } finally {
      await r.close();
      await hook.close();
    }
  });
});

describe("the endpoint's path", () => {
  it('is /webmention by default and webmentionPath moves it; a path shared with another endpoint is refused', async () => {
    const { r } = receiver({ webmentionPath: '/wm' });
    expect(r.webmentionEndpoint).toBe('https://blog.example/wm');
    expect((await r.handle(new Request(`${SITE}wm`))).status).toBe(405);
    expect((await r.handle(new Request(`${SITE}webmention`))).status).toBe(404);
    await r.close();
    expect(() => receiver({ webmentionPath: '/xmlrpc' })).toThrow(/option `webmentionPath` is "\/xmlrpc", the path of another endpoint/);
    expect(() => receiver({ webmentionPath: 'wm' })).toThrow(/option `webmentionPath` must be a path/);
  });
});
