// A child process of `pnpm bench receiving` and `postgres`: the other blogs. /s/<n> answers after 20 ms with
// a page that links to post n of the receiving site; /big streams 200 MB with the link at the very end;
// /trickle sends one byte a second for ever. It listens on 127.0.0.1 and, given a fourth argument h, on
// 127.0.3.1–h as well (the same port): distinct source hosts for the receiver's per-host limits. It times
// its own answers to /s/<n>, from the request to the last byte written, and hands them over when sent
// "times": the receiver's overhead is its answer time less the source's.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const site = process.argv[2]!;
const posts = Number(process.argv[3] ?? 200);
const delayMs = Number(process.argv[4] ?? 20);
const extraHosts = Number(process.argv[5] ?? 0);
const filler = Buffer.alloc(1024 * 1024, 'x');
let times: Record<number, number> = {};

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path.startsWith('/s/')) {
    const n = Number(path.slice(3));
    const started = performance.now();
    res.once('finish', () => (times[n] = performance.now() - started));
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
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
const hosts = ['127.0.0.1'];
for (let h = 1; h <= extraHosts; h++) {
  const host = `127.0.3.${h}`;
  const more = createServer((req, res) => server.emit('request', req, res));
  await new Promise<void>((resolve) => more.listen(port, host, resolve));
  hosts.push(host);
}
process.send!({ port, hosts });
process.on('message', (message) => {
  if (message !== 'times') return;
  process.send!({ times });
  times = {};
});
