import { readFile } from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import { replaceFile } from '../store/atomic-file.ts';
import { httpRequest } from '../net/http-request.ts';
import type { PublicPingback } from '../receive/read-endpoint.ts';
import { publicRecord } from '../receive/read-endpoint.ts';
import { LINKBACK_KINDS, LINKBACK_PROTOCOLS, isVisible } from '../store/record.ts';
import { SnapshotListing } from '../store/snapshot-listing.ts';
import type { PingbackStore } from '../store/store.ts';
import type { OnReadError } from '../build/options.ts';
import { userAgent } from '../net/user-agent.ts';

/** Where a build reads pingbacks back from. */
export type ReadSource = { kind: 'store'; store: PingbackStore; label: string } | { kind: 'endpoint'; url: string; dispatcher?: Dispatcher };

export interface ReadResult {
  items: PublicPingback[];
  /** Pending moderation, when the source can tell (a store can; the public endpoint can't). */
  pending: number | null;
  /** What was read: the source's label, or the cache when the source failed. */
  from: string;
  stale: boolean;
  /** Said once, when the source failed or was not there yet. */
  warning?: string;
  /** Requests made to the source (pages of the endpoint; one listing of a store). */
  requests: number;
}

export interface ReadOptions {
  /** Where the last good read is kept. */
  cacheFile: string;
  onReadError: OnReadError;
  timeoutMs?: number;
  /**
   * Keep the good read without waiting for the file (a build: the write, 10–17 ms on a slow disk, then
   * overlaps the rendering instead of holding it up). A stale read in the same process waits for it.
   */
  keepInBackground?: boolean;
}

/** Writes of the last good read still under way, by cache file: one file each, gone once written. */
const keeping = new Map<string, Promise<void>>();

/**
 * Keeps a good read for a later failed one. Only a fallback: replaced, never flushed (see replaceFile),
 * and a write that fails leaves the last one there. Writes to one file go in order.
 */
function keepRead(cacheFile: string, text: string): Promise<void> {
  const write: Promise<void> = (keeping.get(cacheFile) ?? Promise.resolve())
    .then(() => replaceFile(cacheFile, text))
    .catch(() => undefined)
    .finally(() => {
      if (keeping.get(cacheFile) === write) keeping.delete(cacheFile);
    });
  keeping.set(cacheFile, write);
  return write;
}

const PAGE_LIMIT = 1000;

function isPublicPingback(value: unknown): value is PublicPingback {
  const p = value as PublicPingback;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.id === 'string' &&
    typeof p.source === 'string' &&
    typeof p.key === 'string' &&
    typeof p.title === 'string' &&
    typeof p.excerpt === 'string' &&
    typeof p.author?.name === 'string' &&
    typeof p.receivedAt === 'string'
  );
}

/**
 * What came back from an endpoint or the cache, with the protocol and kind always set: an older deploy's
 * endpoint, or a cache written before Webmention, has neither (a pingback and a mention), and a value this
 * version does not know reads as those defaults too.
 */
function withKind(item: PublicPingback): PublicPingback {
  const kind = LINKBACK_KINDS.includes(item.kind) ? item.kind : 'mention';
  const protocol = LINKBACK_PROTOCOLS.includes(item.protocol) ? item.protocol : 'pingback';
  return kind === item.kind && protocol === item.protocol ? item : { ...item, kind, protocol };
}

async function readEndpoint(
  url: string,
  dispatcher: Dispatcher | undefined,
  timeoutMs: number,
): Promise<{ items: PublicPingback[]; requests: number; missing: boolean }> {
  const items: PublicPingback[] = [];
  let next: string | null = null;
  let requests = 0;
  do {
    const page = new URL(url);
    page.searchParams.set('limit', String(PAGE_LIMIT));
    if (next) page.searchParams.set('cursor', next);
    requests++;
    const response = await httpRequest({
      url: page.href,
      method: 'GET',
      headers: { accept: 'application/json', 'user-agent': userAgent(undefined, 'reading pingbacks back at build time') },
      maxBytes: 32 * 1024 * 1024,
      timeoutMs,
      maxRedirects: 3,
      dispatcher,
    });
    if (response.status === 404 && requests === 1) return { items: [], requests, missing: true };
    if (response.status !== 200) throw new Error(`${page.origin}${page.pathname} answered HTTP ${response.status}`);
    const body = JSON.parse(Buffer.from(response.body).toString('utf8')) as { items?: unknown; next?: unknown };
    if (!Array.isArray(body.items)) throw new Error(`${page.origin}${page.pathname} did not answer {items, next}`);
    for (const item of body.items) if (isPublicPingback(item)) items.push(withKind(item));
    next = typeof body.next === 'string' ? body.next : null;
  } while (next);
  return { items, requests, missing: false };
}

/**
 * Reads every published pingback once for a build, from a store or the site's read endpoint. A good read
 * is kept in the cache; when the source fails, `onReadError` decides: the last good read (`stale`), none
 * (`empty`), or an error (`fail`). A read endpoint that is not deployed yet (404) is an empty read.
 */
export async function readPingbacks(source: ReadSource, options: ReadOptions): Promise<ReadResult> {
  const label = source.kind === 'store' ? source.label : new URL(source.url).origin + new URL(source.url).pathname;
  try {
    let items: PublicPingback[];
    let pending: number | null = null;
    let requests = 1;
    let warning: string | undefined;
    if (source.kind === 'store') {
      const records = await new SnapshotListing(source.store).list();
      items = records.filter(isVisible).map(publicRecord);
      pending = records.filter((r) => r.status === 'pending' && r.deletedAt === undefined).length;
    } else {
      const read = await readEndpoint(source.url, source.dispatcher, options.timeoutMs ?? 15_000);
      items = read.items;
      requests = read.requests;
      if (read.missing) warning = `${label} is not there yet (404): no pingbacks to show until the site with its Function is deployed`;
    }
    const kept = keepRead(options.cacheFile, JSON.stringify({ version: 1, readAt: new Date().toISOString(), from: label, items }));
    if (!options.keepInBackground) await kept;
    return { items, pending, from: label, stale: false, requests, ...(warning ? { warning } : {}) };
  } catch (error) {
    const why = `could not read pingbacks from ${label}: ${(error as Error).message}`;
    if (options.onReadError === 'fail') throw new Error(`[pingback] ${why}`, { cause: error });
    if (options.onReadError === 'stale') {
      await keeping.get(options.cacheFile);
      try {
        const cached = JSON.parse(await readFile(options.cacheFile, 'utf8')) as { items?: unknown[]; readAt?: string };
        const items = (cached.items ?? []).filter(isPublicPingback).map(withKind);
        return {
          items,
          pending: null,
          from: `cache of ${cached.readAt ?? 'an earlier read'}`,
          stale: true,
          requests: 1,
          warning: `${why}; showing the last good read (${cached.readAt})`,
        };
      } catch {
        return { items: [], pending: null, from: 'nothing', stale: true, requests: 1, warning: `${why}; no earlier read is cached, so none are shown` };
      }
    }
    return { items: [], pending: null, from: 'nothing', stale: false, requests: 1, warning: `${why}; none are shown` };
  }
}
