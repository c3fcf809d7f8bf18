import { PingbackOptionError, isDatabaseUrl } from '@pingback/core';
import { SCHEMA_NAME } from './schema.ts';

export interface PostgresStoreOptions {
  /**
   * The database: `postgres://user:password@host:port/database`, with the driver's usual parameters
   * (`sslmode`, `host=/run/postgresql` for a socket, …) and one of ours, `schema`.
   */
  url: string;
  /**
   * The schema that holds the tables, created if missing. Default `pingback`, or the URL's `schema`
   * parameter. Sites sharing one database each take a schema of their own.
   */
  schema?: string;
  /** Connections this process opens at most. Default 10. */
  maxConnections?: number;
  /**
   * How long a call waits for a connection, from the pool or a new one, before it fails: a full pool or a
   * database that doesn't answer costs this, then a `StoreError`. Default 10000 ms, the receiver's own
   * deadline for a store call.
   */
  connectTimeoutMs?: number;
  /** How long one statement may run before the database cancels it, freeing its connection. Default 5000 ms. */
  statementTimeoutMs?: number;
  /** Hears of errors on idle connections (the database restarting): those are dropped and replaced on next use. */
  onIdleError?: (error: Error) => void;
}

export const POSTGRES_DEFAULTS = {
  schema: 'pingback',
  maxConnections: 10,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 5000,
} as const;

export interface ResolvedPostgresOptions {
  /** The URL given to the driver: ours without our own parameter. */
  connectionString: string;
  schema: string;
  maxConnections: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  onIdleError: (error: Error) => void;
}

const KNOWN = ['url', 'schema', 'maxConnections', 'connectTimeoutMs', 'statementTimeoutMs', 'onIdleError'];

function positive(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new PingbackOptionError(option, `must be a whole number above 0, got ${JSON.stringify(value)}`, `Leave it out for the default (${fallback}).`);
  }
  return value;
}

/** Splits our `schema` parameter off the URL; the driver reads every other parameter itself. */
function splitSchema(url: string): { connectionString: string; schema: string | undefined } {
  const q = url.indexOf('?');
  if (q < 0) return { connectionString: url, schema: undefined };
  const params = new URLSearchParams(url.slice(q + 1));
  const schema = params.get('schema') ?? undefined;
  params.delete('schema');
  const rest = params.toString();
  return { connectionString: `${url.slice(0, q)}${rest ? `?${rest}` : ''}`, schema };
}

/** Validates the options once, at construction, naming the option and the fix. */
export function resolvePostgresOptions(options: PostgresStoreOptions): ResolvedPostgresOptions {
  if (typeof options !== 'object' || options === null) {
    throw new PingbackOptionError('(options)', 'must be an object', 'Pass { url: "postgres://…" }.');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) throw new PingbackOptionError(key, 'is not an option of the PostgreSQL store', `Known options: ${KNOWN.join(', ')}.`);
  }
  if (typeof options.url !== 'string' || !isDatabaseUrl(options.url)) {
    throw new PingbackOptionError('url', 'must be a postgres:// or postgresql:// URL', 'Write e.g. "postgres://user:password@db.example:5432/pingbacks".');
  }
  const { connectionString, schema: fromUrl } = splitSchema(options.url.trim());
  const schema = options.schema ?? fromUrl ?? POSTGRES_DEFAULTS.schema;
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new PingbackOptionError(
      'schema',
      `must be a lower-case name of letters, digits and underscores, got ${JSON.stringify(schema)}`,
      'Write e.g. "pingback" or "site_blog_example".',
    );
  }
  if (options.onIdleError !== undefined && typeof options.onIdleError !== 'function') {
    throw new PingbackOptionError('onIdleError', 'must be a function', 'Pass (error) => log(error), or leave it out.');
  }
  return {
    connectionString,
    schema,
    maxConnections: positive('maxConnections', options.maxConnections, POSTGRES_DEFAULTS.maxConnections),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, POSTGRES_DEFAULTS.connectTimeoutMs),
    statementTimeoutMs: positive('statementTimeoutMs', options.statementTimeoutMs, POSTGRES_DEFAULTS.statementTimeoutMs),
    onIdleError: options.onIdleError ?? (() => {}),
  };
}
