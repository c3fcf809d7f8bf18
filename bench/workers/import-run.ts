// A child process of `pnpm bench importing`: one run in a fresh process, so that its peak resident memory
// is its own. `read FILE` reads the file's chunks and nothing more (the baseline); `import FILE POSTS`
// imports it with comments into a store that counts and keeps nothing (the importer's own cost, and its
// own memory); `store FILE POSTS DIR` imports it into the file-system store at DIR.
import { createReadStream } from 'node:fs';
import type { PingbackRecord, PingbackStore } from '@pingback/core';
import { FileStore, PostMatcher, importWordPress } from '@pingback/core';
import { postSlug } from '../generate-wxr.ts';
import { peakRss } from './peak-rss.ts';

const [mode, file, posts, dir] = process.argv.slice(2) as [string, string, string, string | undefined];
const open = () => createReadStream(file, { highWaterMark: 256 * 1024 });

/** Takes every record and keeps none: what an import costs without a store's own work. */
class CountingStore {
  inserted = 0;
  async insert(_record: PingbackRecord): Promise<boolean> {
    this.inserted++;
    return true;
  }
  async get(): Promise<null> {
    return null;
  }
}

const started = performance.now();
let records = 0;
if (mode === 'read') {
  for await (const chunk of open()) records += chunk.length > 0 ? 0 : 1;
} else {
  const pages = Array.from({ length: Number(posts) }, (_, i) => `/posts/${postSlug(i)}`);
  const store = mode === 'store' ? new FileStore(dir!) : (new CountingStore() as unknown as PingbackStore);
  const report = await importWordPress(open, { store, matcher: new PostMatcher({ pages, posts: [] }), comments: true });
  records = Object.values(report.imported).reduce((a, b) => a + b, 0);
}
const ms = performance.now() - started;
process.send!({ ms, records, maxRss: peakRss() });
