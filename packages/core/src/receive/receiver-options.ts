import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { PingbackOptionError } from '../errors.ts';
import type { HostPattern } from '../site/host-pattern.ts';
import { compileHostPatterns } from '../site/host-pattern.ts';
import { checkKnownKeys, checkPositiveInt, checkUrl } from '../option-checks.ts';
import type { SiteMatcher } from '../site/site.ts';
import { siteMatcher } from '../site/site.ts';
import { aliasLookup } from '../site/aliases.ts';
import type { PingbackStore } from '../store/store.ts';
import type { AdminOptions, AdminSettings } from '../admin/admin-options.ts';
import { resolveAdminOptions } from '../admin/admin-options.ts';
import type { NotifyOptions, NotifySettings } from '../notify/notify-options.ts';
import { resolveNotifyOptions } from '../notify/notify-options.ts';
import type { Logger } from './logger.ts';
import type { Moderation, ModerationMode } from './moderation.ts';
import { checkModeration } from './moderation.ts';
import { silentLogger } from './logger.ts';
import type { RateLimiter } from './rate-limit.ts';
import { MemoryRateLimiter, RATE_WINDOW_MS } from './rate-limit.ts';
import type { Resolver, SourcePolicy } from '../net/guarded-fetch.ts';
import { trustedAddresses } from '../net/guarded-fetch.ts';

export type { Moderation, ModerationMode } from './moderation.ts';

export interface ReceiverOptions {
  /** The site's absolute URL. */
  site: string | URL;
  store: PingbackStore;
  /** Canonical keys of the pages that accept pingbacks (the manifest's `pages`), or a predicate. */
  pages: Iterable<string> | ((key: string) => boolean);
  /** Whether any page exists at the key: lets the receiver answer 32 only when a target definitely doesn't exist. */
  pageExists?: (key: string) => boolean | undefined;
  /**
   * Old paths that lead to posts (the manifest's `aliases`), or a lookup: a target at an old URL is
   * accepted for the post and stored under the post's key.
   */
  aliases?: Record<string, string> | ((key: string) => string | undefined);
  /** Extra hosts that count as this site. */
  hosts?: string[];
  /** Path of the XML-RPC endpoint. Default `/xmlrpc`. */
  endpointPath?: string;
  /** Path of the Webmention endpoint. Default `/webmention`. */
  webmentionPath?: string;
  /** Path of the JSON read endpoint. Default `/pingbacks.json`. */
  readPath?: string;
  /**
   * `auto` (default): accepted linkbacks are published; `pending` (or its older name `manual`): they wait
   * for the owner; `pending-except-allowed`: they wait unless their source host is on the allow list.
   */
  moderation?: Moderation;
  /** Source hosts refused with fault 49. More can be added at run time with `pingback block`. */
  blocklist?: string[];
  /** Source hosts approved on arrival under `pending-except-allowed`. More with `pingback allow` or the moderation page. */
  allowlist?: string[];
  /** The moderation page, served at its own path; off unless given (with its token). */
  admin?: AdminOptions;
  /** A webhook told of every accepted or pending linkback; off unless given. */
  notify?: NotifyOptions;
  /** Pings per minute per client address and per source host; 0 turns the limits off. Default 10. */
  rateLimit?: number;
  /**
   * Replaces the in-memory limiter (Netlify uses one kept in the store). Default: the store's own when it
   * has one (PostgreSQL: shared by every receiver on the database), else one in memory.
   */
  rateLimiter?: RateLimiter;
  /** Let sources live on loopback or private networks and any port: local demos and tests only. */
  allowPrivateNetwork?: boolean;
  /** Private addresses trusted anyway, e.g. an intranet blog that pings you: exact addresses or CIDR ranges. */
  allowAddresses?: string[];
  /** Ports a source may use when private networks are not allowed. Default [80, 443]. */
  allowedPorts?: number[];
  /** Bytes of a source read at most. Default 1 MiB. */
  maxSourceBytes?: number;
  /** Deadline for fetching a source. Default 10000 ms. */
  sourceTimeoutMs?: number;
  /** Redirects followed when fetching a source. Default 3. */
  maxRedirects?: number;
  /** Bytes of an XML-RPC request or a Webmention form accepted. Default 64 KiB. */
  maxRequestBytes?: number;
  /** DNS resolution for sources (tests inject one). */
  resolve?: Resolver;
  /** Netlify build hook (or any URL to POST to) that rebuilds the site when a pingback is approved. */
  rebuildHookUrl?: string;
  /** At most one rebuild per this many ms. Default 600000 (10 min). */
  rebuildIntervalMs?: number;
  /**
   * Deadline for each store call a ping makes (blocklist, rate limits, duplicate check, insert, listing).
   * A store that fails or doesn't answer in time is answered fault 50, so the sender retries later.
   * Default 10000 ms.
   */
  storeTimeoutMs?: number;
  logger?: Logger;
  clock?: Clock;
}

