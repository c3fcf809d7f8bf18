import type { Dispatcher } from 'undici';
import { checkKnownKeys, checkPositiveInt, checkUrl } from '../option-checks.ts';
import { PingbackOptionError } from '../errors.ts';
import { userAgent } from './user-agent.ts';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';

/** Options shared by everything that makes outbound requests as a Pingback client. */
export interface ClientOptions {
  /** undici dispatcher for every request (an Agent, a ProxyAgent, a MockAgent in someone else's tests). */
  dispatcher?: Dispatcher;
  /** The site we ping for; named in the User-Agent. */
  site?: string | URL;
  /** Overrides the whole User-Agent header. */
  userAgent?: string;
  /** Deadline of each HTTP exchange, in ms. Default 10000. */
  timeoutMs?: number;
  /** Redirects followed per request. Default 5. */
  maxRedirects?: number;
  /** Bytes of a target page read during discovery. Default 512 KiB. */
  maxDiscoveryBytes?: number;
  /** Bytes of an XML-RPC reply read. Default 256 KiB. */
  maxReplyBytes?: number;
  /** Accept non-conforming advertisements (relative hrefs, any attribute order or quoting). Default false. */
  lenient?: boolean;
  clock?: Clock;
  signal?: AbortSignal;
}

export interface ResolvedClientOptions {
  dispatcher: Dispatcher | undefined;
  site: string | undefined;
  userAgent: string;
  timeoutMs: number;
  maxRedirects: number;
  maxDiscoveryBytes: number;
  maxReplyBytes: number;
  lenient: boolean;
  clock: Clock;
  signal: AbortSignal | undefined;
}

export const CLIENT_DEFAULTS = {
  timeoutMs: 10_000,
  maxRedirects: 5,
  maxDiscoveryBytes: 512 * 1024,
  maxReplyBytes: 256 * 1024,
} as const;

const KNOWN = ['dispatcher', 'site', 'userAgent', 'timeoutMs', 'maxRedirects', 'maxDiscoveryBytes', 'maxReplyBytes', 'lenient', 'clock', 'signal'] as const;

const RESOLVED = Symbol('pingback.resolvedClientOptions');

/**
 * Validates client options once. Passing an already-resolved object back in is free, so a batch resolves
 * once and hands the result to every ping.
 */
export function resolveClientOptions(options: ClientOptions | ResolvedClientOptions = {}): ResolvedClientOptions {
  if ((options as { [RESOLVED]?: true })[RESOLVED]) return options as ResolvedClientOptions;
  const o = options as ClientOptions;
  checkKnownKeys('', o, KNOWN);
  const site = o.site === undefined ? undefined : checkUrl('site', o.site).href;
  if (o.lenient !== undefined && typeof o.lenient !== 'boolean') {
    throw new PingbackOptionError('lenient', `must be true or false, got ${JSON.stringify(o.lenient)}`, 'Use a boolean.');
  }
  if (o.clock !== undefined && typeof o.clock?.now !== 'function') {
    throw new PingbackOptionError('clock', 'must have a now() method', 'Pass { now: () => Date.now() } or leave it out.');
  }
  const resolved: ResolvedClientOptions = {
    dispatcher: o.dispatcher,
    site,
    userAgent: o.userAgent ?? userAgent(site),
    timeoutMs: checkPositiveInt('timeoutMs', o.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs),
    maxRedirects: checkPositiveInt('maxRedirects', o.maxRedirects ?? CLIENT_DEFAULTS.maxRedirects, { allowZero: true }),
    maxDiscoveryBytes: checkPositiveInt('maxDiscoveryBytes', o.maxDiscoveryBytes ?? CLIENT_DEFAULTS.maxDiscoveryBytes),
    maxReplyBytes: checkPositiveInt('maxReplyBytes', o.maxReplyBytes ?? CLIENT_DEFAULTS.maxReplyBytes),
    lenient: o.lenient ?? false,
    clock: o.clock ?? systemClock,
    signal: o.signal,
  };
  Object.defineProperty(resolved, RESOLVED, { value: true });
  return resolved;
}
