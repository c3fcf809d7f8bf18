import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { html, routes, startServer } from '../../../test/support/http.ts';
import { record } from '../../../test/support/store-contract.ts';
import type { ReceiverOptions } from '../src/receive/receiver-options.ts';
import { Receiver } from '../src/receive/receiver.ts';
import type { PingbackStore } from '../src/store/store.ts';
import { StoreError } from '../src/store/store.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { parseMethodResponse, writeMethodCall } from '../src/xmlrpc/index.ts';

const SITE = 'https://blog.example/';
let allowed: TestServer;
let forbidden: TestServer;
let port: string;

beforeAll(async () => {
  forbidden = await startServer(html(`<a href="${SITE}posts/a/">x</a>`), '127.0.0.2');
  allowed = await startServer(
    routes({
      '/ok': html(`<p><a href="${SITE}posts/a/">post</a></p>`),
      '/to-private': (_req, res) => void res.writeHead(302, { location: `${forbidden.url}/ok` }).end(),
      '/to-private-name': (_req, res) => void res.writeHead(302, { location: `http://intranet.test:${new URL(forbidden.url).port}/ok` }).end(),
    }),
    '127.0.0.1',
  );
  port = new URL(allowed.url).port;
});
afterAll(() => Promise.all([allowed.close(), forbidden.close()]));

function receiver(extra: Partial<ReceiverOptions> = {}): Receiver {
  return new Receiver({
    site: SITE,
    store: new MemoryStore(),
    pages: ['/posts/a', '/posts/b'],
    rateLimit: 0,
    allowAddresses: ['127.0.0.1'],
    allowedPorts: [Number(port), Number(new URL(forbidden.url).port)],
    resolve: async (name) => {
      const table: Record<string, { address: string; family: number }[]> = {
        'pinned.test': [{ address: '127.0.0.1', family: 4 }],
        'intranet.test': [{ address: '127.0.0.2', family: 4 }],
        'mixed.test': [
          { address: '127.0.0.1', family: 4 },
          { address: '10.0.0.8', family: 4 },
        ],
        'v6only.test': [{ address: '::1', family: 6 }],
      };
      const found = table[name];
      if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return found;
    },
    ...extra,
  });
}

async function ping(r: Receiver, source: string, target = `${SITE}posts/a/`, context = {}) {
  const request = new Request(`${SITE}xmlrpc`, { method: 'POST', body: writeMethodCall('pingback.ping', [source, target]) });
  const response = await r.handle(request, context);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/xml; charset=utf-8');
  return parseMethodResponse(new Uint8Array(await response.arrayBuffer()));
}

describe('source addresses (R19–R22)', () => {
  it('R20: a name is resolved once and the connection goes to the address that was checked', async () => {
    expect(await ping(receiver(), `http://pinned.test:${port}/ok`)).toMatchObject({ kind: 'result' });
    expect(allowed.requests.at(-1)?.headers.host).toBe(`pinned.test:${port}`);
  });

  it('R19: a name that resolves to a private address is refused before any connection', async () => {
    const before = forbidden.requests.length;
    expect(await ping(receiver(), `http://intranet.test:${new URL(forbidden.url).port}/ok`)).toEqual({
      kind: 'fault',
      faultCode: 16,
      faultString: 'The source URL could not be retrieved.',
    });
    expect(forbidden.requests.length).toBe(before);
  });

  it('R19: one forbidden address among several refuses the name; an IPv6-only loopback name too', async () => {
    expect(await ping(receiver(), `http://mixed.test:${port}/ok`)).toMatchObject({ faultCode: 16 });
    expect(await ping(receiver(), `http://v6only.test:${port}/ok`)).toMatchObject({ faultCode: 16 });
  });

  it('R22: a redirect into a private range is refused at that hop, by literal or by name', async () => {
    const before = forbidden.requests.length;
    expect(await ping(receiver(), `${allowed.url}/to-private`)).toMatchObject({ faultCode: 16 });
    expect(await ping(receiver(), `${allowed.url}/to-private-name`)).toMatchObject({ faultCode: 16 });
    expect(forbidden.requests.length).toBe(before);
    expect(allowed.requests.filter((r) => r.path.startsWith('/to-private')).length).toBe(2);
  });

  it('R21: a port outside the allowed list is refused without a connection', async () => {
    const before = allowed.requests.length;
    expect(await ping(receiver({ allowedPorts: [80, 443] }), `${allowed.url}/ok`)).toMatchObject({ faultCode: 16 });
    expect(allowed.requests.length).toBe(before);
  });

  it('answers an unknown name exactly like a forbidden one', async () => {
    const unknown = await ping(receiver(), `http://nowhere.test:${port}/ok`);
    const private_ = await ping(receiver(), `http://intranet.test:${port}/ok`);
    expect(unknown).toEqual(private_);
  });
});

