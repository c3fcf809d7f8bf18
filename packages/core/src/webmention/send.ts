import type { ResolvedClientOptions } from '../net/client-options.ts';
import { decodeHTML } from 'entities/decode';
import { EOF, HtmlScanner, START_TAG } from '../html/html-scan.ts';
import type { HttpResponse, HttpTransport } from '../net/http-request.ts';
import { firstHeader } from '../net/http-request.ts';
import { decodeText, parseContentType } from '../net/media-type.ts';
import type { PingStatus } from '../outcome.ts';

/** What one Webmention POST came to, in the suite's vocabulary. */
export interface WebmentionOutcome {
  status: PingStatus;
  /** The endpoint's HTTP status, when it answered. */
  httpStatus?: number;
  /** For 201 Created: the status page the receiver offers, absolute. */
  location?: string;
  /** Short, single-line, safe to log: the reason the receiver gave, or what went wrong. */
  message: string;
}

/** Bytes of the endpoint's answer read: enough for a reason, never a stranger's whole page. */
export const WEBMENTION_REPLY_BYTES = 16 * 1024;
const MAX_REASON = 300;

function flat(text: string): string {
  // Control, bidirectional and zero-width characters never reach a log or a terminal.
  const clean = text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they never reach a log.
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > MAX_REASON ? `${clean.slice(0, MAX_REASON - 1)}…` : clean;
}

/** The text of an HTML answer, by the one-pass tokenizer (linear, whatever the markup). */
function htmlText(html: string): string {
  const scanner = new HtmlScanner(html, { comments: true });
  const parts: string[] = [];
  let last = 0;
  let skip = false;
  for (let kind = scanner.next(); ; kind = scanner.next()) {
    if (!skip) parts.push(html.slice(last, scanner.start));
    if (kind === EOF) break;
    last = scanner.end;
    // Raw text of scripts and styles is no reason; a title is.
    skip = kind === START_TAG && (scanner.name === 'script' || scanner.name === 'style');
  }
  return decodeHTML(parts.join(' '));
}

/** The reason a receiver gave in its answer: a JSON `message`/`error_description`/`error`, or the body's text. */
export function replyReason(response: HttpResponse): string {
  if (response.body.byteLength === 0) return '';
  const { type, charset } = parseContentType(firstHeader(response, 'content-type'));
  const text = decodeText(response.body, charset);
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      const value = JSON.parse(text) as Record<string, unknown>;
      for (const key of ['message', 'error_description', 'error', 'summary']) {
        if (typeof value?.[key] === 'string' && value[key] !== '') return flat(value[key] as string);
      }
    } catch {
      // not JSON after all: its text will do
    }
  }
  return flat(type === 'text/html' || type === 'application/xhtml+xml' ? htmlText(text) : text);
}

/** Maps an endpoint's answer onto the outcome vocabulary (§3.1.3: any 2xx is a success). */
export function webmentionOutcome(response: HttpResponse): WebmentionOutcome {
  const status = response.status;
  const reason = replyReason(response);
  const said = reason ? `: ${reason}` : '';
  if (status >= 200 && status < 300) {
    const outcome: WebmentionOutcome = { status: 'registered', httpStatus: status, message: `accepted (HTTP ${status})${said}` };
    const location = firstHeader(response, 'location');
    if (status === 201 && location) {
      const url = URL.parse(location.trim(), response.url);
      if (url && (url.protocol === 'http:' || url.protocol === 'https:')) outcome.location = url.href;
    }
    return outcome;
  }
  // 429 asks us to come back later; 4xx otherwise is the receiver saying no to this very request.
  if (status >= 400 && status < 500 && status !== 429) return { status: 'refused', httpStatus: status, message: `refused (HTTP ${status})${said}` };
  return { status: 'retryable', httpStatus: status, message: `HTTP ${status}${said}` };
}

/**
 * The Webmention itself (§3.1.3): a form-encoded POST of `source` and `target` to the endpoint, whose
 * own query string is kept in the URL and never moved into the body. Resolves with the outcome; a
 * transport failure is thrown (`TransportError`) for the caller to classify.
 */
export async function postWebmention(
  endpoint: string,
  source: string,
  target: string,
  o: ResolvedClientOptions,
  transport: HttpTransport,
): Promise<WebmentionOutcome> {
  const response = await transport({
    url: endpoint,
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': o.userAgent,
      accept: 'text/plain, application/json;q=0.9, text/html;q=0.8, */*;q=0.5',
    },
    body: new URLSearchParams({ source, target }).toString(),
    maxBytes: WEBMENTION_REPLY_BYTES,
    timeoutMs: o.timeoutMs,
    maxRedirects: o.maxRedirects,
    dispatcher: o.dispatcher,
    signal: o.signal,
  });
  return webmentionOutcome(response);
}
