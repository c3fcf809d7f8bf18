import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMethodResponse, writeMethodCall } from '@pingback/core';
import { writeReceiverSite } from '../../../test/support/receiver-cases.ts';
import type { RawReply } from '../../../test/support/raw-http.ts';
import { pool } from '../../../test/support/pool.ts';
import { rawRequest } from '../../../test/support/raw-http.ts';
import type { Served } from './serve-support.ts';
import { startServe } from './serve-support.ts';

// A live `pingback serve`, spawned as a user runs it, takes thousands of odd request lines, methods,
// headers and bodies over raw TCP, then must still be running and answer a normal request as usual.

let dir: string;
let served: Served;
let port: number;
/** The requests on the wire when the process died, if it did: the ones that killed it. */
const inFlight = new Set<string>();
let killers: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-serve-fuzz-'));
  const site = await writeReceiverSite(dir);
  served = await startServe(
    ['--root', site.root, '--manifest', site.manifestPath, '--store', join(dir, 'store'), '--rate-limit', '0', '--source-timeout', '500'],
    dir,
  );
  port = Number(new URL(served.url).port);
  served.child.once('exit', () => (killers = [...inFlight]));
});
afterAll(async () => {
  await served?.stop();
  await rm(dir, { recursive: true, force: true });
});

const alive = () => served.child.exitCode === null && served.child.signalCode === null;

async function send(bytes: string, options: { waitMs?: number; end?: boolean } = {}): Promise<RawReply> {
  inFlight.add(bytes);
  try {
    return await rawRequest(port, bytes, options);
  } finally {
    inFlight.delete(bytes);
  }
}

const line = (method: string, target: string, headers: string[] = ['Host: blog.example'], body = '') =>
  `${method} ${target} HTTP/1.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`;

async function expectHealthy(): Promise<void> {
  expect(killers, 'requests in flight when pingback serve died').toEqual([]);
  expect(alive(), `pingback serve is still running; its log:\n${served.stderr()}`).toBe(true);
  const home = await fetch(`${served.url}/posts/hello/`);
  expect(home.status).toBe(200);
  expect(home.headers.get('x-pingback')).toBe('https://blog.example/xmlrpc');
  const rpc = await fetch(served.endpoint, { method: 'POST', body: writeMethodCall('system.listMethods', []), headers: { 'content-type': 'text/xml' } });
  expect(parseMethodResponse(new Uint8Array(await rpc.arrayBuffer()))).toMatchObject({ kind: 'result', value: expect.arrayContaining(['pingback.ping']) });
}

