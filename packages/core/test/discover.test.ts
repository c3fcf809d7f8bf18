import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { html, routes, sleep, startServer } from '../../../test/support/http.ts';
import { discoverEndpoint } from '../src/pingback/discover.ts';
import { BadReplyError, TransportError } from '../src/errors.ts';

let server: TestServer;
let base: string;
const EP = 'http://127.0.0.1:9/xmlrpc';

function slowBody(res: ServerResponse, head: string) {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.write(head);
  const timer = setInterval(() => res.write(' '), 50);
  res.on('close', () => clearInterval(timer));
}

beforeAll(async () => {
  server = await startServer(
    routes({
      '/header': html('<p>no link</p>', { 'X-Pingback': EP }),
      '/link': html(`<html><head><link rel="pingback" href="${EP}"></head></html>`),
      '/xhtml-link': html(`<html><head><link rel="pingback" href="${EP}" /></head></html>`),
      '/both': html('<html><head><link rel="pingback" href="http://127.0.0.1:9/from-link"></head></html>', { 'X-Pingback': EP }),
      '/two-headers': html('', { 'X-Pingback': ['http://127.0.0.1:9/first', 'http://127.0.0.1:9/second'] }),
      '/amp': html('<link rel="pingback" href="http://127.0.0.1:9/x.php?a=1&amp;b=2&lt;&gt;&quot;">'),
      '/other-entity': html('<link rel="pingback" href="http&#x3A;//127.0.0.1:9/x">'),
      '/nbsp-entity': html('<link rel="pingback" href="http://127.0.0.1:9/x&nbsp;y">'),
      '/relative': html('<link rel="pingback" href="/xmlrpc.php">'),
      '/href-first': html(`<link href="${EP}" rel="pingback"><link rel="stylesheet" href="/style.css">`),
      '/single-quotes': html(`<link rel='pingback' href='${EP}'>`),
      '/uppercase': html(`<LINK REL="pingback" HREF="${EP}">`),
      '/commented': html(`<!-- <link rel="pingback" href="http://127.0.0.1:9/old"> --><link rel="pingback" href="${EP}">`),
      '/in-body': html(`<html><head></head><body>${'<p>filler</p>'.repeat(500)}<link rel="pingback" href="${EP}"></body></html>`),
      '/head-405': (req, res) => {
        if (req.method === 'HEAD') return void res.writeHead(405).end();
        res.writeHead(200, { 'content-type': 'text/html', 'x-pingback': EP }).end('');
      },
      '/head-reset': (req, res) => {
        if (req.method === 'HEAD') return void res.destroy();
        html(`<link rel="pingback" href="${EP}">`)(req, res, '');
      },
      '/huge': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<html><body>${'x'.repeat(2 * 1024 * 1024)}<link rel="pingback" href="${EP}"></body></html>`);
      },
      '/endless': (req, res) => {
        if (req.method === 'HEAD') return void res.writeHead(200, { 'content-type': 'text/html' }).end();
        slowBody(res, '<html><head>');
      },
      '/hang': () => {},
      '/image': (req, res) => {
        res.writeHead(200, { 'content-type': 'image/png', 'x-pingback': EP });
        if (req.method === 'HEAD') return void res.end();
        res.end(Buffer.alloc(5_000_000));
      },
      '/image-no-header': (_req, res) => void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.alloc(1000)),
      '/redirect': (_req, res) => void res.writeHead(301, { location: '/link' }).end(),
      '/loop': (_req, res) => void res.writeHead(302, { location: '/loop' }).end(),
      '/gone': (_req, res) => void res.writeHead(410, { 'content-type': 'text/html' }).end(`<link rel="pingback" href="${EP}">`),
      '/error': (_req, res) => void res.writeHead(503).end('busy'),
      '/bad-header': html(`<link rel="pingback" href="${EP}">`, { 'X-Pingback': '/relative-endpoint' }),
      '/webmention-only': html('<link rel="webmention" href="http://127.0.0.1:9/wm">', { Link: '<http://127.0.0.1:9/wm>; rel="webmention"' }),
      '/latin1': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=iso-8859-1' });
        res.end(Buffer.concat([Buffer.from('<p>caf'), Buffer.from([0xe9]), Buffer.from(`</p><link rel="pingback" href="${EP}">`)]));
      },
      '/utf8-endpoint': html('<link rel="pingback" href="http://127.0.0.1:9/caf\u00e9/xmlrpc">'),
    }),
  );
  base = server.url;
});
afterAll(() => server.close());

const discover = (path: string, options = {}) => discoverEndpoint(`${base}${path}`, { timeoutMs: 2000, ...options });

describe('discovery (Pingback 1.0 §2.3)', () => {
  it('finds the X-Pingback header with HEAD alone', async () => {
    const before = server.requests.length;
    expect(await discover('/header')).toMatchObject({ endpoint: EP, via: 'header' });
    expect(server.requests.slice(before).map((r) => r.method)).toEqual(['HEAD']);
  });

  it('finds the link element, HTML and XHTML forms, with GET after HEAD', async () => {
    const before = server.requests.length;
    expect(await discover('/link')).toMatchObject({ endpoint: EP, via: 'link' });
    expect(server.requests.slice(before).map((r) => r.method)).toEqual(['HEAD', 'GET']);
    expect(await discover('/xhtml-link')).toMatchObject({ endpoint: EP, via: 'link' });
  });

  it('C1: prefers the header when header and link differ', async () => {
    expect(await discover('/both')).toMatchObject({ endpoint: EP, via: 'header' });
  });

  it('C2: takes the first of two X-Pingback headers', async () => {
    expect((await discover('/two-headers')).endpoint).toBe('http://127.0.0.1:9/first');
  });

  it('C3: expands &amp; &lt; &gt; &quot; in the href', async () => {
    expect((await discover('/amp')).endpoint).toBe(new URL('http://127.0.0.1:9/x.php?a=1&b=2<>"').href);
  });

  it('C4: leaves other entities alone and calls the href malformed', async () => {
    const hex = await discover('/other-entity');
    expect(hex.endpoint).toBe(null);
    expect(hex.reason).toMatch(/entity the spec forbids/);
    expect((await discover('/nbsp-entity')).endpoint).toBe(null);
  });

  it('C5: a relative href is not pingback-enabled unless lenient', async () => {
    const strict = await discover('/relative');
    expect(strict.endpoint).toBe(null);
    expect(strict.reason).toMatch(/not an absolute/);
    expect((await discover('/relative', { lenient: true })).endpoint).toBe(`${base}/xmlrpc.php`);
  });

  it('C6: href-first, single-quoted and uppercase links need lenient mode, which takes their own href', async () => {
    for (const path of ['/href-first', '/single-quotes', '/uppercase']) {
      expect((await discover(path)).endpoint, path).toBe(null);
      expect((await discover(path, { lenient: true })).endpoint, path).toBe(EP);
    }
  });

  it('C7: the spec regex takes a commented-out link first (a known divergence); lenient mode skips comments', async () => {
    expect((await discover('/commented')).endpoint).toBe('http://127.0.0.1:9/old');
    expect((await discover('/commented', { lenient: true })).endpoint).toBe(EP);
  });

  it('C8: finds a link element in the body', async () => {
    expect((await discover('/in-body')).endpoint).toBe(EP);
  });

  it('C9: falls back to GET when HEAD is refused or the connection resets', async () => {
    expect(await discover('/head-405')).toMatchObject({ endpoint: EP, via: 'header' });
    expect(await discover('/head-reset')).toMatchObject({ endpoint: EP, via: 'link' });
  });

  it('C10: reads only a bounded prefix of a huge page', async () => {
    const found = await discover('/huge', { maxDiscoveryBytes: 64 * 1024 });
    expect(found.endpoint).toBe(null);
    expect(found.reason).toMatch(/first 65536 bytes/);
  });

  it('C10: gives up on a page that never ends, within the timeout', async () => {
    const started = Date.now();
    await expect(discover('/endless', { timeoutMs: 500 })).rejects.toMatchObject({ name: 'TransportError', kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(10_000); // bounded, not a speed target
  });

  it('times out on a target that never answers', async () => {
    await expect(discover('/hang', { timeoutMs: 300 })).rejects.toBeInstanceOf(TransportError);
  });

  it('C11: uses the header of a binary target without downloading its body', async () => {
    const before = server.requests.length;
    expect(await discover('/image')).toMatchObject({ endpoint: EP, via: 'header' });
    expect(server.requests.slice(before).map((r) => r.method)).toEqual(['HEAD']);
    const none = await discover('/image-no-header');
    expect(none.endpoint).toBe(null);
    expect(server.requests.at(-1)?.method).toBe('HEAD');
  });

  it('follows redirects, but not forever', async () => {
    expect((await discover('/redirect')).endpoint).toBe(EP);
    await expect(discover('/loop')).rejects.toMatchObject({ kind: 'redirect-limit' });
  });

  it('treats 404/410 as no endpoint and 5xx as an error', async () => {
    expect(await discover('/gone')).toMatchObject({ endpoint: null, reason: 'target answered 410' });
    await expect(discover('/error')).rejects.toBeInstanceOf(BadReplyError);
  });

  it('ignores an unusable X-Pingback header and still reads the link element', async () => {
    const found = await discover('/bad-header');
    expect(found).toMatchObject({ endpoint: EP, via: 'link' });
  });

  it('C12: a target that offers only webmention has no endpoint for us', async () => {
    expect((await discover('/webmention-only')).endpoint).toBe(null);
  });

  it('reads pages in other charsets and UTF-8 endpoint URLs', async () => {
    expect((await discover('/latin1')).endpoint).toBe(EP);
    expect((await discover('/utf8-endpoint')).endpoint).toBe('http://127.0.0.1:9/caf%C3%A9/xmlrpc');
  });

  it('says who is asking', async () => {
    await discover('/header', { site: 'https://me.example/' });
    expect(server.requests.at(-1)?.headers['user-agent']).toBe('Pingback/0.1.0 (@pingback/core/0.1.0; +https://me.example/)');
  });

  it('refuses a target that is not an absolute http(s) URL', async () => {
    await expect(discoverEndpoint('/relative')).rejects.toMatchObject({ name: 'PingbackInputError' });
    await expect(discoverEndpoint('file:///etc/passwd')).rejects.toMatchObject({ name: 'PingbackInputError' });
  });
});

it('an IPv6 loopback target works too', async () => {
  const v6 = await startServer(html('', { 'X-Pingback': EP }), '::1');
  try {
    expect((await discoverEndpoint(`${v6.url}/`, { timeoutMs: 2000 })).endpoint).toBe(EP);
  } finally {
    await v6.close();
  }
  await sleep(0);
});
