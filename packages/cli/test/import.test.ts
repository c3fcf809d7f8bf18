import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, PingbackRecord } from '@pingback/core';
import { BlobsStore } from '@pingback/netlify';
import type { LocalBlobs } from '../../../test/support/blobs.ts';
import { startLocalBlobs } from '../../../test/support/blobs.ts';
import { runCli } from './serve-support.ts';

const WXR = fileURLToPath(new URL('../../core/test/fixtures/wxr/wordpress-6.1.9.xml', import.meta.url));
const JF2 = fileURLToPath(new URL('../../core/test/fixtures/jf2/mentions.jf2', import.meta.url));

const manifest: Manifest = {
  version: 1,
  site: 'https://newblog.example/',
  endpoint: 'https://newblog.example/xmlrpc',
  hosts: [],
  pages: ['/', '/posts/hello-pingbacks', '/posts/uber-cafe', '/posts/moved', '/about'],
  posts: [],
  directories: [],
  feed: null,
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-import-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function project(name: string): Promise<string> {
  const root = join(dir, name);
  await mkdir(join(root, '.pingback'), { recursive: true });
  await writeFile(join(root, '.pingback', 'manifest.json'), JSON.stringify(manifest));
  await copyFile(WXR, join(root, 'export.xml'));
  return root;
}

async function storedRecords(storeDir: string): Promise<PingbackRecord[]> {
  const out: PingbackRecord[] = [];
  const records = join(storeDir, 'records');
  for (const keyDir of await readdir(records).catch(() => [] as string[])) {
    for (const file of await readdir(join(records, keyDir))) out.push(JSON.parse(await readFile(join(records, keyDir, file), 'utf8')) as PingbackRecord);
  }
  return out;
}

describe('pingback import wordpress', () => {
  it('imports into the file store after one command, says what it did, and writes the old URLs as aliases', async () => {
    const root = await project('one');
    const first = await runCli(['import', 'wordpress', 'export.xml', '--comments'], root);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`pingback import wordpress: export.xml → ${join(root, '.pingback', 'store')}`);
    expect(first.stdout).toContain('posts and pages: 8 in the export, 3 matched (1 by the same path, 2 by slug), 5 unmatched');
    expect(first.stdout).toContain('imported: 2 pingbacks, 1 trackback, 4 comments; 0 already stored');
    expect(first.stdout).toContain('skipped: 2 in the trash, 2 unapproved, 2 on unmatched posts');
    expect(first.stdout).toContain('    https://oldblog.example/2020/06/not-moved/ ("A post that did not move", slug not-moved): 1 linkback\n');
    expect(first.stdout).toMatch(/aliases: 2 old URLs in \.pingback\/aliases\.json \(2 new\)/);
    expect(first.stdout).toContain('/2019/05/hello-pingbacks  /posts/hello-pingbacks  301');
    expect((await storedRecords(join(root, '.pingback', 'store'))).length).toBe(7);
    expect(JSON.parse(await readFile(join(root, '.pingback', 'aliases.json'), 'utf8'))).toEqual({
      version: 1,
      aliases: { '/2019/05/hello-pingbacks': '/posts/hello-pingbacks', '/2020/02/uber-cafe': '/posts/uber-cafe' },
    });

    // Again: nothing new. With the map fixed for the unmatched post: only what was missing.
    const again = await runCli(['import', 'wordpress', 'export.xml', '--comments', '--json'], root);
    const report = JSON.parse(again.stdout) as { imported: Record<string, number>; alreadyStored: number };
    expect(report.imported).toEqual({});
    expect(report.alreadyStored).toBe(7);
    await writeFile(join(root, 'map.txt'), '# the post that moved\nhttps://oldblog.example/2020/06/not-moved/  /posts/moved/\n');
    const fixed = await runCli(['import', 'wordpress', 'export.xml', '--comments', '--map', 'map.txt', '--json'], root);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ imported: { pingback: 1 }, alreadyStored: 7, posts: { via: { map: 1 } } });
    const records = await storedRecords(join(root, '.pingback', 'store'));
    expect(records.length).toBe(8);
    expect(records.find((r) => r.source === 'https://lost.example/ping')).toMatchObject({
      key: '/posts/moved',
      target: 'https://oldblog.example/2020/06/not-moved/',
      protocol: 'pingback',
    });
    // The store holds no e-mail address and no IP address from the export.
    expect(JSON.stringify(records)).not.toMatch(/@mail\.example|@oldblog\.example|203\.0\.113\.|198\.51\.100\./);
  });

  it('--dry-run reads and counts, and stores and writes nothing', async () => {
    const root = await project('dry');
    const dry = await runCli(['import', 'wordpress', 'export.xml', '--dry-run'], root);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('(dry run: nothing stored)');
    expect(dry.stdout).toContain('would import: 2 pingbacks, 1 trackback; 0 already stored');
    expect(dry.stdout).toContain('skipped: 2 in the trash, 2 unapproved, 5 comments (add --comments to import them), 1 on unmatched posts');
    expect(await readdir(join(root, '.pingback'))).toEqual(['manifest.json']);
  });

  it('a broken export, a bad map line or a missing manifest is exit 2 with what to fix, and nothing stored', async () => {
    const root = await project('bad');
    const half = (await readFile(WXR)).subarray(0, 12_000);
    await writeFile(join(root, 'half.xml'), half);
    const truncated = await runCli(['import', 'wordpress', 'half.xml', '--comments'], root);
    expect(truncated.code).toBe(2);
    expect(truncated.stderr).toMatch(/^pingback import: half\.xml: the file ends before the export does .* truncated/);
    await writeFile(join(root, 'map.txt'), '/only-one-field\n');
    const map = await runCli(['import', 'wordpress', 'export.xml', '--map', 'map.txt'], root);
    expect(map.code).toBe(2);
    expect(map.stderr).toMatch(/map\.txt, line 1: expected two URLs/);
    const format = await runCli(['import', 'blogger', 'export.xml'], root);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/the format must be wordpress or webmention-io, got "blogger"/);
    const missing = await runCli(['import', 'wordpress', 'nowhere.xml'], root);
    expect(missing.stderr).toMatch(/nowhere\.xml does not exist/);
    const noManifest = await runCli(['import', 'wordpress', 'export.xml', '--manifest', 'none.json'], root);
    expect(noManifest.code).toBe(2);
    expect(noManifest.stderr).toMatch(/none\.json does not exist\. Build the site first/);
    expect(await readdir(join(root, '.pingback'))).toEqual(['manifest.json']);
  });
});

