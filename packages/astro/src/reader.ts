import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { ReadResult, ReadSource, ResolvedIntegrationOptions } from '@pingback/core';
import { FileStore, readPingbacks } from '@pingback/core';

/**
 * Where a build of this site reads its pingbacks: the file-system store locally; on Netlify (whose build
 * command has no Blobs access) the site's own read endpoint, or Netlify Blobs when a site ID and token are
 * in the environment.
 */
export async function readSource(options: ResolvedIntegrationOptions, root: string, env: NodeJS.ProcessEnv): Promise<ReadSource> {
  const siteID = env.NETLIFY_SITE_ID ?? env.SITE_ID;
  const token = env.NETLIFY_AUTH_TOKEN;
  let from = options.readFrom;
  if (from === 'auto') from = env.NETLIFY === 'true' ? (siteID && token ? 'blobs' : 'endpoint') : 'store';
  if (from === 'blobs') {
    if (!siteID || !token) throw new Error('[@pingback/astro] option `readFrom: "blobs"` needs NETLIFY_SITE_ID (or SITE_ID) and NETLIFY_AUTH_TOKEN in the environment');
    const { BlobsStore } = await import('@pingback/netlify');
    return { kind: 'store', store: new BlobsStore({ siteID, token }), label: `Netlify Blobs of site ${siteID}` };
  }
  if (from === 'endpoint') return { kind: 'endpoint', url: new URL(options.readPath, options.site).href };
  return { kind: 'store', store: new FileStore(resolve(root, options.store)), label: options.store };
}

export function cacheFile(options: ResolvedIntegrationOptions, root: string): string {
  const site = createHash('sha256').update(options.site.href).digest('hex').slice(0, 12);
  return resolve(root, options.cacheDir, `pingbacks-${site}.json`);
}

export async function readForBuild(options: ResolvedIntegrationOptions, root: string, env: NodeJS.ProcessEnv): Promise<ReadResult> {
  const source = await readSource(options, root, env);
  return readPingbacks(source, { cacheFile: cacheFile(options, root), onReadError: options.onReadError });
}
