import { fork, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import type { Manifest } from '@pingback/core';
import { FileStore, WEBMENTION_CONCURRENCY, WEBMENTION_PER_HOST, WEBMENTION_QUEUE, parseMethodResponse, writeMethodCall } from '@pingback/core';
import { pool } from '../../test/support/pool.ts';
import type { Figure, Scenario } from '../harness.ts';
import { cpuOf, cpuSplitOf, percentile, rssOf } from '../harness.ts';

const SOURCES = fileURLToPath(new URL('../workers/sources.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../packages/cli/bin/pingback.js', import.meta.url));
const SITE = 'https://receiver.example/';
const POSTS = 200;
const SOURCE_DELAY = 20;
const BYTE_CAP = 1024 * 1024;

/**
 * `pingback serve --rate-limit 0` under 100 concurrent clients sending 2,000 distinct valid pingbacks
 * whose sources answer after 20 ms. The baseline is the same clients fetching those sources directly:
 * the receiver's own cost is its latency beyond that. Then the same number of Webmentions in the same
 * way: answered 202 at once and verified afterwards by the server itself, so their answer is measured
 * against the pingbacks' and the time until the last is stored is reported. Then a 200 MB source and a
 * one-byte-a-second source, with the server's resident memory watched.
 */
export const receiving: Scenario = {
  name: 'receiving',
  summary: 'pingback serve under 100 concurrent clients, 2,000 pingbacks then 2,000 Webmentions, sources answering after 20 ms',
  async run({ smoke, log }) {
    const total = smoke ? 100 : 2000;
    const concurrency = smoke ? 10 : 100;
    const dir = await mkdtemp(join(tmpdir(), 'pingback-bench-receive-'));
    const sources = fork(SOURCES, [SITE, String(POSTS), String(SOURCE_DELAY)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const agent = new Agent({ connections: concurrency, keepAliveTimeout: 10_000 });
    let serve: ReturnType<typeof spawn> | undefined;
    try {
      const { port } = await new Promise<{ port: number }>((resolve) => sources.once('message', (m) => resolve(m as { port: number })));
      const sourceBase = `http://127.0.0.1:${port}`;
      for (let p = 0; p < POSTS; p++) {
        await mkdir(join(dir, 'site/posts', `p${p}`), { recursive: true });
        await writeFile(join(dir, 'site/posts', `p${p}`, 'index.html'), `<!doctype html><title>p${p}</title><article>post ${p}</article>`);
      }
      const manifest: Manifest = {
        version: 1,
        site: SITE,
        endpoint: `${SITE}xmlrpc`,
        hosts: [],
        pages: Array.from({ length: POSTS }, (_, p) => `/posts/p${p}`),
        posts: [],
        directories: [],
        feed: null,
      };
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
      const sourceTimeoutMs = smoke ? 2000 : 10_000;
      serve = spawn(
        process.execPath,
        [
          CLI,
          'serve',
          '--root',
          join(dir, 'site'),
          '--manifest',
          join(dir, 'manifest.json'),
          '--store',
          join(dir, 'store'),
          '--port',
          '0',
          '--allow-private-network',
          '--rate-limit',
          '0',
          '--source-timeout',
          String(sourceTimeoutMs),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      // serve logs one line per pingback and one per verified Webmention: read (so it never blocks) and counted.
      let webmentionsDone = 0;
      createInterface({ input: serve.stderr! }).on('line', (line) => {
        if (line.startsWith('[pingback] webmention ')) webmentionsDone++;
      });
      const url = await new Promise<string>((resolve, reject) => {
        serve!.once('exit', (code) => reject(new Error(`pingback serve exited ${code}`)));
        createInterface({ input: serve!.stdout! }).on('line', (line) => {
          const m = /listening on (\S+)/.exec(line);
          if (m) resolve(m[1]!);
        });
      });

      const ids = Array.from({ length: total }, (_, i) => i);
      // Warm both sides up first (JIT, connections), with pingbacks of their own, not measured.
      const warm = Array.from({ length: smoke ? 20 : 200 }, (_, i) => total + i);
      const send = async (i: number) => {
        const body = writeMethodCall('pingback.ping', [`${sourceBase}/s/${i}`, `${SITE}posts/p${i % POSTS}/`]);
        const response = await request(`${url}/xmlrpc`, { method: 'POST', body, headers: { 'content-type': 'text/xml' }, dispatcher: agent });
        return parseMethodResponse(new Uint8Array(await response.body.arrayBuffer()));
      };
      await pool(warm, concurrency, async (i) => {
        await (await request(`${sourceBase}/s/${i}`, { dispatcher: agent })).body.text();
        await send(i);
      });
      // Baseline: the clients fetching the sources themselves.
      const direct: number[] = [];
      await pool(ids, concurrency, async (i) => {
        const t = performance.now();
        await (await request(`${sourceBase}/s/${i}`, { dispatcher: agent })).body.text();
        direct.push(performance.now() - t);
      });

      const latencies: number[] = [];
      let registered = 0;
      const cpuBefore = { serve: await cpuSplitOf(serve.pid!), sources: await cpuOf(sources.pid!), clients: process.cpuUsage() };
      const started = performance.now();
      await pool(ids, concurrency, async (i) => {
        const t = performance.now();
        const reply = await send(i);
        latencies.push(performance.now() - t);
        if (reply.kind === 'result') registered++;
      });
      const wall = performance.now() - started;
      // Where the two cores went: the server's share is what the receiver costs per pingback.
      const clientCpu = process.cpuUsage(cpuBefore.clients);
      const serveCpu = await cpuSplitOf(serve.pid!);
      const cpu = {
        serveUser: serveCpu.user - cpuBefore.serve.user,
        serveSystem: serveCpu.system - cpuBefore.serve.system,
        sources: (await cpuOf(sources.pid!)) - cpuBefore.sources,
        clients: (clientCpu.user + clientCpu.system) / 1000,
      };
      log(
        `CPU ms: serve ${cpu.serveUser} user + ${cpu.serveSystem} system, sources ${Math.round(cpu.sources)}, clients ${Math.round(cpu.clients)}, over ${Math.round(wall)} ms on ${availableParallelism()} cores`,
      );
      const measured = new Set(ids.map((i) => `${sourceBase}/s/${i}`));
      const records = (await new FileStore(join(dir, 'store')).list()).filter((r) => measured.has(r.source));
      const distinct = new Set(records.map((r) => `${r.key} ${r.source}`)).size;
      log(`${registered} registered in ${Math.round(wall)} ms; ${records.length} records, ${distinct} distinct`);
      const lost = total - distinct;
      const doubled = records.length - distinct;

      // The same again as Webmentions, from sources of their own: answered at once, verified after.
      const wmIds = ids.map((i) => 100_000 + i);
      const wmLatencies: number[] = [];
      let accepted = 0;
      let full = 0;
      const wmStarted = performance.now();
      await pool(wmIds, concurrency, async (i) => {
        const body = new URLSearchParams({ source: `${sourceBase}/s/${i}`, target: `${SITE}posts/p${i % POSTS}/` }).toString();
        // A sender told 503 (the queue is full) tries again later, as Retry-After asks; here after 100 ms.
        for (;;) {
          const t = performance.now();
          const response = await request(`${url}/webmention`, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            dispatcher: agent,
          });
          await response.body.text();
          wmLatencies.push(performance.now() - t);
          if (response.statusCode !== 503) {
            if (response.statusCode === 202) accepted++;
            return;
          }
          full++;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
      const wmAnswered = performance.now() - wmStarted;
      const verifyDeadline = Date.now() + 10 * 60_000;
      while (webmentionsDone < accepted && Date.now() < verifyDeadline) await new Promise((resolve) => setTimeout(resolve, 20));
      const wmWall = performance.now() - wmStarted;
      const wmMeasured = new Set(wmIds.map((i) => `${sourceBase}/s/${i}`));
      const wmRecords = (await new FileStore(join(dir, 'store')).list()).filter((r) => wmMeasured.has(r.source) && r.protocol === 'webmention');
      const wmDistinct = new Set(wmRecords.map((r) => `${r.key} ${r.source}`)).size;
      log(
        `${accepted} Webmentions accepted in ${Math.round(wmAnswered)} ms (${full} answers of 503, queue full, tried again), all verified after ${Math.round(wmWall)} ms; ${wmRecords.length} records, ${wmDistinct} distinct`,
      );

      // A 200 MB source and a trickle, at once, with the server's memory watched.
      const rssBefore = await rssOf(serve.pid!);
      let rssPeak = rssBefore;
      const sampler = setInterval(
        () =>
          void rssOf(serve!.pid!).then(
            (r) => (rssPeak = Math.max(rssPeak, r)),
            () => {},
          ),
        100,
      );
      const timed = async (source: string) => {
        const t = performance.now();
        const response = await request(`${url}/xmlrpc`, {
          method: 'POST',
          body: writeMethodCall('pingback.ping', [source, `${SITE}posts/p1/`]),
          dispatcher: agent,
        });
        const reply = parseMethodResponse(new Uint8Array(await response.body.arrayBuffer()));
        return { ms: performance.now() - t, code: reply.kind === 'fault' ? reply.faultCode : 0 };
      };
      const [big, trickle] = await Promise.all([timed(`${sourceBase}/big`), timed(`${sourceBase}/trickle`)]);
      clearInterval(sampler);
      const growth = (rssPeak - rssBefore) / 2 ** 20;
      const allowed = BYTE_CAP / 2 ** 20 + 16;

      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      const d50 = percentile(direct, 50);
      const d99 = percentile(direct, 99);
      return [
        {
          scenario: 'receiving',
          metric: `${total} pingbacks, ${concurrency} clients: throughput`,
          measured: Math.round(total / (wall / 1000)),
          baseline: null,
          ratio: null,
          unit: '/s',
          target: 'report',
          pass: true,
          notes: `${Math.round(wall)} ms in all, after ${warm.length} warm-up pingbacks`,
        },
        {
          scenario: 'receiving',
          metric: 'serve CPU per pingback',
          measured: (cpu.serveUser + cpu.serveSystem) / total,
          baseline: null,
          ratio: null,
          unit: 'ms',
          target: 'report',
          pass: true,
          notes: `${cpu.serveUser} ms user + ${cpu.serveSystem} ms system in all; the clients and sources used ${Math.round(cpu.clients + cpu.sources)} ms of the same ${availableParallelism()} cores`,
        },
        {
          scenario: 'receiving',
          metric: 'p50 latency',
          measured: Math.round(p50),
          baseline: Math.round(d50),
          ratio: p50 / d50,
          unit: 'ms',
          target: 'report',
          pass: true,
          notes: 'baseline: the same clients fetching the sources directly',
        },
        {
          scenario: 'receiving',
          metric: 'p99 latency',
          measured: Math.round(p99),
          baseline: Math.round(d99),
          ratio: p99 / d99,
          unit: 'ms',
          target: 'overhead ≤ 50 ms',
          pass: p99 - d99 <= 50,
          notes: `overhead ${Math.round(p99 - d99)} ms over fetching the source`,
        },
        {
          scenario: 'receiving',
          metric: 'records lost / doubled',
          measured: lost + doubled,
          baseline: null,
          ratio: null,
          unit: '',
          target: '0',
          pass: lost === 0 && doubled === 0 && registered === total,
          notes: `${records.length} records for ${total} pingbacks`,
        },
        {
          scenario: 'receiving',
          metric: `${total} Webmentions, ${concurrency} clients: accepted`,
          measured: Math.round(total / (wmAnswered / 1000)),
          baseline: Math.round(total / (wall / 1000)),
          ratio: wall / wmAnswered,
          unit: '/s',
          target: 'report',
          pass: accepted === total,
          notes: `${accepted} answered 202 in the end; baseline: the pingbacks' throughput`,
        },
        {
          scenario: 'receiving',
          metric: '… answered 503 (queue full), then tried again',
          measured: full,
          baseline: null,
          ratio: null,
          unit: '',
          target: 'report',
          pass: true,
          notes: `the queue holds ${WEBMENTION_QUEUE}; verification runs ${WEBMENTION_PER_HOST} at a time for one source host`,
        },
        {
          scenario: 'receiving',
          metric: 'Webmention p99 answer',
          measured: Math.round(percentile(wmLatencies, 99)),
          baseline: Math.round(p99),
          ratio: percentile(wmLatencies, 99) / p99,
          unit: 'ms',
          target: 'report',
          pass: true,
          notes: `p50 ${Math.round(percentile(wmLatencies, 50))} ms, 503s included; baseline: a pingback's p99, answered after its verification`,
        },
        {
          scenario: 'receiving',
          metric: 'Webmentions verified',
          measured: Math.round(total / (wmWall / 1000)),
          baseline: null,
          ratio: null,
          unit: '/s',
          target: 'report',
          pass: webmentionsDone >= accepted,
          notes: `the last stored ${Math.round(wmWall)} ms after the first was sent (${WEBMENTION_CONCURRENCY} verified at a time, ${WEBMENTION_PER_HOST} per source host: here all from one)`,
        },
        {
          scenario: 'receiving',
          metric: 'Webmention records lost / doubled',
          measured: total - wmDistinct + (wmRecords.length - wmDistinct),
          baseline: null,
          ratio: null,
          unit: '',
          target: '0',
          pass: wmDistinct === total && wmRecords.length === wmDistinct,
          notes: `${wmRecords.length} records for ${total} Webmentions`,
        },
        {
          scenario: 'receiving',
          metric: '200 MB source: answer',
          measured: Math.round(big.ms),
          baseline: sourceTimeoutMs,
          ratio: big.ms / sourceTimeoutMs,
          unit: 'ms',
          target: '≤ deadline, fault 17',
          pass: big.ms <= sourceTimeoutMs + 1000 && big.code === 17,
          notes: `answered fault ${big.code}`,
        },
        {
          scenario: 'receiving',
          metric: '1 byte/s source: answer',
          measured: Math.round(trickle.ms),
          baseline: sourceTimeoutMs,
          ratio: trickle.ms / sourceTimeoutMs,
          unit: 'ms',
          target: '≤ deadline, fault 16',
          pass: trickle.ms <= sourceTimeoutMs + 1000 && trickle.code === 16,
          notes: `answered fault ${trickle.code}`,
        },
        {
          scenario: 'receiving',
          metric: 'RSS growth meanwhile',
          measured: Math.round(growth),
          baseline: Math.round(rssBefore / 2 ** 20),
          ratio: rssPeak / rssBefore,
          unit: 'MB',
          target: `≤ ${allowed} MB (cap + 16)`,
          pass: growth <= allowed,
        },
      ] satisfies Figure[];
    } finally {
      serve?.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 500));
      sources.kill();
      await agent.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
