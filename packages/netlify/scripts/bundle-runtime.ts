// Bundles the Function runtime (`@pingback/netlify/function`) into dist/runtime/, after `tsc -b` has
// written dist/. Netlify ships a Functions-v2 entry unbundled (zip-it-and-ship-it forces nft for it), so a
// cold instance pays Node's loader for every file the entry imports, about 0.6 ms each: one entry file
// with what a cold request needs, and what only some requests load as chunks beside it, imported on
// demand. nft follows the chunks' relative imports, so they ship with the Function.
// Run by this package's `build` and `prepack`, which the root scripts call (see CONTRIBUTING.md).
import { realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeBundle } from '../../../scripts/write-bundle.ts';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const outdir = `${dist}runtime`;
// Core from its sources, its entries and the modules below taken alike: its own dist/ is a bundle of
// entries and chunks, which the modules named below would otherwise load beside a second copy of what
// they share (two `PingbackInputError` classes, and fault codes lost between them).
const core = await realpath(fileURLToPath(new URL('../node_modules/@pingback/core/src/', import.meta.url)));
/** `@pingback/core`'s entries (its `exports`), by the source each is built from. */
const coreEntries: Record<string, string> = {
  '@pingback/core': 'index.ts',
  '@pingback/core/build': 'build/index.ts',
  '@pingback/core/node': 'receive/node-http.ts',
  '@pingback/core/receive': 'receive/index.ts',
  '@pingback/core/render': 'render/index.ts',
};

/**
 * The entry, and as entries of their own what it imports on demand: a dynamic import of an entry's module
 * loads that entry's file, so each has a name a reader (and the benchmark, and the cold-start test) can
 * find; what they share goes into chunks. undici is a chunk too: esbuild gives a lazily imported
 * CommonJS module a default export only, which core's undici loader reads.
 */
const entryPoints = {
  function: `${dist}function.js`,
  'deploy-send': `${dist}deploy-send.js`,
  'xmlrpc-parse': `${core}/xmlrpc/parse.ts`,
  'source-reading': `${core}/receive/source-reading.ts`,
  'admin-page': `${core}/admin/admin-page.ts`,
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
      name: 'core-sources',
      setup(b) {
        b.onResolve({ filter: /^@pingback\/core(\/[a-z]+)?$/ }, (args) => {
          const source = coreEntries[args.path];
          return source ? { path: `${core}/${source}` } : { errors: [{ text: `${args.path} is not an entry of @pingback/core` }] };
        });
      },
    },
    {
      name: 'entities-static',
      setup(b) {
        b.onLoad({ filter: /[\\/]html[\\/]entities-load\.ts$/ }, (args) => ({
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

await writeBundle(result.outputFiles ?? [], outdir);
