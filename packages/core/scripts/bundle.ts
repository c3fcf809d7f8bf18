// Bundles the package's entries into dist/ with esbuild, after `tsc -b` has written the declarations there.
// A build imports this package's build entry on every run: as one file per module (55 of them, with what
// the build loads later) Node's loader took about 20 ms of its own for them, half of an Eleventy build's
// import of the plugin. Every entry is bundled in this one run: a module several entries use is one shared
// chunk, so a class (`PingbackOptionError`, `StoreError`) is the same class from every entry. What a
// build or a request loads only when it needs it stays a chunk of its own, imported on demand.
// Run by this package's `build` and `prepack`, which the root scripts call (see CONTRIBUTING.md).
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeBundle } from '../../../scripts/write-bundle.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;

/** The package's `exports`, by the file each is in dist/ (the declarations beside it are tsc's). */
const entryPoints = ['src/index.ts', 'src/build/index.ts', 'src/receive/index.ts', 'src/receive/node-http.ts', 'src/render/index.ts'];

const result = await build({
  entryPoints,
  absWorkingDir: root,
  outbase: 'src',
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // The dependencies (entities, parse5, undici, xxhash-wasm, …) load from the site's install, as before.
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: false,
  legalComments: 'eof',
  // Written below, file by file: a rebuild while a test is importing the package must not pull its chunks away.
  write: false,
  logLevel: 'warning',
});
if (result.errors.length > 0) process.exit(1);

// The declarations stay; any other JavaScript in dist/ is an earlier build's (one file per module, or old chunks).
await writeBundle(result.outputFiles ?? [], dist, (path) => path.endsWith('.js') || path.endsWith('.js.map'));
