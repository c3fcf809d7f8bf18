import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlainRequest } from '@pingback/core';
import { FileStore, Receiver } from '@pingback/core';
import type { Served } from '../../packages/cli/test/serve-support.ts';
import { startServe } from '../../packages/cli/test/serve-support.ts';
import { freePort } from '../support/free-port.ts';
import { rawRequest } from '../support/raw-http.ts';
import { writeReceiverSite } from '../support/receiver-cases.ts';
import { record } from '../support/store-contract.ts';

// The moderation page's routes against what a stranger (or a broken client) sends: odd methods, path
// tricks, oversized and mistyped forms, floods of fields and cookies. Each case goes through the
// receiver's handler and again as raw bytes through `pingback serve`; each gets its exact status,
// nothing in the store changes, and serve keeps answering with nothing unexpected in its log.

const TOKEN = 'hostile-admin-token-0123456789abcdef';
let dir: string;
let site: string;
let served: Served;
let receiver: Receiver;
let store: FileStore;
let cookie: string;
let csrf: string;
const pending = record('/posts/hello', 'https://pending.example/', { status: 'pending' });

interface AdminCase {
  name: string;
  method: string;
  target: string;
  headers?: Record<string, string>;
  body?: string;
  /** Send the session cookie (and the form token, appended to a form body). */
  session?: boolean;
  status: number;
  /** Text the answer must not contain (a reflection). */
  absent?: string[];
  /** Only as raw bytes through serve: the handler never sees such a request line. */
  rawOnly?: boolean;
}

const form = 'application/x-www-form-urlencoded';
const big = (n: number) => `token=${'a'.repeat(n)}`;

