import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PingStatus } from '@pingback/core';
import type { TestServer } from '../support/http.ts';
import { startServer } from '../support/http.ts';

/**
 * Hostile Pingback targets and endpoints for the client: each case is its own loopback server (so a batch
 * sees one host per case and the per-host limit never hides a case behind another), with the target page
 * at /post and the XML-RPC endpoint it advertises at /xmlrpc. What each case expects is written next to
 * what it does, so the single-case tests, the batch and the real build all hold it to the same outcome.
 */

/** The endpoints an outcome can name; `decoy` answers fault 33 and must never be chosen where the case says so. */
export type EndpointName = 'self' | 'peer' | 'decoy' | null;

export interface Outcome {
  status: PingStatus;
  /** Absent means the row must carry no fault code (a transport or reply failure, or a success). */
  faultCode?: number;
  endpoint: EndpointName;
  via: 'header' | 'link' | null;
  message: RegExp;
}

/** How discoverEndpoint must end for a page case: a found endpoint, a documented "none", or a typed error. */
export type DiscoveryOutcome =
  | { endpoint: Exclude<EndpointName, null>; via: 'header' | 'link' }
  | { endpoint: null; reason: RegExp }
  | { error: 'TransportError'; kind: 'timeout' | 'network' | 'redirect-limit' | 'bad-redirect' }
  | { error: 'BadReplyError'; status: number };

export interface Ctx {
  /** This server's own endpoint, `${base}/xmlrpc`. */
  self: string;
  peer: string;
  decoy: string;
  base: string;
}

type Respond = (req: IncomingMessage, res: ServerResponse, ctx: Ctx) => void;

export interface HostileCase {
  name: string;
  side: 'page' | 'endpoint';
  page?: Respond;
  endpoint?: Respond;
  /** Outcome in strict (default) mode: what sendPingback, the batch and a build must report. */
  strict: Outcome;
  /** Outcome with `lenient: true`, where it differs. */
  lenient?: Outcome;
  discovery?: DiscoveryOutcome;
  /** Options the single-case test needs beyond the shared short timeout. */
  options?: { maxReplyBytes?: number; timeoutMs?: number };
  /** Whether the decoy endpoint may be called in strict mode. */
  decoyCalled?: boolean;
}

export interface BoundCase extends HostileCase {
  server: TestServer;
  target: string;
  ctx: Ctx;
}

const HTML = { 'content-type': 'text/html; charset=utf-8' };
const XML = { 'content-type': 'text/xml' };
const ENDPOINT_HEAD = (self: string) => ({ ...HTML, 'x-pingback': self });

const page =
  (body: string, headers: Record<string, string | string[]> = HTML): Respond =>
  (_req, res) => {
    res.writeHead(200, headers).end(body);
  };

