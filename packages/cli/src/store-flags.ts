import { resolve } from 'node:path';
import type { PingbackStore } from '@pingback/core';
import { FileStore } from '@pingback/core';
import type { FlagSpec, Parsed } from './args.ts';
import { UsageError } from './args.ts';
import type { Io } from './io.ts';

/** Flags that choose the store: the file-system store by default, Netlify Blobs with a site ID and token. */
export const STORE_FLAGS: Record<string, FlagSpec> = {
  store: { type: 'string', value: 'DIR', description: 'File-system store folder (default .pingback/store).' },
  'site-id': { type: 'string', value: 'ID', description: 'Use the Netlify Blobs store of this site (or NETLIFY_SITE_ID).' },
  token: { type: 'string', value: 'TOKEN', description: 'Netlify personal access token for Blobs (or NETLIFY_AUTH_TOKEN).' },
  'blobs-url': {
    type: 'string',
    value: 'URL',
    description: "With --site-id: a Blobs server other than Netlify's API, e.g. the local one `netlify dev` runs.",
  },
};

export const DEFAULT_STORE_DIR = '.pingback/store';

export async function openStore(flags: Parsed['flags'], io: Io): Promise<{ store: PingbackStore; where: string }> {
  const siteID = (flags['site-id'] as string | undefined) ?? io.env.NETLIFY_SITE_ID;
  const token = (flags.token as string | undefined) ?? io.env.NETLIFY_AUTH_TOKEN;
  if (flags['site-id'] !== undefined || flags.token !== undefined || (siteID && token && flags.store === undefined)) {
    if (!siteID || !token) throw new UsageError('Netlify Blobs needs both --site-id (or NETLIFY_SITE_ID) and --token (or NETLIFY_AUTH_TOKEN)');
    const { blobsStore } = await import('@pingback/netlify');
    const url = flags['blobs-url'] as string | undefined;
    if (url !== undefined && !URL.canParse(url)) throw new UsageError('--blobs-url must be an absolute URL');
    const endpoint = url === undefined ? {} : { edgeURL: url, uncachedEdgeURL: url };
    return { store: blobsStore({ siteID, token, ...endpoint }), where: `Netlify Blobs store "pingback" of site ${siteID}` };
  }
  const dir = resolve((flags.store as string | undefined) ?? DEFAULT_STORE_DIR);
  return { store: new FileStore(dir), where: dir };
}
