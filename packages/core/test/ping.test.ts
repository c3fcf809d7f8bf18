import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { html, routes, sleep, startServer } from '../../../test/support/http.ts';
import type { PythonPeer } from '../../../test/support/python.ts';
import { startPythonPeer } from '../../../test/support/python.ts';
import { sendPingback } from '../src/pingback/ping.ts';

let peer: PythonPeer;
let hostile: TestServer;
let targets: TestServer;
const SOURCE = 'http://source.example/posts/hello/';

beforeAll(async () => {
  peer = await startPythonPeer();
  hostile = await startServer(
    routes({
      '/hang': () => {},
      '/reset': (_req, res) => void res.destroy(),
      '/html': html('<!doctype html><h1>Welcome to nginx!</h1>'),
      '/500-fault': (_req, res) => {
        res.writeHead(500, { 'content-type': 'text/xml' });
        res.end(
          '<?xml version="1.0"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>50</int></value></member><member><name>faultString</name><value>upstream</value></member></struct></value></fault></methodResponse>',
        );
      },
      '/odd-fault': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<methodResponse><fault><value><struct><member><name>faultCode</name><value><boolean>1</boolean></value></member></struct></value></fault></methodResponse>',
        );
      },
      '/endless': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.write('<?xml version="1.0"?><methodResponse><params><param><value><string>');
        const timer = setInterval(() => res.write('x'.repeat(64 * 1024)), 5);
        res.on('close', () => clearInterval(timer));
      },
      '/moved': (_req, res) => void res.writeHead(308, { location: `${peer.endpoint}` }).end(),
    }),
  );
  targets = await startServer(
    routes({
      '/entry': html('<p>entry</p>', { 'X-Pingback': peer.endpoint }),
      '/plain': html('<p>no pingback here</p>'),
    }),
  );
});
afterAll(async () => {
  await peer.close();
  await hostile.close();
  await targets.close();
});

describe('sendPingback against Python xmlrpc.server', () => {
  it('discovers the endpoint and registers the ping', async () => {
    const n = peer.calls.length;
    const result = await sendPingback(SOURCE, `${targets.url}/entry`, { site: 'https://source.example/' });
    expect(result).toMatchObject({ status: 'registered', endpoint: peer.endpoint, via: 'header' });
    expect(result.message).toMatch(/registered/);
    await peer.waitForCalls(n + 1);
    const call = peer.calls[n]!;
    expect(call.params).toEqual([SOURCE, `${targets.url}/entry`]);
    expect(call.headers['content-type']).toBe('text/xml');
    expect(call.headers['user-agent']).toMatch(/^Pingback\/0\.1\.0 \(@pingback\/core\/0\.1\.0; \+https:\/\/source\.example\/\)/);
  });

  it('C13: escapes &, < and non-ASCII so the peer gets the exact strings', async () => {
    const n = peer.calls.length;
    const source = 'http://source.example/?a=1&b=<2>&c=café';
    const target = 'http://target.example/日本/?q=a&r="b"';
    const result = await sendPingback(source, target, { endpoint: peer.endpoint });
    expect(result.status).toBe('registered');
    await peer.waitForCalls(n + 1);
    expect(peer.calls[n]!.params).toEqual([source, target]);
  });

  it.each([
    [48, 'already-registered'],
    [32, 'refused'],
    [33, 'refused'],
    [49, 'refused'],
    [0, 'retryable'],
    [16, 'retryable'],
    [17, 'retryable'],
    [50, 'retryable'],
    [429, 'retryable'],
  ] as const)('C16/C17: fault %i is %s', async (code, status) => {
    const result = await sendPingback(SOURCE, `http://target.example/fault-${code}`, { endpoint: peer.endpoint });
    expect(result).toMatchObject({ status, faultCode: code });
    expect(result.message).toContain(`fault ${code}`);
  });

  it('accepts a non-string success value', async () => {
    expect(await sendPingback(SOURCE, 'http://t.example/nonstring', { endpoint: peer.endpoint })).toMatchObject({ status: 'registered', message: '42' });
  });

  it('follows a 308 to the moved endpoint with the POST body', async () => {
    expect((await sendPingback(SOURCE, 'http://t.example/moved', { endpoint: `${hostile.url}/moved` })).status).toBe('registered');
  });

  it('reports no-endpoint for a target that advertises nothing, without calling anyone', async () => {
    await sleep(200); // let earlier calls' records arrive
    const n = peer.calls.length;
    const result = await sendPingback(SOURCE, `${targets.url}/plain`);
    expect(result).toMatchObject({ status: 'no-endpoint', endpoint: null });
    expect(result.message).toMatch(/no X-Pingback header/);
    await sleep(200);
    expect(peer.calls.length).toBe(n);
  });
});

describe('sendPingback against hostile endpoints (C14)', () => {
  it.each([
    ['/hang', /no complete answer within 300 ms/],
    ['/reset', /socket|ECONNRESET|closed/i],
    ['/html', /not an XML-RPC reply \(HTTP 200\)/],
    ['/odd-fault', /integer faultCode/],
    ['/endless', /reply longer than/],
  ])('%s is retryable with a reason', async (path, reason) => {
    const started = Date.now();
    const result = await sendPingback(SOURCE, 'http://t.example/x', { endpoint: `${hostile.url}${path}`, timeoutMs: 300, maxReplyBytes: 256 * 1024 });
    expect(result.status).toBe('retryable');
    expect(result.message).toMatch(reason);
    expect(Date.now() - started).toBeLessThan(10_000); // bounded, not a speed target
  });

  it('reads a fault even from an HTTP 500', async () => {
    expect(await sendPingback(SOURCE, 'http://t.example/x', { endpoint: `${hostile.url}/500-fault` })).toMatchObject({ status: 'retryable', faultCode: 50 });
  });

  it('a refused connection is retryable', async () => {
    expect((await sendPingback(SOURCE, 'http://t.example/x', { endpoint: 'http://127.0.0.1:9/xmlrpc' })).status).toBe('retryable');
  });

  it('bad arguments throw, with what to fix', async () => {
    await expect(sendPingback('not a url', 'http://t.example/')).rejects.toThrow(/source must be an absolute http\(s\) URL/);
    await expect(sendPingback(SOURCE, 'http://t.example/', { endpoint: 'ftp://x/' })).rejects.toThrow(/endpoint must be/);
    await expect(sendPingback(SOURCE, 'http://t.example/', { timeoutMs: -1 })).rejects.toThrow(/option `timeoutMs`/);
    await expect(sendPingback(SOURCE, 'http://t.example/', { timeout: 5 } as never)).rejects.toThrow(/option `timeout` is not a known option/);
  });
});
