import { spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { TestServer } from './http.ts';
import { startServer } from './http.ts';
import { SITE } from './receiver-cases.ts';

const T = (path: string) => new URL(path, SITE).href;

interface Page {
  status?: number;
  type?: string;
  body: string;
}

/** The other blog, for Webmention: each path answers what the test last set for it (`set`). */
export interface WebmentionSources extends TestServer {
  set(path: string, page: Page): void;
}

const doc = (body: string, title = 'A source page') =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;

/** What Bridgy serves for a reply from Mastodon: microformats2, the entry's own URL, an author with a photo. */
export const bridgyReply = (target: string) =>
  doc(
    `<article class="h-entry">
  <span class="p-author h-card"><a class="p-name u-url" href="https://mastodon.example/@alice">Alice Example</a><img class="u-photo" src="https://files.mastodon.example/alice.png" alt=""></span>
  <a class="u-url" href="https://mastodon.example/@alice/112233"></a>
  <div class="e-content p-name">Great post, thanks!</div>
  <time class="dt-published" datetime="2026-11-20T09:30:00Z">20 Nov</time>
  <a class="u-in-reply-to" href="${target}"></a>
</article>`,
    'Alice on Mastodon',
  );

export async function startWebmentionSources(): Promise<WebmentionSources> {
  const pages = new Map<string, Page>([
    ['/wm/hello', { body: doc(`<article><p>I liked <a href="${T('/posts/wm-hello/')}">this post</a> a lot.</p></article>`) }],
    ['/wm/reply', { body: bridgyReply(T('/posts/wm-reply/')) }],
    [
      '/wm/like',
      {
        body: doc(
          `<div class="h-entry"><a class="p-author h-card" href="https://bob.example/">Bob</a> liked <a class="u-like-of" href="${T('/posts/wm-like/')}">this</a></div>`,
        ),
      },
    ],
    ['/wm/nolink', { body: doc('<p>Nothing to see here.</p>') }],
    ['/wm/json', { type: 'application/json', body: JSON.stringify({ items: [{ url: T('/posts/wm-json/') }] }) }],
    ['/wm/text', { type: 'text/plain; charset=utf-8', body: `Reading list: ${T('/posts/wm-text/')} is good.` }],
    ['/wm/img', { body: doc(`<p><img src="${T('/posts/wm-img/')}" alt="a picture of it"></p>`) }],
    ['/wm/exact', { body: doc(`<p><a href="${T('/posts/wm-exact')}">no trailing slash</a></p>`) }],
    ['/wm/update', { body: doc(`<p>First version: <a href="${T('/posts/wm-update/')}">this</a>.</p>`) }],
    ['/wm/double', { body: doc(`<p>WordPress links <a href="${T('/posts/wm-double/')}">this</a>.</p>`) }],
    ['/wm/owner', { body: doc(`<p>Spam about <a href="${T('/posts/wm-owner/')}">this</a>.</p>`) }],
  ]);
  const server = await startServer((req, res: ServerResponse) => {
    const page = pages.get((req.url ?? '/').split('?')[0]!);
    if (!page) return void res.writeHead(404, { 'content-type': 'text/html' }).end('<p>not found</p>');
    res.writeHead(page.status ?? 200, { 'content-type': page.type ?? 'text/html; charset=utf-8' }).end(page.body);
  });
  return Object.assign(server, { set: (path: string, page: Page) => void pages.set(path, page) });
}

export type WebmentionRequest =
  | { form: [string, string][] }
  | { raw: { body: string; contentType?: string } | { base64: string; contentType?: string } }
  | { method: string };
export interface WebmentionCase {
  name: string;
  request: WebmentionRequest;
  status: number;
  /** The reason's first line, exactly. */
  reason?: string;
}

const form = (source: string, target: string): WebmentionRequest => ({
  form: [
    ['source', source],
    ['target', target],
  ],
});

/**
 * Every answer of §3.2.1 as an independent sender gets it, then the Webmentions to verify. `sources` is
 * the source site's base URL; `missing` is the reason for a post that was never built: "does not exist"
 * where the receiver knows every page (`pingback serve`), "does not accept" where it can't be sure.
 */
export function webmentionCases(
  sources: string,
  missing: 'The target does not exist.' | 'The target does not accept Webmentions.',
): { refused: WebmentionCase[]; accepted: WebmentionCase[] } {
  const S = (path: string) => `${sources}${path}`;
  const hello = T('/posts/wm-hello/');
  const refused: WebmentionCase[] = [
    { name: 'GET', request: { method: 'GET' }, status: 405, reason: 'This is a Webmention endpoint: POST a form with source and target here.' },
    { name: 'no source', request: { form: [['target', hello]] }, status: 400, reason: 'The source parameter is missing.' },
    { name: 'no target', request: { form: [['source', S('/wm/hello')]] }, status: 400, reason: 'The target parameter is missing.' },
    { name: 'nothing at all', request: { form: [] }, status: 400, reason: 'The source parameter is missing.' },
    { name: 'an empty source', request: form('', hello), status: 400, reason: 'The source parameter is missing.' },
    {
      name: 'two sources',
      request: {
        form: [
          ['source', S('/wm/hello')],
          ['source', S('/wm/reply')],
          ['target', hello],
        ],
      },
      status: 400,
      reason: 'The source parameter is given more than once.',
    },
    {
      name: 'two targets',
      request: {
        form: [
          ['source', S('/wm/hello')],
          ['target', hello],
          ['target', T('/posts/wm-reply/')],
        ],
      },
      status: 400,
      reason: 'The target parameter is given more than once.',
    },
    { name: 'a source that is no URL', request: form('not a url', hello), status: 400, reason: 'The source is not a valid URL.' },
    { name: 'a relative target', request: form(S('/wm/hello'), '/posts/wm-hello/'), status: 400, reason: 'The target is not a valid URL.' },
    { name: 'a mailto: source', request: form('mailto:alice@other.example', hello), status: 400, reason: 'The source must be an http or https URL.' },
    { name: 'a file: source', request: form('file:///etc/passwd', hello), status: 400, reason: 'The source must be an http or https URL.' },
    {
      name: 'an ftp: target',
      request: form(S('/wm/hello'), 'ftp://blog.example/posts/wm-hello/'),
      status: 400,
      reason: 'The target must be an http or https URL.',
    },
    {
      name: 'credentials in the source',
      request: form(S('/wm/hello').replace('http://', 'http://user:pw@'), hello),
      status: 400,
      reason: 'The source must not carry a user name or password.',
    },
    { name: 'a source of 5,000 characters', request: form(`${S('/wm/hello')}?${'x'.repeat(5000)}`, hello), status: 400, reason: 'The source URL is too long.' },
    { name: 'source equal to target', request: form(hello, hello), status: 400, reason: 'The source and the target are the same URL.' },
    {
      name: 'source equal to target but for the fragment',
      request: form(`${hello}#comment-1`, hello),
      status: 400,
      reason: 'The source and the target are the same URL.',
    },
    {
      name: 'a target on another site',
      request: form(S('/wm/hello'), 'https://elsewhere.example/posts/wm-hello/'),
      status: 400,
      reason: 'The target is not a page of this site.',
    },
    { name: 'the home page', request: form(S('/wm/hello'), T('/')), status: 400, reason: 'The target does not accept Webmentions.' },
    { name: 'a tag page', request: form(S('/wm/hello'), T('/tags/news/')), status: 400, reason: 'The target does not accept Webmentions.' },
    { name: 'the feed', request: form(S('/wm/hello'), T('/rss.xml')), status: 400, reason: 'The target does not accept Webmentions.' },
    { name: 'a post that takes none', request: form(S('/wm/hello'), T('/posts/closed/')), status: 400, reason: 'The target does not accept Webmentions.' },
    { name: 'a post never built', request: form(S('/wm/hello'), T('/posts/never-built/')), status: 400, reason: missing },
    {
      name: 'a source on this site',
      request: form(T('/posts/wm-reply/'), hello),
      status: 400,
      reason: "Webmentions from this site's own pages are not recorded.",
    },
    {
      name: 'JSON',
      request: { raw: { body: JSON.stringify({ source: S('/wm/hello'), target: hello }), contentType: 'application/json' } },
      status: 415,
      reason: 'Send source and target as application/x-www-form-urlencoded.',
    },
    {
      name: 'XML',
      request: { raw: { body: '<methodCall/>', contentType: 'text/xml' } },
      status: 415,
      reason: 'Send source and target as application/x-www-form-urlencoded.',
    },
    {
      name: 'a body over 64 KiB',
      request: form(S('/wm/hello'), `${hello}?${'x'.repeat(70_000)}`),
      status: 413,
      reason: 'The request body is too large for a Webmention.',
    },
  ];
  const accepted: WebmentionCase[] = [
    { name: 'a plain link', request: form(S('/wm/hello'), hello), status: 202 },
    { name: 'a reply with microformats', request: form(S('/wm/reply'), T('/posts/wm-reply/')), status: 202 },
    { name: 'a like', request: form(S('/wm/like'), T('/posts/wm-like/')), status: 202 },
    { name: 'a page without the link', request: form(S('/wm/nolink'), T('/posts/wm-nolink/')), status: 202 },
    { name: 'a JSON source', request: form(S('/wm/json'), T('/posts/wm-json/')), status: 202 },
    { name: 'a plain-text source', request: form(S('/wm/text'), T('/posts/wm-text/')), status: 202 },
    { name: 'an image of the post', request: form(S('/wm/img'), T('/posts/wm-img/')), status: 202 },
    { name: 'a link that is not exactly the target', request: form(S('/wm/exact'), T('/posts/wm-exact/')), status: 202 },
    {
      name: 'a parameter no receiver needs (Vouch)',
      request: {
        form: [
          ['source', S('/wm/update')],
          ['target', T('/posts/wm-update/')],
          ['vouch', 'https://friend.example/'],
        ],
      },
      status: 202,
    },
  ];
  return { refused, accepted };
}

/** The Webmentions verified from `webmentionCases`' accepted list: post key → what the record holds (null: none). */
export const EXPECTED_WEBMENTIONS: Record<string, { kind?: string; excerpt?: RegExp; author?: object; url?: string } | null> = {
  '/posts/wm-hello': { kind: 'mention', excerpt: /^I liked this post a lot\.$/ },
  '/posts/wm-reply': {
    kind: 'reply',
    excerpt: /^Great post, thanks!$/,
    author: { name: 'Alice Example', url: 'https://mastodon.example/@alice', photo: 'https://files.mastodon.example/alice.png' },
    url: 'https://mastodon.example/@alice/112233',
  },
  '/posts/wm-like': { kind: 'like', author: { name: 'Bob', url: 'https://bob.example/' } },
  '/posts/wm-nolink': null,
  '/posts/wm-json': { kind: 'mention' },
  '/posts/wm-text': { kind: 'mention', excerpt: /is good\.$/ },
  '/posts/wm-img': { kind: 'mention' },
  '/posts/wm-exact': null,
  '/posts/wm-update': { kind: 'mention', excerpt: /^First version: this\.$/ },
};

export interface WebmentionResult {
  status?: number;
  body?: string;
  contentType?: string | null;
  allow?: string | null;
  retryAfter?: string | null;
  error?: string;
}

const CLIENT = fileURLToPath(new URL('./peers/webmention_client.py', import.meta.url));

/** Sends the requests, in order, with Python's urllib. */
export function runWebmentionClient(endpoint: string, requests: WebmentionRequest[]): Promise<WebmentionResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [CLIENT], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as WebmentionResult[]) : reject(new Error(`webmention_client.py exited ${code}`))));
    child.stdin.end(JSON.stringify({ endpoint, cases: requests }));
  });
}

export function expectWebmentionCase(c: WebmentionCase, result: WebmentionResult | undefined): void {
  expect(result, c.name).toBeDefined();
  expect(result!.error, c.name).toBeUndefined();
  expect(result!.status, `${c.name}: ${JSON.stringify(result)}`).toBe(c.status);
  expect(result!.contentType, c.name).toBe('text/plain; charset=utf-8');
  if (c.reason) expect(result!.body, c.name).toBe(`${c.reason}\n`);
  if (c.status === 202) expect(result!.body, c.name).toMatch(/^Accepted: the source will be fetched and checked for a link to the target\.\n$/);
  if (c.status === 405) expect(result!.allow, c.name).toBe('POST');
}

/** Resolves when `read()` matches `pattern`; polls, for logs and stores another process writes. */
export async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`still not there after ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
