import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitNetlifyFunction } from '../src/emit.ts';

/*
 * A cold Function instance pays only for what its request uses. Netlify ships the v2 entry unbundled
 * (zip-it-and-ship-it's nft keeps the files as they are), so what the entry imports statically is read on
 * every cold start. These run the emitted Function in a fresh Node process and list the files it loaded.
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

/** What only some requests need: the XML parser, reading a source, the HTTP client, the moderation page, sending, the rest of core. */
const ON_DEMAND = [
  /\/parse5@/,
  /\/microformats-parser@/,
  /\/entities@/,
  /\/undici@/,
  /\/smol-toml@/,
  /\/saxes@/,
  /core\/dist\/receive\/verify\.js$/,
  /core\/dist\/admin\/admin-page\.js$/,
  /core\/dist\/send\//,
  /core\/dist\/import\//,
  /core\/dist\/build\//,
  /core\/dist\/index\.js$/,
  /netlify\/dist\/deploy-send\.js$/,
];

const onDemandIn = (files: string[]) => files.filter((f) => ON_DEMAND.some((p) => p.test(f)));

describe('the Function cold', () => {
  it('imports the receiver, its codec and its store, and nothing that only some requests use', async () => {
    const files = await loadedBy(functionFile);
    expect(files.some((f) => f.endsWith('core/dist/receive/receiver.js'))).toBe(true);
    expect(files.some((f) => /\/@netlify\+blobs@/.test(f))).toBe(true);
    expect(onDemandIn(files)).toEqual([]);
  });

  it('the scheduled rebuild function too', async () => {
    const files = await loadedBy(rebuildFile);
    expect(files.some((f) => f.endsWith('core/dist/receive/rebuild.js'))).toBe(true);
    expect(onDemandIn(files)).toEqual([]);
  });

  it("core's main entry is what the probe would catch", async () => {
    const files = await loadedBy(functionFile, '@pingback/core');
    expect(files.some((f) => /\/parse5@/.test(f))).toBe(true);
    expect(files.some((f) => /core\/dist\/send\//.test(f))).toBe(true);
  });
});
