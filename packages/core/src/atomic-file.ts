import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Writes `data` to a new file with a unique name in `dir` and flushes it to disk; returns its path. */
export async function writeTempFile(dir: string, data: string | Uint8Array): Promise<string> {
  const temp = join(dir, `.${process.pid}.${randomBytes(8).toString('hex')}.tmp`);
  const file = await open(temp, 'wx');
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  return temp;
}

/**
 * Writes a file so that readers see the old content or the new, never a mix: write a temporary file in
 * the same folder, flush it to disk, rename it over the target (atomic on POSIX), then flush the folder
 * entry so the rename itself survives a crash.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = await writeTempFile(dir, data);
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  try {
    const folder = await open(dir, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  }
}

const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 15_000;

/**
 * Runs `fn` while holding `<path>.lock`, created exclusively, so read-modify-write cycles of one file by
 * several processes take turns. A lock older than 30 s is taken to belong to a killed process and broken.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  await mkdir(dirname(path), { recursive: true });
  const started = Date.now();
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_MS) {
        throw new Error(`[@pingback/core] ${lock} has been held for over ${LOCK_WAIT_MS / 1000} s; if no other pingback process is running, delete it`);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