export const RECEIVER_DEFAULTS = {
  endpointPath: '/xmlrpc',
  webmentionPath: '/webmention',
  readPath: '/pingbacks.json',
  moderation: 'auto' as Moderation,
  rateLimit: 10,
  allowedPorts: [80, 443],
  maxSourceBytes: 1024 * 1024,
  sourceTimeoutMs: 10_000,
  maxRedirects: 3,
  maxRequestBytes: 64 * 1024,
  rebuildIntervalMs: 10 * 60_000,
  storeTimeoutMs: 10_000,
} as const;

export interface ReceiverSettings {
  site: URL;
  siteMatcher: SiteMatcher;
  store: PingbackStore;
  isPingable: (key: string) => boolean;
  pageExists: (key: string) => boolean | undefined;
  aliasOf: (key: string) => string | undefined;
  endpointPath: string;
  webmentionPath: string;
  readPath: string;
  moderation: ModerationMode;
  blocklist: HostPattern[];
  allowlist: HostPattern[];
  admin: AdminSettings | undefined;
  notify: NotifySettings | undefined;
  rateLimiter: RateLimiter;
  source: SourcePolicy;
  maxRequestBytes: number;
  rebuildHookUrl: string | undefined;
  rebuildIntervalMs: number;
  storeTimeoutMs: number;
  logger: Logger;
  clock: Clock;
}

const KNOWN = [
  'site',
  'store',
  'pages',
  'pageExists',
  'aliases',
  'hosts',
  'endpointPath',
  'webmentionPath',
  'readPath',
  'moderation',
  'blocklist',
  'allowlist',
  'admin',
  'notify',
  'rateLimit',
  'rateLimiter',
  'allowPrivateNetwork',
  'allowAddresses',
  'allowedPorts',
  'maxSourceBytes',
  'sourceTimeoutMs',
  'maxRedirects',
  'maxRequestBytes',
  'resolve',
  'rebuildHookUrl',
  'rebuildIntervalMs',
  'storeTimeoutMs',
  'logger',
  'clock',
] as const;

function checkPath(option: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || /[?#\s]/.test(value)) {
    throw new PingbackOptionError(option, `must be a path starting with "/", got ${JSON.stringify(value)}`, 'Write e.g. "/xmlrpc".');
  }
  return value;
}

