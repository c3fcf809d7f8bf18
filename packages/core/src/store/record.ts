import { createHash } from 'node:crypto';
import { canonicalSource } from '../site/canonical.ts';

export type RecordStatus = 'approved' | 'pending' | 'rejected';
export const RECORD_STATUSES: readonly RecordStatus[] = ['approved', 'pending', 'rejected'];

export interface PingbackAuthor {
  name: string;
  /** Only ever an http(s) URL. */
  url?: string;
  /** The author's picture (an h-card's u-photo); only ever an http(s) URL. */
  photo?: string;
}

/**
 * What brought a linkback: a Pingback or a Webmention, or, for records imported from another system, a
 * trackback or a comment. Absent in records stored before Webmention: those are pingbacks.
 */
export type LinkbackProtocol = 'pingback' | 'webmention' | 'trackback' | 'comment';
export const LINKBACK_PROTOCOLS: readonly LinkbackProtocol[] = ['pingback', 'webmention', 'trackback', 'comment'];

/** What the source does with the post (microformats2's response types); absent means a mention. */
export type LinkbackKind = 'mention' | 'reply' | 'like' | 'repost' | 'bookmark';
export const LINKBACK_KINDS: readonly LinkbackKind[] = ['mention', 'reply', 'like', 'repost', 'bookmark'];

/** Who deleted a record: the site's owner (for good), or the source itself (a later Webmention revives it). */
export type DeletedBy = 'moderator' | 'source';

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
  /** Absent: a tombstone from before there were two kinds, which counts as the moderator's. */
  deletedBy?: DeletedBy;
  /** Absent: `pingback`. */
  protocol?: LinkbackProtocol;
  /** Absent: `mention`. */
  kind?: LinkbackKind;
  /** The entry's own URL when it names one (Bridgy's pages point at the original post); http(s) only. */
  url?: string;
  /** When a later notification from the same source last changed what is stored. */
  updatedAt?: string;
}

/** Every record of any protocol is a linkback; the store's type keeps its first name. */
export type LinkbackRecord = PingbackRecord;

export function recordProtocol(record: Pick<PingbackRecord, 'protocol'>): LinkbackProtocol {
  return record.protocol ?? 'pingback';
}

export function recordKind(record: Pick<PingbackRecord, 'kind'>): LinkbackKind {
  return record.kind ?? 'mention';
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
export function tombstone(record: PingbackRecord, at: string, by: DeletedBy = 'moderator'): PingbackRecord {
  const t: PingbackRecord = {
    id: record.id,
    source: record.source,
    target: record.target,
    key: record.key,
    status: 'rejected',
    title: '',
    excerpt: '',
    author: { name: '' },
    receivedAt: record.receivedAt,
    deletedAt: at,
    deletedBy: by,
  };
  if (record.protocol) t.protocol = record.protocol;
  return t;
}

/** A delete the owner made: persistent, whatever the source sends later. Old tombstones count as such. */
export function isPersistentDelete(record: PingbackRecord): boolean {
  return record.deletedAt !== undefined && record.deletedBy !== 'source';
}

const optionalString = (v: unknown) => v === undefined || typeof v === 'string';

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
    optionalString(r.author.url) &&
    optionalString(r.author.photo) &&
    typeof r.receivedAt === 'string' &&
    (r.protocol === undefined || LINKBACK_PROTOCOLS.includes(r.protocol)) &&
    (r.kind === undefined || LINKBACK_KINDS.includes(r.kind)) &&
    (r.deletedBy === undefined || r.deletedBy === 'moderator' || r.deletedBy === 'source') &&
    optionalString(r.url) &&
    optionalString(r.updatedAt)
  );
}

/** Oldest first, then by id: a stable order for listing and paging. */
export function compareRecords(a: PingbackRecord, b: PingbackRecord): number {
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
