// Bundles the Function runtime (`@pingback/netlify/function`) into dist/runtime/, after `tsc -b` has
// written dist/. Netlify ships a Functions-v2 entry unbundled (zip-it-and-ship-it forces nft for it), so a
// cold instance pays Node's loader for every file the entry imports, about 0.6 ms each: one entry file
// with what a cold request needs, and what only some requests load as chunks beside it, imported on
// demand. nft follows the chunks' relative imports, so they ship with the Function.
// Run by this package's `build` and `prepack`, which the root scripts call (see CONTRIBUTING.md).
import { mkdir, readFile, readdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const outdir = `${dist}runtime`;
const core = await realpath(fileURLToPath(new URL('../node_modules/@pingback/core/dist/', import.meta.url)));

/**
 * The entry, and as entries of their own what it imports on demand: a dynamic import of an entry's module
 * loads that entry's file, so each has a name a reader (and the benchmark, and the cold-start test) can
 * find; what they share goes into chunks. undici is a chunk too: esbuild gives a lazily imported
 * CommonJS module a default export only, which core's undici loader reads.
 */
const entryPoints = {
  function: `${dist}function.js`,
  'deploy-send': `${dist}deploy-send.js`,
  'xmlrpc-parse': `${core}/xmlrpc/parse.js`,
  'source-reading': `${core}/receive/source-reading.js`,
  'admin-page': `${core}/admin/admin-page.js`,
};

const result = await build({
  entryPoints,
  // The paths esbuild writes in its comments (and so the chunks' hashes) are relative to this: the same
  // files whether the root build or the package's prepack runs it.
  absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  outExtension: { '.js': '.js' },
  chunkNames: 'chunk-[hash]',
  // Loaded only for a PostgreSQL store, from the site's own install. @netlify/blobs is bundled (a cold
  // import 20 ms against 29 ms with it external): the Function uses the copy this package was built
  // with, a fixed one (SECURITY.md), whatever else the site pins.
  external: ['@pingback/postgres', 'pg'],
  // undici and saxes are CommonJS: their `require` of Node's built-ins needs one in an ES module.
  banner: { js: "import { createRequire as __pingbackRequire } from 'node:module'; const require = __pingbackRequire(import.meta.url);" },
  // Builds load entities' decoder when a page first needs it (core's html/entities-load.ts, by require
  // from core's own node_modules); a bundle has none, and a receiver decodes pages anyway: imported here.
  plugins: [
    {
      name: 'entities-static',
      setup(b) {
        b.onLoad({ filter: /[\\/]html[\\/]entities-load\.js$/ }, (args) => ({
          contents: "import * as decoders from 'entities/decode'; export function loadEntities() { return decoders; }",
          resolveDir: dirname(args.path),
          loader: 'js',
        }));
      },
    },
  ],
  sourcemap: false,
  legalComments: 'eof',
  metafile: true,
  // Written below, file by file: a rebuild while a Function or a test is running must not pull its chunks away.
  write: false,
  logLevel: 'warning',
});
if (result.errors.length > 0) process.exit(1);

/*
 * The same sources give the same files: only what changed is written (through a temporary name and a
 * rename, so no reader sees half a file), and only files the new build no longer has are removed. A
 * `pnpm pack` (whose prepack runs this) while tests import the runtime changes nothing under them.
 */
const wanted = new Set<string>();
for (const file of result.outputFiles ?? []) {
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
  if (entry.isFile() && !wanted.has(path)) await rm(path, { force: true });
}
