import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import { runCli } from './serve-support.ts';

const RECORDER = fileURLToPath(new URL('../../../test/hostile/support/record-connections.ts', import.meta.url));
const SOURCE = 'https://me.example/posts/reply/';
let dir: string;
let target: TestServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-webmention-cli-'));
  target = await startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path === '/both') {
      return void res
        .writeHead(200, { 'content-type': 'text/html', 'x-pingback': `http://${req.headers.host}/xmlrpc`, link: '</wm?k=1>; rel="webmention"' })
        .end('<p>both</p>');
    }
    if (req.method === 'GET' && path === '/in-page')
      return void res.writeHead(200, { 'content-type': 'text/html' }).end('<p><a rel="webmention" href="/wm">endpoint</a></p>');
    if (req.method === 'GET' && path === '/created')
      return void res.writeHead(200, { 'content-type': 'text/html', link: '</wm-created>; rel=webmention' }).end('');
    if (req.method === 'GET' && path === '/refusing')
      return void res.writeHead(200, { 'content-type': 'text/html', link: '</wm-400>; rel=webmention' }).end('');
    if (req.method === 'GET' && path === '/none') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>nothing</p>');
    if (path === '/wm') return void res.writeHead(202, { 'content-type': 'text/plain' }).end('Queued');
    if (path === '/wm-created') return void res.writeHead(201, { location: '/status/9' }).end();
    if (path === '/wm-400') return void res.writeHead(400, { 'content-type': 'text/plain' }).end('Target is not a post');
    res.writeHead(404).end();
  });
});
afterAll(async () => {
  await target.close();
  await rm(dir, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, dir, env);

describe('pingback webmention', () => {
  it('discovers the endpoint, posts, prints the JSON the issue specifies and exits 0', async () => {
    const out = await run(['webmention', SOURCE, `${target.url}/both`, '--json', '--allow-private-network']);
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ status: 'registered', endpoint: `${target.url}/wm?k=1`, httpStatus: 202, message: 'accepted (HTTP 202): Queued' });
    const post = target.requests.findLast((r) => r.method === 'POST')!;
    expect(post.path).toBe('/wm?k=1');
    expect(Object.fromEntries(new URLSearchParams(post.body))).toEqual({ source: SOURCE, target: `${target.url}/both` });
  });

  it('keeps the Location of a 201, and says how the endpoint was found in plain output', async () => {
    const json = await run(['webmention', SOURCE, `${target.url}/created`, '--json', '--allow-private-network']);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'registered', httpStatus: 201, location: `${target.url}/status/9` });
    const plain = await run(['webmention', SOURCE, `${target.url}/in-page`, '--allow-private-network']);
    expect(plain.stdout).toBe(`registered: accepted (HTTP 202): Queued\n  endpoint ${target.url}/wm (<a> element)\n`);
  });

  it('exits 1 with the reason when refused, and with no-endpoint when none is offered', async () => {
    const refused = await run(['webmention', SOURCE, `${target.url}/refusing`, '--json', '--allow-private-network']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toEqual({
      status: 'refused',
      endpoint: `${target.url}/wm-400`,
      httpStatus: 400,
      message: 'refused (HTTP 400): Target is not a post',
    });
    const none = await run(['webmention', SOURCE, `${target.url}/none`, '--json', '--allow-private-network']);
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout)).toMatchObject({ status: 'no-endpoint', endpoint: null, httpStatus: null });
  });

  it('without --allow-private-network a loopback target is never contacted: no connection attempt at all', async () => {
    const log = join(dir, 'connections.log');
    await writeFile(log, '');
    const before = target.requests.length;
    const out = await run(['webmention', SOURCE, `${target.url}/both`, '--json'], { NODE_OPTIONS: `--import=${RECORDER}`, PINGBACK_CONNECTION_LOG: log });
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({
      status: 'refused',
      endpoint: null,
      httpStatus: null,
      message: expect.stringMatching(/^not sent: the target 127\.0\.0\.1:\d+ is not a public address .*--allow-private-network allows it/),
    });
    expect(target.requests.length).toBe(before);
    expect(await readFile(log, 'utf8')).toBe('');
    // The recorder does see connections: with the flag, the same run connects.
    const allowed = await run(['webmention', SOURCE, `${target.url}/both`, '--json', '--allow-private-network'], {
      NODE_OPTIONS: `--import=${RECORDER}`,
      PINGBACK_CONNECTION_LOG: log,
    });
    expect(allowed.code).toBe(0);
    expect(await readFile(log, 'utf8')).toContain(`127.0.0.1:${target.port}`);
  });

  it('usage errors name the fix', async () => {
    expect((await run(['webmention', SOURCE])).stderr).toMatch(/expected <source> <target>, got 1 argument/);
    expect((await run(['webmention', 'nope', `${target.url}/both`])).stderr).toMatch(/^pingback webmention: source must be an absolute http\(s\) URL/);
    const help = await run(['webmention', '--help']);
    expect(help.stdout).toMatch(/--allow-private-network/);
    expect(help.stdout).toMatch(/Exit status: 0 accepted/);
  });
});

describe('pingback discover finds both endpoints with one GET', () => {
  it('adds "webmention": {"endpoint", "via"} beside the Pingback fields', async () => {
    const before = target.requests.length;
    const out = await run(['discover', `${target.url}/both`, '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({
      endpoint: `${target.url}/xmlrpc`,
      via: 'header',
      webmention: { endpoint: `${target.url}/wm?k=1`, via: 'header' },
    });
    expect(target.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /both']);
    const inPage = await run(['discover', `${target.url}/in-page`, '--json']);
    expect(inPage.code).toBe(0);
    expect(JSON.parse(inPage.stdout)).toEqual({ endpoint: null, via: null, webmention: { endpoint: `${target.url}/wm`, via: 'a' } });
  });
});

describe('pingback send: protocol flags', () => {
  it.each([
    [['--prefer', 'trackback'], /--prefer takes webmention or pingback, got "trackback"/],
    [['--no-webmention', '--no-pingback'], /--no-webmention and --no-pingback together leave nothing to send/],
    [['--prefer', 'pingback', '--no-pingback'], /--prefer pingback with --no-pingback: pick one/],
  ])('%j is a usage error', async (args, message) => {
    await writeFile(
      join(dir, 'm.json'),
      JSON.stringify({
        version: 1,
        site: 'https://me.example/',
        endpoint: 'https://me.example/xmlrpc',
        hosts: [],
        pages: [],
        posts: [],
        directories: [],
        feed: null,
      }),
    );
    const out = await run(['send', '--manifest', join(dir, 'm.json'), ...args]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
  });
});
