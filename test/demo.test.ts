import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoResult } from '../scripts/demo/run.ts';
import { runDemo } from '../scripts/demo/run.ts';
import { launchChromium } from './support/browser.ts';
import { freePort } from './support/free-port.ts';
import { ROOT } from './support/pack.ts';

// The two-site exchange of the demo, on ports of its own so a demo a developer keeps running is not
// disturbed; the examples' build outputs and .pingback/ state are recreated from nothing.
let astroUrl: string;
let eleventyUrl: string;
let first: DemoResult;
const lines: string[] = [];

/** The examples' build outputs and .pingback/ state, which the demo writes into the working tree. */
async function clearExamples(): Promise<void> {
  for (const [dir, out] of [['astro-blog', 'dist'], ['eleventy-blog', '_site']] as const) {
    await rm(join(ROOT, 'examples', dir, '.pingback'), { recursive: true, force: true });
    await rm(join(ROOT, 'examples', dir, out), { recursive: true, force: true });
  }
}

beforeAll(async () => {
  await clearExamples();
  astroUrl = `http://127.0.0.1:${await freePort()}/`;
  eleventyUrl = `http://127.0.0.1:${await freePort()}/`;
  first = await runDemo({ astroUrl, eleventyUrl, keep: true, log: (l) => lines.push(l) });
}, 240_000);
// Left behind, the pingbacks between these test ports would show up in the next `pnpm demo`.
afterAll(async () => {
  await first?.stop();
  await clearExamples();
});

describe('the two-blog demo', () => {
  it('sends each blog\'s pings to the other, verified by fetching the live source', () => {
    expect(first.newPings).toBe(4);
    const [astro, eleventy] = first.blogs;
    expect(astro!.received.map((r) => [r.title, r.author, new URL(r.source).pathname, new URL(r.target).pathname]).sort()).toEqual([
      ['Plain HTML wins', 'Eli Eleventy', '/posts/plain-html-wins/', '/posts/islands-and-links/'],
      ['Static sites can talk', 'Eli Eleventy', '/posts/static-sites-can-talk/', '/posts/hello-pingbacks/'],
    ]);
    expect(eleventy!.received.map((r) => [r.title, r.author]).sort()).toEqual([
      ['Hello, pingbacks', 'Ada Astro'],
      ['Islands and links', 'Ada Astro'],
    ]);
    expect(astro!.received.find((r) => r.title === 'Static sites can talk')!.excerpt).toContain('The Astro example says hello to pingbacks');
  });

  it('rebuilds both so every post shows its pingback, the count equal to the list', () => {
    for (const blog of first.blogs) {
      expect(blog.pages).toHaveLength(2);
      for (const page of blog.pages) expect([page.count, page.listed], page.url).toEqual([1, 1]);
    }
  });

  it('prints what a person would check', () => {
    expect(lines).toContain(`1. Building both blogs: the Astro example at ${astroUrl}, the Eleventy example at ${eleventyUrl}`);
    expect(lines).toContain(`   Astro example (${astroUrl}) received 2 pingbacks:`);
    expect(lines).toContain(`     ${eleventyUrl}posts/plain-html-wins/ shows 1 (1 listed)`);
  });

  it('a reader in Chromium sees the pingback and the count on the post', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${astroUrl}posts/hello-pingbacks/`);
      await expect(page.locator('p:has(> time) > .pingback-count').innerText()).resolves.toBe('1 pingback');
      // The date, a separator and the count, each apart from the next.
      await expect(page.locator('p:has(> .pingback-count)').innerText()).resolves.toMatch(/ \d{4} · 1 pingback$/);
      const item = page.locator('.pingbacks__list .pingback');
      await expect(item.count()).resolves.toBe(1);
      const text = await item.innerText();
      expect(text).toContain('Static sites can talk');
      expect(text).toContain('Eli Eleventy');
      await expect(page.locator('.pingbacks__list a.pingback__source').getAttribute('href')).resolves.toBe(`${eleventyUrl}posts/static-sites-can-talk/`);
      await expect(page.locator('.pingbacks__list a.pingback__source').getAttribute('rel')).resolves.toBe('nofollow ugc');
      await page.goto(`${eleventyUrl}posts/plain-html-wins/`);
      await expect(page.locator('p:has(> time) > .pingback-count').innerText()).resolves.toBe('1 pingback');
      await expect(page.locator('p:has(> .pingback-count)').innerText()).resolves.toMatch(/ \d{4} · 1 pingback$/);
      await expect(page.locator('.pingbacks__list .pingback').innerText()).resolves.toContain('Islands and links');
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('prints each blog\'s moderation page and a token that signs in to it', async () => {
    for (const blog of first.blogs) {
      expect(lines).toContain(`   ${blog.name}: ${blog.url}pingback/admin  token ${blog.admin.token}`);
      expect(blog.admin.token).toMatch(/^[\w-]{32}$/);
      const origin = new URL(blog.url).origin;
      const signIn = (token: string) => fetch(`${blog.url}pingback/admin/sign-in`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token }), headers: { origin } });
      expect((await signIn(`${blog.admin.token}x`)).status).toBe(401);
      const signedIn = await signIn(blog.admin.token);
      expect(signedIn.status).toBe(303);
      const page = await (await fetch(`${blog.url}pingback/admin`, { headers: { cookie: signedIn.headers.get('set-cookie')!.split(';')[0]! } })).text();
      expect(page.match(/<span class="badge badge--approved">approved<\/span>/g)).toHaveLength(2);
    }
  });

  it('a second run sends nothing new, and says so', async () => {
    await first.stop();
    const again: string[] = [];
    const second = await runDemo({ astroUrl, eleventyUrl, log: (l) => again.push(l) });
    expect(second.newPings).toBe(0);
    for (const blog of second.blogs) expect(blog.sent).toEqual({ registered: 0, queued: 0, skipped: 2, other: 0 });
    expect(again).toContain('   Nothing new to send: every ping was sent on an earlier run (see .pingback/ledger.json).');
    expect(second.blogs.flatMap((b) => b.received)).toHaveLength(4);
  }, 240_000);
});
