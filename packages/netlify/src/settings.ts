import type { NotifyFormat, ProtocolOptions, ReceiverOptions, SendMode } from '@pingback/core';
import { PingbackOptionError } from '@pingback/core';

/**
 * The receiver settings that travel into the generated Function as literals: the JSON-safe subset of the
 * core receiver's options (no store, functions or secrets: the rebuild hook URL, the moderation page's
 * token and the webhook's address and secret are read from the environment at run time instead), plus
 * the Blobs store name.
 */
export type FunctionSettings = Pick<
  ReceiverOptions,
  | 'hosts'
  | 'endpointPath'
  | 'webmentionPath'
  | 'readPath'
  | 'moderation'
  | 'blocklist'
  | 'allowlist'
  | 'rateLimit'
  | 'maxSourceBytes'
  | 'sourceTimeoutMs'
  | 'maxRedirects'
  | 'rebuildIntervalMs'
> & {
  /** Path of the moderation page, routed to the Function. Default "/pingback/admin"; the page is on only when its token is set. */
  adminPath?: string;
  /** The environment variable holding the moderation page's token. Default "PINGBACK_ADMIN_TOKEN". */
  adminTokenEnv?: string;
  /** Body of the arrival webhook (PINGBACK_NOTIFY_URL): "generic" (default), "slack" or "discord". */
  notifyFormat?: NotifyFormat;
  /** The site's absolute URL. */
  site: string;
  /** Blobs store name. Default "pingback". */
  storeName?: string;
  /**
   * Keep pingbacks in PostgreSQL rather than Blobs: the URL from `PINGBACK_DATABASE_URL`, else
   * `NETLIFY_DATABASE_URL` (Netlify Database). Without it, `PINGBACK_DATABASE_URL` alone also selects
   * PostgreSQL. Needs `@pingback/postgres` installed in the site.
   */
  database?: boolean;
  /** `after-deploy` (default): the deploy-succeeded handler sends; `build` or `off`: it does not. */
  send?: SendMode;
  /** Directories hear about edited posts too. Default false. */
  notifyEdits?: boolean;
  /** Which protocols the deploy-succeeded handler sends by. Default: both, Webmention first. */
  protocols?: ProtocolOptions;
  /** Time the deploy-succeeded handler sends before handing the rest to the background function. Default 20000. */
  sendBudgetMs?: number;
};

const KEYS = [
  'site',
  'hosts',
  'endpointPath',
  'webmentionPath',
  'readPath',
  'moderation',
  'blocklist',
  'allowlist',
  'rateLimit',
  'maxSourceBytes',
  'sourceTimeoutMs',
  'maxRedirects',
  'rebuildIntervalMs',
  'storeName',
  'database',
  'send',
  'notifyEdits',
  'protocols',
  'sendBudgetMs',
  'adminPath',
  'adminTokenEnv',
  'notifyFormat',
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
