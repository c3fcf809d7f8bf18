import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { FileStore, groupByKey, parseMethodResponse, readPingbacks, writeMethodCall } from '@pingback/core';
import { PostgresStore } from '@pingback/postgres';
import { startPostgres } from '../../test/support/postgres.ts';
import { pool } from '../../test/support/pool.ts';
import type { Figure, Scenario } from '../harness.ts';
import { benchRecord, fill } from '../records.ts';
import { alternate, percentile } from '../harness.ts';
import type { BenchServe } from '../served-site.ts';
import { BENCH_SITE, serveBenchSite, writeBenchSite } from '../served-site.ts';

const SOURCES = fileURLToPath(new URL('../workers/sources.ts', import.meta.url));
const SITE = BENCH_SITE;
const POSTS = 200;

/**
 * PostgreSQL against the file store, in one run: `pingback serve` receiving the same load over each
 * (2,000 pingbacks from 100 clients, sources answering after 20 ms, rate limits off), alternating, and a
 * build reading 10,000 pingbacks back from each. The database runs with fsync on, as a production one
 * would; the file store flushes every record too.
 */
export const postgres: Scenario = {
  name: 'postgres',
  summary: 'PostgreSQL against the file store: pingback serve receiving 2,000 pingbacks, a build reading 10,000 back',
  async run({ smoke, log }) {
    const perRun = smoke ? 100 : 2000;
    const concurrency = smoke ? 10 : 100;
    const total = smoke ? 500 : 10_000;
    const posts = smoke ? 50 : 1000;
    const dir = await mkdtemp(join(tmpdir(), 'pingback-bench-pg-'));
    const database = await startPostgres({ fsync: true });
    const sources = fork(SOURCES, [SITE, String(POSTS), '20'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const agent = new Agent({ connections: concurrency, keepAliveTimeout: 10_000 });
    const children: BenchServe[] = [];
    const stores: PostgresStore[] = [];
    try {
      const { port } = await new Promise<{ port: number }>((resolve) => sources.once('message', (m) => resolve(m as { port: number })));
      const site = await writeBenchSite(dir, POSTS);
      const receiveUrl = database.urlFor('receiving');
      const [overFiles, overDatabase] = await Promise.all([serveBenchSite(site, join(dir, 'store')), serveBenchSite(site, receiveUrl)]);
      children.push(overFiles, overDatabase);

      let next = 0;
      const latencies = { files: [] as number[], database: [] as number[] };
      let refused = 0;
      const burst = (url: string, into: number[], count = perRun) => {
        const ids = Array.from({ length: count }, () => next++);
        return pool(ids, concurrency, async (i) => {
          const t = performance.now();
          const body = writeMethodCall('pingback.ping', [`http://127.0.0.1:${port}/s/${i}`, `${SITE}posts/p${i % POSTS}/`]);
          const response = await request(`${url}/xmlrpc`, { method: 'POST', body, headers: { 'content-type': 'text/xml' }, dispatcher: agent });
          if (parseMethodResponse(new Uint8Array(await response.body.arrayBuffer())).kind !== 'result') refused++;
          into.push(performance.now() - t);
        });
      };
      // Warm both up (JIT, connections, the schema), unmeasured.
      await burst(overFiles.url, [], smoke ? 20 : 200);
      await burst(overDatabase.url, [], smoke ? 20 : 200);
      const databaseFirst = next;
      refused = 0;
      const rounds = smoke ? 1 : 3;
      const received = await alternate(
        rounds,
        () => burst(overFiles.url, latencies.files),
        () => burst(overDatabase.url, latencies.database),
      );
      const receiving = new PostgresStore({ url: receiveUrl });
      stores.push(receiving);
      const inDatabase = (await receiving.list()).filter((r) => Number(/\/s\/(\d+)$/.exec(r.source)?.[1]) >= databaseFirst);
      const distinct = new Set(inDatabase.map((r) => r.id)).size;
      const expected = perRun * rounds;
      log(
        `receiving: file store ${Math.round(received.baseline)} ms, PostgreSQL ${Math.round(received.subject)} ms per ${perRun}; ${distinct} distinct of ${inDatabase.length} stored in PostgreSQL, ${refused} refused`,
      );

      // Reading back at build time: the same 10,000 records in each store.
      const records = Array.from({ length: total }, (_, i) => benchRecord(SITE, i, posts));
      const files = new FileStore(join(dir, 'read-store'));
      const readUrl = database.urlFor('reading');
      const filling = new PostgresStore({ url: readUrl });
      stores.push(filling);
      const t = performance.now();
      await Promise.all([fill(files, records), fill(filling, records)]);
      log(`filled both stores with ${total} records in ${Math.round(performance.now() - t)} ms`);
      const cacheFile = join(dir, 'cache.json');
      const check = (items: number) => {
        if (items !== total) throw new Error(`read ${items} pingbacks, expected ${total}`);
      };
      const read = await alternate(
        smoke ? 1 : 3,
        async () =>
          check(
            (await readPingbacks({ kind: 'store', store: new FileStore(join(dir, 'read-store')), label: 'files' }, { cacheFile, onReadError: 'fail' })).items
              .length,
          ),
        async () => {
          // A fresh store each time, as a build opens it: its connection and schema check are part of the read.
          const store = new PostgresStore({ url: readUrl });
          try {
            const result = await readPingbacks({ kind: 'store', store, label: 'postgres' }, { cacheFile, onReadError: 'fail' });
            check(result.items.length);
            if (Object.keys(groupByKey(result.items)).length !== posts) throw new Error('posts missing from the read');
          } finally {
            await store.close();
          }
        },
      );

      const lost = expected - distinct;
      const doubled = inDatabase.length - distinct;
      const p99 = { files: percentile(latencies.files, 99), database: percentile(latencies.database, 99) };
      return [
        {
          scenario: 'postgres',
          metric: `receiving ${perRun} pingbacks, ${concurrency} clients: PostgreSQL / file store`,
          measured: Math.round(received.subject),
          baseline: Math.round(received.baseline),
          ratio: received.subject / received.baseline,
          unit: 'ms',
          target: '≤ 1.5 ×',
          pass: received.subject / received.baseline <= 1.5,
          notes: `medians of ${rounds} alternating runs each; throughput ${Math.round(perRun / (received.subject / 1000))} /s over PostgreSQL, ${Math.round(perRun / (received.baseline / 1000))} /s over files`,
        },
        {
          scenario: 'postgres',
          metric: 'receiving: p99 latency, PostgreSQL / file store',
          measured: Math.round(p99.database),
          baseline: Math.round(p99.files),
          ratio: p99.database / p99.files,
          unit: 'ms',
          target: 'report',
          pass: true,
        },
        {
          scenario: 'postgres',
          metric: 'receiving over PostgreSQL: records lost / doubled',
          measured: lost + doubled,
          baseline: null,
          ratio: null,
          unit: '',
          target: '0',
          pass: lost === 0 && doubled === 0 && refused === 0,
          notes: `${inDatabase.length} records for ${expected} pingbacks, ${refused} refused`,
        },
        {
          scenario: 'postgres',
          metric: `reading ${total} pingbacks, ${posts} posts, at build: PostgreSQL`,
          measured: Math.round(read.subject),
          baseline: Math.round(read.baseline),
          ratio: read.subject / read.baseline,
          unit: 'ms',
          target: '≤ 1000 ms',
          pass: read.subject <= 1000,
          notes: 'baseline: the same read from the file-system store; each read opens the store afresh',
        },
      ] satisfies Figure[];
    } finally {
      await Promise.all(children.map((c) => c.stop()));
      await Promise.all(stores.map((s) => s.close()));
      sources.kill();
      await agent.close();
      await database.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
