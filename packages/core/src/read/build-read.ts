import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { ResolvedIntegrationOptions } from '../build/options.ts';
import { FileStore } from '../store/file-store.ts';
import { databaseUrlFromEnv, isDatabaseUrl, redactUrl } from '../store/store-location.ts';
import type { PingbackStore } from '../store/store.ts';
import type { ReadResult, ReadSource } from './read-pingbacks.ts';
import { readPingbacks } from './read-pingbacks.ts';

/** Opens the site's Netlify Blobs store; the integrations pass `@pingback/netlify`'s, loaded only then. */
export type OpenBlobs = (siteID: string, token: string) => Promise<PingbackStore>;
/** Opens a PostgreSQL store; the integrations pass one that loads `@pingback/postgres` only then. */
export type OpenDatabase = (url: string) => Promise<PingbackStore>;

/**
 * Where a build of the site reads its pingbacks: the database when one is named (the `store` option as a
 * postgres:// URL, `PINGBACK_DATABASE_URL`, or `NETLIFY_DATABASE_URL` with `database`), else the
 * file-system store locally; on Netlify (whose build command has no Blobs access) the site's own read
 * endpoint, or Netlify Blobs when a site ID and token are in the environment. `readFrom` overrides the choice.
 */
export async function buildReadSource(
  options: ResolvedIntegrationOptions,
  root: string,
  env: NodeJS.ProcessEnv,
  openBlobs: OpenBlobs,
  openDatabase?: OpenDatabase,
): Promise<ReadSource> {
  const siteID = env.NETLIFY_SITE_ID ?? env.SITE_ID;
  const token = env.NETLIFY_AUTH_TOKEN;
  const databaseUrl = isDatabaseUrl(options.store) ? options.store : databaseUrlFromEnv(env, options.database);
  let from = options.readFrom;
  if (from === 'auto') from = databaseUrl ? 'store' : env.NETLIFY === 'true' ? (siteID && token ? 'blobs' : 'endpoint') : 'store';
  if (from === 'store' && databaseUrl) {
    if (!openDatabase) throw new Error('reading pingbacks from PostgreSQL needs the integration to pass `openDatabase`');
    return { kind: 'store', store: await openDatabase(databaseUrl), label: redactUrl(databaseUrl) };
  }
  if (options.database && from === 'store') {
    throw new Error('option `database` is on, but neither PINGBACK_DATABASE_URL nor NETLIFY_DATABASE_URL is set; set one, or give `store` a postgres:// URL');
  }
  if (from === 'blobs') {
    if (!siteID || !token) throw new Error('option `readFrom: "blobs"` needs NETLIFY_SITE_ID (or SITE_ID) and NETLIFY_AUTH_TOKEN in the environment');
    return { kind: 'store', store: await openBlobs(siteID, token), label: `Netlify Blobs of site ${siteID}` };
  }
  if (from === 'endpoint') return { kind: 'endpoint', url: new URL(options.readPath, options.site).href };
  return { kind: 'store', store: new FileStore(resolve(root, options.store)), label: options.store };
}

/** Reads once for a build, keeping the last good read in the cache folder (one file per site). */
export async function readForBuild(
  options: ResolvedIntegrationOptions,
  root: string,
  env: NodeJS.ProcessEnv,
  openBlobs: OpenBlobs,
  openDatabase?: OpenDatabase,
): Promise<ReadResult> {
  const site = createHash('sha256').update(options.site.href).digest('hex').slice(0, 12);
  const cacheFile = resolve(root, options.cacheDir, `pingbacks-${site}.json`);
  try {
    const source = await buildReadSource(options, root, env, openBlobs, openDatabase);
    try {
      return await readPingbacks(source, { cacheFile, onReadError: options.onReadError, keepInBackground: true });
    } finally {
      // A database's connections: the build goes on without them.
      if (source.kind === 'store') await source.store.close?.();
    }
  } catch (error) {
    if (options.onReadError === 'fail') throw error;
    return { items: [], pending: null, from: 'nothing', stale: false, requests: 0, warning: (error as Error).message };
  }
}
