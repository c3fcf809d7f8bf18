import type { PingbackRecord, PingbackStore, RecordCursor, SharedRateLimiter } from '@pingback/core';
import { StoreError, checkMetaName, isRecord, isVisible, parseRecordId } from '@pingback/core';
import { withAdvisoryLock } from './advisory-lock.ts';
import { Database } from './database.ts';
import type { PostgresStoreOptions } from './options.ts';
import { resolvePostgresOptions } from './options.ts';
import { RateWindows } from './rate-windows.ts';

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null; // only a hand-edited row can be invalid
  }
}

/**
 * The PostgreSQL backend of the store, for several receivers sharing one durable, strongly consistent
 * database. Records are rows keyed by their id, with the record itself as JSON text (kept exactly as
 * written) beside the columns the queries need; `INSERT … ON CONFLICT DO NOTHING` makes of two
 * concurrent inserts of one pingback exactly one, from any number of processes. Every write takes a
 * number from one sequence, the version tag snapshot readers compare. Beyond the store contract it
 * keeps what would otherwise live in one process or one folder: rate windows (`rateLimiter`), locks
 * (`withLock`, advisory locks) and, through its meta documents, the rebuild marks and the sent ledger.
 */
export class PostgresStore implements PingbackStore {
  readonly listsInOneQuery = true;
  private readonly db: Database;

  constructor(options: PostgresStoreOptions) {
    this.db = new Database(resolvePostgresOptions(options));
  }

  /** Where the store is, as it may be shown: the URL without its password, and the schema. */
  get label(): string {
    return this.db.label;
  }

  private get S(): string {
    return this.db.S;
  }

  private static checkId(record: PingbackRecord): void {
    if (!parseRecordId(record.id)) throw new StoreError(`invalid record id ${JSON.stringify(record.id)}`);
  }

  private static row(record: PingbackRecord): unknown[] {
    return [record.id, record.key, record.receivedAt, isVisible(record), JSON.stringify(record)];
  }

  async insert(record: PingbackRecord): Promise<boolean> {
    PostgresStore.checkId(record);
    const result = await this.db.query(
      `insert ${record.id}`,
      `insert into ${this.S}.records (id, key, received_at, visible, revision, doc)
       values ($1, $2, $3, $4, nextval('${this.S}.revision'), $5) on conflict (id) do nothing`,
      PostgresStore.row(record),
    );
    return result.rowCount === 1;
  }

  async get(id: string): Promise<PingbackRecord | null> {
    if (!parseRecordId(id)) return null;
    const { rows } = await this.db.query<{ doc: string }>(`get ${id}`, `select doc from ${this.S}.records where id = $1`, [id]);
    const value = rows[0] ? parse(rows[0].doc) : null;
    return isRecord(value) ? value : null;
  }

  async update(record: PingbackRecord): Promise<void> {
    PostgresStore.checkId(record);
    await this.db.query(
      `update ${record.id}`,
      `insert into ${this.S}.records (id, key, received_at, visible, revision, doc)
       values ($1, $2, $3, $4, nextval('${this.S}.revision'), $5)
       on conflict (id) do update set key = excluded.key, received_at = excluded.received_at, visible = excluded.visible,
         revision = excluded.revision, doc = excluded.doc`,
      PostgresStore.row(record),
    );
  }

  private static records(rows: Array<{ doc: string }>): PingbackRecord[] {
    const records: PingbackRecord[] = [];
    for (const row of rows) {
      const value = parse(row.doc);
      if (isRecord(value)) records.push(value);
    }
    return records;
  }

  async list(filter: { key?: string } = {}): Promise<PingbackRecord[]> {
    const { rows } =
      filter.key === undefined
        ? await this.db.query<{ doc: string }>('list', `select doc from ${this.S}.records`)
        : await this.db.query<{ doc: string }>('list', `select doc from ${this.S}.records where key = $1`, [filter.key]);
    return PostgresStore.records(rows);
  }

  async listVisible({ key, after, limit }: { key?: string; after?: RecordCursor; limit: number }): Promise<PingbackRecord[]> {
    const where = ['visible'];
    const values: unknown[] = [];
    if (key !== undefined) where.push(`key = $${values.push(key)}`);
    if (after) where.push(`(received_at, id) > ($${values.push(after.receivedAt)}, $${values.push(after.id)})`);
    const { rows } = await this.db.query<{ doc: string }>(
      'list visible',
      `select doc from ${this.S}.records where ${where.join(' and ')} order by received_at, id limit $${values.push(limit)}`,
      values,
    );
    return PostgresStore.records(rows);
  }

  async versions(): Promise<Map<string, string>> {
    const { rows } = await this.db.query<{ id: string; revision: string }>('versions', `select id, revision from ${this.S}.records`);
    return new Map(rows.map((r) => [r.id, String(r.revision)]));
  }

  async getMeta<T>(name: string): Promise<T | null> {
    checkMetaName(name);
    const { rows } = await this.db.query<{ doc: string }>(`read meta ${name}`, `select doc from ${this.S}.meta where name = $1`, [name]);
    return rows[0] ? (parse(rows[0].doc) as T | null) : null;
  }

  async setMeta(name: string, value: unknown): Promise<void> {
    checkMetaName(name);
    await this.db.query(
      `write meta ${name}`,
      `insert into ${this.S}.meta (name, doc, revision) values ($1, $2, nextval('${this.S}.revision'))
       on conflict (name) do update set doc = excluded.doc, revision = excluded.revision`,
      [name, JSON.stringify(value)],
    );
  }

  async createMeta(name: string, value: unknown): Promise<boolean> {
    checkMetaName(name);
    const result = await this.db.query(
      `create meta ${name}`,
      `insert into ${this.S}.meta (name, doc, revision) values ($1, $2, nextval('${this.S}.revision')) on conflict (name) do nothing`,
      [name, JSON.stringify(value)],
    );
    return result.rowCount === 1;
  }

  async metaNames(): Promise<string[]> {
    const { rows } = await this.db.query<{ name: string }>('list meta', `select name from ${this.S}.meta order by name`);
    return rows.map((r) => r.name);
  }

  rateLimiter(limit: number, windowMs: number): SharedRateLimiter {
    return new RateWindows(this.db, limit, windowMs);
  }

  withLock<T>(name: string, fn: () => Promise<T>, options: { waitMs?: number } = {}): Promise<T> {
    return withAdvisoryLock(this.db, name, fn, options.waitMs);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** The store at `url` with the default options; what the CLI, the integrations and the Function load. */
export function openPostgresStore(url: string): PostgresStore {
  return new PostgresStore({ url });
}
