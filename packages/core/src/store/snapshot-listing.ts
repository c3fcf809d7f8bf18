import type { PingbackRecord } from './record.ts';
import { isRecord } from './record.ts';
import type { PingbackStore } from './store.ts';

/** The meta document that keeps the snapshot between processes (a build, a cold Function instance). */
export const SNAPSHOT_META = 'listing-snapshot';
const FETCH_CONCURRENCY = 32;

/**
 * Bytes of records the snapshot keeps in memory between reads (about 40,000 typical pingbacks). Past it
 * nothing is kept between reads: each read starts again from the snapshot saved in the store.
 */
export const SNAPSHOT_MAX_BYTES = 32 * 1024 * 1024;

/** About what a record costs in memory: its strings, and the objects around them. */
function recordBytes(record: PingbackRecord): number {
  let bytes = 400 + record.id.length + record.source.length + record.target.length + record.key.length;
  bytes += (record.title?.length ?? 0) + (record.excerpt?.length ?? 0) + (record.author?.name.length ?? 0) + (record.author?.url?.length ?? 0);
  return bytes;
}

interface SnapshotDocument {
  version: 1;
  /** [record id, version tag, record]. */
  entries: [string, string, PingbackRecord][];
}

function isSnapshot(value: unknown): value is SnapshotDocument {
  const doc = value as SnapshotDocument;
  return typeof doc === 'object' && doc !== null && doc.version === 1 && Array.isArray(doc.entries);
}

/**
 * Every record of a store, read the cheap way: a snapshot of all records, kept in memory and in a meta
 * document, refreshed by comparing it with the store's version tags (one listing) and fetching only the
 * records whose tag changed. Reading back 10,000 pingbacks from Netlify Blobs then costs a listing and a
 * snapshot, not 10,000 reads, on every page of the read endpoint and on every build. Records stay the
 * truth: the snapshot is a cache, rebuilt from them when missing or unreadable. What stays in memory
 * between reads is bounded by `maxBytes`; the records the store no longer has are dropped on each refresh.
 */
export class SnapshotListing {
  private readonly store: PingbackStore;
  private readonly maxBytes: number;
  private entries: Map<string, { tag: string; record: PingbackRecord }> | null = null;
  private refreshing: Promise<PingbackRecord[]> | null = null;
  private refreshedAt = Number.NEGATIVE_INFINITY;

  constructor(store: PingbackStore, maxBytes = SNAPSHOT_MAX_BYTES) {
    this.store = store;
    this.maxBytes = maxBytes;
  }

  /** Records kept in memory between reads. */
  get size(): number {
    return this.entries?.size ?? 0;
  }

  /**
   * Every record, tombstones included, as `store.list()` gives them. Concurrent calls share one refresh;
   * with `maxAgeMs`, a snapshot refreshed that recently is used as it is (the later pages of one read).
   */
  async list({ maxAgeMs = 0 }: { maxAgeMs?: number } = {}): Promise<PingbackRecord[]> {
    // A database lists everything in one query: a snapshot would only add a large meta document to keep.
    if (!this.store.versions || this.store.listsInOneQuery) return this.store.list();
    if (this.entries && !this.refreshing && Date.now() - this.refreshedAt < maxAgeMs) {
      return [...this.entries.values()].map((e) => e.record);
    }
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refresh(): Promise<PingbackRecord[]> {
    let changed = false;
    // The tags are read before the records they describe: a record changing in between is fetched in
    // its newer state under the older tag, and so fetched again next time, never kept stale. The saved
    // snapshot is read meanwhile: on Blobs both are round trips, and the listing is the slow one.
    const listedAt = Date.now();
    const [versions, saved] = await Promise.all([this.store.versions!(), this.entries ? null : this.store.getMeta<unknown>(SNAPSHOT_META)]);
    if (!this.entries) {
      this.entries = new Map(isSnapshot(saved) ? saved.entries.filter(([, , r]) => isRecord(r)).map(([id, tag, record]) => [id, { tag, record }]) : []);
      changed = !isSnapshot(saved);
    }
    const entries = this.entries;
    for (const id of entries.keys()) {
      if (!versions.has(id)) {
        entries.delete(id);
        changed = true;
      }
    }
    const stale = [...versions].filter(([id, tag]) => entries.get(id)?.tag !== tag);
    for (let i = 0; i < stale.length; i += FETCH_CONCURRENCY) {
      const batch = stale.slice(i, i + FETCH_CONCURRENCY);
      const fetched = await Promise.all(batch.map(([id]) => this.store.get(id)));
      batch.forEach(([id, tag], j) => {
        const record = fetched[j];
        if (record) entries.set(id, { tag, record });
        else entries.delete(id);
      });
      changed = true;
    }
    if (changed) {
      const doc: SnapshotDocument = { version: 1, entries: [...entries].map(([id, { tag, record }]) => [id, tag, record]) };
      // Only a cache: failing to keep it costs the next reader time, not correctness.
      await this.store.setMeta(SNAPSHOT_META, doc).catch(() => {});
    }
    this.refreshedAt = listedAt;
    const records = [...entries.values()].map((e) => e.record);
    let bytes = 0;
    for (const record of records) bytes += recordBytes(record);
    if (bytes > this.maxBytes) this.entries = null;
    return records;
  }
}
