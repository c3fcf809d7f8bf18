import type { PublicPingback } from '@pingback/core/render';
import { groupByKey } from '@pingback/core/render';

export const DATA_MODULE = 'virtual:@pingback/astro/data';
const RESOLVED = `\0${DATA_MODULE}`;

export interface PingbackData {
  site: string;
  byKey: Record<string, PublicPingback[]>;
}

/**
 * The pingbacks of the whole site as a virtual module, read once per build and inlined as JSON. Pages that
 * render them import it, so Astro's incremental builds hash this data with each such page's dependencies:
 * new or removed pingbacks re-render exactly the pages that show pingbacks, never leave them stale.
 */
export function pingbackDataPlugin(site: () => string, read: () => Promise<PublicPingback[]>) {
  return {
    name: '@pingback/astro:data',
    resolveId(id: string) {
      return id === DATA_MODULE ? RESOLVED : undefined;
    },
    async load(id: string) {
      if (id !== RESOLVED) return undefined;
      const data: PingbackData = { site: site(), byKey: groupByKey(await read()) };
      return `export default ${JSON.stringify(data)};`;
    },
  };
}