describe('failures inside the receiver', () => {
  const failing = (method: keyof PingbackStore): PingbackStore => {
    const store = new MemoryStore();
    (store as unknown as Record<string, unknown>)[method] = async () => {
      throw new StoreError('disk on fire');
    };
    return store;
  };

  it('a store that fails to read or write answers fault 50 and keeps nothing half-written', async () => {
    for (const method of ['get', 'insert'] as const) {
      const store = failing(method);
      const reply = await ping(receiver({ store }), `${allowed.url}/ok`);
      expect(reply).toEqual({ kind: 'fault', faultCode: 50, faultString: 'The pingback could not be stored right now; try again later.' });
      expect((store as MemoryStore).records.size).toBe(0);
    }
  });

  it('a bug answers fault 0 with no stack, and is logged', async () => {
    const logged: string[] = [];
    const store = new MemoryStore();
    store.get = async () => {
      throw new TypeError('undefined is not a function at /work/secret/path.js:1');
    };
    const reply = await ping(receiver({ store, logger: { info() {}, warn() {}, error: (m) => logged.push(m) } }), `${allowed.url}/ok`);
    expect(reply).toEqual({ kind: 'fault', faultCode: 0, faultString: 'Internal error.' });
    expect(logged.join('\n')).toMatch(/undefined is not a function/);
  });

  it('refuses a body whose Content-Length is over the cap without reading it', async () => {
    const r = receiver();
    const request = new Request(`${SITE}xmlrpc`, { method: 'POST', body: 'x'.repeat(10), headers: { 'content-length': '999999' } });
    const reply = parseMethodResponse(new Uint8Array(await (await r.handle(request)).arrayBuffer()));
    expect(reply).toMatchObject({ faultCode: -32700, faultString: 'parse error: request body too large' });
  });

  it('answers 404 off its paths and a runtime-blocked host 49', async () => {
    const store = new MemoryStore();
    await store.setMeta('blocklist', ['*.test']);
    expect(await ping(receiver({ store }), `http://pinned.test:${port}/ok`)).toMatchObject({ faultCode: 49, faultString: 'Access denied.' });
    expect(await ping(receiver({ blocklist: ['127.0.0.1'] }), `${allowed.url}/ok`)).toMatchObject({ faultCode: 49 });
    expect((await receiver().handle(new Request(`${SITE}wp-login.php`))).status).toBe(404);
  });

  it('getPingbacks lists approved sources only', async () => {
    const store = new MemoryStore();
    await store.insert(record('/posts/a', 'https://one.example/'));
    await store.insert(record('/posts/a', 'https://two.example/', { status: 'pending' }));
    const request = new Request(`${SITE}xmlrpc`, { method: 'POST', body: writeMethodCall('pingback.extensions.getPingbacks', [`${SITE}posts/a`]) });
    const reply = parseMethodResponse(new Uint8Array(await (await receiver({ store }).handle(request)).arrayBuffer()));
    expect(reply).toEqual({ kind: 'result', value: ['https://one.example/'] });
  });
});

describe('a repeat ping', () => {
  it('is answered 48 from the store before the source is fetched again, on any instance', async () => {
    const store = new MemoryStore();
    const fetches = () => allowed.requests.filter((r) => r.path === '/ok').length;
    const before = fetches();
    expect(await ping(receiver({ store }), `${allowed.url}/ok`)).toMatchObject({ kind: 'result' });
    expect(fetches() - before).toBe(1);
    // Fresh receivers share nothing but the store (another Function instance, a restarted serve): no
    // source cache can answer for them.
    for (let i = 0; i < 3; i++) {
      expect(await ping(receiver({ store }), `${allowed.url}/ok`)).toEqual({
        kind: 'fault',
        faultCode: 48,
        faultString: 'The pingback has already been registered.',
      });
    }
    expect(fetches() - before).toBe(1);
    expect(store.records.size).toBe(1);
  });
});

describe('receiver options', () => {
  it.each([
    [{ moderation: 'sometimes' }, /option `moderation` must be one of "auto", "pending", "pending-except-allowed", "manual"/],
    [{ rateLimit: -1 }, /option `rateLimit`/],
    [{ endpointPath: 'xmlrpc' }, /option `endpointPath` must be a path starting with "\/"/],
    [{ site: 'blog.example' }, /option `site` must be an absolute http\(s\) URL/],
    [{ blocklist: ['ok.example', 'bad host'] }, /option `blocklist\[1\]`/],
    [{ pages: 42 }, /option `pages`/],
    [{ rebuildHook: 'x' }, /option `rebuildHook` is not a known option/],
  ])('%j is refused with a message naming the option', (extra, message) => {
    expect(() => receiver(extra as Partial<ReceiverOptions>)).toThrow(message);
  });
});

describe('the read endpoint over many pingbacks', () => {
  it('pages through one snapshot: the first page refreshes it, later pages cost the store nothing', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 250; i++)
      await store.insert(record(`/posts/${i % 7}`, `https://s.example/${i}`, { receivedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() }));
    let calls = 0;
    const counted = new Proxy(store, {
      get: (target, property) => {
        const value = Reflect.get(target, property) as unknown;
        return typeof value === 'function'
          ? (...args: unknown[]) => {
              calls++;
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            }
          : value;
      },
    });
    const r = receiver({ store: counted });
    const read = async (query: string) =>
      (await r.handle(new Request(`${SITE}pingbacks.json?${query}`))).json() as Promise<{ items: { id: string }[]; next: string | null }>;

    const first = await read('limit=100');
    const afterFirst = calls;
    expect(afterFirst).toBeGreaterThan(0);
    // A pingback arriving mid-read doesn't shift the pages already promised.
    await store.insert(record('/posts/0', 'https://s.example/late', { receivedAt: '2025-01-01T00:00:00.000Z' }));
    const second = await read(`limit=100&cursor=${first.next}`);
    const third = await read(`limit=100&cursor=${second.next}`);
    expect(calls).toBe(afterFirst);
    expect(third.next).toBeNull();
    const ids = [...first.items, ...second.items, ...third.items].map((i) => i.id);
    expect(new Set(ids).size).toBe(250);

    // The next read starts afresh and sees it.
    expect((await read('limit=1000')).items).toHaveLength(251);
  });
});
