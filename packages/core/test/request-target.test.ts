import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PingbackInputError } from '../src/errors.ts';
import { readPlainRequest, requestTargetUrl, toRequest } from '../src/receive/node-http.ts';
import { rawRequest } from '../../../test/support/raw-http.ts';

const SITE = 'https://blog.example/';

describe('requestTargetUrl: a request target resolved as a path on the site, never as a URL reference', () => {
  it.each([
    ['/posts/a/', 'https://blog.example/posts/a/'],
    ['/.//[/', 'https://blog.example//[/'],
    ['//[/', 'https://blog.example//[/'],
    ['//evil.example/x', 'https://blog.example//evil.example/x'],
    ['/a/../../b', 'https://blog.example/b'],
    ['/%2e%2e/b', 'https://blog.example/b'],
    ['/a\\b', 'https://blog.example/a/b'],
    ['/p?x=//[/#frag', 'https://blog.example/p?x=//[/'],
    ['/é', 'https://blog.example/%C3%A9'],
    ['http://other.example/posts/a/?q=1', 'https://blog.example/posts/a/?q=1'],
    ['HTTP://other.example', 'https://blog.example/'],
  ])('%j → %s', (target, href) => {
    expect(requestTargetUrl(target, SITE)?.href).toBe(href);
  });

  it.each(['http://[/', 'http://%zz/', 'https://h:99999/', 'file:///etc/passwd', 'javascript:alert(1)', '*', 'blog.example:443', '', 'posts/a'])(
    '%j is no target (400)',
    (target) => {
      expect(requestTargetUrl(target, SITE)).toBeNull();
    },
  );

  it('never throws and never leaves the site, whatever the target', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.string().map((s) => `/${s}`),
          fc.string().map((s) => `http://${s}`),
          fc.string().map((s) => `//${s}`),
        ),
        (target) => {
          const url = requestTargetUrl(target, SITE);
          if (url) expect(url.origin).toBe('https://blog.example');
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('readPlainRequest and toRequest refuse such a target with a PingbackInputError, and take a path that used to throw', async () => {
    const seen: unknown[] = [];
    const server = createServer((req, res) => {
      Promise.allSettled([readPlainRequest(req, SITE, 1024), Promise.resolve().then(() => toRequest(req, SITE))]).then((results) => {
        seen.push(results.map((r) => (r.status === 'fulfilled' ? String(r.value.url) : r.reason)));
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await rawRequest(port, 'GET http://[/ HTTP/1.1\r\nHost: x\r\n\r\n');
      await rawRequest(port, 'GET /.//[/ HTTP/1.1\r\nHost: x\r\n\r\n');
    } finally {
      server.closeAllConnections();
      server.close();
    }
    const [bad, good] = seen as [unknown[], unknown[]];
    expect(bad.every((e) => e instanceof PingbackInputError)).toBe(true);
    expect((bad[0] as Error).message).toBe('request target "http://[/" is neither a path nor an absolute http(s) URL');
    expect(good).toEqual(['https://blog.example//[/', 'https://blog.example//[/']);
  });
});
