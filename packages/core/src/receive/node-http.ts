import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { PingbackInputError } from '../errors.ts';
import type { PlainRequest, PlainResponse } from './plain-http.ts';
import { requestTargetUrl } from './request-target.ts';

export { requestTargetUrl } from './request-target.ts';

// Node's http module meets the Web Request/Response the receiver speaks. Kept out of the main entry:
// the core itself knows only Request and Response.

/** The caller's address as the receiver reports it: IPv4-mapped IPv6 unwrapped. */
export function clientAddress(req: IncomingMessage): string | undefined {
  const address = req.socket.remoteAddress;
  return address?.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The request's URL on `origin` (see `requestTargetUrl`), or a `PingbackInputError` to answer with 400. */
function targetOf(req: IncomingMessage, origin: string): URL {
  const url = requestTargetUrl(req.url ?? '/', origin);
  if (!url) throw new PingbackInputError(`request target ${JSON.stringify((req.url ?? '').slice(0, 200))} is neither a path nor an absolute http(s) URL`);
  return url;
}

/**
 * A Node request as the receiver's `PlainRequest`, its body read into memory up to just over `maxBytes`;
 * then reading stops (`complete: false`) and the receiver refuses the call as too large. The caller
 * should close the connection after answering, which discards the rest. Rejects with a
 * `PingbackInputError` for a request target that is not a path (answer 400); check first with
 * `requestTargetUrl` to tell it apart from a failing body.
 */
export function readPlainRequest(req: IncomingMessage, origin: string, maxBytes: number): Promise<PlainRequest> {
  const method = req.method ?? 'GET';
  let url: URL;
  try {
    url = targetOf(req, origin);
  } catch (error) {
    return Promise.reject(error as Error);
  }
  const header = (name: string): string | null => {
    const value = req.headers[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  };
  if (method === 'GET' || method === 'HEAD') return Promise.resolve({ method, url, header, body: null, complete: true });
  const declared = Number(req.headers['content-length'] ?? '');
  if (declared > maxBytes) return Promise.resolve({ method, url, header, body: new Uint8Array(0), complete: false });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const settle = (complete: boolean) => {
      if (settled) return;
      settled = true;
      resolve({ method, url, header, body: Buffer.concat(chunks), complete });
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      chunks.push(chunk);
      total += chunk.byteLength;
      if (total > maxBytes) {
        req.pause();
        settle(false);
      }
    });
    req.on('end', () => settle(true));
    req.on('error', (error) => (settled ? undefined : reject(error)));
  });
}

/** Writes the receiver's `PlainResponse` to a Node response. */
export function sendPlainResponse(answer: PlainResponse, res: ServerResponse, head = false): void {
  res.writeHead(answer.status, answer.headers);
  res.end(head || answer.body === null ? undefined : answer.body);
}

/**
 * A Node request as a Web `Request`; the body streams through untouched (the receiver caps it). Throws a
 * `PingbackInputError` for a request target that is not a path (answer 400).
 */
export function toRequest(req: IncomingMessage, origin: string): Request {
  const url = targetOf(req, origin);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(url, {
    method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
  } as RequestInit);
}

/** Writes a Web `Response` to a Node response. */
export async function sendResponse(response: Response, res: ServerResponse, head = false): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (head || !response.body) {
    res.end();
    return;
  }
  const body = Buffer.from(await response.arrayBuffer());
  res.end(body);
}
