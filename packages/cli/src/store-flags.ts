import { resolve } from 'node:path';
import type { PingbackStore } from '@pingback/core';
import { FileStore, isDatabaseUrl, openDatabaseStore, redactUrl } from '@pingback/core';
import type { FlagSpec, Parsed } from './args.ts';
import { UsageError } from './args.ts';
import type { Io } from './io.ts';

/**
 * Flags that choose the store: the file-system store by default, PostgreSQL with a postgres:// URL, Netlify
 * Blobs with a site ID and token.
 */
export const STORE_FLAGS: Record<string, FlagSpec> = {
  store: {
    type: 'string',
    value: 'DIR|URL',
    description: 'File-system store folder (default .pingback/store), or a postgres:// URL (or PINGBACK_DATABASE_URL).',
  },
  'site-id': { type: 'string', value: 'ID', description: 'Use the Netlify Blobs store of this site (or NETLIFY_SITE_ID).' },
  token: { type: 'string', value: 'TOKEN', description: 'Netlify personal access token for Blobs (or NETLIFY_AUTH_TOKEN).' },
  'blobs-url': {
    type: 'string',
    value: 'URL',
    description: "With --site-id: a Blobs server other than Netlify's API, e.g. the local one `netlify dev` runs.",
  },
};

export const DEFAULT_STORE_DIR = '.pingback/store';

/** `blobs:SITE_ID` or `blobs:SITE_ID/STORE`: a Netlify Blobs store, wherever a store location is written. */
const BLOBS_LOCATION = /^blobs:([^/\s]+)(?:\/([^/\s]+))?$/;

export interface OpenedStore {
  store: PingbackStore;
  /** Where it is, as it may be shown (no password, no token). */
  where: string;
}

/** A PostgreSQL store, loading @pingback/postgres only now: nobody who never names a database installs a driver. */
export async function openDatabase(url: string, option: string): Promise<OpenedStore> {
  return { store: await openDatabaseStore(url, option, () => import('@pingback/postgres')), where: redactUrl(url) };
}

async function openBlobs(siteID: string, token: string | undefined, name: string | undefined, flags: Parsed['flags']): Promise<OpenedStore> {
  if (!token) throw new UsageError('Netlify Blobs needs --token (or NETLIFY_AUTH_TOKEN)');
  const { blobsStore } = await import('@pingback/netlify');
  const url = flags['blobs-url'] as string | undefined;
  if (url !== undefined && !URL.canParse(url)) throw new UsageError('--blobs-url must be an absolute URL');
  const endpoint = url === undefined ? {} : { edgeURL: url, uncachedEdgeURL: url };
  return {
    store: blobsStore({ siteID, token, ...(name ? { name } : {}), ...endpoint }),
    where: `Netlify Blobs store "${name ?? 'pingback'}" of site ${siteID}`,
  };
}

/**
 * A store from a location as the user writes it: a folder, a postgres:// URL, or `blobs:SITE_ID[/STORE]`
 * (the token from --token or NETLIFY_AUTH_TOKEN, the server from --blobs-url). `option` names the flag
 * in messages.
 */
export async function openLocation(location: string, option: string, flags: Parsed['flags'], io: Io): Promise<OpenedStore> {
  if (isDatabaseUrl(location)) return openDatabase(location, option);
  const blobs = BLOBS_LOCATION.exec(location);
  if (blobs) return openBlobs(blobs[1]!, (flags.token as string | undefined) ?? io.env.NETLIFY_AUTH_TOKEN, blobs[2], flags);
  const dir = resolve(location);
  return { store: new FileStore(dir), where: dir };
}

export async function openStore(flags: Parsed['flags'], io: Io): Promise<OpenedStore> {
  const siteID = (flags['site-id'] as string | undefined) ?? io.env.NETLIFY_SITE_ID;
  const token = (flags.token as string | undefined) ?? io.env.NETLIFY_AUTH_TOKEN;
  const store = flags.store as string | undefined;
  const blobsFlags = flags['site-id'] !== undefined || flags.token !== undefined;
  if (store === undefined && !blobsFlags && io.env.PINGBACK_DATABASE_URL) return openDatabase(io.env.PINGBACK_DATABASE_URL, 'PINGBACK_DATABASE_URL');
  if (blobsFlags || (siteID && token && store === undefined)) {
    if (!siteID || !token) throw new UsageError('Netlify Blobs needs both --site-id (or NETLIFY_SITE_ID) and --token (or NETLIFY_AUTH_TOKEN)');
    return openBlobs(siteID, token, undefined, flags);
  }
  return openLocation(store ?? DEFAULT_STORE_DIR, '--store', flags, io);
}

/** Runs `fn` on the store the flags choose, and closes it after (a database's connections). */
export async function withStore<T>(flags: Parsed['flags'], io: Io, fn: (opened: OpenedStore) => Promise<T>): Promise<T> {
  const opened = await openStore(flags, io);
  try {
    return await fn(opened);
  } finally {
    await opened.store.close?.();
  }
}
