// A child process of `pnpm bench receiving`: the other blogs. /s/<n> answers after 20 ms with a page that
// links to post n of the receiving site; /big streams 200 MB with the link at the very end; /trickle sends
// one byte a second for ever.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const site = process.argv[2]!;
const posts = Number(process.argv[3] ?? 200);
const delayMs = Number(process.argv[4] ?? 20);
const filler = Buffer.alloc(1024 * 1024, 'x');

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path.startsWith('/s/')) {
    const n = Number(path.slice(3));
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html lang="en"><head><title>Reply ${n}</title></head><body><article class="h-entry"><p class="p-author h-card">Writer ${n % 97}</p><p>A reply about <a href="${site}posts/p${n % posts}/">that post</a>, with some words around it.</p></article></body></html>`,
      );
    }, delayMs);
    return;
  }
  if (path === '/big') {
    res.writeHead(200, { 'content-type': 'text/html' });
    let sent = 0;
    const pump = () => {
      while (sent < 200) {
        sent++;
        if (!res.write(filler)) return void res.once('drain', pump);
      }
      res.end(`<a href="${site}posts/p0/">at the very end</a>`);
    };
    res.on('close', () => (sent = 1e9));
    pump();
    return;
  }
  if (path === '/trickle') {
    res.writeHead(200, { 'content-type': 'text/html' });
    const timer = setInterval(() => res.write('.'), 1000);
    res.on('close', () => clearInterval(timer));
    return;
  }
  res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
