import { describe, expect, it } from 'vitest';
import { canonicalKey, canonicalKeyOfPath } from '../src/site/canonical.ts';

describe('canonicalKey (R15–R18)', () => {
  it('gives one key to every form of one post', () => {
    const forms = [
      'https://blog.example/posts/hello/',
      'https://blog.example/posts/hello',
      'https://blog.example/posts/hello/index.html',
      'https://blog.example/posts/hello.html',
      'http://BLOG.example:80/posts/hello/',
      'https://blog.example:443/posts/hello/#comments',
      'https://blog.example/posts/hello/?utm_source=x&fbclid=y',
      'https://blog.example/posts/%68ello/',
      'https://blog.example/posts/hello//',
    ];
    expect(new Set(forms.map((f) => canonicalKey(f)))).toEqual(new Set(['/posts/hello']));
  });

  it('keeps distinct posts distinct and case-sensitive paths apart', () => {
    expect(canonicalKey('https://b.example/posts/Hello/')).toBe('/posts/Hello');
    expect(canonicalKey('https://b.example/posts/hello-2/')).toBe('/posts/hello-2');
  });

  it('normalises escapes and IDNA, and the root is "/"', () => {
    expect(canonicalKey('https://b.example/caf%c3%a9/')).toBe('/caf%C3%A9');
    expect(canonicalKey('https://b.example/café/')).toBe('/caf%C3%A9');
    expect(canonicalKey('https://bücher.example/')).toBe('/');
    expect(canonicalKey('https://b.example/index.html')).toBe('/');
    expect(canonicalKey('https://b.example')).toBe('/');
  });

  it('is stable: the key of a key is itself', () => {
    for (const url of ['https://b.example/a/b/index.htm', 'https://b.example/%7Euser/x.html', 'https://b.example/a%2Fb/']) {
      const key = canonicalKey(url);
      expect(canonicalKey(new URL(key, 'https://b.example'))).toBe(key);
    }
  });

  it('reads a path as a path of the site, never as a reference to another host', () => {
    const site = 'https://blog.example/';
    expect(canonicalKeyOfPath('/posts/hello/index.html', site)).toBe('/posts/hello');
    expect(canonicalKeyOfPath('//evil.example/posts/hello', site)).toBe('//evil.example/posts/hello');
    expect(canonicalKeyOfPath('/\\evil.example/x?utm_source=y', site)).toBe('//evil.example/x');
    expect(canonicalKeyOfPath('//[/', site)).toBe('//[');
  });
});
