import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

// Temporary names: a random stem drawn once per process, then a counter, so a name never repeats, not
// even after a crash left a file behind, and no random bytes are drawn per write.
const TEMP_STEM = `.${process.pid}.${randomBytes(6).toString('hex')}`;
let tempCounter = 0;

/**
 * Writes `data` to a new file with a unique name in `dir` and, unless `flush` is false, flushes it to
 * disk; returns its path. Plain file descriptors, not FileHandle objects: this runs once per stored
 * pingback, and the lighter calls matter under load.
 */
function writeTempFile(dir: string, data: string | Uint8Array, flush = true): Promise<string> {
  const temp = join(dir, `${TEMP_STEM}.${(tempCounter++).toString(36)}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return new Promise((resolve, reject) => {
    fs.open(temp, 'wx', (openError, fd) => {
      if (openError) return reject(openError);
      const finish = (error: Error | null) => fs.close(fd, (closeError) => (error || closeError ? reject(error ?? closeError) : resolve(temp)));
      fs.write(fd, bytes, 0, bytes.byteLength, 0, (writeError, written) => {
        if (writeError) return finish(writeError);
        if (written !== bytes.byteLength) return finish(new Error(`short write to ${temp}`));
        if (flush) fs.fsync(fd, (syncError) => finish(syncError));
        else finish(null);
      });
    });
  });
}

/**
 * Creates `path` holding `data` unless the name is taken, and says whether it did. The data is written
 * to a new file in `tmpDir` (same file system) and flushed, then hard-linked into place: `link` fails if
 * the name exists, so of two racing creators exactly one wins, across processes too, and no reader ever
 * sees a partial file under the final name, even if the process is killed mid-write.
 */
export async function createFileExclusive(path: string, tmpDir: string, data: string | Uint8Array): Promise<boolean> {
  const temp = await writeTempFile(tmpDir, data);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/**
 * Removes temporary files a killed process left in `dir` (any but this process's, older than a minute).
 * They hold nothing anyone reads; this only keeps the folder tidy.
 */
export async function sweepTempFiles(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const cutoff = Date.now() - 60_000;
  await Promise.all(
    names
      .filter((name) => name.endsWith('.tmp') && !name.startsWith(TEMP_STEM))
      .map(async (name) => {
        const info = await stat(join(dir, name)).catch(() => null);
        if (info && info.mtimeMs < cutoff) await unlink(join(dir, name)).catch(() => {});
      }),
  );
}

/**
 * Writes a file so that readers see the old content or the new, never a mix: write a temporary file
 * (next to the target, or in `tmpDir` on the same file system, where a sweep can find a killed
 * process's leftovers), flush it to disk, rename it over the target (atomic on POSIX), then flush the
 * folder entry so the rename itself survives a crash.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, tmpDir?: string): Promise<void> {
  const dir = await renameIntoPlace(path, data, tmpDir, true);
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

/**
 * Replaces a file so that readers see the old content or the new, never a mix (a temporary file renamed
 * over it), without flushing anything to disk: for what a build derives and writes again next time (the
 * read cache, the files it emits for the deploy). A flush waits for the disk to take everything written
 * before it, and just after a build has written its pages that took 33–40 ms a flush; a crash before the
 * kernel writes the file back loses only what the next build writes again.
 */
export async function replaceFile(path: string, data: string | Uint8Array): Promise<void> {
  await renameIntoPlace(path, data, undefined, false);
}

/** Writes `data` to a temporary file in `tmpDir` (default: beside `path`) and renames it over `path`; returns `path`'s folder. */
async function renameIntoPlace(path: string, data: string | Uint8Array, tmpDir: string | undefined, flush: boolean): Promise<string> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = await writeTempFile(tmpDir ?? dir, data, flush);
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return dir;
}
