import { mf2 } from 'microformats-parser';
import { parse as parse5Html } from 'parse5';
import { describe, expect, it } from 'vitest';
import { pathologicalPages } from '../../../bench/pathological-pages.ts';
import { parseBoundedDocument } from '../src/html/bounded-document.ts';
import { MF2_INPUT_LIMITS, mf2Input } from '../src/receive/extract/mf2-input.ts';
import { readEntry } from '../src/receive/extract/mf2.ts';
import { verifySource } from '../src/receive/verify.ts';
import { siteMatcher } from '../src/site/site.ts';

const SITE = 'https://blog.example/';
const TARGET = `${SITE}posts/a/`;
const PAGE = 'https://other.example/notes/1';
const site = siteMatcher(new URL(SITE), []);

const entry = (body: string, head = '<title>A page</title>') =>
  readEntry(parseBoundedDocument(`<!doctype html><html><head>${head}</head><body>${body}</body></html>`), {
    pageUrl: PAGE,
    base: PAGE,
    target: TARGET,
    key: '/posts/a',
    site,
  });
const facts = (body: string, head = '<title>A page</title>') =>
  verifySource({
    html: `<!doctype html><html lang="en"><head>${head}</head><body>${body}</body></html>`,
    sourceUrl: PAGE,
    target: TARGET,
    key: '/posts/a',
    site,
  });

/** What Bridgy serves for a Mastodon reply (its page for a response points at the original post). */
const bridgyReply = `<article class="h-entry">
  <span class="p-uid">tag:mastodon.example,2013:112233</span>
  <span class="p-author h-card">
    <data class="p-uid" value="tag:mastodon.example,2013:alice"></data>
    <a class="p-name u-url" href="https://mastodon.example/@alice">Alice Example</a>
    <img class="u-photo" src="https://files.mastodon.example/alice.png" alt="">
  </span>
  <a class="u-url" href="https://mastodon.example/@alice/112233">permalink</a>
  <div class="e-content p-name">Great post, thanks! I disagree about the second part though.</div>
  <time class="dt-published" datetime="2026-11-20T09:30:00+00:00">20 Nov</time>
  <a class="u-in-reply-to" href="${TARGET}"></a>
</article>`;

describe('microformats2: what the entry says', () => {
  it("a Bridgy reply: a reply, the entry's own URL, its text, date and the author's h-card with photo", () => {
    expect(facts(bridgyReply)).toEqual({
      title: 'A page',
      excerpt: 'Great post, thanks! I disagree about the second part though.',
      author: { name: 'Alice Example', url: 'https://mastodon.example/@alice', photo: 'https://files.mastodon.example/alice.png' },
      published: '2026-11-20T09:30:00.000Z',
      lang: 'en',
      kind: 'reply',
      url: 'https://mastodon.example/@alice/112233',
    });
  });

  it.each([
    ['like-of', 'like'],
    ['repost-of', 'repost'],
    ['bookmark-of', 'bookmark'],
    ['in-reply-to', 'reply'],
  ])('u-%s pointing at the target is a %s', (property, kind) => {
    expect(entry(`<div class="h-entry"><a class="u-${property}" href="${TARGET}">this</a></div>`)?.kind).toBe(kind);
  });

  it('an h-cite for the target counts, and so does any form of the same post', () => {
    expect(entry(`<div class="h-entry"><div class="u-like-of h-cite"><a class="u-url" href="${TARGET}">x</a></div></div>`)?.kind).toBe('like');
    expect(entry('<div class="h-entry"><a class="u-repost-of" href="http://blog.example/posts/a/index.html">x</a></div>')?.kind).toBe('repost');
  });

  it('a response property pointing elsewhere leaves it a mention', () => {
    expect(entry(`<div class="h-entry"><a class="u-in-reply-to" href="https://third.example/">x</a> <a href="${TARGET}">me</a></div>`)?.kind).toBeUndefined();
    expect(facts(`<div class="h-entry"><a class="u-like-of" href="https://third.example/">x</a> <a href="${TARGET}">me</a></div>`)!.kind).toBeUndefined();
  });

  it('a name that is only the text again is no title; a real one is', () => {
    expect(facts(`<div class="h-entry"><div class="p-name e-content">Just a note <a href="${TARGET}">x</a></div></div>`)!.title).toBe('A page');
    expect(facts(`<div class="h-entry"><h1 class="p-name">My Title</h1><div class="e-content">Body <a href="${TARGET}">x</a></div></div>`)).toMatchObject({
      title: 'My Title',
      excerpt: 'Body x',
    });
    expect(
      facts(`<div class="h-entry"><p class="p-summary">In short.</p><div class="e-content">Long body <a href="${TARGET}">x</a></div></div>`)!.excerpt,
    ).toBe('In short.');
  });

  it('text is plain, capped and without bidirectional or invisible characters', () => {
    const f = facts(
      `<div class="h-entry"><div class="e-content">\u202Eevil\u200B ${'word '.repeat(200)}<a href="${TARGET}">x</a></div><span class="p-author h-card">\u202EAnn${'n'.repeat(300)}</span></div>`,
    )!;
    expect(f.excerpt.length).toBeLessThanOrEqual(300);
    expect(f.excerpt).toMatch(/^evil word/);
    expect(f.author.name.length).toBeLessThanOrEqual(100);
    expect(f.author.name).toMatch(/^Ann/);
  });

  it('keeps only http(s) URLs for the entry, the author and the photo', () => {
    const f = facts(
      `<div class="h-entry"><a class="u-url" href="javascript:alert(1)">x</a><span class="p-author h-card"><a class="p-name u-url" href="data:text/html,x">Ann</a><img class="u-photo" src="javascript:alert(2)" alt=""></span><a href="${TARGET}">t</a></div>`,
    )!;
    expect(f.url).toBeUndefined();
    expect(f.author).toEqual({ name: 'Ann' });
  });

  it('resolves relative URLs against the page', () => {
    expect(
      facts(
        `<div class="h-entry"><a class="u-url" href="/notes/1">x</a><span class="p-author h-card"><a class="p-name u-url" href="/">Ann</a><img class="u-photo" src="me.png" alt=""></span><a href="${TARGET}">t</a></div>`,
      ),
    ).toMatchObject({
      url: 'https://other.example/notes/1',
      author: { name: 'Ann', url: 'https://other.example/', photo: 'https://other.example/notes/me.png' },
    });
  });
});

