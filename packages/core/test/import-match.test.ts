import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImportError, PostMatcher, UrlAmpersandRepair, mergeAliasesFile, parseImportMap, readAliasesFile, siteMatcher } from '@pingback/core';

const SITE = siteMatcher('https://new.example/', ['www.new.example']);
const PAGES = ['/', '/posts/hello', '/posts/%C3%BCber-caf%C3%A9', '/2019/05/kept', '/notes/hello', '/posts/only-once', '/about'];

describe('matching old posts to new ones', () => {
  const matcher = (map = new Map<string, string>()) =>
    new PostMatcher({ pages: PAGES, posts: [], aliases: { '/2019/05/redirected': '/posts/only-once' } }, map);

  it('by the map, then a declared redirect, then the same path, then a slug that only one key ends in', () => {
    const m = matcher(new Map([['/2019/05/hello', '/notes/hello']]));
    expect(m.match('https://old.example/2019/05/hello/', 'hello')).toEqual({ key: '/notes/hello', via: 'map' });
    expect(m.match('https://old.example/2019/05/redirected/', 'whatever')).toEqual({ key: '/posts/only-once', via: 'redirect' });
    expect(m.match('https://old.example/2019/05/kept/', 'kept')).toEqual({ key: '/2019/05/kept', via: 'same-path' });
    expect(m.match('https://old.example/2018/01/only-once/', 'only-once')).toEqual({ key: '/posts/only-once', via: 'slug' });
    // WordPress stores non-ASCII slugs percent-encoded in lower case; keys hold them upper case.
    expect(m.match('https://old.example/2018/02/%c3%bcber-caf%c3%a9/', '%c3%bcber-caf%c3%a9')).toEqual({ key: '/posts/%C3%BCber-caf%C3%A9', via: 'slug' });
  });

  it('never guesses: a slug two keys end in, no match, and a map line to a page that is not a post are unmatched, with why', () => {
    const m = matcher(new Map([['/2019/05/gone', '/tags/x']]));
    expect(m.match('https://old.example/2019/05/hello/', 'hello')).toEqual({
      key: null,
      reason: 'ambiguous-slug',
      candidates: ['/notes/hello', '/posts/hello'],
    });
    expect(m.match('https://old.example/2019/05/nothing/', 'nothing')).toEqual({ key: null, reason: 'no-match' });
    expect(m.match('https://old.example/2019/05/gone/', 'gone')).toEqual({ key: null, reason: 'map-target-not-a-post', candidates: ['/tags/x'] });
  });

  it('a link like /?p=42 is not the home page: only the map (by its query) or the slug name its post', () => {
    const m = matcher(new Map([['/?p=42', '/about']]));
    expect(m.match('https://old.example/?p=42', '')).toEqual({ key: '/about', via: 'map' });
    expect(m.match('https://old.example/?p=43', '')).toEqual({ key: null, reason: 'no-match' });
    expect(m.match('https://old.example/?p=44', 'only-once')).toEqual({ key: '/posts/only-once', via: 'slug' });
  });
});

describe('the map file', () => {
  it('reads OLD NEW lines, with or without an arrow, comments and blank lines, into old ids and new keys', () => {
    const map = parseImportMap(
      [
        '# moved posts',
        'https://old.example/2019/05/a/ https://new.example/posts/a/',
        '/2019/05/b/ -> /posts/b',
        '',
        'https://old.example/?p=7 → https://www.new.example/posts/c/index.html  # by id',
      ].join('\n'),
      SITE,
      'map.txt',
    );
    expect([...map]).toEqual([
      ['/2019/05/a', '/posts/a'],
      ['/2019/05/b', '/posts/b'],
      ['/?p=7', '/posts/c'],
    ]);
  });

  it('a line it cannot read is an error naming the line and the fix', () => {
    expect(() => parseImportMap('/a /b\n/only-one\n', SITE, 'map.txt')).toThrow(
      /map\.txt, line 2: expected two URLs, found 1 field\. Each line is "OLD-URL NEW-URL"/,
    );
    expect(() => parseImportMap('/a https://elsewhere.example/b', SITE, 'map.txt')).toThrow(/line 1: "https:\/\/elsewhere\.example\/b" is not on new\.example/);
    expect(() => parseImportMap('ftp://x/a /b', SITE, 'map.txt')).toThrow(ImportError);
  });
});

describe('the aliases file', () => {
  it('keeps what imports matched, merged and sorted; a broken one is an error saying how to fix it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pingback-aliases-'));
    const path = join(dir, 'aliases.json');
    try {
      expect(await readAliasesFile(path)).toEqual({});
      expect(await mergeAliasesFile(path, { '/2019/b': '/posts/b', '/2019/a': '/posts/a' })).toBe(2);
      expect(await mergeAliasesFile(path, { '/2019/a': '/posts/a' })).toBe(0);
      expect(await mergeAliasesFile(path, { '/2019/c': '/posts/c' })).toBe(1);
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
        version: 1,
        aliases: { '/2019/a': '/posts/a', '/2019/b': '/posts/b', '/2019/c': '/posts/c' },
      });
      await writeFile(path, '{"version": 1, "aliases": {"x": 1}}');
      await expect(readAliasesFile(path)).rejects.toThrow(/is not a pair of paths/);
      await writeFile(path, 'nope');
      await expect(readAliasesFile(path)).rejects.toThrow(/is not valid JSON\. Delete it and run the import again/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the repair of WordPress's bare & in author URLs", () => {
  const repair = (chunks: string[]) => {
    const r = new UrlAmpersandRepair();
    return chunks.map((c) => r.push(c)).join('') + r.end();
  };

  it('escapes a bare & only inside <wp:comment_author_url>, and leaves references, CDATA and other elements alone', () => {
    const text =
      '<a>x&y</a><wp:comment_author_url>https://a.example/?p=1&b=2&amp;c=3&#038;d=4&lt;</wp:comment_author_url><wp:comment_author_url><![CDATA[https://b.example/?x&y]]></wp:comment_author_url>';
    expect(repair([text])).toBe(
      '<a>x&y</a><wp:comment_author_url>https://a.example/?p=1&amp;b=2&amp;c=3&#038;d=4&lt;</wp:comment_author_url><wp:comment_author_url><![CDATA[https://b.example/?x&y]]></wp:comment_author_url>',
    );
  });

  it('gives the same text however the chunks are cut', () => {
    const text =
      '<wp:comment_author_url>https://a.example/?p=1&b=2&amp;c=3&#x26;</wp:comment_author_url> and <wp:comment_author_url>https://c.example/&</wp:comment_author_url>';
    const whole = repair([text]);
    for (let size = 1; size <= 9; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      expect(repair(chunks), `chunks of ${size}`).toBe(whole);
    }
    expect(whole).toContain('https://c.example/&amp;</wp:comment_author_url>');
  });
});
