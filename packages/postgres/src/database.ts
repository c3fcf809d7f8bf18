import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import { StoreError, redactUrl } from '@pingback/core';
import type { ResolvedPostgresOptions } from './options.ts';
import { migrate, quoted } from './schema.ts';

/** How much longer than the server's statement timeout the client waits for an answer at all. */
const CLIENT_GRACE_MS = 2000;

export function storeError(what: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const message = (error as Error)?.message || String(error);
  return new StoreError(`[@pingback/postgres] ${what}: ${message}`, { cause: error });
}

/**
 * One bounded pool of connections to one database schema. Every query goes through `query`, which
 * migrates the schema on first use (again after a failure, so a database that was down is picked up
 * when it is back, with no restart) and turns every failure into a `StoreError`: fault 50 for a sender,
 * a message for a user, never a crash. Every value is a query parameter; the schema name, the one
 * identifier, is checked before it is quoted into the text.
 */
export class Database {
  readonly schema: string;
  /** The quoted schema, for query texts. */
  readonly S: string;
  /** The URL as it may be shown: no password. */
  readonly label: string;
  readonly statementTimeoutMs: number;
  private readonly pool: pg.Pool;
  private ready: Promise<void> | null = null;
  private closed = false;

  constructor(options: ResolvedPostgresOptions) {
    this.schema = options.schema;
    this.S = quoted(options.schema);
    this.label = `${redactUrl(options.connectionString)} (schema ${options.schema})`;
    this.statementTimeoutMs = options.statementTimeoutMs;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections,
      connectionTimeoutMillis: options.connectTimeoutMs,
      statement_timeout: options.statementTimeoutMs,
      query_timeout: options.statementTimeoutMs + CLIENT_GRACE_MS,
      idleTimeoutMillis: 10_000,
      keepAlive: true,
      application_name: 'pingback',
      // A command that is done (pingback list) exits without waiting for idle connections to time out.
      allowExitOnIdle: true,
    });
    // An idle connection the server closed (a restart, an administrator) is dropped by the pool; without
    // a listener its error would end the process.
    this.pool.on('error', (error) => options.onIdleError(error));
  }

  private migrated(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('[@pingback/postgres] the store was closed'));
    this.ready ??= migrate(this.pool, this.schema).catch((error: unknown) => {
      this.ready = null;
      throw storeError(`could not prepare schema ${this.schema} at ${this.label}`, error);
    });
    return this.ready;
  }

  async query<R extends QueryResultRow>(what: string, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    await this.migrated();
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw storeError(what, error);
    }
  }

  /** A connection of its own, for work that must stay on one session (a lock); the caller releases it. */
  async connect(what: string): Promise<PoolClient> {
    await this.migrated();
    try {
      return await this.pool.connect();
    } catch (error) {
      throw storeError(what, error);
    }
  }

  /** Waits for queries in flight and closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