/** Writes `chunk` for as long as the peer reads, honouring backpressure; stops when the socket goes. */
function endless(res: ServerResponse, head: Record<string, string>, first: string, chunk: string): void {
  res.writeHead(200, head);
  res.write(first);
  const pump = () => {
    while (!res.destroyed && res.write(chunk)) {
      // keep the pipe full
    }
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

/** Sends part of the status line and headers, then a TCP reset. */
function resetInHeaders(req: IncomingMessage): void {
  req.socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/ht', () => req.socket.resetAndDestroy());
}

/** Sends complete headers promising a long body, some of it, then a TCP reset. */
function resetInBody(res: ServerResponse, head: Record<string, string>, part: string): void {
  res.writeHead(200, { ...head, 'content-length': String(100_000) });
  res.write(part, () => res.socket?.resetAndDestroy());
}

/** A response body by hand, not by our writer: the hostile side must not share our codec's assumptions. */
const response = (inner: string) => `<?xml version="1.0"?>\n<methodResponse>${inner}</methodResponse>\n`;
const member = (name: string, value: string) => `<member><name>${name}</name><value>${value}</value></member>`;
const fault = (...members: string[]) => response(`<fault><value><struct>${members.join('')}</struct></value></fault>`);
const reply =
  (xml: string, status = 200, head: Record<string, string> = XML): Respond =>
  (_req, res) => {
    res.writeHead(status, head).end(xml);
  };
const OK = response('<params><param><value><string>Thanks, registered.</string></value></param></params>');

const BOMB = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodResponse><params><param><value><string>&lol9;</string></value></param></params></methodResponse>
`;

const TEN_MB = 10 * 1024 * 1024;
let huge: Buffer | undefined;
/** Built once and only when asked for: 10 MiB of a valid reply. */
function hugeReply(): Buffer {
  huge ??= Buffer.from(response(`<params><param><value><string>${'a'.repeat(TEN_MB)}</string></value></param></params>`));
  return huge;
}

const never: Respond = () => {};

/** How a missed deadline reads, whichever of our timer and undici's own noticed it first. */
export const TIMED_OUT = /no complete answer within \d+ ms$/;

const retryable = (endpoint: EndpointName, via: Outcome['via'], message: RegExp): Outcome => ({ status: 'retryable', endpoint, via, message });
const notXmlRpc = (detail: RegExp | string) =>
  retryable('self', 'header', new RegExp(`^not an XML-RPC reply \\(HTTP 200\\): ${typeof detail === 'string' ? detail : detail.source}`));

/** Every hostile behaviour, target side first, then endpoint side. */
export const CASES: HostileCase[] = [
  // ---- the target page, during discovery ----
  {
    name: 'page hangs on HEAD and GET',
    side: 'page',
    page: never,
    strict: retryable(null, null, new RegExp(`^discovery failed: ${TIMED_OUT.source}`)),
    discovery: { error: 'TransportError', kind: 'timeout' },
  },
  {
    name: 'page hangs on HEAD only, GET advertises the peer',
    side: 'page',
    page: (req, res, ctx) => {
      if (req.method !== 'HEAD') res.writeHead(200, ENDPOINT_HEAD(ctx.peer)).end('<p>hi</p>');
    },
    strict: { status: 'registered', endpoint: 'peer', via: 'header', message: /registered/i },
    discovery: { endpoint: 'peer', via: 'header' },
  },
  {
    name: 'page drips one byte at a time, never finishing',
    side: 'page',
    page: (req, res) => {
      res.writeHead(200, HTML);
      if (req.method === 'HEAD') return void res.end();
      const timer = setInterval(() => res.write(' '), 100);
      res.on('close', () => clearInterval(timer));
    },
    strict: retryable(null, null, new RegExp(`^discovery failed: ${TIMED_OUT.source}`)),
    discovery: { error: 'TransportError', kind: 'timeout' },
  },
  {
    name: 'page connection reset mid-headers',
    side: 'page',
    page: (req) => resetInHeaders(req),
    strict: retryable(null, null, /^discovery failed: .*(ECONNRESET|UND_ERR_SOCKET|closed)/),
    discovery: { error: 'TransportError', kind: 'network' },
  },
  {
    name: 'page connection reset mid-body, after a valid link element',
    side: 'page',
    page: (req, res, ctx) => {
      if (req.method === 'HEAD') return void res.writeHead(200, HTML).end();
      resetInBody(res, HTML, `<html><head><link rel="pingback" href="${ctx.peer}"></head><body>${'<p>text</p>'.repeat(200)}`);
    },
    // Half a page is no page: what was cut off might have said something else.
    strict: retryable(null, null, /^discovery failed: .*(ECONNRESET|UND_ERR_SOCKET|closed)/),
    discovery: { error: 'TransportError', kind: 'network' },
  },
  {
    name: 'page redirect loop (A → B → A)',
    side: 'page',
    page: (req, res) => {
      const here = (req.url ?? '').startsWith('/elsewhere') ? '/post' : '/elsewhere';
      res.writeHead(302, { location: here }).end();
    },
    strict: retryable(null, null, /^discovery failed: more than 5 redirects$/),
    discovery: { error: 'TransportError', kind: 'redirect-limit' },
  },
  {
    name: 'page redirects to a file: URL',
    side: 'page',
    page: (_req, res) => void res.writeHead(301, { location: 'file:///etc/passwd' }).end(),
    strict: retryable(null, null, /^discovery failed: refusing to request a file: URL$/),
    discovery: { error: 'TransportError', kind: 'bad-redirect' },
  },
  {
    name: 'page streams HTML forever with no link element',
    side: 'page',
    page: (req, res) => {
      if (req.method === 'HEAD') return void res.writeHead(200, HTML).end();
      endless(res, HTML, '<!doctype html><html><head><title>forever</title></head><body>', '<p>and on and on</p>'.repeat(3000));
    },
    strict: { status: 'no-endpoint', endpoint: null, via: null, message: /in the first 524288 bytes$/ },
    discovery: { endpoint: null, reason: /in the first 524288 bytes$/ },
  },
  {
    name: 'page answers 500',
    side: 'page',
    page: (_req, res) => void res.writeHead(500, HTML).end('<h1>oops</h1>'),
    strict: retryable(null, null, /^discovery failed: target answered HTTP 500$/),
    discovery: { error: 'BadReplyError', status: 500 },
  },
  {
    name: 'X-Pingback header is relative',
    side: 'page',
    page: page('<p>relative</p>', { ...HTML, 'x-pingback': '/xmlrpc' }),
    strict: { status: 'no-endpoint', endpoint: null, via: null, message: /X-Pingback header is not an absolute http\(s\) URL: "\/xmlrpc"/ },
    lenient: { status: 'registered', endpoint: 'self', via: 'header', message: /^Thanks, registered\.$/ },
    discovery: { endpoint: null, reason: /X-Pingback header is not an absolute http\(s\) URL: "\/xmlrpc"/ },
  },
  {
    name: 'X-Pingback header is javascript:',
    side: 'page',
    page: page('<p>js</p>', { ...HTML, 'x-pingback': 'javascript:alert(document.domain)' }),
    strict: {
      status: 'no-endpoint',
      endpoint: null,
      via: null,
      message: /X-Pingback header is not an absolute http\(s\) URL: "javascript:alert\(document\.domain\)"/,
    },
    lenient: { status: 'no-endpoint', endpoint: null, via: null, message: /X-Pingback header is not an absolute http\(s\) URL/ },
    discovery: { endpoint: null, reason: /javascript:/ },
  },
  {
    name: 'X-Pingback header is empty',
    side: 'page',
    page: page('<p>empty</p>', { ...HTML, 'x-pingback': '' }),
    strict: { status: 'no-endpoint', endpoint: null, via: null, message: /X-Pingback header is not an absolute http\(s\) URL: ""/ },
    lenient: { status: 'no-endpoint', endpoint: null, via: null, message: /X-Pingback header is not an absolute http\(s\) URL: ""/ },
    discovery: { endpoint: null, reason: /X-Pingback header is not an absolute http\(s\) URL: ""/ },
  },
  {
    name: 'two X-Pingback headers, the peer first, the decoy second',
    side: 'page',
    page: (_req, res, ctx) => void res.writeHead(200, { ...HTML, 'x-pingback': [ctx.peer, ctx.decoy] }).end('<p>two</p>'),
    strict: { status: 'registered', endpoint: 'peer', via: 'header', message: /registered/i },
    discovery: { endpoint: 'peer', via: 'header' },
  },
  {
    name: 'two X-Pingback headers, an unusable one first',
    side: 'page',
    page: (_req, res, ctx) => void res.writeHead(200, { ...HTML, 'x-pingback': ['javascript:void 0', ctx.decoy] }).end('<p>two</p>'),
    // The first header wins (README); a usable second one does not rescue it.
    strict: { status: 'no-endpoint', endpoint: null, via: null, message: /X-Pingback header is not an absolute http\(s\) URL: "javascript:void 0"/ },
    discovery: { endpoint: null, reason: /"javascript:void 0"/ },
  },
  {
    name: 'link element in a comment before the real one',
    side: 'page',
    page: (_req, res, ctx) =>
      void res
        .writeHead(200, HTML)
        .end(`<html><head><!-- old: <link rel="pingback" href="${ctx.decoy}"> --><link rel="pingback" href="${ctx.peer}"></head><body>x</body></html>`),
    // The documented divergence: the spec's regex takes the first match, comment or not.
    strict: { status: 'refused', faultCode: 33, endpoint: 'decoy', via: 'link', message: /^fault 33: decoy$/ },
    lenient: { status: 'registered', endpoint: 'peer', via: 'link', message: /registered/i },
    discovery: { endpoint: 'decoy', via: 'link' },
    decoyCalled: true,
  },
  {
    name: 'link element only in a comment',
    side: 'page',
    page: (_req, res, ctx) => void res.writeHead(200, HTML).end(`<html><head><!--<link rel="pingback" href="${ctx.decoy}">--></head><body>x</body></html>`),
    strict: { status: 'refused', faultCode: 33, endpoint: 'decoy', via: 'link', message: /^fault 33: decoy$/ },
    lenient: { status: 'no-endpoint', endpoint: null, via: null, message: /no X-Pingback header and no <link rel="pingback" href="…"> in the page/ },
    discovery: { endpoint: 'decoy', via: 'link' },
    decoyCalled: true,
  },

  // ---- the XML-RPC endpoint the page advertises ----
  { name: 'endpoint hangs', side: 'endpoint', endpoint: never, strict: retryable('self', 'header', new RegExp(`^${TIMED_OUT.source}`)) },
  {
    name: 'endpoint connection reset mid-headers',
    side: 'endpoint',
    endpoint: (req) => resetInHeaders(req),
    strict: retryable('self', 'header', /ECONNRESET|UND_ERR_SOCKET|closed/),
  },
  {
    name: 'endpoint connection reset mid-body',
    side: 'endpoint',
    endpoint: (_req, res) => resetInBody(res, XML, '<?xml version="1.0"?><methodResponse><params><param><value><string>Thanks'),
    strict: retryable('self', 'header', /ECONNRESET|UND_ERR_SOCKET|closed/),
  },
  {
    name: 'endpoint redirect loop (307 to itself)',
    side: 'endpoint',
    endpoint: (_req, res) => void res.writeHead(307, { location: '/xmlrpc' }).end(),
    strict: retryable('self', 'header', /^more than 5 redirects$/),
  },
  {
    name: 'endpoint streams forever',
    side: 'endpoint',
    endpoint: (_req, res) => endless(res, XML, '<?xml version="1.0"?><methodResponse><params><param><value><string>', 'x'.repeat(64 * 1024)),
    strict: retryable('self', 'header', /^reply longer than 262144 bytes \(HTTP 200\)$/),
  },
  {
    name: 'endpoint answers HTML',
    side: 'endpoint',
    endpoint: reply('<!doctype html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome</h1><br></body></html>', 200, HTML),
    strict: notXmlRpc('parse error: '),
  },
  {
    name: 'endpoint answers a DOCTYPE entity bomb',
    side: 'endpoint',
    endpoint: reply(BOMB),
    strict: notXmlRpc('parse error: a DOCTYPE is not allowed in XML-RPC'),
  },
  {
    name: 'endpoint answers 500 with a fault body',
    side: 'endpoint',
    endpoint: reply(fault(member('faultCode', '<int>17</int>'), member('faultString', '<string>The source does not link</string>')), 500),
    strict: { status: 'retryable', faultCode: 17, endpoint: 'self', via: 'header', message: /^fault 17: The source does not link$/ },
  },
  {
    name: 'endpoint answers 500 with an HTML body',
    side: 'endpoint',
    endpoint: reply('<h1>Internal Server Error</h1>', 500, HTML),
    strict: retryable('self', 'header', /^an HTTP error \(HTTP 500\): /),
  },
  {
    name: 'endpoint answers a 10 MB reply',
    side: 'endpoint',
    endpoint: (_req, res) => void res.writeHead(200, { ...XML, 'content-length': String(hugeReply().byteLength) }).end(hugeReply()),
    strict: retryable('self', 'header', /^reply longer than 262144 bytes \(HTTP 200\)$/),
  },
  {
    name: 'faultCode is the string "17"',
    side: 'endpoint',
    endpoint: reply(fault(member('faultCode', '<string>17</string>'), member('faultString', 'no link'))),
    strict: { status: 'retryable', faultCode: 17, endpoint: 'self', via: 'header', message: /^fault 17: no link$/ },
  },
  {
    name: 'faultCode is the untyped string " 48 "',
    side: 'endpoint',
    endpoint: reply(fault(member('faultCode', ' 48 '), member('faultString', 'dup'))),
    strict: { status: 'already-registered', faultCode: 48, endpoint: 'self', via: 'header', message: /^fault 48: dup$/ },
  },
  {
    name: 'faultCode is the double 33.0',
    side: 'endpoint',
    endpoint: reply(fault(member('faultCode', '<double>33.0</double>'), member('faultString', 'cannot be used'))),
    strict: { status: 'refused', faultCode: 33, endpoint: 'self', via: 'header', message: /^fault 33: cannot be used$/ },
  },
  {
    name: 'faultCode is the double 17.5',
    side: 'endpoint',
    endpoint: reply(fault(member('faultCode', '<double>17.5</double>'), member('faultString', 'half'))),
    strict: notXmlRpc('not conforming XML-RPC: a fault must carry an integer faultCode'),
  },
  {
    name: 'faultCode is missing',
    side: 'endpoint',
    endpoint: reply(fault(member('faultString', 'who knows'))),
    strict: notXmlRpc('not conforming XML-RPC: a fault must carry an integer faultCode'),
  },
  {
    name: 'faultString is missing',
    side: 'endpoint',
    endpoint: reply(fault(member('faultCode', '<int>49</int>'))),
    strict: { status: 'refused', faultCode: 49, endpoint: 'self', via: 'header', message: /^fault 49: \(no message\)$/ },
  },
  {
    name: 'faultString is an int',
    side: 'endpoint',
    endpoint: reply(fault(member('faultCode', '<i4>32</i4>'), member('faultString', '<int>404</int>'))),
    strict: { status: 'refused', faultCode: 32, endpoint: 'self', via: 'header', message: /^fault 32: 404$/ },
  },
  {
    name: 'fault value is an array',
    side: 'endpoint',
    endpoint: reply(response('<fault><value><array><data><value><int>48</int></value><value>dup</value></data></array></value></fault>')),
    strict: notXmlRpc('not conforming XML-RPC: a fault must be a struct'),
  },
  {
    name: 'fault struct has extra members',
    side: 'endpoint',
    endpoint: reply(
      fault(
        member('faultCode', '<int>48</int>'),
        member('faultString', 'dup'),
        member('faultDetail', '<struct></struct>'),
        member('faultCode2', '<int>0</int>'),
      ),
    ),
    strict: { status: 'already-registered', faultCode: 48, endpoint: 'self', via: 'header', message: /^fault 48: dup$/ },
  },
  {
    name: 'methodResponse with both params and fault',
    side: 'endpoint',
    endpoint: reply(
      response(
        '<params><param><value>ok</value></param></params><fault><value><struct><member><name>faultCode</name><value><int>48</int></value></member></struct></value></fault>',
      ),
    ),
    strict: notXmlRpc(/not conforming XML-RPC: <methodResponse> must hold one <params> or one <fault>/),
  },
  {
    name: 'methodResponse with empty params',
    side: 'endpoint',
    endpoint: reply(response('<params></params>')),
    strict: notXmlRpc('not conforming XML-RPC: a response must hold exactly one <param>, found 0'),
  },
  {
    name: 'success value is a struct, not a string',
    side: 'endpoint',
    endpoint: reply(response(`<params><param><value><struct>${member('ok', '<boolean>1</boolean>')}</struct></value></param></params>`)),
    strict: { status: 'registered', endpoint: 'self', via: 'header', message: /^\{"ok":true\}$/ },
  },
];

/** Extra single-case checks of option handling against the same servers. */
export const HUGE_ALLOWED = { maxReplyBytes: 16 * 1024 * 1024, timeoutMs: 20_000 };

async function bind(c: HostileCase, peer: string): Promise<BoundCase> {
  const ctx: Ctx = { self: '', peer, decoy: '', base: '' };
  const server = await startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/decoy') return reply(fault(member('faultCode', '<int>33</int>'), member('faultString', 'decoy')))(req, res, ctx);
    if (path === '/xmlrpc' && req.method === 'POST') return (c.endpoint ?? reply(OK))(req, res, ctx);
    if (path === '/post' || path === '/elsewhere') {
      return (c.page ?? ((_q, r) => void r.writeHead(200, ENDPOINT_HEAD(ctx.self)).end('<p>a post</p>')))(req, res, ctx);
    }
    res.writeHead(404, HTML).end('not here');
  });
  Object.assign(ctx, { base: server.url, self: `${server.url}/xmlrpc`, decoy: `${server.url}/decoy` });
  return { ...c, server, target: `${server.url}/post`, ctx };
}

export interface Fleet {
  cases: BoundCase[];
  /** The URL an outcome's endpoint name stands for, in this case. */
  endpointOf(c: BoundCase, name: EndpointName): string | null;
  close(): Promise<void>;
}

/** One server per case, all answering as `CASES` says, with `peer` as the healthy endpoint. */
export async function startFleet(peer: string): Promise<Fleet> {
  const cases = await Promise.all(CASES.map((c) => bind(c, peer)));
  return {
    cases,
    endpointOf: (c, name) => (name === null ? null : name === 'peer' ? peer : c.ctx[name]),
    close: async () => {
      await Promise.all(cases.map((c) => c.server.close()));
    },
  };
}
