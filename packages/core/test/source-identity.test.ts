import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { html, routes, startServer } from '../../../test/support/http.ts';
import { record } from '../../../test/support/store-contract.ts';
import { isBlocked } from '../src/receive/blocklist.ts';
import type { ReceiverOptions } from '../src/receive/receiver-options.ts';
import { Receiver } from '../src/receive/receiver.ts';
import { canonicalHost, canonicalSource } from '../src/site/canonical.ts';
import { compileHostPatterns } from '../src/site/host-pattern.ts';
import { siteMatcher } from '../src/site/site.ts';
import { keyHash, legacyRecordId, recordId, tombstone } from '../src/store/record.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { parseMethodResponse, writeMethodCall } from '../src/xmlrpc/index.ts';

describe('the identity of a source page', () => {
  it('gives one identity to every spelling of one page', () => {
    const forms = [
      'https://other.example/reply/',
      'https://OTHER.Example/reply/',
      'https://other.example./reply/',
      'https://other.example..:443/reply/',
      'https://other.example/reply/?',
      'https://other.example/reply/?&',
      'https://other.example/reply/#comment-3',
      'https://other.example/%72eply/',
      'https://other.example/reply/?utm_source=feed&utm_medium=rss',
      'https://other.example/reply/?fbclid=abc&UTM_Campaign=x',
      'https://other.example/reply/?utm%5Fsource=feed',
    ];
    expect(new Set(forms.map(canonicalSource))).toEqual(new Set(['https://other.example/reply/']));
    expect(new Set(forms.map((f) => recordId('/posts/hello', f))).size).toBe(1);
  });

  it('keeps what names a page: the rest of the query in its order, path case, reserved escapes, the port', () => {
    expect(canonicalSource('https://w.example/?p=42&utm_source=x&lang=en')).toBe('https://w.example/?p=42&lang=en');
    expect(canonicalSource('https://w.example/?P=%7e%2f')).toBe('https://w.example/?P=~%2F');
    const distinct = [
      'https://w.example/?p=42',
      'https://w.example/?p=43',
      'https://w.example/Reply',
      'https://w.example/reply',
      'https://w.example/a%2Fb',
      'https://w.example/a/b',
      'https://w.example:8443/reply',
    ];
    expect(new Set(distinct.map(canonicalSource)).size).toBe(distinct.length);
  });

  it('is idempotent, and leaves what is not an http(s) URL alone', () => {
    for (const url of ['https://a.example./x/%7Ey/?q=%e2%82%ac&utm_id=1#f', 'http://[::1]:8080/p?', 'https://xn--bcher-kva.example/%C3%A9']) {
      const once = canonicalSource(url);
      expect(canonicalSource(once)).toBe(once);
    }
    expect(canonicalSource('not a url')).toBe('not a url');
    expect(canonicalSource('ftp://files.example/x#y')).toBe('ftp://files.example/x');
  });

  it('a host and its fully qualified form are one host, for "own site" and host patterns alike', () => {
    expect(canonicalHost(new URL('http://Blog.Example.:4321/'))).toBe('blog.example:4321');
    const own = siteMatcher('https://blog.example/', ['localhost:4321', '*--blog.netlify.app']);
    expect(own.isOwn(new URL('https://blog.example./posts/a/'))).toBe(true);
    expect(own.isOwn(new URL('http://localhost.:4321/'))).toBe(true);
    expect(own.isOwn(new URL('https://main--blog.netlify.app./'))).toBe(true);
    // A stranger's host stays a stranger's, with or without the dot.
    expect(own.isOwn(new URL('https://notblog.example./'))).toBe(false);
    expect(own.isOwn(new URL('https://blog.example.evil.example./'))).toBe(false);
    expect(siteMatcher('https://blog.example./').isOwn(new URL('https://blog.example/x'))).toBe(true);
  });

  it('a trailing dot does not evade a blocklist entry, configured or run-time', async () => {
    const configured = compileHostPatterns(['spam.example', '*.junk.example'], 'blocklist');
    const store = new MemoryStore();
    await store.setMeta('blocklist', ['runtime.example']);
    for (const url of ['https://spam.example./p', 'https://a.junk.example./p', 'https://runtime.example./p']) {
      expect(await isBlocked(new URL(url), configured, store), url).toBe(true);
    }
    expect(await isBlocked(new URL('https://fine.example./p'), configured, store)).toBe(false);
  });
});

const SITE = 'https://blog.example/';
let source: TestServer;
let port: string;

beforeAll(async () => {
  source = await startServer(
    routes({
      '/reply/': html(`<p><a href="${SITE}posts/a/">your post</a></p>`),
      '/old/': html(`<p><a href="${SITE}posts/a/">your post</a></p>`),
    }),
    '127.0.0.1',
  );
  port = new URL(source.url).port;
});
afterAll(() => source.close());

