import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import { record } from '../../../test/support/store-contract.ts';
import type { PingbackRecord } from '../src/store/record.ts';
import { publicRecord } from '../src/receive/read-endpoint.ts';
import { readPingbacks } from '../src/read/read-pingbacks.ts';
import type { PublicPingback } from '../src/render/index.ts';
import {
  countLinkbacks,
  initials,
  pingbackCountText,
  renderAvatar,
  renderFaceItem,
  renderLinkbacksHtml,
  renderPingbackCountHtml,
  renderPingbackItem,
  renderPingbacksHtml,
} from '../src/render/index.ts';

const KEY = '/posts/a';
let n = 0;
/** A published record of one kind, received in order. */
function item(extra: Partial<PingbackRecord> = {}): PublicPingback {
  n++;
  return publicRecord(record(KEY, `https://s${n}.example/entry`, { receivedAt: new Date(Date.UTC(2026, 10, 1, 0, 0, n)).toISOString(), ...extra }));
}

const reply = item({
  kind: 'reply',
  protocol: 'webmention',
  title: 'Re: your post',
  author: { name: 'Ann Author', url: 'https://ann.example/', photo: 'https://ann.example/me.jpg' },
  url: 'https://social.example/@ann/1',
});
const mention = item({ title: 'An old pingback', author: { name: 'Bob' } });
const like1 = item({
  kind: 'like',
  author: { name: 'Cy Like', url: 'https://cy.example/', photo: 'https://cy.example/cy.png' },
  url: 'https://social.example/@cy/like/2',
});
const like2 = item({ kind: 'like', author: { name: '' }, title: '' });
const repost = item({ kind: 'repost', author: { name: 'Dee Repost' } });
const bookmark = item({ kind: 'bookmark', author: { name: 'Eve Bookmark' } });
const ALL = [reply, mention, like1, like2, repost, bookmark];

/** The class lists of the rendered items, in document order. */
const itemClasses = (html: string) => [...html.matchAll(/<li class="([^"]*)"/g)].map((m) => m[1]);

