import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@pingback/core';
import { MemoryStore, parseMethodResponse, writeMethodCall } from '@pingback/core';
import type { TestServer } from '../../../test/support/http.ts';
import { html, startServer } from '../../../test/support/http.ts';
import { createPingbackFunction } from '../src/function.ts';

// The Function has the manifest's aliases bundled: a pingback to an old permalink needs no network to be
// recognised, and lands on the post.
const SITE = 'https://blog.example/';
const manifest: Manifest = {
  version: 1,
  site: SITE,
  endpoint: `${SITE}xmlrpc`,
  hosts: [],
  pages: ['/posts/hello'],
  posts: [],
  directories: [],
  feed: null,
  aliases: { '/2019/05/hello-pingbacks': '/posts/hello' },
};

let source: TestServer;
beforeAll(async () => {
  source = await startServer(html(`<p>Still linking to <a href="${SITE}2019/05/hello-pingbacks/">the old post</a>.</p>`));
  process.env.PINGBACK_ALLOW_PRIVATE_NETWORK = 'true';
});
afterAll(async () => {
  delete process.env.PINGBACK_ALLOW_PRIVATE_NETWORK;
  await source.close();
});

describe('the Netlify Function and old URLs', () => {
  it('accepts a pingback to an alias of the manifest for its post, and refuses it without the alias', async () => {
    const ping = async (m: Manifest) => {
      const store = new MemoryStore();
      const fn = createPingbackFunction({ site: SITE, rateLimit: 0 }, m, { store });
      const body = writeMethodCall('pingback.ping', [`${source.url}/reply`, `${SITE}2019/05/hello-pingbacks/`]);
      const response = await fn.fetch(new Request(`${SITE}xmlrpc`, { method: 'POST', body }));
      return { answer: parseMethodResponse(new Uint8Array(await response.arrayBuffer())), store };
    };
    const withAlias = await ping(manifest);
    expect(withAlias.answer).toMatchObject({ kind: 'result' });
    expect([...withAlias.store.records.values()]).toEqual([expect.objectContaining({ key: '/posts/hello', target: `${SITE}2019/05/hello-pingbacks/` })]);
    const { aliases: _aliases, ...without } = manifest;
    const refused = await ping(without);
    expect(refused.answer).toMatchObject({ kind: 'fault', faultCode: 33 });
    expect(refused.store.records.size).toBe(0);
  });
});
