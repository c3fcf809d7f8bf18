import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { LedgerEntry, Manifest, SendRow } from '@pingback/core';
import { BATCH_DEFAULTS, FileStore, StoreLedger, isDone, parseMethodCall, sendOutbox, writeFault, writeMethodResponse } from '@pingback/core';
import type { TestServer } from '../support/http.ts';
import { sleep, startServer } from '../support/http.ts';
import { startPostgres } from '../support/postgres.ts';

const BIN = fileURLToPath(new URL('../../packages/cli/bin/pingback.js', import.meta.url));
const HOSTS = 5;
const POSTS = 20;
/** Each receiver takes this long over a discovery and over a ping: a run lasts a few seconds. */
const DELAY_MS = 150;

const pairKey = (source: string, target: string) => `${source} ${target}`;

/**
 * Blogs on loopback, one per port (so one host each to the sender's per-host limit). Their pages
 * advertise their XML-RPC endpoint by header; the endpoint registers a (source, target) the first time
 * it hears of it, on arrival as a real receiver stores before answering, and answers fault 48 after.
 */
interface Receivers {
  servers: TestServer[];
  /** pingback.ping calls per (source, target). */
  counts: Map<string, number>;
  /** Pings answered with success: one per registration. */
  registrations: string[];
  /** Called after every ping is counted. */
  onPing: (() => void) | null;
  totalPings(): number;
  totalRequests(): number;
}

async function startReceivers(): Promise<Receivers> {
  const receivers: Receivers = {
    servers: [],
    counts: new Map(),
    registrations: [],
    onPing: null,
    totalPings: () => [...receivers.counts.values()].reduce((a, b) => a + b, 0),
    totalRequests: () => receivers.servers.reduce((n, s) => n + s.requests.length, 0),
  };
  for (let h = 0; h < HOSTS; h++) {
    receivers.servers.push(
      await startServer(async (req, res, body) => {
        if (req.method === 'POST' && req.url === '/xmlrpc') {
          const [source, target] = parseMethodCall(body).params as [string, string];
          const key = pairKey(source, target);
          const n = (receivers.counts.get(key) ?? 0) + 1;
          receivers.counts.set(key, n);
          if (n === 1) receivers.registrations.push(key);
          receivers.onPing?.();
          await sleep(DELAY_MS);
          res.writeHead(200, { 'content-type': 'text/xml' });
          res.end(n === 1 ? writeMethodResponse(`registered ${source}`) : writeFault(48, 'The pingback has already been registered.'));
          return;
        }
        await sleep(DELAY_MS);
        res.writeHead(200, { 'content-type': 'text/html', 'x-pingback': `http://${req.headers.host}/xmlrpc` }).end(`<h1>${req.url}</h1>`);
      }),
    );
  }
  return receivers;
}

let dir: string;
let receivers: Receivers;
let sources: TestServer;
/** Post i links to one page on each receiving host. */
const targetsOf = (i: number) => receivers.servers.map((s) => `${s.url}/post/${i}/`);
const sourceOf = (i: number) => `${sources.url}/posts/${i}/`;