describe('microformats2: the authorship algorithm', () => {
  it("the entry's author h-card", () => {
    expect(entry('<div class="h-entry"><a class="p-author h-card" href="https://ann.example/">Ann</a></div>')?.author).toEqual({
      name: 'Ann',
      url: 'https://ann.example/',
    });
  });

  it("the feed's author when the entry has none", () => {
    expect(
      entry('<div class="h-feed"><span class="p-author h-card">Feed Author</span><div class="h-entry"><p class="p-name">x</p></div></div>')?.author,
    ).toEqual({ name: 'Feed Author' });
  });

  it('an author URL: the h-card on the page with that URL', () => {
    const body =
      '<div class="h-entry"><a class="u-author" href="https://ann.example/">x</a></div><div class="h-card"><a class="p-name u-url" href="https://ann.example/">Ann Card</a><img class="u-photo" src="https://ann.example/a.jpg" alt=""></div>';
    expect(entry(body)?.author).toEqual({ name: 'Ann Card', url: 'https://ann.example/', photo: 'https://ann.example/a.jpg' });
  });

  it('an author URL with no card here: the URL alone (the author page is never fetched)', () => {
    expect(entry('<div class="h-entry"><a class="u-author" href="https://ann.example/">x</a></div>')?.author).toEqual({
      name: '',
      url: 'https://ann.example/',
    });
  });

  it('an author name as plain text', () => {
    expect(entry('<div class="h-entry"><span class="p-author">Plain Ann</span></div>')?.author).toEqual({ name: 'Plain Ann' });
  });

  it('rel=author, then the matching h-card', () => {
    const f = facts(
      `<a rel="author" href="/about">Ann Rel</a><div class="h-card"><a class="u-url p-name" href="https://other.example/about">Ann From Card</a></div><div class="h-entry"><p class="e-content"><a href="${TARGET}">x</a></p></div>`,
    );
    expect(f!.author).toEqual({ name: 'Ann From Card', url: 'https://other.example/about' });
  });

  it("the page's own h-card when nothing else names the author", () => {
    expect(
      entry('<div class="h-card"><a class="p-name u-url" href="https://other.example/">Site Owner</a></div><div class="h-entry"><p class="p-name">x</p></div>')
        ?.author,
    ).toEqual({ name: 'Site Owner', url: 'https://other.example/' });
  });
});

