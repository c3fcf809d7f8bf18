import type { Pool } from 'pg';

/**
 * The schema, as numbered migrations: each runs once per database schema, in order, inside one
 * transaction with the version bump, so a schema is always at exactly one version. Never edit a
 * migration that has shipped; add the next one. `S` stands for the quoted schema name (checked to be a
 * plain identifier before it gets here: identifiers can't be query parameters).
 */
const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  // 1: records (the truth), meta documents, rate windows.
  (S) => `
    create sequence ${S}.revision;
    create table ${S}.records (
      id text collate "C" primary key,
      key text collate "C" not null,
      received_at text collate "C" not null,
      visible boolean not null,
      revision bigint not null,
      doc text not null
    );
    -- One post's records, and its read endpoint pages, in (received_at, id) order.
    create index records_key on ${S}.records (key, received_at, id);
    -- The whole site's read endpoint pages and the builds' reads: the visible records only.
    create index records_visible on ${S}.records (received_at, id) where visible;
    create table ${S}.meta (
      name text collate "C" primary key,
      doc text not null,
      revision bigint not null
    );
    -- One row per (scope, client address or source host): the times of the hits in the current window.
    create table ${S}.rate_windows (
      key text collate "C" primary key,
      hits bigint[] not null,
      touched bigint not null
    );
    create index rate_windows_touched on ${S}.rate_windows (touched);
    -- One hit, decided and counted under the row's lock: exact whatever the number of receivers. Answers 0
    -- when the hit is allowed, else the time the oldest hit leaves the window: till then every answer is no.
    create function ${S}.rate_allow(p_key text, p_now bigint, p_window bigint, p_limit int) returns bigint
    language plpgsql as $$
    declare
      v_hits bigint[];
      v_recent bigint[];
    begin
      -- Creates the row or locks the one there, in one statement: callers for one key take turns here.
      insert into ${S}.rate_windows as w (key, hits, touched) values (p_key, '{}', p_now)
        on conflict (key) do update set touched = greatest(w.touched, p_now)
        returning w.hits into v_hits;
      v_recent := array(select t from unnest(v_hits) as t where t > p_now - p_window order by t);
      if cardinality(v_recent) >= p_limit then
        update ${S}.rate_windows set hits = v_recent where key = p_key;
        return v_recent[cardinality(v_recent) - p_limit + 1] + p_window;
      end if;
      update ${S}.rate_windows set hits = v_recent || p_now where key = p_key;
      return 0;
    end
    $$;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Lower case, digits and underscores: a schema name that needs no quoting rules beyond the quotes. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function quoted(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  return `"${schema}"`;
}

/**
 * Brings the schema to the current version, idempotently and safely from several processes at once:
 * a transaction-scoped advisory lock (keyed by the schema's name, so it needs nothing to exist yet)
 * makes the second wait for the first, then find nothing left to do. A schema newer than this code is
 * refused rather than used.
 */
export async function migrate(pool: Pool, schema: string): Promise<void> {
  const S = quoted(schema);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`pingback-migrate/${schema}`]);
    await client.query(`create schema if not exists ${S}`);
    await client.query(`create table if not exists ${S}.schema_version (version int not null, migrated_at timestamptz not null default now())`);
    const { rows } = await client.query<{ version: number }>(`select max(version) as version from ${S}.schema_version`);
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(`schema ${schema} is at version ${current}, newer than this @pingback/postgres knows (${SCHEMA_VERSION}); upgrade the package`);
    }
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
      await client.query(MIGRATIONS[version - 1]!(S));
      await client.query(`insert into ${S}.schema_version (version) values ($1)`, [version]);
    }
    await client.query('commit');
  } catch (error) {
    // A connection that can't even roll back is not given back to the pool.
    await client.query('rollback').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}
