import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PingbackRecord, PingbackStore } from '@pingback/core';
import { FileStore, SNAPSHOT_META, tombstone } from '@pingback/core';
import { BlobsStore } from '@pingback/netlify';
import { PostgresStore } from '@pingback/postgres';
import type { LocalBlobs } from '../../../test/support/blobs.ts';
import { startLocalBlobs } from '../../../test/support/blobs.ts';
import type { TestPostgres } from '../../../test/support/postgres.ts';
import { startPostgres } from '../../../test/support/postgres.ts';
import { record } from '../../../test/support/store-contract.ts';
import { runCli } from './serve-support.ts';

const BIN = fileURLToPath(new URL('../bin/pingback.js', import.meta.url));

let dir: string;
let blobs: LocalBlobs;
let postgres: TestPostgres;
const databases: PostgresStore[] = [];
let schemas = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-migrate-'));
  [blobs, postgres] = await Promise.all([startLocalBlobs(), startPostgres()]);
});
afterAll(async () => {
  await Promise.all(databases.map((s) => s.close()));
  await Promise.all([blobs.stop(), postgres.stop()]);
  await rm(dir, { recursive: true, force: true });
});

function database(): { store: PostgresStore; url: string } {
  const url = postgres.urlFor(`migrate${++schemas}`);
  const store = new PostgresStore({ url });
  databases.push(store);
  return { store, url };
}

const byId = (records: PingbackRecord[]) => records.slice().sort((a, b) => (a.id < b.id ? -1 : 1));

async function fill(store: PingbackStore, records: readonly PingbackRecord[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < records.length) await store.insert(records[next++]!);
    }),
  );
}

function many(n: number): PingbackRecord[] {
  return Array.from({ length: n }, (_, i) =>
    record(`/posts/${i % 37}`, `https://writer${i}.example/reply/`, {
      status: i % 10 === 0 ? 'pending' : 'approved',
      receivedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    }),
  );
}

async function migrate(from: string, to: string, extra: string[] = []) {
  const out = await runCli(['migrate-store', '--from', from, '--to', to, '--json', ...extra], dir);
  return {
    ...out,
    result:
      out.code === 0 || out.code === 1
        ? (JSON.parse(out.stdout) as { records: Record<string, number>; meta: Record<string, number>; missing: string[] })
        : null,
  };
}

describe('pingback migrate-store', () => {
  it('carries every record, tombstone and meta document from files to PostgreSQL to Blobs and back to files, and a second run copies nothing', async () => {
    const files = new FileStore(join(dir, 'first'));
    const records = many(120);
    await fill(files, records);
    await files.update(tombstone(records[3]!, '2026-02-01T00:00:00.000Z'));
    await files.setMeta('blocklist', ['*.spam.example']);
    await files.setMeta('rebuild-2950000', { at: '2026-02-01T00:00:00.000Z' });
    await files.setMeta('ledger-0123456789abcdef0123-0123456789abcdef0123', {
      source: 'https://blog.example/a/',
      target: 'https://x.example/',
      status: 'registered',
      attempts: 1,
    });
    await files.setMeta(SNAPSHOT_META, { version: 1, entries: [] });
    await files.setMeta('rate-client-00000000000000000000', [Date.now()]);
    const expected = byId(await files.list());

    const { store: db, url } = database();
    const first = await migrate(join(dir, 'first'), url);
    expect(first.code, first.stderr).toBe(0);
    expect(first.result).toMatchObject({
      records: { read: 120, inserted: 120, updated: 0, unchanged: 0, failed: 0 },
      meta: { read: 3, inserted: 3, failed: 0 },
      missing: [],
    });
    expect(byId(await db.list())).toEqual(expected);
    expect(await db.metaNames()).toEqual(['blocklist', 'ledger-0123456789abcdef0123-0123456789abcdef0123', 'rebuild-2950000']);

    const again = await migrate(join(dir, 'first'), url);
    expect(again.result).toMatchObject({ records: { inserted: 0, updated: 0, unchanged: 120 }, meta: { inserted: 0, updated: 0, unchanged: 3 } });

    const blobsFlags = ['--token', blobs.token, '--blobs-url', blobs.url];
    const toBlobs = await migrate(url, `blobs:${blobs.siteID}/migrated`, blobsFlags);
    expect(toBlobs.code, toBlobs.stderr).toBe(0);
    const inBlobs = new BlobsStore({ ...blobs.client, name: 'migrated' });
    expect(byId(await inBlobs.list())).toEqual(expected);

    const back = await migrate(`blobs:${blobs.siteID}/migrated`, join(dir, 'back'), blobsFlags);
    expect(back.code, back.stderr).toBe(0);
    const returned = new FileStore(join(dir, 'back'));
    expect(byId(await returned.list())).toEqual(expected);
    expect(await returned.getMeta('blocklist')).toEqual(['*.spam.example']);
    expect(await returned.getMeta(SNAPSHOT_META)).toBe(null);
  }, 60_000);

  it('finishes a copy that was killed halfway when run again: every record once, each whole', async () => {
    const files = new FileStore(join(dir, 'big'));
    const records = many(3000);
    await fill(files, records);
    const { store: db, url } = database();
    const child = spawn(process.execPath, [BIN, 'migrate-store', '--from', join(dir, 'big'), '--to', url], { cwd: dir, stdio: 'ignore' });
    let copied = 0;
    while (copied < 300 && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      copied = (await db.versions()).size;
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // An insert the killed process had already sent may still commit on the server after it died: count
    // once the database has settled (the same count over half a second).
    let partial = (await db.versions()).size;
    for (let stable = 0; stable < 5; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = (await db.versions()).size;
      stable = now === partial ? stable + 1 : 0;
      partial = now;
    }
    expect(partial).toBeGreaterThanOrEqual(300);
    expect(partial).toBeLessThan(3000);

    const rerun = await migrate(join(dir, 'big'), url);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.result!.records).toMatchObject({ read: 3000, inserted: 3000 - partial, unchanged: partial, updated: 0, failed: 0 });
    expect(byId(await db.list())).toEqual(byId(await files.list()));
  }, 60_000);

  it('replaces what differs at the destination but never revives a deletion there, and merges blocklists', async () => {
    const from = new FileStore(join(dir, 'conflict-from'));
    const approved = record('/posts/a', 'https://one.example/');
    const deletedThere = record('/posts/a', 'https://two.example/');
    await fill(from, [approved, deletedThere]);
    await from.setMeta('blocklist', ['a.example']);
    const { store: db, url } = database();
    await db.insert({ ...approved, status: 'pending' });
    await db.insert(tombstone(deletedThere, '2026-03-01T00:00:00.000Z'));
    await db.setMeta('blocklist', ['b.example']);
    const out = await migrate(join(dir, 'conflict-from'), url);
    expect(out.result).toMatchObject({ records: { updated: 1, kept: 1, inserted: 0 }, meta: { updated: 1 } });
    expect(await db.get(approved.id)).toEqual(approved);
    expect((await db.get(deletedThere.id))?.deletedAt).toBe('2026-03-01T00:00:00.000Z');
    expect(await db.getMeta('blocklist')).toEqual(['b.example', 'a.example']);
  });

  it('refuses to copy a store onto itself, and asks for both ends', async () => {
    const same = await runCli(['migrate-store', '--from', join(dir, 'x'), '--to', join(dir, 'x')], dir);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/--from and --to are the same store/);
    expect((await runCli(['migrate-store', '--from', join(dir, 'x')], dir)).stderr).toMatch(/give both --from and --to/);
  });
});
