import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { html, routes, startServer } from '../../../test/support/http.ts';
import { StoreRateLimiter } from '../src/receive/rate-limit.ts';
import type { ReceiverOptions } from '../src/receive/receiver-options.ts';
import { RECEIVER_DEFAULTS } from '../src/receive/receiver-options.ts';
import { Receiver } from '../src/receive/receiver.ts';
import { FileStore } from '../src/store/file-store.ts';
import type { PingbackRecord } from '../src/store/record.ts';
import { isRecord } from '../src/store/record.ts';
import type { PingbackStore } from '../src/store/store.ts';
import { StoreError } from '../src/store/store.ts';
import { parseMethodResponse, writeMethodCall } from '../src/xmlrpc/index.ts';

const SITE = 'https://blog.example/';
const TARGET = `${SITE}posts/a/`;
const TIMEOUT_MS = 200;
/**
 * The healthy store's receiver, for the retry: the tight timeout that tells a hanging store from a slow
 * one has no job there, and on a loaded machine a healthy FileStore once took longer (a fault 50 on the retry).
 */
const HEALTHY = { storeTimeoutMs: 10_000 };
// The wire's own values, not the implementation's constants: renumbering or rewording them must fail here.
const STORE_DOWN = { kind: 'fault', faultCode: 50, faultString: 'The pingback could not be stored right now; try again later.' };

/** Every store call a ping (or getPingbacks) makes, told apart by method and meta document. */
type Point = 'blocklist' | 'rate-read' | 'rate-write' | 'get' | 'insert' | 'list';
/**
 * `error`: a plain Error, as a custom store might throw; `store-error`: the typed one; `after-write`: the
 * write lands, then the call rejects; `hang`: never settles; `late`: settles, with the write done, only
 * after the receiver's deadline.
 */
type Mode = 'error' | 'store-error' | 'after-write' | 'hang' | 'late';

function pointOf(method: string, name?: string): Point | null {
  if (method === 'getMeta' && name === 'blocklist') return 'blocklist';
  if (method === 'getMeta' && name?.startsWith('rate-')) return 'rate-read';
  if (method === 'setMeta' && name?.startsWith('rate-')) return 'rate-write';
  if (method === 'get' || method === 'insert' || method === 'list') return method;
  return null;
}

/** A real FileStore with one fault planted at one call point; every other call goes straight through. */
class FaultyStore implements PingbackStore {
  readonly inner: FileStore;
  readonly point: Point;
  readonly mode: Mode;
  /** How many times the planted fault fired. */
  fired = 0;
  /** A `late` call still under way, so the test can wait for it before looking at the disk. */
  pending: Promise<unknown> = Promise.resolve();

  constructor(dir: string, point: Point, mode: Mode) {
    this.inner = new FileStore(dir);
    this.point = point;
    this.mode = mode;
  }

  private call<T>(method: string, name: string | undefined, real: () => Promise<T>): Promise<T> {
    if (pointOf(method, name) !== this.point) return real();
    this.fired++;
    switch (this.mode) {
      case 'error':
        return Promise.reject(new Error(`injected plain error at ${this.point}`));
      case 'store-error':
        return Promise.reject(new StoreError(`injected store error at ${this.point}`));
      case 'after-write':
        return real().then(() => {
          throw new Error(`injected error after writing at ${this.point}`);
        });
      case 'hang':
        return new Promise<T>(() => {});
      case 'late': {
        const later = new Promise<void>((resolve) => setTimeout(resolve, TIMEOUT_MS * 3)).then(real);
        this.pending = later;
        return later;
      }
    }
  }

  insert(record: PingbackRecord): Promise<boolean> {
    return this.call('insert', undefined, () => this.inner.insert(record));
  }
  get(id: string): Promise<PingbackRecord | null> {
    return this.call('get', undefined, () => this.inner.get(id));
  }
  update(record: PingbackRecord): Promise<void> {
    return this.call('update', undefined, () => this.inner.update(record));
  }
  list(filter?: { key?: string }): Promise<PingbackRecord[]> {
    return this.call('list', undefined, () => this.inner.list(filter));
  }
  getMeta<T>(name: string): Promise<T | null> {
    return this.call('getMeta', name, () => this.inner.getMeta<T>(name));
  }
  setMeta(name: string, value: unknown): Promise<void> {
    return this.call('setMeta', name, () => this.inner.setMeta(name, value));
  }
  createMeta(name: string, value: unknown): Promise<boolean> {
    return this.call('createMeta', name, () => this.inner.createMeta(name, value));
  }
}

let source: TestServer;
let root: string;
let sourceUrl: string;

beforeAll(async () => {
  source = await startServer(routes({ '/reply': html(`<article><h1>A reply</h1><p>I read <a href="${TARGET}">this post</a> and agree.</p></article>`) }));
  sourceUrl = `${source.url}/reply`;
  root = await mkdtemp(join(tmpdir(), 'pingback-receiver-faults-'));
});
afterAll(async () => {
  await source.close();
  await rm(root, { recursive: true, force: true });
});

let cases = 0;
const freshDir = () => join(root, `case-${cases++}`);

function receiver(store: PingbackStore, errors: string[], extra: Partial<ReceiverOptions> = {}): Receiver {
  return new Receiver({
    site: SITE,
    store,
    pages: ['/posts/a'],
    // The limiter that keeps its windows in the store, as on Netlify: its reads and writes are call points too.
    rateLimiter: new StoreRateLimiter(store, 10),
    allowPrivateNetwork: true,
    storeTimeoutMs: TIMEOUT_MS,
    logger: { info() {}, warn() {}, error: (message) => errors.push(message) },
    ...extra,
  });
}

