import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, Receiver, compareRecords, isVisible, tombstone, triggerRebuild } from '@pingback/core';
import { startServer } from '../../../test/support/http.ts';
import { freePort } from '../../../test/support/free-port.ts';
import type { TestPostgres } from '../../../test/support/postgres.ts';
import { startPostgres } from '../../../test/support/postgres.ts';
import { record, storeContract } from '../../../test/support/store-contract.ts';
import { PostgresStore, SCHEMA_VERSION } from '../src/index.ts';
import type { PostgresStoreOptions } from '../src/index.ts';

let server: TestPostgres;
let dir: string;
const stores: PostgresStore[] = [];
let schemas = 0;

beforeAll(async () => {
  server = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'pingback-pg-test-'));
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A store on a schema of its own (or a given one), closed after the file's tests. */
function open(options: Partial<PostgresStoreOptions> & { schema?: string } = {}): PostgresStore {
  const store = new PostgresStore({ url: server.url, schema: `t${++schemas}`, ...options });
  stores.push(store);
  return store;
}

/** A plain connection of the test's own, to look at and meddle with the database from outside the store. */
async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

storeContract('PostgreSQL', async () => open());

describe('PostgresStore', () => {
  it('creates its schema once when several instances start at once, and refuses a newer one', async () => {
    const schema = `race${++schemas}`;
    const instances = Array.from({ length: 6 }, () => open({ schema }));
    await Promise.all(instances.map((s, i) => s.insert(record('/posts/a', `https://s.example/${i}`))));
    const versions = await admin((c) => c.query(`select version from "${schema}".schema_version`));
    expect(versions.rows.map((r) => r.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    expect(await instances[0]!.list()).toHaveLength(6);

    const future = `future${++schemas}`;
    await open({ schema: future }).list();
    await admin((c) => c.query(`insert into "${future}".schema_version (version) values (${SCHEMA_VERSION + 1})`));
    await expect(open({ schema: future }).list()).rejects.toMatchObject({
      name: 'StoreError',
      message: expect.stringMatching(/newer than this @pingback\/postgres knows/),
    });
  });

  it('keeps a record exactly as written, escapes and lone surrogates included', async () => {
    const store = open();
    const odd = record('/posts/a', 'https://s.example/odd', { title: 'nul \u0000 here, a lone \ud800, emoji 🎉', excerpt: '\\"quoted\\" \u2028' });
    expect(await store.insert(odd)).toBe(true);
    expect(await store.get(odd.id)).toEqual(odd);
  });

  it('pages the visible records by (receivedAt, id), per post or all, as the read endpoint asks', async () => {
    const store = open();
    const all = Array.from({ length: 40 }, (_, i) =>
      record(`/posts/${i % 3}`, `https://s.example/${i}`, {
        receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 7)).toISOString(),
        status: i % 5 === 0 ? 'pending' : 'approved',
      }),
    );
    for (const r of all) await store.insert(r);
    await store.update(tombstone(all[1]!, '2026-02-01T00:00:00.000Z'));
    const expected = (await store.list()).filter(isVisible).sort(compareRecords);
    const paged = [];
    for (let page = await store.listVisible({ limit: 7 }); page.length; ) {
      paged.push(...page);
      const last = page[page.length - 1]!;
      page = await store.listVisible({ limit: 7, after: { receivedAt: last.receivedAt, id: last.id } });
    }
    expect(paged).toEqual(expected);
    expect(await store.listVisible({ key: '/posts/2', limit: 1000 })).toEqual(expected.filter((r) => r.key === '/posts/2'));
  });

  it('serves the read endpoint page by page, the same pages as over memory', async () => {
    const store = open();
    const memory = new MemoryStore();
    for (let i = 0; i < 250; i++) {
      const r = record(`/posts/${i % 4}`, `https://s.example/${i}`, {
        receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString(),
        status: i % 9 === 0 ? 'pending' : 'approved',
      });
      await store.insert(r);
      await memory.insert(r);
    }
    const pages = async (over: PostgresStore | MemoryStore, query: string) => {
      const receiver = new Receiver({ site: 'https://blog.example/', store: over, pages: [] });
      const bodies: string[] = [];
      for (let cursor: string | null = ''; cursor !== null; ) {
        const response = await receiver.handle(new Request(`https://blog.example/pingbacks.json?${query}&limit=100${cursor ? `&cursor=${cursor}` : ''}`));
        const body = await response.text();
        bodies.push(body);
        cursor = (JSON.parse(body) as { next: string | null }).next;
      }
      await receiver.close();
      return bodies;
    };
    const all = await pages(store, 'x=1');
    expect(all).toHaveLength(3);
    expect(all).toEqual(await pages(memory, 'x=1'));
    expect(await pages(store, 'target=/posts/1')).toEqual(await pages(memory, 'target=/posts/1'));
  });

  it('counts rate windows once for every instance: 10 of 60 concurrent hits, then a fresh window, then nothing left behind', async () => {
    const schema = `rates${++schemas}`;
    const a = open({ schema }).rateLimiter(10, 60_000);
    const b = open({ schema }).rateLimiter(10, 60_000);
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).allow('client', '203.0.113.7', now + (i % 3))));
    expect(results.filter(Boolean)).toHaveLength(10);
    expect(await a.allow('source-host', 'other.example', now)).toBe(true);
    expect(await b.allow('client', '203.0.113.7', now + 60_010)).toBe(true);
    // Each instance refused by itself meanwhile, but only until the window freed up.
    expect(await a.allow('client', '203.0.113.7', now + 60_020)).toBe(true);
    // A window later the sweep removes rows whose hits are all older than the window.
    await a.allow('client', 'sweeper', now + 200_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const rows = await admin((c) => c.query(`select count(*)::int as n from "${schema}".rate_windows`));
    expect(rows.rows[0].n).toBe(1);
    expect(await open({ schema }).rateLimiter(0, 60_000).allow('client', '203.0.113.7', now)).toBe(true);
  });

  it('asks for one rebuild per interval, whichever of several receivers asks', async () => {
    const schema = `rebuild${++schemas}`;
    const hook = await startServer((_req, res) => void res.writeHead(200).end('{}'));
    try {
      const now = Date.now();
      const results = await Promise.all(Array.from({ length: 6 }, () => triggerRebuild(open({ schema }), `${hook.url}/hook`, 600_000, now)));
      expect(results.filter((r) => r.triggered)).toHaveLength(1);
      expect(hook.requests).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });

  it('holds a lock across processes, waits a bounded time, and gets it at once when the holder is killed', async () => {
    const schema = `locks${++schemas}`;
    const script = join(dir, 'hold-lock.mjs');
    const postgres = new URL('../dist/index.js', import.meta.url).href;
    await writeFile(
      script,
      `import { PostgresStore } from ${JSON.stringify(postgres)};
       const store = new PostgresStore({ url: process.argv[2], schema: process.argv[3] });
       await store.withLock('send', () => new Promise(() => process.send('held')));`,
    );
    const holder = fork(script, [server.url, schema], { stdio: 'ignore' });
    await new Promise((resolve) => holder.once('message', resolve));
    const store = open({ schema });
    await expect(store.withLock('send', async () => 'never', { waitMs: 300 })).rejects.toMatchObject({
      name: 'StoreError',
      message: expect.stringMatching(/"send" has been held by another process/),
    });
    // Another lock name is free meanwhile.
    expect(await store.withLock('blocklist', async () => 'other')).toBe('other');
    const started = Date.now();
    const waiting = store.withLock('send', async () => Date.now(), { waitMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    holder.kill('SIGKILL');
    const acquiredAt = await waiting;
    expect(acquiredAt - started).toBeLessThan(10_000);
    // Taken and released in turn by one process, the lock serialises its holders.
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        store.withLock('turns', async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 20));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  }, 30_000);

  it('answers a database that is not there with a StoreError naming the package, never the password', async () => {
    const port = await freePort();
    const store = open({ url: `postgres://pingback:s3cret-pw@127.0.0.1:${port}/nothing`, connectTimeoutMs: 1000 });
    const failure = await store.insert(record('/posts/a', 'https://s.example/')).catch((error: Error) => error);
    expect(failure).toMatchObject({
      name: 'StoreError',
      message: expect.stringMatching(/^\[@pingback\/postgres\] could not prepare schema t\d+ at postgres:\/\/pingback:\*\*\*@127\.0\.0\.1/),
    });
    expect(String((failure as Error).message)).not.toContain('s3cret');
    expect(store.label).not.toContain('s3cret');
  });

  it('fails a call that finds the pool full after its wait, and serves again once a connection is free', async () => {
    const store = open({ maxConnections: 1, connectTimeoutMs: 300 });
    await store.list(); // migrated
    let release!: () => void;
    const holding = store.withLock('hold', () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await expect(store.get(record('/posts/a', 'https://s.example/').id)).rejects.toMatchObject({
      name: 'StoreError',
      message: expect.stringMatching(/timeout exceeded when trying to connect/),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    release();
    await holding;
    expect(await store.insert(record('/posts/a', 'https://s.example/'))).toBe(true);
  });

  it('has the database cancel a statement past its deadline, leaving nothing half-written and the pool usable', async () => {
    const store = open({ statementTimeoutMs: 400 });
    const late = record('/posts/a', 'https://s.example/late');
    await store.list();
    const schema = `t${schemas}`;
    const blocker = new pg.Client({ connectionString: server.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query(`lock table "${schema}".records in access exclusive mode`);
      await expect(store.insert(late)).rejects.toMatchObject({ name: 'StoreError', message: expect.stringMatching(/statement timeout/) });
      await blocker.query('rollback');
    } finally {
      await blocker.end();
    }
    expect(await store.get(late.id)).toBe(null);
    expect(await store.insert(late)).toBe(true);
    expect(await store.get(late.id)).toEqual(late);
  });

  // Last: it restarts the file's server.
  it('recovers by itself when the database restarts: StoreErrors while it is down, the same data after', async () => {
    const store = open({ connectTimeoutMs: 1000 });
    const r = record('/posts/a', 'https://s.example/restart');
    await store.insert(r);
    await server.stopServer('immediate');
    await expect(store.get(r.id)).rejects.toMatchObject({ name: 'StoreError' });
    // One opened during the outage cannot prepare its schema yet, and tries again on its next call.
    const fresh = open({ connectTimeoutMs: 1000 });
    await expect(fresh.list()).rejects.toMatchObject({ name: 'StoreError', message: expect.stringMatching(/could not prepare schema/) });
    await server.startServer();
    expect(await store.get(r.id)).toEqual(r);
    expect(await fresh.list()).toEqual([]);
    expect(await store.insert(record('/posts/a', 'https://s.example/after'))).toBe(true);
  });
});
