import type { PingStatus } from '../outcome.ts';
import { PING_STATUSES, isDone } from '../outcome.ts';
import type { SendProtocol } from './protocols.ts';

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
  /** The protocol the notification went by; absent in entries written before Webmention (all Pingback). */
  protocol?: SendProtocol;
  /** For `no-endpoint`: the protocols that were looked for; absent means Pingback only (older entries). */
  sought?: SendProtocol[];
  /** The Webmention endpoint's HTTP status. */
  httpStatus?: number;
  /** For a Webmention answered 201: the receiver's status page. */
  location?: string;
  /** Hash of the source post's content when last sent: an edit resends a Webmention (§3.1.4). */
  contentHash?: string;
  /** This entry is about the post's deletion (§3.1.5): the Webmention that tells the target it is gone. */
  deleted?: boolean;
}

/** The protocol an entry went by: entries from before Webmention have none and were Pingback. */
export function entryProtocol(entry: LedgerEntry): SendProtocol | null {
  if (entry.protocol) return entry.protocol;
  return entry.status === 'no-endpoint' ? null : 'pingback';
}

/** A post the sender has seen live, so directories hear about new posts once and edits not at all. */
export interface PostEntry {
  source: string;
  /** The post's hash when last seen. */
  hash: string;
  firstSeenAt: string;
  lastSeenAt: string;
  /** Its targets when last seen (and those still owed an update): a link removed later is sent once more (§3.1.4). */
  targets?: string[];
  /** Hash of its content when last seen. */
  contentHash?: string;
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

/** What a decision may look at besides the entry: the post now, and which protocols may be used. */
export interface DecideContext {
  /** Hash of the post's content now (an edit resends a Webmention, §3.1.4). */
  contentHash?: string | undefined;
  /** The protocols enabled for this run: a `no-endpoint` entry that did not look for one of them is due. */
  protocols?: readonly SendProtocol[];
}

function changed(now: string | undefined, then: string | undefined): boolean {
  return now !== undefined && then !== undefined && now !== then;
}

/** Whether to ping this pair now, given what the ledger knows. */
export function decide(entry: LedgerEntry | undefined, hash: string | undefined, now: number, policy: RetryPolicy, context: DecideContext = {}): Decision {
  if (!entry) return { send: true };
  // A post deleted and published again: the earlier Webmention told the target it was gone.
  if (entry.deleted) return { send: true };
  if (isDone(entry.status)) {
    // §3.1.4: an updated post resends its Webmentions; a pingback can't be updated (48 is all it would hear).
    if (entryProtocol(entry) === 'webmention' && (changed(hash, entry.hash) || changed(context.contentHash, entry.contentHash))) return { send: true };
    return { send: false, reason: `${entry.status} on ${entry.lastAt}` };
  }
  switch (entry.status) {
    case 'refused':
      return { send: false, reason: `refused on ${entry.lastAt} (${entry.message}); never retried` };
    case 'no-endpoint': {
      if (hash !== undefined && hash !== entry.hash) return { send: true };
      const sought = entry.sought ?? ['pingback'];
      const unsought = (context.protocols ?? []).filter((p) => !sought.includes(p));
      if (unsought.length > 0) return { send: true };
      return { send: false, reason: `no endpoint on ${entry.lastAt}; checked again when the post changes` };
    }
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

/**
 * Whether to tell a target that the post linking to it is gone (§3.1.5): once, by Webmention, and only
 * where a Webmention was delivered for it before (a pingback can't be taken back; a pair never sent has
 * nothing to undo). A failed attempt is retried as any other.
 */
export function decideDeleted(entry: LedgerEntry | undefined, now: number, policy: RetryPolicy): Decision {
  if (!entry) return { send: false, reason: 'nothing was ever sent for it' };
  if (entry.deleted) {
    if (entry.status === 'retryable') return decide({ ...entry, deleted: false }, entry.hash, now, policy);
    return { send: false, reason: `deletion sent: ${entry.status} on ${entry.lastAt}` };
  }
  if (isDone(entry.status) && entryProtocol(entry) === 'webmention') return { send: true };
  return { send: false, reason: entryProtocol(entry) === 'webmention' ? `never delivered (${entry.status})` : 'sent by Pingback, which has no deletes' };
}

/** The entry after one more attempt. A changed post restarts the retry count. */
export function nextEntry(
  previous: LedgerEntry | undefined,
  result: {
    source: string;
    target: string;
    status: PingStatus;
    endpoint: string | null;
    faultCode?: number;
    message: string;
    protocol?: SendProtocol | null;
    sought?: readonly SendProtocol[];
    httpStatus?: number;
    location?: string;
  },
  hash: string | undefined,
  now: number,
  policy: RetryPolicy,
  extra: { contentHash?: string | undefined; deleted?: boolean } = {},
): LedgerEntry {
  const at = new Date(now).toISOString();
  const sameVersion =
    previous !== undefined &&
    (hash === undefined || previous.hash === hash) &&
    !!previous.deleted === !!extra.deleted &&
    !changed(extra.contentHash, previous.contentHash);
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
  if (result.protocol) entry.protocol = result.protocol;
  if (result.status === 'no-endpoint' && result.sought) entry.sought = [...result.sought];
  if (result.httpStatus !== undefined) entry.httpStatus = result.httpStatus;
  if (result.location !== undefined) entry.location = result.location;
  if (extra.contentHash !== undefined) entry.contentHash = extra.contentHash;
  if (extra.deleted) entry.deleted = true;
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

/** Whether a value read back from storage has what every use of an entry relies on; anything else is skipped. */
export function isLedgerEntry(value: unknown): value is LedgerEntry {
  const e = value as LedgerEntry;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.source === 'string' &&
    typeof e.target === 'string' &&
    (PING_STATUSES as readonly string[]).includes(e.status) &&
    typeof e.attempts === 'number'
  );
}

/** Whether a value read back from storage is a post entry. */
export function isPostEntry(value: unknown): value is PostEntry {
  const p = value as PostEntry;
  return typeof p === 'object' && p !== null && typeof p.source === 'string' && typeof p.hash === 'string';
}
