import type { ReadStream } from 'node:fs';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
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

/** Which endpoints a page announces. */
export interface Announced {
  pingback: boolean;
  webmention: boolean;
}

const inside = (root: string, path: string): boolean => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * A built site on disk, served the way static hosts serve it: `/post/` and `/post` from `post/index.html`
 * or `post.html`, `404.html` for what is missing, and nothing outside the root: not through `..` in any
 * encoding, a backslash, a NUL byte, nor a symbolic link that leads out (every file is resolved to its
 * real path and refused unless that lies under the root's real path).
 */
export class StaticSite {
  readonly root: string;
  private readonly advertised = new Map<string, { stamp: string; announced: Announced }>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The file a URL path maps to (its real path), or null. Never a path outside the root. */
  fileFor(pathname: string): string | null {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return null;
    }
    // A backslash is a separator on Windows and a name character elsewhere; no built site needs one.
    if (decoded.includes('\0') || decoded.includes('\\')) return null;
    const base = resolve(this.root, `.${decoded}`);
    if (!inside(this.root, base)) return null;
    let realRoot: string;
    try {
      // Each time, not once: a root that is a symbolic link may be switched to a new build.
      realRoot = realpathSync.native(this.root);
    } catch {
      return null;
    }
    const candidates = decoded.endsWith('/') ? [join(base, 'index.html')] : [base, `${base}.html`, join(base, 'index.html')];
    for (const candidate of candidates) {
      let real: string;
      try {
        real = realpathSync.native(candidate);
        if (!statSync(real).isFile()) continue;
      } catch {
        continue; // missing, or a dangling link: try the next form
      }
      return inside(realRoot, real) ? real : null;
    }
    return null;
  }

  /** Whether any page exists at a canonical key: lets the receiver answer 32 only when it is sure. */
  pageExists = (key: string): boolean => this.pageFile(key) !== null;

  /** The HTML file of the page at a canonical key (`/posts/a` → `posts/a/index.html`, `posts/a.html`, …). */
  pageFile(key: string): string | null {
    return this.fileFor(key === '/' ? '/' : key) ?? this.fileFor(`${key}/`);
  }

  async serve(pathname: string, res: ServerResponse, head: boolean, headers: Record<string, string> = {}): Promise<void> {
    const file = this.fileFor(pathname);
    if (!file) return this.notFound(res, head);
    const handle = await open(file, 'r');
    let stream: ReadStream | undefined;
    try {
      const { size } = await handle.stat();
      // The reader may have gone while the file was opened: nothing to send it.
      if (res.destroyed) return;
      res.writeHead(200, {
        'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': String(size),
        'cache-control': 'no-cache',
        ...headers,
      });
      if (head) {
        res.end();
        return;
      }
      // Streamed, so that many readers of a large file cost a buffer each, not the file each.
      stream = handle.createReadStream();
      await pipeline(stream, res);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // The reader went away mid-file: nothing to answer and nothing wrong here.
      if (res.destroyed && (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_UNABLE_TO_PIPE')) return;
      throw error;
    } finally {
      // The stream closes the file when it ends or is destroyed; without one, close it here.
      if (stream) stream.destroy();
      else await handle.close();
    }
  }

  private async notFound(res: ServerResponse, head: boolean): Promise<void> {
    const page = this.fileFor('/404.html');
    const body = page ? await readFile(page) : Buffer.from('Not found\n');
    res.writeHead(404, { 'content-type': page ? TYPES['.html']! : 'text/plain; charset=utf-8', 'content-length': String(body.byteLength) });
    res.end(head ? undefined : body);
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

  /**
   * Without a manifest: which of these endpoints the page at a canonical key announces with a link
   * element, as the file is now. Read again only when the file changes, so a rebuild is seen at once;
   * the memo holds one entry per file of the site, never more.
   */
  announces(key: string, endpoints: { pingback: string; webmention: string }): Announced {
    const none: Announced = { pingback: false, webmention: false };
    const file = this.pageFile(key);
    // Only pages say so; a feed, an image or a video is never read for it.
    if (!file || !/\.html?$/i.test(file)) return none;
    let stamp: string;
    try {
      const { mtimeMs, size } = statSync(file);
      stamp = `${mtimeMs}:${size}`;
    } catch {
      return none;
    }
    const known = this.advertised.get(file);
    if (known?.stamp === stamp) return known.announced;
    let announced: Announced;
    try {
      const scan = scanPage(readFileSync(file, 'utf8'));
      announced = {
        pingback: !!scan.pingback && URL.parse(scan.pingback.href)?.href === endpoints.pingback,
        webmention: !!scan.webmention && URL.parse(scan.webmention.href)?.href === endpoints.webmention,
      };
    } catch {
      // gone or unreadable since the stat: not pingable now, and asked again next time
      return none;
    }
    this.advertised.set(file, { stamp, announced });
    return announced;
  }

  /** Without a manifest: whether the page at a canonical key announces this XML-RPC endpoint. */
  advertises(key: string, endpoint: string, webmention = ''): boolean {
    const found = this.announces(key, { pingback: endpoint, webmention });
    return found.pingback || found.webmention;
  }

  /** Without a manifest: the pages that announce either endpoint now (for the start-up line). */
  async advertisingPages(endpoint: string, site: string, webmention = ''): Promise<string[]> {
    const keys = new Set<string>();
    for (const path of await this.htmlPaths()) {
      const key = canonicalKey(urlOfPath(path, site));
      if (this.advertises(key, endpoint, webmention)) keys.add(key);
    }
    return [...keys];
  }
}

/** A path of the site as a URL, set as a path: `//x` stays a path (`new URL('//x', site)` would make x a host). */
export function urlOfPath(path: string, site: string | URL): URL {
  const url = new URL(site);
  url.pathname = path;
  url.search = '';
  url.hash = '';
  return url;
}