async function call(r: Receiver, method: string, params: string[]) {
  const request = new Request(`${SITE}xmlrpc`, { method: 'POST', body: writeMethodCall(method, params) });
  const response = await r.handle(request, { clientAddress: '127.0.0.1' });
  expect(response.status).toBe(200);
  return parseMethodResponse(new Uint8Array(await response.arrayBuffer()));
}
const ping = (r: Receiver) => call(r, 'pingback.ping', [sourceUrl, TARGET]);
const getPingbacks = (r: Receiver) => call(r, 'pingback.extensions.getPingbacks', [TARGET]);

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** The store folder as a reader finds it: only whole records and whole meta documents, no leftovers. */
async function expectWholeStore(dir: string): Promise<void> {
  for (const file of await filesUnder(dir)) {
    const [area] = file.split(sep);
    expect(file, 'no temporary file is left behind').toMatch(/\.json$/);
    expect(['records', 'meta'], file).toContain(area);
    const value: unknown = JSON.parse(await readFile(join(dir, file), 'utf8'));
    if (area === 'records') expect(isRecord(value), file).toBe(true);
  }
}

const ON_PING: [Point, Mode][] = [
  ['blocklist', 'error'],
  ['blocklist', 'store-error'],
  ['blocklist', 'hang'],
  ['rate-read', 'error'],
  ['rate-read', 'store-error'],
  ['rate-read', 'hang'],
  ['rate-write', 'error'],
  ['rate-write', 'store-error'],
  ['rate-write', 'after-write'],
  ['rate-write', 'hang'],
  ['get', 'error'],
  ['get', 'store-error'],
  ['get', 'hang'],
  ['insert', 'error'],
  ['insert', 'store-error'],
  ['insert', 'after-write'],
  ['insert', 'hang'],
  ['insert', 'late'],
];

describe('a store that fails during pingback.ping', () => {
  it.each(ON_PING)('%s, %s: fault 50, the reason logged, nothing half-written, and the same ping later succeeds', async (point, mode) => {
    const dir = freshDir();
    const faulty = new FaultyStore(dir, point, mode);
    const errors: string[] = [];

    expect(await ping(receiver(faulty, errors))).toEqual(STORE_DOWN);
    expect(faulty.fired).toBe(1);
    const reason =
      mode === 'hang' || mode === 'late'
        ? `${point === 'blocklist' ? 'blocklist' : point.startsWith('rate') ? 'rate limit' : point} did not answer within ${TIMEOUT_MS} ms`
        : 'injected';
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('[pingback] store: ');
    expect(errors[0]).toContain(reason);

    await faulty.pending;
    await expectWholeStore(dir);
    const landed = point === 'insert' && (mode === 'after-write' || mode === 'late');
    const healthy = new FileStore(dir);
    const stored = await healthy.list();
    if (landed) {
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ source: sourceUrl, target: TARGET, key: '/posts/a', status: 'approved', title: 'A reply' });
    } else {
      expect(stored).toEqual([]);
    }

    // The sender retries later, against the same store, now healthy.
    const again = await ping(receiver(healthy, errors, HEALTHY));
    if (landed) expect(again).toEqual({ kind: 'fault', faultCode: 48, faultString: 'The pingback has already been registered.' });
    else expect(again).toEqual({ kind: 'result', value: `Pingback from ${sourceUrl} to ${TARGET} registered. Keep the web talking!` });
    expect(errors).toHaveLength(1);
    const after = await healthy.list();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ source: sourceUrl, key: '/posts/a' });
    if (landed) expect(after).toEqual(stored);
    await expectWholeStore(dir);
  });
});

describe('a store that fails during getPingbacks', () => {
  it.each(['error', 'store-error', 'hang'] as Mode[])('list, %s: fault 50 and the reason logged; the listing works again once the store does', async (mode) => {
    const dir = freshDir();
    const errors: string[] = [];
    const healthy = new FileStore(dir);
    expect(await ping(receiver(healthy, errors, HEALTHY))).toMatchObject({ kind: 'result' });
    const before = await healthy.list();

    const faulty = new FaultyStore(dir, 'list', mode);
    expect(await getPingbacks(receiver(faulty, errors))).toEqual(STORE_DOWN);
    expect(faulty.fired).toBe(1);
    expect(errors).toEqual([expect.stringContaining(mode === 'hang' ? `list did not answer within ${TIMEOUT_MS} ms` : 'injected')]);

    await expectWholeStore(dir);
    expect(await healthy.list()).toEqual(before);
    expect(await getPingbacks(receiver(healthy, errors, HEALTHY))).toEqual({ kind: 'result', value: [sourceUrl] });
  });
});

describe('the storeTimeoutMs option', () => {
  it('defaults to 10 s and is refused unless a whole number above 0', () => {
    const store = new FileStore(freshDir());
    expect(RECEIVER_DEFAULTS.storeTimeoutMs).toBe(10_000);
    expect(new Receiver({ site: SITE, store, pages: [] }).settings.storeTimeoutMs).toBe(10_000);
    for (const bad of [0, -1, 1.5, '200']) {
      expect(() => new Receiver({ site: SITE, store, pages: [], storeTimeoutMs: bad as number })).toThrow(
        /option `storeTimeoutMs` must be a whole number above 0/,
      );
    }
  });
});
