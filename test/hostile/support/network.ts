import dc from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

/** The site under attack, and the post every refused case aims at. */
export const SITE = 'https://blog.example/';
export const TARGET = `${SITE}posts/hostile/`;
/** The one address a source may live on: trusted like an intranet blog (`allowAddresses`). */
export const TRUSTED = '127.0.0.3';
/** Addresses that must never see a connection from the receiver. */
export const SENTINEL_HOSTS = ['127.0.0.1', '127.0.0.2', '::1'] as const;

const link = (post: string, text = 'this post') => `<a href="${SITE}posts/${post}/">${text}</a>`;
const page = (body: string, head = '<title>A source page</title>') =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8">${head}</head><body>${body}</body></html>`;

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => void;
const html =
  (body: string, type = 'text/html; charset=utf-8'): Route =>
  (_req, res) =>
    void res.writeHead(200, { 'content-type': type }).end(body);

/**
 * The trusted source's pages: one per hostile behaviour. `/link/<post>` is an honest page linking to
 * the post; everything else hides the link, withholds it, or misbehaves at the HTTP level.
 */
function sourceRoutes(): Record<string, Route> {
  const filler = `<p>${'filler text '.repeat(100)}</p>`;
  const bomb = gzipSync(Buffer.from(`${'<p>'.repeat(4 * 1024 * 1024)}${link('hostile')}`));
  return {
    '/redirect': (_req, res, url) => void res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end(),
    // Connection: close makes the next hop open a new connection, so the next hop's name is resolved again.
    '/redirect-close': (_req, res, url) => void res.writeHead(302, { location: url.searchParams.get('to') ?? '/', connection: 'close' }).end(),
    '/chain': (_req, res, url) => {
      const n = Number(url.searchParams.get('n') ?? '0');
      if (n <= 0) return void res.writeHead(200, { 'content-type': 'text/html' }).end(page(link('hostile')));
      res.writeHead(302, { location: `/chain?n=${n - 1}` }).end();
    },
    '/loop': (_req, res) => void res.writeHead(302, { location: '/loop' }).end(),
    '/huge': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<!doctype html><html><body>');
      for (let i = 0; i < 2 * 1024; i++) res.write(filler); // well past the 1 MiB cap
      res.end(`${link('hostile')}</body></html>`);
    },
    '/endless': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<!doctype html><html><body>');
      const pump = () => {
        while (res.write(filler)) if (res.destroyed) return;
      };
      res.on('drain', pump);
      pump();
    },
    '/trickle': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<!doctype html><p>');
      const timer = setInterval(() => res.write('.'), 200);
      res.on('close', () => clearInterval(timer));
    },
    '/silent': () => {
      // Accepts the request and never answers.
    },
    '/binary': (_req, res) =>
      void res
        .writeHead(200, { 'content-type': 'image/png' })
        .end(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(60), Buffer.from(link('hostile'))])),
    '/mislabelled': html(page(link('hostile')), 'application/octet-stream'),
    '/json': html(JSON.stringify({ html: link('hostile') }), 'application/json'),
    '/gzip-bomb': (_req, res) => void res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(bomb),
    '/reset-early': (req) => req.socket.destroy(),
    '/reset-mid-body': (req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': '100000' });
      res.write(`<!doctype html><p>${link('hostile')}`);
      setTimeout(() => req.socket.destroy(), 20);
    },
    '/error-500': (_req, res) => void res.writeHead(500, { 'content-type': 'text/html' }).end(page(link('hostile'))),
    '/missing-404': (_req, res) => void res.writeHead(404, { 'content-type': 'text/html' }).end(page(link('hostile'))),
    '/in-comment': html(page(`<!-- ${link('hostile')} --><p>nothing here</p>`)),
    '/in-unclosed-comment': html(page(`<p>text</p><!-- ${link('hostile')}`)),
    '/in-script': html(page(`<script>document.write('${link('hostile')}')</script>`)),
    '/in-style': html(page(`<style>/* ${link('hostile')} */</style>`)),
    '/in-template': html(page(`<template>${link('hostile')}</template>`)),
    '/in-textarea': html(page(`<textarea>${link('hostile')}</textarea>`)),
    '/in-title': html(page('<p>nothing</p>', `<title>${link('hostile')}</title>`)),
    '/in-cdata': html(page(`<![CDATA[${link('hostile')}]]>`)),
    '/in-attribute': html(page(`<p data-href="${TARGET}" title='${link('hostile')}'>${TARGET}</p>`)),
    '/in-img': html(page(`<img src="${TARGET}" alt=""><iframe src="${TARGET}"></iframe>`)),
    '/in-link-element': html(page('<p>x</p>', `<title>t</title><link rel="related" href="${TARGET}">`)),
    '/in-form': html(page(`<form action="${TARGET}"><button formaction="${TARGET}">go</button></form>`)),
    '/javascript-href': html(page(`<a href="javascript:location='${TARGET}'">click</a>`)),
    '/lookalike-subdomain': html(page(`<a href="https://blog.example.evil.test/posts/hostile/">x</a>`)),
    '/lookalike-userinfo': html(page(`<a href="https://blog.example@evil.test/posts/hostile/">x</a>`)),
    '/lookalike-query': html(page(`<a href="https://evil.test/?u=${encodeURIComponent(TARGET)}">x</a> <a href="https://evil.test/${TARGET}">y</a>`)),
    '/lookalike-typo': html(page(`<a href="https://blog.examp1e/posts/hostile/">x</a> <a href="https://blog.example.posts/hostile/">y</a>`)),
    '/lookalike-path': html(page(`<a href="${SITE}posts/hostile-not/">x</a> <a href="${SITE}posts/">y</a>`)),
    '/relative': html(page('<a href="/posts/hostile/">relative to the source host</a>')),
    '/markup': html(
      page(
        `<article class="h-entry"><p class="p-author h-card"><a class="u-url p-name" href="javascript:alert(3)">&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;</a></p>` +
          `<div class="e-content"><p>&lt;img src=x onerror=alert(1)&gt; ${link('markup')}</p></div></article>`,
        '<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</title>',
      ),
    ),
    '/link': (_req, res, url) =>
      void res.writeHead(200, { 'content-type': 'text/html' }).end(page(`<p>I liked ${link(url.searchParams.get('post') ?? 'hostile')} a lot.</p>`)),
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function tracked(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

export interface HostileNetwork {
  /** The port every server here listens on: the trusted source and each sentinel. */
  port: number;
  /** A URL on the trusted source. */
  source(path: string): string;
  /** Connections each sentinel accepted, by address. */
  sentinelConnections(): Record<string, number>;
  close(): Promise<void>;
}

/**
 * The trusted source on 127.0.0.3 and, on the same port, sentinels on 127.0.0.1, 127.0.0.2 and ::1 that
 * serve a page linking to the target. A receiver tricked into any of them would register the pingback,
 * and the sentinel counts the connection either way.
 */
export async function startHostileNetwork(): Promise<HostileNetwork> {
  for (let attempt = 0; ; attempt++) {
    const closers: (() => Promise<void>)[] = [];
    try {
      let routes: Record<string, Route> = {};
      const source = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://source');
        const route = routes[url.pathname];
        if (route) route(req, res, url);
        else res.writeHead(404).end();
      });
      closers.push(tracked(source));
      const port = await listen(source, 0, TRUSTED);
      routes = sourceRoutes();
      const counts: Record<string, number> = {};
      for (const host of SENTINEL_HOSTS) {
        counts[host] = 0;
        const sentinel = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(page(link('hostile'))));
        sentinel.on('connection', () => counts[host]!++);
        closers.push(tracked(sentinel));
        await listen(sentinel, port, host);
      }
      return {
        port,
        source: (path) => `http://${TRUSTED}:${port}${path}`,
        sentinelConnections: () => ({ ...counts }),
        close: async () => void (await Promise.all(closers.map((c) => c()))),
      };
    } catch (error) {
      await Promise.all(closers.map((c) => c()));
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt > 20) throw error;
    }
  }
}

