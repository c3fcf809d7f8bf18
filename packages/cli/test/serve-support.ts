import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Manifest } from '@pingback/core';

const BIN = fileURLToPath(new URL('../bin/pingback.js', import.meta.url));

export interface Served {
  url: string;
  endpoint: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `pingback serve` as a user would, on port 0, and waits for the line that gives its address.
 * `nodeArgs` go to Node before the command (e.g. `--import` of a connection recorder).
 */
export function startServe(args: string[], cwd: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', '0', ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`pingback serve exited ${code}: ${err}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (!m) return;
      const url = m[1]!;
      resolve({
        url,
        endpoint: `${url}/xmlrpc`,
        child,
        stderr: () => err,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

export function runCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A built site as `pingback serve --root` takes it, in `dir`: `site/posts/<slug>/index.html` for each post,
 * `site/<path>/index.html` for each of `otherPages` (pages that are not posts), and `manifest.json`, whose
 * pages are the posts.
 */
export async function writeServedSite(
  dir: string,
  site: string,
  posts: readonly string[],
  otherPages: readonly string[] = [],
): Promise<{ root: string; manifest: string }> {
  const root = join(dir, 'site');
  for (const path of [...otherPages, ...posts.map((p) => `posts/${p}`)]) {
    await mkdir(join(root, path), { recursive: true });
    await writeFile(join(root, path, 'index.html'), `<!doctype html><title>${path}</title><p>${path}</p>`);
  }
  const manifest: Manifest = {
    version: 1,
    site,
    endpoint: `${site}xmlrpc`,
    hosts: [],
    pages: posts.map((p) => `/posts/${p}`),
    posts: [],
    directories: [],
    feed: null,
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return { root, manifest: join(dir, 'manifest.json') };
}
