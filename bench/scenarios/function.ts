import { fork } from 'node:child_process';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Manifest } from '@pingback/core';
import { emitNetlifyFunction } from '@pingback/netlify';
import type { Figure, Scenario } from '../harness.ts';
import { median } from '../harness.ts';

// Inside the repository, so the emitted Function resolves @pingback/netlify as a site's would.
const WORK = fileURLToPath(new URL('../.function/', import.meta.url));
const IMPORT_TIME = fileURLToPath(new URL('../workers/import-time.ts', import.meta.url));
const SITE = 'https://bench.example/';

/** Bundles a Function entry the way Netlify's bundler does: esbuild, ESM, Node built-ins left out. */
async function bundle(entry: string, outfile: string): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'error',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  return (await stat(outfile)).size;
}

function importOnce(file: string): Promise<{ ms: number; heap: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(IMPORT_TIME, [file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve(m as { ms: number; heap: number }));
    child.once('error', reject);
    child.once('exit', (code) => code && reject(new Error(`importing ${file} exited ${code}`)));
  });
}

/**
 * The receiving Function as the integrations emit it, bundled as Netlify bundles it, against a Function
 * that only returns a fixed response: bundle size and cold import time (a fresh process importing the
 * bundle, alternating with the trivial one).
 */
export const functionBundle: Scenario = {
  name: 'function',
  summary: 'the emitted Netlify Function: bundle size and cold import time against a trivial Function',
  async run({ smoke, log }) {
    await rm(WORK, { recursive: true, force: true });
    await mkdir(WORK, { recursive: true });
    try {
      const pages = Array.from({ length: 1000 }, (_, i) => `/posts/p${i}`);
      const manifest: Manifest = { version: 1, site: SITE, endpoint: `${SITE}xmlrpc`, hosts: [], pages, posts: [], directories: [], feed: null };
      const manifestPath = join(WORK, 'manifest.json');
      await writeFile(manifestPath, JSON.stringify(manifest));
      const { functionFile } = await emitNetlifyFunction({
        projectRoot: WORK,
        settings: {
          site: SITE,
          hosts: [],
          endpointPath: '/xmlrpc',
          readPath: '/pingbacks.json',
          moderation: 'auto',
          blocklist: [],
          rateLimit: 10,
          send: 'after-deploy',
          notifyEdits: false,
        },
        manifestPath,
        headerPaths: ['/posts/*'],
        endpoint: `${SITE}xmlrpc`,
      });
      const trivialFile = join(WORK, 'trivial.mjs');
      await writeFile(trivialFile, "export default async () => new Response('ok');\nexport const config = { path: '/xmlrpc' };\n");
      const ours = { file: join(WORK, 'out', 'pingback.mjs'), size: 0 };
      const trivial = { file: join(WORK, 'out', 'trivial.mjs'), size: 0 };
      ours.size = await bundle(functionFile, ours.file);
      trivial.size = await bundle(trivialFile, trivial.file);
      log(`bundles: ours ${ours.size} bytes, trivial ${trivial.size} bytes`);

      const rounds = smoke ? 2 : 10;
      const times = { ours: [] as number[], trivial: [] as number[] };
      let heap = 0;
      for (let r = 0; r < rounds; r++) {
        for (const which of r % 2 ? (['trivial', 'ours'] as const) : (['ours', 'trivial'] as const)) {
          const result = await importOnce(which === 'ours' ? ours.file : trivial.file);
          times[which].push(result.ms);
          if (which === 'ours') heap = result.heap;
        }
      }
      // A cold instance is a whole process start; the module's own share is the difference.
      const oursMs = median(times.ours);
      const trivialMs = median(times.trivial);
      return [
        {
          scenario: 'function',
          metric: 'bundle size',
          measured: ours.size,
          baseline: trivial.size,
          ratio: ours.size / trivial.size,
          unit: 'B',
          target: 'report',
          pass: true,
          notes: `${(ours.size / 1024).toFixed(0)} KiB, bundled with esbuild as Netlify does, manifest of ${pages.length} pages included`,
        },
        {
          scenario: 'function',
          metric: 'cold import',
          measured: oursMs,
          baseline: trivialMs,
          ratio: oursMs / trivialMs,
          unit: 'ms',
          target: 'report',
          pass: true,
          notes: `median of ${rounds} fresh processes each; heap after import ${(heap / 2 ** 20).toFixed(1)} MB`,
        },
      ] satisfies Figure[];
    } finally {
      await rm(WORK, { recursive: true, force: true });
    }
  },
};
