import type { ClientOptions, ResolvedClientOptions } from '../net/client-options.ts';
import { resolveClientOptions } from '../net/client-options.ts';
import { BadReplyError, PingbackInputError, TransportError } from '../errors.ts';
import { PingbackFault } from '../faults.ts';
import { isStruct } from '../xmlrpc/index.ts';
import { callXmlRpc } from './xmlrpc-call.ts';

/** What a blog directory is told: the weblog's name and home, the changed page and the feed. */
export interface UpdateNotice {
  name: string;
  siteUrl: string;
  changesUrl: string;
  feedUrl: string;
}

export type DirectoryStatus = 'notified' | 'soft-failure' | 'failed';

export interface DirectoryResult {
  service: string;
  /** The method whose answer decided the status. */
  method: 'weblogUpdates.extendedPing' | 'weblogUpdates.ping';
  /** `notified`; `soft-failure` when the service answered flerror: true; `failed` on a fault or no answer. */
  status: DirectoryStatus;
  message: string;
  ms: number;
}

/** A directory ping gets a short deadline by default (WordPress uses 3 s); a dead service must not hold a build. */
export const DIRECTORY_TIMEOUT_MS = 3000;

/**
 * Hosts that Ping-O-Matic already forwards to. Pinging them as well as Ping-O-Matic sends the same
 * update twice, which some of them treat as spam.
 */
const PINGOMATIC_DOWNSTREAM = [
  'rpc.weblogs.com',
  'ping.blo.gs',
  'ping.feedburner.com',
  'rpc.technorati.com',
  'blogsearch.google.com',
  'api.my.yahoo.com',
  'ping.syndic8.com',
  'www.blogdigger.com',
  'api.moreover.com',
  'ping.weblogalot.com',
  'rpc.icerocket.com',
  'ping.bloggers.jp',
];

/** Warnings about a list of directory services: duplicates, and Ping-O-Matic downstreams beside Ping-O-Matic. */
export function directoryWarnings(services: readonly string[]): string[] {
  const warnings: string[] = [];
  const hosts = services.map((s) => URL.parse(s)?.hostname ?? s);
  const seen = new Set<string>();
  for (const service of services) {
    if (seen.has(service)) warnings.push(`${service} is listed twice; it is pinged once`);
    seen.add(service);
  }
  if (hosts.includes('rpc.pingomatic.com')) {
    for (const host of hosts) {
      if (PINGOMATIC_DOWNSTREAM.includes(host)) {
        warnings.push(`${host} already gets every update through rpc.pingomatic.com; pinging both duplicates it`);
      }
    }
  }
  return warnings;
}

function interpret(reply: unknown): { status: DirectoryStatus; message: string } {
  if (isStruct(reply as never)) {
    const struct = reply as Record<string, unknown>;
    const message = typeof struct.message === 'string' ? struct.message : '';
    if (struct.flerror === true || struct.flerror === 1) return { status: 'soft-failure', message: message || 'flerror: true' };
    return { status: 'notified', message: message || 'ok' };
  }
  return { status: 'notified', message: typeof reply === 'string' ? reply : 'ok' };
}

function check(notice: UpdateNotice): void {
  for (const key of ['siteUrl', 'changesUrl', 'feedUrl'] as const) {
    const url = URL.canParse(notice[key]) ? new URL(notice[key]) : null;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new PingbackInputError(`${key} must be an absolute http(s) URL, got ${JSON.stringify(notice[key])}`);
    }
  }
  if (typeof notice.name !== 'string' || notice.name.trim() === '') throw new PingbackInputError('name must be a non-empty string');
}

/**
 * Tells one directory about an update: `weblogUpdates.extendedPing(name, site, changes, feed)`, and on a
 * fault, once, the two-argument `weblogUpdates.ping(name, site)` every service understands. Never throws
 * for what the service does; the result says what happened.
 */
export async function notifyDirectory(service: string, notice: UpdateNotice, options: ClientOptions | ResolvedClientOptions = {}): Promise<DirectoryResult> {
  check(notice);
  const o = resolveClientOptions('timeoutMs' in options && options.timeoutMs !== undefined ? options : { ...options, timeoutMs: DIRECTORY_TIMEOUT_MS });
  const started = o.clock.now();
  const result = (method: DirectoryResult['method'], status: DirectoryStatus, message: string): DirectoryResult => ({
    service,
    method,
    status,
    message: message.slice(0, 500),
    ms: Math.max(0, o.clock.now() - started),
  });
  const name = notice.name.slice(0, 1024);
  try {
    const reply = await callXmlRpc(service, 'weblogUpdates.extendedPing', [name, notice.siteUrl, notice.changesUrl, notice.feedUrl], o);
    const { status, message } = interpret(reply);
    return result('weblogUpdates.extendedPing', status, message);
  } catch (error) {
    if (!(error instanceof PingbackFault)) {
      if (error instanceof TransportError || error instanceof BadReplyError) return result('weblogUpdates.extendedPing', 'failed', error.message);
      throw error;
    }
  }
  try {
    const reply = await callXmlRpc(service, 'weblogUpdates.ping', [name, notice.siteUrl], o);
    const { status, message } = interpret(reply);
    return result('weblogUpdates.ping', status, message);
  } catch (error) {
    if (error instanceof PingbackFault) return result('weblogUpdates.ping', 'failed', `fault ${error.code}: ${error.message}`);
    if (error instanceof TransportError || error instanceof BadReplyError) return result('weblogUpdates.ping', 'failed', error.message);
    throw error;
  }
}

/** Notifies every service in parallel, each isolated from the others' failures. Duplicates are pinged once. */
export async function notifyDirectories(
  services: readonly string[],
  notice: UpdateNotice,
  options: ClientOptions | ResolvedClientOptions = {},
): Promise<DirectoryResult[]> {
  return Promise.all([...new Set(services)].map((service) => notifyDirectory(service, notice, options)));
}
