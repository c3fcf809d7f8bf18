import type { PingbackRecord } from './record.ts';

/** Where a page of the read endpoint starts: after this record, in (receivedAt, id) order. */
export interface RecordCursor {
  receivedAt: string;
  id: string;
}

/** Rate windows kept by a shared store, counted once for every process that uses it. */
export interface SharedRateLimiter {
  allow(scope: 'client' | 'source-host', id: string, now: number): Promise<boolean>;
}

/**
 * Where pingbacks live. Records are the truth, one per (post key, source); anything else a backend keeps
 * (an index, a snapshot) is a cache that can be rebuilt from them. Three backends implement it: memory
 * (tests), the file system (the embedded default), Netlify Blobs (in @pingback/netlify) and PostgreSQL (in
 * @pingback/postgres), and one contract suite checks them all.
 *
 * The optional members after the meta documents are what a store shared by several processes (several
 * `pingback serve` behind a load balancer, over PostgreSQL) offers so that they behave as one: the
 * receiver, `pingback send` and the moderation commands use each when it is there, and keep their
 * one-process ways (rate windows in memory, a lock file) when it is not.
 */
export interface PingbackStore {
  /**
   * Stores the record unless one (or a tombstone) exists for its (key, source), atomically: of two
   * concurrent inserts of the same pair exactly one returns true. Never leaves a half-written record.
   */
  insert(record: PingbackRecord): Promise<boolean>;
  /** The record with this id, or null (also for ids that are not ours). */
  get(id: string): Promise<PingbackRecord | null>;
  /** Replaces an existing record: moderation and deletion. */
  update(record: PingbackRecord): Promise<void>;
  /** Every record, tombstones included, or those of one post key. */
  list(filter?: { key?: string }): Promise<PingbackRecord[]>;
  /**
   * Every record's id with a tag that changes whenever the record does (an ETag; inode, time and size),
   * in one cheap listing: lets a reader keep a snapshot and fetch only what changed. Optional.
   */
  versions?(): Promise<Map<string, string>>;
  /** Small JSON documents kept beside the records: the run-time blocklist, rate windows, rebuild marks. */
  getMeta<T>(name: string): Promise<T | null>;
  setMeta(name: string, value: unknown): Promise<void>;
  /** Creates the document only if it does not exist yet; true when this call created it. */
  createMeta(name: string, value: unknown): Promise<boolean>;
  /** The names of every meta document, for copying a store (`pingback migrate-store`). Optional. */
  metaNames?(): Promise<string[]>;

  /** Sliding-window rate limits kept in the store, exact across every process sharing it. */
  rateLimiter?(limit: number, windowMs: number): SharedRateLimiter;
  /**
   * Runs `fn` holding the lock `name`, shared by every process using the store; waits at most `waitMs`
   * for it. A holder that dies releases it: there is nothing to break by hand.
   */
  withLock?<T>(name: string, fn: () => Promise<T>, options?: { waitMs?: number }): Promise<T>;
  /**
   * One page of the read endpoint in one query: the visible records (approved, not deleted), of one post
   * key or all, oldest first by (receivedAt, id), after `after`, at most `limit`.
   */
  listVisible?(options: { key?: string; after?: RecordCursor; limit: number }): Promise<PingbackRecord[]>;
  /** True when `list()` is one cheap query: readers then call it directly instead of keeping a snapshot. */
  readonly listsInOneQuery?: boolean;
  /** Releases what the store holds open (a connection pool); the store is not used after. */
  close?(): Promise<void>;
}

/** A store failed (disk full, Blobs unreachable): answered as fault 50, and nothing is half-written. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code = 'ERR_PINGBACK_STORE';
}

const META_NAME = /^[a-z0-9][a-z0-9._-]{0,100}$/;

export function checkMetaName(name: string): void {
  if (!META_NAME.test(name)) throw new StoreError(`invalid meta document name ${JSON.stringify(name.slice(0, 120))}`);
}
