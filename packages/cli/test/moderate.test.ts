import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PingbackStore } from '@pingback/core';
import { FileStore, Receiver, parseMethodResponse, writeMethodCall } from '@pingback/core';
import { BlobsStore } from '@pingback/netlify';
import { PostgresStore } from '@pingback/postgres';
import type { LocalBlobs } from '../../../test/support/blobs.ts';
import { startLocalBlobs } from '../../../test/support/blobs.ts';
import type { TestServer } from '../../../test/support/http.ts';
import { html, startServer } from '../../../test/support/http.ts';
import { freePort } from '../../../test/support/free-port.ts';
import type { TestPostgres } from '../../../test/support/postgres.ts';
import { startPostgres } from '../../../test/support/postgres.ts';
import { record } from '../../../test/support/store-contract.ts';
import { runCli } from './serve-support.ts';

let dir: string;
let blobs: LocalBlobs;
let source: TestServer;
let postgres: TestPostgres;
const opened: PostgresStore[] = [];
let schemas = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-moderate-'));
  [blobs, postgres] = await Promise.all([startLocalBlobs(), startPostgres()]);
  source = await startServer(html('<!doctype html><title>A reply</title><p><a href="https://blog.example/posts/b/">a post</a></p>'));
});
afterAll(async () => {
  await source.close();
  await Promise.all(opened.map((s) => s.close()));
  await Promise.all([blobs.stop(), postgres.stop()]);
  await rm(dir, { recursive: true, force: true });
});

const backends: [string, () => { store: PingbackStore; flags: string[] }][] = [
  ['the file-system store', () => ({ store: new FileStore(join(dir, 'fs')), flags: ['--store', join(dir, 'fs')] })],
  [
    'Netlify Blobs (the local Blobs server)',
    () => ({
      store: new BlobsStore({ ...blobs.client }),
      flags: ['--site-id', blobs.siteID, '--token', blobs.token, '--blobs-url', blobs.url],
    }),
  ],
  [
    'PostgreSQL (--store postgres://…)',
    () => {
      const url = postgres.urlFor(`moderate${++schemas}`);
      const store = new PostgresStore({ url });
      opened.push(store);
      return { store, flags: ['--store', url] };
    },
  ],
];

