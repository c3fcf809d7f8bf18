import { createHash } from 'node:crypto';
import { canonicalKey } from '../site/canonical.ts';
import type { LinkbackKind, LinkbackProtocol, PingbackRecord } from '../store/record.ts';
import { compareRecords, isVisible, recordKind, recordProtocol } from '../store/record.ts';
import type { SnapshotListing } from '../store/snapshot-listing.ts';
import type { RecordCursor } from '../store/store.ts';
import { StoreError } from '../store/store.ts';
import type { PlainRequest, PlainResponse } from './plain-http.ts';
import { plain } from './plain-http.ts';
import type { ReceiverSettings } from './receiver-options.ts';

export const READ_LIMIT = { default: 100, max: 1000 } as const;
/** How long the later pages of one read may use the snapshot its first page refreshed. */
const CURSOR_SNAPSHOT_MS = 60_000;

/**
 * What the read endpoint publishes of a record: everything but moderation state and tombstones, with the
 * protocol and kind always filled in (records from before Webmention are pingbacks and mentions).
 */
export type PublicPingback = Omit<PingbackRecord, 'status' | 'deletedAt' | 'deletedBy' | 'protocol' | 'kind'> & {
  protocol: LinkbackProtocol;
  kind: LinkbackKind;
};

export function publicRecord(record: PingbackRecord): PublicPingback {
  const { status: _status, deletedAt: _deleted, deletedBy: _by, ...rest } = record;
  return { ...rest, protocol: recordProtocol(record), kind: recordKind(record) };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): PlainResponse {
  return plain(status, JSON.stringify(body), {
    'content-type': 'application/json; charset=utf-8',
    'access-control-allow-origin': '*',
    'cache-control': 'no-cache',
    ...headers,
  });
}

function encodeCursor(record: PingbackRecord): string {
  return Buffer.from(`${record.receivedAt}|${record.id}`).toString('base64url');
}

function decodeCursor(cursor: string): RecordCursor | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = text.lastIndexOf('|');
  if (bar <= 0) return null;
  return { receivedAt: text.slice(0, bar), id: text.slice(bar + 1) };
}

/** One page and the cursor of the next, or null when it is the last. */
async function readPage(
  settings: ReceiverSettings,
  listing: SnapshotListing,
  key: string | undefined,
  cursor: RecordCursor | null,
  limit: number,
): Promise<{ page: PingbackRecord[]; next: string | null }> {
  const { store } = settings;
  if (store.listVisible) {
    // A database pages by keyset in one indexed query; one record more than asked says whether more follow.
    const rows = await store.listVisible({ ...(key === undefined ? {} : { key }), ...(cursor ? { after: cursor } : {}), limit: limit + 1 });
    const page = rows.slice(0, limit);
    return { page, next: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null };
  }
  // The whole site comes from the snapshot, refreshed by a read's first page and reused by the pages that
  // follow, so they page through one consistent state; one post's few records come from the store.
  const all = key === undefined ? listing.list({ maxAgeMs: cursor ? CURSOR_SNAPSHOT_MS : 0 }) : store.list({ key });
  const records = (await all).filter(isVisible).sort(compareRecords);
  let start = 0;
  if (cursor) {
    start = records.findIndex((r) => r.receivedAt > cursor.receivedAt || (r.receivedAt === cursor.receivedAt && r.id > cursor.id));
    if (start < 0) start = records.length;
  }
  const page = records.slice(start, start + limit);
  return { page, next: start + limit < records.length && page.length > 0 ? encodeCursor(page[page.length - 1]!) : null };
}

/**
 * `GET /pingbacks.json?target=&cursor=&limit=` → `{ items, next }`: the approved, undeleted pingbacks,
 * oldest first, of one post (`target`, any URL or path of it) or of the whole site, `limit` at a time
 * (default 100, at most 1000), `next` the cursor of the following page or null. Answers 304 to a
 * matching `If-None-Match`.
 */
export async function handleRead(request: PlainRequest, settings: ReceiverSettings, listing: SnapshotListing): Promise<PlainResponse> {
  const url = request.url;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return json(405, { error: 'use GET' }, { allow: 'GET, HEAD' });
  }
  const params = url.searchParams;
  let key: string | undefined;
  const target = params.get('target');
  if (target !== null && target !== '') {
    const targetUrl = URL.parse(target, settings.site.href);
    if (!targetUrl || !settings.siteMatcher.isOwn(targetUrl)) {
      return json(400, { error: '`target` must be a URL or path of this site' });
    }
    key = canonicalKey(targetUrl);
  }
  const limitText = params.get('limit');
  const limit = limitText === null || limitText === '' ? READ_LIMIT.default : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > READ_LIMIT.max) {
    return json(400, { error: `\`limit\` must be a whole number from 1 to ${READ_LIMIT.max}` });
  }
  const cursorText = params.get('cursor');
  const cursor = cursorText ? decodeCursor(cursorText) : null;
  if (cursorText && !cursor) return json(400, { error: '`cursor` is not one this endpoint gave out' });

  let page: PingbackRecord[];
  let next: string | null;
  try {
    ({ page, next } = await readPage(settings, listing, key, cursor, limit));
  } catch (error) {
    if (error instanceof StoreError) {
      settings.logger.error(`[pingback] read endpoint: ${error.message}`);
      return json(503, { error: 'the store is unavailable; try again later' }, { 'retry-after': '30' });
    }
    throw error;
  }
  const body = JSON.stringify({ items: page.map(publicRecord), next });
  const etag = `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const match = request.header('if-none-match');
  if (match?.split(',').some((t) => t.trim() === etag)) {
    return plain(304, null, { etag, 'cache-control': 'no-cache', 'access-control-allow-origin': '*' });
  }
  return plain(200, request.method === 'HEAD' ? null : body, {
    'content-type': 'application/json; charset=utf-8',
    etag,
    'cache-control': 'no-cache',
    'access-control-allow-origin': '*',
  });
}