describe('pingback import webmention-io, into Netlify Blobs', () => {
  let blobs: LocalBlobs;
  beforeAll(async () => {
    blobs = await startLocalBlobs();
  });
  afterAll(() => blobs.stop());

  it('writes through the same store flags as pingback list', async () => {
    const root = await project('blobs');
    await copyFile(JF2, join(root, 'mentions.jf2'));
    const flags = ['--site-id', blobs.siteID, '--token', blobs.token, '--blobs-url', blobs.url];
    const result = await runCli(['import', 'webmention-io', 'mentions.jf2', ...flags], root);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`→ Netlify Blobs store "pingback" of site ${blobs.siteID}`);
    expect(result.stdout).toContain('imported: 5 webmentions; 0 already stored');
    const store = new BlobsStore({ ...blobs.client });
    const records = await store.list();
    expect(records.map((r) => [r.key, r.kind, r.protocol]).sort()).toEqual([
      ['/about', 'mention', 'webmention'],
      ['/posts/hello-pingbacks', 'like', 'webmention'],
      ['/posts/hello-pingbacks', 'reply', 'webmention'],
      ['/posts/uber-cafe', 'bookmark', 'webmention'],
      ['/posts/uber-cafe', 'repost', 'webmention'],
    ]);
    const listed = await runCli(['list', '--json', ...flags], root);
    expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(5);
  });
});
