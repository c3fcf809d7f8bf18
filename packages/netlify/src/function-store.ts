import type { PingbackStore, PostgresModule } from '@pingback/core/receive';
import { StoreError, databaseUrlFromEnv, openDatabaseStore } from '@pingback/core/receive';
import { BlobsStore } from './blobs-store.ts';
import type { FunctionSettings } from './settings.ts';

// A Function's console is its host's log: Netlify keeps what it prints with the invocation.
// biome-ignore-start lint/suspicious/noConsole: the Function's one logger
export const consoleLogger = {
  info: (m: string) => console.log(m),
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};
// biome-ignore-end lint/suspicious/noConsole: the Function's one logger

async function loadPostgres(): Promise<PostgresModule> {
  // Inside try on purpose: a bundler (Netlify's esbuild) then leaves a missing @pingback/postgres to fail
  // here at run time, if ever used, instead of failing every site's build that doesn't install it.
  try {
    return await import('@pingback/postgres');
  } catch (error) {
    // biome-ignore lint/complexity/noUselessCatch: the try is what the bundler needs to see (above).
    throw error;
  }
}

/** A store whose every call fails with `error`: the receiver answers fault 50 (503 when reading), and logs why. */
function failingStore(error: unknown): PingbackStore {
  const fail = async (): Promise<never> => {
    throw error instanceof StoreError ? error : new StoreError(`[@pingback/netlify] ${(error as Error).message}`, { cause: error });
  };
  return { insert: fail, get: fail, update: fail, list: fail, getMeta: fail, setMeta: fail, createMeta: fail };
}

/** The site's store for a Function: its PostgreSQL database when one is set, else its Blobs store. */
export async function openStore(settings: FunctionSettings): Promise<PingbackStore> {
  const url = databaseUrlFromEnv(process.env, settings.database === true);
  try {
    if (url) return await openDatabaseStore(url, 'PINGBACK_DATABASE_URL', loadPostgres);
    if (settings.database) {
      throw new StoreError(
        "[@pingback/netlify] the setting `database` is on, but neither PINGBACK_DATABASE_URL nor NETLIFY_DATABASE_URL is set in the site's environment",
      );
    }
  } catch (error) {
    consoleLogger.error(`[pingback] store: ${(error as Error).message}`);
    return failingStore(error);
  }
  return new BlobsStore(settings.storeName ? { name: settings.storeName } : {});
}

/**
 * Runs a handler on the store given, or on one opened for it and closed after (a database's connections
 * must not outlive the invocation). No lock is taken: as over Blobs, the ledger keeps one document per
 * pair, and a frozen or killed serverless instance must never be able to hold one.
 */
export async function withStore<T>(settings: FunctionSettings, given: PingbackStore | undefined, fn: (store: PingbackStore) => Promise<T>): Promise<T> {
  if (given) return fn(given);
  const store = await openStore(settings);
  try {
    return await fn(store);
  } finally {
    await store.close?.();
  }
}
