import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as connectSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@pingback/core';
import { FileStore, parseMethodResponse, writeMethodCall } from '@pingback/core';

const CLI = fileURLToPath(new URL('../../packages/cli/bin/pingback.js', import.meta.url));
const RECORDER = fileURLToPath(new URL('./support/record-connections.ts', import.meta.url));
const SITE = 'https://blog.example/';
const POSTS = 100;
/** Source hosts 127.0.1.1–200 (all trusted as a range), each a distinct host for the per-host limit. */
const SOURCE_HOSTS = 200;
const LIMIT = 10; // pingback serve's default: per minute, per client address and per source host
/** Stands for "the connection was reset" among the expected outcomes of an over-cap request. */
const RESET = -1;

const sourceHost = (n: number) => `127.0.1.${n}`;
const page = (body: string) => `<!doctype html><html><head><title>Source</title></head><body>${body}</body></html>`;

/** Resident memory of a process, from /proc, in bytes. */
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // the process is gone; the test says so elsewhere
  }
}

type Expect = { registered: true } | { fault: number[] };
interface Sent {
  kind: 'valid' | 'hostile' | 'flood';
  client: string;
  body: string;
  expect: Expect;
  pair?: string;
}

describe('load: thousands of concurrent pingbacks, valid and hostile mixed, rate limits on', () => {
  const servers: Server[] = [];
  let port = 0;
  let dir: string;
  let serve: ChildProcess;
  let endpoint: string;
  let stderr = '';

  beforeAll(async () => {
    const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://source');
      const post = url.searchParams.get('post') ?? 'p0';
      const body = url.pathname === '/hidden' ? page(`<!-- <a href="${SITE}posts/${post}/">x</a> -->`) : page(`<p><a href="${SITE}posts/${post}/">a post</a></p>`);
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(body), 20);
    };
    for (let n = 1; n <= SOURCE_HOSTS; n++) {
      const server = createServer(handler);
      await new Promise<void>((resolve) => server.listen(port, sourceHost(n), resolve));
      port = (server.address() as AddressInfo).port;
      servers.push(server);
    }
    dir = await mkdtemp(join(tmpdir(), 'pingback-load-'));
    const root = join(dir, 'site');
    for (let p = 0; p < POSTS; p++) {
      await mkdir(join(root, 'posts', `p${p}`), { recursive: true });
      await writeFile(join(root, 'posts', `p${p}`, 'index.html'), `<!doctype html><title>p${p}</title>`);
    }
    const manifest: Manifest = { version: 1, site: SITE, endpoint: `${SITE}xmlrpc`, hosts: [], pages: Array.from({ length: POSTS }, (_, p) => `/posts/p${p}`), posts: [], directories: [], feed: null };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await writeFile(join(dir, 'connections.log'), '');
    serve = spawn(
      process.execPath,
      ['--import', RECORDER, CLI, 'serve', '--root', root, '--manifest', join(dir, 'manifest.json'), '--store', join(dir, 'store'), '--port', '0',
        '--allow-address', '127.0.1.0/24', '--allow-port', String(port), '--source-timeout', '10000'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PINGBACK_CONNECTION_LOG: join(dir, 'connections.log') } },
    );
    serve.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    endpoint = await new Promise<string>((resolve, reject) => {
      serve.once('exit', (code) => reject(new Error(`pingback serve exited ${code}: ${stderr}`)));
      createInterface({ input: serve.stdout! }).on('line', (line) => {
        const m = /listening on (\S+)/.exec(line);
        if (m) resolve(`${m[1]}/xmlrpc`);
      });
    });
  });
  afterAll(async () => {
    serve?.kill('SIGINT');
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores every valid pingback exactly once, refuses every hostile one, holds its memory, and logs no error', async () => {
    const sent: Sent[] = [];
    const ping = (source: string, post: string) => writeMethodCall('pingback.ping', [source, `${SITE}posts/${post}/`]);
    // Valid: 500 distinct pingbacks from source hosts 1–100 (5 each), every one sent twice at once, by clients 127.0.2.1–100.
    for (let i = 0; i < 500; i++) {
      const host = sourceHost(1 + (i % 100));
      const source = `http://${host}:${port}/valid?post=p${i % POSTS}&n=${i}`;
      for (const copy of [0, 1]) sent.push({ kind: 'valid', client: `127.0.2.${1 + ((2 * i + copy) % 100)}`, body: ping(source, `p${i % POSTS}`), expect: { registered: true }, pair: `${source} p${i % POSTS}` });
    }
    // Hostile: 1,500 from clients 127.0.3.1–150, ten each. Sources on forbidden hosts may also meet the per-host limit (49).
    const bomb = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><methodCall><methodName>pingback.ping</methodName><params><param><value>&b;</value></param></params></methodCall>`;
    const hostile: [string, number[]][] = [
      [bomb, [-32700]],
      [`<methodCall><methodName>x</methodName><params>${'<param><value>1</value></param>'.repeat(1000)}</params></methodCall>`, [-32700]],
      // Over the 64 KiB cap: answered -32700 and the connection closed; the client may see the reset first.
      [`<methodCall><methodName>x</methodName><params><param><value>${'x'.repeat(100_000)}</value></param></params></methodCall>`, [-32700, RESET]],
      [writeMethodCall('system.multicall', [[]]), [-32601]],
      [writeMethodCall('pingback.ping', [1, 2]), [-32602]],
      [ping(`http://127.0.0.2:${port}/valid?post=p1`, 'p1'), [16, 49]],
      [ping(`http://[::1]:${port}/valid?post=p1`, 'p1'), [16, 49]],
      [ping(`http://169.254.169.254/latest/meta-data/`, 'p1'), [16, 49]],
      [ping(`http://10.0.0.1:${port}/valid?post=p1`, 'p1'), [16, 49]],
      // On a host of the trusted range that no valid pingback uses: these count against its own limit.
      [ping(`http://${sourceHost(250)}:22/valid?post=p1`, 'p1'), [16, 49]],
      [ping(`http://${sourceHost(250)}:${port}/valid?post=p1`, 'never-built'), [32]],
    ];
    for (let i = 0; i < 1500; i++) {
      const [body, codes] = hostile[i % hostile.length]!;
      sent.push({ kind: 'hostile', client: `127.0.3.${1 + (i % 150)}`, body, expect: { fault: codes } });
    }
    // Hidden links, on source hosts 101–150, ten each: fetched, verified, refused.
    for (let i = 0; i < 500; i++) {
      const host = sourceHost(101 + (i % 50));
      sent.push({ kind: 'hostile', client: `127.0.4.${1 + (i % 50)}`, body: ping(`http://${host}:${port}/hidden?post=p${i % POSTS}&n=${i}`, `p${i % POSTS}`), expect: { fault: [17] } });
    }
    // A flood: one client, 500 valid pingbacks over source hosts 151–200; the client limit lets ten through.
    for (let i = 0; i < 500; i++) {
      const host = sourceHost(151 + (i % 50));
      sent.push({ kind: 'flood', client: '127.0.5.1', body: ping(`http://${host}:${port}/valid?post=p${i % POSTS}&n=${i}`, `p${i % POSTS}`), expect: { fault: [49] } });
    }

    const agents = new Map<string, Agent>();
    const agentFor = (client: string) => {
      // Each client connects from its own loopback address, as distinct callers on the internet would.
      const connect: Agent.Options['connect'] = (opts, callback) => {
        const socket = connectSocket({ host: opts.hostname, port: Number(opts.port), localAddress: client });
        socket.once('connect', () => callback(null, socket)).once('error', (error) => callback(error, null));
        return socket;
      };
      if (!agents.has(client)) agents.set(client, new Agent({ connect, connections: 16 }));
      return agents.get(client)!;
    };
    const rssBefore = rssOf(serve.pid!);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(serve.pid!))), 50);
    const started = Date.now();
    let done = 0;
    const progress = setInterval(() => console.log(`load: ${done} answered`), 5000);
    const answers = await Promise.all(
      sent.map(async (s) => {
        try {
          const response = await request(endpoint, { method: 'POST', body: s.body, headers: { 'content-type': 'text/xml' }, dispatcher: agentFor(s.client) });
          const reply = parseMethodResponse(new Uint8Array(await response.body.arrayBuffer()));
          return reply.kind === 'fault' ? { fault: reply.faultCode } : { registered: true };
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return { fault: RESET };
          throw error;
        } finally {
          done++;
        }
      }),
    );
    const elapsed = Date.now() - started;
    clearInterval(progress);
    clearInterval(sampler);
    await Promise.all([...agents.values()].map((a) => a.close()));

    // Valid: each pair answered once "registered" and once 48, whichever came first.
    const byPair = new Map<string, string[]>();
    sent.forEach((s, i) => {
      if (s.kind !== 'valid') return;
      const a = answers[i]!;
      byPair.set(s.pair!, [...(byPair.get(s.pair!) ?? []), 'registered' in a ? 'registered' : `fault ${a.fault}`]);
    });
    const wrongPairs = [...byPair].filter(([, got]) => got.sort().join() !== 'fault 48,registered');
    expect(wrongPairs.length, `elapsed ${elapsed} ms ${JSON.stringify(answers.filter((a) => "fault" in a && a.fault === 16).length)} 16s\n${JSON.stringify(wrongPairs.slice(0, 3))}\n${stderr.split("\n").filter((l) => /unavailable/.test(l) && /127.0.1/.test(l)).slice(0, 5).join("\n")}`).toBe(0);
    // Hostile: every one refused with its fault.
    const wrongHostile = sent.flatMap((s, i) => (s.kind === 'hostile' && !('fault' in answers[i]! && (s.expect as { fault: number[] }).fault.includes((answers[i] as { fault: number }).fault)) ? [[s.body.slice(0, 120), answers[i]]] : []));
    expect(wrongHostile.length, JSON.stringify(wrongHostile.slice(0, 5))).toBe(0);
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
    const validStored = stored.filter((s) => s.includes('/valid?') && byPair.has(s));
    expect(validStored.length).toBe(500);
    expect(records.length).toBe(500 + floodRegistered);

    // Only trusted sources were ever connected to; memory stayed bounded; nothing unhandled.
    const attempts = (await readFile(join(dir, 'connections.log'), 'utf8')).split('\n').filter(Boolean);
    expect(attempts.filter((a) => !a.startsWith('127.0.1.') || !a.endsWith(`:${port}`))).toEqual([]);
    expect((rssPeak - rssBefore) / 2 ** 20).toBeLessThan(256);
    expect(serve.exitCode).toBeNull();
    expect(stderr).not.toMatch(/internal error|unhandled|uncaught|pingback serve: /i);
    console.log(`load: ${sent.length} requests in ${elapsed} ms; ${records.length} stored; serve RSS ${Math.round(rssBefore / 2 ** 20)} → peak ${Math.round(rssPeak / 2 ** 20)} MB`);
  }, 180_000);
});
