import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PingbackRecord } from '@pingback/core';
import { parseMethodResponse, writeMethodCall } from '@pingback/core';
import { pathologicalPages, plainPage } from '../../bench/pathological-pages.ts';
import type { Served } from '../../packages/cli/test/serve-support.ts';
import { startServe, writeServedSite } from '../../packages/cli/test/serve-support.ts';
import type { TestServer } from '../support/http.ts';
import { startServer } from '../support/http.ts';

const SITE = 'https://blog.example/';
/** The receiver's own deadline for a source (`--source-timeout`, the default): the only time asserted. */
const SOURCE_TIMEOUT_MS = 10_000;
const MIB = 1024 * 1024;

const slug = (name: string) => name.replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const post = (name: string) => `${SITE}posts/${slug(name)}/`;
const PAGES = pathologicalPages('TARGET', MIB).map((p) => p.name);
const page = (name: string) => pathologicalPages(post(name), MIB).find((p) => p.name === name)!.html;
const CONTROLS = PAGES.map((name) => `control-${slug(name)}`);
const XML_CASES = ['entities', 'attributes', 'comments', 'cdata', 'references'];

type Outcome = { fault: number } | { result: unknown };
const outcome = (bytes: Uint8Array): Outcome => {
  const reply = parseMethodResponse(bytes);
  return reply.kind === 'fault' ? { fault: reply.faultCode } : { result: reply.value };
};

