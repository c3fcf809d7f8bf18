import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { canonicalKey } from '../site/canonical.ts';
import type { PingbackRecord } from '../store/record.ts';
import { LINKBACK_PROTOCOLS } from '../store/record.ts';
import type { PingbackStore } from '../store/store.ts';
import { JF2_MAX_BYTES, jf2Entry, jf2Record, parseJf2 } from './jf2.ts';
import { ImportError } from './import-error.ts';
import type { Match, MatchVia, PostMatcher } from './match.ts';
import { wxrRecord, wxrSkip } from './wxr-records.ts';
import type { WxrPost, WxrReadResult } from './wxr.ts';
import { readWxr } from './wxr.ts';

/**
 * Imports a WordPress export or a webmention.io export into a store, as records of the posts of the new
 * site they belong to. Nothing half-done: the file is read to its end and checked before the first write,
 * so a file that is not well-formed, truncated or not what it claims fails with nothing stored. Idempotent:
 * each record is inserted only if its id (post key, source) is absent, so importing a file again adds
 * nothing, and a re-import after fixing the map adds only what was missing. Nothing is sent anywhere.
 */
export interface ImportOptions {
  store: PingbackStore;
  matcher: PostMatcher;
  /** WordPress: import approved comments too (pingbacks and trackbacks always). */
  comments?: boolean;
  /** Read, match and count, and tell what would be stored; store nothing. */
  dryRun?: boolean;
  /** The file's name in messages. */
  where?: string;
  clock?: Clock;
  /** Inserts in flight at once (a remote store answers each in its own time). Default 16. */
  concurrency?: number;
}

export interface UnmatchedPost {
  /** The old permalink (WordPress) or the target (webmention.io). */
  url: string;
  title?: string;
  slug?: string;
  reason: Extract<Match, { key: null }>['reason'];
  /** Keys that share the slug, or the key a map line names that is not a post. */
  candidates?: string[];
  /** Linkbacks of it that would have been imported. */
  items: number;
}

export interface ImportReport {
  format: 'wordpress' | 'webmention-io';
  dryRun: boolean;
  /** Posts and pages in the export (WordPress) or distinct targets (webmention.io), and how they matched. */
  posts: { seen: number; matched: number; unmatched: number; via: Partial<Record<MatchVia, number>> };
  /** Stored now (with `dryRun`: that would be), by protocol. */
  imported: Record<string, number>;
  /** Already in the store (an earlier import, or received live): left as they are. */
  alreadyStored: number;
  /** Not imported, by reason; `unmatched` counts items of unmatched posts. */
  skipped: Record<string, number>;
  /** Items of other post types (attachments, menu items, …) by type: never imported. */
  otherPostTypes: Record<string, number>;
  unmatched: UnmatchedPost[];
  /** Old paths matched to posts at other paths: old key → post key. Written as aliases, so they keep receiving. */
  aliases: Record<string, string>;
  /** WordPress: bare `&` in author URLs escaped so that the file could be read (WordPress writes them so). */
  repairedAmpersands?: number;
}

const IMPORTED_POST_TYPES = new Set(['post', 'page']);

/** Counts by protocol in the one order of `LINKBACK_PROTOCOLS`, whatever order the inserts finished in. */
const byProtocol = (counts: Record<string, number>): Record<string, number> =>
  Object.fromEntries(LINKBACK_PROTOCOLS.filter((p) => counts[p]).map((p) => [p, counts[p]!]));

const bump = (counts: Record<string, number>, name: string, by = 1) => {
  counts[name] = (counts[name] ?? 0) + by;
};

/** Inserts with a bounded number in flight; `inserted`/`already` count the outcomes. */
class Inserter {
  private readonly pending = new Set<Promise<void>>();
  inserted: Record<string, number> = {};
  already = 0;

  private readonly store: PingbackStore;
  private readonly limit: number;
  private readonly dryRun: boolean;

  constructor(store: PingbackStore, limit: number, dryRun: boolean) {
    this.store = store;
    this.limit = limit;
    this.dryRun = dryRun;
  }

