import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, PingbackRecord } from '@pingback/core';
import { freePort } from './support/free-port.ts';
import type { TestServer } from './support/http.ts';
import { startServer } from './support/http.ts';

// @remy/webmention (the sender behind webmention.app and netlify-plugin-webmentions) as an independent
// sender: it fetches the source, takes its links, discovers each target's endpoint from the target page
// (X-Pingback first, then a Link header, then <link>/<a> in the page) and sends.
const require = createRequire(import.meta.url);
const Webmention = require('@remy/webmention') as new (options: { limit?: number; send?: boolean }) => NodeJS.EventEmitter & { fetch(url: string): void };

const CLI = fileURLToPath(new URL('../packages/cli/bin/pingback.js', import.meta.url));

interface Site {
  url: string;
  serve: ChildProcess;
  stderr: () => string;
  store: string;
}

let dir: string;
const running: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-peers-'));
});
afterAll(async () => {
  for (const child of running) child.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

/** A built site with one post, served by `pingback serve` on a port fixed beforehand (the site's URL names it). */
async function site(name: string, advertise: { pingback: boolean; webmention: boolean }): Promise<Site> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const root = join(dir, name, 'dist');
  await mkdir(join(root, 'posts', 'hello'), { recursive: true });
  const links = [
    advertise.pingback ? `<link rel="pingback" href="${url}xmlrpc">` : '',
    advertise.webmention ? `<link rel="webmention" href="${url}webmention">` : '',
  ].join('');
  await writeFile(
    join(root, 'posts', 'hello', 'index.html'),
    `<!doctype html><html><head><title>Hello</title>${links}</head><body><article>Hello</article></body></html>`,
  );
  const manifest: Manifest = {
    version: 1,
    site: url,
    endpoint: `${url}xmlrpc`,
    webmention: `${url}webmention`,
    advertise,
    hosts: [],
    pages: ['/posts/hello'],
    posts: [],
    directories: [],
    feed: null,
  };
  await writeFile(join(dir, name, 'manifest.json'), JSON.stringify(manifest));
  const store = join(dir, name, 'store');
  const serve = spawn(
    process.execPath,
    [CLI, 'serve', '--root', root, '--manifest', join(dir, name, 'manifest.json'), '--store', store, '--port', String(port), '--allow-private-network'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.push(serve);
  let stderr = '';
  serve.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise<void>((resolve, reject) => {
    serve.once('exit', (code) => reject(new Error(`pingback serve exited ${code}: ${stderr}`)));
    createInterface({ input: serve.stdout! }).on('line', (line) => line.includes('listening on') && resolve());
  });
  return { url, serve, stderr: () => stderr, store };
}

/** The other blog, on another loopback address (remy skips links to the source's own host). */
async function source(target: string): Promise<TestServer> {
  return startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><head><title>Carol's reply</title></head><body>
<article class="h-entry"><a class="u-url" href="/reply"></a><a class="p-author h-card" href="https://carol.example/">Carol</a>
<div class="e-content">Replying to <a class="u-in-reply-to" href="${target}">Hello</a>: well said.</div></article></body></html>`);
  }, '127.0.0.2');
}

/** Runs remy's sender on the source page; resolves with what it reports sending. */
function remySend(sourceUrl: string): Promise<{ sent: { status: number; endpoint: { url: string; type: string } }[]; errors: unknown[] }> {
  return new Promise((resolve) => {
    const wm = new Webmention({ limit: 10, send: true });
    const sent: { status: number; endpoint: { url: string; type: string } }[] = [];
    const errors: unknown[] = [];
    wm.on('sent', (s: { status: number; endpoint: { url: string; type: string } }) => sent.push(s));
    wm.on('error', (e: unknown) => errors.push(e));
    wm.on('end', () => resolve({ sent, errors }));
    wm.fetch(sourceUrl);
  });
}

async function records(store: string): Promise<PingbackRecord[]> {
  const files = (await readdir(store, { recursive: true, withFileTypes: true }).catch(() => [])).filter(
    (e) => e.isFile() && e.name.endsWith('.json') && e.parentPath.includes('records'),
  );
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(f.parentPath, f.name), 'utf8')) as PingbackRecord));
}

const until = async <T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
  const stop = Date.now() + 15_000;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > stop) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('@remy/webmention sends to pingback serve', () => {
  it('discovers the Webmention endpoint from the target page and sends; its Webmention is verified and stored', async () => {
    const blog = await site('webmention', { pingback: false, webmention: true });
    const target = `${blog.url}posts/hello/`;
    const other = await source(target);
    try {
      const { sent, errors } = await remySend(`${other.url}/reply`);
      expect(errors).toEqual([]);
      expect(sent.map((s) => [s.endpoint.type, s.endpoint.url, s.status])).toEqual([['webmention', `${blog.url}webmention`, 202]]);
      const stored = await until(
        () => records(blog.store),
        (r) => r.length > 0,
      );
      expect(stored).toMatchObject([
        {
          protocol: 'webmention',
          kind: 'reply',
          source: `${other.url}/reply`,
          target,
          key: '/posts/hello',
          status: 'approved',
          author: { name: 'Carol', url: 'https://carol.example/' },
        },
      ]);
      // remy's own discovery request and the receiver's verification, and nothing else.
      expect(other.requests.map((r) => r.path)).toEqual(['/reply', '/reply']);
      expect(other.requests[1]!.headers['user-agent']).toMatch(/verifying Webmention/);
    } finally {
      await other.close();
      blog.serve.kill('SIGTERM');
    }
  });

  it('with both protocols announced it takes X-Pingback first (its own order), and that pingback is stored as one', async () => {
    const blog = await site('both', { pingback: true, webmention: true });
    const target = `${blog.url}posts/hello/`;
    const other = await source(target);
    try {
      const { sent } = await remySend(`${other.url}/reply`);
      expect(sent.map((s) => [s.endpoint.type, s.status])).toEqual([['pingback', 200]]);
      const stored = await records(blog.store);
      expect(stored).toMatchObject([{ source: `${other.url}/reply`, kind: 'reply' }]);
      expect(stored[0]!.protocol ?? 'pingback').toBe('pingback');
    } finally {
      await other.close();
      blog.serve.kill('SIGTERM');
    }
  });
});
