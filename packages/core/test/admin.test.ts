import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../../test/support/admin-client.ts';
import type { TestServer } from '../../../test/support/http.ts';
import { html, startServer } from '../../../test/support/http.ts';
import { record } from '../../../test/support/store-contract.ts';
import { PingbackOptionError } from '../src/errors.ts';
import { createSessionCookie, sessionKeys } from '../src/admin/session.ts';
import type { ReceiverOptions } from '../src/receive/receiver-options.ts';
import { Receiver } from '../src/receive/receiver.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import type { PingbackRecord } from '../src/store/record.ts';
import { parseMethodResponse, writeMethodCall } from '../src/xmlrpc/index.ts';

const SITE = 'https://blog.example/';
const TOKEN = 'correct-horse-battery-staple-0123456789';
let source: TestServer;
let hook: TestServer;

beforeAll(async () => {
  source = await startServer(html(`<!doctype html><title>A reply</title><p><a href="${SITE}posts/a/">a post</a></p>`));
  hook = await startServer((_req, res) => void res.writeHead(200).end('ok'));
});
afterAll(() => Promise.all([source.close(), hook.close()]));

function setup(extra: Partial<ReceiverOptions> = {}, clock = { now: () => Date.now() }) {
  const store = new MemoryStore();
  const receiver = new Receiver({
    site: SITE,
    store,
    pages: ['/posts/a', '/posts/b'],
    rateLimit: 0,
    allowPrivateNetwork: true,
    resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    admin: { token: TOKEN },
    clock,
    ...extra,
  });
  return { store, receiver, client: adminClient(receiver) };
}

async function ping(receiver: Receiver, from: string) {
  const response = await receiver.handle(new Request(`${SITE}xmlrpc`, { method: 'POST', body: writeMethodCall('pingback.ping', [from, `${SITE}posts/a/`]) }));
  return parseMethodResponse(new Uint8Array(await response.arrayBuffer()));
}

const sourceOn = (host: string) => `http://${host}:${source.port}/reply`;

