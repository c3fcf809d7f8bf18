// What the packages' esbuild steps share: writing a bundle's files into dist/ without pulling anything away
// from a reader. Used by packages/core/scripts/bundle.ts and packages/netlify/scripts/bundle-runtime.ts.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The same sources give the same files: only what changed is written (through a temporary name and a
 * rename, so no reader sees half a file), and only files under `outdir` the new build no longer has, and
 * that `stale` says are a build's, are removed. A `pnpm pack` (whose prepack builds) while tests import
 * the bundle changes nothing under them.
 */
export async function writeBundle(
  files: readonly { path: string; contents: Uint8Array }[],
  outdir: string,
  stale: (path: string) => boolean = () => true,
): Promise<void> {
  const wanted = new Set<string>();
  for (const file of files) {
    wanted.add(file.path);
    const old = await readFile(file.path).catch(() => null);
    if (old?.equals(file.contents)) continue;
    await mkdir(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
  }
  for (const entry of await readdir(outdir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && !wanted.has(path) && stale(path)) await rm(path, { force: true });
  }
}
