import { link, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeTempFile } from '../atomic-file.ts';
import type { PingbackRecord } from './record.ts';
import { isRecord, keyHash, parseRecordId } from './record.ts';
import type { PingbackStore } from './store.ts';
import { StoreError, checkMetaName } from './store.ts';

const READ_CONCURRENCY = 64;

/**
 * The file-system store (the embedded default, `.pingback/store/`): one JSON file per record under
 * `records/<key hash>/<source hash>.json`, meta documents under `meta/`. A new record is written in full to
 * a temporary file, flushed, then hard-linked into place: `link` fails if the name exists, so of two
 * racing inserts exactly one wins, across processes too, and no reader ever sees a partial file, even if
 * the process is killed mid-write. Updates replace files by atomic rename.
 */
export class FileStore implements PingbackStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private recordPath(id: string): string | null {
    const parts = parseRecordId(id);
    return parts ? join(this.dir, 'records', parts.keyHash, `${parts.sourceHash}.json`) : null;
  }

  private async writeTemp(data: string): Promise<string> {
    // In the store itself: a hard link can't cross file systems.
    const tmpDir = join(this.dir, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    return writeTempFile(tmpDir, data);
  }

  private async createExclusive(path: string, data: string): Promise<boolean> {
    let temp: string;
    try {
      temp = await this.writeTemp(data);
    } catch (error) {
      throw new StoreError(`could not write a temporary file in ${this.dir}: ${(error as Error).message}`, { cause: error });
    }
    try {
      await mkdir(join(path, '..'), { recursive: true });
      await link(temp, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new StoreError(`could not write ${path}: ${(error as Error).message}`, { cause: error });
    } finally {
      await rm(temp, { force: true });
    }
  }

  async insert(record: PingbackRecord): Promise<boolean> {
    const path = this.recordPath(record.id);
    if (!path) throw new StoreError(`invalid record id ${JSON.stringify(record.id)}`);
    return this.createExclusive(path, `${JSON.stringify(record)}\n`);
  }

  private async readJson(path: string): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StoreError(`could not read ${path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      return JSON.parse(text);
    } catch {
      // Only a hand-edited file can be invalid: we never expose a partial one.
      return null;
    }
  }

  async get(id: string): Promise<PingbackRecord | null> {
    const path = this.recordPath(id);
    if (!path) return null;
    const value = await this.readJson(path);
    return isRecord(value) ? value : null;
  }

  async update(record: PingbackRecord): Promise<void> {
    const path = this.recordPath(record.id);
    if (!path) throw new StoreError(`invalid record id ${JSON.stringify(record.id)}`);
    try {
      await writeFileAtomic(path, `${JSON.stringify(record)}\n`);
    } catch (error) {
      throw new StoreError(`could not write ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  private async listDir(path: string): Promise<string[]> {
    try {
      return await readdir(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StoreError(`could not list ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  async list(filter: { key?: string } = {}): Promise<PingbackRecord[]> {
    const root = join(this.dir, 'records');
    const folders = filter.key === undefined ? await this.listDir(root) : [keyHash(filter.key)];
    const paths: string[] = [];
    for (const folder of folders) {
      for (const file of await this.listDir(join(root, folder))) {
        if (file.endsWith('.json')) paths.push(join(root, folder, file));
      }
    }
    const records: PingbackRecord[] = [];
    for (let i = 0; i < paths.length; i += READ_CONCURRENCY) {
      const batch = await Promise.all(paths.slice(i, i + READ_CONCURRENCY).map((p) => this.readJson(p)));
      for (const value of batch) {
        if (isRecord(value) && (filter.key === undefined || value.key === filter.key)) records.push(value);
      }
    }
    return records;
  }

  private metaPath(name: string): string {
    checkMetaName(name);
    return join(this.dir, 'meta', `${name}.json`);
  }

  async getMeta<T>(name: string): Promise<T | null> {
    return (await this.readJson(this.metaPath(name))) as T | null;
  }

  async setMeta(name: string, value: unknown): Promise<void> {
    const path = this.metaPath(name);
    try {
      await writeFileAtomic(path, `${JSON.stringify(value)}\n`);
    } catch (error) {
      throw new StoreError(`could not write ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  async createMeta(name: string, value: unknown): Promise<boolean> {
    return this.createExclusive(this.metaPath(name), `${JSON.stringify(value)}\n`);
  }
}