describe('every kind in one section', () => {
  it('replies and mentions as one list, likes, reposts and bookmarks as counted rows of faces, in that order', () => {
    const html = renderPingbacksHtml(ALL);
    expect(
      html.startsWith(
        '<section class="pingbacks" id="pingbacks" aria-labelledby="pingbacks-heading"><h2 id="pingbacks-heading" class="pingbacks__heading">Pingbacks</h2><ol class="pingbacks__list">',
      ),
    ).toBe(true);
    expect(itemClasses(html)).toEqual([
      'pingback pingback--reply h-cite',
      'pingback pingback--mention h-cite',
      'pingback pingback--like h-cite',
      'pingback pingback--like h-cite',
      'pingback pingback--repost h-cite',
      'pingback pingback--bookmark h-cite',
    ]);
    expect(html).toContain(
      '<section class="pingbacks__group pingbacks__group--like" aria-labelledby="pingbacks-like-heading"><h3 id="pingbacks-like-heading" class="pingbacks__group-heading">2 likes</h3><ul class="pingbacks__faces">',
    );
    expect(html).toContain('<h3 id="pingbacks-repost-heading" class="pingbacks__group-heading">1 repost</h3>');
    expect(html).toContain('<h3 id="pingbacks-bookmark-heading" class="pingbacks__group-heading">1 bookmark</h3>');
    // The list is closed before the first row starts: faces are never list items of the replies.
    expect(html.indexOf('</ol>')).toBeLessThan(html.indexOf('pingbacks__group--like'));
  });

  it('a record stored before Webmention (no kind) is a mention in the list, and an unknown kind never reaches a class', () => {
    const old = publicRecord(record(KEY, 'https://old.example/'));
    const { kind: _k, protocol: _p, ...bare } = old;
    const strange = { ...old, kind: 'rsvp" onclick="x' } as unknown as PublicPingback;
    const html = renderPingbacksHtml([bare as PublicPingback, strange]);
    expect(itemClasses(html)).toEqual(['pingback pingback--mention h-cite', 'pingback pingback--mention h-cite']);
    expect(html).not.toContain('rsvp');
  });

  it('`kinds` selects the kinds and orders the groups; the list stands where its first kind is named', () => {
    const likesFirst = renderPingbacksHtml(ALL, { kinds: ['like', 'reply'] });
    expect(itemClasses(likesFirst)).toEqual(['pingback pingback--like h-cite', 'pingback pingback--like h-cite', 'pingback pingback--reply h-cite']);
    expect(likesFirst.indexOf('pingbacks__group--like')).toBeLessThan(likesFirst.indexOf('pingbacks__list'));
    expect(itemClasses(renderPingbacksHtml(ALL, { kinds: 'repost' }))).toEqual(['pingback pingback--repost h-cite']);
    // None of the kinds asked for: the empty state, even though there are others.
    expect(renderPingbacksHtml([like1], { kinds: ['reply'] })).toContain('<p class="pingbacks__empty">No pingbacks yet.</p>');
    expect(renderPingbacksHtml([like1], { kinds: ['reply'], empty: false })).toBe('');
  });

  it("`headings` names, counts in other words or drops each group's heading, one level below the section's", () => {
    const html = renderPingbacksHtml(ALL, {
      headingLevel: 3,
      headings: { list: 'Replies', like: { one: 'person liked this', other: 'people liked this' }, repost: 'Shared by', bookmark: false },
    });
    expect(html).toContain(
      '<h3 id="pingbacks-heading" class="pingbacks__heading">Pingbacks</h3><h4 id="pingbacks-list-heading" class="pingbacks__group-heading">Replies</h4><ol class="pingbacks__list">',
    );
    expect(html).toContain('<h4 id="pingbacks-like-heading" class="pingbacks__group-heading">2 people liked this</h4>');
    expect(html).toContain('<h4 id="pingbacks-repost-heading" class="pingbacks__group-heading">Shared by</h4>');
    expect(html).toContain('<div class="pingbacks__group pingbacks__group--bookmark"><ul class="pingbacks__faces">');
    // Without a section heading the groups' headings take its level; ids follow the section's id.
    expect(renderPingbacksHtml([like1], { heading: false, id: 'resp' })).toBe(
      '<section class="pingbacks" id="resp"><section class="pingbacks__group pingbacks__group--like" aria-labelledby="resp-like-heading"><h2 id="resp-like-heading" class="pingbacks__group-heading">1 like</h2><ul class="pingbacks__faces">' +
        renderFaceItem(like1) +
        '</ul></section></section>',
    );
  });

  it('the protocol-neutral renderer says "Responses" where the Pingback one says "Pingbacks"', () => {
    expect(renderLinkbacksHtml([])).toBe(
      '<section class="pingbacks" id="pingbacks" aria-labelledby="pingbacks-heading"><h2 id="pingbacks-heading" class="pingbacks__heading">Responses</h2><p class="pingbacks__empty">No responses yet.</p></section>',
    );
    expect(renderLinkbacksHtml([reply])).toContain('>Responses</h2><ol class="pingbacks__list">');
  });

  it("a component's own markup for each item goes into the one list, whatever the kinds", () => {
    expect(renderPingbacksHtml(ALL, {}, { itemsHtml: '<li>mine</li>' })).toBe(
      '<section class="pingbacks" id="pingbacks" aria-labelledby="pingbacks-heading"><h2 id="pingbacks-heading" class="pingbacks__heading">Pingbacks</h2><ol class="pingbacks__list"><li>mine</li></ol></section>',
    );
  });
});

describe('an entry in the list', () => {
  it("links to the entry's own URL when it names one, else the source; the author with an avatar", () => {
    expect(renderPingbackItem(reply)).toBe(
      '<li class="pingback pingback--reply h-cite"><a class="pingback__source u-url p-name" href="https://social.example/@ann/1" rel="nofollow ugc"><bdi>Re: your post</bdi></a> ' +
        '<span class="pingback__author p-author h-card"><span class="pingback__avatar"><span class="pingback__initials" aria-hidden="true" hidden>AA</span>' +
        '<img class="pingback__photo u-photo" src="https://ann.example/me.jpg" alt="" width="48" height="48" loading="lazy" decoding="async" referrerpolicy="no-referrer" data-initials="AA"></span>' +
        '<a class="p-name u-url" href="https://ann.example/" rel="nofollow ugc"><bdi>Ann Author</bdi></a></span> ' +
        '<time class="pingback__date dt-published" datetime="2026-11-01T00:00:01.000Z">Nov 1, 2026</time><p class="pingback__excerpt p-content" dir="auto">an excerpt with &lt;markup&gt; &amp; &quot;quotes&quot; — ünïcode</p></li>',
    );
    expect(renderPingbackItem(mention)).toContain('<a class="pingback__source u-url p-name" href="https://s2.example/entry" rel="nofollow ugc">');
    // Without a photo the initials alone; a url that is not http(s) is never linked: the source is.
    const odd = item({ url: 'javascript:alert(1)', author: { name: 'Zed', photo: 'data:image/png;base64,AAAA' } });
    const html = renderPingbackItem(odd);
    expect(html).toContain(`href="${odd.source}"`);
    expect(html).toContain('<span class="pingback__avatar"><span class="pingback__initials" aria-hidden="true" hidden>Z</span></span>');
    expect(html).not.toMatch(/javascript:|data:|<img/);
  });
});

