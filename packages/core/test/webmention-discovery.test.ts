import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Recorded, TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import { sendBatch } from '../src/send/batch.ts';
import { MemoryLedger } from '../src/send/ledger.ts';
import { sendWebmention } from '../src/send/send-webmention.ts';

/*
 * Webmention discovery (§3.1.2) as the conformance suite at webmention.rocks checks it: its 23 discovery
 * tests, rebuilt here from their descriptions on a loopback server, then each further rule of the
 * Recommendation the issue names. Every case runs through the real sender (sendWebmention, then one
 * batch of all of them): a case passes when the POST reaches the right endpoint, with the query string
 * it was advertised with and a body of exactly `source` and `target`, and never an endpoint marked wrong.
 */

const SOURCE = 'https://sender.example/posts/reply/';
let server: TestServer;
let base: string;

interface Page {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string;
  type?: string;
}
interface Case {
  name: string;
  path: string;
  page: (base: string) => Page;
  /** The endpoint's path and query that must receive the Webmention; null: the target offers none. */
  endpoint: string | null;
  via?: 'header' | 'link' | 'a';
}

const doc = (head: string, body = '') => `<!doctype html><html><head><meta charset="utf-8"><title>t</title>${head}</head><body>${body}</body></html>`;

const CASES: Case[] = [
  {
    name: 'rocks 1: Link header, unquoted rel, relative URL',
    path: '/test/1',
    page: () => ({ headers: { Link: '</test/1/webmention?head=true>; rel=webmention' } }),
    endpoint: '/test/1/webmention?head=true',
    via: 'header',
  },
  {
    name: 'rocks 2: Link header, unquoted rel, absolute URL',
    path: '/test/2',
    page: (b) => ({ headers: { Link: `<${b}/test/2/webmention?head=true>; rel=webmention` } }),
    endpoint: '/test/2/webmention?head=true',
    via: 'header',
  },
  {
    name: 'rocks 3: <link>, relative URL',
    path: '/test/3',
    page: () => ({ body: doc('<link rel="webmention" href="/test/3/webmention">') }),
    endpoint: '/test/3/webmention',
    via: 'link',
  },
  {
    name: 'rocks 4: <link>, absolute URL',
    path: '/test/4',
    page: (b) => ({ body: doc(`<link rel="webmention" href="${b}/test/4/webmention">`) }),
    endpoint: '/test/4/webmention',
    via: 'link',
  },
  {
    name: 'rocks 5: <a>, relative URL',
    path: '/test/5',
    page: () => ({ body: doc('', '<a rel="webmention" href="/test/5/webmention">endpoint</a>') }),
    endpoint: '/test/5/webmention',
    via: 'a',
  },
  {
    name: 'rocks 6: <a>, absolute URL',
    path: '/test/6',
    page: (b) => ({ body: doc('', `<a rel="webmention" href="${b}/test/6/webmention">endpoint</a>`) }),
    endpoint: '/test/6/webmention',
    via: 'a',
  },
  {
    name: 'rocks 7: Link header with strange casing',
    path: '/test/7',
    page: (b) => ({ headers: { LinK: `<${b}/test/7/webmention?head=true>; rel=webmention` } }),
    endpoint: '/test/7/webmention?head=true',
    via: 'header',
  },
  {
    name: 'rocks 8: Link header, quoted rel',
    path: '/test/8',
    page: () => ({ headers: { Link: '</test/8/webmention?head=true>; rel="webmention"' } }),
    endpoint: '/test/8/webmention?head=true',
    via: 'header',
  },
  {
    name: 'rocks 9: several rel values on a <link>',
    path: '/test/9',
    page: () => ({ body: doc('<link rel="webmention somethingelse" href="/test/9/webmention">') }),
    endpoint: '/test/9/webmention',
    via: 'link',
  },
  {
    name: 'rocks 10: several rel values in a Link header',
    path: '/test/10',
    page: () => ({ headers: { Link: '</test/10/webmention?head=true>; rel="webmention somethingelse"' } }),
    endpoint: '/test/10/webmention?head=true',
    via: 'header',
  },
  {
    name: 'rocks 11: Link header, <link> and <a>: the header wins',
    path: '/test/11',
    page: () => ({
      headers: { Link: '</test/11/webmention>; rel="webmention"' },
      body: doc('<link rel="webmention" href="/test/11/webmention/error">', '<a rel="webmention" href="/test/11/webmention/error">x</a>'),
    }),
    endpoint: '/test/11/webmention',
    via: 'header',
  },
  {
    name: 'rocks 12: rel="not-webmention" is no match',
    path: '/test/12',
    page: () => ({ body: doc('<link rel="not-webmention" href="/test/12/webmention/error"><link rel="webmention" href="/test/12/webmention">') }),
    endpoint: '/test/12/webmention',
    via: 'link',
  },
  {
    name: 'rocks 13: an endpoint in an HTML comment is no endpoint',
    path: '/test/13',
    page: () => ({ body: doc('<!-- <link rel="webmention" href="/test/13/webmention/error"> --><link rel="webmention" href="/test/13/webmention">') }),
    endpoint: '/test/13/webmention',
    via: 'link',
  },
  {
    name: 'rocks 14: an endpoint in escaped HTML is no endpoint',
    path: '/test/14',
    page: () => ({
      body: doc(
        '',
        '<code>&lt;a href="/test/14/webmention/error" rel="webmention"&gt;&lt;/a&gt;</code><a href="/test/14/webmention" rel="webmention">real</a>',
      ),
    }),
    endpoint: '/test/14/webmention',
    via: 'a',
  },
  {
    name: 'rocks 15: an empty href is the page itself',
    path: '/test/15',
    page: () => ({ body: doc('<link rel="webmention" href="">') }),
    endpoint: '/test/15',
    via: 'link',
  },
  {
    name: 'rocks 16: <a> then <link>: document order',
    path: '/test/16',
    page: () => ({ body: doc('', '<a href="/test/16/webmention" rel="webmention">a</a><link rel="webmention" href="/test/16/webmention/error">') }),
    endpoint: '/test/16/webmention',
    via: 'a',
  },
  {
    name: 'rocks 17: <link> then <a>: document order',
    path: '/test/17',
    page: () => ({ body: doc('<link rel="webmention" href="/test/17/webmention">', '<a href="/test/17/webmention/error" rel="webmention">a</a>') }),
    endpoint: '/test/17/webmention',
    via: 'link',
  },
  {
    name: 'rocks 18: several Link headers',
    path: '/test/18',
    page: (b) => ({ headers: { Link: [`<${b}/test/18/webmention/error>; rel="other"`, '</test/18/webmention?head=true>; rel="webmention"'] } }),
    endpoint: '/test/18/webmention?head=true',
    via: 'header',
  },
  {
    name: 'rocks 19: one Link header with several values',
    path: '/test/19',
    page: (b) => ({ headers: { Link: `<${b}/test/19/webmention/error>; rel="other", </test/19/webmention?head=true>; rel="webmention"` } }),
    endpoint: '/test/19/webmention?head=true',
    via: 'header',
  },
  {
    name: 'rocks 20: a <link> without href is skipped',
    path: '/test/20',
    page: () => ({ body: doc('<link rel="webmention">', '<a rel="webmention" href="/test/20/webmention">a</a>') }),
    endpoint: '/test/20/webmention',
    via: 'a',
  },
  {
    name: 'rocks 21: the endpoint keeps its query string',
    path: '/test/21',
    page: () => ({ body: doc('<link rel="webmention" href="/test/21/webmention?query=yes">') }),
    endpoint: '/test/21/webmention?query=yes',
    via: 'link',
  },
  {
    name: 'rocks 22: an endpoint relative to the path',
    path: '/test/22',
    page: () => ({ body: doc('<link rel="webmention" href="22/webmention">') }),
    endpoint: '/test/22/webmention',
    via: 'link',
  },
  {
    name: 'rocks 23: a target that redirects, with a relative endpoint: resolved against the final URL',
    path: '/test/23/page',
    page: () => ({ status: 302, headers: { location: '/test/23/page/final' } }),
    endpoint: '/test/23/page/webmention-endpoint/7',
    via: 'header',
  },

  // Further rules of §3.1.2 and of Link headers (RFC 8288).
  {
    name: 'a comma inside the <URI> is part of it',
    path: '/more/comma',
    page: () => ({ headers: { Link: '</more/a,b/webmention>; rel=webmention' } }),
    endpoint: '/more/a,b/webmention',
    via: 'header',
  },
  {
    name: 'a malformed link-value does not hide the good one after it',
    path: '/more/malformed',
    page: () => ({ headers: { Link: 'garbage; rel=webmention, <"/more/malformed/error">; rel, </more/malformed/webmention>; rel="webmention"' } }),
    endpoint: '/more/malformed/webmention',
    via: 'header',
  },
  {
    name: 'a quoted rel with escapes and other tokens, in upper case',
    path: '/more/escaped',
    page: () => ({ headers: { link: '</more/escaped/webmention>; title="a \\"quoted\\" title, with a comma"; REL="Other WEBMENTION"' } }),
    endpoint: '/more/escaped/webmention',
    via: 'header',
  },
  {
    name: 'only the first rel parameter counts',
    path: '/more/two-rels',
    page: () => ({
      headers: { Link: '</more/two-rels/error>; rel=other; rel=webmention' },
      body: doc('<link rel="webmention" href="/more/two-rels/webmention">'),
    }),
    endpoint: '/more/two-rels/webmention',
    via: 'link',
  },
  {
    name: 'a Link header on a non-HTML target is found',
    path: '/more/image',
    page: () => ({ type: 'image/png', headers: { Link: '</more/image/webmention>; rel="webmention"' }, body: 'x'.repeat(100_000) }),
    endpoint: '/more/image/webmention',
    via: 'header',
  },
  {
    name: 'a <link> in a plain-text document is no link',
    path: '/more/plain',
    page: () => ({ type: 'text/plain', body: '<link rel="webmention" href="/more/plain/error">' }),
    endpoint: null,
  },
  {
    name: 'markup inside a script is no link',
    path: '/more/script',
    page: () => ({
      body: doc(
        '<script>document.write(\'<link rel="webmention" href="/more/script/error">\')</script>',
        '<a rel="webmention" href="/more/script/webmention">a</a>',
      ),
    }),
    endpoint: '/more/script/webmention',
    via: 'a',
  },
  {
    name: 'a <link> inside <template> is inert',
    path: '/more/template',
    page: () => ({
      body: doc('', '<template><link rel="webmention" href="/more/template/error"></template><link rel="webmention" href="/more/template/webmention">'),
    }),
    endpoint: '/more/template/webmention',
    via: 'link',
  },
  {
    name: 'an unclosed comment hides everything after it',
    path: '/more/unclosed',
    page: () => ({ body: doc('', '<!-- <a rel="webmention" href="/more/unclosed/error">') }),
    endpoint: null,
  },
  {
    name: 'unquoted attributes and upper-case names',
    path: '/more/unquoted',
    page: () => ({ body: doc('<LINK REL=WebMention HREF=/more/unquoted/webmention>') }),
    endpoint: '/more/unquoted/webmention',
    via: 'link',
  },
  {
    name: 'an href that is no http(s) URL is passed over',
    path: '/more/javascript',
    page: () => ({ body: doc('<link rel="webmention" href="javascript:alert(1)">', '<a rel="webmention" href="/more/javascript/webmention">a</a>') }),
    endpoint: '/more/javascript/webmention',
    via: 'a',
  },
  {
    name: 'entities in the href are decoded',
    path: '/more/entities',
    page: () => ({ body: doc('<link rel="webmention" href="/more/entities/webmention?a=1&amp;b=2">') }),
    endpoint: '/more/entities/webmention?a=1&b=2',
    via: 'link',
  },
  {
    name: 'a target answering 404 offers nothing',
    path: '/more/missing',
    page: () => ({
      status: 404,
      headers: { Link: '</more/missing/error>; rel="webmention"' },
      body: doc('<link rel="webmention" href="/more/missing/error">'),
    }),
    endpoint: null,
  },
  { name: 'no endpoint at all', path: '/more/none', page: () => ({ body: doc('<link rel="pingback" href="/more/none/error">') }), endpoint: null },
];