describe('pathological source pages up to the 1 MiB cap, through pingback serve', () => {
  let sources: TestServer;
  /** Says `served <path>` when a source page has been written out in full. */
  const served = new EventEmitter();
  let dir: string;
  let serve: Served;
  let base: string;
  const stderr = () => serve.stderr();

  beforeAll(async () => {
    sources = await startServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://source');
      const name = url.searchParams.get('page') ?? '';
      res.on('finish', () => served.emit('served', url.pathname + url.search));
      if (url.pathname === '/worst') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(name));
      if (url.pathname === '/headers') {
        // Up to the 16 KiB of headers an HTTP client reads: a content type with a thousand parameters, a
        // long Content-Language and a hundred more headers.
        const headers: Record<string, string> = {
          'content-type': `text/html${'; p=v'.repeat(1200)}; charset=utf-8`,
          'content-language': `${'x-'.repeat(1000)}en`,
        };
        for (let i = 0; i < 100; i++) headers[`x-filler-${i}`] = 'y'.repeat(20);
        return void res.writeHead(200, headers).end(plainPage(post('headers'), 64 * 1024));
      }
      const target = url.searchParams.get('post') ?? '';
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><title>Control</title><p>I liked <a href="${SITE}posts/${target}/">this</a>.</p>`);
    });
    dir = await mkdtemp(join(tmpdir(), 'pingback-pathological-'));
    const posts = [...PAGES.map(slug), ...CONTROLS, 'headers', 'headers-control', ...XML_CASES.map((c) => `xml-${c}`)];
    const { root, manifest } = await writeServedSite(dir, SITE, posts);
    serve = await startServe(
      [
        '--root',
        root,
        '--manifest',
        manifest,
        '--store',
        join(dir, 'store'),
        '--allow-private-network',
        '--rate-limit',
        '0',
        '--source-timeout',
        String(SOURCE_TIMEOUT_MS),
      ],
      dir,
    );
    base = serve.url;
  });
  afterAll(async () => {
    await serve?.stop();
    await sources?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const timed = async <T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> => {
    const started = performance.now();
    const value = await work();
    return { value, ms: performance.now() - started };
  };
  const ping = (source: string, target: string, headers: Record<string, string> = {}) =>
    timed(async () => {
      const response = await fetch(`${base}/xmlrpc`, {
        method: 'POST',
        body: writeMethodCall('pingback.ping', [source, target]),
        headers: { 'content-type': 'text/xml', ...headers },
      });
      expect(response.status).toBe(200);
      return outcome(new Uint8Array(await response.arrayBuffer()));
    });
  const read = () =>
    timed(async () => {
      const response = await fetch(`${base}/pingbacks.json`);
      return { status: response.status, body: (await response.json()) as { items: PingbackRecord[] } };
    });
  const servedOnce = (path: string) =>
    new Promise<void>((resolve) => {
      const on = (p: string) => {
        if (p !== path) return;
        served.off('served', on);
        resolve();
      };
      served.on('served', on);
    });

  it.each(PAGES)(
    '%s: registered within the source deadline, and a read and a second ping are answered meanwhile',
    async (name) => {
      const path = `/worst?page=${encodeURIComponent(name)}`;
      expect(Buffer.byteLength(page(name))).toBeLessThanOrEqual(MIB);
      const sent = servedOnce(path);
      const worst = ping(`${sources.url}${path}`, post(name));
      // The page is out of the source server: from here the receiver is reading and verifying it.
      await sent;
      const control = `control-${slug(name)}`;
      const [other, reading] = await Promise.all([ping(`${sources.url}/control?post=${control}`, `${SITE}posts/${control}/`), read()]);
      const answer = await worst;

      expect(answer.value, name).toEqual({ result: expect.stringMatching(/registered/) });
      expect(answer.ms, `${name}: answered after the deadline`).toBeLessThanOrEqual(SOURCE_TIMEOUT_MS);
      expect(other.value).toEqual({ result: expect.stringMatching(/registered/) });
      expect(other.ms).toBeLessThanOrEqual(SOURCE_TIMEOUT_MS);
      expect(reading.value.status).toBe(200);
      expect(Array.isArray(reading.value.body.items)).toBe(true);
      expect(reading.ms).toBeLessThanOrEqual(SOURCE_TIMEOUT_MS);
    },
    3 * SOURCE_TIMEOUT_MS,
  );

  it('stored every pathological pingback with its extraction within the stored caps', async () => {
    const { value } = await read();
    const byKey = new Map(value.body.items.map((r) => [r.target, r]));
    for (const name of PAGES) {
      const record = byKey.get(post(name));
      expect(record, name).toBeDefined();
      expect(record!.title.length).toBeLessThanOrEqual(200);
      expect(record!.excerpt.length).toBeLessThanOrEqual(300);
      expect(record!.author?.name.length).toBeLessThanOrEqual(100);
      expect((record!.author?.url ?? '').length).toBeLessThanOrEqual(2048);
    }
    expect(byKey.get(post('many h-card authors'))?.author).toEqual({ name: 'A', url: `${sources.url}/a` });
  });

  it(
    'the same pages as Webmentions: each answered 202 at once, verified and stored within the source deadline',
    async () => {
      for (const name of PAGES) {
        const source = `${sources.url}/worst?page=${encodeURIComponent(name)}&as=webmention`;
        const answered = await timed(() => fetch(`${base}/webmention`, { method: 'POST', body: new URLSearchParams({ source, target: post(name) }) }));
        expect(answered.value.status, name).toBe(202);
        const started = performance.now();
        while (!stderr().includes(`webmention approved: ${source} → `)) {
          expect(performance.now() - started, `${name}: not verified within the deadline`).toBeLessThanOrEqual(SOURCE_TIMEOUT_MS);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      const { value } = await read();
      const webmentions = value.body.items.filter((r) => (r as PingbackRecord & { protocol: string }).protocol === 'webmention');
      expect(webmentions.map((r) => r.target).sort()).toEqual(PAGES.map(post).sort());
      for (const r of webmentions) {
        expect(r.title.length).toBeLessThanOrEqual(200);
        expect(r.excerpt.length).toBeLessThanOrEqual(300);
      }
    },
    PAGES.length * SOURCE_TIMEOUT_MS,
  );

  it('answers a source with a thousand header parameters, and a request with a hundred and fifty headers', async () => {
    const headers = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`x-client-${i}`, 'z'.repeat(60)]));
    const [fromSource, fromClient] = await Promise.all([
      ping(`${sources.url}/headers`, post('headers')),
      ping(`${sources.url}/control?post=headers-control`, `${SITE}posts/headers-control/`, headers),
    ]);
    expect(fromSource.value).toEqual({ result: expect.stringMatching(/registered/) });
    expect(fromClient.value).toEqual({ result: expect.stringMatching(/registered/) });
    expect(Math.max(fromSource.ms, fromClient.ms)).toBeLessThanOrEqual(SOURCE_TIMEOUT_MS);
  });

  it('answers the worst XML-RPC bodies under the 64 KiB cap with their fault or result', async () => {
    const call = (source: string, target: string) => writeMethodCall('pingback.ping', [source, target]);
    const control = (c: string) => `${sources.url}/control?post=xml-${c}`;
    const target = (c: string) => `${SITE}posts/xml-${c}/`;
    const fill = (unit: string, room = 60 * 1024) => unit.repeat(Math.floor(room / unit.length));
    const bodies: [string, string, Outcome][] = [
      // A source URL with 4,000 character references that decode to "&x=": a long query, still the control page.
      [
        'entities',
        call(`${control('entities')}${fill('&x=', 12 * 1024)}`, target('entities')).replace(/&amp;x=/g, '&#38;x='),
        { result: expect.stringMatching(/registered/) },
      ],
      [
        'attributes',
        call(control('attributes'), target('attributes')).replace(
          '<methodCall>',
          `<methodCall${fill(' a="1"', 26 * 1024).replace(/a="1"/g, () => `a${Math.random().toString(36).slice(2, 10)}="1"`)}>`,
        ),
        { result: expect.stringMatching(/registered/) },
      ],
      [
        'comments',
        call(control('comments'), target('comments')).replace('<params>', `<params>${fill('<!---->')}`),
        { result: expect.stringMatching(/registered/) },
      ],
      [
        'cdata',
        call(control('cdata'), target('cdata')).replace(/<string>http/, `<string>${fill('<![CDATA[]]>')}http`),
        { result: expect.stringMatching(/registered/) },
      ],
      [
        'references',
        call(control('references'), target('references')).replace(/<string>http/, `<string>${fill('&#x20;', 30 * 1024)}http`),
        { result: expect.stringMatching(/registered/) },
      ],
      ['nesting', `<methodCall><methodName>x</methodName><params><param><value>${fill('<array><data><value>', 30 * 1024)}`, { fault: -32700 }],
      ['elements', `<methodCall><methodName>x</methodName><params>${fill('<param><value>1</value></param>')}</params></methodCall>`, { fault: -32700 }],
      ['a long name', `<methodCall><methodName>${fill('m')}</methodName></methodCall>`, { fault: -32601 }],
    ];
    for (const [name, body, expected] of bodies) {
      expect(Buffer.byteLength(body), name).toBeLessThanOrEqual(64 * 1024);
      const answer = await timed(async () => {
        const response = await fetch(`${base}/xmlrpc`, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });
        return outcome(new Uint8Array(await response.arrayBuffer()));
      });
      expect(answer.value, name).toEqual(expected);
      expect(answer.ms, name).toBeLessThanOrEqual(SOURCE_TIMEOUT_MS);
    }
    expect(serve.child.exitCode).toBeNull();
    expect(stderr()).not.toMatch(/internal error|unhandled|uncaught/i);
  });
});
