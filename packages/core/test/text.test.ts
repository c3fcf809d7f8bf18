import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { html, routes, startServer } from '../../../test/support/http.ts';
import { record } from '../../../test/support/store-contract.ts';
import { plainText } from '../src/receive/plain-text.ts';
import { publicRecord } from '../src/receive/read-endpoint.ts';
import { Receiver } from '../src/receive/receiver.ts';
import { pingbackCountText, renderPingbackCountHtml, renderPingbackItem, renderPingbacksHtml } from '../src/render/index.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { writeMethodCall } from '../src/xmlrpc/index.ts';

const BIDI = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c'];
const ZERO_WIDTH = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'];
const hex = (c: string) => `&#x${c.codePointAt(0)!.toString(16)};`;

describe('stored text holds no bidirectional or zero-width characters', () => {
  it.each([...BIDI, ...ZERO_WIDTH].map((c) => [`U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`, c]))(
    'plainText removes %s',
    (_name, c) => {
      expect(plainText(`Ann${c} Author${c}`)).toBe('Ann Author');
    },
  );

  it('keeps letters of every direction: only the invisible controls go', () => {
    expect(plainText('שלום  world مرحبا')).toBe('שלום world مرحبا');
  });

  it('keeps the joiners where a word or an emoji is written with them, and nowhere else', () => {
    // Persian "می‌خواهم" and the Devanagari conjunct क्‍ष need their joiners; 👩‍💻 and 🏳️‍🌈 are one picture each.
    for (const written of ['\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645', '\u0915\u094d\u200d\u0937', '👩\u200d💻', '🏳\ufe0f\u200d🌈', '👍🏽\u200d👍'])
      expect(plainText(`${written} wrote`)).toBe(`${written} wrote`);
    // In Latin, Greek or Cyrillic, at an edge, beside a space or between pictograph and letter they are only a disguise.
    expect(plainText('pay\u200dpal')).toBe('paypal');
    expect(plainText('pay\u200cpal')).toBe('paypal');
    expect(plainText('\u0410\u200d\u043d\u043d\u0430')).toBe('\u0410\u043d\u043d\u0430');
    expect(plainText('\u200d\u0645\u06cc \u200c\u062e\u200c')).toBe('\u0645\u06cc \u062e');
    expect(plainText('👩\u200dEve')).toBe('👩Eve');
  });

  const SITE = 'https://blog.example/';
  let source: TestServer;
  beforeAll(async () => {
    // The controls as characters in the title, as character references in the author's name (the parser
    // decodes them) and in the excerpt.
    source = await startServer(
      routes({
        '/rlo': html(
          `<html><head><title>Nice\u202e post\u200b</title></head><body><article class="h-entry"><p class="p-author h-card">${hex('\u202e')}Eve${hex('\u2066')}${hex('\u200d')}</p>` +
            `<p>I read ${'\u2067'}<a href="${SITE}posts/a/">this${hex('\u200f')}</a> today\ufeff.</p></article></body></html>`,
        ),
      }),
    );
  });
  afterAll(() => source.close());

  it('from a source page, in the title, the author and the excerpt', async () => {
    const store = new MemoryStore();
    const receiver = new Receiver({
      site: SITE,
      store,
      pages: ['/posts/a'],
      rateLimit: 0,
      allowPrivateNetwork: true,
      allowedPorts: [Number(new URL(source.url).port)],
    });
    const response = await receiver.handle(
      new Request(`${SITE}xmlrpc`, { method: 'POST', body: writeMethodCall('pingback.ping', [`${source.url}/rlo`, `${SITE}posts/a/`]) }),
    );
    expect(await response.text()).toContain('registered');
    const [stored] = await store.list();
    expect([stored!.title, stored!.author.name, stored!.excerpt]).toEqual(['Nice post', 'Eve', 'I read this today.']);
    await receiver.close();
  });
});

