import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PingbackRecord } from '@pingback/core';
import { FileStore, createSessionCookie, recordId, sessionKeys } from '@pingback/core';
import type { Served } from '../packages/cli/test/serve-support.ts';
import { startServe } from '../packages/cli/test/serve-support.ts';
import { launchChromium } from './support/browser.ts';
import { freePort } from './support/free-port.ts';
import type { TestServer } from './support/http.ts';
import { html, routes, startServer } from './support/http.ts';
import { ROOT } from './support/pack.ts';
import { runWithPython } from './support/receiver-cases.ts';
import { siteBuild } from './support/site-build.ts';

// The moderation page as its owner uses it: a real Eleventy build of the fixture blog served by
// `pingback serve` with the page on, real pingbacks from loopback sources verified by fetching them,
// Debian's Chromium signing in and moderating, the rebuild hook rebuilding the blog for real. The
// pending Webmention and the record with a javascript: author URL are written into the store directly:
// the Webmention route is being built elsewhere, and extraction never keeps a javascript: URL (records
// imported or stored by older versions may hold anything).

const TOKEN = 'browser-test-admin-token-0123456789';
const FIXTURE = join(ROOT, 'packages/eleventy/test/fixtures/blog');
const SHOTS = join(ROOT, 'test-results/admin');
let dir: string;
let site: string;
let served: Served;
let browser: Browser;
let store: FileStore;
let friendly: TestServer; // 127.0.0.1
let spammy: TestServer; // 127.0.0.2
let hostile: TestServer; // 127.0.0.3
let evil: TestServer; // 127.0.0.4, a stranger's page aiming a form at the moderation page
let hook: TestServer;
let rebuilds = 0;
let rebuilding: Promise<unknown> = Promise.resolve();

const post = () => `${site}posts/hello/`;

function build(): Promise<void> {
  return siteBuild('eleventy', dir, {
    PINGBACK_SITE: site,
    PINGBACK_FIXTURE_NO_JS: '1',
    PINGBACK_FIXTURE_OUT: join(dir, 'out'),
    PINGBACK_FIXTURE_OPTIONS: JSON.stringify({
      store: join(dir, 'store'),
      ledger: join(dir, 'ledger.json'),
      send: 'off',
      readFrom: 'store',
      cacheDir: join(dir, 'cache'),
    }),
  }).then((result) => {
    if (result.code !== 0) throw new Error(`eleventy build failed:\n${result.stdout}\n${result.stderr}`);
  });
}