describe('pingback serve cannot be knocked over', () => {
  it('answers the request targets that used to kill it: a path is a path (404), what the URL parser rejects is 400', async () => {
    const cases: [string, number][] = [
      [line('GET', '/.//[/'), 404],
      [line('GET', '//[/'), 404],
      [line('HEAD', '/.//[/'), 404],
      [line('POST', '/.//[/', ['Host: x', 'Content-Length: 2'], '{}'), 405],
      [line('GET', '//evil.example/posts/hello/'), 404],
      [line('GET', '/posts/hello/?x=//[/'), 200],
      [line('GET', 'http://[/'), 400],
      [line('GET', 'http://%zz/'), 400],
      [line('POST', 'http://[::1/xmlrpc', ['Host: x', 'Content-Length: 0']), 400],
      [line('GET', 'https://blog.example:99999/'), 400],
      [line('GET', 'file:///etc/passwd'), 400],
      [line('OPTIONS', '*'), 400],
      [line('GET', 'http://blog.example/posts/hello/'), 200],
      [line('GET', '/pingbacks.json?target=%2F%2F%5B%2F'), 400],
      [line('GET', '/pingbacks.json?target=http://[&cursor=%ff%fe&limit=1e999'), 400],
      [line('GET', '/', ['Host: x', `X-Big: ${'a'.repeat(20_000)}`]), 431],
      [line('GET', '/', ['Host: x', 'Content-Length: 1', 'Content-Length: 2']), 400],
      [line('GET', '/', ['Host: x', 'Transfer-Encoding: chunked', 'Content-Length: 5'], '0\r\n\r\n'), 400],
      ['GARBAGE\r\n\r\n', 400],
    ];
    for (const [request, status] of cases) {
      expect((await send(request)).status, JSON.stringify(request.slice(0, 80))).toBe(status);
    }
    await expectHealthy();
  });

  it('takes thousands of generated request lines, methods, headers and bodies and still answers', async () => {
    const seed = Date.now() ^ (Math.random() * 0x7fffffff);
    const samples = fc.sample(rawRequests(), { numRuns: 4000, seed });
    const replies = await pool(samples, 48, async (r) => ({ bytes: r.bytes, reply: await send(r.bytes, { waitMs: 300, end: r.end }) }));
    const byStatus = new Map<number | null, number>();
    for (const { reply } of replies) byStatus.set(reply.status, (byStatus.get(reply.status) ?? 0) + 1);
    expect(killers, `requests in flight when pingback serve died (fast-check seed ${seed})`).toEqual([]);
    expect(alive()).toBe(true);
    const errors = replies.filter((r) => r.reply.status !== null && r.reply.status >= 500);
    expect(
      errors.map((r) => JSON.stringify(r.bytes.slice(0, 120))),
      `5xx answers (fast-check seed ${seed})`,
    ).toEqual([]);
    // Most got through Node's parser to our own code, whose answers carry a content type (the parser's 400s don't).
    const ours = replies.filter((r) => /\r\ncontent-type:/i.test(r.reply.text)).length;
    expect(ours, `answers by status: ${JSON.stringify([...byStatus])}`).toBeGreaterThan(samples.length / 3);
    await expectHealthy();
    expect(served.stderr(), 'no 500 or crash in the log').not.toMatch(/answered 500|Uncaught|TypeError|Warning/);
  });
});

// ---------------------------------------------------------------------------------------------------
// The generated requests

const PIECES = [
  '/',
  '/',
  '.',
  '..',
  '//',
  '[',
  ']',
  '%',
  '%2e',
  '%2E%2e',
  '%2f',
  '%5c',
  '%00',
  '%c0%ae',
  '%ff',
  '%zz',
  '\\',
  '?',
  '#',
  '@',
  ':',
  '*',
  ';',
  '~',
  '|',
  '{',
  '"',
  '<',
  'xmlrpc',
  'pingbacks.json',
  'posts',
  'hello',
  'index.html',
  '404.html',
  'rss.xml',
  '?target=',
  '&cursor=',
  '&limit=',
  '=',
  'http:',
  'https:',
  'file:',
  'javascript:',
  '[::1]',
  '9'.repeat(30),
];
/** Characters a request line should not hold; Node's parser refuses most, and whatever it lets through must be handled. */
const BAD_PIECES = ['é', '日本', '😀', '\u202e', '\u0000', '\t', ' ', '\x7f', '\x01', '\r', '\n'];

/** Request targets: paths built of the pieces that trip path and URL handling, absolute forms, noise, very long paths. */
function targets(bad: boolean): fc.Arbitrary<string> {
  const piece = bad
    ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...PIECES) }, { weight: 1, arbitrary: fc.constantFrom(...BAD_PIECES) })
    : fc.constantFrom(...PIECES);
  const built = (starts: string[]) => fc.tuple(fc.constantFrom(...starts), fc.array(piece, { maxLength: 12 })).map(([start, parts]) => start + parts.join(''));
  return fc.oneof(
    { weight: 8, arbitrary: built(['/', '/', '//', '/.//', '/xmlrpc', '/pingbacks.json?', '/posts/']) },
    { weight: 2, arbitrary: built(['http://', 'http://[', 'https://blog.example', 'http://blog.example/', 'HTTP://', 'http:/', '*', 'blog.example:443']) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 7_000 }).map((n) => `/${'a/'.repeat(n)}`) },
    { weight: bad ? 2 : 0, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  );
}