describe('rendering isolates what a stranger wrote', () => {
  // A record stored before the controls were stripped on arrival.
  const old = publicRecord(record('/posts/a', 'https://s.example/1', { title: 'Re\u202e: hello', author: { name: '\u202eevE', url: 'https://eve.example/' } }));

  it('wraps titles and author names in <bdi>, so an override inside cannot reorder the list around it', () => {
    const item = renderPingbackItem(old);
    expect(item).toContain('rel="nofollow ugc"><bdi>Re\u202e: hello</bdi></a>');
    expect(item).toContain('<a class="p-name u-url" href="https://eve.example/" rel="nofollow ugc"><bdi>\u202eevE</bdi></a>');
    expect(item).toContain('<p class="pingback__excerpt p-content" dir="auto">');
    // Every stranger's character sits inside an isolate: nothing but our markup between them.
    expect(item.replace(/<bdi>[^<]*<\/bdi>/g, '').replace(/<p class="pingback__excerpt[\s\S]*?<\/p>/, '')).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  });

  it('shows no author for a source that names none, and never the title a second time', () => {
    const none = renderPingbackItem(publicRecord(record('/posts/a', 'https://s.example/2', { title: 'A reply', author: { name: '' } })));
    expect(none).not.toContain('pingback__author');
    // Records stored before: the title (or the host, for a page with no title) again as the author's name.
    const repeated = renderPingbackItem(publicRecord(record('/posts/a', 'https://s.example/3', { title: 'A reply', author: { name: 'A reply' } })));
    expect(repeated.split('A reply')).toHaveLength(2);
    expect(repeated).not.toContain('pingback__author');
    const host = renderPingbackItem(publicRecord(record('/posts/a', 'https://s.example/4', { title: 's.example', author: { name: 's.example' } })));
    expect(host.split('s.example</bdi>')).toHaveLength(2);
    const named = renderPingbackItem(publicRecord(record('/posts/a', 'https://s.example/5', { title: 'A reply', author: { name: 'Ann' } })));
    expect(named).toContain(
      '<span class="pingback__author p-author h-card"><span class="pingback__avatar"><span class="pingback__initials" aria-hidden="true" hidden>A</span></span><span class="p-name"><bdi>Ann</bdi></span></span>',
    );
  });
});

describe('counts in words', () => {
  it('says "1 pingback" and "2 pingbacks", in the words and plural rules of a locale', () => {
    expect([0, 1, 2, 21].map((n) => pingbackCountText(n))).toEqual(['0 pingbacks', '1 pingback', '2 pingbacks', '21 pingbacks']);
    const fr = { one: 'rétrolien', other: 'rétroliens' };
    expect([0, 1, 2].map((n) => pingbackCountText(n, { words: fr, locale: 'fr' }))).toEqual(['0 rétrolien', '1 rétrolien', '2 rétroliens']);
    expect(pingbackCountText(3, { words: { one: 'x', few: 'xs (few)', other: 'xs' }, locale: 'pl' })).toBe('3 xs (few)');
    expect(pingbackCountText(1, { locale: 'not a locale!' })).toBe('1 pingback');
  });

  it('the count element: the number alone by default, the words with label', () => {
    expect(renderPingbackCountHtml(1)).toBe('<span class="pingback-count" data-count="1">1</span>');
    expect(renderPingbackCountHtml(1, { label: true })).toBe('<span class="pingback-count" data-count="1">1 pingback</span>');
    expect(renderPingbackCountHtml(2, { label: { one: 'reply', other: '<replies>' } })).toBe(
      '<span class="pingback-count" data-count="2">2 &lt;replies&gt;</span>',
    );
  });

  it('the list itself is unchanged in shape', () => {
    expect(renderPingbacksHtml([])).toBe(
      '<section class="pingbacks" id="pingbacks" aria-labelledby="pingbacks-heading"><h2 id="pingbacks-heading" class="pingbacks__heading">Pingbacks</h2><p class="pingbacks__empty">No pingbacks yet.</p></section>',
    );
  });
});
