import { PingbackOptionError } from '../errors.ts';
import type { PingbackStore } from './store.ts';

/** `postgres://` and `postgresql://` URLs name a PostgreSQL database: the `@pingback/postgres` store. */
export function isDatabaseUrl(value: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(value.trim());
}

/** A URL as it may be shown: without its password, in the userinfo or a `password` parameter. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** What `@pingback/postgres` offers its loaders, described here so that core needs no dependency on it. */
export interface PostgresModule {
  openPostgresStore(url: string): PingbackStore;
}

/** The environment variables a database URL is read from, in order; see `databaseUrlFromEnv`. */
export const DATABASE_URL_ENV = ['PINGBACK_DATABASE_URL', 'NETLIFY_DATABASE_URL'] as const;

/**
 * The database URL in the environment: `PINGBACK_DATABASE_URL` always counts; `NETLIFY_DATABASE_URL`
 * (Netlify Database) only when `useNetlifyDatabase` says so, since a site may have that database for
 * something else, and moving its pingbacks there unasked would hide the ones kept in Blobs.
 */
export function databaseUrlFromEnv(env: NodeJS.ProcessEnv, useNetlifyDatabase: boolean): string | undefined {
  const own = env.PINGBACK_DATABASE_URL?.trim();
  if (own) return own;
  const netlify = env.NETLIFY_DATABASE_URL?.trim();
  return useNetlifyDatabase && netlify ? netlify : undefined;
}

/**
 * Opens the PostgreSQL store at `url` through `load`, the caller's own `() => import('@pingback/postgres')`
 * (written in the caller's package so that it resolves from there, and loaded only when a database URL
 * is given: nobody else installs a database driver). A missing package is an option error that names
 * `option` and says what to install.
 */
export async function openDatabaseStore(url: string, option: string, load: () => Promise<PostgresModule>): Promise<PingbackStore> {
  let module: PostgresModule;
  try {
    module = await load();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new PingbackOptionError(
        option,
        `is a PostgreSQL URL (${redactUrl(url)}), but the package @pingback/postgres could not be loaded (${(error as Error).message.split('\n')[0]})`,
        'Install it beside this one: npm install @pingback/postgres',
      );
    }
    throw error;
  }
  return module.openPostgresStore(url);
}
