import type { PingbackRecord } from './record.ts';
import { parseRecordId } from './record.ts';
import type { PingbackStore } from './store.ts';
import { checkMetaName } from './store.ts';

const copy = <T>(value: T): T => structuredClone(value);

/** A store in memory: for tests and one-off runs. */
export class MemoryStore implements PingbackStore {
  readonly records = new Map<string, PingbackRecord>();
  readonly meta = new Map<string, unknown>();
  private readonly tags = new Map<string, number>();
  private writes = 0;

  async insert(record: PingbackRecord): Promise<boolean> {
    if (this.records.has(record.id)) return false;
    this.records.set(record.id, copy(record));
    this.tags.set(record.id, ++this.writes);
    return true;
  }

  async get(id: string): Promise<PingbackRecord | null> {
    if (!parseRecordId(id)) return null;
    const record = this.records.get(id);
    return record ? copy(record) : null;
  }

  async update(record: PingbackRecord): Promise<void> {
    this.records.set(record.id, copy(record));
    this.tags.set(record.id, ++this.writes);
  }

  async versions(): Promise<Map<string, string>> {
    return new Map([...this.records.keys()].map((id) => [id, String(this.tags.get(id) ?? 0)]));
  }

  async list(filter: { key?: string } = {}): Promise<PingbackRecord[]> {
    const all = [...this.records.values()].map(copy);
    return filter.key === undefined ? all : all.filter((r) => r.key === filter.key);
  }

  async getMeta<T>(name: string): Promise<T | null> {
    checkMetaName(name);
    return this.meta.has(name) ? copy(this.meta.get(name) as T) : null;
  }

  async setMeta(name: string, value: unknown): Promise<void> {
    checkMetaName(name);
    this.meta.set(name, copy(value));
  }

  async metaNames(): Promise<string[]> {
    return [...this.meta.keys()].sort();
  }

  async createMeta(name: string, value: unknown): Promise<boolean> {
    checkMetaName(name);
    if (this.meta.has(name)) return false;
    this.meta.set(name, copy(value));
    return true;
  }
}
