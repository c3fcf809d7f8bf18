import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry, Manifest, SendRow } from '@pingback/core';
import type { Served } from '../packages/cli/test/serve-support.ts';
import { runCli, startServe } from '../packages/cli/test/serve-support.ts';
import { freePort } from './support/free-port.ts';
import { siteBuild } from './support/site-build.ts';
import type { WebmentionReceiver } from './support/webmention-receiver.ts';
import { startWebmentionReceiver } from './support/webmention-receiver.ts';

/*
 * Updates (§3.1.4) and deletes (§3.1.5) end to end: a real Eleventy site with @pingback/eleventy, served
 * by `pingback serve` from its build output, sending with `pingback send` to a Webmention receiver peer
 * that verifies each Webmention by fetching the source. Edit a post (new text, one link removed), then
 * delete another, rebuilding each time: the receiver updates, drops the removed link, and deletes the
 * gone post's mention when the post answers 410; a last run sends nothing.
 */

const REPO = fileURLToPath(new URL('../', import.meta.url));
const FIXTURE_MODULES = join(REPO, 'packages/eleventy/test/fixtures/blog/node_modules');

let dir: string;
let site: string;
let port: number;
let peer: WebmentionReceiver;
let served: Served | undefined;

async function writePost(slug: string, text: string, links: string[]): Promise<void> {
  const list = links.map((l, i) => `- [link ${i + 1}](${l})`).join('\n');
  await writeFile(join(dir, `src/posts/${slug}.md`), `---\nlayout: post.njk\ntitle: ${slug}\n---\n${text}\n\n${list}\n`);
}

async function build(): Promise<void> {
  const result = await siteBuild('eleventy', dir);
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
}

async function send(): Promise<SendRow[]> {
  const out = await runCli(['send', '--json', '--allow-private-network', '--timeout', '5000'], dir);
  expect(out.code, out.stderr).toBe(0);
  await peer.settled();
  return JSON.parse(out.stdout) as SendRow[];
}

const rowsOf = (rows: SendRow[]) =>
  Object.fromEntries(rows.map((r) => [`${new URL(r.source).pathname} → ${new URL(r.target).pathname}`, [r.status, r.protocol, r.why ?? ''].join(' ').trim()]));

beforeAll(async () => {
  peer = await startWebmentionReceiver();
  dir = await mkdtemp(join(tmpdir(), 'pingback-updates-'));
  port = await freePort();
  site = `http://127.0.0.1:${port}/`;
  await mkdir(join(dir, 'node_modules/@11ty'), { recursive: true });
  await mkdir(join(dir, 'node_modules/@pingback'), { recursive: true });
  await symlink(await realpath(join(FIXTURE_MODULES, '@11ty/eleventy')), join(dir, 'node_modules/@11ty/eleventy'), 'dir');
  await symlink(await realpath(join(FIXTURE_MODULES, '@pingback/eleventy')), join(dir, 'node_modules/@pingback/eleventy'), 'dir');
  await mkdir(join(dir, 'src/_includes'), { recursive: true });
  await mkdir(join(dir, 'src/posts'), { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'updates-site', private: true, type: 'module' }));
  // `pingback send` sends after "deploy" (here: once `pingback serve` serves the new build).
  const options = { site, send: 'off', directories: [], readFrom: 'store' };
  await writeFile(
    join(dir, 'eleventy.config.js'),
    `import pingback from '@pingback/eleventy';\nexport default function (c) {\n  c.addPlugin(pingback, ${JSON.stringify(options)});\n}\nexport const config = { dir: { input: 'src', output: '_site' } };\n`,
  );
  await writeFile(
    join(dir, 'src/_includes/post.njk'),
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>\n<body><nav><a href="/">home</a></nav><article class="h-entry"><h1>{{ title }}</h1><div class="e-content">{{ content | safe }}</div></article></body></html>\n',
  );
  await writeFile(join(dir, 'src/index.md'), '---\ntitle: Home\n---\nA blog.\n');
}, 30_000);

