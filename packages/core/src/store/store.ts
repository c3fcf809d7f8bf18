import type { PingbackRecord } from './record.ts';

/**
 * Where pingbacks live. Records are the truth, one per (post key, source); anything else a backend keeps
 * (an index, a snapshot) is a cache that can be rebuilt from them. Three backends implement it: memory
 * (tests), the file system (the embedded default) and Netlify Blobs (in @pingback/netlify), and one
 * contract suite checks all three.
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
