import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createFileExclusive } from './atomic-file.ts';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const LOCK_STALE_MS = 30_000;
/** Longer than LOCK_STALE_MS: a waiter never gives up on a lock it would soon be allowed to break. */
const LOCK_WAIT_MS = 45_000;

/** A lock's owner is gone when its process is no longer running here, or it has held it far longer than a write takes. */
async function isAbandoned(lock: string, owner: string): Promise<boolean> {
  const pid = Number.parseInt(owner, 10);
  if (pid > 0 && pid !== process.pid && !isRunning(pid)) return true;
  const info = await stat(lock).catch(() => null);
  return info !== null && Date.now() - info.mtimeMs > LOCK_STALE_MS;
}

/**
 * Moves an abandoned lock aside rather than deleting it: of two runs breaking it at once, the second may
 * have moved the lock the first has just taken, and can tell (each lock's content is unique) and put it
 * back. True when the lock is out of the way.
 */
async function breakLock(lock: string, owner: string): Promise<boolean> {
  const aside = `${lock}.${randomBytes(6).toString('hex')}.abandoned`;
  try {
    await rename(lock, aside);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
  if ((await readFile(aside, 'utf8').catch(() => owner)) !== owner) await link(aside, lock).catch(() => {});
  await rm(aside, { force: true });
  return true;
}

/**
 * Runs `fn` holding `<path>.lock`, so that processes sharing a file (the ledger) take turns at
 * read-merge-write. The
 * lock is created whole, its owner's pid already in it (written, then linked into place), so a run that
 * finds one can always tell whose it is, and a lock left by a run that was killed is broken at once.
 * Otherwise the next run, started right after the crash, gave up waiting with its pings sent but not
 * recorded.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const token = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  const started = Date.now();
  for (let wait = 5; !(await createFileExclusive(lock, dir, token)); wait = Math.min(wait * 2, 200)) {
    const owner = await readFile(lock, 'utf8').catch(() => null);
    if (owner !== null && (await isAbandoned(lock, owner)) && (await breakLock(lock, owner))) continue;
    if (Date.now() - started > LOCK_WAIT_MS) {
      throw new Error(`[@pingback/core] ${lock} has been held for over ${LOCK_WAIT_MS / 1000} s; if no other pingback process is running, delete it`);
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
