import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

/**
 * Writes a page over its old text in place: opened for writing without truncating, written from the
 * start, then cut to its new length. Truncating to nothing and writing again (what `writeFile` does) makes
 * ext4 start writing the file out at once (its auto_da_alloc heuristic), so rewriting a thousand pages
 * just built started a burst of disk writes that slowed the next build's file creation by seconds.
 */
export function rewriteFile(file: string, text: string): void {
  const bytes = Buffer.from(text);
  const fd = openSync(file, 'r+');
  try {
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at, at);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}
