import { PingbackOptionError, TransportError } from '../errors.ts';
import type { Resolver } from '../net/guarded-fetch.ts';
import { SourceFetcher } from '../net/guarded-fetch.ts';
import type { HttpTransport } from '../net/http-request.ts';
import type { ResolvedClientOptions } from '../net/client-options.ts';

/**
 * What the sender may connect to. A target's page and the endpoints it advertises are a stranger's
 * choice (§4.3, §4.5): without this, a post linking to a hostile page would make a CI runner or a Netlify
 * Function POST to its own loopback, its cloud's metadata address or the private network behind it.
 */
export interface SendPolicyOptions {
  /**
   * Contact loopback, private and reserved addresses too (and let a site that is not public send at
   * all). Default false. For local demos and tests only.
   */
  allowPrivateNetwork?: boolean;
  /** Private addresses or CIDR ranges that may be contacted anyway (an intranet peer). */
  allowAddresses?: readonly string[];
  /** DNS resolution for the guard; the addresses it returns are checked and connected to. Default: the system's. */
  resolve?: Resolver;
}

export const SEND_POLICY_KEYS = ['allowPrivateNetwork', 'allowAddresses', 'resolve'] as const;

export interface SenderGuard {
  /** Every request the sender makes to a target or an endpoint goes through this. */
  transport: HttpTransport;
  close(): Promise<void>;
}

/**
 * The guarded fetcher (net/guarded-fetch.ts) with the sender's policy: no loopback, private, link-local or
 * reserved address at any hop, checked on the address actually connected to (pinned, so a second DNS
 * answer can't differ), any port (public endpoints live on 8443 too), unless `allowPrivateNetwork`.
 */
export function senderGuard(options: SendPolicyOptions, client: ResolvedClientOptions): SenderGuard {
  if (options.allowPrivateNetwork !== undefined && typeof options.allowPrivateNetwork !== 'boolean') {
    throw new PingbackOptionError('allowPrivateNetwork', `must be true or false, got ${JSON.stringify(options.allowPrivateNetwork)}`, 'Use a boolean.');
  }
  if (options.resolve !== undefined && typeof options.resolve !== 'function') {
    throw new PingbackOptionError(
      'resolve',
      `must be a function, got ${typeof options.resolve}`,
      'Pass (hostname) => Promise<{ address, family }[]>, or leave it out.',
    );
  }
  const fetcher = new SourceFetcher({
    allowPrivateNetwork: options.allowPrivateNetwork ?? false,
    allowedPorts: null,
    // Each request carries its own byte cap, deadline and redirect limit; these are the pool's.
    maxBytes: client.maxDiscoveryBytes,
    timeoutMs: client.timeoutMs,
    maxRedirects: client.maxRedirects,
    ...(options.allowAddresses ? { allowAddresses: options.allowAddresses } : {}),
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  return {
    transport: (req) => fetcher.request(req, req.dispatcher ?? client.dispatcher),
    close: () => fetcher.close(),
  };
}

/** Whether an error is the guard refusing an address (never retried: asking again reaches the same place). */
export function isForbidden(error: unknown): error is TransportError {
  return error instanceof TransportError && error.kind === 'forbidden-address';
}

/** The row message for a refused address; the fix is named for tests, never needed in production. */
export function forbiddenMessage(error: TransportError, what: string): string {
  const host = URL.parse(error.url)?.host ?? error.url;
  return `not sent: the ${what} ${host} is not a public address (${error.message}); allowPrivateNetwork / --allow-private-network allows it, for local tests`;
}
