import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlogReport, DemoResult } from '../scripts/demo/run.ts';
import { runDemo } from '../scripts/demo/run.ts';
import { launchChromium } from './support/browser.ts';
import { freePort } from './support/free-port.ts';
import { ROOT } from './support/pack.ts';

/*
 * The two-blog demo, on ports of its own and on a copy of the two examples (their node_modules linked),
 * so that a demo a developer keeps running is not disturbed, the working tree's examples are neither
 * built into nor cleared, and a post can be edited and another deleted between runs.
 */
let examples: string;
let astroUrl: string;
let eleventyUrl: string;
let first: DemoResult;
const lines: string[] = [];

const OUTPUTS = new Set(['node_modules', 'dist', '_site', '.pingback', '.astro', '.netlify']);

async function copyExamples(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pingback-demo-'));
  for (const blog of ['astro-blog', 'eleventy-blog']) {
    const from = join(ROOT, 'examples', blog);
    await cp(from, join(dir, blog), { recursive: true, filter: (path) => !OUTPUTS.has(path.slice(from.length + 1).split('/')[0]!) });
    // The packages, linked one by one: the build tools' caches (node_modules/.astro, .vite) stay the copy's own.
    await mkdir(join(dir, blog, 'node_modules'));
    for (const entry of await readdir(join(from, 'node_modules'))) {
      if (!entry.startsWith('.')) await symlink(join(from, 'node_modules', entry), join(dir, blog, 'node_modules', entry), 'dir');
    }
  }
  return dir;
}

/** What a blog received, as `protocol kind: source path → target path`, sorted. */
const received = (blog: BlogReport) =>
  blog.received.map((r) => `${r.protocol} ${r.kind}: ${new URL(r.source).pathname} → ${new URL(r.target).pathname}`).sort();
/** Each post's page, as `path: count (counts per kind) [listed per kind]`. */
const pages = (blog: BlogReport) => Object.fromEntries(blog.pages.map((p) => [new URL(p.url).pathname, { count: p.count, kinds: p.kinds, listed: p.listed }]));
const blogNamed = (result: DemoResult, name: string) => result.blogs.find((b) => b.name === name)!;

/** What a reader sees on a post in Chromium: the byline's count, the counts per kind, the entries and the faces. */
async function readerView(page: Page, url: string) {
  await page.goto(url);
  return {
    count: await page.locator('p:has(> time) > .pingback-count').innerText(),
    kinds: await page.locator('.responses .pingback-count').allInnerTexts(),
    entries: await page.locator('.pingbacks__list .pingback').allInnerTexts(),
    likes: await page.locator('.pingbacks__group--like .pingback__name').allInnerTexts(),
  };
}

beforeAll(async () => {
  examples = await copyExamples();
  astroUrl = `http://127.0.0.1:${await freePort()}/`;
  eleventyUrl = `http://127.0.0.1:${await freePort()}/`;
  first = await runDemo({ astroUrl, eleventyUrl, examples, keep: true, log: (l) => lines.push(l) });
}, 240_000);
afterAll(async () => {
  await first?.stop();
  if (examples) await rm(examples, { recursive: true, force: true });
});

