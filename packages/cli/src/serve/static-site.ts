import { existsSync, statSync } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import { canonicalKey, scanPage } from '@pingback/core';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.rss': 'application/rss+xml; charset=utf-8',
  '.atom': 'application/atom+xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.pdf': 'application/pdf',
  '.map': 'application/json; charset=utf-8',
};

/**
 * A built site on disk, served the way static hosts serve it: `/post/` and `/post` from `post/index.html`
 * or `post.html`, `404.html` for what is missing, and nothing outside the root.
 */
export class StaticSite {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The file a URL path maps to, or null. Never a path outside the root. */
  fileFor(pathname: string): string | null {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return null;
    }
    if (decoded.includes('\0')) return null;
    const base = resolve(this.root, `.${decoded}`);
    if (base !== this.root && !base.startsWith(this.root + sep)) return null;
    const candidates = decoded.endsWith('/') ? [join(base, 'index.html')] : [base, `${base}.html`, join(base, 'index.html')];
    for (const candidate of candidates) {
      try {
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // try the next form
      }
    }
    return null;
  }

  /** Whether any page exists at a canonical key: lets the receiver answer 32 only when it is sure. */
  pageExists = (key: string): boolean => this.fileFor(key === '/' ? '/' : key) !== null || this.fileFor(`${key}/`) !== null;

  async serve(pathname: string, res: ServerResponse, head: boolean, headers: Record<string, string> = {}): Promise<void> {
    const file = this.fileFor(pathname);
    if (!file) {
      const notFound = join(this.root, '404.html');
      const body = existsSync(notFound) ? await readFile(notFound) : Buffer.from('Not found\n');
      res.writeHead(404, { 'content-type': existsSync(notFound) ? TYPES['.html']! : 'text/plain; charset=utf-8' });
      res.end(head ? undefined : body);
      return;
    }
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      res.writeHead(200, {
        'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': String(size),
        'cache-control': 'no-cache',
        ...headers,
      });
      if (head) res.end();
      else res.end(await handle.readFile());
    } finally {
      await handle.close();
    }
  }

  /** Every HTML file's URL path (`/posts/a/index.html` → `/posts/a/`). */
  async htmlPaths(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.name.endsWith('.html')) {
          const rel = `/${relative(this.root, full).split(sep).join('/')}`;
          out.push(rel.replace(/index\.html$/, ''));
        }
      }
    };
    await walk(this.root);
    return out;
  }

  /** Without a manifest: the pages whose HTML advertises this endpoint with our link element. */
  async advertisingPages(endpoint: string, site: string): Promise<string[]> {
    const keys: string[] = [];
    for (const path of await this.htmlPaths()) {
      const file = this.fileFor(path);
      if (!file) continue;
      const scan = scanPage(await readFile(file, 'utf8'));
      if (scan.pingback && URL.parse(scan.pingback.href)?.href === endpoint) keys.push(canonicalKey(new URL(path, site)));
    }
    return keys;
  }
}
