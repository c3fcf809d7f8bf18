import { cap, plainText } from '../receive/plain-text.ts';
import { LIMITS } from '../receive/verify.ts';
import type { LinkbackKind, PingbackRecord } from '../store/record.ts';
import { recordId } from '../store/record.ts';
import { ImportError } from './import-error.ts';

/**
 * webmention.io's export: the JF2 feed its API answers at `/api/mentions.jf2?token=…` (`{"type": "feed",
 * "children": [entry, …]}`; a bare array of entries is taken too). Each entry carries what webmention.io
 * verified (`wm-source`, `wm-target`, `wm-property`, `wm-received`, `wm-private`) beside the
 * microformats2 it parsed (`author`, `published`, `content`, `url`, `name`).
 */
export interface Jf2Entry {
  source: string;
  target: string;
  property: string;
  raw: Record<string, unknown>;
}

/** Why an entry is not imported; each is counted in the report. */
export type Jf2Skip = 'private' | 'bad-source' | 'bad-target' | 'not-an-entry';
export const JF2_SKIPS: readonly Jf2Skip[] = ['private', 'bad-source', 'bad-target', 'not-an-entry'];

/** A JF2 file is read whole (webmention.io's exports are a few megabytes); far larger is refused. */
export const JF2_MAX_BYTES = 256 * 1024 * 1024;

const KINDS: Record<string, LinkbackKind> = {
  'in-reply-to': 'reply',
  'like-of': 'like',
  'repost-of': 'repost',
  'bookmark-of': 'bookmark',
  'mention-of': 'mention',
  // An RSVP answers the post, as a reply does; the suite has no kind of its own for it.
  rsvp: 'reply',
};

/** The kind an entry's `wm-property` says; anything unknown is a mention. */
export function jf2Kind(property: string): LinkbackKind {
  return KINDS[property] ?? 'mention';
}

/** The entries of a JF2 document, in order. Throws an `ImportError` for a file that is not one. */
export function parseJf2(text: string, where: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ImportError(
      `${where} is not valid JSON (${(error as Error).message}). Download it again from webmention.io: https://webmention.io/api/mentions.jf2?token=YOUR-TOKEN`,
      { cause: error },
    );
  }
  if (Array.isArray(value)) return value;
  const feed = value as { type?: unknown; children?: unknown };
  if (typeof feed === 'object' && feed !== null && Array.isArray(feed.children)) return feed.children;
  throw new ImportError(
    `${where}: expected webmention.io's JF2 feed, {"type": "feed", "children": [...]}. Download it from https://webmention.io/api/mentions.jf2?token=YOUR-TOKEN`,
  );
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

function httpUrl(value: unknown): string | undefined {
  const text = str(value).trim();
  if (!text || text.length > LIMITS.url) return undefined;
  const url = URL.parse(text);
  return url && (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && url.href.length <= LIMITS.url
    ? url.href
    : undefined;
}

function isoDate(value: unknown): string | undefined {
  const text = str(value).trim();
  if (!text || text.length > 64) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** An entry's source, target and property, or why it can't be one. */
export function jf2Entry(value: unknown): Jf2Entry | { skip: Jf2Skip } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { skip: 'not-an-entry' };
  const raw = value as Record<string, unknown>;
  if (raw['wm-private'] === true) return { skip: 'private' };
  const source = httpUrl(raw['wm-source']);
  if (!source) return { skip: 'bad-source' };
  const target = httpUrl(raw['wm-target']);
  if (!target) return { skip: 'bad-target' };
  return { source, target, property: str(raw['wm-property']), raw };
}

/** The record an entry becomes for the post at `key`: a Webmention, approved, text plain and capped. */
export function jf2Record(entry: Jf2Entry, key: string, now: string): PingbackRecord {
  const { raw } = entry;
  const author = (typeof raw.author === 'object' && raw.author !== null ? raw.author : {}) as Record<string, unknown>;
  const content = (typeof raw.content === 'object' && raw.content !== null ? raw.content : {}) as Record<string, unknown>;
  const text = cap(plainText(str(content.text) || str(raw.summary)), LIMITS.excerpt);
  const name = plainText(str(raw.name));
  const published = isoDate(raw.published);
  const record: PingbackRecord = {
    id: recordId(key, entry.source),
    source: entry.source,
    target: entry.target,
    key,
    status: 'approved',
    // A note's name is its content again: only a real title is kept.
    title: name && !text.startsWith(name.replace(/…$/, '')) ? cap(name, LIMITS.title) : '',
    excerpt: text,
    author: { name: cap(plainText(str(author.name)), LIMITS.author) },
    receivedAt: isoDate(raw['wm-received']) ?? published ?? now,
    protocol: 'webmention',
    kind: jf2Kind(entry.property),
  };
  const authorUrl = httpUrl(author.url);
  if (authorUrl) record.author.url = authorUrl;
  const photo = httpUrl(author.photo);
  if (photo) record.author.photo = photo;
  if (published) record.published = published;
  const url = httpUrl(raw.url);
  if (url && url !== entry.source) record.url = url;
  return record;
}
