import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Receiver } from '@pingback/core';
import { canonicalKey } from '@pingback/core';
import { clientAddress, readPlainRequest, requestTargetUrl, sendPlainResponse } from '@pingback/core/node';
import type { SiteRedirects } from './redirects.ts';
import type { StaticSite } from './static-site.ts';

/** What the listener answers with; `refresh` brings the build up to date before each request. */
export interface ServeRoutes {
  siteUrl: string;
  receiver: Receiver;
  site: StaticSite;
  refresh(): Promise<void>;
  /** The headers a page of the site is served with: X-Pingback and Link where it announces them (an old URL of a post, as the post). */
  pageHeaders(key: string): Record<string, string>;
  /** Whether the post at a canonical key is gone since an earlier build (it answers 410 Gone, §3.1.5). */
  isGone?(key: string): boolean;
  /** The site's `_redirects`, answered before the files. */
  redirects?: SiteRedirects;
  log(line: string): void;
}

/** What a gone post shows: an h-entry whose content is "Deleted", as on Netlify. */
const TOMBSTONE =
  '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Deleted</title></head>\n<body><article class="h-entry"><p class="p-name e-content">Deleted</p></article></body>\n</html>\n';

const TEXT = 'text/plain; charset=utf-8';

function answer(res: ServerResponse, status: number, body: string, head: boolean, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': TEXT, 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(head ? undefined : body);
}

/** A stranger's request target as it may appear in our log: quoted (no control characters reach a terminal) and short. */
const shown = (target: string | undefined): string => JSON.stringify((target ?? '').slice(0, 200));

async function route(r: ServeRoutes, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const head = req.method === 'HEAD';
  // A path, resolved as a path: `//[/` or an absolute form the URL parser rejects is a bad request, not a crash.
  const url = requestTargetUrl(req.url ?? '/', r.siteUrl);
  if (!url) return answer(res, 400, 'Bad request: the request target is neither a path nor an absolute http(s) URL.\n', head, { connection: 'close' });
  await r.refresh();
  const { endpointPath, webmentionPath, readPath, maxRequestBytes } = r.receiver.settings;
  if (url.pathname === endpointPath || url.pathname === webmentionPath || url.pathname === readPath || r.receiver.admin?.owns(url.pathname)) {
    const request = await readPlainRequest(req, r.siteUrl, maxRequestBytes);
    const reply = await r.receiver.respond(request, { clientAddress: clientAddress(req) });
    // A body cut off at the cap is still arriving: close the connection after the answer.
    if (!request.complete) res.setHeader('connection', 'close');
    sendPlainResponse(reply, res, head);
    return;
  }
  if (req.method !== 'GET' && !head) return answer(res, 405, 'Method not allowed: this is a static site.\n', false, { allow: 'GET, HEAD' });
  if (r.isGone?.(canonicalKey(url))) return answer(res, 410, TOMBSTONE, head, { 'content-type': 'text/html; charset=utf-8' });
  const headers = r.pageHeaders(canonicalKey(url));
  const redirect = r.redirects?.find(url.pathname, r.site.fileFor(url.pathname) !== null);
  if (redirect?.kind === 'redirect') {
    const location = redirect.location.includes('?') || !url.search ? redirect.location : `${redirect.location}${url.search}`;
    return answer(res, redirect.status, `Moved to ${location}\n`, head, { location });
  }
  await r.site.serve(redirect?.kind === 'rewrite' ? redirect.path : url.pathname, res, head, headers);
}

function failed(r: ServeRoutes, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  // The caller hung up mid-request (a body cut short): there is no one to answer and nothing of ours broke.
  const gone = (error as NodeJS.ErrnoException)?.code === 'ECONNRESET' && req.destroyed;
  if (!gone) r.log(`pingback serve: ${req.method} ${shown(req.url)} failed, answered 500: ${(error as Error)?.stack ?? String(error)}`);
  try {
    if (!gone && !res.headersSent) answer(res, 500, 'Internal server error.\n', req.method === 'HEAD', { connection: 'close' });
    else res.destroy();
  } catch {
    res.destroy();
  }
}

/**
 * The request listener of `pingback serve`: the receiver's endpoints, then the static site. Nothing a
 * request holds can take the process down: a target that is not a path is 400, anything unexpected is
 * 500 and logged, and the next request is answered as usual.
 */
export function requestListener(r: ServeRoutes): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // Only a bug of ours could make the response emit one (a write after its end); log it, never crash on it.
    res.on('error', (error) => r.log(`pingback serve: response to ${req.method} ${shown(req.url)}: ${error.stack ?? String(error)}`));
    route(r, req, res).catch((error: unknown) => failed(r, req, res, error));
  };
}

/** Limits on connections, whatever they carry. */
export interface ServerLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export const SERVER_LIMITS: ServerLimits = { maxConnections: 4096, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 };

/**
 * The server-level paths a stranger reaches before any request exists. A request line or header that
 * Node's parser refuses, headers over the size limit, or a client too slow to send them, is answered
 * (400, 431, 408) and its connection closed, as Node does by default, written out here so that this
 * handler is ours and cannot throw; a server error after listening is logged rather than fatal.
 */
export function guardServer(server: Server, log: (line: string) => void, limits: ServerLimits = SERVER_LIMITS): void {
  // Connections are what a stranger holds open for free: cap them, and give a slow client a deadline for
  // its headers and its whole request (bodies are at most 64 KiB), so idle sockets can't use up the
  // process's file descriptors.
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.on('clientError', (error: NodeJS.ErrnoException, duplex: Duplex) => {
    const socket = duplex as Socket;
    try {
      if (error.code !== 'ECONNRESET' && socket.writable && socket.bytesWritten === 0) {
        const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
        socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        socket.destroySoon();
      } else socket.destroy();
    } catch {
      socket.destroy();
    }
  });
  server.on('error', (error) => log(`pingback serve: server error: ${error.stack ?? String(error)}`));
}
