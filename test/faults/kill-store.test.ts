import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PingbackRecord } from '@pingback/core';
import { FileStore, isRecord, recordId } from '@pingback/core';

const WRITER = fileURLToPath(new URL('./store-writer.ts', import.meta.url));
/** Must match store-writer.ts: the writes it keeps in flight at once. */
const WORKERS = 8;
/** When each run is killed, counted from the writer's first acknowledged round. */
const KILL_AFTER_MS = [50, 130, 220, 310, 400];

interface Line {
  op: 'begin' | 'ack' | 'ready';
  n: number;
  kind: 'insert' | 'update' | 'meta';
  id: string;
  value: unknown;
  result?: unknown;
}

/** What one record or meta document may hold: the last acknowledged write, or the one in flight at the kill. */
interface Expected {
  kind: 'record' | 'meta';
  acked: unknown;
  inFlight: unknown;
}

/** Runs the writer on `dir`, SIGKILLs it `killAfterMs` after it is under way, and returns every line it printed. */
function runAndKill(dir: string, run: string, killAfterMs: number): Promise<{ lines: Line[]; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [WRITER, dir, run], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Line[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Line;
    lines.push(line);
    if (line.op === 'ready') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  });
  return new Promise((resolve) => child.on('close', (_code, signal) => resolve({ lines, signal, stderr })));
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

const isTemp = (file: string) => file.endsWith('.tmp');

function newRecord(source: string): PingbackRecord {
  return {
    id: recordId('/posts/after', source),
    source,
    target: 'https://blog.example/posts/after/',
    key: '/posts/after',
    status: 'approved',
    title: 'After the crash',
    excerpt: '',
    author: { name: 'Test' },
    receivedAt: new Date().toISOString(),
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-kill-store-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a FileStore whose writer is SIGKILLed mid-write', () => {
  // One store for all runs: each kill lands on a store earlier kills have already left behind.
  const expected = new Map<string, Expected>();
  const stats = { acked: 0 };

  it.each(KILL_AFTER_MS.map((ms, i) => [i, ms]))(
    'run %i, killed %i ms in: every acknowledged write is there whole, nothing partial is visible',
    async (i, killAfterMs) => {
      const { lines, signal, stderr } = await runAndKill(dir, `r${i}`, killAfterMs);
      expect(signal, stderr).toBe('SIGKILL');

      const begun = new Map<number, Line>();
      let acked = 0;
      for (const line of lines) {
        if (line.op === 'begin') {
          begun.set(line.n, line);
          const entry = expected.get(line.id) ?? { kind: line.kind === 'meta' ? 'meta' : 'record', acked: undefined, inFlight: undefined };
          entry.inFlight = line.value;
          expected.set(line.id, entry);
        } else if (line.op === 'ack') {
          const started = begun.get(line.n)!;
          if (line.kind === 'insert') expect(line.result).toBe(true);
          const entry = expected.get(line.id)!;
          entry.acked = started.value;
          entry.inFlight = undefined;
          begun.delete(line.n);
          acked++;
        }
      }
      // The kill came in the middle of writing: every loop but at most the one running had a write under way.
      expect(acked).toBeGreaterThan(WORKERS);
      expect(begun.size).toBeGreaterThanOrEqual(WORKERS - 1);
      stats.acked += acked;

      // Every file is a whole record or meta document, or a temporary file; nothing else.
      const files = await filesUnder(dir);
      for (const file of files) {
        if (isTemp(file)) continue;
        expect(file).toMatch(/\.json$/);
        const value: unknown = JSON.parse(await readFile(join(dir, file), 'utf8'));
        if (file.startsWith(`records${sep}`)) expect(isRecord(value), file).toBe(true);
        else expect(file.startsWith(`meta${sep}`), file).toBe(true);
      }

      const store = new FileStore(dir);
      for (const [id, entry] of expected) {
        const actual = entry.kind === 'record' ? await store.get(id) : await store.getMeta(id);
        const allowed = [entry.acked, entry.inFlight].filter((v) => v !== undefined);
        // An acknowledged write is there as written; one cut off by the kill is there whole or not at all.
        if (entry.acked === undefined && actual === null) allowed.push(null);
        expect(allowed, `${entry.kind} ${id}`).toContainEqual(actual);
        // From here on, what the disk holds is what the next run builds on.
        if (actual !== null) entry.acked = actual;
        entry.inFlight = undefined;
        if (actual === null) expected.delete(id);
      }

      // list() reads it all without throwing and holds exactly the records above: no temporary file shows.
      const listed = await store.list();
      const records = [...expected].filter(([, e]) => e.kind === 'record');
      expect(listed).toHaveLength(records.length);
      for (const record of listed) expect(record).toEqual(expected.get(record.id)!.acked);
      expect(new Set((await store.versions()).keys())).toEqual(new Set(records.map(([id]) => id)));

      // And the store takes new writes.
      const fresh = newRecord(`https://after.example/${i}`);
      expect(await store.insert(fresh)).toBe(true);
      expect(await store.get(fresh.id)).toEqual(fresh);
      expected.set(fresh.id, { kind: 'record', acked: fresh, inFlight: undefined });
    },
  );

  // Every temporary file of the store (inserts, updates, meta writes) is made in tmp/, so one sweep there
  // finds whatever a kill left behind.
  it('temporary files a killed writer left stay in tmp/ while young and are swept once older than a minute', async () => {
    expect(stats.acked).toBeGreaterThan(0);
    expect((await filesUnder(dir)).filter((f) => isTemp(f) && !f.startsWith('tmp/'))).toEqual([]);
    const inTmp = async () => (await filesUnder(join(dir, 'tmp'))).filter(isTemp);
    // Most kills cut an insert between creating its temporary file and removing it; should all five
    // have missed that moment, a few more kills make sure there is something to sweep.
    for (let extra = 0; (await inTmp()).length === 0 && extra < 10; extra++) await runAndKill(dir, `extra${extra}`, 60 + 40 * extra);
    const leftovers = await inTmp();
    expect(leftovers.length).toBeGreaterThan(0);

    // A store opened now sweeps on its first insert, but these are too young: a live writer may own them.
    await new FileStore(dir).insert(newRecord('https://after.example/young'));
    expect(await inTmp()).toEqual(expect.arrayContaining(leftovers));

    const old = new Date(Date.now() - 120_000);
    for (const file of await filesUnder(dir)) if (isTemp(file)) await utimes(join(dir, file), old, old);
    const before = (await new FileStore(dir).list()).map((r) => r.id).sort();
    const store = new FileStore(dir);
    const last = newRecord('https://after.example/old');
    expect(await store.insert(last)).toBe(true);
    expect((await filesUnder(dir)).filter(isTemp)).toEqual([]);
    expect((await store.list()).map((r) => r.id).sort()).toEqual([...before, last.id].sort());
  });
});
