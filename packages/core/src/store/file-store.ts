import { readFile, readdir, stat } from 'node:fs/promises';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createFileExclusive, sweepTempFiles, writeFileAtomic } from './atomic-file.ts';
import type { PingbackRecord } from './record.ts';
import { isRecord, keyHash, parseRecordId } from './record.ts';
import type { PingbackStore } from './store.ts';
import { StoreError, checkMetaName } from './store.ts';

const READ_CONCURRENCY = 64;
/**
 * The file-system store (the embedded default, `.pingback/store/`): one JSON file per record under
 * `records/<key hash>/<source hash>.json`, meta documents under `meta/`. A new record is written in full
 * and flushed, then linked into place (see `createFileExclusive`), so of two racing inserts exactly one
 * wins and no partial record ever exists, even if the process is killed mid-write. Updates replace files
 * by atomic rename, so a reader sees the old record or the new, never a mix.
 */
export class FileStore implements PingbackStore {
  readonly dir: string;
  /** Folders known to exist: each costs one mkdir per process, not one per write. */
  private readonly made = new Set<string>();

  constructor(dir: string) {
    this.dir = dir;
  }

  private recordPath(id: string): string | null {
    const parts = parseRecordId(id);
    return parts ? join(this.dir, 'records', parts.keyHash, `${parts.sourceHash}.json`) : null;
  }

  private ensureDir(dir: string): void {
    if (this.made.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.made.add(dir);
  }

  /**
   * The store's own folder for temporary files, swept of a killed process's leftovers on first use. It
   * lives in the store because neither a hard link nor a rename can cross file systems.
   */
  private async tmpDir(): Promise<string> {
    const tmpDir = join(this.dir, 'tmp');
    if (!this.made.has(tmpDir)) {
      this.ensureDir(tmpDir);
      await sweepTempFiles(tmpDir);
    }
    return tmpDir;
  }

  private async createExclusive(path: string, data: string): Promise<boolean> {
    try {
      const tmpDir = await this.tmpDir();
      this.ensureDir(dirname(path));
      return await createFileExclusive(path, tmpDir, data);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') this.made.clear(); // a folder was removed under us
      throw new StoreError(`could not write ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  async insert(record: PingbackRecord): Promise<boolean> {
    const path = this.recordPath(record.id);
    if (!path) throw new StoreError(`invalid record id ${JSON.stringify(record.id)}`);
    return this.createExclusive(path, `${JSON.stringify(record)}\n`);
  }

  private async readJson(path: string): Promise<unknown> {
    // Most lookups are misses (a new ping): a stat is far cheaper than a read that throws ENOENT.
    if (!existsSync(path)) return null;
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
      await writeFileAtomic(path, `${JSON.stringify(record)}\n`, await this.tmpDir());
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

  async versions(): Promise<Map<string, string>> {
    const root = join(this.dir, 'records');
    const versions = new Map<string, string>();
    for (const folder of await this.listDir(root)) {
      const files = (await this.listDir(join(root, folder))).filter((f) => f.endsWith('.json'));
      const stats = await Promise.all(files.map((f) => stat(join(root, folder, f)).catch(() => null)));
      files.forEach((file, i) => {
        const s = stats[i];
        // An update renames a new file into place, so the inode alone changes with every write; time and
        // size guard against an inode number being reused.
        if (s) versions.set(`${folder}-${file.slice(0, -5)}`, `${s.ino}:${s.mtimeMs}:${s.size}`);
      });
    }
    return versions;
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
      await writeFileAtomic(path, `${JSON.stringify(value)}\n`, await this.tmpDir());
    } catch (error) {
      throw new StoreError(`could not write ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  async metaNames(): Promise<string[]> {
    return (await this.listDir(join(this.dir, 'meta')))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
  }

  async createMeta(name: string, value: unknown): Promise<boolean> {
    return this.createExclusive(this.metaPath(name), `${JSON.stringify(value)}\n`);
  }
}
