import type { ClientOptions, ResolvedClientOptions } from '../net/client-options.ts';
import { resolveClientOptions } from '../net/client-options.ts';
import { PingbackInputError } from '../errors.ts';
import type { PingStatus } from '../outcome.ts';
import { failureOutcome } from '../pingback/ping.ts';
import type { WebmentionVia } from '../webmention/discover.ts';
import { postWebmention } from '../webmention/send.ts';
import { discoverEndpoints } from './discover-endpoints.ts';
import type { SendPolicyOptions } from './sender-guard.ts';
import { forbiddenMessage, isForbidden, senderGuard } from './sender-guard.ts';

export interface WebmentionOptions extends ClientOptions, SendPolicyOptions {
  /** Skip discovery and post to this endpoint (its query string is kept). */
  endpoint?: string;
}

export interface WebmentionResult {
  source: string;
  target: string;
  endpoint: string | null;
  /** How the endpoint was known: a Link header, a `<link>` or `<a>` element, or given by the caller. */
  via: WebmentionVia | 'given' | null;
  status: PingStatus;
  /** The endpoint's HTTP status, when it answered. */
  httpStatus?: number;
  /** For 201 Created: the receiver's status page. */
  location?: string;
  message: string;
  ms: number;
}

function requireHttpUrl(name: string, value: string): void {
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new PingbackInputError(`${name} must be an absolute http(s) URL, got ${JSON.stringify(String(value).slice(0, 200))}`);
  }
}

/**
 * Sends one Webmention (§3.1.2–3.1.3): discovers the target's endpoint with one GET (unless `endpoint` is
 * given), then posts `source` and `target` to it. Target, redirects and endpoint are contacted only on
 * public addresses unless `allowPrivateNetwork`. Every network outcome is a `WebmentionResult`; only bad
 * arguments and options throw.
 */
export async function sendWebmention(source: string, target: string, options: WebmentionOptions = {}): Promise<WebmentionResult> {
  const { endpoint: given, allowPrivateNetwork, allowAddresses, resolve, ...rest } = options;
  const o: ResolvedClientOptions = resolveClientOptions(rest as ClientOptions);
  requireHttpUrl('source', source);
  requireHttpUrl('target', target);
  if (given !== undefined) requireHttpUrl('endpoint', given);
  const guard = senderGuard(
    { ...(allowPrivateNetwork !== undefined ? { allowPrivateNetwork } : {}), ...(allowAddresses ? { allowAddresses } : {}), ...(resolve ? { resolve } : {}) },
    o,
  );
  const started = o.clock.now();
  const done = (fields: Omit<WebmentionResult, 'source' | 'target' | 'ms'>): WebmentionResult => ({
    source,
    target,
    ...fields,
    ms: Math.max(0, o.clock.now() - started),
  });
  try {
    let endpoint = given ?? null;
    let via: WebmentionResult['via'] = given ? 'given' : null;
    if (!endpoint) {
      try {
        const found = await discoverEndpoints(target, o, guard.transport);
        if (!found.webmention)
          return done({ endpoint: null, via: null, status: 'no-endpoint', message: `no Webmention endpoint: ${found.webmentionReason}`.slice(0, 500) });
        ({ endpoint, via } = found.webmention);
      } catch (error) {
        if (isForbidden(error)) return done({ endpoint: null, via: null, status: 'refused', message: forbiddenMessage(error, 'target') });
        const failure = failureOutcome(error);
        return done({ endpoint: null, via: null, ...failure, message: `discovery failed: ${failure.message}` });
      }
    }
    try {
      return done({ endpoint, via, ...(await postWebmention(endpoint, source, target, o, guard.transport)) });
    } catch (error) {
      if (isForbidden(error)) return done({ endpoint, via, status: 'refused', message: forbiddenMessage(error, 'Webmention endpoint') });
      return done({ endpoint, via, ...failureOutcome(error) });
    }
  } finally {
    await guard.close();
  }
}