describe('a face in a row', () => {
  it("the author's avatar and name, linked to the entry; the host when the source names no one", () => {
    expect(renderFaceItem(like1)).toBe(
      '<li class="pingback pingback--like h-cite"><a class="pingback__face u-url" href="https://social.example/@cy/like/2" rel="nofollow ugc"><span class="pingback__author p-author h-card">' +
        '<span class="pingback__avatar"><span class="pingback__initials" aria-hidden="true" hidden>CL</span><img class="pingback__photo u-photo" src="https://cy.example/cy.png" alt="" width="48" height="48" loading="lazy" decoding="async" referrerpolicy="no-referrer" data-initials="CL"></span>' +
        '<span class="pingback__name p-name"><bdi>Cy Like</bdi></span></span></a></li>',
    );
    expect(renderFaceItem(like2)).toContain(
      '<span class="pingback__initials" aria-hidden="true" hidden>S</span></span><span class="pingback__name p-name"><bdi>s4.example</bdi></span>',
    );
  });

  it("a stranger's name stays text inside <bdi>, and a hostile photo or URL is never printed", () => {
    const evil = item({
      kind: 'like',
      source: 'javascript:alert(1)',
      url: 'vbscript:x',
      author: { name: '<img src=x onerror=alert(1)>\u202eevE', photo: 'javascript:alert(2)' },
    });
    const html = renderFaceItem(evil);
    expect(html).toBe(
      '<li class="pingback pingback--like h-cite"><span class="pingback__face"><span class="pingback__author p-author h-card"><span class="pingback__avatar"><span class="pingback__initials" aria-hidden="true" hidden>IO</span></span>' +
        '<span class="pingback__name p-name"><bdi>&lt;img src=x onerror=alert(1)&gt;\u202eevE</bdi></span></span></span></li>',
    );
  });
});

describe('avatars', () => {
  it('initials: first letters of the first and last words, whole graphemes, marks skipped', () => {
    expect(
      ['Ann Author', 'madonna', 'Jean-Luc Picard', '  @ann  ', '李小龍', '\u00e9mile Zola', 'e\u0301mile zola', '👩‍💻 Dev Person', '—', '', 'ß ß'].map(
        initials,
      ),
    ).toEqual(['AA', 'M', 'JP', 'A', '李', 'ÉZ', 'E\u0301Z', 'DP', '?', '?', 'ßß']);
  });

  it('"initials" never loads a stranger\'s image; false shows none', () => {
    expect(renderAvatar('Ann', 'https://ann.example/me.jpg', 'initials')).toBe(
      '<span class="pingback__avatar"><span class="pingback__initials" aria-hidden="true" hidden>A</span></span>',
    );
    expect(renderAvatar('Ann', 'https://ann.example/me.jpg', false)).toBe('');
    const html = renderPingbacksHtml(ALL, { avatars: 'initials' });
    expect(html).not.toContain('<img');
    expect(html.match(/pingback__initials/g)).toHaveLength(6);
    expect(renderPingbacksHtml(ALL, { avatars: false })).not.toContain('pingback__avatar');
  });

  it('a photo URL is printed escaped, as the URL parser normalised it', () => {
    expect(renderAvatar('A', 'https://x.example/a"b<c>.png')).toContain('src="https://x.example/a%22b%3Cc%3E.png"');
  });
});

describe('counts per kind', () => {
  it("counts the kinds asked for, and says them in the kind's words", () => {
    expect([countLinkbacks(ALL), countLinkbacks(ALL, ['like']), countLinkbacks(ALL, ['reply', 'mention']), countLinkbacks(ALL, ['bookmark'])]).toEqual([
      6, 2, 2, 1,
    ]);
    expect(pingbackCountText(2, { kind: ['like'] })).toBe('2 likes');
    expect(pingbackCountText(1, { kind: ['reply'] })).toBe('1 reply');
    // Several kinds, or none given: the fallback words (pingbacks by default).
    expect(pingbackCountText(2, { kind: ['like', 'repost'] })).toBe('2 pingbacks');
    expect(pingbackCountText(3, { kind: ['like'], words: { one: 'fan', other: 'fans' } })).toBe('3 fans');
  });

  it('the count element names what it counted in data-kind', () => {
    expect(renderPingbackCountHtml(2, { kind: ['like'] })).toBe('<span class="pingback-count" data-count="2" data-kind="like">2</span>');
    expect(renderPingbackCountHtml(2, { kind: ['like', 'repost'], label: true, fallback: { one: 'response', other: 'responses' } })).toBe(
      '<span class="pingback-count" data-count="2" data-kind="like repost">2 responses</span>',
    );
    expect(renderPingbackCountHtml(1, { label: true })).toBe('<span class="pingback-count" data-count="1">1 pingback</span>');
  });
});