function manifest(posts: number[]): Manifest {
  return {
    version: 1,
    site: `${sources.url}/`,
    endpoint: `${sources.url}/xmlrpc`,
    hosts: [],
    pages: posts.map((i) => `/posts/${i}`),
    posts: posts.map((i) => ({ source: sourceOf(i), key: `/posts/${i}`, targets: targetsOf(i), hash: `h${i}` })),
    directories: [],
    feed: null,
  };
}
const pairsOf = (posts: number[]) => posts.flatMap((i) => targetsOf(i).map((t) => pairKey(sourceOf(i), t)));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-send-interrupted-'));
  receivers = await startReceivers();
  // The sending blog, live: each post links to its targets, as `send` checks before pinging.
  sources = await startServer((req, res) => {
    const m = /^\/posts\/(\d+)\/$/.exec(req.url ?? '');
    if (!m) return void res.writeHead(404).end('not found');
    const links = targetsOf(Number(m[1]))
      .map((t) => `<a href="${t}">a link</a>`)
      .join(' ');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><article>${links}</article>`);
  });
});
afterAll(async () => {
  await Promise.all([...receivers.servers, sources].map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

function reset(): void {
  receivers.counts.clear();
  receivers.registrations.length = 0;
  receivers.onPing = null;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  rows: SendRow[];
  stderr: string;
}

/** `pingback send --json` as CI runs it; `kill` may SIGKILL it while it works. */
function send(manifestFile: string, ledgerFile: string, onStart?: (child: ChildProcess) => void): Promise<Run> {
  const child = spawn(process.execPath, [BIN, 'send', '--manifest', manifestFile, '--ledger', ledgerFile, '--json', '--allow-private-network'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  onStart?.(child);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr, rows: code === 0 ? (JSON.parse(stdout) as SendRow[]) : [] })),
  );
}

async function writeManifest(name: string, posts: number[]): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(manifest(posts)));
  return file;
}

async function ledgerOnDisk(file: string): Promise<{ entries: LedgerEntry[]; posts: { source: string }[] }> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { entries: LedgerEntry[]; posts: { source: string }[] };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], posts: [] };
    throw error;
  }
}
const doneKeys = (entries: LedgerEntry[]) => new Set(entries.filter((e) => isDone(e.status)).map((e) => pairKey(e.source, e.target)));

/** Each pair registered exactly once, and pinged once more at most (by a run that could not know). */
function expectRegisteredOnce(pairs: string[]): void {
  expect(new Set(receivers.registrations).size).toBe(receivers.registrations.length);
  expect(new Set(receivers.registrations)).toEqual(new Set(pairs));
  for (const key of pairs) expect(receivers.counts.get(key), key).toBeGreaterThanOrEqual(1);
}

describe('pingback send, interrupted and rerun', () => {
  it('A: SIGKILLed mid-batch, then rerun: every pair registered once, re-pings only what the ledger had not recorded', async () => {
    reset();
    const all = range(0, POSTS);
    const pairs = pairsOf(all);
    expect(pairs).toHaveLength(100);
    const manifestFile = await writeManifest('a.json', all);
    const ledgerFile = join(dir, 'a-ledger.json');

    // Killed well inside the batch: as the answers to the 40th ping and its neighbours come in, when the
    // sender is busy recording them in the ledger.
    let killedPid = 0;
    const killed = await send(manifestFile, ledgerFile, (child) => {
      killedPid = child.pid!;
      receivers.onPing = () => {
        if (receivers.totalPings() === 40) setTimeout(() => child.kill('SIGKILL'), DELAY_MS + 5);
      };
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    // The kill may or may not have caught the sender holding the ledger's lock; make sure the rerun meets
    // one, as such a kill leaves it.
    if (!existsSync(`${ledgerFile}.lock`)) await writeFile(`${ledgerFile}.lock`, `${killedPid}\n`);
    receivers.onPing = null;
    await sleep(DELAY_MS * 2); // let the receivers finish what reached them
    const pingedBeforeKill = new Set(receivers.counts.keys());
    const recorded = doneKeys((await ledgerOnDisk(ledgerFile)).entries);
    expect(pingedBeforeKill.size).toBeGreaterThanOrEqual(40);
    expect(pingedBeforeKill.size).toBeLessThan(100);
    for (const key of recorded) expect(pingedBeforeKill, 'the ledger records only pings that were sent').toContain(key);

    const rerun = await send(manifestFile, ledgerFile);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(existsSync(`${ledgerFile}.lock`)).toBe(false);
    expectRegisteredOnce(pairs);
    // What the killed run sent but had not recorded is sent again (and answered 48); nothing else is.
    const pingedTwice = new Set([...receivers.counts].filter(([, n]) => n > 1).map(([key]) => key));
    const unrecorded = new Set([...pingedBeforeKill].filter((key) => !recorded.has(key)));
    expect(pingedTwice).toEqual(unrecorded);
    expect(Math.max(...receivers.counts.values())).toBeLessThanOrEqual(2);
    // At most what was in flight at the kill: the global limit, or the per-host limit over these hosts.
    expect(pingedTwice.size).toBeLessThanOrEqual(Math.min(BATCH_DEFAULTS.concurrency, HOSTS * BATCH_DEFAULTS.perHost));
    const statusOf = new Map(rerun.rows.map((r) => [pairKey(r.source, r.target), r.status]));
    for (const key of pairs) {
      const expected = recorded.has(key) ? 'skipped' : unrecorded.has(key) ? 'already-registered' : 'registered';
      expect(statusOf.get(key), key).toBe(expected);
    }

    const ledger = await ledgerOnDisk(ledgerFile);
    expect(ledger.entries).toHaveLength(100);
    expect(doneKeys(ledger.entries)).toEqual(new Set(pairs));
    expect(new Set(ledger.posts.map((p) => p.source))).toEqual(new Set(all.map(sourceOf)));

    // A third run has nothing to do: not one request to a receiver or to the blog.
    const before = { receivers: receivers.totalRequests(), sources: sources.requests.length };
    const third = await send(manifestFile, ledgerFile);
    expect(third.code, third.stderr).toBe(0);
    expect(third.rows.map((r) => r.status)).toEqual(Array(100).fill('skipped'));
    expect({ receivers: receivers.totalRequests(), sources: sources.requests.length }).toEqual(before);
  });

  it('B: two runs started together on one ledger file with overlapping outboxes lose no entry', async () => {
    reset();
    const first = range(0, 14);
    const second = range(7, POSTS);
    const ledgerFile = join(dir, 'b-ledger.json');
    const [one, two] = await Promise.all([send(await writeManifest('b1.json', first), ledgerFile), send(await writeManifest('b2.json', second), ledgerFile)]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);

    const pairs = pairsOf(range(0, POSTS));
    expectRegisteredOnce(pairs);
    // Each registration was reported by exactly one of the two runs; the other, if it pinged too, heard 48.
    const registeredRows = [...one.rows, ...two.rows].filter((r) => r.status === 'registered').map((r) => pairKey(r.source, r.target));
    expect(registeredRows.sort()).toEqual([...pairs].sort());
    for (const row of [...one.rows, ...two.rows]) expect(['registered', 'already-registered']).toContain(row.status);

    const ledger = await ledgerOnDisk(ledgerFile);
    expect(ledger.entries).toHaveLength(100);
    expect(doneKeys(ledger.entries)).toEqual(new Set(pairs));
    expect(new Set(ledger.posts.map((p) => p.source))).toEqual(new Set(range(0, POSTS).map(sourceOf)));
  });

  it('C: two sendOutbox runs in parallel on a StoreLedger over one FileStore lose no entry', async () => {
    reset();
    const storeDir = join(dir, 'c-store');
    const run = (posts: number[]) => sendOutbox(manifest(posts), { ledger: new StoreLedger(new FileStore(storeDir)), allowPrivateNetwork: true });
    const [one, two] = await Promise.all([run(range(0, 14)), run(range(7, POSTS))]);

    const pairs = pairsOf(range(0, POSTS));
    expectRegisteredOnce(pairs);
    const registeredRows = [...one.rows, ...two.rows].filter((r) => r.status === 'registered').map((r) => pairKey(r.source, r.target));
    expect(registeredRows.sort()).toEqual([...pairs].sort());

    const ledger = new StoreLedger(new FileStore(storeDir));
    for (const i of range(0, POSTS)) {
      for (const target of targetsOf(i)) {
        const entry = await ledger.get(sourceOf(i), target);
        expect(entry && isDone(entry.status), `${sourceOf(i)} → ${target}`).toBe(true);
      }
      expect((await ledger.getPost(sourceOf(i)))?.hash).toBe(`h${i}`);
    }

    const before = { receivers: receivers.totalRequests(), sources: sources.requests.length };
    const third = await sendOutbox(manifest(range(0, POSTS)), { ledger, allowPrivateNetwork: true });
    expect(third.counts.skipped).toBe(100);
    expect({ receivers: receivers.totalRequests(), sources: sources.requests.length }).toEqual(before);
  });

  it('D: two runs on one ledger in PostgreSQL take turns, so no pair is pinged twice; a killed holder frees the lock at once', async () => {
    reset();
    const postgres = await startPostgres();
    onTestFinished(() => postgres.stop());
    const url = postgres.urlFor('send_ledger');
    const [one, two] = await Promise.all([send(await writeManifest('d1.json', range(0, 14)), url), send(await writeManifest('d2.json', range(7, POSTS)), url)]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const pairs = pairsOf(range(0, POSTS));
    expectRegisteredOnce(pairs);
    // Stronger than over a file: the second run waited for the first, so it skipped what the first had sent.
    for (const key of pairs) expect(receivers.counts.get(key), key).toBe(1);
    const rows = [...one.rows, ...two.rows];
    expect(
      rows
        .filter((r) => r.status === 'registered')
        .map((r) => pairKey(r.source, r.target))
        .sort(),
    ).toEqual([...pairs].sort());
    expect(rows.filter((r) => r.status !== 'registered').map((r) => r.status)).toEqual(Array(35).fill('skipped'));

    reset();
    const killedUrl = postgres.urlFor('send_killed');
    const all = await writeManifest('d-all.json', range(0, POSTS));
    let holder!: ChildProcess;
    let second: Promise<Run> | undefined;
    let killedAt = 0;
    const killed = new Promise<void>((resolve) => {
      receivers.onPing = () => {
        if (receivers.totalPings() < 10 || second) return;
        // The second run starts while the first holds the lock, and is waiting on it when the first dies.
        second = send(all, killedUrl);
        setTimeout(() => {
          holder.kill('SIGKILL');
          killedAt = Date.now();
          resolve();
        }, 300);
      };
    });
    const first = send(all, killedUrl, (child) => (holder = child));
    await killed;
    expect((await first).signal).toBe('SIGKILL');
    const rerun = await second!;
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    expectRegisteredOnce(pairsOf(range(0, POSTS)));
    expect(rerun.rows.filter((r) => r.status === 'skipped').length).toBeGreaterThan(0);
  }, 90_000);
});
