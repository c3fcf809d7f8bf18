import { describe, expect, it } from 'vitest';
import type { PingbackRecord, PingbackStore } from '@pingback/core';
import { SnapshotListing, recordId, tombstone } from '@pingback/core';

export function record(key: string, source: string, extra: Partial<PingbackRecord> = {}): PingbackRecord {
  return {
    id: recordId(key, source),
    source,
    target: `https://blog.example${key}/`,
    key,
    status: 'approved',
    title: `Title of ${source}`,
    excerpt: 'an excerpt with <markup> & "quotes" — ünïcode',
    author: { name: 'Ann Author', url: 'https://ann.example/' },
    receivedAt: new Date(Date.UTC(2026, 10, 21, 0, 0, 0)).toISOString(),
    ...extra,
  };
}

/**
 * The behaviour every PingbackStore backend must have; run once per backend. `atomicCopies: false` leaves
 * out the race of identical inserts, for a backend whose local stand-in can't prove it (Netlify's local
 * Blobs server checks `onlyIfNew` non-atomically; the service itself applies it atomically).
 */
export function storeContract(name: string, open: () => Promise<PingbackStore>, { atomicCopies = true } = {}): void {
  describe(`store contract: ${name}`, () => {
    it('inserts once per (key, source) and reads it back exactly', async () => {
      const store = await open();
      const r = record('/posts/a', 'https://s.example/1');
      expect(await store.insert(r)).toBe(true);
      expect(await store.insert({ ...r, title: 'second attempt' })).toBe(false);
      expect(await store.get(r.id)).toEqual(r);
    });

    it("lists all records or one post's", async () => {
      const store = await open();
      await store.insert(record('/posts/a', 'https://s.example/1'));
      await store.insert(record('/posts/a', 'https://s.example/2'));
      await store.insert(record('/posts/b', 'https://s.example/1'));
      expect((await store.list()).length).toBe(3);
      expect((await store.list({ key: '/posts/a' })).map((r) => r.source).sort()).toEqual(['https://s.example/1', 'https://s.example/2']);
      expect(await store.list({ key: '/posts/none' })).toEqual([]);
    });

    it('updates a record (moderation) and keeps a tombstone that still blocks a re-insert', async () => {
      const store = await open();
      const r = record('/posts/a', 'https://s.example/1', { status: 'pending' });
      await store.insert(r);
      await store.update({ ...r, status: 'approved' });
      expect((await store.get(r.id))?.status).toBe('approved');
      await store.update(tombstone(r, '2026-11-22T00:00:00.000Z'));
      expect(await store.get(r.id)).toMatchObject({ deletedAt: '2026-11-22T00:00:00.000Z', title: '', status: 'rejected' });
      expect(await store.insert(r)).toBe(false);
    });

    it('answers null for unknown ids and for ids that are not ours', async () => {
      const store = await open();
      expect(await store.get(recordId('/x', 'https://s.example/'))).toBe(null);
      expect(await store.get('../../../etc/passwd')).toBe(null);
      expect(await store.get('')).toBe(null);
    });

    it('keeps meta documents, and creates one only once', async () => {
      const store = await open();
      expect(await store.getMeta('blocklist')).toBe(null);
      await store.setMeta('blocklist', ['spam.example']);
      expect(await store.getMeta('blocklist')).toEqual(['spam.example']);
      expect(await store.createMeta('rebuild-1', { at: 1 })).toBe(true);
      expect(await store.createMeta('rebuild-1', { at: 2 })).toBe(false);
      expect(await store.getMeta('rebuild-1')).toEqual({ at: 1 });
      await expect(store.getMeta('../escape')).rejects.toThrow(/invalid meta document name/);
    });

    it('tags every record with a version that changes when the record does, and only then', async () => {
      const store = await open();
      const a = record('/posts/a', 'https://s.example/1');
      const b = record('/posts/b', 'https://s.example/2');
      await store.insert(a);
      await store.insert(b);
      const before = await store.versions!();
      expect([...before.keys()].sort()).toEqual([a.id, b.id].sort());
      expect(await store.versions!()).toEqual(before);
      // The local Blobs server derives its ETags from modification times in milliseconds.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.update({ ...a, status: 'rejected' });
      const after = await store.versions!();
      expect(after.get(a.id)).not.toBe(before.get(a.id));
      expect(after.get(b.id)).toBe(before.get(b.id));
    });

    it('serves a snapshot listing that follows later inserts and updates, across instances', async () => {
      const store = await open();
      const a = record('/posts/a', 'https://s.example/1');
      await store.insert(a);
      await store.insert(record('/posts/a', 'https://s.example/2'));
      expect(await new SnapshotListing(store).list()).toHaveLength(2);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.update({ ...a, title: 'edited' });
      await store.insert(record('/posts/b', 'https://s.example/3'));
      const fresh = await new SnapshotListing(store).list();
      expect(fresh).toHaveLength(3);
      expect(fresh.find((r) => r.id === a.id)?.title).toBe('edited');
      expect(fresh.slice().sort((x, y) => (x.id < y.id ? -1 : 1))).toEqual((await store.list()).sort((x, y) => (x.id < y.id ? -1 : 1)));
    });

    it('loses none of 200 concurrent distinct inserts', async () => {
      const store = await open();
      const records = Array.from({ length: 200 }, (_, i) => record(`/posts/${i % 20}`, `https://s.example/${i}`));
      const results = await Promise.all(records.map((r) => store.insert(r)));
      expect(results.every(Boolean)).toBe(true);
      expect((await store.list()).length).toBe(200);
    });

    if (atomicCopies) {
      it('stores exactly one of 50 concurrent copies', async () => {
        const store = await open();
        const copies = Array.from({ length: 50 }, (_, i) => record('/posts/same', 'https://s.example/same', { title: `copy ${i}` }));
        const results = await Promise.all(copies.map((r) => store.insert(r)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const stored = await store.list({ key: '/posts/same' });
        expect(stored).toHaveLength(1);
        expect(copies[results.indexOf(true)]!.title).toBe(stored[0]!.title);
      });
    }
  });
}
