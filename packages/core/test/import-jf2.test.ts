import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ImportError, MemoryStore, PostMatcher, importWebmentionIo, jf2Kind } from '@pingback/core';

const FIXTURE = fileURLToPath(new URL('./fixtures/jf2/mentions.jf2', import.meta.url));
const text = await readFile(FIXTURE, 'utf8');
const matcher = () =>
  new PostMatcher({
    pages: ['/', '/posts/hello-pingbacks', '/posts/uber-cafe', '/about'],
    posts: [],
    aliases: { '/2019/05/hello-pingbacks': '/posts/hello-pingbacks' },
  });
const CLOCK = { now: () => Date.parse('2026-12-01T12:00:00.000Z') };

describe("importing webmention.io's JF2 export", () => {
  it('stores each mention as a Webmention of its kind, with author name, http(s) URL and photo, date, text and the entry URL', async () => {
    const store = new MemoryStore();
    const report = await importWebmentionIo(text, { store, matcher: matcher(), clock: CLOCK, where: 'mentions.jf2' });
    expect(report.imported).toEqual({ webmention: 5 });
    expect(report.skipped).toEqual({ private: 1, 'bad-source': 1, 'not-an-entry': 1, unmatched: 1 });
    expect(report.posts).toEqual({ seen: 5, matched: 4, unmatched: 1, via: { redirect: 1, slug: 1, 'same-path': 2 } });
    expect(report.unmatched).toEqual([{ url: 'https://oldblog.example/2020/06/not-moved/', reason: 'no-match', items: 1 }]);
    const bySource = new Map([...store.records.values()].map((r) => [r.source, r]));
    expect(bySource.get('https://aaronparecki.com/2019/05/17/12/reply')).toEqual({
      id: expect.any(String),
      source: 'https://aaronparecki.com/2019/05/17/12/reply',
      target: 'https://oldblog.example/2019/05/hello-pingbacks/',
      key: '/posts/hello-pingbacks',
      status: 'approved',
      title: '',
      excerpt: 'Nice to see pingbacks again.',
      author: { name: 'Aaron Parecki', url: 'https://aaronparecki.com/', photo: 'https://avatars.webmention.io/aaronparecki.com/2b8e4f.jpg' },
      published: '2019-05-17T19:03:24.000Z',
      receivedAt: '2019-05-17T19:04:11.000Z',
      protocol: 'webmention',
      kind: 'reply',
    });
    expect(bySource.get('https://brid.gy/like/mastodon/@someone/102345/42')).toMatchObject({
      kind: 'like',
      url: 'https://mastodon.social/@someone/102345#favorited-by-42',
      receivedAt: '2019-05-18T08:00:00.000Z',
    });
    expect(bySource.get('https://brid.gy/like/mastodon/@someone/102345/42')!.published).toBeUndefined();
    // javascript: and empty URLs are dropped; the rest of the entry stays.
    expect(bySource.get('https://reposter.example/r/1')).toMatchObject({ kind: 'repost', key: '/posts/uber-cafe', author: { name: 'Reposter' } });
    expect(bySource.get('https://reposter.example/r/1')!.author).toEqual({ name: 'Reposter' });
    expect(bySource.get('https://bm.example/b/9')).toMatchObject({ kind: 'bookmark', title: 'A reading list', key: '/posts/uber-cafe' });
    // A note's name is its text again: not a title.
    expect(bySource.get('https://m.example/notes/3')).toMatchObject({ kind: 'mention', title: '', key: '/about' });
    expect(report.aliases).toEqual({ '/2020/02/uber-cafe': '/posts/uber-cafe' });
  });

  it('is idempotent, and a dry run stores nothing', async () => {
    const store = new MemoryStore();
    const dry = await importWebmentionIo(text, { store, matcher: matcher(), dryRun: true });
    expect(dry.imported).toEqual({ webmention: 5 });
    expect(store.records.size).toBe(0);
    await importWebmentionIo(text, { store, matcher: matcher() });
    const again = await importWebmentionIo(text, { store, matcher: matcher() });
    expect(again.imported).toEqual({});
    expect(again.alreadyStored).toBe(5);
    expect(store.records.size).toBe(5);
  });

  it('maps every wm-property to a kind', () => {
    expect(['in-reply-to', 'like-of', 'repost-of', 'bookmark-of', 'mention-of', 'rsvp', 'something-new'].map(jf2Kind)).toEqual([
      'reply',
      'like',
      'repost',
      'bookmark',
      'mention',
      'reply',
      'mention',
    ]);
  });

  it('a file that is not JF2 is a clear error, and nothing is stored', async () => {
    for (const [bad, message] of [
      ['{"type": "feed", "children": [', /mentions\.jf2 is not valid JSON/],
      ['{"links": []}', /expected webmention\.io's JF2 feed/],
      ['"just a string"', /expected webmention\.io's JF2 feed/],
    ] as const) {
      const store = new MemoryStore();
      const error = await importWebmentionIo(bad, { store, matcher: matcher(), where: 'mentions.jf2' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImportError);
      expect((error as Error).message).toMatch(message);
      expect(store.records.size).toBe(0);
    }
    // Deep nesting is no crash: the one entry is not an entry.
    const store = new MemoryStore();
    const deep = await importWebmentionIo(`[${'['.repeat(100_000)}${']'.repeat(100_000)}]`, { store, matcher: matcher() });
    expect(deep.skipped).toEqual({ 'not-an-entry': 1 });
    expect(store.records.size).toBe(0);
  });
});
