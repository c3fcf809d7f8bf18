import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as connectSocket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { parseMethodResponse, writeMethodCall } from '@pingback/core';
import type { Served } from '../../../packages/cli/test/serve-support.ts';
import { startServe as startPingbackServe, writeServedSite } from '../../../packages/cli/test/serve-support.ts';

/**
 * The load test's parts, shared by the one-receiver run (test/hostile/load.test.ts) and the run of several
 * receivers over one PostgreSQL (test/hostile/load-postgres.test.ts): 200 source hosts on loopback, a
 * site of 100 posts, `pingback serve` started as a user would, the 3,500 requests, and a client per
 * loopback address.
 */

const RECORDER = fileURLToPath(new URL('./record-connections.ts', import.meta.url));
export const SITE = 'https://blog.example/';
export const POSTS = 100;
/** Source hosts 127.0.1.1–200 (all trusted as a range), each a distinct host for the per-host limit. */
const SOURCE_HOSTS = 200;
export const LIMIT = 10; // pingback serve's default: per minute, per client address and per source host
/** Stands for "the connection was reset or refused" among the outcomes of a request. */
export const RESET = -1;

export const sourceHost = (n: number) => `127.0.1.${n}`;
const page = (body: string) => `<!doctype html><html><head><title>Source</title></head><body>${body}</body></html>`;

/** Resident memory of a process, from /proc, in bytes. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // the process is gone; the test says so elsewhere
  }
}

export type Expect = { registered: true } | { fault: number[] };
export type Answer = { registered: true } | { fault: number };
export interface Sent {
  kind: 'valid' | 'hostile' | 'flood';
  client: string;
  body: string;
  expect: Expect;
  pair?: string;
  /** For valid pingbacks: which of the two copies this is. */
  copy?: number;
}

/** 200 source servers, one per loopback address 127.0.1.1–200, all on one port. */
export async function startSourceHosts(): Promise<{ port: number; close(): Promise<void> }> {
  const servers: Server[] = [];
  let port = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://source');
    const post = url.searchParams.get('post') ?? 'p0';
    const body =
      url.pathname === '/hidden' ? page(`<!-- <a href="${SITE}posts/${post}/">x</a> -->`) : page(`<p><a href="${SITE}posts/${post}/">a post</a></p>`);
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(body), 20);
  };
  for (let n = 1; n <= SOURCE_HOSTS; n++) {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(port, sourceHost(n), resolve));
    port = (server.address() as AddressInfo).port;
    servers.push(server);
  }
  return { port, close: () => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))).then(() => {}) };
}

/** The site: 100 built posts and their manifest, in `dir`. */
export function writeSite(dir: string): Promise<{ root: string; manifest: string }> {
  const posts = Array.from({ length: POSTS }, (_, p) => `p${p}`);
  return writeServedSite(dir, SITE, posts);
}

export type Serve = Served;

/**
 * `pingback serve` with its default rate limits over `store`, every outgoing connection attempt logged to
 * `connectionLog`, sources trusted on 127.0.1.0/24 at the sources' port.
 */
export function startServe(dir: string, store: string, sourcePort: number, connectionLog: string): Promise<Serve> {
  const site = ['--root', join(dir, 'site'), '--manifest', join(dir, 'manifest.json'), '--store', store];
  return startPingbackServe(
    [...site, '--allow-address', '127.0.1.0/24', '--allow-port', String(sourcePort), '--source-timeout', '10000'],
    dir,
    { PINGBACK_CONNECTION_LOG: connectionLog },
    ['--import', RECORDER],
  );
}

const ping = (source: string, post: string) => writeMethodCall('pingback.ping', [source, `${SITE}posts/${post}/`]);

/** 500 valid pingbacks, each sent twice at once (`copy` 0 and 1), by clients 127.0.2.1–100. */
export function validRequests(port: number): Sent[] {
  const sent: Sent[] = [];
  for (let i = 0; i < 500; i++) {
    const host = sourceHost(1 + (i % 100));
    const source = `http://${host}:${port}/valid?post=p${i % POSTS}&n=${i}`;
    for (const copy of [0, 1])
      sent.push({
        kind: 'valid',
        client: `127.0.2.${1 + ((2 * i + copy) % 100)}`,
        body: ping(source, `p${i % POSTS}`),
        expect: { registered: true },
        pair: `${source} p${i % POSTS}`,
        copy,
      });
  }
  return sent;
}