  async add(record: PingbackRecord): Promise<void> {
    while (this.pending.size >= this.limit) await Promise.race(this.pending);
    const task = (async () => {
      const stored = this.dryRun ? (await this.store.get(record.id)) === null : await this.store.insert(record);
      if (stored) bump(this.inserted, record.protocol ?? 'pingback');
      else this.already++;
    })();
    const tracked = task.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  async done(): Promise<void> {
    await Promise.all(this.pending);
  }
}

function emptyReport(format: ImportReport['format'], dryRun: boolean): ImportReport {
  return {
    format,
    dryRun,
    posts: { seen: 0, matched: 0, unmatched: 0, via: {} },
    imported: {},
    alreadyStored: 0,
    skipped: {},
    otherPostTypes: {},
    unmatched: [],
    aliases: {},
  };
}

/** Records an old permalink matched to a post at another path as an alias of that post. */
function noteAlias(report: ImportReport, matcher: PostMatcher, oldUrl: string, match: Match): void {
  if (match.key === null || match.via === 'redirect' || match.via === 'same-path') return;
  const url = URL.parse(oldUrl);
  if (!url || url.search.length > 1) return;
  const oldKey = canonicalKey(url);
  if (oldKey !== match.key && oldKey !== '/' && !matcher.isPage(oldKey)) report.aliases[oldKey] = match.key;
}

/**
 * One pass over a WordPress export: what each comment becomes, in file order. `onRecord` sees every
 * record that is to be stored; the report counts everything else.
 */
async function wxrPass(
  open: () => AsyncIterable<Uint8Array>,
  options: ImportOptions,
  now: string,
  report: ImportReport,
  onRecord: (record: PingbackRecord | null) => Promise<void>,
  build = true,
): Promise<void> {
  const { matcher } = options;
  const where = options.where ?? 'the export';
  let blogUrl = '';
  let current: { post: WxrPost; match: Match } | null = null;
  let wouldImport = 0;
  const matchOf = (post: WxrPost): Match => {
    if (current && current.post.id === post.id && current.post.link === post.link) return current.match;
    current = { post, match: matcher.match(post.link, post.name) };
    wouldImport = 0;
    return current.match;
  };
  const read: WxrReadResult = { repairedAmpersands: 0 };
  for await (const event of readWxr(open(), where, undefined, read)) {
    if (event.kind === 'site') {
      blogUrl = event.url;
      continue;
    }
    const { post } = event;
    if (!IMPORTED_POST_TYPES.has(post.type)) {
      if (event.kind === 'post') bump(report.otherPostTypes, post.type || '(none)');
      else bump(report.skipped, 'not-a-post-or-page');
      continue;
    }
    const match = matchOf(post);
    if (event.kind === 'post') {
      report.posts.seen++;
      if (match.key === null) {
        report.posts.unmatched++;
        const row: UnmatchedPost = { url: post.link, title: post.title, slug: post.name, reason: match.reason, items: wouldImport };
        if (match.candidates) row.candidates = match.candidates;
        report.unmatched.push(row);
        if (wouldImport) bump(report.skipped, 'unmatched', wouldImport);
      } else {
        report.posts.matched++;
        bump(report.posts.via, match.via);
        noteAlias(report, matcher, post.link, match);
      }
      current = null;
      continue;
    }
    const comments = options.comments === true;
    // The checking pass needs only the decision; the record is made when it is to be stored.
    const skip = wxrSkip(event.comment, comments);
    if (skip) bump(report.skipped, skip);
    else if (match.key === null) wouldImport++;
    else if (!build) await onRecord(null);
    else {
      const result = wxrRecord({ comment: event.comment, target: post.link, key: match.key, blogUrl, comments, now });
      if ('record' in result) await onRecord(result.record);
    }
  }
  if (read.repairedAmpersands) report.repairedAmpersands = read.repairedAmpersands;
}

export async function importWordPress(open: () => AsyncIterable<Uint8Array>, options: ImportOptions): Promise<ImportReport> {
  const now = new Date((options.clock ?? systemClock).now()).toISOString();
  const dryRun = options.dryRun === true;
  const inserter = new Inserter(options.store, options.concurrency ?? 16, true);
  // First pass: read and check the whole file, and count. Nothing is written unless it all reads.
  const checked = emptyReport('wordpress', dryRun);
  let toStore = 0;
  await wxrPass(
    open,
    options,
    now,
    checked,
    async (record) => {
      toStore++;
      if (record) await inserter.add(record);
    },
    dryRun,
  );
  if (dryRun) {
    await inserter.done();
    checked.imported = byProtocol(inserter.inserted);
    checked.alreadyStored = inserter.already;
    return checked;
  }
  // Second pass: the same decisions again, this time stored.
  const report = emptyReport('wordpress', false);
  const writer = new Inserter(options.store, options.concurrency ?? 16, false);
  let stored = 0;
  await wxrPass(open, options, now, report, async (record) => {
    stored++;
    await writer.add(record!);
  });
  await writer.done();
  if (stored !== toStore)
    throw new ImportError(
      `${options.where ?? 'the export'} changed while it was being imported (${toStore} linkbacks on the first reading, ${stored} on the second); what was stored is complete for the second reading. Run the import again.`,
    );
  report.imported = byProtocol(writer.inserted);
  report.alreadyStored = writer.already;
  return report;
}

/** Imports webmention.io's JF2 export (read whole: it is refused past `JF2_MAX_BYTES`). */
export async function importWebmentionIo(text: string, options: ImportOptions): Promise<ImportReport> {
  const where = options.where ?? 'the export';
  if (text.length > JF2_MAX_BYTES)
    throw new ImportError(`${where} is larger than ${JF2_MAX_BYTES / 1024 / 1024} MiB; webmention.io's exports are far smaller. Is it the right file?`);
  const now = new Date((options.clock ?? systemClock).now()).toISOString();
  const dryRun = options.dryRun === true;
  const report = emptyReport('webmention-io', dryRun);
  const entries = parseJf2(text, where);
  const inserter = new Inserter(options.store, options.concurrency ?? 16, dryRun);
  const targets = new Map<string, { match: Match; row?: UnmatchedPost }>();
  for (const value of entries) {
    const entry = jf2Entry(value);
    if ('skip' in entry) {
      bump(report.skipped, entry.skip);
      continue;
    }
    const id = canonicalKey(entry.target);
    let seen = targets.get(id);
    if (!seen) {
      const match = options.matcher.match(entry.target);
      seen = { match };
      targets.set(id, seen);
      report.posts.seen++;
      if (match.key === null) {
        report.posts.unmatched++;
        seen.row = { url: entry.target, reason: match.reason, items: 0 };
        if (match.candidates) seen.row.candidates = match.candidates;
        report.unmatched.push(seen.row);
      } else {
        report.posts.matched++;
        bump(report.posts.via, match.via);
        noteAlias(report, options.matcher, entry.target, match);
      }
    }
    if (seen.match.key === null) {
      seen.row!.items++;
      bump(report.skipped, 'unmatched');
      continue;
    }
    await inserter.add(jf2Record(entry, seen.match.key, now));
  }
  await inserter.done();
  report.imported = byProtocol(inserter.inserted);
  report.alreadyStored = inserter.already;
  return report;
}
