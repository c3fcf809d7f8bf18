import type { PingStatus } from '../outcome.ts';
import { isDone } from '../outcome.ts';

/**
 * What was sent for one (source, target) pair, so that a later run sends only what is new or due again.
 * Times are ISO strings: the ledger is stored as JSON and read by people.
 */
export interface LedgerEntry {
  source: string;
  target: string;
  status: PingStatus;
  /** Pings actually sent for this pair, over all runs. */
  attempts: number;
  firstAt: string;
  lastAt: string;
  /** For `retryable`: not before this time. */
  nextAt?: string;
  /** Hash of the source post when last tried; a changed post re-checks `no-endpoint` targets. */
  hash?: string;
  endpoint?: string | null;
  faultCode?: number;
  message: string;
}

/** A post the sender has seen live, so directories hear about new posts once and edits not at all. */
export interface PostEntry {
  source: string;
  /** The post's hash when last seen. */
  hash: string;
  firstSeenAt: string;
  lastSeenAt: string;
}

/** Where entries live: a JSON file, a Blobs store, memory. Reads and writes are per pair (and per post). */
export interface Ledger {
  get(source: string, target: string): LedgerEntry | undefined | Promise<LedgerEntry | undefined>;
  put(entry: LedgerEntry): void | Promise<void>;
  getPost(source: string): PostEntry | undefined | Promise<PostEntry | undefined>;
  putPost(entry: PostEntry): void | Promise<void>;
  /** Makes every put durable. */
  flush?(): Promise<void>;
}

export interface RetryPolicy {
  /** Pings sent for a retryable pair before giving up. Default 5. */
  maxAttempts: number;
  /** Wait before the first retry; doubles each time. Default 15 minutes. */
  baseDelayMs: number;
  /** Longest wait between retries. Default 24 hours. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 15 * 60_000, maxDelayMs: 24 * 3600_000 };

export type Decision = { send: true } | { send: false; reason: string };

/** Whether to ping this pair now, given what the ledger knows. */
export function decide(entry: LedgerEntry | undefined, hash: string | undefined, now: number, policy: RetryPolicy): Decision {
  if (!entry) return { send: true };
  if (isDone(entry.status)) return { send: false, reason: `${entry.status} on ${entry.lastAt}` };
  switch (entry.status) {
    case 'refused':
      return { send: false, reason: `refused on ${entry.lastAt} (${entry.message}); never retried` };
    case 'no-endpoint':
      if (hash !== undefined && hash !== entry.hash) return { send: true };
      return { send: false, reason: `no endpoint on ${entry.lastAt}; checked again when the post changes` };
    case 'retryable':
      // An edited post may have fixed what failed (fault 17: the link was not there yet).
      if (hash !== undefined && entry.hash !== undefined && hash !== entry.hash) return { send: true };
      if (entry.attempts >= policy.maxAttempts) {
        return { send: false, reason: `gave up after ${entry.attempts} attempts (last: ${entry.message})` };
      }
      if (entry.nextAt && Date.parse(entry.nextAt) > now) {
        return { send: false, reason: `retry ${entry.attempts + 1} is due at ${entry.nextAt}` };
      }
      return { send: true };
    default:
      return { send: true };
  }
}

/** The entry after one more attempt. A changed post restarts the retry count. */
export function nextEntry(
  previous: LedgerEntry | undefined,
  result: { source: string; target: string; status: PingStatus; endpoint: string | null; faultCode?: number; message: string },
  hash: string | undefined,
  now: number,
  policy: RetryPolicy,
): LedgerEntry {
  const at = new Date(now).toISOString();
  const sameVersion = previous !== undefined && (hash === undefined || previous.hash === hash);
  const attempts = (sameVersion ? previous.attempts : 0) + 1;
  const entry: LedgerEntry = {
    source: result.source,
    target: result.target,
    status: result.status,
    attempts,
    firstAt: previous?.firstAt ?? at,
    lastAt: at,
    endpoint: result.endpoint,
    message: result.message,
  };
  if (hash !== undefined) entry.hash = hash;
  if (result.faultCode !== undefined) entry.faultCode = result.faultCode;
  if (result.status === 'retryable') {
    const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1));
    entry.nextAt = new Date(now + delay).toISOString();
  }
  return entry;
}

export function ledgerKey(source: string, target: string): string {
  return `${source}\u0000${target}`;
}

/** A ledger in memory: for tests, and for one-off runs that need no history. */
export class MemoryLedger implements Ledger {
  readonly entries = new Map<string, LedgerEntry>();
  readonly posts = new Map<string, PostEntry>();

  getPost(source: string): PostEntry | undefined {
    return this.posts.get(source);
  }

  putPost(entry: PostEntry): void {
    this.posts.set(entry.source, entry);
  }

  get(source: string, target: string): LedgerEntry | undefined {
    return this.entries.get(ledgerKey(source, target));
  }

  put(entry: LedgerEntry): void {
    this.entries.set(ledgerKey(entry.source, entry.target), entry);
  }
}
