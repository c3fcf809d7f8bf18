import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Manifest } from '@pingback/core';
import type { TestServer } from './http.ts';
import { routes, startServer } from './http.ts';

export const SITE = 'https://blog.example/';
const T = (path: string) => new URL(path, SITE).href;

/** Pingable posts of the fixture site; each case that should register uses its own. */
export const POSTS = [
  'hello',
  'form',
  'frag',
  'forms',
  'upper',
  'tracked',
  'redirected',
  'entity',
  'nofollow',
  'no-title',
  'markup-title',
  'author-hcard',
  'author-rel',
  'author-address',
  'author-meta',
  'author-none',
  'latin1',
  'meta-charset',
  'flood-1',
  'flood-2',
  'flood-3',
  'flood-4',
  'flood-5',
  'shared-1',
  'shared-2',
  'deleted',
  'concurrent',
  'moderated',
  // Webmention's cases (webmention-cases.ts).
  'wm-hello',
  'wm-reply',
  'wm-like',
  'wm-nolink',
  'wm-json',
  'wm-text',
  'wm-img',
  'wm-exact',
  'wm-update',
  'wm-double',
  'wm-owner',
];

/** A built site on disk (pages and manifest) as `pingback serve` reads it. */
export async function writeReceiverSite(dir: string): Promise<{ root: string; manifestPath: string; manifest: Manifest }> {
  const root = join(dir, 'site');
  const page = async (path: string, body: string) => {
    await mkdir(join(root, path), { recursive: true });
    await writeFile(join(root, path, 'index.html'), `<!doctype html><html><head><title>${path}</title></head><body>${body}</body></html>`);
  };
  await page('', '<h1>Home</h1>');
  await page('tags/news', '<h1>News</h1>');
  await page('posts/closed', '<article>Pingbacks are off here</article>');
  for (const post of POSTS) await page(`posts/${post}`, `<article>${post}</article>`);
  await writeFile(join(root, 'rss.xml'), '<rss/>');
  const manifest: Manifest = {
    version: 1,
    site: SITE,
    endpoint: T('/xmlrpc'),
    hosts: ['www.blog.example'],
    pages: POSTS.map((p) => `/posts/${p}`),
    posts: [],
    directories: [],
    feed: T('/rss.xml'),
  };
  const manifestPath = join(dir, 'manifest.json');
  await writeFile(manifestPath, JSON.stringify(manifest));
  return { root, manifestPath, manifest };
}

const a = (href: string, text = 'this post') => `<a href="${href}">${text}</a>`;
const doc = (body: string, head = '<title>A source page</title>') =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8">${head}</head><body>${body}</body></html>`;
const htmlRoute =
  (body: string, headers: Record<string, string> = {}) =>
  (_req: unknown, res: import('node:http').ServerResponse) =>
    void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers }).end(body);

