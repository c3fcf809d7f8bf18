import { describe, expect, it } from 'vitest';
import { selectTargets } from '../src/site/links.ts';
import { siteMatcher } from '../src/site/site.ts';

const site = siteMatcher('https://blog.example/', ['www.blog.example', 'https://old.example.org', '*--blog.netlify.app']);
const filter = { pageUrl: 'https://blog.example/posts/hello/', site };

describe('selectTargets (C20, C23)', () => {
  it('keeps external http(s) links exactly as written', () => {
    expect(selectTargets(['https://Other.example/Post?a=1&b=2', 'http://other.example/a%20b'], filter)).toEqual([
      'https://Other.example/Post?a=1&b=2',
      'http://other.example/a%20b',
    ]);
  });

  it('skips own site, extra hosts, the post itself, bare home pages and non-web schemes', () => {
    expect(
      selectTargets(
        [
          '/about/',
          '#comments',
          'https://blog.example/posts/other/',
          'http://www.blog.example/x',
          'https://old.example.org/2010/post',
          'https://deploy-preview-3--blog.netlify.app/posts/',
          'https://blog.example/posts/hello/#top',
          'https://home.example/',
          'https://home.example',
          'mailto:me@example.com',
          'tel:+123',
          'javascript:alert(1)',
          'data:text/html,hi',
          'ftp://files.example/x',
          'https://user:pw@other.example/x',
          '',
          '   ',
        ],
        filter,
      ),
    ).toEqual([]);
  });

  it('keeps a home page with a query, which is a page of its own', () => {
    expect(selectTargets(['https://home.example/?p=12'], filter)).toEqual(['https://home.example/?p=12']);
  });

  it('pings one target per URL, whatever the fragment, sent as first written', () => {
    expect(selectTargets(['https://t.example/a#one', 'https://t.example/a', 'https://t.example/a#two', 'https://t.example/b'], filter)).toEqual([
      'https://t.example/a#one',
      'https://t.example/b',
    ]);
  });

  it('counts another port of the same host as another site', () => {
    expect(selectTargets(['http://127.0.0.1:8081/post/'], { pageUrl: 'http://127.0.0.1:8080/mine/' })).toEqual(['http://127.0.0.1:8081/post/']);
    expect(selectTargets(['http://127.0.0.1:8080/other/'], { pageUrl: 'http://127.0.0.1:8080/mine/' })).toEqual([]);
  });

  it('resolves protocol-relative links and honours <base>', () => {
    expect(selectTargets(['//cdn.example/page'], filter)).toEqual(['https://cdn.example/page']);
    expect(selectTargets(['page'], { ...filter, baseHref: 'https://elsewhere.example/dir/' })).toEqual(['https://elsewhere.example/dir/page']);
  });

  it('trims what a browser trims', () => {
    expect(selectTargets(['  https://t.example/x \n'], filter)).toEqual(['https://t.example/x']);
  });
});

describe('siteMatcher', () => {
  it('matches the site and its hosts by name, scheme ignored, ports when given', () => {
    const m = siteMatcher('https://blog.example', ['localhost:4321', '*.blog.example', 'BÜCHER.example']);
    const own = (u: string) => m.isOwn(new URL(u));
    expect(own('http://blog.example/x')).toBe(true);
    expect(own('http://blog.example:8080/x')).toBe(false);
    expect(own('https://a.b.blog.example/')).toBe(true);
    expect(own('https://blogXexample/')).toBe(false);
    expect(own('http://localhost:4321/')).toBe(true);
    expect(own('http://localhost:4322/')).toBe(false);
    expect(own('https://xn--bcher-kva.example/')).toBe(true);
    expect(own('https://notblog.example/')).toBe(false);
  });

  it('names the option when a host is not a host', () => {
    expect(() => siteMatcher('https://s.example', ['https://ok.example', 'not a host'])).toThrow(/option `hosts\[1\]` has an entry that is not a host/);
  });
});