/**
 * Every outgoing TCP connection attempt this process makes, as `address:port`, seen at the socket
 * level (after any DNS lookup, so a name is recorded as the address it was sent to).
 */
export function recordConnections(): { attempts: string[]; stop(): void } {
  const attempts: string[] = [];
  const onSocket = (message: unknown) => {
    const { socket } = message as { socket: Socket };
    socket.on('connectionAttempt', (ip: string, port: number) => attempts.push(`${ip}:${port}`));
  };
  dc.subscribe('net.client.socket', onSocket);
  return { attempts, stop: () => dc.unsubscribe('net.client.socket', onSocket) };
}

/** The mock-free DNS the in-process receiver uses: a fixed table, so no lookup ever leaves the machine. */
export function hostileResolver(): (hostname: string) => Promise<{ address: string; family: number }[]> {
  const a = (address: string) => ({ address, family: address.includes(':') ? 6 : 4 });
  const calls = new Map<string, number>();
  // Answers `first` the first time the name is looked up and `then` ever after, as a rebinding DNS server does.
  const rebinding = (name: string, first: string, then: string) => () => {
    const n = calls.get(name) ?? 0;
    calls.set(name, n + 1);
    return [n === 0 ? first : then];
  };
  const table: Record<string, () => string[]> = {
    'good.test': () => [TRUSTED],
    localhost: () => ['127.0.0.1', '::1'],
    'internal.test': () => ['10.0.0.5'],
    'loop.test': () => ['127.0.0.2'],
    'v6loop.test': () => ['::1'],
    'mapped.test': () => ['::ffff:127.0.0.1'],
    'meta.test': () => ['169.254.169.254'],
    'cgnat.test': () => ['100.64.1.1'],
    'mixed.test': () => [TRUSTED, '127.0.0.2'],
    'rebind.test': rebinding('rebind.test', TRUSTED, '127.0.0.2'),
    'pin.test': rebinding('pin.test', TRUSTED, '127.0.0.2'),
  };
  return async (hostname) => {
    const entry = table[hostname.toLowerCase().replace(/\.$/, '')];
    if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return entry().map(a);
  };
}