describe('options are checked, naming the option', () => {
  it.each([
    [{ kind: 'like' }, /option `kind` is not a known option\. Did you mean `kinds`\?/],
    [
      { kinds: ['likes'] },
      /option `kinds` has "likes", which is not a kind\. Write one of "reply", "mention", "like", "repost", "bookmark", or a list of them\./,
    ],
    [{ kinds: [] }, /option `kinds` is an empty list, so nothing would be shown/],
    [{ headingLevel: 7 }, /option `headingLevel` must be a whole number from 2 to 6, got 7/],
    [{ headings: { likes: 'x' } }, /option `headings\.likes` is not a known option\. Did you mean `like`\?/],
    [{ headings: { like: 3 } }, /option `headings\.like` must be text, words to count in or false, got 3/],
    [{ avatars: 'yes' }, /option `avatars` must be true, false or "initials", got "yes"/],
    [{ heading: 2 }, /option `heading` must be text or false, got 2/],
  ])('%j', (options, message) => {
    expect(() => renderPingbacksHtml(ALL, options as never)).toThrow(message);
  });

  it("Nunjucks' keyword-argument marker is not taken for an option", () => {
    expect(renderPingbacksHtml([reply], { __keywords: true, heading: 'Replies' } as never)).toContain('>Replies</h2>');
  });
});

describe('reading back from an endpoint of an older deploy', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pingback-render-read-'));
    const { kind: _k, protocol: _p, ...old } = publicRecord(record(KEY, 'https://old.example/'));
    const future = { ...publicRecord(record(KEY, 'https://future.example/')), kind: 'rsvp', protocol: 'carrier-pigeon' };
    server = await startServer(
      (_req, res) =>
        void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ items: [old, future, publicRecord(record(KEY, 'https://new.example/', { kind: 'like', protocol: 'webmention' }))], next: null }),
          ),
    );
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fills in the protocol and kind it did not send, and reads unknown ones as a pingback mention, from the cache too', async () => {
    const cacheFile = join(dir, 'cache.json');
    const read = await readPingbacks({ kind: 'endpoint', url: `${server.url}/pingbacks.json` }, { cacheFile, onReadError: 'stale' });
    expect(read.items.map((i) => [i.source, i.protocol, i.kind])).toEqual([
      ['https://old.example/', 'pingback', 'mention'],
      ['https://future.example/', 'pingback', 'mention'],
      ['https://new.example/', 'webmention', 'like'],
    ]);
    // A cache written by an older version: items without either field.
    const cached = JSON.parse(await readFile(cacheFile, 'utf8'));
    for (const i of cached.items) {
      delete i.kind;
      delete i.protocol;
    }
    await writeFile(cacheFile, JSON.stringify(cached));
    const stale = await readPingbacks({ kind: 'endpoint', url: 'http://127.0.0.1:1/pingbacks.json' }, { cacheFile, onReadError: 'stale', timeoutMs: 2000 });
    expect(stale.stale).toBe(true);
    expect(stale.items.map((i) => [i.protocol, i.kind])).toEqual([
      ['pingback', 'mention'],
      ['pingback', 'mention'],
      ['pingback', 'mention'],
    ]);
  });

  it("a build's read keeps the good read without waiting for the file, and a failed read just after still finds it", async () => {
    const cacheFile = join(dir, 'kept-in-background', 'cache.json');
    const good = await readPingbacks({ kind: 'endpoint', url: `${server.url}/pingbacks.json` }, { cacheFile, onReadError: 'stale', keepInBackground: true });
    expect(good.stale).toBe(false);
    const failed = await readPingbacks({ kind: 'endpoint', url: 'http://127.0.0.1:1/pingbacks.json' }, { cacheFile, onReadError: 'stale', timeoutMs: 2000 });
    expect(failed.stale).toBe(true);
    expect(failed.warning).toContain('showing the last good read');
    expect(failed.items.map((i) => i.source)).toEqual(good.items.map((i) => i.source));
    expect(JSON.parse(await readFile(cacheFile, 'utf8')).items).toHaveLength(3);
  });
});
