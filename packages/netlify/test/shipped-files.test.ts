import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipFunctions } from '@netlify/zip-it-and-ship-it';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitNetlifyFunction } from '../src/emit.ts';

/*
 * The Function runtime ships pre-bundled (dist/runtime/): an entry and chunks it imports, some only on
 * demand. Netlify packs a v2 Function with zip-it-and-ship-it's nft tracer, which keeps files as they are
 * and follows their imports; this packs an emitted site with it, as Netlify's build does, and checks that
 * every chunk the entry can reach, statically or with import(), is in what ships.
 */

const GENERATED = fileURLToPath(new URL('./.generated/shipped-files/', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const RUNTIME = fileURLToPath(new URL('../dist/runtime/', import.meta.url));
const SITE = 'https://blog.example/';

let shipped: Map<string, string[]>;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** The runtime's files reachable from its entry through relative imports, static or dynamic. */
async function reachable(entry: string): Promise<string[]> {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    const text = await readFile(join(RUNTIME, name), 'utf8');
    for (const match of text.matchAll(/(?:from |import\(?)\s*"\.\/([^"]+\.js)"/g)) {
      if (!seen.has(match[1]!)) {
        seen.add(match[1]!);
        queue.push(match[1]!);
      }
    }
  }
  return [...seen].sort();
}

beforeAll(async () => {
  await rm(GENERATED, { recursive: true, force: true });
  await mkdir(GENERATED, { recursive: true });
  const manifestPath = join(GENERATED, 'manifest.json');
  await writeFile(
    manifestPath,
    JSON.stringify({ version: 1, site: SITE, endpoint: `${SITE}xmlrpc`, hosts: [], pages: ['/posts/hello'], posts: [], directories: [], feed: null }),
  );
  await emitNetlifyFunction({
    projectRoot: GENERATED,
    settings: { site: SITE },
    manifestPath,
    headerPaths: ['/posts/*'],
    endpoint: `${SITE}xmlrpc`,
    rebuildFunction: true,
  });
  const out = join(GENERATED, 'zipped');
  const zipped = await zipFunctions([join(GENERATED, '.netlify', 'v1', 'functions')], out, {
    basePath: REPOSITORY,
    repositoryRoot: REPOSITORY,
    archiveFormat: 'none',
  });
  shipped = new Map();
  for (const fn of zipped) {
    expect(fn.runtimeAPIVersion).toBe(2);
    expect(fn.bundler).toBe('nft');
    const runtime = 'packages/netlify/dist/runtime/';
    shipped.set(
      fn.name,
      (await filesUnder(fn.path)).filter((f) => f.startsWith(runtime)).map((f) => f.slice(runtime.length)),
    );
  }
}, 60_000);
afterAll(() => rm(GENERATED, { recursive: true, force: true }));

describe('what Netlify ships of the bundled runtime', () => {
  it('every chunk the entry reaches, in each Function', async () => {
    const needed = await reachable('function.js');
    // The on-demand parts are among them: they must ship though a cold start does not load them.
    expect(needed).toEqual(expect.arrayContaining(['xmlrpc-parse.js', 'source-reading.js', 'admin-page.js', 'deploy-send.js']));
    expect([...shipped.keys()].sort()).toEqual(['pingback', 'pingback-rebuild', 'pingback-send-background']);
    for (const [name, files] of shipped) expect({ name, missing: needed.filter((f) => !files.includes(f)) }).toEqual({ name, missing: [] });
  });
});
