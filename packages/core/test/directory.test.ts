import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { html, routes, sleep, startServer } from '../../../test/support/http.ts';
import type { PythonPeer } from '../../../test/support/python.ts';
import { startPythonPeer } from '../../../test/support/python.ts';
import { directoryWarnings, notifyDirectories, notifyDirectory } from '../src/pingback/directory.ts';

let peer: PythonPeer;
let hostile: TestServer;
const notice = { name: 'My Blog', siteUrl: 'https://blog.example/', changesUrl: 'https://blog.example/posts/new/', feedUrl: 'https://blog.example/rss.xml' };

beforeAll(async () => {
  peer = await startPythonPeer();
  hostile = await startServer(routes({ '/hang': () => {}, '/html': html('<h1>Ping-O-Matic is down for maintenance</h1>') }));
});
afterAll(async () => {
  await peer.close();
  await hostile.close();
});

describe('weblogUpdates', () => {
  it('D6: sends extendedPing(name, home, changes, feed)', async () => {
    const n = peer.calls.length;
    const result = await notifyDirectory(peer.endpoint, notice);
    expect(result).toMatchObject({ status: 'notified', method: 'weblogUpdates.extendedPing', message: 'Thanks for the ping.' });
    await peer.waitForCalls(n + 1);
    expect(peer.calls.slice(n).map((c) => [c.method, c.params])).toEqual([
      ['weblogUpdates.extendedPing', ['My Blog', 'https://blog.example/', 'https://blog.example/posts/new/', 'https://blog.example/rss.xml']],
    ]);
  });

  it('D2: falls back once to ping(name, home) on a fault', async () => {
    const n = peer.calls.length;
    const result = await notifyDirectory(peer.endpoint, { ...notice, name: 'fault blog' });
    expect(result).toMatchObject({ status: 'notified', method: 'weblogUpdates.ping' });
    await peer.waitForCalls(n + 2);
    expect(peer.calls.slice(n).map((c) => [c.method, c.params])).toEqual([
      ['weblogUpdates.extendedPing', ['fault blog', notice.siteUrl, notice.changesUrl, notice.feedUrl]],
      ['weblogUpdates.ping', ['fault blog', notice.siteUrl]],
    ]);
  });

  it('D1: flerror: true is a soft failure, not retried', async () => {
    const n = peer.calls.length;
    const result = await notifyDirectory(peer.endpoint, { ...notice, name: 'flerror blog' });
    expect(result).toMatchObject({ status: 'soft-failure', message: 'Sorry, that weblog is not listed.' });
    await peer.waitForCalls(n + 1);
    await sleep(200);
    expect(peer.calls.slice(n).map((c) => c.method)).toEqual(['weblogUpdates.extendedPing']);
  });

  it('D3: a hanging or HTML-answering service fails alone, quickly, with no fallback', async () => {
    const started = Date.now();
    const results = await notifyDirectories([`${hostile.url}/hang`, `${hostile.url}/html`, 'http://127.0.0.1:9/RPC2', peer.endpoint], notice, {
      timeoutMs: 400,
    });
    expect(results.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'notified']);
    expect(results[0]!.message).toMatch(/within 400 ms/);
    expect(results[1]!.message).toMatch(/not an XML-RPC reply/);
    expect(Date.now() - started).toBeLessThan(10_000); // bounded, not a speed target
    expect(hostile.requests.filter((r) => r.path === '/html')).toHaveLength(1);
  });

  it('uses a 3 s deadline by default', async () => {
    const result = await notifyDirectory(`${hostile.url}/hang`, notice);
    expect(result).toMatchObject({ status: 'failed', message: expect.stringMatching(/no complete answer within 3000 ms/) });
  });

  it('D4: warns about Ping-O-Matic downstreams and duplicates', () => {
    expect(directoryWarnings(['http://rpc.pingomatic.com/', 'http://rpc.weblogs.com/RPC2', 'http://rpc.pingomatic.com/'])).toEqual([
      'http://rpc.pingomatic.com/ is listed twice; it is pinged once',
      'rpc.weblogs.com already gets every update through rpc.pingomatic.com; pinging both duplicates it',
    ]);
    expect(directoryWarnings(['http://rpc.weblogs.com/RPC2'])).toEqual([]);
  });

  it('refuses a notice with a relative URL', async () => {
    await expect(notifyDirectory(peer.endpoint, { ...notice, feedUrl: '/rss.xml' })).rejects.toThrow(/feedUrl must be an absolute/);
  });
});
