import { StoreError } from '@pingback/core';
import type { Database } from './database.ts';
import { storeError } from './database.ts';

/** As long as a file lock waits (@pingback/core's file-lock): a send run that holds it ends well before. */
export const LOCK_WAIT_MS = 45_000;
const QUERY_CANCELED = '57014';

/**
 * Runs `fn` holding a session-level advisory lock on a connection of its own. The lock lives as long as
 * that session: a holder that is killed, or whose connection drops, releases it with the session, so
 * there is never a stale lock to break (the file lock's hardest part). Waiting is bounded by a
 * statement timeout on the lock call itself, after which the call fails with a `StoreError`.
 */
export async function withAdvisoryLock<T>(db: Database, name: string, fn: () => Promise<T>, waitMs = LOCK_WAIT_MS): Promise<T> {
  const key = `pingback-lock/${db.schema}/${name}`;
  const client = await db.connect(`lock ${name}`);
  let broken: Error | undefined;
  // Errors of a connection we hold would otherwise reach no listener and end the process.
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    try {
      await client.query("select set_config('statement_timeout', $1, false)", [String(waitMs)]);
      // The pool's client-side read timeout is for ordinary statements; this one may wait much longer.
      const lockCall = { text: 'select pg_advisory_lock(hashtextextended($1, 0))', values: [key], query_timeout: waitMs + 2000 };
      await client.query(lockCall);
      await client.query("select set_config('statement_timeout', $1, false)", [String(db.statementTimeoutMs)]);
    } catch (error) {
      broken ??= error as Error;
      if ((error as { code?: string }).code === QUERY_CANCELED) {
        throw new StoreError(
          `[@pingback/postgres] the lock "${name}" has been held by another process for over ${Math.round(waitMs / 1000)} s; it is released when that process ends`,
          { cause: error },
        );
      }
      throw storeError(`lock ${name}`, error);
    }
    try {
      return await fn();
    } finally {
      await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch((error: Error) => (broken ??= error));
    }
  } finally {
    client.off('error', onError);
    // A session whose state is unknown is closed, not pooled: closing it releases any lock it still holds.
    client.release(broken);
  }
}
