import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaceFile, writeFileAtomic } from '../src/store/atomic-file.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atomic-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');

/** Runs `fn` counting the fsync calls made through `node:fs` meanwhile (its ES module view kept in step). */
async function countingFlushes(fn: () => Promise<void>): Promise<number> {
  const real = fs.fsync;
  let flushes = 0;
  fs.fsync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    flushes++;
    real(fd, callback);
  }) as typeof fs.fsync;
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    fs.fsync = real;
    syncBuiltinESMExports();
  }
  return flushes;
}

describe('replaceFile: a build output replaced whole, never flushed', () => {
  it('creates the folders, replaces what was there, and leaves no temporary file', async () => {
    const path = join(dir, 'a', 'b', 'cache.json');
    await replaceFile(path, '{"version":1}');
    await replaceFile(path, '{"version":2}');
    expect(await readFile(path, 'utf8')).toBe('{"version":2}');
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['cache.json']);
  });

  it('does not flush, where writeFileAtomic does', async () => {
    const path = join(dir, 'cache.json');
    expect(await countingFlushes(() => replaceFile(path, 'x'))).toBe(0);
    expect(await countingFlushes(() => writeFileAtomic(path, 'y'))).toBeGreaterThan(0);
    expect(await readFile(path, 'utf8')).toBe('y');
  });

  it('fails on a path it cannot replace, leaving what is there and no temporary file', async () => {
    const path = join(dir, 'taken');
    await mkdir(path);
    await writeFile(join(path, 'inside'), 'kept');
    await expect(replaceFile(path, 'x')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['taken']);
    expect(await readFile(join(path, 'inside'), 'utf8')).toBe('kept');
  });
});
