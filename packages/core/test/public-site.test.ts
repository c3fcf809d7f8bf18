import { describe, expect, it } from 'vitest';
import { notPublicReason } from '../src/net/public-site.ts';

describe('which sites are public (no pings, no directories from the others)', () => {
  it.each([
    ['http://127.0.0.1:4321/', '127.0.0.1 is not a public address'],
    ['http://[::1]:8080/', '[::1] is not a public address'],
    ['http://10.0.0.5/', '10.0.0.5 is not a public address'],
    ['http://192.168.1.20/blog/', '192.168.1.20 is not a public address'],
    ['http://0x7f.1/', '127.0.0.1 is not a public address'],
    ['http://localhost:4321/', 'localhost is a local or reserved name (.localhost)'],
    ['http://LOCALHOST.:4321/', 'localhost is a local or reserved name (.localhost)'],
    ['http://blog.localhost/', 'blog.localhost is a local or reserved name (.localhost)'],
    ['http://nas.local/', 'nas.local is a local or reserved name (.local)'],
    ['https://wiki.corp.internal/', 'wiki.corp.internal is a local or reserved name (.internal)'],
    ['https://blog.test/', 'blog.test is a local or reserved name (.test)'],
    ['https://blog.example/', 'blog.example is a local or reserved name (.example)'],
    ['https://x.invalid/', 'x.invalid is a local or reserved name (.invalid)'],
    ['http://printer.home.arpa/', 'printer.home.arpa is a local or reserved name (.home.arpa)'],
    ['http://intranet/', 'intranet is not a public name (one label)'],
  ])('%s is not: %s', (url, reason) => {
    expect(notPublicReason(url)).toBe(reason);
  });

  it.each([
    'https://blog.netlify.app/',
    'https://example.com/',
    'https://my.blog.example.org/',
    'http://93.184.216.34/',
    'https://[2606:4700:4700::1111]/',
    'https://testing.dev/',
    'https://local.news/',
  ])('%s is', (url) => {
    expect(notPublicReason(url)).toBe(null);
  });
});
