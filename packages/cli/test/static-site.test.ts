import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticSite } from '../src/serve/static-site.ts';
import { rawRequest } from '../../../test/support/raw-http.ts';
import type { Served } from './serve-support.ts';
import { startServe } from './serve-support.ts';

// A built site with symbolic links that lead out of it, next to files that must never be served.
let dir: string;
let root: string;
let served: Served;
const SECRET = 'secret outside the root';

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'pingback-static-')));
  root = join(dir, 'site');
  await mkdir(join(dir, 'outside', 'dir'), { recursive: true });
  await writeFile(join(dir, 'outside', 'secret.txt'), SECRET);
  await writeFile(join(dir, 'outside', 'secret.html'), SECRET);
  await writeFile(join(dir, 'outside', 'dir', 'index.html'), SECRET);
  await writeFile(join(dir, 'outside', 'dir', 'file.txt'), SECRET);
  await writeFile(join(dir, 'site-secret.txt'), SECRET); // beside the root, sharing its name as a prefix
  await mkdir(join(root, 'posts', 'a'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<h1>Home</h1>');
  await writeFile(join(root, 'posts', 'a', 'index.html'), '<h1>Post A</h1>');
  await writeFile(join(root, '%2e%2e'), 'a file really named %2e%2e');
  await symlink(join(dir, 'outside', 'secret.txt'), join(root, 'file-link.txt'));
  await symlink('../outside/secret.html', join(root, 'relative-link.html'));
  await symlink(join(dir, 'outside', 'dir'), join(root, 'dir-link'));
  await symlink(join(dir, 'outside'), join(root, 'posts', 'b'));
  await symlink(join(root, 'posts', 'a', 'index.html'), join(root, 'inside-link.html'));
  await symlink(join(dir, 'nowhere'), join(root, 'dangling.html'));
  await symlink(root, join(dir, 'site-link'));
  served = await startServe(['--root', root, '--site', 'https://blog.example/', '--store', join(dir, 'store')], dir);
});
afterAll(async () => {
  await served?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Paths that try to leave the root: `..` in every spelling, backslashes, NUL bytes, and links that lead out. */
const ESCAPES = [
  '/../outside/secret.txt',
  '/../../../../../../etc/passwd',
  '/%2e%2e/outside/secret.txt',
  '/%2E%2E/outside/secret.txt',
  '/.%2e/outside/secret.txt',
  '/%2e./outside/secret.txt',
  '/..%2foutside%2fsecret.txt',
  '/%2e%2e%2foutside%2fsecret.txt',
  '/posts/a/../../../outside/secret.txt',
  '/posts/a/%2e%2e/%2e%2e/%2e%2e/outside/secret.txt',
  '/%252e%252e/outside/secret.txt',
  '/..%252foutside%252fsecret.txt',
  '/%c0%ae%c0%ae/outside/secret.txt',
  '/%e0%80%ae%e0%80%ae/outside/secret.txt',
  '/..\\outside\\secret.txt',
  '/..%5coutside%5csecret.txt',
  '/%5c..%5c..%5coutside%5csecret.txt',
  '/\\..\\outside\\secret.txt',
  '/index.html%00',
  '/index.html%00.txt',
  '/file-link.txt%00',
  '/../site-secret.txt',
  '/%2e%2e/site-secret.txt',
  '/file-link.txt',
  '/relative-link.html',
  '/relative-link',
  '/dir-link/',
  '/dir-link',
  '/dir-link/file.txt',
  '/dir-link/index.html',
  '/posts/b/secret.txt',
  '/posts/b/dir/',
  '/dangling.html',
  '/．．/outside/secret.txt',
];

describe('the static server never serves a file outside --root', () => {
  it('maps every escape to no file, directly on the path it is given', () => {
    const site = new StaticSite(root);
    for (const path of ESCAPES) expect(site.fileFor(path), path).toBeNull();
    for (const path of ['\0', '/\0', '/index.html\0', '/posts\\a\\index.html', '/posts/a/\\..\\..\\..\\outside/secret.txt'])
      expect(site.fileFor(path), JSON.stringify(path)).toBeNull();
  });

  it('still serves what is inside, links within the root included, also through a root that is itself a link', () => {
    for (const site of [new StaticSite(root), new StaticSite(join(dir, 'site-link'))]) {
      expect(site.fileFor('/')).toBe(join(root, 'index.html'));
      expect(site.fileFor('/posts/a/')).toBe(join(root, 'posts', 'a', 'index.html'));
      expect(site.fileFor('/posts/a')).toBe(join(root, 'posts', 'a', 'index.html'));
      expect(site.fileFor('/posts/a/../a/')).toBe(join(root, 'posts', 'a', 'index.html'));
      expect(site.fileFor('/inside-link.html')).toBe(join(root, 'posts', 'a', 'index.html'));
      // Decoded once, as a static host does: `%252e%252e` is the file named `%2e%2e`, not a way up.
      expect(site.fileFor('/%252e%252e')).toBe(join(root, '%2e%2e'));
    }
  });

  it('over raw HTTP: every escape is a 404 and no answer holds the secret; what is inside is served', async () => {
    const port = Number(new URL(served.url).port);
    for (const path of ESCAPES) {
      for (const method of ['GET', 'HEAD']) {
        const wire = path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
        const reply = await rawRequest(port, `${method} ${wire} HTTP/1.1\r\nHost: blog.example\r\nConnection: close\r\n\r\n`, { waitMs: 1000 });
        expect(reply.status, `${method} ${path}`).toBe(404);
      }
      // The reply above is read to its head; read a whole one to see that no body leaks.
      const whole = await fetch(`${served.url}${path.replace(/\\/g, '%5C')}`);
      expect(whole.status, path).toBe(404);
      expect(await whole.text(), path).not.toContain(SECRET);
    }
    expect(await (await fetch(`${served.url}/inside-link.html`)).text()).toBe('<h1>Post A</h1>');
    expect(await (await fetch(`${served.url}/posts/a/`)).text()).toBe('<h1>Post A</h1>');
    expect(served.child.exitCode).toBeNull();
  });
});
