import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { ResolvedIntegrationOptions } from '../build/options.ts';
import { FileStore } from '../store/file-store.ts';
import type { PingbackStore } from '../store/store.ts';
import type { ReadResult, ReadSource } from './read-pingbacks.ts';
import { readPingbacks } from './read-pingbacks.ts';

/** Opens the site's Netlify Blobs store; the integrations pass `@pingback/netlify`'s, loaded only then. */
export type OpenBlobs = (siteID: string, token: string) => Promise<PingbackStore>;

/**
 * Where a build of the site reads its pingbacks: the file-system store locally; on Netlify (whose build
 * command has no Blobs access) the site's own read endpoint, or Netlify Blobs when a site ID and token are
 * in the environment. `readFrom` overrides the choice.
 */
export async function buildReadSource(options: ResolvedIntegrationOptions, root: string, env: NodeJS.ProcessEnv, openBlobs: OpenBlobs): Promise<ReadSource> {
  const siteID = env.NETLIFY_SITE_ID ?? env.SITE_ID;
  const token = env.NETLIFY_AUTH_TOKEN;
  let from = options.readFrom;
  if (from === 'auto') from = env.NETLIFY === 'true' ? (siteID && token ? 'blobs' : 'endpoint') : 'store';
  if (from === 'blobs') {
    if (!siteID || !token) throw new Error('option `readFrom: "blobs"` needs NETLIFY_SITE_ID (or SITE_ID) and NETLIFY_AUTH_TOKEN in the environment');
    return { kind: 'store', store: await openBlobs(siteID, token), label: `Netlify Blobs of site ${siteID}` };
  }
  if (from === 'endpoint') return { kind: 'endpoint', url: new URL(options.readPath, options.site).href };
  return { kind: 'store', store: new FileStore(resolve(root, options.store)), label: options.store };
}

/** Reads once for a build, keeping the last good read in the cache folder (one file per site). */
export async function readForBuild(options: ResolvedIntegrationOptions, root: string, env: NodeJS.ProcessEnv, openBlobs: OpenBlobs): Promise<ReadResult> {
  const site = createHash('sha256').update(options.site.href).digest('hex').slice(0, 12);
  const cacheFile = resolve(root, options.cacheDir, `pingbacks-${site}.json`);
  try {
    return await readPingbacks(await buildReadSource(options, root, env, openBlobs), { cacheFile, onReadError: options.onReadError });
  } catch (error) {
    if (options.onReadError === 'fail') throw error;
    return { items: [], pending: null, from: 'nothing', stale: false, requests: 0, warning: (error as Error).message };
  }
}