/** The other blog: one page per receiver behaviour, on loopback. */
export async function startSourceSite(): Promise<TestServer> {
  const big = Buffer.concat([Buffer.from(doc(`<p>${'filler '.repeat(300_000)}</p>`)), Buffer.from(a(T('/posts/hello/')))]);
  return startServer(
    routes({
      '/links': htmlRoute(doc(`<article><p>I liked ${a(T('/posts/hello/'))} a lot.</p></article>`)),
      '/form': htmlRoute(doc(`<p>${a(T('/posts/form/'))}</p>`)),
      '/frag': htmlRoute(doc(`<p>${a(T('/posts/frag/#comment-1'), 'a comment')}</p>`)),
      '/forms': htmlRoute(doc(`<p>${a(T('/posts/forms/'))} ${a(T('/posts/forms/index.html'))}</p>`)),
      '/upper': htmlRoute(doc(`<p>${a(T('/posts/upper/'))}</p>`)),
      '/tracked': htmlRoute(doc(`<p>${a(T('/posts/tracked/?utm_source=feed'))}</p>`)),
      '/redirect-to-redirected': (_req, res) => void res.writeHead(302, { location: '/redirected' }).end(),
      '/redirected': htmlRoute(doc(`<p>${a(T('/posts/redirected/'))}</p>`)),
      '/redirect-loop': (_req, res) => void res.writeHead(302, { location: '/redirect-loop' }).end(),
      '/entity': htmlRoute(doc(`<p><a href="${T('/posts/entity/')}?a=1&amp;b=2">amp</a></p>`)),
      '/relative': htmlRoute(doc('<p><a href="/posts/hello/">relative</a></p>')),
      '/hidden': htmlRoute(
        doc(`<!-- ${a(T('/posts/hello/'))} --><script>var s = '${a(T('/posts/hello/'))}';</script><style>/* ${T('/posts/hello/')} */</style>
          <noscript>${a(T('/posts/hello/'))}</noscript><template>${a(T('/posts/hello/'))}</template>
          <p data-href="${T('/posts/hello/')}">${T('/posts/hello/')}</p><link rel="related" href="${T('/posts/hello/')}">`),
      ),
      '/img-only': htmlRoute(doc(`<img src="${T('/posts/hello/')}" alt="">`)),
      '/nofollow': htmlRoute(doc(`<P>See <A HREF="${T('/posts/nofollow/')}" REL="nofollow ugc">THIS</A></P>`)),
      '/gone': (_req, res) => void res.writeHead(404, { 'content-type': 'text/html' }).end(doc(a(T('/posts/hello/')))),
      '/image': (_req, res) =>
        void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.concat([Buffer.alloc(64), Buffer.from(a(T('/posts/hello/')))])),
      '/huge': (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(big),
      '/trickle': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write('<!doctype html><p>');
        const timer = setInterval(() => res.write('.'), 200);
        res.on('close', () => clearInterval(timer));
      },
      '/no-title': htmlRoute(`<!doctype html><html><body><p>${a(T('/posts/no-title/'))}</p></body></html>`),
      '/markup-title': htmlRoute(
        doc(`<p>${a(T('/posts/markup-title/'), '<b>bold</b> &lt;i&gt;')}</p>`, '<title>&lt;script&gt;alert(1)&lt;/script&gt; Title</title>'),
      ),
      '/author-hcard': htmlRoute(
        doc(
          `<article class="h-entry"><p class="p-author h-card"><a class="u-url p-name" href="https://ann.example/">Ann Hcard</a></p><div class="e-content"><p>${a(T('/posts/author-hcard/'))}</p></div></article>`,
        ),
      ),
      '/author-rel': htmlRoute(doc(`<p>By <a rel="author" href="/about">Rel Author</a></p><p>${a(T('/posts/author-rel/'))}</p>`)),
      '/author-address': htmlRoute(
        doc(`<article><p>${a(T('/posts/author-address/'))}</p><address>Written by <a href="mailto:x@example.com">Addy Ress</a></address></article>`),
      ),
      '/author-meta': htmlRoute(doc(`<p>${a(T('/posts/author-meta/'))}</p>`, '<title>Meta page</title><meta name="author" content="Meta Author">')),
      '/author-none': htmlRoute(doc(`<p>${a(T('/posts/author-none/'))}</p>`, '<title>Nobody wrote this</title>')),
      '/latin1': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=iso-8859-1' });
        res.end(
          Buffer.concat([
            Buffer.from('<html><head><title>Caf'),
            Buffer.from([0xe9]),
            Buffer.from('</title></head><body><p>Un caf'),
            Buffer.from([0xe9]),
            Buffer.from(` ${a(T('/posts/latin1/'))}</p></body></html>`),
          ]),
        );
      },
      '/meta-charset': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(
          Buffer.concat([
            Buffer.from('<html><head><meta charset="windows-1252"><title>Quote</title></head><body><p>'),
            Buffer.from([0x93]),
            Buffer.from('quoted'),
            Buffer.from([0x94]),
            Buffer.from(` ${a(T('/posts/meta-charset/'))}</p></body></html>`),
          ]),
        );
      },
      ...Object.fromEntries(
        POSTS.filter((p) => /^(flood|shared|deleted|concurrent|moderated)/.test(p)).map((p) => [`/${p}`, htmlRoute(doc(`<p>${a(T(`/posts/${p}/`))}</p>`))]),
      ),
      '/shared': htmlRoute(doc(`<p>${a(T('/posts/shared-1/'))} and ${a(T('/posts/shared-2/'))}</p>`)),
    }),
  );
}

type Request = { call: [string, unknown[]] } | { raw: { body: string; contentType: string } } | { get: true };
type Expect = { fault: number } | { registered: true } | { status: number; allow?: string } | { result: unknown };
export interface Case {
  id: string;
  name: string;
  request: Request;
  expect: Expect;
}

const ping = (source: string, target: string): Request => ({ call: ['pingback.ping', [source, target]] });
const raw = (body: string, contentType = 'text/xml'): Request => ({ raw: { body, contentType } });
const pingXml = (source: string, target: string) =>
  `<?xml version="1.0"?><methodCall><methodName>pingback.ping</methodName><params><param><value><string>${source}</string></value></param><param><value><string>${target}</string></value></param></params></methodCall>`;

