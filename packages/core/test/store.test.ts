import { fork } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { record, storeContract } from '../../../test/support/store-contract.ts';
import { FileStore } from '../src/store/file-store.ts';
import { MemoryStore } from '../src/store/memory-store.ts';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pingback-store-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

storeContract('memory', async () => new MemoryStore());
storeContract('file system', async () => new FileStore(await freshDir()));

describe('FileStore across processes', () => {
  it('of 8 processes inserting the same pingback, exactly one wins', async () => {
    const dir = await freshDir();
    const script = join(dir, 'insert.mjs');
    const core = new URL('../dist/index.js', import.meta.url).href;
    await writeFile(
      script,
      `import { FileStore } from ${JSON.stringify(core)};
       const r = JSON.parse(process.argv[2]);
       const ok = await new FileStore(process.argv[3]).insert(r);
       process.send(ok, () => process.exit(0));`,
    );
    const r = record('/posts/race', 'https://s.example/race');
    const results = await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) =>
          new Promise<boolean>((resolve, reject) => {
            const child = fork(script, [JSON.stringify({ ...r, title: `process ${i}` }), join(dir, 'store')]);
            child.once('message', (m) => resolve(m as boolean));
            child.once('error', reject);
          }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await new FileStore(join(dir, 'store')).list()).toHaveLength(1);
  });

  it('leaves no temporary files behind and lays records out by post', async () => {
    const dir = await freshDir();
    const store = new FileStore(dir);
    expect(await store.insert(record('/posts/a', 'https://s.example/1'))).toBe(true);
    expect(await store.insert(record('/posts/a', 'https://s.example/1'))).toBe(false);
    expect(await store.insert(record('/posts/a', 'https://s.example/2'))).toBe(true);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    const folders = await readdir(join(dir, 'records'));
    expect(folders).toHaveLength(1);
    expect(await readdir(join(dir, 'records', folders[0]!))).toHaveLength(2);
  });

  it('sweeps temporary files a killed process left behind, once they are stale', async () => {
    const dir = await freshDir();
    await mkdir(join(dir, 'tmp'), { recursive: true });
    const stale = join(dir, 'tmp', '.4242.deadbeef0000.0.tmp');
    const recent = join(dir, 'tmp', '.4243.deadbeef0000.0.tmp');
    await writeFile(stale, '{"half":');
    await writeFile(recent, '{"half":');
    const then = new Date(Date.now() - 3_600_000);
    await utimes(stale, then, then);
    await new FileStore(dir).insert(record('/posts/a', 'https://s.example/1'));
    expect(await readdir(join(dir, 'tmp'))).toEqual(['.4243.deadbeef0000.0.tmp']);
  });

  it('reports a store it cannot write as a StoreError', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'records'), 'a file where a folder should be');
    await expect(new FileStore(dir).insert(record('/posts/a', 'https://s.example/1'))).rejects.toMatchObject({ name: 'StoreError' });
  });
});