function receiver(extra: Partial<ReceiverOptions> = {}): Receiver {
  return new Receiver({
    site: SITE,
    store: new MemoryStore(),
    pages: ['/posts/a', '/posts/b'],
    rateLimit: 0,
    allowAddresses: ['127.0.0.1'],
    allowedPorts: [Number(port)],
    resolve: async (name) => {
      if (name.replace(/\.+$/, '') === 'other.test') return [{ address: '127.0.0.1', family: 4 }];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    },
    ...extra,
  });
}

async function ping(r: Receiver, from: string, target = `${SITE}posts/a/`) {
  const request = new Request(`${SITE}xmlrpc`, { method: 'POST', body: writeMethodCall('pingback.ping', [from, target]) });
  return parseMethodResponse(new Uint8Array(await (await r.handle(request)).arrayBuffer()));
}

const fetchesOf = (path: string) => source.requests.filter((r) => r.path.startsWith(path)).length;

describe('one page, one pingback (receiver)', () => {
  it('stores one record for every spelling of one source, keeps the first as sent, and fetches it once', async () => {
    const store = new MemoryStore();
    const r = receiver({ store });
    const before = fetchesOf('/reply/');
    const first = `http://other.test:${port}/reply/?utm_source=newsletter`;
    expect(await ping(r, first)).toMatchObject({ kind: 'result' });
    for (const again of [`http://OTHER.test.:${port}/reply/`, `http://other.test:${port}/%72eply/?`, `http://other.test:${port}/reply/?fbclid=1#c`]) {
      expect(await ping(r, again), again).toEqual({ kind: 'fault', faultCode: 48, faultString: 'The pingback has already been registered.' });
    }
    expect(fetchesOf('/reply/') - before).toBe(1);
    const records = await store.list();
    expect(records).toHaveLength(1);
    expect(records[0]!.source).toBe(first);
  });

  it("refuses this site's own pages in their fully qualified form, before any fetch", async () => {
    const before = source.requests.length;
    expect(await ping(receiver(), 'https://blog.example./posts/b/')).toEqual({
      kind: 'fault',
      faultCode: 0,
      faultString: "Pingbacks from this site's own pages are not recorded.",
    });
    expect(source.requests.length).toBe(before);
  });

  it('counts a host and its fully qualified form against one rate-limit bucket', async () => {
    const r = receiver({ rateLimit: 2 });
    // Distinct pages, so no duplicate check answers first; the sources need not even exist.
    expect(await ping(r, `http://other.test:${port}/missing-1`)).toMatchObject({ faultCode: 16 });
    expect(await ping(r, `http://other.test.:${port}/missing-2`)).toMatchObject({ faultCode: 16 });
    expect(await ping(r, `http://other.test..:${port}/missing-3`)).toEqual({
      kind: 'fault',
      faultCode: 49,
      faultString: 'Too many pingbacks; try again later.',
    });
    expect(await ping(r, `http://OTHER.TEST:${port}/missing-4`)).toMatchObject({ faultCode: 49 });
  });

  it('finds a record stored under the old id: its exact re-ping is 48, with no fetch, and so is a tombstone', async () => {
    // Before identities were canonical, the id hashed the URL as parsed, fragment removed.
    const oldId = (key: string, src: string) => `${keyHash(key)}-${createHash('sha256').update(src).digest('hex').slice(0, 16)}`;
    const store = new MemoryStore();
    const oldSource = `http://other.test.:${port}/old/?utm_source=feed`;
    const stored = { ...record('/posts/a', oldSource), id: oldId('/posts/a', oldSource) };
    expect(legacyRecordId('/posts/a', `${oldSource}#frag`)).toBe(stored.id);
    expect(recordId('/posts/a', oldSource)).not.toBe(stored.id);
    await store.insert(stored);
    const deletedSource = `http://other.test:${port}/old/?`;
    await store.insert(tombstone({ ...record('/posts/b', deletedSource), id: oldId('/posts/b', deletedSource) }, new Date().toISOString()));

    const r = receiver({ store });
    const before = fetchesOf('/old/');
    expect(await ping(r, oldSource)).toEqual({ kind: 'fault', faultCode: 48, faultString: 'The pingback has already been registered.' });
    expect(await ping(r, `${oldSource}#frag`)).toMatchObject({ faultCode: 48 });
    expect(await ping(r, deletedSource, `${SITE}posts/b/`)).toMatchObject({ faultCode: 48 });
    expect(fetchesOf('/old/') - before).toBe(0);
    expect(await store.list()).toHaveLength(2);
  });
});
