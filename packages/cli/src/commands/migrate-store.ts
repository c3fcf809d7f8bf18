import { isDeepStrictEqual } from 'node:util';
import type { PingbackRecord, PingbackStore } from '@pingback/core';
import { BLOCKLIST_META, SNAPSHOT_META } from '@pingback/core';
import type { CommandSpec, Parsed } from '../args.ts';
import { UsageError } from '../args.ts';
import type { Io } from '../io.ts';
import { Exit } from '../io.ts';
import type { OpenedStore } from '../store-flags.ts';
import { STORE_FLAGS, openLocation } from '../store-flags.ts';

const LOCATION = 'a folder, a postgres:// URL, or blobs:SITE_ID[/STORE] (token from --token or NETLIFY_AUTH_TOKEN)';

export const migrateStoreSpec: CommandSpec = {
  name: 'migrate-store',
  summary: 'Copy every pingback (tombstones included) and meta document from one store to another: file system, Netlify Blobs, PostgreSQL.',
  positionals: [],
  flags: {
    from: { type: 'string', value: 'DIR|URL', description: `The store to copy from: ${LOCATION}.` },
    to: { type: 'string', value: 'DIR|URL', description: 'The store to copy to, written the same way; created if need be.' },
    token: STORE_FLAGS.token!,
    'blobs-url': STORE_FLAGS['blobs-url']!,
    json: { type: 'boolean', description: 'Print the counts as JSON.' },
  },
  notes: [
    'Idempotent and resumable: each record is inserted whole or not at all, so a run that was stopped is finished by running it again, and a run with nothing left to do copies nothing.',
    "A record already at the destination is replaced by the source's when they differ, except a deleted one (a tombstone), which stays deleted. Blocklists are merged. The snapshot cache, rate windows and one-use deploy tokens are not copied.",
    'Exit status: 0 when every record of the source is at the destination, 1 when some could not be written, 2 bad arguments or a store that failed.',
  ],
};

const COPY_CONCURRENCY = 16;

/** Meta documents that are caches or short-lived, rebuilt or expired at the destination by themselves. */
function isTransient(name: string): boolean {
  return name === SNAPSHOT_META || name.startsWith('rate-') || name.startsWith('send-token-');
}

interface Counts {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Differing, but kept as the destination has it (a deletion there). */
  kept: number;
  failed: number;
}

const zero = (): Counts => ({ read: 0, inserted: 0, updated: 0, unchanged: 0, kept: 0, failed: 0 });

async function eachAtOnce<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(COPY_CONCURRENCY, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function copyRecord(record: PingbackRecord, to: PingbackStore, counts: Counts): Promise<void> {
  if (await to.insert(record)) {
    counts.inserted++;
    return;
  }
  const there = await to.get(record.id);
  if (there && isDeepStrictEqual(there, record)) counts.unchanged++;
  else if (there?.deletedAt !== undefined) counts.kept++;
  else {
    await to.update(record);
    counts.updated++;
  }
}

async function copyMeta(name: string, from: PingbackStore, to: PingbackStore, counts: Counts): Promise<void> {
  let value = await from.getMeta<unknown>(name);
  if (value === null) return; // removed meanwhile
  counts.read++;
  if (await to.createMeta(name, value)) {
    counts.inserted++;
    return;
  }
  const there = await to.getMeta<unknown>(name);
  if (name === BLOCKLIST_META && Array.isArray(value) && Array.isArray(there)) value = [...new Set([...there, ...value])];
  if (isDeepStrictEqual(there, value)) counts.unchanged++;
  else {
    await to.setMeta(name, value);
    counts.updated++;
  }
}

async function migrate(from: OpenedStore, to: OpenedStore, io: Io): Promise<{ records: Counts; meta: Counts; missing: string[] }> {
  if (!from.store.metaNames) throw new UsageError(`--from: the store at ${from.where} cannot list its meta documents`);
  const records = zero();
  const meta = zero();
  const all = await from.store.list();
  records.read = all.length;
  io.stderr.write(`pingback migrate-store: ${all.length} records from ${from.where} to ${to.where}\n`);
  let done = 0;
  await eachAtOnce(all, async (record) => {
    try {
      await copyRecord(record, to.store, records);
    } catch (error) {
      records.failed++;
      io.stderr.write(`  could not copy ${record.id}: ${(error as Error).message}\n`);
    }
    if (++done % 1000 === 0) io.stderr.write(`  ${done} of ${all.length}\n`);
  });
  const names = (await from.store.metaNames()).filter((name) => !isTransient(name));
  await eachAtOnce(names, async (name) => {
    try {
      await copyMeta(name, from.store, to.store, meta);
    } catch (error) {
      meta.failed++;
      io.stderr.write(`  could not copy meta document ${name}: ${(error as Error).message}\n`);
    }
  });
  // Proof, not hope: every record of the source is now at the destination.
  const there = new Set((await to.store.list()).map((r) => r.id));
  return { records, meta, missing: all.filter((r) => !there.has(r.id)).map((r) => r.id) };
}

export async function migrateStore(parsed: Parsed, io: Io): Promise<number> {
  const f = parsed.flags;
  if (typeof f.from !== 'string' || typeof f.to !== 'string') throw new UsageError('give both --from and --to');
  const from = await openLocation(f.from, '--from', f, io);
  try {
    const to = await openLocation(f.to, '--to', f, io);
    try {
      if (from.where === to.where) throw new UsageError(`--from and --to are the same store (${from.where})`);
      const result = await migrate(from, to, io);
      if (f.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        const r = result.records;
        const m = result.meta;
        io.stdout.write(
          `records: ${r.read} read, ${r.inserted} copied, ${r.updated} updated, ${r.unchanged} already there, ${r.kept} kept as deleted there, ${r.failed} failed\n`,
        );
        io.stdout.write(`meta documents: ${m.read} read, ${m.inserted} copied, ${m.updated} updated, ${m.unchanged} already there, ${m.failed} failed\n`);
        io.stdout.write(
          result.missing.length === 0
            ? `every record of ${from.where} is in ${to.where}\n`
            : `${result.missing.length} records are missing at ${to.where}: run it again\n`,
        );
      }
      return result.missing.length === 0 && result.records.failed === 0 && result.meta.failed === 0 ? Exit.OK : Exit.NEGATIVE;
    } finally {
      await to.store.close?.();
    }
  } finally {
    await from.store.close?.();
  }
}
