import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitNetlifyFunction } from '../src/emit.ts';

/*
 * A cold Function instance pays only for what its request uses. Netlify ships the v2 entry unbundled
 * (zip-it-and-ship-it's nft keeps the files as they are), so what the entry imports statically is read on
 * every cold start: the runtime is shipped pre-bundled (dist/runtime/, scripts/bundle-runtime.ts), one
 * entry and a few shared chunks, with what only some requests use in files of their own. These run the
 * emitted Function in a fresh Node process and list the files it loaded.
 */

const GENERATED = new URL('./.generated/cold-start/', import.meta.url).pathname;
const SITE = 'https://blog.example/';
const run = promisify(execFile);

// Imports the modules given, then prints the file URLs Node loaded (not its built-ins).
const PROBE = `import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ load(url, context, next) { if (!url.startsWith('node:')) loaded.push(url); return next(url, context); } });
for (const module of process.argv.slice(2)) await import(module);
process.stdout.write(JSON.stringify(loaded));
`;

let probe: string;
let functionFile: string;
let rebuildFile: string;

beforeAll(async () => {
  await mkdir(GENERATED, { recursive: true });
  probe = join(GENERATED, 'probe.mjs');
  await writeFile(probe, PROBE);
  const manifestPath = join(GENERATED, 'manifest.json');
  await writeFile(
    manifestPath,
    JSON.stringify({ version: 1, site: SITE, endpoint: `${SITE}xmlrpc`, hosts: [], pages: ['/posts/hello'], posts: [], directories: [], feed: null }),
  );
  const emitted = await emitNetlifyFunction({
    projectRoot: GENERATED,
    settings: { site: SITE },
    manifestPath,
    headerPaths: ['/posts/*'],
    endpoint: `${SITE}xmlrpc`,
    rebuildFunction: true,
  });
  functionFile = emitted.functionFile;
  rebuildFile = emitted.rebuildFunctionFile!;
});
afterAll(() => rm(GENERATED, { recursive: true, force: true }));

async function loadedBy(...modules: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, [probe, ...modules], { cwd: GENERATED });
  return JSON.parse(stdout) as string[];
}

const RUNTIME = /\/netlify\/dist\/runtime\//;

/** The runtime's files a cold instance must not read: what only some requests load, each an entry of its own. */
const ON_DEMAND = ['xmlrpc-parse.js', 'source-reading.js', 'admin-page.js', 'deploy-send.js'];

const onDemandIn = (files: string[]) => files.filter((f) => RUNTIME.test(f) && ON_DEMAND.some((name) => f.endsWith(`/runtime/${name}`)));
// Besides the emitted file and its manifest, only the runtime bundle: no module of core, no package.
const outsideRuntime = (files: string[]) => files.filter((f) => !RUNTIME.test(f) && !f.startsWith(`file://${GENERATED}`));

describe('the Function cold', () => {
  it('imports the bundled runtime entry and its shared chunks, and nothing that only some requests use', async () => {
    const files = await loadedBy(functionFile);
    expect(files.some((f) => f.endsWith('/netlify/dist/runtime/function.js'))).toBe(true);
    expect(outsideRuntime(files)).toEqual([]);
    expect(onDemandIn(files)).toEqual([]);
    // Node's loader costs about 0.6 ms a file: the entry and a handful of shared chunks.
    expect(files.filter((f) => RUNTIME.test(f)).length).toBeLessThanOrEqual(16);
  });

  it('the scheduled rebuild function too', async () => {
    const files = await loadedBy(rebuildFile);
    expect(files.some((f) => f.endsWith('/netlify/dist/runtime/function.js'))).toBe(true);
    expect(outsideRuntime(files)).toEqual([]);
    expect(onDemandIn(files)).toEqual([]);
  });

  it('what is loaded on demand is imported from the runtime by the names the probe looks for', async () => {
    const runtime = join(new URL('../dist/runtime/', import.meta.url).pathname);
    const text = (await Promise.all((await readdir(runtime)).map((name) => readFile(join(runtime, name), 'utf8')))).join('\n');
    for (const name of ON_DEMAND) expect(text).toContain(`import("./${name}")`);
    // Left to the site's install, loaded only for a PostgreSQL store.
    expect(text).toContain('import("@pingback/postgres")');
    expect((await readdir(runtime)).some((name) => name.endsWith('.map'))).toBe(false);
  });

  it('the probe sees what an unbundled import would load', async () => {
    const files = await loadedBy(functionFile, '@pingback/core');
    expect(files.some((f) => /\/parse5@/.test(f))).toBe(true);
    expect(outsideRuntime(files).some((f) => /core\/dist\/(index|chunks\/)/.test(f))).toBe(true);
  });
});