describe('the two-blog demo', () => {
  it('exchanges Webmentions both ways (a reply and a like in microformats), and pingbacks where a post takes only those', () => {
    expect(first.newLinkbacks).toBe(7);
    expect(received(blogNamed(first, 'Astro example'))).toEqual([
      'pingback mention: /posts/xml-rpc-still-works/ → /posts/from-the-archive/',
      'webmention mention: /posts/plain-html-wins/ → /posts/islands-and-links/',
      'webmention reply: /posts/static-sites-can-talk/ → /posts/hello-pingbacks/',
    ]);
    expect(received(blogNamed(first, 'Eleventy example'))).toEqual([
      'pingback mention: /posts/from-the-archive/ → /posts/xml-rpc-still-works/',
      'webmention like: /posts/liked-plain-html-wins/ → /posts/plain-html-wins/',
      'webmention mention: /posts/hello-pingbacks/ → /posts/static-sites-can-talk/',
      'webmention mention: /posts/islands-and-links/ → /posts/plain-html-wins/',
    ]);
    expect(blogNamed(first, 'Astro example').counts).toEqual({ webmention: { reply: 1, mention: 1 }, pingback: { mention: 1 } });
    expect(blogNamed(first, 'Eleventy example').counts).toEqual({ webmention: { like: 1, mention: 2 }, pingback: { mention: 1 } });
    const reply = blogNamed(first, 'Astro example').received.find((r) => r.kind === 'reply')!;
    expect([reply.title, reply.author]).toEqual(['Static sites can talk', 'Eli Eleventy']);
    expect(reply.excerpt).toContain("This post is a reply to the Astro example's hello to pingbacks");
    expect(blogNamed(first, 'Eleventy example').received.find((r) => r.kind === 'like')).toMatchObject({
      title: 'Liked: Plain HTML wins',
      author: 'Ada Astro',
    });
    for (const blog of first.blogs) expect(blog.sent).toMatchObject({ queued: 0, skipped: 0, other: 0, pingback: 1 });
  });

  it('rebuilds both so every post shows what it received: the count, the count per kind, and the list', () => {
    expect(pages(blogNamed(first, 'Astro example'))).toEqual({
      '/posts/from-the-archive/': { count: 1, kinds: { mention: 1 }, listed: { mention: 1 } },
      '/posts/hello-pingbacks/': { count: 1, kinds: { reply: 1 }, listed: { reply: 1 } },
      '/posts/islands-and-links/': { count: 1, kinds: { mention: 1 }, listed: { mention: 1 } },
      '/posts/liked-plain-html-wins/': { count: 0, kinds: {}, listed: {} },
    });
    expect(pages(blogNamed(first, 'Eleventy example'))).toEqual({
      '/posts/plain-html-wins/': { count: 2, kinds: { mention: 1, like: 1 }, listed: { mention: 1, like: 1 } },
      '/posts/static-sites-can-talk/': { count: 1, kinds: { mention: 1 }, listed: { mention: 1 } },
      '/posts/xml-rpc-still-works/': { count: 1, kinds: { mention: 1 }, listed: { mention: 1 } },
    });
  });

  it('prints, per blog, what it sent by which protocol, what its receiver verified, and what it received by protocol and kind', () => {
    expect(lines).toContain(`1. Building both blogs: the Astro example at ${astroUrl}, the Eleventy example at ${eleventyUrl}`);
    expect(lines).toContain(`   Astro example: registered by Webmention ${astroUrl}posts/liked-plain-html-wins/ → ${eleventyUrl}posts/plain-html-wins/`);
    expect(lines).toContain(`   Astro example: registered by pingback ${astroUrl}posts/from-the-archive/ → ${eleventyUrl}posts/xml-rpc-still-works/`);
    expect(lines).toContain(`     the Eleventy example's receiver: webmention approved: ${astroUrl}posts/liked-plain-html-wins/ → /posts/plain-html-wins`);
    expect(lines).toContain(`     the Astro example's receiver: pingback approved: ${eleventyUrl}posts/xml-rpc-still-works/ → /posts/from-the-archive`);
    expect(lines).toContain(`   Astro example (${astroUrl}) received 3: 2 Webmentions (1 reply, 1 mention), 1 pingback (1 mention)`);
    expect(lines).toContain(`   Eleventy example (${eleventyUrl}) received 4: 3 Webmentions (2 mentions, 1 like), 1 pingback (1 mention)`);
    expect(lines).toContain(`     like by Webmention: "Liked: Plain HTML wins" by Ada Astro, from ${astroUrl}posts/liked-plain-html-wins/`);
    expect(lines).toContain(`     ${eleventyUrl}posts/plain-html-wins/ shows 2 (1 mention · 1 like), listing 1 mention, 1 like`);
  });

  it('a post that takes pingbacks only announces its Pingback endpoint and no Webmention one, in its head and its headers', async () => {
    for (const url of [`${astroUrl}posts/from-the-archive/`, `${eleventyUrl}posts/xml-rpc-still-works/`]) {
      const page = await fetch(url);
      const html = await page.text();
      expect([page.headers.get('x-pingback'), page.headers.get('link')], url).toEqual([new URL('/xmlrpc', url).href, null]);
      expect(html, url).toContain(`<link rel="pingback" href="${new URL('/xmlrpc', url).href}">`);
      expect(html, url).not.toContain('rel="webmention"');
    }
    const other = await fetch(`${astroUrl}posts/hello-pingbacks/`);
    expect(other.headers.get('link')).toBe(`<${astroUrl}webmention>; rel="webmention"`);
  });

  it('a reader in Chromium sees the reply, the like as a face, the pingback, and the counts per kind', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const hello = await readerView(page, `${astroUrl}posts/hello-pingbacks/`);
      expect(hello).toMatchObject({ count: '1 response', kinds: ['1 reply'], likes: [] });
      expect(hello.entries).toHaveLength(1);
      expect(hello.entries[0]).toContain('Static sites can talk');
      expect(hello.entries[0]).toContain('Eli Eleventy');
      await expect(page.locator('.pingbacks__list a.pingback__source').getAttribute('href')).resolves.toBe(`${eleventyUrl}posts/static-sites-can-talk/`);
      await expect(page.locator('.pingbacks__list a.pingback__source').getAttribute('rel')).resolves.toBe('nofollow ugc');
      // The date, a separator and the count, each apart from the next.
      await expect(page.locator('p:has(> .pingback-count)').first().innerText()).resolves.toMatch(/ \d{4} · 1 response$/);

      const plain = await readerView(page, `${eleventyUrl}posts/plain-html-wins/`);
      expect(plain).toMatchObject({ count: '2 responses', kinds: ['1 mention', '1 like'], likes: ['Ada Astro'] });
      expect(plain.entries).toHaveLength(1);
      expect(plain.entries[0]).toContain('Islands and links');
      await expect(page.locator('.pingbacks__group--like').innerText()).resolves.toMatch(/^1 like\n/);

      const archive = await readerView(page, `${astroUrl}posts/from-the-archive/`);
      expect(archive).toMatchObject({ count: '1 response', kinds: ['1 mention'], likes: [] });
      expect(archive.entries[0]).toContain('XML-RPC still works');
    } finally {
      await browser.close();
    }
  }, 60_000);

  it("prints each blog's moderation page and a token that signs in to it", async () => {
    for (const blog of first.blogs) {
      expect(lines).toContain(`   ${blog.name}: ${blog.url}pingback/admin  token ${blog.admin.token}`);
      expect(blog.admin.token).toMatch(/^[\w-]{32}$/);
      const origin = new URL(blog.url).origin;
      const signIn = (token: string) =>
        fetch(`${blog.url}pingback/admin/sign-in`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token }), headers: { origin } });
      expect((await signIn(`${blog.admin.token}x`)).status).toBe(401);
      const signedIn = await signIn(blog.admin.token);
      expect(signedIn.status).toBe(303);
      const page = await (await fetch(`${blog.url}pingback/admin`, { headers: { cookie: signedIn.headers.get('set-cookie')!.split(';')[0]! } })).text();
      expect(page.match(/<span class="badge badge--approved">approved<\/span>/g)).toHaveLength(blog.received.length);
    }
  });

  it('a second run sends nothing new, and says so', async () => {
    await first.stop();
    const again: string[] = [];
    const second = await runDemo({ astroUrl, eleventyUrl, examples, log: (l) => again.push(l) });
    expect(second.newLinkbacks).toBe(0);
    expect(blogNamed(second, 'Astro example').sent).toEqual({ registered: 0, queued: 0, skipped: 4, other: 0, webmention: 0, pingback: 0 });
    expect(blogNamed(second, 'Eleventy example').sent).toEqual({ registered: 0, queued: 0, skipped: 3, other: 0, webmention: 0, pingback: 0 });
    expect(again).toContain('   Nothing new to send: every Webmention and pingback went on an earlier run (see .pingback/ledger.json).');
    expect(second.blogs.flatMap((b) => b.received)).toHaveLength(7);
  }, 240_000);

  it('an edited post (a link removed) and a deleted post reach the other blog through pingback send and serve, and its pages drop them', async () => {
    // The like no longer links to "Plain HTML wins" (an unlike); the Eleventy reply to "Hello, pingbacks" is deleted.
    const like = join(examples, 'astro-blog/src/content/posts/liked-plain-html-wins.md');
    const text = await readFile(like, 'utf8');
    const link = '<a class="u-like-of" href="eleventy:/posts/plain-html-wins/">Plain HTML wins</a>';
    expect(text).toContain(link);
    await writeFile(like, text.replace(link, 'Plain HTML wins'));
    await rm(join(examples, 'eleventy-blog/src/posts/static-sites-can-talk.md'));

    const out: string[] = [];
    const third = await runDemo({ astroUrl, eleventyUrl, examples, keep: true, log: (l) => out.push(l) });
    try {
      expect(third.newLinkbacks).toBe(2);
      expect(out).toContain(
        `   Astro example: registered by Webmention ${astroUrl}posts/liked-plain-html-wins/ → ${eleventyUrl}posts/plain-html-wins/ (the post no longer links there: the receiver drops it)`,
      );
      expect(out).toContain(
        `   Eleventy example: registered by Webmention ${eleventyUrl}posts/static-sites-can-talk/ → ${astroUrl}posts/hello-pingbacks/ (the post is gone, 410: the receiver drops it)`,
      );
      expect(out).toContain(
        `     the Eleventy example's receiver: webmention deleted by its source: ${astroUrl}posts/liked-plain-html-wins/ → /posts/plain-html-wins (no link to the target)`,
      );
      expect(out).toContain(
        `     the Astro example's receiver: webmention deleted by its source: ${eleventyUrl}posts/static-sites-can-talk/ → /posts/hello-pingbacks (the source answered 410 Gone)`,
      );
      expect((await fetch(`${eleventyUrl}posts/static-sites-can-talk/`)).status).toBe(410);

      expect(received(blogNamed(third, 'Astro example'))).toEqual([
        'pingback mention: /posts/xml-rpc-still-works/ → /posts/from-the-archive/',
        'webmention mention: /posts/plain-html-wins/ → /posts/islands-and-links/',
      ]);
      expect(received(blogNamed(third, 'Eleventy example'))).toEqual([
        'pingback mention: /posts/from-the-archive/ → /posts/xml-rpc-still-works/',
        'webmention mention: /posts/islands-and-links/ → /posts/plain-html-wins/',
      ]);
      expect(pages(blogNamed(third, 'Astro example'))['/posts/hello-pingbacks/']).toEqual({ count: 0, kinds: {}, listed: {} });
      expect(pages(blogNamed(third, 'Eleventy example'))['/posts/plain-html-wins/']).toEqual({ count: 1, kinds: { mention: 1 }, listed: { mention: 1 } });

      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const plain = await readerView(page, `${eleventyUrl}posts/plain-html-wins/`);
        expect(plain).toMatchObject({ count: '1 response', kinds: ['1 mention'], likes: [] });
        expect(plain.entries).toHaveLength(1);
        await expect(readerView(page, `${astroUrl}posts/hello-pingbacks/`)).resolves.toEqual({ count: '0 responses', kinds: [], entries: [], likes: [] });
      } finally {
        await browser.close();
      }
    } finally {
      await third.stop();
    }
  }, 240_000);
});