const HEADER_NAMES = [
  'Content-Type',
  'Expect',
  'Connection',
  'Upgrade',
  'If-None-Match',
  'X-Forwarded-For',
  'Range',
  'Accept-Encoding',
  'Cookie',
  'Authorization',
  'X-Pingback',
];
const HEADER_VALUES = [
  '0',
  '5',
  '-1',
  '99999999999999999999',
  '1e3',
  'chunked',
  'gzip, chunked',
  'chunked, chunked',
  'identity',
  '100-continue',
  'websocket',
  'h2c',
  'close',
  'keep-alive, Upgrade',
  'text/xml',
  'text/xml; charset=utf-7',
  '*',
  'W/"x"',
  'bytes=0-0,1-1',
  '',
  ' ',
];
const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 });
const header = fc
  .tuple(
    fc.oneof({ weight: 1, arbitrary: fc.constantFrom('Content-Length', 'Transfer-Encoding') }, { weight: 8, arbitrary: fc.constantFrom(...HEADER_NAMES) }),
    fc.oneof(
      fc.constantFrom(...HEADER_VALUES),
      printable,
      fc.integer({ min: 1, max: 2_000 }).map((n) => 'v'.repeat(n)),
    ),
  )
  .map(([name, value]) => `${name}: ${value}`);
const body = fc.oneof(
  fc.constant(''),
  fc.constant(writeMethodCall('pingback.ping', ['http://127.0.0.1:9/x', 'https://blog.example/posts/hello/'])),
  fc.constant(writeMethodCall('pingback.extensions.getPingbacks', ['//[/'])),
  fc.constant(writeMethodCall('system.listMethods', [])),
  fc.constantFrom('5\r\nhello\r\n0\r\n\r\n', 'zz\r\nxx\r\n', 'ffffffffffffffff\r\n', '0\r\n\r\n', '<?xml version="1.0"?><methodCall><methodName>'),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/**
 * Two kinds, about 3:1. Well-formed requests (a real method, HTTP/1.1, CRLF, a Host) whose target,
 * headers and body are hostile: these get past Node's parser into our own code. And chaos: any method,
 * version, line end, header line or target, to see that what the parser refuses is refused cleanly.
 */
function rawRequests(): fc.Arbitrary<{ bytes: string; end: boolean }> {
  const wellFormed = fc
    .record({
      method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'QUERY'),
      target: targets(false),
      version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'),
      headers: fc.array(header, { maxLength: 3 }),
      body,
      end: fc.boolean(),
    })
    .map((r) => {
      // A body announced by its length, unless a generated header already frames it (then it is the parser's to refuse).
      const framed = r.headers.some((h) => /^(content-length|transfer-encoding):/i.test(h));
      const headers = r.body && !framed ? [...r.headers, `Content-Length: ${Buffer.byteLength(r.body)}`] : r.headers;
      return { bytes: `${r.method} ${r.target} ${r.version}\r\nHost: blog.example\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${r.body}`, end: r.end };
    });
  const chaos = fc
    .record({
      method: fc.oneof(fc.constantFrom('GET', 'POST', 'CONNECT', 'get', 'BREW', 'M-SEARCH', ''), fc.string({ unit: 'grapheme-ascii', maxLength: 8 })),
      target: targets(true),
      version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/1.1x', 'http/1.1', '', 'HTTP/1.1 extra'),
      host: fc.constantFrom(['Host: blog.example'], [], ['Host: [::1'], ['Host: a', 'Host: b'], ['Host: \u0000']),
      headers: fc.array(
        fc.oneof(
          header,
          fc.string({ unit: 'binary', maxLength: 30 }),
          fc.integer({ min: 17_000, max: 20_000 }).map((n) => `X-Big: ${'v'.repeat(n)}`),
        ),
        { maxLength: 4 },
      ),
      body,
      newline: fc.constantFrom('\r\n', '\n', '\r', '\n\r'),
      end: fc.boolean(),
    })
    .map((r) => {
      const nl = r.newline;
      return { bytes: `${r.method} ${r.target} ${r.version}${nl}${[...r.host, ...r.headers].map((h) => `${h}${nl}`).join('')}${nl}${r.body}`, end: r.end };
    });
  return fc.oneof({ weight: 3, arbitrary: wellFormed }, { weight: 1, arbitrary: chaos });
}