describe('the moderation page: on, off and its options', () => {
  it('is not there without a token: the path is a 404 like any other', async () => {
    const receiver = new Receiver({ site: SITE, store: new MemoryStore(), pages: [] });
    expect((await receiver.handle(new Request(`${SITE}pingback/admin`))).status).toBe(404);
    expect(receiver.admin).toBeUndefined();
  });

  it('refuses a short token, a path over the endpoints and an http site off loopback, saying what to do', () => {
    const make =
      (admin: ReceiverOptions['admin'], site = SITE) =>
      () =>
        new Receiver({ site, store: new MemoryStore(), pages: [], admin });
    expect(make({ token: 'short' })).toThrow(/admin\.token.*at least 24 characters, got 5.*openssl rand -base64 32/);
    expect(make({ token: TOKEN, path: '/xmlrpc' })).toThrow(/admin\.path.*overlaps/);
    expect(make({ token: TOKEN, path: '/webmention' })).toThrow(/admin\.path.*overlaps the receiver's \/webmention/);
    expect(make({ token: TOKEN, path: '/a/../b' })).toThrow(PingbackOptionError);
    expect(make({ token: TOKEN }, 'http://blog.example/')).toThrow(/needs an https site.*loopback/);
    expect(make({ token: TOKEN }, 'http://127.0.0.1:4321/')).not.toThrow();
  });
});

describe('signing in', () => {
  it('shows the sign-in form, not the records, without a session', async () => {
    const { store, client } = setup();
    await store.insert(record('/posts/a', 'https://secret.example/', { status: 'pending', title: 'Do not show me' }));
    const response = await client.get('');
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('action="/pingback/admin/sign-in"');
    expect(text).not.toContain('Do not show me');
    expect(text).not.toContain('secret.example');
  });

  it('sets a signed, HttpOnly, Secure, SameSite=Strict __Host- cookie for the right token', async () => {
    const { client } = setup();
    const response = await client.signIn(TOKEN);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/pingback/admin');
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^__Host-pingback-admin=\d+\.[\w-]{22}\.[\w-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/);
    expect(await (await client.get('')).text()).toContain('Sign out');
  });

  it('drops Secure (and the __Host- prefix) only for a site on plain http on loopback, scoping the cookie to the page', async () => {
    const receiver = new Receiver({ site: 'http://127.0.0.1:4321/', store: new MemoryStore(), pages: [], admin: { token: TOKEN } });
    const response = await adminClient(receiver).signIn(TOKEN);
    expect(response.headers.get('set-cookie')).toMatch(/^pingback-admin=[^;]+; Path=\/pingback\/admin; Max-Age=43200; HttpOnly; SameSite=Strict$/);
  });

  it('refuses a wrong token with 401, and after 5 failures refuses even the right one for 15 minutes (429)', async () => {
    let now = Date.UTC(2026, 11, 1);
    const { client } = setup({}, { now: () => now });
    for (let i = 0; i < 5; i++) {
      const wrong = await client.signIn(`${TOKEN}x`);
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('set-cookie')).toBeNull();
    }
    const locked = await client.signIn(TOKEN);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBe(15 * 60);
    expect(locked.headers.get('set-cookie')).toBeNull();
    expect(await locked.text()).toContain('Too many failed sign-ins');
    now += 15 * 60_000;
    expect((await client.signIn(TOKEN)).status).toBe(303);
  });

  it('counts failures per client: a second address signs in while the first is locked out', async () => {
    const { receiver } = setup();
    const attacker = adminClient(receiver, { clientAddress: '198.51.100.7' });
    for (let i = 0; i < 5; i++) await attacker.signIn('wrong-wrong-wrong-wrong-wrong');
    expect((await attacker.signIn(TOKEN)).status).toBe(429);
    expect((await adminClient(receiver, { clientAddress: '198.51.100.8' }).signIn(TOKEN)).status).toBe(303);
    // One IPv6 /64 is one client: its neighbour address is locked out too.
    const v6 = adminClient(receiver, { clientAddress: '2001:db8:1:2::10' });
    for (let i = 0; i < 5; i++) await v6.signIn('wrong-wrong-wrong-wrong-wrong');
    expect((await adminClient(receiver, { clientAddress: '2001:db8:1:2::99' }).signIn(TOKEN)).status).toBe(429);
  });

  it('a session ends at its expiry, a tampered cookie is no session, and signing out clears the cookie', async () => {
    let now = Date.UTC(2026, 11, 1);
    const { client, store } = setup({}, { now: () => now });
    await store.insert(record('/posts/a', 'https://one.example/', { status: 'pending' }));
    await client.signIn(TOKEN);
    const csrf = await client.formToken();
    const good = client.cookie!;
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // Another signature, and another spelling of the same signature (the last character's low bits are
    // padding in base64url, so both decode to the same bytes): neither is a session.
    for (const tampered of [
      good.replace(/\.(.)/g, (m, c: string) => (m === good.slice(good.lastIndexOf('.'), good.lastIndexOf('.') + 2) ? `.${B64[(B64.indexOf(c) + 1) % 64]}` : m)),
      good.replace(/.$/, (c) => B64[B64.indexOf(c) ^ 1]!),
    ]) {
      expect(tampered).not.toBe(good);
      client.cookie = tampered;
      expect(await (await client.get('')).text()).toContain('Sign in to moderate');
    }
    client.cookie = good;
    now += 12 * 60 * 60_000 + 1;
    expect(await (await client.get('')).text()).toContain('Sign in to moderate');
    const late = await client.post('/action', { csrf, one: `approve:${record('/posts/a', 'https://one.example/').id}` });
    expect(late.status).toBe(403);
    expect((await store.get(record('/posts/a', 'https://one.example/').id))!.status).toBe('pending');
    // A cookie made with the right key but set to live longer than any session we give out is refused too.
    const forged = createSessionCookie(sessionKeys(TOKEN), now, 365 * 24 * 60 * 60_000).value;
    client.cookie = `__Host-pingback-admin=${forged}`;
    expect(await (await client.get('')).text()).toContain('Sign in to moderate');
    now -= 12 * 60 * 60_000;
    client.cookie = good;
    const out = await client.post('/sign-out', {});
    expect(out.headers.get('set-cookie')).toMatch(/^__Host-pingback-admin=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict; Secure$/);
    expect(client.cookie).toBeNull();
  });
});

