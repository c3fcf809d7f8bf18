import { describe, expect, it, vi } from 'vitest';
import { startServer } from '../../../test/support/http.ts';
import { record } from '../../../test/support/store-contract.ts';
import { TransportError } from '../src/errors.ts';
import type { HttpResponse } from '../src/net/http-request.ts';
import { KeyedLimiter, LimiterFullError } from '../src/net/limiter.ts';
import { MemorySignInLimiter, SIGN_IN_WINDOW_MS, StoreSignInLimiter } from '../src/admin/sign-in-limit.ts';
import { MemoryRateLimiter, STORE_RATE_BUCKETS, STORE_RATE_IDS_PER_BUCKET, StoreRateLimiter } from '../src/receive/rate-limit.ts';
import { Receiver } from '../src/receive/receiver.ts';
import { SOURCE_CONCURRENCY, SOURCE_QUEUE } from '../src/net/guarded-fetch.ts';
import { parseMethodResponse, writeMethodCall } from '../src/xmlrpc/index.ts';
import { SourceCache } from '../src/receive/source-cache.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { SnapshotListing } from '../src/store/snapshot-listing.ts';

const response = (bytes: number): HttpResponse => ({
  status: 200,
  url: 'http://x/',
  headers: new Map(),
  body: new Uint8Array(bytes),
  truncated: false,
  redirects: 0,
});
const refused = () => Promise.reject(new TransportError('forbidden-address', 'http://10.0.0.1/', 'forbidden address'));

describe('SourceCache', () => {
  it('keeps at most maxEntries sources, refused ones included, and sweeps them once their window has passed', async () => {
    const cache = new SourceCache({ ttlMs: 60_000, maxEntries: 100 });
    for (let i = 0; i < 5000; i++) await cache.get(`http://10.0.0.1/${i}/${'x'.repeat(2000)}`, 0, refused).catch(() => {});
    expect(cache.size).toBe(100);
    await cache.get('http://10.0.0.1/later', 60_000, refused).catch(() => {});
    expect(cache.size).toBe(1);
  });

  it('counts keys and bodies against maxBytes, dropping the oldest first', async () => {
    const cache = new SourceCache({ maxBytes: 4 * 1024 * 1024 });
    for (let i = 0; i < 20; i++) await cache.get(`http://s.example/${i}`, 0, async () => response(1024 * 1024));
    expect(cache.heldBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(cache.size).toBe(3);
    let fetched = 0;
    await cache.get('http://s.example/19', 1, async () => {
      fetched++;
      return response(1);
    });
    expect(fetched).toBe(0); // the newest is still there
  });

  it('still fetches a source once for concurrent pings, and forgets "too busy" at once', async () => {
    const cache = new SourceCache();
    let fetches = 0;
    const slow = () =>
      new Promise<HttpResponse>((resolve) =>
        setTimeout(() => {
          fetches++;
          resolve(response(10));
        }, 10),
      );
    await Promise.all(Array.from({ length: 20 }, () => cache.get('http://s.example/a', 0, slow)));
    expect(fetches).toBe(1);
    await cache.get('http://s.example/b', 0, () => Promise.reject(new TransportError('busy', 'http://s.example/b', 'busy'))).catch(() => {});
    expect(await cache.get('http://s.example/b', 1, async () => response(5))).toMatchObject({ status: 200 });
  });
});

describe('MemoryRateLimiter', () => {
  it('keeps at most maxKeys windows under a flood of distinct ids, and sweeps them when the window passes', async () => {
    const limiter = new MemoryRateLimiter(10, 60_000, 1000);
    for (let i = 0; i < 30_000; i++) expect(await limiter.allow('client', `198.18.${i >> 8}.${i & 255}`, i)).toBe(true);
    expect(limiter.size).toBe(1000);
    await limiter.allow('client', 'late', 30_000 + 60_000);
    expect(limiter.size).toBe(1);
  });

  it('still limits each id exactly, long ids too, without one long id standing for another', async () => {
    const limiter = new MemoryRateLimiter(3);
    const long = (c: string) => `${'h'.repeat(10_000)}${c}.example`;
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await limiter.allow('source-host', long('a'), 1000 + i));
    expect(answers).toEqual([true, true, true, false, false]);
    expect(await limiter.allow('source-host', long('b'), 2000)).toBe(true);
    expect(await limiter.allow('source-host', long('a'), 1000 + 60_000)).toBe(true);
  });
});

describe('SnapshotListing', () => {
  it('keeps records in memory between reads only up to maxBytes, and lists them all either way', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 50; i++) await store.insert(record(`/posts/${i % 5}`, `https://s.example/${i}`));
    const small = new SnapshotListing(store, 10_000);
    expect(await small.list()).toHaveLength(50);
    expect(small.size).toBe(0);
    const roomy = new SnapshotListing(store);
    expect(await roomy.list()).toHaveLength(50);
    expect(roomy.size).toBe(50);
    // Without the in-memory copy the next read starts from the snapshot saved in the store.
    await store.insert(record('/posts/0', 'https://s.example/new'));
    expect(await small.list()).toHaveLength(51);
  });
});