/**
 * Protocol notes R1–R36 as calls an independent client makes. `sources` is the source site's base URL;
 * `missingIs` is 32 where the receiver knows every built page (`pingback serve`), 33 where it can't be sure.
 */
export function receiverCases(sources: string, missingIs: 32 | 33): Case[] {
  const S = (path: string) => `${sources}${path}`;
  const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]><methodCall><methodName>pingback.ping</methodName><params><param><value>&lol9;</value></param></params></methodCall>`;
  const quadratic = `<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "${'a'.repeat(30_000)}">]><methodCall><methodName>x</methodName><params><param><value>${'&a;'.repeat(1000)}</value></param></params></methodCall>`;
  return [
    { id: 'R1', name: 'GET answers 405 with Allow: POST', request: { get: true }, expect: { status: 405, allow: 'POST' } },
    { id: 'R2', name: 'billion laughs', request: raw(laughs), expect: { fault: -32700 } },
    { id: 'R3', name: 'quadratic blowup', request: raw(quadratic), expect: { fault: -32700 } },
    { id: 'R4', name: 'oversized body', request: raw(pingXml(S('/links'), `${T('/posts/hello/')}?${'x'.repeat(100_000)}`)), expect: { fault: -32700 } },
    {
      id: 'R4',
      name: 'huge element count',
      request: raw(`<methodCall><methodName>x</methodName><params>${'<param><value><int>1</int></value></param>'.repeat(800)}</params></methodCall>`),
      expect: { fault: -32700 },
    },
    {
      id: 'R5',
      name: 'system.multicall',
      request: { call: ['system.multicall', [[{ methodName: 'pingback.ping', params: [S('/links'), T('/posts/hello/')] }]]] },
      expect: { fault: -32601 },
    },
    { id: 'R6', name: 'unknown method', request: { call: ['wp.getUsersBlogs', ['admin', 'password']] }, expect: { fault: -32601 } },
    { id: 'R7', name: 'one param', request: { call: ['pingback.ping', [S('/links')]] }, expect: { fault: -32602 } },
    { id: 'R7', name: 'int param', request: { call: ['pingback.ping', [1, T('/posts/hello/')]] }, expect: { fault: -32602 } },
    { id: 'R7', name: 'three params', request: { call: ['pingback.ping', [S('/links'), T('/posts/hello/'), 'x']] }, expect: { fault: -32602 } },
    {
      id: 'R8',
      name: 'valid XML sent as form data',
      request: raw(pingXml(S('/form'), T('/posts/form/')), 'application/x-www-form-urlencoded'),
      expect: { registered: true },
    },
    { id: 'R8', name: 'raw ampersand', request: raw(pingXml(`${S('/links')}?a=1&b=2`, T('/posts/hello/'))), expect: { fault: -32700 } },
    { id: 'R9', name: 'success is a single string', request: ping(S('/links'), T('/posts/hello/')), expect: { registered: true } },
    { id: 'R10', name: 'a fault is a fault body with HTTP 200', request: raw(pingXml(S('/links'), 'https://elsewhere.example/post/')), expect: { fault: 33 } },
    { id: 'R11', name: 'target on another host', request: ping(S('/links'), 'https://elsewhere.example/posts/hello/'), expect: { fault: 33 } },
    { id: 'R12', name: 'target not built', request: ping(S('/links'), T('/posts/missing/')), expect: { fault: missingIs } },
    { id: 'R13', name: 'home page', request: ping(S('/links'), T('/')), expect: { fault: 33 } },
    { id: 'R13', name: 'tag page', request: ping(S('/links'), T('/tags/news/')), expect: { fault: 33 } },
    { id: 'R13', name: 'feed', request: ping(S('/links'), T('/rss.xml')), expect: { fault: 33 } },
    { id: 'R14', name: 'post with pingbacks off', request: ping(S('/links'), T('/posts/closed/')), expect: { fault: 33 } },
    { id: 'R15', name: 'fragment target', request: ping(S('/frag'), T('/posts/frag/#comment-1')), expect: { registered: true } },
    { id: 'R16', name: '/post/ registered', request: ping(S('/forms'), T('/posts/forms/')), expect: { registered: true } },
    { id: 'R16', name: '/post/index.html is the same post', request: ping(S('/forms'), T('/posts/forms/index.html')), expect: { fault: 48 } },
    { id: 'R16', name: '/post is the same post', request: ping(S('/forms'), 'https://blog.example/posts/forms'), expect: { fault: 48 } },
    {
      id: 'R17',
      name: 'scheme and host case, default port',
      request: ping(S('/upper'), 'HTTPS://BLOG.EXAMPLE:443/posts/upper/'),
      expect: { registered: true },
    },
    { id: 'R17', name: 'an extra host of the site', request: ping(S('/upper'), 'https://www.blog.example/posts/upper/'), expect: { fault: 48 } },
    { id: 'R18', name: 'tracking parameters', request: ping(S('/tracked'), T('/posts/tracked/?utm_source=feed')), expect: { registered: true } },
    { id: 'R22', name: 'a redirect within the limit', request: ping(S('/redirect-to-redirected'), T('/posts/redirected/')), expect: { registered: true } },
    { id: 'R22', name: 'a redirect loop', request: ping(S('/redirect-loop'), T('/posts/hello/')), expect: { fault: 16 } },
    { id: 'R23', name: 'ftp source', request: ping('ftp://files.example/post', T('/posts/hello/')), expect: { fault: 16 } },
    {
      id: 'R23',
      name: 'credentials in the source',
      request: ping(S('/links').replace('http://', 'http://user:pw@'), T('/posts/hello/')),
      expect: { fault: 16 },
    },
    { id: 'R23', name: 'javascript: source', request: ping('javascript:alert(1)', T('/posts/hello/')), expect: { fault: 16 } },
    { id: 'R24', name: 'huge source: the link is beyond the byte cap', request: ping(S('/huge'), T('/posts/hello/')), expect: { fault: 17 } },
    { id: 'R24', name: 'trickling source: the deadline', request: ping(S('/trickle'), T('/posts/hello/')), expect: { fault: 16 } },
    { id: 'R25', name: '404 source with the link', request: ping(S('/gone'), T('/posts/hello/')), expect: { fault: 16 } },
    { id: 'R26', name: 'image source', request: ping(S('/image'), T('/posts/hello/')), expect: { fault: 17 } },
    { id: 'R27', name: '&amp; in the href, & in the target', request: ping(S('/entity'), `${T('/posts/entity/')}?a=1&b=2`), expect: { registered: true } },
    { id: 'R28', name: 'relative link resolves to the source host', request: ping(S('/relative'), T('/posts/hello/')), expect: { fault: 17 } },
    {
      id: 'R29',
      name: 'link only in comments, scripts, styles, noscript, template, attributes, text',
      request: ping(S('/hidden'), T('/posts/hello/')),
      expect: { fault: 17 },
    },
    { id: 'R30', name: 'target only in <img src>', request: ping(S('/img-only'), T('/posts/hello/')), expect: { fault: 17 } },
    { id: 'R31', name: 'rel="nofollow ugc" and upper-case tags', request: ping(S('/nofollow'), T('/posts/nofollow/')), expect: { registered: true } },
    { id: 'R32', name: 'source equals target', request: ping(T('/posts/hello/'), T('/posts/hello/')), expect: { fault: 0 } },
    { id: 'R32', name: 'source on this site', request: ping(T('/posts/form/'), T('/posts/hello/')), expect: { fault: 0 } },
    { id: 'R33', name: 'repeat', request: ping(S('/links'), T('/posts/hello/')), expect: { fault: 48 } },
    { id: 'R34', name: 'no title', request: ping(S('/no-title'), T('/posts/no-title/')), expect: { registered: true } },
    { id: 'R34', name: 'markup in the title', request: ping(S('/markup-title'), T('/posts/markup-title/')), expect: { registered: true } },
    { id: 'R35', name: 'author from the h-card', request: ping(S('/author-hcard'), T('/posts/author-hcard/')), expect: { registered: true } },
    { id: 'R35', name: 'author from rel=author', request: ping(S('/author-rel'), T('/posts/author-rel/')), expect: { registered: true } },
    { id: 'R35', name: 'author from <address>', request: ping(S('/author-address'), T('/posts/author-address/')), expect: { registered: true } },
    { id: 'R35', name: 'author from <meta name=author>', request: ping(S('/author-meta'), T('/posts/author-meta/')), expect: { registered: true } },
    { id: 'R35', name: 'no author: none, not the title again', request: ping(S('/author-none'), T('/posts/author-none/')), expect: { registered: true } },
    { id: 'R36', name: 'charset from the HTTP header', request: ping(S('/latin1'), T('/posts/latin1/')), expect: { registered: true } },
    { id: 'R36', name: 'charset from <meta>', request: ping(S('/meta-charset'), T('/posts/meta-charset/')), expect: { registered: true } },
    {
      id: 'system',
      name: 'system.listMethods',
      request: { call: ['system.listMethods', []] },
      expect: { result: ['pingback.ping', 'pingback.extensions.getPingbacks', 'system.listMethods'] },
    },
    {
      id: 'getPingbacks',
      name: 'approved sources of a post',
      request: { call: ['pingback.extensions.getPingbacks', [T('/posts/hello')]] },
      expect: { result: [S('/links')] },
    },
    {
      id: 'getPingbacks',
      name: 'of a page that takes no pingbacks',
      request: { call: ['pingback.extensions.getPingbacks', [T('/tags/news/')]] },
      expect: { fault: 33 },
    },
  ];
}

export interface CaseResult {
  result?: unknown;
  fault?: { code: number; string: string };
  status?: number;
  allow?: string | null;
  contentType?: string | null;
  error?: string;
}

const RUNNER = fileURLToPath(new URL('./peers/receiver_cases.py', import.meta.url));

/** Sends the cases, in order, with Python's xmlrpc.client and urllib. */
export function runWithPython(endpoint: string, requests: Request[]): Promise<CaseResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [RUNNER], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as CaseResult[]) : reject(new Error(`receiver_cases.py exited ${code}`))));
    child.stdin.end(JSON.stringify({ endpoint, cases: requests }));
  });
}

/** Asserts one result; the message names the case so a failure says which R item broke. */
export function expectCase(c: Case, result: CaseResult | undefined): void {
  const label = `${c.id} ${c.name}`;
  expect(result, label).toBeDefined();
  expect(result!.error, label).toBeUndefined();
  const e = c.expect;
  if ('fault' in e) {
    expect(result!.fault?.code, `${label}: ${JSON.stringify(result)}`).toBe(e.fault);
    expect(result!.fault!.string.length, label).toBeLessThan(200);
    if (result!.status !== undefined) expect(result!.status, label).toBe(200);
  } else if ('registered' in e) {
    expect(typeof result!.result, `${label}: ${JSON.stringify(result)}`).toBe('string');
    expect(result!.result as string, label).toMatch(/registered/);
  } else if ('status' in e) {
    expect(result!.status, label).toBe(e.status);
    if (e.allow) expect(result!.allow, label).toBe(e.allow);
  } else {
    expect(result!.result, label).toEqual(e.result);
  }
}

/** What the store must hold after the cases, by post: title, excerpt and author as extracted. */
export function expectedRecords(
  sources: string,
): Record<string, { source: string; title?: RegExp | string; excerpt?: RegExp; author?: { name: string | RegExp; url?: string } }> {
  const S = (path: string) => `${sources}${path}`;
  const host = new URL(sources).host;
  return {
    '/posts/hello': { source: S('/links'), title: 'A source page', excerpt: /^I liked this post a lot\.$/, author: { name: '' } },
    '/posts/form': { source: S('/form') },
    '/posts/frag': { source: S('/frag') },
    '/posts/forms': { source: S('/forms') },
    '/posts/upper': { source: S('/upper') },
    '/posts/tracked': { source: S('/tracked') },
    '/posts/redirected': { source: S('/redirect-to-redirected') },
    '/posts/entity': { source: S('/entity') },
    '/posts/nofollow': { source: S('/nofollow'), excerpt: /^See THIS$/ },
    '/posts/no-title': { source: S('/no-title'), title: host, author: { name: '' } },
    '/posts/markup-title': { source: S('/markup-title'), title: '<script>alert(1)</script> Title', excerpt: /^bold <i>$/ },
    '/posts/author-hcard': { source: S('/author-hcard'), author: { name: 'Ann Hcard', url: 'https://ann.example/' } },
    '/posts/author-rel': { source: S('/author-rel'), author: { name: 'Rel Author', url: `${sources}/about` } },
    '/posts/author-address': { source: S('/author-address'), author: { name: 'Addy Ress' } },
    '/posts/author-meta': { source: S('/author-meta'), author: { name: 'Meta Author' } },
    '/posts/author-none': { source: S('/author-none'), title: 'Nobody wrote this', author: { name: '' } },
    '/posts/latin1': { source: S('/latin1'), title: 'Café', excerpt: /^Un café this post$/ },
    '/posts/meta-charset': { source: S('/meta-charset'), excerpt: /^“quoted” this post$/ },
  };
}
