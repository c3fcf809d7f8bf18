import { readFile, stat } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { TestServer } from './http.ts';
import { startServer } from './http.ts';

/**
 * Serves a built site's folder on loopback, as a host would once it is deployed: `/post/` from
 * `post/index.html`. `root()` is read on every request, so the test can point it at a build made later;
 * `hidden` paths answer 404 (a page not deployed yet).
 */
export async function serveFolder(root: () => string, hidden: Set<string> = new Set()): Promise<TestServer> {
  return startServer(async (req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (hidden.has(path)) return void res.writeHead(404).end('not deployed yet');
    const base = normalize(join(root(), path));
    for (const file of path.endsWith('/') ? [join(base, 'index.html')] : [base, `${base}.html`, join(base, 'index.html')]) {
      try {
        if ((await stat(file)).isFile()) {
          const type = file.endsWith('.html') ? 'text/html; charset=utf-8' : file.endsWith('.xml') ? 'application/xml' : 'application/octet-stream';
          return void res.writeHead(200, { 'content-type': type }).end(await readFile(file));
        }
      } catch {
        // next form
      }
    }
    res.writeHead(404).end('not found');
  });
}