afterAll(async () => {
  await served?.stop();
  await peer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('updates and deletes through a real Eleventy build, pingback serve and pingback send', () => {
  const a = () => `${peer.url}/posts/a/`;
  const b = () => `${peer.url}/posts/b/`;
  const c = () => `${peer.url}/posts/c/`;

  it('first build: each link gets its Webmention, verified by the receiver', async () => {
    await writePost('hello', 'The first version.', [a(), b()]);
    await writePost('bye', 'A post that will go.', [c()]);
    await build();
    served = await startServe(['--root', join(dir, '_site'), '--port', String(port), '--allow-private-network'], dir);
    const rows = await send();
    expect(rowsOf(rows)).toEqual({
      '/posts/bye/ → /posts/c/': 'registered webmention',
      '/posts/hello/ → /posts/a/': 'registered webmention',
      '/posts/hello/ → /posts/b/': 'registered webmention',
    });
    expect([...peer.mentions.keys()].sort()).toEqual([`${site}posts/bye/ ${c()}`, `${site}posts/hello/ ${a()}`, `${site}posts/hello/ ${b()}`]);
    const manifest = JSON.parse(await readFile(join(dir, '.pingback/manifest.json'), 'utf8')) as Manifest;
    expect(manifest.posts.every((p) => typeof p.contentHash === 'string')).toBe(true);
    expect(manifest.gone).toBeUndefined();
  }, 120_000);

  it('a rebuild with no change sends nothing', async () => {
    const before = peer.received.length;
    await build();
    const rows = await send();
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['skipped']));
    expect(peer.received.length).toBe(before);
  }, 120_000);

  it('an edited post resends to its links and tells the link it lost (§3.1.4)', async () => {
    const before = peer.received.length;
    await writePost('hello', 'The second version, with more to say.', [a()]);
    await build();
    const rows = await send();
    expect(rowsOf(rows)).toEqual({
      '/posts/bye/ → /posts/c/': 'skipped webmention',
      '/posts/hello/ → /posts/a/': 'registered webmention',
      '/posts/hello/ → /posts/b/': 'registered webmention removed',
    });
    expect(
      peer.received
        .slice(before)
        .map((w) => w.target)
        .sort(),
    ).toEqual([a(), b()]);
    expect(peer.mentions.get(`${site}posts/hello/ ${a()}`)).toMatchObject({ updates: 1, text: expect.stringContaining('The second version') });
    expect(peer.mentions.has(`${site}posts/hello/ ${b()}`)).toBe(false);
    expect(peer.log).toContain(`deleted (no link) ${site}posts/hello/ ${b()}`);
  }, 120_000);

  it('a text-only edit resends too; a nav change outside the content does not', async () => {
    const before = peer.received.length;
    await writeFile(
      join(dir, 'src/_includes/post.njk'),
      (await readFile(join(dir, 'src/_includes/post.njk'), 'utf8')).replace('<a href="/">home</a>', '<a href="/">home</a> <a href="/about/">about</a>'),
    );
    await build();
    expect((await send()).filter((r) => r.status !== 'skipped')).toEqual([]);
    await writePost('hello', 'The third version.', [a()]);
    await build();
    expect(rowsOf((await send()).filter((r) => r.status !== 'skipped'))).toEqual({ '/posts/hello/ → /posts/a/': 'registered webmention' });
    expect(peer.received.length).toBe(before + 1);
  }, 180_000);

  it('a deleted post answers 410 and its targets hear once (§3.1.5); nothing more after that', async () => {
    await rm(join(dir, 'src/posts/bye.md'));
    await rm(join(dir, '_site/posts/bye'), { recursive: true, force: true });
    await build();
    const manifest = JSON.parse(await readFile(join(dir, '.pingback/manifest.json'), 'utf8')) as Manifest;
    expect(manifest.gone).toEqual([{ source: `${site}posts/bye/`, key: '/posts/bye', targets: [c()], since: expect.any(String) }]);
    const page = await fetch(`${site}posts/bye/`);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('<p class="p-name e-content">Deleted</p>');

    const before = peer.received.length;
    const rows = await send();
    expect(rowsOf(rows.filter((r) => r.status !== 'skipped'))).toEqual({ '/posts/bye/ → /posts/c/': 'registered webmention deleted' });
    expect(peer.received.slice(before).map((w) => w.target)).toEqual([c()]);
    expect(peer.mentions.has(`${site}posts/bye/ ${c()}`)).toBe(false);
    expect(peer.log).toContain(`deleted (410) ${site}posts/bye/ ${c()}`);

    const ledger = JSON.parse(await readFile(join(dir, '.pingback/ledger.json'), 'utf8')) as {
      entries: LedgerEntry[];
      posts: { source: string; targets?: string[] }[];
    };
    expect(ledger.entries.find((e) => e.target === c())).toMatchObject({ status: 'registered', protocol: 'webmention', deleted: true });
    expect(ledger.posts.find((p) => p.source === `${site}posts/hello/`)?.targets).toEqual([a()]);

    // The gone post stays gone from build to build, and is never sent again.
    await build();
    const again = await send();
    expect(again.filter((r) => r.status !== 'skipped')).toEqual([]);
    expect(peer.received.length).toBe(before + 1);
    expect((JSON.parse(await readFile(join(dir, '.pingback/manifest.json'), 'utf8')) as Manifest).gone?.map((g) => g.key)).toEqual(['/posts/bye']);
  }, 180_000);
});
