import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import { recordConnections } from '../../../test/hostile/support/network.ts';
import type { BatchReport } from '../src/send/batch.ts';
import { sendBatch } from '../src/send/batch.ts';
import { MemoryLedger } from '../src/send/ledger.ts';
import { sendWebmention } from '../src/send/send-webmention.ts';
import { parseLinkHeader } from '../src/net/link-header.ts';

/*
 * Sending (§3.1.3) against a real loopback receiver whose endpoint answers each way a receiver can, then
 * the address policy (§4.3, and stricter: no loopback, private or reserved address at any hop) with
 * sentinels on the loopback addresses that count every connection, and every connection attempt of
 * this process recorded at the socket level.
 */

const SOURCE = 'https://sender.example/posts/reply/';

type Respond = (req: IncomingMessage, res: ServerResponse) => void;
const ANSWERS: Record<string, Respond> = {
  '/ok-200': (_q, r) => void r.writeHead(200, { 'content-type': 'text/plain' }).end('Verified and stored.'),
  '/created-201': (_q, r) => void r.writeHead(201, { location: '/status/42' }).end(),
  '/accepted-202': (_q, r) => void r.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted for processing'),
  '/refused-400': (_q, r) => void r.writeHead(400, { 'content-type': 'text/plain' }).end('Source does not\nlink to target\u0007'),
  '/refused-400-json': (_q, r) =>
    void r.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'target_not_found', message: 'Target is not a valid post' })),
  '/refused-400-html': (_q, r) =>
    void r
      .writeHead(400, { 'content-type': 'text/html' })
      .end('<!doctype html><title>Bad request</title><style>p{}</style><script>x()</script><p>target &amp; source are the same</p>'),
  '/refused-410': (_q, r) => void r.writeHead(410).end(),
  '/busy-429': (_q, r) => void r.writeHead(429, { 'retry-after': '60', 'content-type': 'text/plain' }).end('Slow down'),
  '/error-500': (_q, r) => void r.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error'),
  '/unavailable-503': (_q, r) => void r.writeHead(503).end(),
  '/hang': () => {},
  '/reset': (q) => q.socket.destroy(),
  '/moved-307': (_q, r) => void r.writeHead(307, { location: '/accepted-202' }).end(),
  '/huge-400': (_q, r) => void r.writeHead(400, { 'content-type': 'text/plain' }).end('x'.repeat(1024 * 1024)),
};

let receiver: TestServer;
beforeAll(async () => {
  receiver = await startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path.startsWith('/post/')) {
      const endpoint = path.slice('/post'.length);
      return void res.writeHead(200, { 'content-type': 'text/html', link: `<${endpoint}?via=link>; rel="webmention"` }).end('<p>a post</p>');
    }
    const answer = ANSWERS[path];
    if (answer) return answer(req, res);
    res.writeHead(404).end();
  });
});
afterAll(() => receiver.close());

const send = (endpoint: string, options = {}) =>
  sendWebmention(SOURCE, `${receiver.url}/post${endpoint}`, { allowPrivateNetwork: true, timeoutMs: 1000, ...options });

