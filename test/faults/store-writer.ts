/**
 * Child process for kill-store.test.ts: writes to a FileStore as fast as it can until it is killed.
 * Usage: node store-writer.ts <store dir> <run label>
 *
 * Every write is announced before it starts (`begin`, with the exact value) and acknowledged once its
 * promise has resolved (`ack`). Writes to stdout on a pipe are synchronous on Linux, so an `ack` the
 * parent reads was printed after the store call returned, and nothing printed is lost to the kill.
 */
import type { PingbackRecord } from '@pingback/core';
import { FileStore, recordId } from '@pingback/core';

const [dir, run] = process.argv.slice(2);
if (!dir || !run) {
  process.stderr.write('usage: store-writer.ts <store dir> <run label>\n');
  process.exit(2);
}

/** Loops writing at once: several writes are always in flight when the kill lands. */
const WORKERS = 8;
const STATUSES = ['pending', 'approved', 'rejected'] as const;

const store = new FileStore(dir);
let seq = 0;
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function step(kind: 'insert' | 'update' | 'meta', id: string, value: unknown, write: () => Promise<unknown>): Promise<void> {
  const n = seq++;
  say({ op: 'begin', n, kind, id, value });
  const result = await write();
  say({ op: 'ack', n, kind, id, result });
}

async function worker(w: number): Promise<void> {
  const mine: PingbackRecord[] = [];
  for (let i = 0; ; i++) {
    const source = `https://writer.example/${run}/${w}/${i}`;
    const key = `/posts/${i % 5}`;
    const record: PingbackRecord = {
      id: recordId(key, source),
      source,
      target: `https://blog.example${key}/`,
      key,
      status: 'pending',
      title: `Reply ${run}/${w}/${i}`,
      excerpt: `An excerpt long enough to take more than one write call? ${'x'.repeat(200)}`,
      author: { name: `Writer ${w}` },
      receivedAt: new Date().toISOString(),
    };
    await step('insert', record.id, record, () => store.insert(record));
    mine.push(record);
    // Moderate an earlier record of this worker: the only writer of it, so its versions are in order.
    const earlier = mine[Math.floor(i / 2)]!;
    const moderated: PingbackRecord = { ...earlier, status: STATUSES[(i % 2) + 1]!, title: `${earlier.title} (moderated at ${i})` };
    await step('update', moderated.id, moderated, () => store.update(moderated));
    mine[Math.floor(i / 2)] = moderated;
    const name = `progress-${run}-${w}`;
    const progress = { run, worker: w, i, note: 'y'.repeat(100) };
    await step('meta', name, progress, () => store.setMeta(name, progress));
    if (i === 0 && w === 0) say({ op: 'ready' });
  }
}

await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
