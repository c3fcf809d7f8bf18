import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PingbackStore, ReadResult } from '@pingback/core';
import { FileStore, LINKBACK_KINDS, Receiver, groupByKey, publicRecord, readPingbacks, renderPingbacksHtml } from '@pingback/core';
import { readPlainRequest, sendPlainResponse } from '@pingback/core/node';
import { BlobsStore } from '@pingback/netlify';
import type { Figure, Scenario } from '../harness.ts';
import { benchRecord, fill } from '../records.ts';
import { alternate } from '../harness.ts';

const SITE = 'https://reader.example/';
const BLOBS_WORKER = fileURLToPath(new URL('../workers/blobs.ts', import.meta.url));

function ask<T>(child: ChildProcess, message?: string): Promise<T> {
  const answer = new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
  if (message) child.send(message);
  return answer;
}

/** Counts the calls a reader makes on a store. */
function counting(store: PingbackStore): { store: PingbackStore; calls: () => number } {
  let calls = 0;
  const counted = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counted, calls: () => calls };
}

/** A read endpoint over `store`, as `pingback serve` and the Function serve it; a fresh instance each time. */
async function endpoint(store: PingbackStore): Promise<{ url: string; close: () => Promise<void> }> {
  const receiver = new Receiver({ site: SITE, store, pages: [], logger: { info() {}, warn() {}, error() {} } });
  const server = createServer((req, res) => {
    void readPlainRequest(req, SITE, 1 << 20).then(async (request) => sendPlainResponse(await receiver.respond(request), res, req.method === 'HEAD'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${receiver.settings.readPath}`;
  return {
    url,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await receiver.close();
    },
  };
}

function check(result: ReadResult, total: number, posts: number): void {
  const byPost = groupByKey(result.items);
  if (result.items.length !== total || Object.keys(byPost).length !== posts) {
    throw new Error(`read ${result.items.length} pingbacks over ${Object.keys(byPost).length} posts; expected ${total} over ${posts}`);
  }
}

/**
 * 10,000 approved pingbacks over 1,000 posts, read back as a build does: straight from the file-system
 * store, and through the read endpoint with the file system and then the local Netlify Blobs server
 * underneath, after 100 more pingbacks arrived since the last build. The baseline is the floor: reading
 * every record file once, with nothing else.
 */
export const reading: Scenario = {
  name: 'reading',
  summary: 'reading 10,000 pingbacks over 1,000 posts back at build time',
  async run({ smoke, log }) {
    const total = smoke ? 500 : 10_000;
    const posts = smoke ? 50 : 1000;
    const extra = smoke ? 10 : 100;
    const records = Array.from({ length: total }, (_, i) => benchRecord(SITE, i, posts));
    const later = Array.from({ length: extra }, (_, i) => benchRecord(SITE, total + i, posts));
    // Rendering what a build reads: every post's section, with every kind and half the authors with a
    // photo, against writing the same records out as JSON (a string of about the same size, made by the
    // engine's own serialiser). A per-item cost such as making a date formatter for each would be 50 ×.
    const shown = Object.values(
      groupByKey(
        records.map((r, i) =>
          publicRecord({
            ...r,
            kind: LINKBACK_KINDS[i % LINKBACK_KINDS.length]!,
            ...(i % 2 ? { author: { ...r.author, photo: `${r.author.url}me.jpg` } } : {}),
          }),
        ),
      ),
    );
    let rendered = 0;
    // The smoke run's 500 would take about a millisecond: several passes keep the timer's grain out of the ratio.
    const passes = smoke ? 10 : 1;
    const asJson = async () => {
      for (let n = 0; n < passes; n++) for (const post of shown) rendered += JSON.stringify(post).length;
    };
    const renderAll = async () => {
      for (let n = 0; n < passes; n++) for (const post of shown) rendered += renderPingbacksHtml(post).length;
    };
    // Once each untimed first: a cold run measures the compiler more than the renderer.
    await asJson();
    await renderAll();
    const render = await alternate(smoke ? 3 : 7, asJson, renderAll);
    if (rendered === 0) throw new Error('nothing rendered');
    log(`rendered every post's linkbacks in ${Math.round(render.subject)} ms; the same as JSON in ${Math.round(render.baseline)} ms`);

    const dir = await mkdtemp(join(tmpdir(), 'pingback-bench-read-'));
    const blobsChild = fork(BLOBS_WORKER, [join(dir, 'blobs'), 'bench'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      const { port } = await ask<{ port: number }>(blobsChild);
      const blobsUrl = `http://127.0.0.1:${port}`;
      const blobs = () => new BlobsStore({ siteID: 'bench-site', token: 'bench', edgeURL: blobsUrl, uncachedEdgeURL: blobsUrl });
      const blobRequests = async () => (await ask<{ requests: number }>(blobsChild, 'count')).requests;
      const fileStore = new FileStore(join(dir, 'store'));
      let t = performance.now();
      await fill(fileStore, records);
      log(`file store filled in ${Math.round(performance.now() - t)} ms`);
      t = performance.now();
      await fill(blobs(), records);
      log(`local Blobs filled in ${Math.round(performance.now() - t)} ms`);
      const cacheFile = join(dir, 'cache.json');

      // 1. The build reading the file-system store itself, against reading every record file once.
      const recordsDir = join(dir, 'store', 'records');
      const plainRead = async () => {
        let n = 0;
        for (const folder of await readdir(recordsDir)) {
          const files = await readdir(join(recordsDir, folder));
          const texts = await Promise.all(files.map((f) => readFile(join(recordsDir, folder, f), 'utf8')));
          for (const text of texts) n += JSON.parse(text) ? 1 : 0;
        }
        if (n !== total) throw new Error(`plain read found ${n} records`);
      };
      let fsCalls = 0;
      const fsRead = async () => {
        const counted = counting(new FileStore(join(dir, 'store')));
        check(await readPingbacks({ kind: 'store', store: counted.store, label: 'store' }, { cacheFile, onReadError: 'fail' }), total, posts);
        fsCalls = counted.calls();
      };
      const direct = await alternate(smoke ? 1 : 3, plainRead, fsRead);

      // 2. Through the read endpoint, a fresh instance for each read, as a cold Function would be.
      const throughEndpoint = async (store: () => PingbackStore, expected: number) => {
        const counted = counting(store());
        const server = await endpoint(counted.store);
        const before = await blobRequests();
        const started = performance.now();
        try {
          const result = await readPingbacks({ kind: 'endpoint', url: server.url }, { cacheFile, onReadError: 'fail' });
          const ms = performance.now() - started;
          check(result, expected, posts);
          return { ms, pages: result.requests, calls: counted.calls(), blobRequests: (await blobRequests()) - before };
        } finally {
          await server.close();
        }
      };
      const blobsFirst = await throughEndpoint(blobs, total);
      // 100 pingbacks arrive; the build they trigger reads back.
      await fill(fileStore, later);
      await fill(blobs(), later);
      const fsNext = await throughEndpoint(() => new FileStore(join(dir, 'store')), total + extra);
      const blobsNext = await throughEndpoint(blobs, total + extra);
      log(`endpoint over Blobs: the first read ever ${Math.round(blobsFirst.ms)} ms, ${blobsFirst.blobRequests} Blobs requests`);

      const fig = (metric: string, measured: number, target: number | null, notes: string): Figure => ({
        scenario: 'reading',
        metric,
        measured: Math.round(measured),
        baseline: Math.round(direct.baseline),
        ratio: measured / direct.baseline,
        unit: 'ms',
        target: target === null ? 'report' : `≤ ${target} ms`,
        pass: target === null || measured <= target,
        notes,
      });
      return [
        fig(
          `${total} pingbacks, ${posts} posts: from the file system`,
          direct.subject,
          1000,
          `${fsCalls} store calls; baseline: reading every record file once`,
        ),
        fig(
          `${extra} more, the next build: endpoint over the file system`,
          fsNext.ms,
          3000,
          `${fsNext.pages} pages, ${fsNext.calls} store calls, a fresh endpoint instance`,
        ),
        fig(
          `${extra} more, the next build: endpoint over Blobs`,
          blobsNext.ms,
          3000,
          `${blobsNext.pages} pages, ${blobsNext.calls} store calls, ${blobsNext.blobRequests} Blobs requests, a fresh endpoint instance`,
        ),
        fig(
          'the first read ever: endpoint over Blobs',
          blobsFirst.ms,
          null,
          `builds the snapshot: ${blobsFirst.blobRequests} Blobs requests, one per pingback, once`,
        ),
        {
          scenario: 'reading',
          metric: `rendering every post's linkbacks (${total}, every kind)`,
          measured: Math.round(render.subject),
          baseline: Math.round(render.baseline),
          ratio: render.subject / render.baseline,
          unit: 'ms',
          target: '≤ 10 ×',
          pass: render.subject <= 10 * render.baseline,
          notes: "renderPingbacksHtml for each post; baseline: JSON.stringify of each post's records",
        },
        {
          scenario: 'reading',
          metric: 'Blobs requests, the next build',
          measured: blobsNext.blobRequests,
          baseline: (total + extra) * blobsNext.pages,
          ratio: blobsNext.blobRequests / ((total + extra) * blobsNext.pages),
          unit: '',
          target: 'not one per pingback per page',
          pass: blobsNext.blobRequests <= extra + 20,
          notes: `baseline: one per pingback per page; the listing (16 shards at once), the snapshot, the ${extra} new records and the snapshot saved`,
        },
      ] satisfies Figure[];
    } finally {
      blobsChild.disconnect();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
