import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, writeMethodCall } from '@pingback/core';
import type { LocalBlobs } from '../../../test/support/blobs.ts';
import { startLocalBlobs } from '../../../test/support/blobs.ts';
import type { TestServer } from '../../../test/support/http.ts';
import { html, startServer } from '../../../test/support/http.ts';
import { record } from '../../../test/support/store-contract.ts';
import { BlobsStore } from '../src/blobs-store.ts';

/**
 * Exactly-once on Netlify rests on one header: a new record and a created meta document are written with
 * `If-None-Match: *`, which the Blobs service applies atomically. @netlify/blobs 10.0.0–10.7.11 built
 * `setJSON`'s request without it (the conditions were spread into the options instead of passed), so
 * every insert silently overwrote. A recording proxy in front of Netlify's local Blobs server sees every
 * request the store sends, whatever the local server itself makes of the header.
 */
interface Seen {
  method: string;
  key: string;
  headers: IncomingHttpHeaders;
}

let blobs: LocalBlobs;
let proxyUrl: string;
let closeProxy: () => Promise<void>;
const seen: Seen[] = [];

beforeAll(async () => {
  blobs = await startLocalBlobs();
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      // Edge requests are /<site>/<store>/<key>, the key URL-encoded.
      const [, , , ...rest] = (req.url ?? '').split('?')[0]!.split('/');
      seen.push({ method: req.method ?? '', key: decodeURIComponent(rest.join('/')), headers: req.headers });
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers.set(name, value);
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      const answer = await fetch(`${blobs.url}${req.url}`, {
        method: req.method,
        headers,
        ...(body && req.method !== 'GET' && req.method !== 'HEAD' ? { body } : {}),
      });
      const out = Buffer.from(await answer.arrayBuffer());
      const outHeaders: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (name !== 'content-encoding' && name !== 'transfer-encoding' && name !== 'content-length') outHeaders[name] = value;
      });
      res.writeHead(answer.status, outHeaders).end(out);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  closeProxy = () => new Promise((resolve) => proxy.close(() => resolve()));
});
afterAll(async () => {
  await closeProxy();
  await blobs.stop();
});

let n = 0;
const openStore = () => new BlobsStore({ name: `conditions-${++n}`, siteID: blobs.siteID, token: blobs.token, edgeURL: proxyUrl, uncachedEdgeURL: proxyUrl });

/** The requests one store call sent. */
async function requestsOf(call: () => Promise<unknown>): Promise<{ result: unknown; requests: Seen[] }> {
  const from = seen.length;
  const result = await call();
  return { result, requests: seen.slice(from) };
}

const writes = (requests: Seen[]) => requests.filter((r) => r.method === 'PUT');

describe('the Blobs store sends If-None-Match: * on every insert and create', () => {
  it('insert: new and duplicate records alike; update does not', async () => {
    const store = openStore();
    const r = record('/posts/a', 'https://s.example/1');
    for (const expected of [true, false]) {
      const { result, requests } = await requestsOf(() => store.insert(r));
      expect(result).toBe(expected);
      expect(writes(requests)).toHaveLength(1);
      expect(writes(requests)[0]!.key).toMatch(/^records\/[0-9a-f]{16}\/[0-9a-f]{16}$/);
      expect(writes(requests)[0]!.headers['if-none-match']).toBe('*');
    }
    const { requests } = await requestsOf(() => store.update({ ...r, status: 'rejected' }));
    expect(writes(requests)).toHaveLength(1);
    expect(writes(requests)[0]!.headers['if-none-match']).toBeUndefined();
  });

  it('createMeta: first and second call alike; setMeta does not', async () => {
    const store = openStore();
    for (const expected of [true, false]) {
      const { result, requests } = await requestsOf(() => store.createMeta('rebuild-slot.x', { at: 1 }));
      expect(result).toBe(expected);
      expect(writes(requests).map((w) => [w.key, w.headers['if-none-match']])).toEqual([['meta/rebuild-slot.x', '*']]);
    }
    const { requests } = await requestsOf(() => store.setMeta('blocklist', ['spam.example']));
    expect(writes(requests).map((w) => [w.key, w.headers['if-none-match']])).toEqual([['meta/blocklist', undefined]]);
  });

  describe('through the receiver', () => {
    let source: TestServer;
    beforeAll(async () => {
      source = await startServer(html('<p><a href="https://blog.example/posts/a/">a post</a></p>'));
    });
    afterAll(() => source.close());

    it('a pingback is stored with the condition', async () => {
      const store = openStore();
      const receiver = new Receiver({
        site: 'https://blog.example/',
        store,
        pages: ['/posts/a'],
        rateLimit: 0,
        allowPrivateNetwork: true,
        allowedPorts: [Number(new URL(source.url).port)],
      });
      const { result, requests } = await requestsOf(() =>
        receiver
          .handle(
            new Request('https://blog.example/xmlrpc', {
              method: 'POST',
              body: writeMethodCall('pingback.ping', [`${source.url}/reply`, 'https://blog.example/posts/a/']),
            }),
          )
          .then((r) => r.text()),
      );
      expect(result).toContain('registered');
      const inserts = writes(requests).filter((w) => w.key.startsWith('records/'));
      expect(inserts.map((w) => w.headers['if-none-match'])).toEqual(['*']);
      expect(await store.list()).toHaveLength(1);
      await receiver.close();
    });
  });
});

describe('the @netlify/blobs version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };

  it('the declared range admits no version that drops the condition (10.0.0–10.7.11)', () => {
    const alternatives = pkg.dependencies['@netlify/blobs']!.split('||').map((a) => a.trim());
    for (const alternative of alternatives) {
      const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(alternative);
      expect(m, `${alternative}: write the range as ^X.Y.Z alternatives`).not.toBeNull();
      const [major, minor, patch] = m!.slice(1).map(Number) as [number, number, number];
      expect(major, alternative).toBeGreaterThanOrEqual(10);
      if (major === 10) expect(minor * 1000 + patch, alternative).toBeGreaterThanOrEqual(7 * 1000 + 12);
    }
  });

  it('the installed one is at least 10.7.12', () => {
    const installed = (createRequire(new URL('../package.json', import.meta.url))('@netlify/blobs/package.json') as { version: string }).version;
    const [major, minor, patch] = installed.split('.').map(Number) as [number, number, number];
    expect(major > 10 || (major === 10 && (minor > 7 || (minor === 7 && patch >= 12))), installed).toBe(true);
  });
});