describe.each(backends)('moderation commands on %s', (_name, open) => {
  it('list filters by post and status; approve, reject and delete change what readers see; block refuses a host', async () => {
    const { store, flags } = open();
    const a = record('/posts/a', 'https://one.example/', { status: 'pending', receivedAt: '2026-11-20T00:00:00.000Z' });
    const b = record('/posts/a', 'https://two.example/', { receivedAt: '2026-11-21T00:00:00.000Z' });
    const c = record('/posts/b', 'https://three.example/', { receivedAt: '2026-11-22T00:00:00.000Z' });
    for (const r of [a, b, c]) await store.insert(r);
    const ids = async (...extra: string[]) => {
      const out = await runCli(['list', '--json', ...flags, ...extra], dir);
      expect(out.code, out.stderr).toBe(0);
      return (JSON.parse(out.stdout) as { id: string }[]).map((r) => r.id);
    };
    expect(await ids()).toEqual([a.id, b.id, c.id]);
    expect(await ids('--target', 'https://blog.example/posts/a/index.html')).toEqual([a.id, b.id]);
    expect(await ids('--status', 'pending')).toEqual([a.id]);

    expect((await runCli(['approve', a.id, ...flags], dir)).stdout).toBe(`approved ${a.id} (https://one.example/ → /posts/a)\n`);
    expect((await runCli(['reject', b.id, ...flags], dir)).stdout).toBe(`rejected ${b.id} (https://two.example/ → /posts/a)\n`);
    expect((await runCli(['delete', c.id, ...flags], dir)).stdout).toBe(`deleted ${c.id} (https://three.example/ → /posts/b)\n`);
    expect(await ids('--status', 'approved')).toEqual([a.id]);
    expect(await ids('--status', 'rejected')).toEqual([b.id]);
    expect(await ids('--status', 'deleted')).toEqual([c.id]);
    expect((await store.get(c.id))?.deletedAt).toBeDefined();

    const plain = await runCli(['list', ...flags, '--status', 'approved'], dir);
    expect(plain.stdout).toContain(
      `${a.id}  approved  2026-11-20T00:00:00.000Z  /posts/a\n    from https://one.example/\n    "Title of https://one.example/" by Ann Author <https://ann.example/>`,
    );

    expect((await runCli(['block', '*.spam.example', ...flags], dir)).stdout).toMatch(/blocked \*\.spam\.example .*\(1 blocked host pattern\)/);
    expect(await store.getMeta('blocklist')).toEqual(['*.spam.example']);

    // A ping from the blocked host, through the real receiver over this store, is refused with 49 before any fetch;
    // the same page from a host that isn't blocked is registered.
    const receiver = new Receiver({
      site: 'https://blog.example/',
      store,
      pages: ['/posts/b'],
      rateLimit: 0,
      allowPrivateNetwork: true,
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    const ping = async (from: string) => {
      const body = writeMethodCall('pingback.ping', [`http://${from}:${source.port}/reply`, 'https://blog.example/posts/b/']);
      const reply = parseMethodResponse(
        new Uint8Array(await (await receiver.handle(new Request('https://blog.example/xmlrpc', { method: 'POST', body }))).arrayBuffer()),
      );
      return reply.kind === 'fault' ? reply.faultCode : reply.value;
    };
    try {
      const fetched = source.requests.length;
      expect(await ping('www.spam.example')).toBe(49);
      expect(source.requests.length).toBe(fetched);
      expect(await ping('fine.example')).toMatch(/registered/);
    } finally {
      await receiver.close();
    }
  });

  it('allow and block add hosts, --remove takes them off, hosts lists both', async () => {
    const { store, flags } = open();
    expect((await runCli(['allow', 'friend.example', ...flags], dir)).stdout).toMatch(/^allowed friend\.example in .* \(1 allowed host pattern\)\n$/);
    await runCli(['allow', '*.friends.example', ...flags], dir);
    await runCli(['block', 'spam.example', ...flags], dir);
    expect(await store.getMeta('allowlist')).toEqual(['friend.example', '*.friends.example']);
    const listed = await runCli(['hosts', '--json', ...flags], dir);
    expect(JSON.parse(listed.stdout)).toEqual({ blocklist: expect.arrayContaining(['spam.example']), allowlist: ['friend.example', '*.friends.example'] });
    expect((await runCli(['allow', 'friend.example', '--remove', ...flags], dir)).stdout).toMatch(
      /^no longer allowed: friend\.example .*\(1 allowed host pattern\)/,
    );
    const missing = await runCli(['block', 'never.example', '--remove', ...flags], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/never\.example is not on the block list/);
    expect((await runCli(['hosts', ...flags], dir)).stdout).toMatch(/allowed \(1\):\n {2}\*\.friends\.example\n$/);
  });

  it('list --json fills in protocol and kind for records from before Webmention, and shows the new fields', async () => {
    const { store, flags } = open();
    const old = record('/posts/old', 'https://five.example/');
    const w = record('/posts/w', 'https://four.example/', {
      protocol: 'webmention',
      kind: 'reply',
      url: 'https://social.example/@four/1',
      author: { name: 'Four', photo: 'https://four.example/me.png' },
      updatedAt: '2026-11-23T00:00:00.000Z',
    });
    for (const r of [old, w]) await store.insert(r);
    const listed = async (target: string) =>
      JSON.parse((await runCli(['list', '--json', '--target', target, ...flags], dir)).stdout) as Record<string, unknown>[];
    expect(await listed('/posts/old')).toMatchObject([{ id: old.id, protocol: 'pingback', kind: 'mention' }]);
    expect(await listed('/posts/w')).toMatchObject([
      {
        id: w.id,
        protocol: 'webmention',
        kind: 'reply',
        url: 'https://social.example/@four/1',
        author: { photo: 'https://four.example/me.png' },
        updatedAt: '2026-11-23T00:00:00.000Z',
      },
    ]);
  });

  it('says so when there is no such pingback, or the arguments are wrong', async () => {
    const { flags } = open();
    const missing = await runCli(['approve', '0000000000000000-0000000000000000', ...flags], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no pingback with id/);
    expect((await runCli(['list', ...flags, '--status', 'spam'], dir)).stderr).toMatch(/--status must be one of approved, pending, rejected, deleted/);
    expect((await runCli(['block', 'not a host', ...flags], dir)).stderr).toMatch(/option `host` has an entry that is not a host/);
  });
});

it('asks for both a site ID and a token for Blobs', async () => {
  const out = await runCli(['list', '--site-id', 'abc'], dir, { NETLIFY_AUTH_TOKEN: '' });
  expect(out.code).toBe(2);
  expect(out.stderr).toMatch(/needs both --site-id .* and --token/);
});

it('takes the database from PINGBACK_DATABASE_URL, and says plainly when it cannot be reached', async () => {
  const url = postgres.urlFor('from_env');
  const store = new PostgresStore({ url });
  opened.push(store);
  await store.insert(record('/posts/a', 'https://env.example/'));
  const listed = await runCli(['list', '--json'], dir, { PINGBACK_DATABASE_URL: url });
  expect(listed.code, listed.stderr).toBe(0);
  expect(JSON.parse(listed.stdout)).toHaveLength(1);

  const down = await runCli(['list', '--store', `postgres://pingback:hunter2@127.0.0.1:${await freePort()}/gone`], dir);
  expect(down.code).toBe(2);
  expect(down.stderr).toMatch(
    /^pingback list: the store failed: \[@pingback\/postgres\] could not prepare schema pingback at postgres:\/\/pingback:\*\*\*@127\.0\.0\.1:\d+\/gone \(schema pingback\): connect ECONNREFUSED/,
  );
  expect(down.stderr).not.toMatch(/hunter2|\n\s+at /);
});