/** 2,000 hostile requests, then a flood of 500 valid ones from one client. */
export function hostileAndFlood(port: number): Sent[] {
  const sent: Sent[] = [];
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
    [ping('http://169.254.169.254/latest/meta-data/', 'p1'), [16, 49]],
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
    sent.push({
      kind: 'hostile',
      client: `127.0.4.${1 + (i % 50)}`,
      body: ping(`http://${host}:${port}/hidden?post=p${i % POSTS}&n=${i}`, `p${i % POSTS}`),
      expect: { fault: [17] },
    });
  }
  // A flood: one client, 500 valid pingbacks over source hosts 151–200; the client limit lets ten through.
  for (let i = 0; i < 500; i++) {
    const host = sourceHost(151 + (i % 50));
    sent.push({
      kind: 'flood',
      client: '127.0.5.1',
      body: ping(`http://${host}:${port}/valid?post=p${i % POSTS}&n=${i}`, `p${i % POSTS}`),
      expect: { fault: [49] },
    });
  }
  return sent;
}

/**
 * Sends every request at once, each from its client's own loopback address (as distinct callers on the
 * internet would), to the endpoint `endpointFor` picks; `onAnswer` hears each answer as it comes.
 */
export async function sendAll(
  sent: readonly Sent[],
  endpointFor: (s: Sent, i: number) => string,
  onAnswer: (done: number) => void = () => {},
): Promise<Answer[]> {
  const agents = new Map<string, Agent>();
  const agentFor = (client: string) => {
    const connect: Agent.Options['connect'] = (opts, callback) => {
      const socket = connectSocket({ host: opts.hostname, port: Number(opts.port), localAddress: client });
      socket.once('connect', () => callback(null, socket)).once('error', (error) => callback(error, null));
      return socket;
    };
    if (!agents.has(client)) agents.set(client, new Agent({ connect, connections: 16 }));
    return agents.get(client)!;
  };
  let done = 0;
  try {
    return await Promise.all(
      sent.map(async (s, i): Promise<Answer> => {
        try {
          const response = await request(endpointFor(s, i), {
            method: 'POST',
            body: s.body,
            headers: { 'content-type': 'text/xml' },
            dispatcher: agentFor(s.client),
          });
          const reply = parseMethodResponse(new Uint8Array(await response.body.arrayBuffer()));
          return reply.kind === 'fault' ? { fault: reply.faultCode } : { registered: true };
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'ECONNREFUSED') return { fault: RESET };
          throw error;
        } finally {
          onAnswer(++done);
        }
      }),
    );
  } finally {
    await Promise.all([...agents.values()].map((a) => a.close()));
  }
}

/** Each valid pair's answers, as "registered" or "fault N", sorted. */
export function answersByPair(sent: readonly Sent[], answers: readonly Answer[]): Map<string, string[]> {
  const byPair = new Map<string, string[]>();
  sent.forEach((s, i) => {
    if (s.kind !== 'valid') return;
    const a = answers[i]!;
    byPair.set(s.pair!, [...(byPair.get(s.pair!) ?? []), 'registered' in a ? 'registered' : `fault ${a.fault}`].sort());
  });
  return byPair;
}

/** The hostile requests not answered with one of their expected faults. */
export function wrongHostile(sent: readonly Sent[], answers: readonly Answer[]): unknown[] {
  return sent.flatMap((s, i) =>
    s.kind === 'hostile' && !('fault' in answers[i]! && (s.expect as { fault: number[] }).fault.includes((answers[i] as { fault: number }).fault))
      ? [[s.body.slice(0, 120), answers[i]]]
      : [],
  );
}

/** Every outgoing connection attempt a receiver made, as `address:port`. */
export async function connectionAttempts(log: string): Promise<string[]> {
  return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
}