describe('cross-site requests', () => {
  it("refuses a POST from another origin, one without Origin that says cross-site or nothing, and one without or with another session's form token", async () => {
    const { receiver, store, client } = setup();
    const r = record('/posts/a', 'https://one.example/', { status: 'pending' });
    await store.insert(r);
    await client.signIn(TOKEN);
    const csrf = await client.formToken();
    const other = adminClient(receiver);
    await other.signIn(TOKEN);
    const otherCsrf = await other.formToken();
    const attempts: [string, Record<string, string>, Record<string, string>][] = [
      ['another origin', { csrf, one: `approve:${r.id}` }, { origin: 'https://evil.example' }],
      ['a null origin', { csrf, one: `approve:${r.id}` }, { origin: 'null' }],
      ['the same host on http', { csrf, one: `approve:${r.id}` }, { origin: 'http://blog.example' }],
      ['no form token', { one: `approve:${r.id}` }, {}],
      ["another session's form token", { csrf: otherCsrf, one: `approve:${r.id}` }, {}],
      ['a malformed form token', { csrf: 'x'.repeat(43), one: `approve:${r.id}` }, {}],
    ];
    for (const [what, fields, headers] of attempts) {
      const response = await client.post('/action', fields, headers);
      expect(response.status, what).toBe(403);
      expect((await store.get(r.id))!.status, what).toBe('pending');
    }
    // Without Origin, Sec-Fetch-Site decides; a request that says neither is refused.
    const bare = (headers: Record<string, string>) =>
      receiver.handle(
        new Request(`${SITE}pingback/admin/action`, {
          method: 'POST',
          body: new URLSearchParams({ csrf, one: `approve:${r.id}` }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: client.cookie!, ...headers },
        }),
      );
    expect((await bare({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await bare({ 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await bare({})).status).toBe(403);
    expect((await bare({ origin: 'null', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await store.get(r.id))!.status).toBe('pending');
    // `Origin: null` (a page with no referrer sends it) proves nothing; Sec-Fetch-Site then decides.
    expect((await bare({ origin: 'null', 'sec-fetch-site': 'same-origin' })).status).toBe(303);
    expect((await store.get(r.id))!.status).toBe('approved');
  });

  it('refuses a sign-in posted from another origin (login CSRF) before it counts or compares anything', async () => {
    const { client } = setup();
    expect((await client.post('/sign-in', { token: TOKEN }, { origin: 'https://evil.example' })).status).toBe(403);
    expect(client.cookie).toBeNull();
  });
});

describe('what it shows', () => {
  it('lists pending first, then approved and rejected, newest first in each; filters by post, protocol and kind', async () => {
    const { store, client } = setup();
    const at = (d: number) => new Date(Date.UTC(2026, 10, d)).toISOString();
    const recs: PingbackRecord[] = [
      record('/posts/a', 'https://approved-old.example/', { receivedAt: at(1) }),
      record('/posts/a', 'https://pending-old.example/', { status: 'pending', receivedAt: at(2) }),
      record('/posts/b', 'https://rejected.example/', { status: 'rejected', receivedAt: at(3) }),
      record('/posts/b', 'https://pending-new.example/', { status: 'pending', receivedAt: at(4), protocol: 'webmention', kind: 'reply' }),
      record('/posts/a', 'https://approved-new.example/', { receivedAt: at(5), protocol: 'webmention', kind: 'like' }),
      { ...record('/posts/a', 'https://deleted.example/', { receivedAt: at(6) }), deletedAt: at(7), deletedBy: 'moderator' },
    ];
    for (const r of recs) await store.insert(r);
    await client.signIn(TOKEN);
    const order = async (query: string) =>
      [...(await (await client.get(query)).text()).matchAll(/<dt>Source<\/dt><dd><a class="url" href="https:\/\/([a-z-]+)\.example\/"/g)].map((m) => m[1]);
    expect(await order('')).toEqual(['pending-new', 'pending-old', 'approved-new', 'approved-old', 'rejected']);
    expect(await order('?status=pending')).toEqual(['pending-new', 'pending-old']);
    expect(await order('?post=%2Fposts%2Fb')).toEqual(['pending-new', 'rejected']);
    expect(await order('?protocol=webmention')).toEqual(['pending-new', 'approved-new']);
    expect(await order('?kind=like')).toEqual(['approved-new']);
    expect(await order('?status=deleted')).toEqual(['deleted']);
    // A filter form keeps the status and post it was shown with.
    expect(await order('?keep=status%3Dpending%26post%3D%252Fposts%252Fb&protocol=webmention&kind=')).toEqual(['pending-new']);
    const page = await (await client.get('')).text();
    expect(page).toMatch(/Pending <span class="count">2<\/span>/);
    expect(page).toMatch(/Deleted <span class="count">1<\/span>/);
    expect(page).toContain('A link to <bdi>https://blog.example/posts/b/</bdi> on the source page');
  });

  it('lists a Webmention the receiver verified, held under pending moderation, with the protocol and kind from its record', async () => {
    const reply = await startServer(
      html(
        `<!doctype html><title>Re</title><article class="h-entry"><a class="u-in-reply-to" href="${SITE}posts/a/">re</a> <p class="e-content">Well said.</p></article>`,
      ),
    );
    try {
      const { store, receiver, client } = setup({ moderation: 'pending' });
      const form = new URLSearchParams({ source: `http://reply.example:${reply.port}/re`, target: `${SITE}posts/a/` });
      const answer = await receiver.handle(
        new Request(`${SITE}webmention`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() }),
      );
      expect(answer.status).toBe(202);
      await receiver.idle();
      expect(await store.list()).toMatchObject([{ status: 'pending', protocol: 'webmention', kind: 'reply' }]);
      await client.signIn(TOKEN);
      const shown = async (query: string) =>
        [...(await (await client.get(query)).text()).matchAll(/<span class="card__kind">([^<]*)<\/span>/g)].map((m) => m[1]);
      expect(await shown('?status=pending')).toEqual(['webmention · reply']);
      expect(await shown('?protocol=webmention&kind=reply')).toEqual(['webmention · reply']);
      expect(await shown('?protocol=pingback')).toEqual([]);
      await receiver.close();
    } finally {
      await reply.close();
    }
  });

  it('shows stored markup, bidi controls and javascript: URLs as inert text: no element, no attribute, no link', async () => {
    const { store, client } = setup();
    await store.insert(
      record('/posts/a', 'https://evil.example/" onmouseover="alert(1)', {
        status: 'pending',
        title: '<script>alert("title")</script>',
        excerpt: '<img src=x onerror=alert(1)> \u202Egnp.exe',
        author: { name: '<b onclick=alert(2)>Mallory</b>', url: 'javascript:alert(3)' },
        url: 'javascript:alert(4)',
        published: '"><script>alert(5)</script>',
      }),
    );
    // A key that reads as another host when resolved as a URL (only an imported record could hold one).
    await store.insert(record('//elsewhere.example/x', 'https://key.example/', { status: 'pending' }));
    await client.signIn(TOKEN);
    const page = await (await client.get('')).text();
    expect(page).toContain('href="https://blog.example//elsewhere.example/x"');
    expect(page).not.toContain('href="https://elsewhere.example');
    expect(page).not.toMatch(/<script>alert|<img |<b onclick|href="javascript:|onmouseover="/i);
    expect(page).toContain('&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt; <span class="ctl">U+202E</span>gnp.exe');
    expect(page).not.toContain('\u202E');
    expect(page).toContain('<span class="url"><bdi>javascript:alert(3)</bdi></span>');
    // The source, an http(s) URL with a quote in it, is linked with its quote escaped.
    expect(page).toContain('href="https://evil.example/%22%20onmouseover=%22alert(1)"');
  });

  it('sends the strict headers with every answer under its path', async () => {
    const { client } = setup();
    for (const path of ['', '/hosts', '/admin.css', '/admin.js', '/nowhere']) {
      const response = await client.get(path);
      expect(response.headers.get('content-security-policy'), path).toBe(
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      expect(response.headers.get('referrer-policy'), path).toBe('same-origin');
      expect(response.headers.get('cache-control'), path).toBe(path.startsWith('/admin.') ? 'public, max-age=31536000, immutable' : 'no-store');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    // The page names its assets by version, so a cached copy is never an old one.
    expect(await (await client.get('')).text()).toMatch(/href="\/pingback\/admin\/admin\.css\?v=[0-9a-f]{12}"/);
  });
});

describe('moderating', () => {
  it('approves, rejects and deletes for good; bulk over ticked items; undo puts each back; approving asks for a rebuild', async () => {
    const { store, client } = setup({ rebuildHookUrl: `${hook.url}/hook`, rebuildIntervalMs: 1 });
    const [a, b, c] = ['https://one.example/', 'https://two.example/', 'https://three.example/'].map((s) => record('/posts/a', s, { status: 'pending' }));
    for (const r of [a!, b!, c!]) await store.insert(r);
    await client.signIn(TOKEN);
    const csrf = await client.formToken();
    const status = async (r: PingbackRecord) => (await store.get(r.id))!.status;

    const hooks = hook.requests.length;
    const approved = await client.post('/action', { csrf, one: `approve:${a!.id}`, back: 'status=pending' });
    expect(approved.status).toBe(303);
    expect(approved.headers.get('location')).toMatch(/^\/pingback\/admin\?status=pending&done=[\w-]{12}$/);
    expect(await status(a!)).toBe('approved');
    await expect.poll(() => hook.requests.length).toBe(hooks + 1);
    const shown = await (await client.get(approved.headers.get('location')!.slice('/pingback/admin'.length))).text();
    expect(shown).toContain('Approved 1 linkback.');
    const entry = /name="entry" value="([\w-]{12})"/.exec(shown)![1]!;

    expect((await client.post('/undo', { csrf, entry })).status).toBe(303);
    expect(await status(a!)).toBe('pending');
    expect((await client.post('/undo', { csrf, entry })).headers.get('location')).toContain('note=gone');

    await client.post('/action', [
      ['csrf', csrf],
      ['op', 'reject'],
      ['id', a!.id],
      ['id', b!.id],
      ['id', 'not-an-id'],
    ]);
    expect([await status(a!), await status(b!), await status(c!)]).toEqual(['rejected', 'rejected', 'pending']);

    const deleted = await client.post('/action', { csrf, one: `delete:${c!.id}` });
    const gone = (await store.get(c!.id))!;
    expect(gone.deletedAt).toBeDefined();
    expect(gone.deletedBy).toBe('moderator');
    expect(gone.title).toBe('');
    // Persistent: the same source pinging again is answered 48 and nothing is stored.
    const doneId = /done=([\w-]{12})/.exec(deleted.headers.get('location')!)![1]!;
    await client.post('/undo', { csrf, entry: doneId });
    expect((await store.get(c!.id))!.title).toBe(c!.title);
    expect((await store.get(c!.id))!.deletedAt).toBeUndefined();

    expect((await client.post('/action', { csrf, op: 'approve' })).headers.get('location')).toContain('note=none');
  });

  it('a deleted linkback stays deleted: its source pinging again is answered 48', async () => {
    const { receiver, store, client } = setup();
    expect(await ping(receiver, sourceOn('reply.example'))).toMatchObject({ kind: 'result' });
    const [stored] = await store.list();
    await client.signIn(TOKEN);
    await client.post('/action', { csrf: await client.formToken(), one: `delete:${stored!.id}` });
    expect(await ping(receiver, sourceOn('reply.example'))).toMatchObject({ faultCode: 48 });
    expect((await store.list()).length).toBe(1);
  });

  it("blocks a source's host from the page: its next ping is refused with 49 at once, without a fetch", async () => {
    const { receiver, store, client } = setup();
    expect(await ping(receiver, sourceOn('spam.example'))).toMatchObject({ kind: 'result' });
    const [stored] = await store.list();
    await client.signIn(TOKEN);
    const csrf = await client.formToken();
    const blocked = await client.post('/action', { csrf, one: `block:${stored!.id}` });
    expect(await store.getMeta('blocklist')).toEqual(['spam.example']);
    const fetched = source.requests.length;
    expect(await ping(receiver, `http://spam.example:${source.port}/another`)).toMatchObject({ faultCode: 49 });
    expect(source.requests.length).toBe(fetched);
    // Undone, the host may ping again.
    await client.post('/undo', { csrf, entry: /done=([\w-]{12})/.exec(blocked.headers.get('location')!)![1]! });
    expect(await store.getMeta('blocklist')).toEqual([]);
    expect(await ping(receiver, `http://spam.example:${source.port}/another`)).toMatchObject({ kind: 'result' });
  });

  it('"always allow" a host: under pending-except-allowed its later linkbacks are approved on arrival, others wait', async () => {
    const { receiver, store, client } = setup({ moderation: 'pending-except-allowed' });
    expect(await ping(receiver, sourceOn('friend.example'))).toMatchObject({ kind: 'result' });
    const [first] = await store.list();
    expect(first!.status).toBe('pending');
    await client.signIn(TOKEN);
    await client.post('/action', { csrf: await client.formToken(), one: `allow:${first!.id}` });
    expect(await store.getMeta('allowlist')).toEqual(['friend.example']);
    await ping(receiver, `http://friend.example:${source.port}/second`);
    await ping(receiver, sourceOn('stranger.example'));
    const byHost = Object.fromEntries((await store.list()).map((r) => [new URL(r.source).hostname + new URL(r.source).pathname, r.status]));
    expect(byHost).toEqual({ 'friend.example/reply': 'pending', 'friend.example/second': 'approved', 'stranger.example/reply': 'pending' });
  });

  it('edits both host lists on the hosts page: add, refuse a non-host, remove by place and hash', async () => {
    const { store, client } = setup({ blocklist: ['*.configured.example'] });
    await client.signIn(TOKEN);
    const csrf = await client.formToken();
    await client.post('/hosts', { csrf, add: 'blocklist', host: 'spam.example' });
    await client.post('/hosts', { csrf, add: 'allowlist', host: '*.friends.example' });
    expect((await client.post('/hosts', { csrf, add: 'blocklist', host: 'not a host/' })).headers.get('location')).toBe('/pingback/admin/hosts?note=host');
    expect(await store.getMeta('blocklist')).toEqual(['spam.example']);
    expect(await store.getMeta('allowlist')).toEqual(['*.friends.example']);
    const page = await (await client.get('/hosts')).text();
    expect(page).toContain('<bdi>*.configured.example</bdi></code><span class="muted">in the configuration</span>');
    const remove = /name="remove" value="(blocklist:0:[0-9a-f]{12})"/.exec(page)![1]!;
    // A stale button (the list changed since) removes nothing.
    expect((await client.post('/hosts', { csrf, remove: 'blocklist:0:000000000000' })).headers.get('location')).toContain('note=nothing');
    await client.post('/hosts', { csrf, remove });
    expect(await store.getMeta('blocklist')).toEqual([]);
  });
});