const byPath = new Map(CASES.map((c) => [c.path, c]));

function answer(res: ServerResponse, page: Page): void {
  const headers: Record<string, string | string[]> = { 'content-type': page.type ?? 'text/html; charset=utf-8', ...page.headers };
  res.writeHead(page.status ?? 200, headers).end(page.body ?? doc(''));
}

beforeAll(async () => {
  server = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST') return void res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
    // rocks 23: the page a redirect lands on carries a Link relative to where it is.
    if (url.pathname === '/test/23/page/final') return void answer(res, { headers: { Link: '<webmention-endpoint/7>; rel="webmention"' } });
    const c = byPath.get(url.pathname);
    if (!c) return void res.writeHead(404).end('not found');
    answer(res, c.page(base));
  });
  base = server.url;
});
afterAll(() => server.close());

const posts = (from: number) => server.requests.slice(from).filter((r) => r.method === 'POST');
const form = (target: string) => new URLSearchParams({ source: SOURCE, target }).toString();

function expectDelivered(c: Case, got: Recorded[], target: string): void {
  expect(
    got.filter((r) => r.path.includes('/error')),
    c.name,
  ).toEqual([]);
  if (c.endpoint === null) {
    expect(got, c.name).toEqual([]);
    return;
  }
  expect(
    got.map((r) => r.path),
    c.name,
  ).toEqual([c.endpoint]);
  expect(got[0]!.headers['content-type'], c.name).toBe('application/x-www-form-urlencoded');
  // The endpoint's own query string stays in the URL and never moves into the body.
  expect(got[0]!.body, c.name).toBe(form(target));
}

