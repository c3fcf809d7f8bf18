import { createHash } from 'node:crypto';
import { canonicalSource } from '../site/canonical.ts';

export type RecordStatus = 'approved' | 'pending' | 'rejected';
export const RECORD_STATUSES: readonly RecordStatus[] = ['approved', 'pending', 'rejected'];

export interface PingbackAuthor {
  name: string;
  /** Only ever an http(s) URL. */
  url?: string;
}

/**
 * One accepted pingback, the unit of truth in every store: one per (post key, source). Text fields are
 * plain text, already capped; renderers escape them. A deleted pingback keeps its record as a tombstone
 * (`deletedAt` set, content cleared) so that the same source pinging again is answered 48, not stored.
 */
export interface PingbackRecord {
  id: string;
  source: string;
  /** The target as the sender gave it. */
  target: string;
  /** The canonical post key of the target. */
  key: string;
  status: RecordStatus;
  title: string;
  excerpt: string;
  author: PingbackAuthor;
  published?: string;
  lang?: string;
  receivedAt: string;
  deletedAt?: string;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * How a source is told apart from another: its canonical form (`canonicalSource`: host case and trailing
 * dot, default port, escapes of unreserved characters, tracking parameters, an empty query and the
 * fragment settled), so one page gives one pingback however the sender spells it. The record keeps the
 * source as sent, for display.
 */
export function sourceIdentity(source: string): string {
  return canonicalSource(source);
}

/**
 * The id a record of this pair got before identities were canonical (the URL as parsed, without its
 * fragment). Records already stored keep that id, so the receiver asks for it too when it differs: a
 * sender re-pinging exactly what it pinged before is still answered 48.
 */
export function legacyRecordId(key: string, source: string): string {
  const url = URL.parse(source);
  if (url) url.hash = '';
  return `${keyHash(key)}-${shortHash(url ? url.href : source)}`;
}

export function keyHash(key: string): string {
  return shortHash(key);
}

/** Stable id of the (post key, source) pair: `<hash of key>-<hash of source>`, safe in file names and blob keys. */
export function recordId(key: string, source: string): string {
  return `${keyHash(key)}-${shortHash(sourceIdentity(source))}`;
}

const ID = /^([0-9a-f]{16})-([0-9a-f]{16})$/;

/** Splits an id into its two hashes, or null if it is not one of ours (a path, say). */
export function parseRecordId(id: string): { keyHash: string; sourceHash: string } | null {
  const m = ID.exec(id);
  return m ? { keyHash: m[1]!, sourceHash: m[2]! } : null;
}

/** What readers may see: approved and not deleted. */
export function isVisible(record: PingbackRecord): boolean {
  return record.status === 'approved' && record.deletedAt === undefined;
}

/** Turns a record into its tombstone: kept for "already registered", emptied of what was published. */
export function tombstone(record: PingbackRecord, at: string): PingbackRecord {
  return { id: record.id, source: record.source, target: record.target, key: record.key, status: 'rejected', title: '', excerpt: '', author: { name: '' }, receivedAt: record.receivedAt, deletedAt: at };
}

export function isRecord(value: unknown): value is PingbackRecord {
  const r = value as PingbackRecord;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.id === 'string' &&
    typeof r.source === 'string' &&
    typeof r.target === 'string' &&
    typeof r.key === 'string' &&
    RECORD_STATUSES.includes(r.status) &&
    typeof r.title === 'string' &&
    typeof r.excerpt === 'string' &&
    typeof r.author === 'object' &&
    r.author !== null &&
    typeof r.author.name === 'string' &&
    typeof r.receivedAt === 'string'
  );
}

/** Oldest first, then by id: a stable order for listing and paging. */
export function compareRecords(a: PingbackRecord, b: PingbackRecord): number {
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
