import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '@pingback/core';
import type { Serve, Sent } from './support/load.ts';
import {
  LIMIT,
  answersByPair,
  connectionAttempts,
  hostileAndFlood,
  rssOf,
  sendAll,
  startServe,
  startSourceHosts,
  validRequests,
  writeSite,
  wrongHostile,
} from './support/load.ts';

describe('load: thousands of concurrent pingbacks, valid and hostile mixed, rate limits on', () => {
  let sources: Awaited<ReturnType<typeof startSourceHosts>>;
  let dir: string;
  let serve: Serve;

  beforeAll(async () => {
    sources = await startSourceHosts();
    dir = await mkdtemp(join(tmpdir(), 'pingback-load-'));
    await writeSite(dir);
    await writeFile(join(dir, 'connections.log'), '');
    serve = await startServe(dir, join(dir, 'store'), sources.port, join(dir, 'connections.log'));
  });
  afterAll(async () => {
    serve?.child.kill('SIGINT');
    await sources?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores every valid pingback exactly once, refuses every hostile one, holds its memory, and logs no error', async () => {
    const { port } = sources;
    const sent: Sent[] = [...validRequests(port), ...hostileAndFlood(port)];
    const pid = serve.child.pid!;
    const rssBefore = rssOf(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(pid))), 50);
    const started = Date.now();
    let done = 0;
    const progress = setInterval(() => console.log(`load: ${done} answered`), 5000);
    const answers = await sendAll(
      sent,
      () => serve.endpoint,
      (n) => (done = n),
    );
    const elapsed = Date.now() - started;
    clearInterval(progress);
    clearInterval(sampler);
    const stderr = serve.stderr();

    // Valid: each pair answered once "registered" and once 48, whichever came first.
    const byPair = answersByPair(sent, answers);
    const wrongPairs = [...byPair].filter(([, got]) => got.join() !== 'fault 48,registered');
    expect(
      wrongPairs.length,
      `elapsed ${elapsed} ms\n${JSON.stringify(wrongPairs.slice(0, 3))}\n${stderr
        .split('\n')
        .filter((l) => /unavailable/.test(l) && /127.0.1/.test(l))
        .slice(0, 5)
        .join('\n')}`,
    ).toBe(0);
    // Hostile: every one refused with its fault.
    const wrong = wrongHostile(sent, answers);
    expect(wrong.length, JSON.stringify(wrong.slice(0, 5))).toBe(0);
    // The flood: the first ten (per minute) through, the rest refused with 49.
    const floodRegistered = sent.filter((s, i) => s.kind === 'flood' && 'registered' in answers[i]!).length;
    const windows = Math.ceil(elapsed / 60_000);
    expect(floodRegistered).toBeGreaterThanOrEqual(LIMIT);
    expect(floodRegistered).toBeLessThanOrEqual(LIMIT * windows);
    expect(sent.filter((s, i) => s.kind === 'flood' && !('registered' in answers[i]!) && (answers[i] as { fault: number }).fault !== 49)).toEqual([]);

    // The store: exactly the valid pairs and the flood's few, each once, and nothing else.
    const records = await new FileStore(join(dir, 'store')).list();
    const stored = records.map((r) => `${r.source} ${r.key.replace('/posts/', '')}`);
    expect(new Set(stored).size).toBe(stored.length);
    expect(stored.filter((s) => s.includes('/valid?') && byPair.has(s)).length).toBe(500);
    expect(records.length).toBe(500 + floodRegistered);

    // Only trusted sources were ever connected to; memory stayed bounded; nothing unhandled.
    const attempts = await connectionAttempts(join(dir, 'connections.log'));
    expect(attempts.filter((a) => !a.startsWith('127.0.1.') || !a.endsWith(`:${port}`))).toEqual([]);
    expect((rssPeak - rssBefore) / 2 ** 20).toBeLessThan(256);
    expect(serve.child.exitCode).toBeNull();
    expect(stderr).not.toMatch(/internal error|unhandled|uncaught|pingback serve: /i);
    console.log(
      `load: ${sent.length} requests in ${elapsed} ms; ${records.length} stored; serve RSS ${Math.round(rssBefore / 2 ** 20)} → peak ${Math.round(rssPeak / 2 ** 20)} MB`,
    );
  }, 180_000);
});