function cases(): AdminCase[] {
  const origin = { origin: new URL(site).origin };
  return [
    ...['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND'].map((method) => ({ name: `${method} on the page`, method, target: '/pingback/admin', status: 405 })),
    { name: 'DELETE on an action', method: 'DELETE', target: '/pingback/admin/action', session: true, status: 405 },
    { name: 'GET on an action', method: 'GET', target: '/pingback/admin/action', session: true, status: 405 },
    { name: 'GET on the sign-in action', method: 'GET', target: '/pingback/admin/sign-in', status: 303 },
    { name: 'POST on the list', method: 'POST', target: '/pingback/admin', headers: { ...origin, 'content-type': form }, body: 'x=1', status: 405 },
    { name: 'dot segments out of the page', method: 'GET', target: '/pingback/admin/../../xmlrpc', status: 405, rawOnly: true },
    { name: 'encoded dot segments', method: 'GET', target: '/pingback/admin/%2e%2e/%2e%2e/etc/passwd', status: 404, rawOnly: true },
    { name: 'an encoded slash', method: 'GET', target: '/pingback/admin%2fhosts', status: 404 },
    { name: 'a doubled slash', method: 'GET', target: '/pingback/admin//hosts', status: 404 },
    { name: 'a NUL byte', method: 'GET', target: '/pingback/admin/hosts%00', status: 404 },
    { name: 'another case', method: 'GET', target: '/PINGBACK/ADMIN', status: 404 },
    { name: 'a prefix of the path', method: 'GET', target: '/pingback/administrator', status: 404 },
    { name: 'an 8 KB path under the page', method: 'GET', target: `/pingback/admin/${'a'.repeat(8000)}`, status: 404 },
    {
      name: 'notes and undo ids that are not ours',
      method: 'GET',
      target: '/pingback/admin?note=%3Cscript%3Ealert(1)%3C/script%3E&done=%3Cimg%20src=x%3E&status=%22%3E%3Cscript%3E',
      session: true,
      status: 200,
      absent: ['<script>alert', '<img src=x', '"><script>'],
    },
    { name: 'an absolute-form target naming another host', method: 'GET', target: 'http://evil.example/pingback/admin', status: 200, rawOnly: true },
    {
      name: 'a sign-in larger than the cap (Content-Length)',
      method: 'POST',
      target: '/pingback/admin/sign-in',
      headers: { ...origin, 'content-type': form },
      body: big(70_000),
      status: 413,
    },
    {
      name: 'a sign-in as text/plain',
      method: 'POST',
      target: '/pingback/admin/sign-in',
      headers: { ...origin, 'content-type': 'text/plain' },
      body: `token=${TOKEN}`,
      status: 415,
    },
    {
      name: 'a sign-in as multipart',
      method: 'POST',
      target: '/pingback/admin/sign-in',
      headers: { ...origin, 'content-type': 'multipart/form-data; boundary=x' },
      body: `--x\r\nContent-Disposition: form-data; name="token"\r\n\r\n${TOKEN}\r\n--x--\r\n`,
      status: 415,
    },
    {
      name: 'a sign-in saying neither Origin nor Sec-Fetch-Site',
      method: 'POST',
      target: '/pingback/admin/sign-in',
      headers: { 'content-type': form },
      body: `token=${TOKEN}`,
      status: 403,
    },
    {
      name: 'an action with 300 fields',
      method: 'POST',
      target: '/pingback/admin/action',
      headers: { ...origin, 'content-type': form },
      body: `${Array.from({ length: 300 }, (_, i) => `id=${i}`).join('&')}&op=approve&one=approve:${pending.id}`,
      session: true,
      status: 413,
    },
    {
      name: 'an action larger than the cap',
      method: 'POST',
      target: '/pingback/admin/action',
      headers: { ...origin, 'content-type': form },
      body: `one=approve:${pending.id}&pad=${'b'.repeat(70_000)}`,
      session: true,
      status: 413,
    },
    {
      name: 'an action as JSON',
      method: 'POST',
      target: '/pingback/admin/action',
      headers: { ...origin, 'content-type': 'application/json' },
      body: JSON.stringify({ one: `approve:${pending.id}` }),
      session: true,
      status: 415,
    },
    {
      name: 'an action with a forged cookie',
      method: 'POST',
      target: '/pingback/admin/action',
      headers: { ...origin, 'content-type': form, cookie: `pingback-admin=9999999999.${'A'.repeat(22)}.${'B'.repeat(43)}` },
      body: `one=approve:${pending.id}`,
      status: 403,
    },
    {
      name: 'an action naming no id of ours',
      method: 'POST',
      target: '/pingback/admin/action',
      headers: { ...origin, 'content-type': form },
      body: 'one=approve:../../etc&op=approve&id=%00',
      session: true,
      status: 303,
    },
    {
      name: 'an action that is not one',
      method: 'POST',
      target: '/pingback/admin/action',
      headers: { ...origin, 'content-type': form },
      body: `one=launch:${pending.id}`,
      session: true,
      status: 303,
    },
    {
      name: 'a 10,000-character host',
      method: 'POST',
      target: '/pingback/admin/hosts',
      headers: { ...origin, 'content-type': form },
      body: `add=blocklist&host=${'h'.repeat(10_000)}`,
      session: true,
      status: 303,
    },
    {
      name: 'a removal of an entry that does not exist',
      method: 'POST',
      target: '/pingback/admin/hosts',
      headers: { ...origin, 'content-type': form },
      body: 'remove=blocklist:9999:000000000000',
      session: true,
      status: 303,
    },
    {
      name: 'an undo of an entry that does not exist',
      method: 'POST',
      target: '/pingback/admin/undo',
      headers: { ...origin, 'content-type': form },
      body: 'entry=AAAAAAAAAAAA',
      session: true,
      status: 303,
    },
    {
      name: '200 cookies and a 12 KB one',
      method: 'GET',
      target: '/pingback/admin',
      headers: { cookie: `${Array.from({ length: 200 }, (_, i) => `c${i}=${i}`).join('; ')}; pingback-admin=${'z'.repeat(12_000)}` },
      status: 200,
    },
  ];
}

