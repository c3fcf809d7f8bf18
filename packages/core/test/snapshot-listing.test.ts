import { describe, expect, it } from 'vitest';
import { record } from '../../../test/support/store-contract.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import type { PingbackRecord } from '../src/store/record.ts';
import { SNAPSHOT_META, SnapshotListing } from '../src/store/snapshot-listing.ts';
import type { PingbackStore } from '../src/store/store.ts';

/** A memory store that counts each kind of call, as a remote store would count requests. */
class CountingStore extends MemoryStore {
  calls: Record<string, number> = {};
  failSetMeta = false;
  private count(name: string) {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
  }
  override async get(id: string) {
    this.count('get');
    return super.get(id);
  }
  override async list(filter?: { key?: string }) {
    this.count('list');
    return super.list(filter);
  }
  override async versions() {
    this.count('versions');
    return super.versions();
  }
  override async getMeta<T>(name: string) {
    this.count('getMeta');
    return super.getMeta<T>(name);
  }
  override async setMeta(name: string, value: unknown) {
    this.count('setMeta');
    if (this.failSetMeta) throw new Error('store refused the write');
    return super.setMeta(name, value);
  }
  reset() {
    this.calls = {};
  }
}

async function filled(n: number): Promise<{ store: CountingStore; records: PingbackRecord[] }> {
  const store = new CountingStore();
  const records = Array.from({ length: n }, (_, i) => record(`/posts/${i % 10}`, `https://s.example/${i}`));
  for (const r of records) await store.insert(r);
  return { store, records };
}

const byId = (records: PingbackRecord[]) => records.slice().sort((a, b) => (a.id < b.id ? -1 : 1));

describe('SnapshotListing', () => {
  it('builds the snapshot once, with one read per record, and keeps it in the store', async () => {
    const { store, records } = await filled(50);
    store.reset();
    expect(byId(await new SnapshotListing(store).list())).toEqual(byId(records));
    expect(store.calls).toEqual({ getMeta: 1, versions: 1, get: 50, setMeta: 1 });
    expect(store.meta.has(SNAPSHOT_META)).toBe(true);
  });

  it('lets a fresh instance (a new build, a cold Function) read it back with two calls', async () => {
    const { store, records } = await filled(50);
    await new SnapshotListing(store).list();
    store.reset();
    expect(byId(await new SnapshotListing(store).list())).toEqual(byId(records));
    expect(store.calls).toEqual({ getMeta: 1, versions: 1 });
  });

  it('fetches only what changed since, and sees it', async () => {
    const { store, records } = await filled(50);
    const listing = new SnapshotListing(store);
    await listing.list();
    await store.update({ ...records[3]!, title: 'edited' });
    const added = record('/posts/new', 'https://s.example/new');
    await store.insert(added);
    store.reset();
    const after = await listing.list();
    expect(store.calls).toEqual({ versions: 1, get: 2, setMeta: 1 });
    expect(after).toHaveLength(51);
    expect(after.find((r) => r.id === records[3]!.id)?.title).toBe('edited');
    expect(after.find((r) => r.id === added.id)).toEqual(added);
  });

  it('drops records the store no longer has', async () => {
    const { store, records } = await filled(5);
    const listing = new SnapshotListing(store);
    await listing.list();
    store.records.delete(records[0]!.id);
    expect((await listing.list()).map((r) => r.id)).not.toContain(records[0]!.id);
    expect(await new SnapshotListing(store).list()).toHaveLength(4);
  });

  it('reuses a recent refresh when told it may (the later pages of one read), and refreshes otherwise', async () => {
    const { store } = await filled(5);
    const listing = new SnapshotListing(store);
    await listing.list();
    await store.insert(record('/posts/new', 'https://s.example/new'));
    store.reset();
    expect(await listing.list({ maxAgeMs: 60_000 })).toHaveLength(5);
    expect(store.calls).toEqual({});
    expect(await listing.list()).toHaveLength(6);
    expect(store.calls.versions).toBe(1);
  });

  it('shares one refresh between concurrent readers', async () => {
    const { store } = await filled(20);
    store.reset();
    const listing = new SnapshotListing(store);
    const results = await Promise.all([listing.list(), listing.list(), listing.list()]);
    expect(results.map((r) => r.length)).toEqual([20, 20, 20]);
    expect(store.calls).toEqual({ getMeta: 1, versions: 1, get: 20, setMeta: 1 });
  });

  it('rebuilds from the records when the kept snapshot is unreadable', async () => {
    const { store, records } = await filled(5);
    await store.setMeta(SNAPSHOT_META, { version: 99, whatever: true });
    store.reset();
    expect(byId(await new SnapshotListing(store).list())).toEqual(byId(records));
    expect(store.calls.get).toBe(5);
  });

  it('still answers when the snapshot cannot be kept', async () => {
    const { store, records } = await filled(5);
    store.failSetMeta = true;
    expect(byId(await new SnapshotListing(store).list())).toEqual(byId(records));
  });

  it('falls back to a plain listing on a store without version tags', async () => {
    const plain: PingbackStore = new MemoryStore();
    Object.defineProperty(plain, 'versions', { value: undefined });
    await plain.insert(record('/posts/a', 'https://s.example/1'));
    expect(await new SnapshotListing(plain).list()).toHaveLength(1);
    expect(await plain.getMeta(SNAPSHOT_META)).toBeNull();
  });
});