describe('Webmention discovery, through sendWebmention', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const target = `${base}${c.path}`;
    const from = server.requests.length;
    const result = await sendWebmention(SOURCE, target, { allowPrivateNetwork: true, timeoutMs: 3000 });
    if (c.endpoint === null) expect(result, c.name).toMatchObject({ status: 'no-endpoint', endpoint: null });
    else expect(result, c.name).toMatchObject({ status: 'registered', httpStatus: 202, endpoint: new URL(c.endpoint, base).href, via: c.via });
    expectDelivered(c, posts(from), target);
    // One fetch of the target, no HEAD: a redirect is the only second request.
    const fetches = server.requests.slice(from).filter((r) => r.method !== 'POST');
    expect(
      fetches.map((r) => r.method),
      c.name,
    ).toEqual(c.path === '/test/23/page' ? ['GET', 'GET'] : ['GET']);
  });
});

describe('the same table as one batch', () => {
  it('sends each target its Webmention, finding both endpoints with one GET per target', async () => {
    const from = server.requests.length;
    const ledger = new MemoryLedger();
    const report = await sendBatch(
      CASES.map((c) => ({ source: SOURCE, target: `${base}${c.path}` })),
      { allowPrivateNetwork: true, ledger, timeoutMs: 3000, perHost: 4 },
    );
    const requests = server.requests.slice(from);
    for (const c of CASES) {
      const target = `${base}${c.path}`;
      const row = report.rows.find((r) => r.target === target)!;
      expect(row, c.name).toMatchObject(
        c.endpoint === null ? { status: 'no-endpoint', protocol: null } : { status: 'registered', protocol: 'webmention', httpStatus: 202 },
      );
      expect(ledger.get(SOURCE, target), c.name).toMatchObject(
        c.endpoint === null ? { status: 'no-endpoint', sought: ['webmention', 'pingback'] } : { status: 'registered', protocol: 'webmention' },
      );
      const mine = requests.filter((r) => r.method === 'POST' && (c.endpoint === null ? r.path.startsWith(`${c.path}/`) : r.path === c.endpoint));
      expectDelivered(c, mine, target);
    }
    expect(requests.filter((r) => r.method === 'HEAD')).toEqual([]);
    expect(requests.filter((r) => r.method === 'GET')).toHaveLength(CASES.length + 1); // + the redirect's second hop
  });
});
