import { resolve } from 'node:path';
import type { Loader } from 'astro/loaders';
import { z } from 'astro/zod';
import type { LinkbackKind, LinkbackProtocol, OnReadError, ReadResult } from '@pingback/core';
import { FileStore, LINKBACK_KINDS, LINKBACK_PROTOCOLS, readPingbacks, safeHref } from '@pingback/core';
import { getRegistry } from './registry.ts';

export interface PingbackLoaderOptions {
  /** Without the integration: the file-system store to read. Default `.pingback/store`. */
  store?: string;
  /** Without the integration: what to do when the read fails. Default `stale`. */
  onReadError?: OnReadError;
}

/** An http(s) URL, or nothing: a field that holds anything else is dropped rather than failing the build. */
const httpUrl = z
  .string()
  .refine((v) => safeHref(v) !== null)
  .optional()
  .catch(undefined);

/** The shape of one entry: a published linkback, as the read endpoint serves it. */
export const pingbackSchema = z.object({
  id: z.string(),
  source: z.string().url(),
  target: z.string(),
  key: z.string(),
  title: z.string(),
  excerpt: z.string(),
  author: z.object({ name: z.string(), url: httpUrl, photo: httpUrl }),
  published: z.string().optional(),
  lang: z.string().optional(),
  receivedAt: z.string(),
  // Absent in what an older read endpoint or cache gives: a pingback, a mention.
  protocol: z.enum(LINKBACK_PROTOCOLS as [LinkbackProtocol, ...LinkbackProtocol[]]).default('pingback'),
  kind: z.enum(LINKBACK_KINDS as [LinkbackKind, ...LinkbackKind[]]).default('mention'),
  url: httpUrl,
  updatedAt: z.string().optional(),
});

/**
 * Pingbacks as a content collection, for those who prefer `getCollection('pingbacks')`:
 *
 *   // src/content.config.ts
 *   export const collections = { pingbacks: defineCollection({ loader: pingbackLoader() }) };
 *
 * With the integration installed it reads what the integration reads (once per build); without it, the
 * file-system store.
 */
export function pingbackLoader(options: PingbackLoaderOptions = {}): Loader {
  return {
    name: '@pingback/astro/loader',
    schema: pingbackSchema,
    async load({ store, logger, parseData, generateDigest }) {
      const registry = getRegistry();
      let result: ReadResult;
      if (registry) result = await registry.read();
      else {
        const dir = options.store ?? '.pingback/store';
        result = await readPingbacks(
          { kind: 'store', store: new FileStore(resolve(dir)), label: dir },
          { cacheFile: resolve('node_modules/.cache/pingback/loader.json'), onReadError: options.onReadError ?? 'stale' },
        );
        if (result.warning) logger.warn(result.warning);
      }
      store.clear();
      for (const item of result.items) {
        const data = await parseData({ id: item.id, data: { ...item } });
        store.set({ id: item.id, data, digest: generateDigest(item) });
      }
      logger.info(`${result.items.length} pingbacks loaded`);
    },
  };
}
