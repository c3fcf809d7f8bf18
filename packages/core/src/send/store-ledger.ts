import { createHash } from 'node:crypto';
import type { Ledger, LedgerEntry, PostEntry } from './ledger.ts';
import { isLedgerEntry, isPostEntry } from './ledger.ts';
import type { PingbackStore } from '../store/store.ts';

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 20);

/**
 * The sent-ping ledger kept in a store (Netlify Blobs in the deploy-succeeded handler): one document per
 * (source, target) and one per post, so two overlapping deploys updating it never overwrite each other's
 * entries. Reads are remembered for the life of the object: one run asks the store once per pair.
 */
export class StoreLedger implements Ledger {
  private readonly store: PingbackStore;
  private readonly seen = new Map<string, unknown>();

  constructor(store: PingbackStore) {
    this.store = store;
  }

  private async read(name: string): Promise<unknown> {
    if (!this.seen.has(name)) this.seen.set(name, await this.store.getMeta(name));
    return this.seen.get(name);
  }

  private async write(name: string, value: unknown): Promise<void> {
    await this.store.setMeta(name, value);
    this.seen.set(name, value);
  }

  async get(source: string, target: string): Promise<LedgerEntry | undefined> {
    const value = await this.read(`ledger-${hash(source)}-${hash(target)}`);
    return isLedgerEntry(value) ? value : undefined;
  }

  put(entry: LedgerEntry): Promise<void> {
    return this.write(`ledger-${hash(entry.source)}-${hash(entry.target)}`, entry);
  }

  async getPost(source: string): Promise<PostEntry | undefined> {
    const value = await this.read(`ledger-post-${hash(source)}`);
    return isPostEntry(value) ? value : undefined;
  }

  putPost(entry: PostEntry): Promise<void> {
    return this.write(`ledger-post-${hash(entry.source)}`, entry);
  }
}
