// A child process of `pnpm bench sending`: many receivers on loopback, each offering both protocols (an
// X-Pingback and a Webmention Link header on its pages) and answering pingback.ping and Webmentions after
// a fixed delay, counting what they get by method. Kept out of the sender's process so the sender's event
// loop is the only one measured.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const count = Number(process.argv[2] ?? 100);
const delayMs = Number(process.argv[3] ?? 100);
let requests = 0;
const byMethod: Record<string, number> = {};
const ok = '<?xml version="1.0"?><methodResponse><params><param><value><string>registered</string></value></param></params></methodResponse>';

const ports: number[] = [];
for (let i = 0; i < count; i++) {
  const server = createServer((req, res) => {
    requests++;
    byMethod[req.method ?? '?'] = (byMethod[req.method ?? '?'] ?? 0) + 1;
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        const here = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        if (req.method === 'POST' && req.url === '/webmention') res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
        else if (req.method === 'POST') res.writeHead(200, { 'content-type': 'text/xml' }).end(ok);
        else
          res
            .writeHead(200, { 'content-type': 'text/html', 'x-pingback': `${here}/xmlrpc`, link: `<${here}/webmention>; rel="webmention"` })
            .end('<!doctype html><p>a post</p>');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.push((server.address() as AddressInfo).port);
}
process.send!({ ports });
process.on('message', (message) => {
  if (message === 'count') process.send!({ requests, byMethod: { ...byMethod } });
});
