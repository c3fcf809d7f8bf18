import type { Dispatcher } from 'undici';
import { PingbackInputError, TransportError } from '../errors.ts';
import { loadUndici } from './undici-loader.ts';

export interface HttpRequest {
  url: string;
  method: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Bytes of response body kept; the rest is never read and the connection is dropped. */
  maxBytes: number;
  /** Deadline for the whole exchange, redirects and body included. */
  timeoutMs: number;
  maxRedirects: number;
  dispatcher?: Dispatcher | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Called with every URL before it is requested, the first and each redirect hop; throw to refuse it.
   * The receiver uses this to apply its scheme and port policy to every hop.
   */
  checkUrl?: ((url: URL) => void) | undefined;
  /**
   * Asked once the final response's headers are in: false drops the body unread (a discovery GET of an
   * image needs its headers only). Default: read it.
   */
  readBody?: ((status: number, headers: Map<string, string[]>) => boolean) | undefined;
}

/** Something that makes bounded exchanges: `httpRequest` itself, or a guarded fetcher's `request`. */
export type HttpTransport = (req: HttpRequest) => Promise<HttpResponse>;

export interface HttpResponse {
  status: number;
  /** The URL that answered, after redirects. */
  url: string;
  /** Lower-cased names; repeated headers keep every value, in the order received. */
  headers: Map<string, string[]>;
  body: Uint8Array;
  /** True when the body was longer than `maxBytes` and was cut. */
  truncated: boolean;
  redirects: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function firstHeader(response: HttpResponse, name: string): string | undefined {
  return response.headers.get(name)?.[0];
}

function toHeaderMap(headers: Record<string, string | string[] | undefined>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    map.set(name.toLowerCase(), Array.isArray(value) ? value : [value]);
  }
  return map;
}

async function readCapped(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<[Uint8Array, boolean]> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    total += chunk.byteLength;
    if (total > maxBytes) {
      // Leaving the loop destroys the stream: the rest is never downloaded.
      body.on('error', () => {});
      return [Buffer.concat(chunks).subarray(0, maxBytes), true];
    }
  }
  return [Buffer.concat(chunks), false];
}

/** Drops a body we won't read; undici reports the destroy as an error event, which must not go unheard. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * One bounded HTTP exchange over undici: a deadline for everything, a byte cap on the body, manual
 * redirects (so each hop can be checked) and all headers kept. Throws `TransportError` when no usable
 * response arrives; any HTTP status is a response, not an error.
 */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new PingbackInputError(`not an absolute URL: ${JSON.stringify(req.url.slice(0, 200))}`);
  }
  const deadline = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([deadline, req.signal]) : deadline;
  const { request } = await loadUndici();
  let method = req.method;
  let body = req.body;
  let redirects = 0;

  for (;;) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TransportError('bad-redirect', url.href, `refusing to request a ${url.protocol} URL`);
    }
    req.checkUrl?.(url);
    let response: Dispatcher.ResponseData;
    let bytes: Uint8Array;
    let truncated: boolean;
    try {
      response = await request(url, {
        method,
        headers: req.headers,
        body: method === 'POST' ? (body ?? null) : null,
        dispatcher: req.dispatcher,
        signal,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const location = response.headers.location;
      if (REDIRECTS.has(response.statusCode) && location !== undefined) {
        discard(response.body);
        if (redirects >= req.maxRedirects) {
          throw new TransportError('redirect-limit', url.href, `more than ${req.maxRedirects} redirects`);
        }
        const next = URL.parse(Array.isArray(location) ? (location[0] ?? '') : location, url.href);
        if (!next) throw new TransportError('bad-redirect', url.href, 'redirect to an invalid Location');
        // 303 means "see other with GET"; XML-RPC endpoints that moved answer 301/307/308 and expect the POST again.
        if (response.statusCode === 303 && method === 'POST') {
          method = 'GET';
          body = undefined;
        }
        url = next;
        redirects++;
        continue;
      }
      if (method === 'HEAD' || (req.readBody && !req.readBody(response.statusCode, toHeaderMap(response.headers)))) {
        discard(response.body);
        [bytes, truncated] = [new Uint8Array(0), false];
      } else {
        [bytes, truncated] = await readCapped(response.body, req.maxBytes);
      }
    } catch (error) {
      if (error instanceof TransportError || error instanceof PingbackInputError) throw error;
      // undici's own header, body and connect timers carry the same deadline and may fire first.
      const code = (error as { code?: unknown }).code;
      if (deadline.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw new TransportError('timeout', url.href, `no complete answer within ${req.timeoutMs} ms`, { cause: error });
      }
      if (req.signal?.aborted) throw new TransportError('aborted', url.href, 'request aborted', { cause: error });
      if (code === 'ERR_PINGBACK_FORBIDDEN_ADDRESS') {
        throw new TransportError('forbidden-address', url.href, describe(error), { cause: error });
      }
      throw new TransportError('network', url.href, describe(error), { cause: error });
    }
    return {
      status: response.statusCode,
      url: url.href,
      headers: toHeaderMap(response.headers),
      body: bytes,
      truncated,
      redirects,
    };
  }
}
