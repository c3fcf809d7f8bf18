import type { ReceiverOptions, SendMode } from '@pingback/core';
import { PingbackOptionError } from '@pingback/core';

/**
 * The receiver settings that travel into the generated Function as literals: the JSON-safe subset of the
 * core receiver's options (no store, functions or secrets: the rebuild hook URL is read from
 * PINGBACK_BUILD_HOOK_URL at run time instead), plus the Blobs store name.
 */
export type FunctionSettings = Pick<
  ReceiverOptions,
  'hosts' | 'endpointPath' | 'webmentionPath' | 'readPath' | 'moderation' | 'blocklist' | 'rateLimit' | 'maxSourceBytes' | 'sourceTimeoutMs' | 'maxRedirects' | 'rebuildIntervalMs'
> & {
  /** The site's absolute URL. */
  site: string;
  /** Blobs store name. Default "pingback". */
  storeName?: string;
  /** `after-deploy` (default): the deploy-succeeded handler sends; `build` or `off`: it does not. */
  send?: SendMode;
  /** Directories hear about edited posts too. Default false. */
  notifyEdits?: boolean;
  /** Time the deploy-succeeded handler sends before handing the rest to the background function. Default 20000. */
  sendBudgetMs?: number;
};

const KEYS = [
  'site', 'hosts', 'endpointPath', 'webmentionPath', 'readPath', 'moderation', 'blocklist', 'rateLimit', 'maxSourceBytes',
  'sourceTimeoutMs', 'maxRedirects', 'rebuildIntervalMs', 'storeName', 'send', 'notifyEdits', 'sendBudgetMs',
] as const;

/** Keeps only known keys with defined values, in a fixed order, so generated files are stable. */
export function normalizeSettings(settings: FunctionSettings): FunctionSettings {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(settings)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new PingbackOptionError(key, 'is not a setting the Netlify Function takes', `Known settings: ${KEYS.join(', ')}.`);
    }
  }
  for (const key of KEYS) if (settings[key] !== undefined) out[key] = settings[key];
  return out as unknown as FunctionSettings;
}
