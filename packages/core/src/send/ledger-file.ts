import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../store/atomic-file.ts';
import { withFileLock } from '../store/file-lock.ts';
import type { Ledger, LedgerEntry, PostEntry } from './ledger.ts';
import { isLedgerEntry, isPostEntry, ledgerKey } from './ledger.ts';

interface LedgerDocument {
  version: 1;
  entries: LedgerEntry[];
  posts?: PostEntry[];
}

interface Loaded {
  entries: Map<string, LedgerEntry>;
  posts: Map<string, PostEntry>;
}

// The file ledger merges concurrent writers by lastAt and ages posts by lastSeenAt: entries without them are skipped.
const isEntry = (value: unknown): value is LedgerEntry => isLedgerEntry(value) && typeof value.lastAt === 'string';
const isPost = (value: unknown): value is PostEntry => isPostEntry(value) && typeof value.lastSeenAt === 'string';

async function load(path: string): Promise<Loaded> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: new Map(), posts: new Map() };
    throw error;
  }
  let doc: LedgerDocument;
  try {
    doc = JSON.parse(text) as LedgerDocument;
  } catch (error) {
    throw new Error(
      `[@pingback/core] [ledger] ${path} is not valid JSON; fix or delete it (deleting re-sends pings, receivers answer 48 for those they have)`,
      { cause: error },
    );
  }
  const entries = new Map<string, LedgerEntry>();
  for (const entry of Array.isArray(doc?.entries) ? doc.entries : []) {
    if (isEntry(entry)) entries.set(ledgerKey(entry.source, entry.target), entry);
  }
  const posts = new Map<string, PostEntry>();
  for (const post of Array.isArray(doc?.posts) ? doc.posts : []) if (isPost(post)) posts.set(post.source, post);
  return { entries, posts };
}

/**
 * The sent-ping ledger as one JSON file (`.pingback/ledger.json` by default). Every put is written soon
 * after (writes coalesce while one is in flight), atomically, and merged with what is on disk by
 * last-attempt time, so an interrupted run loses at most the write in flight and two runs sharing the
 * file keep each other's entries.
 */
export class FileLedger implements Ledger {
  readonly path: string;
  private entries: Map<string, LedgerEntry>;
  private posts: Map<string, PostEntry>;
  private readonly dirty = new Set<string>();
  private readonly dirtyPosts = new Set<string>();
  private writing: Promise<void> | null = null;
  private again = false;

  private constructor(path: string, loaded: Loaded) {
    this.path = path;
    this.entries = loaded.entries;
    this.posts = loaded.posts;
  }

  static async open(path: string): Promise<FileLedger> {
    return new FileLedger(path, await load(path));
  }

  getPost(source: string): PostEntry | undefined {
    return this.posts.get(source);
  }

  putPost(entry: PostEntry): void {
    this.posts.set(entry.source, entry);
    this.dirtyPosts.add(entry.source);
    this.schedule();
  }

  get size(): number {
    return this.entries.size;
  }

  all(): LedgerEntry[] {
    return [...this.entries.values()];
  }

  get(source: string, target: string): LedgerEntry | undefined {
    return this.entries.get(ledgerKey(source, target));
  }

  put(entry: LedgerEntry): void {
    const key = ledgerKey(entry.source, entry.target);
    this.entries.set(key, entry);
    this.dirty.add(key);
    this.schedule();
  }

  private schedule(): void {
    if (this.writing) {
      this.again = true;
      return;
    }
    this.writing = this.write().finally(() => {
      this.writing = null;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    });
    // A failed background write is reported by flush(); don't crash the process here.
    this.writing.catch(() => {});
  }

  private async write(): Promise<void> {
    const mine = new Map(this.entries);
    const minePosts = new Map(this.posts);
    const written = new Set(this.dirty);
    const writtenPosts = new Set(this.dirtyPosts);
    this.dirty.clear();
    this.dirtyPosts.clear();
    await withFileLock(this.path, async () => {
      const onDisk = await load(this.path);
      for (const [key, theirs] of onDisk.entries) {
        const ours = mine.get(key);
        if (!ours || (!written.has(key) && theirs.lastAt > ours.lastAt)) mine.set(key, theirs);
      }
      for (const [key, theirs] of onDisk.posts) {
        const ours = minePosts.get(key);
        if (!ours || (!writtenPosts.has(key) && theirs.lastSeenAt > ours.lastSeenAt)) minePosts.set(key, theirs);
      }
      const entries = [...mine.values()].sort((a, b) => (a.source === b.source ? (a.target < b.target ? -1 : 1) : a.source < b.source ? -1 : 1));
      const posts = [...minePosts.values()].sort((a, b) => (a.source < b.source ? -1 : 1));
      const doc: LedgerDocument = { version: 1, entries, posts };
      await writeFileAtomic(this.path, `${JSON.stringify(doc, null, 2)}\n`);
    });
    for (const [key, entry] of mine) if (!this.dirty.has(key)) this.entries.set(key, entry);
    for (const [key, post] of minePosts) if (!this.dirtyPosts.has(key)) this.posts.set(key, post);
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.dirty.size > 0 || this.dirtyPosts.size > 0) {
      this.schedule();
      await this.flush();
    }
  }
}