describe('KeyedLimiter', () => {
  it('lets at most maxWaiting tasks wait and refuses the next at once', async () => {
    const limiter = new KeyedLimiter(1, 1, 2);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = [limiter.run('', () => gate), limiter.run('', async () => 1), limiter.run('', async () => 2)];
    expect(limiter.waiting).toBe(2);
    await expect(limiter.run('', async () => 3)).rejects.toBeInstanceOf(LimiterFullError);
    release();
    await Promise.all(running);
    expect(limiter.waiting).toBe(0);
    expect(await limiter.run('', async () => 4)).toBe(4);
  });
});

describe('the receiver under more pings than its source queue holds', () => {
  it(`answers the pings past ${SOURCE_CONCURRENCY} fetching and ${SOURCE_QUEUE} waiting with fault 50 at once, and the rest in turn`, async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sources = await startServer(async (req, res) => {
      await gate;
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<a href="https://blog.example/posts/a/">x</a><!-- ${req.url} -->`);
    });
    const receiver = new Receiver({ site: 'https://blog.example/', store: new MemoryStore(), pages: ['/posts/a'], rateLimit: 0, allowPrivateNetwork: true });
    try {
      const total = SOURCE_CONCURRENCY + SOURCE_QUEUE + 10;
      const early: number[] = [];
      const answers = Array.from({ length: total }, async (_, i) => {
        const body = writeMethodCall('pingback.ping', [`${sources.url}/s${i}`, 'https://blog.example/posts/a/']);
        const reply = parseMethodResponse(
          new Uint8Array(await (await receiver.handle(new Request('https://blog.example/xmlrpc', { method: 'POST', body }))).arrayBuffer()),
        );
        if (reply.kind === 'fault') early.push(reply.faultCode);
        return reply;
      });
      // The overflow is answered while every fetch is still held at the source.
      await vi.waitFor(() => expect(early).toHaveLength(10), { timeout: 20_000 });
      expect(early).toEqual(Array(10).fill(50));
      release();
      const replies = await Promise.all(answers);
      expect(replies.filter((r) => r.kind === 'result')).toHaveLength(SOURCE_CONCURRENCY + SOURCE_QUEUE);
      expect(replies.filter((r) => r.kind === 'fault')).toEqual(
        Array(10).fill({ kind: 'fault', faultCode: 50, faultString: 'The source could not be fetched right now; try again later.' }),
      );
    } finally {
      release();
      await receiver.close();
      await sources.close();
    }
  }, 60_000);
});

describe('StoreRateLimiter', () => {
  it('keeps its windows in a bounded number of bounded documents, however many distinct ids a flood brings', async () => {
    const store = new MemoryStore();
    const limiter = new StoreRateLimiter(store, 3);
    for (let i = 0; i < 30_000; i++) await limiter.allow('client', `198.51.100.${i}`, i);
    const docs = [...store.meta.entries()].filter(([name]) => name.startsWith('rate-client-bucket-'));
    expect(docs.length).toBeLessThanOrEqual(STORE_RATE_BUCKETS);
    expect(docs.length).toBeGreaterThan(STORE_RATE_BUCKETS / 2);
    for (const [, bucket] of docs) expect(Object.keys(bucket as object).length).toBeLessThanOrEqual(STORE_RATE_IDS_PER_BUCKET);
    // Limits still hold for one id among the flood, and expire with the window.
    const now = 40_000;
    expect(await limiter.allow('client', 'flooder', now)).toBe(true);
    expect(await limiter.allow('client', 'flooder', now + 1)).toBe(true);
    expect(await limiter.allow('client', 'flooder', now + 2)).toBe(true);
    expect(await limiter.allow('client', 'flooder', now + 3)).toBe(false);
    expect(await limiter.allow('source-host', 'flooder', now + 3)).toBe(true);
    expect(await limiter.allow('client', 'flooder', now + 60_001)).toBe(true);
  });
});

describe("the moderation page's failed sign-ins", () => {
  it('in memory: at most SIGN_IN_MAX_CLIENTS clients, the least recently failed forgotten first, the expired swept', async () => {
    const limiter = new MemorySignInLimiter(1000);
    const now = Date.UTC(2026, 11, 1);
    for (let i = 0; i < 3000; i++) await limiter.fail(`198.51.${i >> 8}.${i & 255}`, now + i);
    expect(limiter.size).toBe(1000);
    // A client that fails five times is locked out for the window; once it has passed, one more call sweeps every client.
    for (let i = 0; i < 5; i++) await limiter.fail('203.0.113.1', now + 3000 + i);
    expect(await limiter.lockedUntil('203.0.113.1', now + 3010)).toBe(now + 3000 + SIGN_IN_WINDOW_MS);
    await limiter.lockedUntil('203.0.113.1', now + 3010 + SIGN_IN_WINDOW_MS);
    expect(limiter.size).toBe(0);
  });

  it('in the store: at most 256 documents of at most 64 clients each, whatever the number of clients', async () => {
    const store = new MemoryStore();
    const limiter = new StoreSignInLimiter(store);
    const now = Date.UTC(2026, 11, 1);
    // 20,000 clients are more than 256 documents of 64 can hold (16,384): the cap has to act.
    for (let i = 0; i < 20_000; i++) await limiter.fail(`2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`, now);
    const docs = [...store.meta.entries()].filter(([name]) => name.startsWith('admin-sign-in-'));
    expect(docs.length).toBeLessThanOrEqual(256);
    expect(Math.max(...docs.map(([, v]) => Object.keys(v as object).length))).toBe(64);
  }, 120_000);
});