describe('microformats2: which entry, and what falls back', () => {
  it('the entry whose url is the page, among several', () => {
    const body = `<div class="h-entry"><p class="p-name">Other</p><a class="u-url" href="/notes/2">x</a></div><div class="h-entry"><p class="p-name">This one</p><a class="u-url" href="${PAGE}">x</a></div>`;
    expect(entry(body)?.name).toBe('This one');
  });

  it('a page without an h-entry has no entry facts: the HTML semantics decide, as for any page', () => {
    expect(entry('<div class="h-card">Ann</div>')).toBeNull();
    expect(entry('<p>No microformats</p>')).toBeNull();
    expect(facts(`<p>By <a rel="author" href="/ann">Ann</a></p><p>I liked <a href="${TARGET}">this</a>.</p>`)).toEqual({
      title: 'A page',
      excerpt: 'I liked this.',
      author: { name: 'Ann', url: 'https://other.example/ann' },
      lang: 'en',
    });
  });

  it("WordPress's classic microformats (hentry, vcard) are read too", () => {
    const body = `<article class="post hentry"><h2 class="entry-title">Classic Title</h2><span class="author vcard"><a class="url fn" href="https://wp.example/author/ann/">Ann WP</a></span><div class="entry-content"><p>Classic body <a href="${TARGET}">x</a></p></div></article>`;
    expect(facts(body)).toMatchObject({ title: 'Classic Title', excerpt: 'Classic body x', author: { name: 'Ann WP', url: 'https://wp.example/author/ann/' } });
  });

  it("a pingback gets the same extraction, with Pingback's rule for the link: any form of the post", () => {
    const other = bridgyReply.replace(`href="${TARGET}"`, 'href="http://blog.example/posts/a"');
    expect(facts(other)).toMatchObject({ kind: 'reply', author: { name: 'Alice Example' }, url: 'https://mastodon.example/@alice/112233' });
  });
});

describe('microformats2: what the parser is given', () => {
  const pages = pathologicalPages(TARGET, 1024 * 1024);

  it('is only the microformats, each part within its caps, for every pathological page', () => {
    for (const { name, html } of pages) {
      const input = mf2Input(parseBoundedDocument(html));
      if (!input) continue;
      // A few thousand elements and at most the text budget of each microformat, whatever the page.
      expect(input.elements, name).toBeLessThanOrEqual(4 * MF2_INPUT_LIMITS.maxClassed + MF2_INPUT_LIMITS.maxRels + 64);
      expect(input.html.length, name).toBeLessThanOrEqual(MF2_INPUT_LIMITS.maxClassed * (MF2_INPUT_LIMITS.maxText + 512));
      // parse5 reads it as written: nothing the parser's own tree rules move or multiply.
      let elements = 0;
      const count = (node: { childNodes?: unknown[] }) => {
        for (const child of (node.childNodes ?? []) as { nodeName: string; childNodes?: unknown[] }[]) {
          if (!child.nodeName.startsWith('#')) elements++;
          count(child);
        }
      };
      count(parse5Html(input.html) as never);
      expect(elements, name).toBeLessThanOrEqual(input.elements + 3);
    }
  });

  it('leaves out ids, itemref and include, so no element is copied into another', () => {
    const page = pages.find((p) => p.name === 'itemref naming one element many times')!.html;
    const input = mf2Input(parseBoundedDocument(page))!;
    expect(input.html).not.toMatch(/\bid=|itemref|include/);
    const parsed = mf2(input.html, { baseUrl: PAGE });
    expect(JSON.stringify(parsed).length).toBeLessThan(64 * 1024);
  });

  it('keeps the classes, links and text an entry is read from', () => {
    const input = mf2Input(parseBoundedDocument(`<body><nav>menu</nav>${bridgyReply}<footer>foot</footer></body>`))!;
    expect(input.html).not.toMatch(/menu|foot/);
    expect(input.html).toContain(`<a class="u-in-reply-to" href="${TARGET}">`);
    expect(input.html).toContain('class="p-author h-card"');
    expect(input.html).toContain('<img class="u-photo" src="https://files.mastodon.example/alice.png" alt="">');
  });

  it('gives each microformat at most maxText characters of text', () => {
    const input = mf2Input(parseBoundedDocument(`<div class="h-entry"><div class="e-content">${'word '.repeat(100_000)}</div></div>`))!;
    expect(input.html.length).toBeLessThan(2 * MF2_INPUT_LIMITS.maxText + 200);
  });
});
