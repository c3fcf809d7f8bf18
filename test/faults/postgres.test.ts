import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultCode, MESSAGES, Receiver, parseMethodResponse, writeMethodCall } from '@pingback/core';
import { PostgresStore } from '@pingback/postgres';
import type { Served } from '../../packages/cli/test/serve-support.ts';
import { startServe } from '../../packages/cli/test/serve-support.ts';
import { POSTS, SITE, writeSite } from '../hostile/support/load.ts';
import type { TestServer } from '../support/http.ts';
import { startServer } from '../support/http.ts';
import type { TestPostgres } from '../support/postgres.ts';
import { startPostgres } from '../support/postgres.ts';

const STORE_DOWN = { kind: 'fault', faultCode: FaultCode.UPSTREAM_ERROR, faultString: MESSAGES.storeDown };

let postgres: TestPostgres;
let sources: TestServer;
let dir: string;
const stores: PostgresStore[] = [];

beforeAll(async () => {
  postgres = await startPostgres();
  // Every source page links to the post its `post` parameter names.
  sources = await startServer((req, res) => {
    const post = new URL(req.url ?? '/', 'http://x').searchParams.get('post') ?? 'p0';
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>s</title><p><a href="${SITE}posts/${post}/">a post</a></p>`);
  });
  dir = await mkdtemp(join(tmpdir(), 'pingback-pg-faults-'));
  await writeSite(dir);
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await sources?.close();
  await postgres?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const pingBody = (n: number) => writeMethodCall('pingback.ping', [`${sources.url}/s?post=p${n % POSTS}&n=${n}`, `${SITE}posts/p${n % POSTS}/`]);
const sourceOf = (n: number) => `${sources.url}/s?post=p${n % POSTS}&n=${n}`;

describe('pingback serve over PostgreSQL, the database restarted mid-load', () => {
  let serve: Served;
  afterAll(() => serve?.stop());

  it('answers fault 50 while the database is down, then registers again without a restart of serve; each pingback stored once', async () => {
    const url = postgres.urlFor('restart');
    serve = await startServe(
      ['--root', join(dir, 'site'), '--manifest', join(dir, 'manifest.json'), '--store', url, '--allow-private-network', '--rate-limit', '0'],
      dir,
    );
    const pid = serve.child.pid;
    const agent = new Agent({ connections: 10 });
    const ping = async (n: number) => {
      const started = Date.now();
      const response = await request(serve.endpoint, { method: 'POST', body: pingBody(n), dispatcher: agent });
      const reply = parseMethodResponse(new Uint8Array(await response.body.arrayBuffer()));
      return { n, ms: Date.now() - started, reply };
    };
    // Ten senders, each sending the next pingback as soon as the last is answered, for 4.5 s; the
    // database goes down after 1 s and comes back 1.5 s later.
    const answers: Awaited<ReturnType<typeof ping>>[] = [];
    let next = 0;
    const until = Date.now() + 4500;
    const outage = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await postgres.stopServer('immediate');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await postgres.startServer();
    })();
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (Date.now() < until) answers.push(await ping(next++));
      }),
    );
    await outage;

    const registered = answers.filter((a) => a.reply.kind === 'result');
    const down = answers.filter((a) => a.reply.kind === 'fault');
    expect(down.length).toBeGreaterThan(0);
    for (const a of down) expect(a.reply).toEqual(STORE_DOWN);
    // Answered promptly, never held until a deadline: the receiver is told at once that the database is gone.
    expect(Math.max(...down.map((a) => a.ms))).toBeLessThan(10_000);
    const lastDown = Math.max(...down.map((a) => a.n));
    expect(registered.filter((a) => a.n > lastDown).length).toBeGreaterThan(0);

    // The senders retry what was answered 50: registered now, or 48 if its insert had landed after all.
    const retried = await Promise.all(down.map((a) => ping(a.n).then((r) => r.reply)));
    await agent.close();
    for (const reply of retried) {
      expect(reply.kind === 'result' || (reply.kind === 'fault' && reply.faultCode === FaultCode.ALREADY_REGISTERED), JSON.stringify(reply)).toBe(true);
    }
    const store = new PostgresStore({ url });
    stores.push(store);
    const records = await store.list();
    expect(records.map((r) => r.source).sort()).toEqual(answers.map((a) => sourceOf(a.n)).sort());
    expect(serve.child.pid).toBe(pid);
    expect(serve.child.exitCode).toBeNull();
    expect(serve.stderr()).toMatch(/\[pingback\] store: \[@pingback\/postgres\]/);
    expect(serve.stderr()).not.toMatch(/internal error|unhandled|uncaught|pingback serve: /i);
    console.log(
      `restart: ${answers.length} pingbacks, ${down.length} answered 50 during the outage (slowest in ${Math.max(...down.map((a) => a.ms))} ms), ${registered.length} registered; after retries ${records.length} stored, each once`,
    );
  }, 60_000);
});

describe('the receiver over PostgreSQL at its limits', () => {
  const receiverOver = (store: PostgresStore, storeTimeoutMs?: number) => {
    const logged: string[] = [];
    const receiver = new Receiver({
      site: SITE,
      store,
      pages: Array.from({ length: POSTS }, (_, p) => `/posts/p${p}`),
      allowPrivateNetwork: true,
      rateLimit: 0,
      ...(storeTimeoutMs ? { storeTimeoutMs } : {}),
      logger: { info() {}, warn: (m) => logged.push(m), error: (m) => logged.push(m) },
    });
    const ping = async (n: number) => {
      const started = Date.now();
      const response = await receiver.handle(new Request(`${SITE}xmlrpc`, { method: 'POST', body: pingBody(n) }));
      return { ms: Date.now() - started, reply: parseMethodResponse(new Uint8Array(await response.arrayBuffer())) };
    };
    return { receiver, ping, logged };
  };

  it('a full pool: fault 50 after the pool wait, then registered once a connection is free', async () => {
    const store = new PostgresStore({ url: postgres.urlFor('full_pool'), maxConnections: 2, connectTimeoutMs: 300 });
    stores.push(store);
    const { receiver, ping, logged } = receiverOver(store);
    await store.list();
    const releases: Array<() => void> = [];
    const held = ['a', 'b'].map((name) => store.withLock(name, () => new Promise<void>((resolve) => releases.push(resolve))));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const full = await ping(1);
    expect(full.reply).toEqual(STORE_DOWN);
    expect(full.ms).toBeLessThan(3000);
    expect(logged.join('\n')).toMatch(/timeout exceeded when trying to connect/);
    for (const release of releases) release();
    await Promise.all(held);
    expect((await ping(1)).reply.kind).toBe('result');
    expect(await store.list()).toHaveLength(1);
    await receiver.close();
  });

  it('a statement slower than the store deadline: fault 50 at the deadline, the database cancels it, nothing half-written', async () => {
    const schema = 'slow_query';
    const store = new PostgresStore({ url: postgres.urlFor(schema), statementTimeoutMs: 1500 });
    stores.push(store);
    const { receiver, ping, logged } = receiverOver(store, 400);
    await store.list();
    const blocker = new pg.Client({ connectionString: postgres.url });
    await blocker.connect();
    let slow: Awaited<ReturnType<typeof ping>>;
    try {
      await blocker.query('begin');
      await blocker.query(`lock table "${schema}".records in access exclusive mode`);
      slow = await ping(2);
      // Held past the database's own statement timeout, so the query behind the deadline is cancelled there too.
      await new Promise((resolve) => setTimeout(resolve, 1600));
      expect(
        await blocker
          .query(`select count(*)::int as n from pg_stat_activity where state = 'active' and query like '%${schema}%records%' and pid <> pg_backend_pid()`)
          .then((r) => r.rows[0].n),
      ).toBe(0);
      await blocker.query('rollback');
    } finally {
      await blocker.end();
    }
    expect(slow.reply).toEqual(STORE_DOWN);
    expect(slow.ms).toBeGreaterThanOrEqual(350);
    expect(slow.ms).toBeLessThan(1400);
    expect(logged.join('\n')).toMatch(/did not answer within 400 ms/);
    expect(await store.list()).toEqual([]);
    expect((await ping(2)).reply.kind).toBe('result');
    expect(await store.list()).toHaveLength(1);
    await receiver.close();
  });
});
