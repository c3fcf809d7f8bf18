import type { Store } from '@netlify/blobs';
import { getStore } from '@netlify/blobs';
import type { PingbackRecord, PingbackStore } from '@pingback/core/receive';
import { StoreError, isRecord, keyHash, parseRecordId } from '@pingback/core/receive';

export interface BlobsStoreOptions {
  /** Blobs store name. Default "pingback". */
  name?: string;
  /** With `token`, reach the store from anywhere (the CLI); inside a Function both come from the environment. */
  siteID?: string;
  token?: string;
  apiURL?: string;
  edgeURL?: string;
  uncachedEdgeURL?: string;
  fetch?: typeof globalThis.fetch;
}

export const DEFAULT_BLOBS_STORE = 'pingback';
const READ_CONCURRENCY = 32;

const META_NAME = /^[a-z0-9][a-z0-9._-]{0,100}$/;

function wrap(what: string, error: unknown): StoreError {
  return new StoreError(`[@pingback/netlify] [blobs] ${what}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/**
 * The Netlify Blobs backend of the store. Records live at `records/<key hash>/<source hash>`, meta
 * documents at `meta/<name>`. A new record is written with `onlyIfNew` (`If-None-Match: *`), which the
 * Blobs service applies atomically: of two concurrent inserts of one pingback exactly one is stored.
 * Reads are strongly consistent. (The local Blobs server checks conditions non-atomically, so that one
 * guarantee can only be tested against the real service; see the README.)
 */
export class BlobsStore implements PingbackStore {
  private readonly options: BlobsStoreOptions;
  private opened: Store | undefined;

  constructor(options: BlobsStoreOptions = {}) {
    this.options = options;
  }

  /** Opened on first use, so a missing Blobs environment is a StoreError the receiver answers, not a crash. */
  private get blobs(): Store {
    if (this.opened) return this.opened;
    const { name = DEFAULT_BLOBS_STORE, ...rest } = this.options;
    try {
      this.opened = getStore({ name, consistency: 'strong', ...rest } as Parameters<typeof getStore>[0] & object);
    } catch (error) {
      throw wrap('cannot open the store (inside a Netlify Function the environment provides access; elsewhere pass siteID and token)', error);
    }
    return this.opened;
  }

  private static recordKey(id: string): string | null {
    const parts = parseRecordId(id);
    return parts ? `records/${parts.keyHash}/${parts.sourceHash}` : null;
  }

  private static metaKey(name: string): string {
    if (!META_NAME.test(name)) throw new StoreError(`invalid meta document name ${JSON.stringify(name.slice(0, 120))}`);
    return `meta/${name}`;
  }

  async insert(record: PingbackRecord): Promise<boolean> {
    const key = BlobsStore.recordKey(record.id);
    if (!key) throw new StoreError(`invalid record id ${JSON.stringify(record.id)}`);
    try {
      const result = await this.blobs.setJSON(key, record, { onlyIfNew: true });
      return result.modified;
    } catch (error) {
      throw wrap(`insert ${record.id}`, error);
    }
  }

  private async readJson(key: string): Promise<unknown> {
    try {
      return await this.blobs.get(key, { type: 'json' });
    } catch (error) {
      if (error instanceof SyntaxError) return null;
      throw wrap(`read ${key}`, error);
    }
  }

  async get(id: string): Promise<PingbackRecord | null> {
    const key = BlobsStore.recordKey(id);
    if (!key) return null;
    const value = await this.readJson(key);
    return isRecord(value) ? value : null;
  }

  async update(record: PingbackRecord): Promise<void> {
    const key = BlobsStore.recordKey(record.id);
    if (!key) throw new StoreError(`invalid record id ${JSON.stringify(record.id)}`);
    try {
      await this.blobs.setJSON(key, record);
    } catch (error) {
      throw wrap(`update ${record.id}`, error);
    }
  }

  async list(filter: { key?: string } = {}): Promise<PingbackRecord[]> {
    const prefix = filter.key === undefined ? 'records/' : `records/${keyHash(filter.key)}/`;
    let keys: string[];
    try {
      keys = (await this.blobs.list({ prefix })).blobs.map((b) => b.key);
    } catch (error) {
      throw wrap(`list ${prefix}`, error);
    }
    const records: PingbackRecord[] = [];
    for (let i = 0; i < keys.length; i += READ_CONCURRENCY) {
      const batch = await Promise.all(keys.slice(i, i + READ_CONCURRENCY).map((k) => this.readJson(k)));
      for (const value of batch) {
        if (isRecord(value) && (filter.key === undefined || value.key === filter.key)) records.push(value);
      }
    }
    return records;
  }

  async versions(): Promise<Map<string, string>> {
    let blobs: Array<{ key: string; etag: string }>;
    try {
      // One listing per first hex digit of the key hash, all at once: a single listing of every record
      // is answered page after page (or, on the local server, file after file), and this is what a
      // build waits for before it can read anything back.
      const shards = await Promise.all([...'0123456789abcdef'].map((digit) => this.blobs.list({ prefix: `records/${digit}` })));
      blobs = shards.flatMap((shard) => shard.blobs);
    } catch (error) {
      throw wrap('list records/', error);
    }
    const versions = new Map<string, string>();
    for (const { key, etag } of blobs) {
      const [, keyHash, sourceHash] = key.split('/');
      if (keyHash && sourceHash) versions.set(`${keyHash}-${sourceHash}`, etag);
    }
    return versions;
  }

  async getMeta<T>(name: string): Promise<T | null> {
    return (await this.readJson(BlobsStore.metaKey(name))) as T | null;
  }

  async setMeta(name: string, value: unknown): Promise<void> {
    const key = BlobsStore.metaKey(name);
    try {
      await this.blobs.setJSON(key, value);
    } catch (error) {
      throw wrap(`write ${key}`, error);
    }
  }

  async metaNames(): Promise<string[]> {
    try {
      return (await this.blobs.list({ prefix: 'meta/' })).blobs.map((b) => b.key.slice('meta/'.length)).sort();
    } catch (error) {
      throw wrap('list meta/', error);
    }
  }

  async createMeta(name: string, value: unknown): Promise<boolean> {
    const key = BlobsStore.metaKey(name);
    try {
      return (await this.blobs.setJSON(key, value, { onlyIfNew: true })).modified;
    } catch (error) {
      throw wrap(`write ${key}`, error);
    }
  }
}

export function blobsStore(options: BlobsStoreOptions = {}): BlobsStore {
  return new BlobsStore(options);
}