const sourcePage = (title: string, body = '') =>
  html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><meta name="author" content="Sam Source"></head><body><article><p>Replying to <a href="${post()}">the hello post</a>. ${body}</p></article></body></html>`,
  );

async function ping(from: string): Promise<{ result?: string; fault?: { code: number } }> {
  const [answer] = await runWithPython(`${site}xmlrpc`, [{ call: ['pingback.ping', [from, post()]] }]);
  return answer as { result?: string; fault?: { code: number } };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-admin-browser-'));
  // A copy of the fixture, so its .pingback/manifest.json is this test's alone; its tools are the fixture's.
  for (const part of ['src', 'eleventy.config.js', 'package.json']) await cp(join(FIXTURE, part), join(dir, part), { recursive: true });
  await symlink(join(FIXTURE, 'node_modules'), join(dir, 'node_modules'));
  await mkdir(SHOTS, { recursive: true });
  const port = await freePort();
  site = `http://127.0.0.1:${port}/`;
  friendly = await startServer(routes({ '/friendly': sourcePage('A friendly reply', 'Nice one.') }), '127.0.0.1');
  spammy = await startServer(routes({ '/buy': sourcePage('Cheap pills'), '/buy-more': sourcePage('Cheaper pills') }), '127.0.0.2');
  hostile = await startServer(
    routes({
      '/x': sourcePage('&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x onerror="window.__pwned = 2"&gt;', '<script>window.__pwned = 3</script>'),
    }),
    '127.0.0.3',
  );
  hook = await startServer((_req, res) => {
    rebuilds++;
    rebuilding = build();
    res.writeHead(200).end('{}');
  });
  await build();
  store = new FileStore(join(dir, 'store'));
  served = await startServe(
    [
      '--port',
      String(port),
      '--root',
      join(dir, 'out'),
      '--manifest',
      join(dir, '.pingback/manifest.json'),
      '--store',
      join(dir, 'store'),
      '--host',
      '127.0.0.1',
      '--allow-private-network',
      '--rate-limit',
      '0',
      '--moderation',
      'pending',
    ],
    dir,
    { PINGBACK_ADMIN_TOKEN: TOKEN, PINGBACK_BUILD_HOOK_URL: `${hook.url}/hook` },
  );
  // startServe asks for port 0 first; the last --port wins, so the site is served where the build says.
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await rebuilding.catch(() => {});
  await Promise.all([friendly, spammy, hostile, evil, hook].filter(Boolean).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

/** A page that records every request, dialog, script-set marker and CSP violation. */
async function watched(
  context: BrowserContext,
): Promise<{ page: Page; requests: string[]; dialogs: string[]; violations: () => Promise<string[]>; pwned: () => Promise<unknown> }> {
  const page = await context.newPage();
  const requests: string[] = [];
  const dialogs: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  // Strings, not functions: they run in the page, and this project's tests don't type-check against the DOM.
  await page.addInitScript({
    content:
      "window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));",
  });
  return {
    page,
    requests,
    dialogs,
    violations: () => page.evaluate('window.__violations') as Promise<string[]>,
    pwned: () => page.evaluate('window.__pwned'),
  };
}

async function signIn(page: Page, token = TOKEN): Promise<void> {
  await page.goto(`${site}pingback/admin`);
  await page.fill('#token', token);
  await submit(page, page.locator('button[type=submit]'));
}

/** Clicks a form's button and waits for the page the POST leads to. */
async function submit(page: Page, button: ReturnType<Page['locator']>): Promise<void> {
  await Promise.all([page.waitForNavigation(), button.click()]);
}

async function statusOf(source: string): Promise<PingbackRecord['status'] | 'deleted'> {
  const record = await store.get(recordId('/posts/hello', source));
  if (!record) throw new Error(`no record for ${source}`);
  return record.deletedAt ? 'deleted' : record.status;
}

describe('moderating in Chromium', () => {
  const friendlySource = () => `${friendly.url}/friendly`;
  const spamSource = () => `${spammy.url}/buy`;
  const hostileSource = () => `${hostile.url}/x`;
  const webmention = 'https://social.example/@ann/112233';

  beforeAll(async () => {
    for (const from of [friendlySource(), spamSource(), hostileSource()]) expect((await ping(from)).result).toMatch(/registered/);
    await store.insert({
      id: recordId('/posts/hello', webmention),
      source: webmention,
      target: post(),
      key: '/posts/hello',
      status: 'pending',
      protocol: 'webmention',
      kind: 'reply',
      title: 'Ann replied',
      excerpt: 'Great post, \u202Eannoying bidi\u202C text and <b>markup</b>.',
      author: { name: 'Ann <img src=x onerror=alert(1)>', url: 'javascript:alert(document.cookie)' },
      url: 'javascript:window.__pwned=4',
      receivedAt: new Date().toISOString(),
    });
  }, 60_000);

  it('refuses the page without a cookie and with a wrong secret: the sign-in form, no records, no cookie', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${site}pingback/admin`);
      await expect(page.locator('h1').innerText()).resolves.toBe('Sign in to moderate');
      expect(await page.content()).not.toContain('A friendly reply');
      await signIn(page, 'not-the-token-not-the-token');
      await expect(page.locator('.notice--error').innerText()).resolves.toContain('That token is not the one configured');
      expect(await context.cookies()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('refuses an expired session cookie', async () => {
    const context = await browser.newContext();
    try {
      const expired = createSessionCookie(sessionKeys(TOKEN), Date.now() - 13 * 60 * 60_000, 12 * 60 * 60_000).value;
      await context.addCookies([{ name: 'pingback-admin', value: expired, url: `${site}pingback/admin` }]);
      const page = await context.newPage();
      await page.goto(`${site}pingback/admin`);
      await expect(page.locator('h1').innerText()).resolves.toBe('Sign in to moderate');
    } finally {
      await context.close();
    }
  });

  it('signs in and shows the pending pingbacks and the pending Webmention first, stored markup inert: no dialog, no request, no script', async () => {
    const context = await browser.newContext();
    try {
      const { page, requests, dialogs, violations, pwned } = await watched(context);
      await signIn(page);
      const [cookie] = await context.cookies();
      expect(cookie).toMatchObject({ name: 'pingback-admin', httpOnly: true, sameSite: 'Strict', path: '/pingback/admin' });
      const cards = page.locator('.card');
      await expect(cards.count()).resolves.toBe(4);
      const badges = await page.locator('.card .badge').allInnerTexts();
      expect(badges.map((b) => b.toLowerCase())).toEqual(['pending', 'pending', 'pending', 'pending']);
      const text = await page.locator('.cards').innerText();
      expect(text).toContain('A friendly reply');
      expect(text).toContain('Ann replied');
      expect(text).toContain('webmention · reply');
      // The hostile title shows as the text it is.
      expect(text).toContain('<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">');
      expect(text).toContain('javascript:alert(document.cookie)');
      // A stored direction override is shown as a tag, not obeyed: the words after it read as written.
      expect(text).toContain('U+202Eannoying bidiU+202C text');
      await expect(page.locator('a[href^="javascript:"]').count()).resolves.toBe(0);
      await expect(page.locator('.cards img, .cards script, .cards b').count()).resolves.toBe(0);
      // Clicking where the javascript: URLs are shown does nothing.
      await page.locator('.card__facts .url', { hasText: 'javascript:alert(document.cookie)' }).click();
      await page.locator('.card__facts .url', { hasText: 'javascript:window.__pwned=4' }).click();
      expect(dialogs).toEqual([]);
      expect(await pwned()).toBeUndefined();
      expect(await violations()).toEqual([]);
      const base = `${site}pingback/admin`;
      expect(requests.filter((u) => !u.startsWith(base))).toEqual([]);
      expect(new Set(requests.map((u) => new URL(u).pathname))).toEqual(
        new Set(['/pingback/admin', '/pingback/admin/sign-in', '/pingback/admin/admin.css', '/pingback/admin/admin.js']),
      );

      for (const [name, viewport] of [
        ['phone', { width: 390, height: 844 }],
        ['desktop', { width: 1280, height: 900 }],
      ] as const) {
        await page.setViewportSize(viewport);
        await page.screenshot({ path: join(SHOTS, `list-${name}.png`), fullPage: true });
      }
      await page.goto(`${base}/hosts`);
      await page.screenshot({ path: join(SHOTS, 'hosts-desktop.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }, 60_000);

  it("a stranger's page posting to the moderation page changes nothing, even with a valid form token", async () => {
    const context = await browser.newContext();
    try {
      const { page } = await watched(context);
      await signIn(page);
      const csrf = await page.locator('input[name=csrf]').first().getAttribute('value');
      const id = recordId('/posts/hello', spamSource());
      evil = await startServer(
        html(
          `<!doctype html><form method="post" action="${site}pingback/admin/action"><input name="csrf" value="${csrf}"><input name="one" value="approve:${id}"></form><script>document.forms[0].submit()</script>`,
        ),
        '127.0.0.4',
      );
      const [answer] = await Promise.all([page.waitForResponse(`${site}pingback/admin/action`), page.goto(`${evil.url}/`)]);
      expect(answer.status()).toBe(403);
      expect(await statusOf(spamSource())).toBe('pending');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('approves one, rejects one, blocks a host, undoes: the store, the blocked ping and the rebuilt post say so', async () => {
    const context = await browser.newContext();
    try {
      const { page, dialogs } = await watched(context);
      await signIn(page);
      const card = (title: string) => page.locator('.card', { hasText: title });

      await submit(page, card('A friendly reply').locator('button', { hasText: 'Approve' }));
      await expect(page.locator('.notice').innerText()).resolves.toContain('Approved 1 linkback.');
      expect(await statusOf(friendlySource())).toBe('approved');

      await submit(page, card('Ann replied').locator('button', { hasText: 'Reject' }));
      expect(await statusOf(webmention)).toBe('rejected');

      await submit(page, card('Cheap pills').locator('button', { hasText: 'Block host' }));
      await expect(page.locator('.notice').innerText()).resolves.toContain('Blocked 127.0.0.2.');
      expect(JSON.parse(await readFile(join(dir, 'store/meta/blocklist.json'), 'utf8'))).toEqual(['127.0.0.2']);
      expect((await ping(`${spammy.url}/buy-more`)).fault?.code).toBe(49);

      // Bulk: tick the hostile one and the spam, reject both; then undo it.
      await page.locator('#select-all').check();
      await page.locator('.card', { hasText: 'A friendly reply' }).locator('input[name=id]').uncheck();
      await submit(page, page.locator('.bulk button', { hasText: 'Reject' }));
      await expect(page.locator('.notice').innerText()).resolves.toContain('Rejected 2 linkbacks.');
      expect([await statusOf(spamSource()), await statusOf(hostileSource())]).toEqual(['rejected', 'rejected']);
      await submit(page, page.locator('.notice button', { hasText: 'Undo' }));
      expect([await statusOf(spamSource()), await statusOf(hostileSource())]).toEqual(['pending', 'pending']);
      expect(dialogs).toEqual([]);

      // The approval asked for one rebuild; the rebuilt post shows the approved pingback and no other.
      await expect.poll(() => rebuilds, { timeout: 10_000 }).toBe(1);
      await rebuilding;
      const reader = await context.newPage();
      await reader.goto(post());
      const listed = await reader.locator('.pingbacks__list .pingback').allInnerTexts();
      expect(listed).toHaveLength(1);
      expect(listed[0]).toContain('A friendly reply');
      await reader.screenshot({ path: join(SHOTS, 'rebuilt-post.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }, 90_000);
});
