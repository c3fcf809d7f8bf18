import type { ClientOptions, ResolvedClientOptions } from '../net/client-options.ts';
import { resolveClientOptions } from '../net/client-options.ts';
import type { Discovery } from './discover.ts';
import { discoverEndpoint } from './discover.ts';
import { BadReplyError, PingbackInputError, TransportError } from '../errors.ts';
import { PingbackFault } from '../faults.ts';
import type { PingStatus } from '../outcome.ts';
import { statusForFault } from '../outcome.ts';
import { callXmlRpc } from './xmlrpc-call.ts';

export interface PingResult {
  source: string;
  target: string;
  endpoint: string | null;
  /** How the endpoint was known: advertised by header or link element, or given by the caller. */
  via: 'header' | 'link' | 'given' | null;
  status: PingStatus;
  faultCode?: number;
  /** The server's reply string, the fault string, or what went wrong. Short; safe to log. */
  message: string;
  ms: number;
}

export interface PingOptions extends ClientOptions {
  /** Skip discovery and call this endpoint. */
  endpoint?: string;
}

const MAX_MESSAGE = 500;

function short(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat;
}

function requireHttpUrl(name: string, value: string): void {
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new PingbackInputError(`${name} must be an absolute http(s) URL, got ${JSON.stringify(String(value).slice(0, 200))}`);
  }
}

/** Maps anything a network step can throw onto the outcome vocabulary. */
export function failureOutcome(error: unknown): { status: PingStatus; faultCode?: number; message: string } {
  if (error instanceof PingbackFault) {
    return { status: statusForFault(error.code), faultCode: error.code, message: short(`fault ${error.code}: ${error.message || '(no message)'}`) };
  }
  if (error instanceof TransportError || error instanceof BadReplyError) return { status: 'retryable', message: short(error.message) };
  throw error;
}

/**
 * Sends `pingback.ping(source, target)`: discovers the target's endpoint unless `endpoint` is given, then
 * calls it. Every network outcome is a `PingResult`; only bad arguments throw.
 */
export async function sendPingback(source: string, target: string, options: PingOptions = {}, discovered?: Discovery): Promise<PingResult> {
  const { endpoint: given, ...rest } = options;
  const o = resolveClientOptions(rest as ClientOptions | ResolvedClientOptions);
  requireHttpUrl('source', source);
  requireHttpUrl('target', target);
  if (given !== undefined) requireHttpUrl('endpoint', given);
  const started = o.clock.now();
  const done = (fields: Omit<PingResult, 'source' | 'target' | 'ms'>): PingResult => ({
    source,
    target,
    ...fields,
    ms: Math.max(0, o.clock.now() - started),
  });

  let endpoint = given ?? null;
  let via: PingResult['via'] = given ? 'given' : null;
  if (!endpoint) {
    try {
      const found = discovered ?? (await discoverEndpoint(target, o));
      if (!found.endpoint) return done({ endpoint: null, via: null, status: 'no-endpoint', message: short(found.reason) });
      endpoint = found.endpoint;
      via = found.via;
    } catch (error) {
      return done({ endpoint: null, via: null, ...failureOutcome(error), message: short(`discovery failed: ${(error as Error).message}`) });
    }
  }
  try {
    const reply = await callXmlRpc(endpoint, 'pingback.ping', [source, target], o);
    const text = typeof reply === 'string' ? reply : (JSON.stringify(reply) ?? '');
    return done({ endpoint, via, status: 'registered', message: short(text || 'registered') });
  } catch (error) {
    return done({ endpoint, via, ...failureOutcome(error) });
  }
}