/** Validates receiver options once and fills in the defaults. */
export function resolveReceiverOptions(options: ReceiverOptions): ReceiverSettings {
  checkKnownKeys('', options, KNOWN);
  const site = checkUrl('site', options.site);
  if (!options.store || typeof options.store.insert !== 'function') {
    throw new PingbackOptionError('store', 'must be a PingbackStore', 'Pass new FileStore(dir), a Blobs store from @pingback/netlify, or new MemoryStore().');
  }
  let isPingable: (key: string) => boolean;
  if (typeof options.pages === 'function') isPingable = options.pages;
  else if (options.pages && typeof (options.pages as Iterable<string>)[Symbol.iterator] === 'function') {
    const pages = new Set(options.pages);
    isPingable = (key) => pages.has(key);
  } else {
    throw new PingbackOptionError('pages', 'must list the pingable pages (canonical keys) or be a function', "Pass the manifest's `pages`.");
  }
  if (options.aliases !== undefined && typeof options.aliases !== 'function' && (typeof options.aliases !== 'object' || options.aliases === null)) {
    throw new PingbackOptionError('aliases', 'must map old keys to post keys, or be a function', "Pass the manifest's `aliases`.");
  }
  const moderation = checkModeration('moderation', options.moderation ?? RECEIVER_DEFAULTS.moderation);
  const rateLimit = checkPositiveInt('rateLimit', options.rateLimit ?? RECEIVER_DEFAULTS.rateLimit, { allowZero: true });
  const allowedPorts = options.allowedPorts ?? [...RECEIVER_DEFAULTS.allowedPorts];
  for (const [i, p] of allowedPorts.entries()) checkPositiveInt(`allowedPorts[${i}]`, p);
  if (options.allowAddresses !== undefined) trustedAddresses(options.allowAddresses); // throws, naming the bad entry
  const paths = {
    endpointPath: checkPath('endpointPath', options.endpointPath ?? RECEIVER_DEFAULTS.endpointPath),
    webmentionPath: checkPath('webmentionPath', options.webmentionPath ?? RECEIVER_DEFAULTS.webmentionPath),
    readPath: checkPath('readPath', options.readPath ?? RECEIVER_DEFAULTS.readPath),
  };
  const clash = (Object.keys(paths) as (keyof typeof paths)[]).find((k, i, all) => all.some((o, j) => j < i && paths[o] === paths[k]));
  if (clash)
    throw new PingbackOptionError(
      clash,
      `is ${JSON.stringify(paths[clash])}, the path of another endpoint`,
      'Give the XML-RPC, Webmention and read endpoints three different paths.',
    );
  const { endpointPath, webmentionPath, readPath } = paths;
  const rebuildHookUrl =
    options.rebuildHookUrl === undefined || options.rebuildHookUrl === '' ? undefined : checkUrl('rebuildHookUrl', options.rebuildHookUrl).href;
  return {
    site,
    siteMatcher: siteMatcher(site, options.hosts ?? [], 'hosts'),
    store: options.store,
    isPingable,
    pageExists: options.pageExists ?? (() => undefined),
    aliasOf: typeof options.aliases === 'function' ? options.aliases : aliasLookup(options.aliases),
    endpointPath,
    webmentionPath,
    readPath,
    moderation,
    blocklist: compileHostPatterns(options.blocklist ?? [], 'blocklist'),
    allowlist: compileHostPatterns(options.allowlist ?? [], 'allowlist'),
    admin: options.admin === undefined ? undefined : resolveAdminOptions(options.admin, site, [endpointPath, webmentionPath, readPath]),
    notify: options.notify === undefined ? undefined : resolveNotifyOptions(options.notify),
    rateLimiter: options.rateLimiter ?? options.store.rateLimiter?.(rateLimit, RATE_WINDOW_MS) ?? new MemoryRateLimiter(rateLimit),
    source: {
      allowPrivateNetwork: options.allowPrivateNetwork ?? false,
      allowedPorts,
      maxBytes: checkPositiveInt('maxSourceBytes', options.maxSourceBytes ?? RECEIVER_DEFAULTS.maxSourceBytes),
      timeoutMs: checkPositiveInt('sourceTimeoutMs', options.sourceTimeoutMs ?? RECEIVER_DEFAULTS.sourceTimeoutMs),
      maxRedirects: checkPositiveInt('maxRedirects', options.maxRedirects ?? RECEIVER_DEFAULTS.maxRedirects, { allowZero: true }),
      ...(options.resolve ? { resolve: options.resolve } : {}),
      ...(options.allowAddresses ? { allowAddresses: options.allowAddresses } : {}),
    },
    maxRequestBytes: checkPositiveInt('maxRequestBytes', options.maxRequestBytes ?? RECEIVER_DEFAULTS.maxRequestBytes),
    rebuildHookUrl,
    rebuildIntervalMs: checkPositiveInt('rebuildIntervalMs', options.rebuildIntervalMs ?? RECEIVER_DEFAULTS.rebuildIntervalMs),
    storeTimeoutMs: checkPositiveInt('storeTimeoutMs', options.storeTimeoutMs ?? RECEIVER_DEFAULTS.storeTimeoutMs),
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? systemClock,
  };
}
