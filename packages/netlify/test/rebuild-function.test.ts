import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { triggerRebuild } from '@pingback/core';
import type { LocalBlobs } from '../../../test/support/blobs.ts';
import { startLocalBlobs } from '../../../test/support/blobs.ts';
import type { TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import { BlobsStore } from '../src/blobs-store.ts';
import { emitNetlifyFunction } from '../src/emit.ts';
import type { FunctionSettings } from '../src/settings.ts';
import { GENERATOR } from '../src/template.ts';

/*
 * The Function has no timer between requests: a linkback approved after its interval's rebuild was asked
 * for is owed one, and the scheduled `pingback-rebuild` function asks for it once the interval is over.
 */

// Inside the workspace (ignored by git), so the generated module resolves '@pingback/netlify/function'.
const GENERATED = new URL('./.generated/rebuild/', import.meta.url).pathname;
const SITE = 'https://blog.example/';

interface ScheduledModule {
  default: (request: Request) => Promise<Response>;
  config: Record<string, unknown>;
}

let blobs: LocalBlobs;
let hook: TestServer;
const saved = { ...process.env };

beforeAll(async () => {
  blobs = await startLocalBlobs();
  hook = await startServer((_req, res) => void res.writeHead(200).end());
  process.env.NETLIFY_BLOBS_CONTEXT = blobs.context;
});
afterEach(() => {
  for (const key of ['PINGBACK_BUILD_HOOK_URL', 'PINGBACK_REBUILD_FUNCTION']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  hook.requests.length = 0;
});
afterAll(async () => {
  delete process.env.NETLIFY_BLOBS_CONTEXT;
  await hook.close();
  await blobs.stop();
  await rm(GENERATED, { recursive: true, force: true });
});

async function emit(name: string, settings: Partial<FunctionSettings> = {}, rebuildFunction?: boolean) {
  const project = join(GENERATED, name);
  await mkdir(project, { recursive: true });
  return emitNetlifyFunction({
    projectRoot: project,
    settings: { site: SITE, ...settings },
    manifestPath: join(project, 'manifest.json'),
    headerPaths: [],
    endpoint: null,
    ...(rebuildFunction === undefined ? {} : { rebuildFunction }),
  });
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

describe('emitting the scheduled rebuild function', () => {
  it('writes pingback-rebuild.mjs when the build hook is in the build environment, scheduled, with no path and no manifest', async () => {
    process.env.PINGBACK_BUILD_HOOK_URL = 'https://api.netlify.example/build_hooks/abc';
    const { rebuildFunctionFile } = await emit('emitted', { storeName: 'kept', moderation: 'manual' });
    expect(rebuildFunctionFile).toMatch(/\.netlify\/v1\/functions\/pingback-rebuild\.mjs$/);
    const module = (await import(rebuildFunctionFile!)) as ScheduledModule;
    expect(module.config).toEqual({ schedule: '*/5 * * * *', generator: GENERATOR });
    const source = await readFile(rebuildFunctionFile!, 'utf8');
    expect(source).not.toMatch(/manifest/);
    // Only what the rebuild needs travels: the store's name, not the receiver's settings.
    expect(source).toMatch(/"storeName": "kept"/);
    expect(source).not.toMatch(/moderation/);
    expect(source).not.toMatch(/build_hooks/);
  });

  it('runs every minute when the rebuild interval is shorter than five minutes', async () => {
    const { rebuildFunctionFile } = await emit('short', { rebuildIntervalMs: 60_000 }, true);
    expect(((await import(rebuildFunctionFile!)) as ScheduledModule).config).toMatchObject({ schedule: '* * * * *' });
  });

  it('is left out, and one from an earlier build removed, without a hook; PINGBACK_REBUILD_FUNCTION decides either way', async () => {
    process.env.PINGBACK_BUILD_HOOK_URL = 'https://api.netlify.example/build_hooks/abc';
    const first = await emit('toggled');
    expect(await exists(first.rebuildFunctionFile!)).toBe(true);
    delete process.env.PINGBACK_BUILD_HOOK_URL;
    const second = await emit('toggled');
    expect(second.rebuildFunctionFile).toBeNull();
    expect(await exists(first.rebuildFunctionFile!)).toBe(false);
    process.env.PINGBACK_REBUILD_FUNCTION = 'true';
    expect((await emit('toggled')).rebuildFunctionFile).not.toBeNull();
    process.env.PINGBACK_BUILD_HOOK_URL = 'https://api.netlify.example/build_hooks/abc';
    process.env.PINGBACK_REBUILD_FUNCTION = 'false';
    expect((await emit('toggled')).rebuildFunctionFile).toBeNull();
    process.env.PINGBACK_REBUILD_FUNCTION = 'yes';
    await expect(emit('toggled')).rejects.toThrow(/PINGBACK_REBUILD_FUNCTION.*Set it to true or false/);
  });
});

describe('the scheduled rebuild function over the local Blobs server', () => {
  it('asks the build hook once for an owed rebuild after its interval, and not again on the next run', async () => {
    const interval = 2000;
    const { rebuildFunctionFile } = await emit('owed', { storeName: 'owed', rebuildIntervalMs: interval }, true);
    const run = ((await import(rebuildFunctionFile!)) as ScheduledModule).default;
    const url = `${hook.url}/build_hooks/owed`;
    process.env.PINGBACK_BUILD_HOOK_URL = url;
    const nextInterval = () => new Promise((resolve) => setTimeout(resolve, interval - (Date.now() % interval) + 20));

    // Nothing owed yet: the hook is not called.
    expect(await (await run(new Request('http://localhost/'))).text()).toBe('nothing owed\n');
    expect(hook.requests).toHaveLength(0);

    // At the start of an interval (the function reads the real clock, so the test leaves itself the whole
    // interval for what must fall inside it): two approvals, the first rebuild asked for, the second owed.
    await nextInterval();
    const store = new BlobsStore({ name: 'owed' });
    const now = Date.now();
    expect(await triggerRebuild(store, url, interval, now)).toMatchObject({ triggered: true });
    expect(await triggerRebuild(store, url, interval, now + 1)).toMatchObject({ triggered: false });
    expect(hook.requests).toHaveLength(1);
    hook.requests.length = 0;

    // Still inside that interval: not due yet.
    await run(new Request('http://localhost/'));
    expect(Math.floor(Date.now() / interval), 'the check ran inside the interval').toBe(Math.floor(now / interval));
    expect(hook.requests).toHaveLength(0);
    await nextInterval();

    const answer = await run(new Request('http://localhost/'));
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('rebuild requested\n');
    expect(hook.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /build_hooks/owed']);

    expect(await (await run(new Request('http://localhost/'))).text()).toBe('nothing owed\n');
    expect(hook.requests).toHaveLength(1);
  });

  it('says what is wrong, and calls nothing, when the hook is not in the environment', async () => {
    const { rebuildFunctionFile } = await emit('no-hook', { storeName: 'no-hook' }, true);
    const answer = await ((await import(rebuildFunctionFile!)) as ScheduledModule).default(new Request('http://localhost/'));
    expect(await answer.text()).toBe('no build hook\n');
    expect(hook.requests).toHaveLength(0);
  });
});
