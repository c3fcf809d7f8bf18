import type { PingbackRecord, PingbackStore } from '@pingback/core';
import { recordId } from '@pingback/core';
import { pool } from '../test/support/pool.ts';

/** Record `i` of a bench's store: an approved reply to one of `posts` posts of `site`, from one of 300 writers. */
export function benchRecord(site: string, i: number, posts: number): PingbackRecord {
  const key = `/posts/p${i % posts}`;
  const source = `https://writer${i % 300}.example/replies/${i}/`;
  return {
    id: recordId(key, source),
    source,
    target: `${site}posts/p${i % posts}/`,
    key,
    status: 'approved',
    title: `A reply, number ${i}, to post ${i % posts}`,
    excerpt: `[…] as ${site}posts/p${i % posts}/ argues, the web works best when pages talk to each other; here is why I half agree, with an example or two from my own notes […]`,
    author: { name: `Writer ${i % 300}`, url: `https://writer${i % 300}.example/` },
    published: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    lang: 'en',
    receivedAt: new Date(Date.UTC(2026, 0, 1) + i * 61_000).toISOString(),
  };
}

/** Inserts `records` into `store`, 32 at a time. */
export async function fill(store: PingbackStore, records: readonly PingbackRecord[]): Promise<void> {
  await pool(records, 32, (r) => store.insert(r));
}
