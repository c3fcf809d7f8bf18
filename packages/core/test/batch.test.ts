import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetSite } from '../../../test/support/pingback-target.ts';
import { startTargetSite } from '../../../test/support/pingback-target.ts';
import type { PingPair, SendRow } from '../src/send/batch.ts';
import { BATCH_DEFAULTS, sendBatch } from '../src/send/batch.ts';
import { SOURCE_CONCURRENCY } from '../src/net/guarded-fetch.ts';
import { MemoryLedger } from '../src/send/ledger.ts';
import { FileLedger } from '../src/send/ledger-file.ts';

const SRC = 'https://me.example/posts/new/';
/** The targets here live on loopback, which the sender refuses unless told otherwise. */
const LOOPBACK = { allowPrivateNetwork: true } as const;
let sites: TargetSite[] = [];
const shared = { now: 0, max: 0 };

beforeAll(async () => {
  sites = await Promise.all([1, 2, 3, 4].map(() => startTargetSite({ delayMs: 50, inFlight: shared })));
});
afterAll(() => Promise.all(sites.map((s) => s.close())));

const byTarget = (rows: SendRow[]) => Object.fromEntries(rows.map((r) => [new URL(r.target).pathname, r.status]));

describe('sendBatch: limits', () => {
  it('respects the global and per-host limits, and discovers each target once', async () => {
    shared.max = 0;
    for (const s of sites) (s as { maxConcurrent: number }).maxConcurrent;
    const pairs: PingPair[] = [];
    for (const site of sites) for (let i = 0; i < 10; i++) pairs.push({ source: `${SRC}?${i % 5}`, target: `${site.url}/post/${Math.floor(i / 5)}` });
    const before = sites.map((s) => s.requests.length);
    const report = await sendBatch(pairs, { ...LOOPBACK, concurrency: 5, perHost: 2 });
    expect(report.counts.registered).toBe(40);
    expect(shared.max).toBeLessThanOrEqual(5);
    expect(shared.max).toBeGreaterThanOrEqual(4);
    for (const [i, site] of sites.entries()) {
      expect(site.maxConcurrent).toBeLessThanOrEqual(2);
      // One GET per target finds both endpoints: no HEAD, no second fetch.
      const discovery = site.requests.slice(before[i]).filter((r) => r.method !== 'POST');
      expect(discovery.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /post/0', 'GET /post/1']);
    }
  });

  it("by default sends to many hosts 64 at a time, the guarded fetcher's limit, each host 2 at a time", async () => {
    const inFlight = { now: 0, max: 0 };
    const many = await Promise.all(Array.from({ length: 40 }, () => startTargetSite({ delayMs: 150, inFlight })));
    try {
      const pairs = many.flatMap((site) => [0, 1, 2].map((i) => ({ source: SRC, target: `${site.url}/post/${i}` })));
      const report = await sendBatch(pairs, LOOPBACK);
      expect(report.counts.registered).toBe(120);
      expect(BATCH_DEFAULTS.concurrency).toBe(SOURCE_CONCURRENCY);
      expect(inFlight.max).toBeLessThanOrEqual(BATCH_DEFAULTS.concurrency);
      // 40 hosts × 2 would allow 80: the global limit holds it, and well above the 16 it once was.
      expect(inFlight.max).toBeGreaterThan(48);
      for (const site of many) expect(site.maxConcurrent).toBeLessThanOrEqual(2);
    } finally {
      await Promise.all(many.map((s) => s.close()));
    }
  });

  it('pings a repeated pair once', async () => {
    const site = sites[0]!;
    const n = site.pings.length;
    const pair = { source: SRC, target: `${site.url}/post/dup` };
    const report = await sendBatch([pair, pair, { ...pair }], LOOPBACK);
    expect(report.rows).toHaveLength(1);
    expect(site.pings.length - n).toBe(1);
  });
});

describe('sendBatch: isolation and budget (C14)', () => {
  it('one target hangs and another resets; the others are still pinged and every row says why', async () => {
    const [a, b] = sites as [TargetSite, TargetSite];
    const report = await sendBatch(
      [
        { source: SRC, target: `${a.url}/hang` },
        { source: SRC, target: `${a.url}/reset` },
        { source: SRC, target: `${b.url}/post/ok` },
        { source: SRC, target: `${b.url}/post/hang` },
        { source: 'not a url', target: `${b.url}/post/ok` },
      ],
      { ...LOOPBACK, timeoutMs: 400 },
    );
    const rows = Object.fromEntries(report.rows.map((r) => [`${r.source} ${new URL(r.target).pathname}`, r]));
    expect(rows[`${SRC} /post/ok`]).toMatchObject({ status: 'registered', attempts: 1 });
    expect(rows[`${SRC} /hang`]).toMatchObject({ status: 'retryable', message: expect.stringMatching(/discovery failed: .*400 ms/) });
    expect(rows[`${SRC} /reset`]).toMatchObject({ status: 'retryable', message: expect.stringMatching(/discovery failed/) });
    expect(rows[`${SRC} /post/hang`]).toMatchObject({ status: 'retryable', endpoint: `${b.url}/xmlrpc`, message: expect.stringMatching(/400 ms/) });
    expect(rows['not a url /post/ok']).toMatchObject({ status: 'skipped', message: expect.stringMatching(/not an absolute/) });
    for (const row of report.rows)
      expect(Object.keys(row)).toEqual(expect.arrayContaining(['source', 'target', 'endpoint', 'status', 'message', 'attempts', 'ms']));
  });

  it('stops at the time budget: in-flight pings are cut, and neither they nor the rest are recorded', async () => {
    const site = sites[2]!;
    const ledger = new MemoryLedger();
    const pairs = [0, 1, 2, 3, 4, 5].map((i) => ({ source: SRC, target: `${site.url}/post/hang-${i}` }));
    const started = Date.now();
    const report = await sendBatch(pairs, { ...LOOPBACK, budgetMs: 300, perHost: 1, timeoutMs: 5000, ledger });
    expect(Date.now() - started).toBeLessThan(10_000); // bounded by the budget, not by 6 × 5 s
    expect(report.counts.retryable).toBe(6);
    const cut = report.rows.filter((r) => /stopped: the time budget of 300 ms ran out/.test(r.message));
    const untried = report.rows.filter((r) => /not tried: the time budget/.test(r.message));
    expect(cut).toHaveLength(1);
    expect(untried).toHaveLength(5);
    expect(report.untried).toBe(6);
    expect(ledger.entries.size).toBe(0);
  });
});

describe('sendBatch with a ledger (C15–C17)', () => {
  const mixed = (site: TargetSite): PingPair[] =>
    ['ok', 'fault-48', 'fault-33', 'fault-17', 'plain'].map((p) => ({ source: SRC, target: `${site.url}/post/${p}`, hash: 'v1' }));

  it('a second run sends nothing; later runs retry only what is retryable, with backoff, then give up', async () => {
    const site = sites[3]!;
    const ledger = new MemoryLedger();
    let now = Date.parse('2026-11-21T00:00:00Z');
    const clock = { now: () => now };
    const retry = { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 3_600_000 };

    const first = await sendBatch(mixed(site), { ...LOOPBACK, ledger, clock, retry });
    expect(byTarget(first.rows)).toEqual({
      '/post/ok': 'registered',
      '/post/fault-48': 'already-registered',
      '/post/fault-33': 'refused',
      '/post/fault-17': 'retryable',
      '/post/plain': 'no-endpoint',
    });

    const requests = site.requests.length;
    const second = await sendBatch(mixed(site), { ...LOOPBACK, ledger, clock, retry });
    expect(second.counts.skipped).toBe(5);
    expect(site.requests.length).toBe(requests);
    expect(second.rows.find((r) => r.target.endsWith('fault-17'))?.message).toMatch(/retry 2 is due at 2026-11-21T00:01:00.000Z/);

    now += 61_000;
    const third = await sendBatch(mixed(site), { ...LOOPBACK, ledger, clock, retry });
    expect(third.rows.filter((r) => r.status !== 'skipped').map((r) => [new URL(r.target).pathname, r.attempts])).toEqual([['/post/fault-17', 2]]);
    expect(ledger.get(SRC, `${site.url}/post/fault-17`)?.nextAt).toBe(new Date(now + 120_000).toISOString());

    now += 121_000;
    await sendBatch(mixed(site), { ...LOOPBACK, ledger, clock, retry });
    now += 10 * 3_600_000;
    const gaveUp = await sendBatch(mixed(site), { ...LOOPBACK, ledger, clock, retry });
    expect(gaveUp.counts.skipped).toBe(5);
    expect(gaveUp.rows.find((r) => r.target.endsWith('fault-17'))?.message).toMatch(/gave up after 3 attempts \(last: fault 17/);
  });

  it('an edited post re-checks a no-endpoint target and restarts retries', async () => {
    const site = sites[3]!;
    const ledger = new MemoryLedger();
    await sendBatch(mixed(site), { ...LOOPBACK, ledger });
    const edited = mixed(site).map((p) => ({ ...p, hash: 'v2' }));
    const report = await sendBatch(edited, { ...LOOPBACK, ledger, retry: { baseDelayMs: 0 } });
    expect(byTarget(report.rows)).toMatchObject({ '/post/plain': 'no-endpoint', '/post/fault-17': 'retryable', '/post/ok': 'skipped' });
    expect(ledger.get(SRC, `${site.url}/post/fault-17`)?.attempts).toBe(1);
  });

  it('rejects bad options by name', async () => {
    await expect(sendBatch([], { ...LOOPBACK, concurrency: 0 })).rejects.toThrow(/option `concurrency` must be a whole number above 0/);
    await expect(sendBatch([], { ...LOOPBACK, perhost: 2 } as never)).rejects.toThrow(/Did you mean `perHost`\?/);
    await expect(sendBatch([], { ...LOOPBACK, retry: { maxAttempts: 0 } })).rejects.toThrow(/retry.maxAttempts/);
  });
});

describe('FileLedger', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pingback-ledger-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('persists across runs: a new process skips what the last one did', async () => {
    const site = sites[1]!;
    const path = join(dir, 'a', 'ledger.json');
    const pairs = [
      { source: SRC, target: `${site.url}/post/file-1` },
      { source: SRC, target: `${site.url}/post/file-2` },
    ];
    await sendBatch(pairs, { ...LOOPBACK, ledger: await FileLedger.open(path) });
    const doc = JSON.parse(await readFile(path, 'utf8'));
    expect(doc.version).toBe(1);
    expect(doc.entries.map((e: { status: string }) => e.status)).toEqual(['registered', 'registered']);
    const n = site.pings.length;
    const again = await sendBatch(pairs, { ...LOOPBACK, ledger: await FileLedger.open(path) });
    expect(again.counts.skipped).toBe(2);
    expect(site.pings.length).toBe(n);
  });

  it("two ledgers on one file keep each other's entries", async () => {
    const path = join(dir, 'shared.json');
    const one = await FileLedger.open(path);
    const two = await FileLedger.open(path);
    const entry = (target: string) => ({
      source: SRC,
      target,
      status: 'registered' as const,
      attempts: 1,
      firstAt: 'x',
      lastAt: new Date().toISOString(),
      message: 'ok',
    });
    one.put(entry('https://a.example/1'));
    two.put(entry('https://b.example/2'));
    await Promise.all([one.flush(), two.flush()]);
    one.put(entry('https://a.example/3'));
    await one.flush();
    const reread = await FileLedger.open(path);
    expect(
      reread
        .all()
        .map((e) => e.target)
        .sort(),
    ).toEqual(['https://a.example/1', 'https://a.example/3', 'https://b.example/2']);
  });

  it('says what to do with a corrupt file', async () => {
    const path = join(dir, 'corrupt.json');
    await writeFile(path, '{"version": 1, "entries": [');
    await expect(FileLedger.open(path)).rejects.toThrow(/corrupt.json is not valid JSON; fix or delete it/);
  });
});