function withSession(c: AdminCase): { headers: Record<string, string>; body: string | undefined } {
  const headers = { ...(c.headers ?? {}) };
  let body = c.body;
  if (c.session) {
    headers.cookie = headers.cookie ? `${headers.cookie}; ${cookie}` : cookie;
    if (body !== undefined && (c.headers?.['content-type'] ?? '').startsWith(form)) body = `${body}&csrf=${csrf}`;
  }
  return { headers, body };
}

async function viaHandler(c: AdminCase): Promise<{ status: number; text: string }> {
  const { headers, body } = withSession(c);
  const bytes = body === undefined ? null : Buffer.from(body);
  const max = receiver.settings.maxRequestBytes;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const request: PlainRequest = {
    method: c.method,
    url: new URL(c.target, site),
    header: (name) => lower[name] ?? null,
    body: bytes && bytes.byteLength > max ? new Uint8Array(0) : bytes,
    complete: !bytes || bytes.byteLength <= max,
  };
  const answer = await receiver.respond(request, { clientAddress: '203.0.113.50' });
  return { status: answer.status, text: answer.body ?? '' };
}

async function viaServe(c: AdminCase): Promise<{ status: number | null; text: string }> {
  const { headers, body } = withSession(c);
  const port = Number(new URL(site).port);
  const lines = [`${c.method} ${c.target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  const reply = await rawRequest(port, `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`, { waitMs: 3000 });
  return reply;
}

const snapshot = async () =>
  JSON.stringify([await store.list(), await store.getMeta('blocklist'), await store.getMeta('allowlist'), await store.getMeta('admin-undo')]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-hostile-admin-'));
  const fixture = await writeReceiverSite(dir);
  site = `http://127.0.0.1:${await freePort()}/`;
  store = new FileStore(join(dir, 'store'));
  await store.insert(pending);
  served = await startServe(['--port', new URL(site).port, '--root', fixture.root, '--site', site, '--store', join(dir, 'store'), '--rate-limit', '0'], dir, {
    PINGBACK_ADMIN_TOKEN: TOKEN,
  });
  receiver = new Receiver({ site, store, pages: ['/posts/hello'], admin: { token: TOKEN } });
  const signedIn = await fetch(`${site}pingback/admin/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ token: TOKEN }),
    headers: { origin: new URL(site).origin },
  });
  cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
  csrf = /name="csrf" value="([^"]+)"/.exec(await (await fetch(`${site}pingback/admin`, { headers: { cookie } })).text())![1]!;
}, 60_000);

afterAll(async () => {
  await served?.stop();
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('hostile requests to the moderation page', () => {
  it('answers each through the handler with its exact status and changes nothing', async () => {
    const before = await snapshot();
    for (const c of cases().filter((c) => !c.rawOnly)) {
      const answer = await viaHandler(c);
      expect(answer.status, c.name).toBe(c.status);
      for (const text of c.absent ?? []) expect(answer.text, c.name).not.toContain(text);
      expect(await snapshot(), c.name).toBe(before);
    }
  });

  it('answers each as raw bytes through pingback serve the same way, and serve keeps answering with nothing unexpected logged', async () => {
    const before = await snapshot();
    const all = cases();
    for (const c of all) {
      const answer = await viaServe(c);
      expect(answer.status, c.name).toBe(c.status);
      for (const text of c.absent ?? []) expect(answer.text, c.name).not.toContain(text);
      expect(await snapshot(), c.name).toBe(before);
    }
    expect(served.child.exitCode).toBeNull();
    expect((await fetch(`${site}pingback/admin`, { headers: { cookie } })).status).toBe(200);
    const unexpected = served
      .stderr()
      .split('\n')
      .filter((l) => l && !l.includes('a sign-in with a wrong token was refused'));
    expect(unexpected).toEqual([]);
    expect(all.length).toBe(33);
  });
});
