import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { astroBuild } from '../../../test/support/site-build.ts';
import type { TestServer } from '../../../test/support/http.ts';
import type { TargetSite } from '../../../test/support/pingback-target.ts';
import { startTargetSite } from '../../../test/support/pingback-target.ts';
import type { PythonPeer } from '../../../test/support/python.ts';
import { startPythonPeer } from '../../../test/support/python.ts';
import { serveFolder } from '../../../test/support/static-server.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/sender/', import.meta.url));
const outDir = 'dist-send';
let site: TestServer;
let target: TargetSite;
let directory: PythonPeer;

beforeAll(async () => {
  await rm(join(FIXTURE, '.pingback'), { recursive: true, force: true });
  // The built site is "deployed" as soon as it is written: this server serves the current output folder,
  // except /posts/later/, which is not live yet.
  site = await serveFolder(() => join(FIXTURE, outDir), new Set(['/posts/later/']));
  target = await startTargetSite();
  directory = await startPythonPeer();
});
afterAll(async () => {
  await Promise.all([site.close(), target.close(), directory.close()]);
  await rm(join(FIXTURE, outDir), { recursive: true, force: true });
  await rm(join(FIXTURE, '.pingback'), { recursive: true, force: true });
});

const build = (extra: Record<string, string> = {}) =>
  astroBuild(FIXTURE, {
    PINGBACK_SITE: `${site.url}/`,
    PINGBACK_TARGET: target.url,
    PINGBACK_FIXTURE_OUT: outDir,
    PINGBACK_DIRECTORY: directory.endpoint,
    ...extra,
  });

const pinged = () => target.pings.map(([source, t]) => `${new URL(source).pathname} → ${new URL(t).pathname}`).sort();

describe('send mode "build": pings leave at the end of the build, only for live posts', () => {
  it('a site that is not public (here, on loopback) pings no one and tells no directory, and says so in one line', async () => {
    const result = await build({ PINGBACK_PRIVATE_SITE: 'refuse' });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.lines.filter((l) => /^(pings|directories)/.test(l));
    expect(lines).toEqual([
      'pings (build): nothing sent and no directory told, because the site is not public (127.0.0.1 is not a public address); 5 links left for a run on the public site (allowPrivateNetwork / --allow-private-network sends anyway, for local tests)',
    ]);
    expect(target.pings).toHaveLength(0);
    expect(site.requests).toHaveLength(0);
    expect(directory.calls).toHaveLength(0);
    await expect(readFile(join(FIXTURE, '.pingback/ledger.json'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  }, 120_000);

  it('pings the external links of live posts, skips own pages, home pages and mail (C20), nothing from drafts or noindex (C22), queues what is not live', async () => {
    const result = await build();
    expect(result.code, result.stderr).toBe(0);
    expect(pinged()).toEqual(['/posts/first/ → /post/one/', '/posts/first/ → /post/two/', '/posts/second/ → /post/fault-33/']);
    expect(result.lines).toContain(
      'pings (build): 2 registered, 0 already done, 1 refused, 0 retryable, 1 no endpoint, 1 queued: run `pingback send` after deploy, in ' +
        result.lines.find((l) => l.startsWith('pings'))!.split(' in ')[1],
    );
    expect(result.lines).toContain(`queued ${site.url}/posts/later/ → ${target.url}/post/later/: not live yet: the post answers HTTP 404`);
    await directory.waitForCalls(1);
    expect(directory.calls.map((c) => c.method)).toEqual(['weblogUpdates.extendedPing']);
    expect(result.lines).toContain('directories: 1 of 1 notified about 2 new posts');
    const manifest = JSON.parse(await readFile(join(FIXTURE, '.pingback/manifest.json'), 'utf8'));
    expect(manifest.posts.map((p: { key: string }) => p.key)).toEqual(['/posts/first', '/posts/later', '/posts/second']);
  }, 120_000);

  it('a rebuild with nothing new sends nothing and tells no directory (C15)', async () => {
    const result = await build();
    expect(result.code, result.stderr).toBe(0);
    expect(target.pings).toHaveLength(3);
    expect(result.lines.find((l) => l.startsWith('pings'))).toMatch(
      /^pings \(build\): 0 registered, 0 already done, 0 refused, 0 retryable, 0 no endpoint, 1 queued.*, 4 skipped \(done before, or not due\)/,
    );
    expect(result.lines).toContain('directories: not notified (no new post)');
    expect(directory.calls).toHaveLength(1);
  }, 120_000);

  it('an edited post that gains one link pings that link only, and directories hear nothing of edits (C21)', async () => {
    const result = await build({ PINGBACK_EXTRA_LINK: '1' });
    expect(result.code, result.stderr).toBe(0);
    expect(pinged()).toEqual(['/posts/first/ → /post/one/', '/posts/first/ → /post/three/', '/posts/first/ → /post/two/', '/posts/second/ → /post/fault-33/']);
    expect(directory.calls).toHaveLength(1);
    const ledger = JSON.parse(await readFile(join(FIXTURE, '.pingback/ledger.json'), 'utf8'));
    expect(ledger.entries.map((e: { target: string; status: string }) => `${new URL(e.target).pathname} ${e.status}`).sort()).toEqual([
      '/post/fault-33/ refused',
      '/post/one/ registered',
      '/post/plain/ no-endpoint',
      '/post/three/ registered',
      '/post/two/ registered',
    ]);
  }, 120_000);
});