describe('sending (§3.1.3): each answer of the endpoint', () => {
  it.each([
    ['/ok-200', { status: 'registered', httpStatus: 200, message: 'accepted (HTTP 200): Verified and stored.' }],
    ['/accepted-202', { status: 'registered', httpStatus: 202, message: 'accepted (HTTP 202): Accepted for processing' }],
    ['/refused-400', { status: 'refused', httpStatus: 400, message: 'refused (HTTP 400): Source does not link to target' }],
    ['/refused-400-json', { status: 'refused', httpStatus: 400, message: 'refused (HTTP 400): Target is not a valid post' }],
    ['/refused-400-html', { status: 'refused', httpStatus: 400, message: 'refused (HTTP 400): Bad request target & source are the same' }],
    ['/refused-410', { status: 'refused', httpStatus: 410, message: 'refused (HTTP 410)' }],
    ['/busy-429', { status: 'retryable', httpStatus: 429, message: 'HTTP 429: Slow down' }],
    ['/error-500', { status: 'retryable', httpStatus: 500, message: 'HTTP 500: Internal Server Error' }],
    ['/unavailable-503', { status: 'retryable', httpStatus: 503, message: 'HTTP 503' }],
    ['/moved-307', { status: 'registered', httpStatus: 202 }],
  ] as const)('%s', async (endpoint, want) => {
    const result = await send(endpoint);
    expect(result).toMatchObject({ ...want, endpoint: `${receiver.url}${endpoint}?via=link`, via: 'header' });
    expect(result.location).toBeUndefined();
  });

  it('201 Created keeps the Location, made absolute', async () => {
    expect(await send('/created-201')).toMatchObject({ status: 'registered', httpStatus: 201, location: `${receiver.url}/status/42` });
  });

  it('a reason is cut short: a receiver cannot fill our log', async () => {
    const result = await send('/huge-400');
    expect(result.status).toBe('refused');
    expect(result.message.length).toBeLessThan(400);
  });

  it('timeouts and resets are retryable', async () => {
    expect(await send('/hang', { timeoutMs: 300 })).toMatchObject({ status: 'retryable', message: expect.stringMatching(/no complete answer within 300 ms/) });
    const reset = await send('/reset');
    expect(reset.status).toBe('retryable');
    expect(reset.httpStatus).toBeUndefined();
  });

  it('posts x-www-form-urlencoded source and target, keeping the endpoint query in the URL', async () => {
    const from = receiver.requests.length;
    const target = `${receiver.url}/post/accepted-202?x=1&y=a b`;
    await sendWebmention('https://sender.example/p?q=1&r=é', target, { allowPrivateNetwork: true });
    const post = receiver.requests.slice(from).find((r) => r.method === 'POST')!;
    expect(post.path).toBe('/accepted-202?via=link');
    expect(post.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(post.body))).toEqual({ source: 'https://sender.example/p?q=1&r=é', target });
    expect(post.headers['user-agent']).toMatch(/^Pingback\/\S+ \(@pingback\/core/);
  });

  it('--endpoint skips discovery', async () => {
    const from = receiver.requests.length;
    expect(await send('/nowhere', { endpoint: `${receiver.url}/accepted-202?given=1` })).toMatchObject({ status: 'registered', via: 'given' });
    expect(receiver.requests.slice(from).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /accepted-202?given=1']);
  });

  it('bad arguments throw, by name', async () => {
    await expect(sendWebmention('nope', 'https://x.example/')).rejects.toMatchObject({ name: 'PingbackInputError' });
    await expect(sendWebmention(SOURCE, 'https://x.example/', { allowPrivateNetwork: 'yes' } as never)).rejects.toThrow(
      /option `allowPrivateNetwork` must be true or false/,
    );
  });
});

describe('the batch keeps what the receiver said, and retries only what may change', () => {
  it('201 keeps its Location in the row and the ledger; 4xx is final; 429 and 5xx come back with backoff', async () => {
    const ledger = new MemoryLedger();
    let now = Date.parse('2027-01-01T00:00:00Z');
    const clock = { now: () => now };
    const pairs = ['/created-201', '/refused-400', '/busy-429', '/error-500'].map((e) => ({ source: SOURCE, target: `${receiver.url}/post${e}` }));
    const first = await sendBatch(pairs, { allowPrivateNetwork: true, ledger, clock, timeoutMs: 1000 });
    const row = (e: string) => first.rows.find((r) => r.target.endsWith(e))!;
    expect(row('/created-201')).toMatchObject({ status: 'registered', protocol: 'webmention', httpStatus: 201, location: `${receiver.url}/status/42` });
    expect(ledger.get(SOURCE, `${receiver.url}/post/created-201`)).toMatchObject({
      protocol: 'webmention',
      location: `${receiver.url}/status/42`,
      httpStatus: 201,
    });
    expect(row('/refused-400')).toMatchObject({ status: 'refused', httpStatus: 400 });
    expect(ledger.get(SOURCE, `${receiver.url}/post/busy-429`)).toMatchObject({ status: 'retryable', attempts: 1, nextAt: '2027-01-01T00:15:00.000Z' });
    now += 16 * 60_000;
    const second = await sendBatch(pairs, { allowPrivateNetwork: true, ledger, clock, timeoutMs: 1000 });
    expect(Object.fromEntries(second.rows.map((r) => [new URL(r.target).pathname, r.status]))).toEqual({
      '/post/created-201': 'skipped',
      '/post/refused-400': 'skipped',
      '/post/busy-429': 'retryable',
      '/post/error-500': 'retryable',
    });
    expect(ledger.get(SOURCE, `${receiver.url}/post/error-500`)).toMatchObject({ attempts: 2 });
  });

  it('prefers Webmention where a target offers both, Pingback when told, and sends one, never both', async () => {
    const both = await startServer((req, res) => {
      if (req.method === 'GET')
        return void res
          .writeHead(200, { 'content-type': 'text/html', 'x-pingback': `http://${req.headers.host}/xmlrpc`, link: '</wm>; rel=webmention' })
          .end('<p>both</p>');
      if (req.url === '/wm') return void res.writeHead(202).end();
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end('<?xml version="1.0"?><methodResponse><params><param><value><string>ok</string></value></param></params></methodResponse>');
    });
    try {
      const target = `${both.url}/post`;
      const webmention = await sendBatch([{ source: SOURCE, target }], { allowPrivateNetwork: true });
      const pingback = await sendBatch([{ source: SOURCE, target }], { allowPrivateNetwork: true, protocols: { prefer: 'pingback' } });
      const only = await sendBatch([{ source: SOURCE, target }], { allowPrivateNetwork: true, protocols: { webmention: false } });
      expect([webmention, pingback, only].map((r) => [r.rows[0]!.protocol, r.rows[0]!.status])).toEqual([
        ['webmention', 'registered'],
        ['pingback', 'registered'],
        ['pingback', 'registered'],
      ]);
      expect(both.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /post', 'POST /wm', 'GET /post', 'POST /xmlrpc', 'GET /post', 'POST /xmlrpc']);
      await expect(sendBatch([], { protocols: { webmention: false, pingback: false } })).rejects.toThrow(
        /option `protocols` turns off both Webmention and Pingback/,
      );
      await expect(sendBatch([], { protocols: { prefer: 'trackback' } as never })).rejects.toThrow(
        /option `protocols.prefer` must be "webmention" or "pingback"/,
      );
    } finally {
      await both.close();
    }
  });
});

describe('the address policy: nothing private is contacted unless allowPrivateNetwork', () => {
  /** Stands in for a public host: trusted by `allowAddresses`, the one address the sender may reach. */
  const TRUSTED = '127.0.0.3';
  const SENTINELS = ['127.0.0.1', '127.0.0.2', '::1'];
  let port: number;
  let trusted: TestServer;
  const sentinelHits: Record<string, number> = {};
  const closers: (() => Promise<void>)[] = [];

  const resolve = async (hostname: string) => {
    const table: Record<string, string[]> = {
      'public.test': [TRUSTED],
      'loop.test': ['127.0.0.2'],
      'mapped.test': ['::ffff:127.0.0.1'],
      'mixed.test': [TRUSTED, '127.0.0.2'],
      'metadata.test': ['169.254.169.254'],
    };
    const found = table[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

  beforeAll(async () => {
    // The trusted host and, on the same port, a sentinel on each loopback address that accepts anything.
    for (;;) {
      trusted = await startServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0]!;
        const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '';
        if (path === '/wm') return void res.writeHead(202).end('ok');
        if (path === '/redirect') return void res.writeHead(302, { location: to }).end();
        if (path === '/endpoint-redirects') return void res.writeHead(307, { location: to }).end();
        if (path === '/advertise') return void res.writeHead(200, { 'content-type': 'text/html', link: `<${to}>; rel="webmention"` }).end('<p>x</p>');
        if (path === '/advertise-pingback') return void res.writeHead(200, { 'content-type': 'text/html', 'x-pingback': to }).end('<p>x</p>');
        res.writeHead(404).end();
      }, TRUSTED);
      port = trusted.port;
      try {
        for (const host of SENTINELS) {
          sentinelHits[host] = 0;
          const sentinel = createServer((_req, res) => void res.writeHead(202).end('took it'));
          const sockets = new Set<Socket>();
          sentinel.on('connection', (s) => {
            sentinelHits[host]!++;
            sockets.add(s);
          });
          await new Promise<void>((ok, fail) => sentinel.once('error', fail).listen(port, host, () => ok()));
          void (sentinel.address() as AddressInfo);
          closers.push(
            () =>
              new Promise((done) => {
                for (const s of sockets) s.destroy();
                sentinel.close(() => done());
              }),
          );
        }
        break;
      } catch {
        await Promise.all(closers.splice(0).map((c) => c()));
        await trusted.close();
      }
    }
  });
  afterAll(async () => {
    await Promise.all(closers.map((c) => c()));
    await trusted.close();
  });

  const at = (host: string, path: string) => `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  const target = (to: string, path = '/advertise') => `${at('public.test', path)}?to=${encodeURIComponent(to)}`;
  const policy = { allowAddresses: [TRUSTED], resolve, timeoutMs: 2000 };

  // Functions: the port is known only once the servers listen.
  const FORBIDDEN_ENDPOINTS: [string, () => string][] = [
    ['a loopback literal', () => at('127.0.0.1', '/wm')],
    ['another loopback literal', () => at('127.0.0.2', '/wm')],
    ['IPv6 loopback', () => at('::1', '/wm')],
    ['IPv4-mapped IPv6 loopback', () => at('::ffff:127.0.0.1', '/wm')],
    ['a name resolving to loopback', () => at('loop.test', '/wm')],
    ['a name resolving to mapped loopback', () => at('mapped.test', '/wm')],
    ['a name with one forbidden address among good ones', () => at('mixed.test', '/wm')],
    ['the cloud metadata address, by name', () => at('metadata.test', '/wm')],
    ['a public endpoint that redirects to loopback', () => `${at('public.test', '/endpoint-redirects')}?to=${encodeURIComponent(at('127.0.0.1', '/wm'))}`],
  ];

  it.each(FORBIDDEN_ENDPOINTS)('the endpoint is %s: refused, never connected to', async (_what, endpoint) => {
    const before = { ...sentinelHits };
    const recorder = recordConnections();
    try {
      const result = await sendWebmention(SOURCE, target(endpoint()), policy);
      expect(result).toMatchObject({
        status: 'refused',
        message: expect.stringMatching(
          /^not sent: the Webmention endpoint \S+ is not a public address \(.+\); allowPrivateNetwork \/ --allow-private-network allows it/,
        ),
      });
    } finally {
      recorder.stop();
    }
    expect(sentinelHits).toEqual(before);
    expect(recorder.attempts.filter((a) => !a.startsWith(`${TRUSTED}:`))).toEqual([]);
  });

  it('a target that redirects to loopback is refused at that hop', async () => {
    const recorder = recordConnections();
    try {
      const result = await sendWebmention(SOURCE, target(at('127.0.0.1', '/post'), '/redirect'), policy);
      expect(result).toMatchObject({ status: 'refused', message: expect.stringMatching(/^not sent: the target 127\.0\.0\.1:\d+ is not a public address/) });
    } finally {
      recorder.stop();
    }
    expect(recorder.attempts.filter((a) => !a.startsWith(`${TRUSTED}:`))).toEqual([]);
  });

  it('the batch refuses a loopback Pingback endpoint too, as final, and still sends to the public one', async () => {
    const before = { ...sentinelHits };
    const ledger = new MemoryLedger();
    const recorder = recordConnections();
    let report: BatchReport;
    try {
      report = await sendBatch(
        [
          { source: SOURCE, target: target(at('127.0.0.1', '/xmlrpc'), '/advertise-pingback') },
          { source: SOURCE, target: target(at('127.0.0.2', '/wm')) },
          { source: SOURCE, target: target(at('public.test', '/wm')) },
        ],
        { ...policy, ledger },
      );
    } finally {
      recorder.stop();
    }
    expect(report.rows.map((r) => [r.protocol, r.status]).sort()).toEqual([
      ['pingback', 'refused'],
      ['webmention', 'refused'],
      ['webmention', 'registered'],
    ]);
    expect(sentinelHits).toEqual(before);
    expect(recorder.attempts.filter((a) => !a.startsWith(`${TRUSTED}:`))).toEqual([]);
  });

  it('with allowPrivateNetwork the same endpoint is contacted (so the refusals above are the policy at work)', async () => {
    const before = sentinelHits['127.0.0.1']!;
    const result = await sendWebmention(SOURCE, target(at('127.0.0.1', '/wm')), { ...policy, allowPrivateNetwork: true });
    expect(result).toMatchObject({ status: 'registered', httpStatus: 202, message: 'accepted (HTTP 202): took it' });
    expect(sentinelHits['127.0.0.1']).toBe(before + 1);
  });
});

describe('Link header parsing', () => {
  it('reads RFC 8288 link-values: several per header, quoted strings with commas and escapes, the first rel only', () => {
    expect(parseLinkHeader('<a>; rel=webmention, <b,c>; rel="x webmention"; title="a, \\"b\\"", <d>; rel=one; rel=two, <e>')).toEqual([
      { uri: 'a', rel: ['webmention'] },
      { uri: 'b,c', rel: ['x', 'webmention'] },
      { uri: 'd', rel: ['one'] },
      { uri: 'e', rel: [] },
    ]);
  });

  it('drops a malformed value and resumes at the next comma outside quotes', () => {
    expect(parseLinkHeader('junk; rel=webmention, <ok>; rel="a", <bad>; ="x, y", <good>; rel=webmention; ')).toEqual([
      { uri: 'ok', rel: ['a'] },
      { uri: 'good', rel: ['webmention'] },
    ]);
    expect(parseLinkHeader('<unterminated; rel=webmention')).toEqual([]);
    expect(parseLinkHeader('<a>; rel="never closed')).toEqual([]);
  });

  it('hostile shapes (the ones that make http-link-header quadratic) give the right answer', () => {
    const attrs = Array.from({ length: 2000 }, (_, i) => `;a${i}=1`).join('');
    const many = parseLinkHeader(`<u>${attrs}; rel="${'x '.repeat(4000)}webmention"`);
    expect(many).toHaveLength(1);
    expect(many[0]!.rel).toHaveLength(4001);
    expect(parseLinkHeader(`<u>${';a'.repeat(8000)}`)).toEqual([{ uri: 'u', rel: [] }]);
    expect(parseLinkHeader(','.repeat(16000))).toEqual([]);
    expect(parseLinkHeader('"'.repeat(16000))).toEqual([]);
  });
});
