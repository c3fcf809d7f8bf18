import { PingbackOptionError } from '../errors.ts';
import { compileHostPatterns } from '../site/host-pattern.ts';
import { checkKnownKeys, checkPositiveInt, checkUrl } from '../option-checks.ts';
import type { ContentOption, PageScanSettings } from '../html/page-scan.ts';
import { DEFAULT_CONTENT, DEFAULT_EXCLUDE, pageScanSettings } from '../html/page-scan.ts';
import type { Moderation } from '../receive/receiver-options.ts';
import { checkModeration } from '../receive/moderation.ts';
import type { PageInfo } from './post-match.ts';
import type { ProtocolOptions } from '../send/protocols.ts';
import { resolveProtocols } from '../send/protocols.ts';
import { matchesAny } from './post-match.ts';

export type SendMode = 'after-deploy' | 'build' | 'off';
export type ReadFrom = 'auto' | 'store' | 'endpoint' | 'blobs';
export type OnReadError = 'stale' | 'empty' | 'fail';
export type Advertise = 'posts' | 'all';

/** Which endpoints the pages announce; each can be switched off on its own. */
export interface AdvertisedProtocols {
  pingback: boolean;
  webmention: boolean;
}

/**
 * The `advertise` option: which pages (`'posts'` or `'all'`, as before), or an object that also says
 * which protocols they announce (both by default). Switching one off stops announcing it (the link
 * element and the header), not receiving it: a sender that knows the endpoint is still answered.
 */
export interface AdvertiseOptions {
  pages?: Advertise;
  pingback?: boolean;
  webmention?: boolean;
}

/**
 * Options both integrations take, in the same words. Each adapter adds how it names posts (Astro: route
 * patterns; Eleventy: globs and tags) on top; both end as `isPost(page)`.
 */
export interface IntegrationOptions {
  /** Which pages are posts: path globs, Astro route patterns, or a predicate. Default `['/posts/**', '/blog/**']`. */
  posts?: string | string[] | ((page: PageInfo) => boolean);
  /** Which part of a post is its content: a selector list, or an array tried in order. */
  content?: ContentOption;
  /** Links inside these never count. */
  exclude?: string | null;
  /**
   * Where the endpoints are announced: on posts (`'posts'`, the default) or every page (`'all'`), or
   * `{ pages, pingback, webmention }` to also switch either protocol's announcement off (both on by
   * default): `<link rel="pingback">` and `X-Pingback`, `<link rel="webmention">` and `Link: rel="webmention"`.
   */
  advertise?: Advertise | AdvertiseOptions;
  /** Extra hosts that count as this site. */
  hosts?: string[];
  /** Hosts never pinged, e.g. `["*.wikipedia.org", "github.com"]`. */
  skipHosts?: string[];
  /** Path of the XML-RPC endpoint. Default `/xmlrpc`. */
  endpointPath?: string;
  /** Path of the Webmention endpoint. Default `/webmention`. */
  webmentionPath?: string;
  /** Path of the read endpoint. Default `/pingbacks.json`. */
  readPath?: string;
  /** weblogUpdates services told about new posts. Default `['http://rpc.pingomatic.com/']`, as WordPress. */
  directories?: string[];
  /** The feed sent to directories. Default: the RSS/Atom link the pages carry. */
  feed?: string | null;
  /** The site's name for directories. Default: the home page's title. */
  name?: string;
  /** When pings leave: `after-deploy` (default on Netlify), `build` (default elsewhere) or `off`. */
  send?: SendMode;
  /** Directories hear about edited posts too, not just new ones. Default false. */
  notifyEdits?: boolean;
  /** Which protocols posts send by, and which wins where a target offers both. Default: both, Webmention first. */
  protocols?: ProtocolOptions;
  /** `auto` (default), `pending` (`manual`) or `pending-except-allowed`: see the receiver's option. */
  moderation?: Moderation;
  blocklist?: string[];
  /** Source hosts approved on arrival under `pending-except-allowed`. */
  allowlist?: string[];
  /** Path of the moderation page the Function serves once PINGBACK_ADMIN_TOKEN is set. Default `/pingback/admin`. */
  adminPath?: string;
  rateLimit?: number;
  /** No outbound network at all: no pings, no directories, no liveness checks. Default on in dev servers and tests. */
  dryRun?: boolean;
  /** The sent-ping ledger. Default `.pingback/ledger.json`. */
  ledger?: string;
  /** The store read at build time: a folder, or a `postgres://` URL (needs `@pingback/postgres`). Default `.pingback/store`. */
  store?: string;
  /**
   * Keep pingbacks in PostgreSQL: builds read them from the database at `PINGBACK_DATABASE_URL`, else
   * `NETLIFY_DATABASE_URL` (Netlify Database), and the emitted Netlify Function stores them there. Default
   * false; `PINGBACK_DATABASE_URL` alone also selects the database.
   */
  database?: boolean;
  /** Where builds read pingbacks from. Default `auto`. */
  readFrom?: ReadFrom;
  /** When the read fails: the last good read (`stale`, default), nothing (`empty`), or fail the build. */
  onReadError?: OnReadError;
  /** Where the last good read is kept. Default `node_modules/.cache/pingback`. */
  cacheDir?: string;
  /** Emit the Netlify Function. Default: when building on Netlify. */
  netlify?: boolean;
  /** Log details, not just the summary lines. */
  verbose?: boolean;
  /**
   * Send at build time even when the site's URL is not public (loopback, private, `localhost`, `*.test`,
   * `*.example`, …). Default false: a local build pings no one and tells no directory. For tests only.
   */
  allowPrivateNetwork?: boolean;
}

export const INTEGRATION_DEFAULTS = {
  posts: ['/posts/**', '/blog/**'] as readonly string[],
  advertise: 'posts' as Advertise,
  endpointPath: '/xmlrpc',
  webmentionPath: '/webmention',
  readPath: '/pingbacks.json',
  directories: ['http://rpc.pingomatic.com/'] as readonly string[],
  moderation: 'auto' as Moderation,
  rateLimit: 10,
  ledger: '.pingback/ledger.json',
  store: '.pingback/store',
  manifest: '.pingback/manifest.json',
  readFrom: 'auto' as ReadFrom,
  onReadError: 'stale' as OnReadError,
  cacheDir: 'node_modules/.cache/pingback',
} as const;

const KNOWN = [
  'posts',
  'content',
  'exclude',
  'advertise',
  'hosts',
  'skipHosts',
  'endpointPath',
  'webmentionPath',
  'readPath',
  'directories',
  'feed',
  'name',
  'send',
  'notifyEdits',
  'protocols',
  'moderation',
  'blocklist',
  'allowlist',
  'adminPath',
  'rateLimit',
  'dryRun',
  'ledger',
  'store',
  'database',
  'readFrom',
  'onReadError',
  'cacheDir',
  'netlify',
  'verbose',
  'allowPrivateNetwork',
] as const;

export interface ResolvedIntegrationOptions {
  site: URL;
  isPost: (page: PageInfo) => boolean;
  /** What decides which pages are posts, as the user wrote it: for the warning when it matches no page. */
  postsOption: string;
  scan: PageScanSettings;
  advertise: Advertise;
  /** Which protocols the pages announce. */
  advertiseProtocols: AdvertisedProtocols;
  hosts: string[];
  skipHosts: string[];
  endpointPath: string;
  webmentionPath: string;
  readPath: string;
  endpoint: string;
  /** The absolute Webmention endpoint. */
  webmentionEndpoint: string;
  directories: string[];
  feed: string | null | undefined;
  name: string | undefined;
  send: SendMode;
  notifyEdits: boolean;
  /** As given (validated); undefined for the defaults. */
  protocols: ProtocolOptions | undefined;
  moderation: Moderation;
  blocklist: string[];
  allowlist: string[];
  adminPath: string;
  rateLimit: number;
  dryRun: boolean;
  ledger: string;
  store: string;
  database: boolean;
  manifest: string;
  readFrom: ReadFrom;
  onReadError: OnReadError;
  cacheDir: string;
  netlify: boolean;
  verbose: boolean;
  allowPrivateNetwork: boolean;
}

export interface ResolveContext {
  /** The site URL from the host (Astro's `site`), or from the options (Eleventy). */
  site: string | URL | undefined;
  /** Where the site URL is configured, for the error when it is missing. */
  siteHint: string;
  /** Dev server, watch mode or a test run: dry run unless the options say otherwise. */
  dryRunByDefault: boolean;
  /** Building on Netlify (`NETLIFY=true`). */
  onNetlify: boolean;
  /** The adapter's own extra option names, accepted and ignored here. */
  adapterKeys?: readonly string[];
  /** How the adapter names what makes a page a post, when it is more than `posts` (Eleventy's tags). */
  postsOption?: string;
}

function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new PingbackOptionError(
      option,
      `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(value)}`,
      `Use ${allowed.map((a) => `"${a}"`).join(' or ')}.`,
    );
  }
  return value as T;
}

function stringList(option: string, value: unknown, fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new PingbackOptionError(option, `must be an array of strings, got ${JSON.stringify(value)}`, 'Write e.g. ["…"], or [] for none.');
  }
  return value;
}

function path(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !value.startsWith('/') || /[?#\s]/.test(value)) {
    throw new PingbackOptionError(option, `must be a path starting with "/", got ${JSON.stringify(value)}`, `Write e.g. "${fallback}".`);
  }
  return value;
}

function advertiseOption(value: unknown): { pages: Advertise; protocols: AdvertisedProtocols } {
  if (value === undefined || typeof value === 'string') {
    return { pages: oneOf('advertise', value, ['posts', 'all'] as const, INTEGRATION_DEFAULTS.advertise), protocols: { pingback: true, webmention: true } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PingbackOptionError(
      'advertise',
      `must be "posts", "all" or an object, got ${JSON.stringify(value)}`,
      'Write e.g. { pages: "posts", pingback: true, webmention: true }.',
    );
  }
  checkKnownKeys('advertise', value as Record<string, unknown>, ['pages', 'pingback', 'webmention']);
  const o = value as AdvertiseOptions;
  return {
    pages: oneOf('advertise.pages', o.pages, ['posts', 'all'] as const, INTEGRATION_DEFAULTS.advertise),
    protocols: { pingback: bool('advertise.pingback', o.pingback, true), webmention: bool('advertise.webmention', o.webmention, true) },
  };
}

function file(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new PingbackOptionError(option, `must be a file or folder path, got ${JSON.stringify(value)}`, `Write e.g. "${fallback}".`);
  }
  return value;
}

function bool(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new PingbackOptionError(option, `must be true or false, got ${JSON.stringify(value)}`, 'Use a boolean.');
  return value;
}

/** The `protocols` option as given, once it is known to be valid: each sender resolves it again. */
function checkedProtocols(option: ProtocolOptions | undefined): ProtocolOptions | undefined {
  if (option === undefined) return undefined;
  resolveProtocols(option);
  return { ...option };
}

/** Validates the shared options once, at config time; every error names the option and the fix. */
export function resolveIntegrationOptions(options: IntegrationOptions, context: ResolveContext): ResolvedIntegrationOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new PingbackOptionError('(options)', 'must be an object', 'Pass an object, e.g. { posts: "/posts/**" }, or nothing.');
  }
  checkKnownKeys('', options, [...KNOWN, ...(context.adapterKeys ?? [])]);
  if (context.site === undefined || context.site === '') {
    throw new PingbackOptionError('site', 'is not set: pingbacks need the absolute URL of the site', context.siteHint);
  }
  const site = checkUrl('site', context.site);

  let isPost: (page: PageInfo) => boolean;
  const posts = options.posts ?? INTEGRATION_DEFAULTS.posts;
  const postsOption =
    context.postsOption ??
    `\`posts\` (${typeof posts === 'function' ? 'a function' : JSON.stringify(typeof posts === 'string' ? [posts] : posts)}${options.posts === undefined ? ', the default' : ''})`;
  if (typeof posts === 'function') isPost = posts;
  else {
    const patterns = stringList('posts', typeof posts === 'string' ? [posts] : posts, []);
    for (const p of patterns) {
      if (!p.startsWith('/'))
        throw new PingbackOptionError(
          'posts',
          `has a pattern that does not start with "/": ${JSON.stringify(p)}`,
          'Write path globs like "/posts/**" or routes like "/posts/[slug]".',
        );
    }
    isPost = (page) => matchesAny(page, patterns);
  }

  const endpointPath = path('endpointPath', options.endpointPath, INTEGRATION_DEFAULTS.endpointPath);
  const webmentionPath = path('webmentionPath', options.webmentionPath, INTEGRATION_DEFAULTS.webmentionPath);
  if (webmentionPath === endpointPath) {
    throw new PingbackOptionError(
      'webmentionPath',
      `is ${JSON.stringify(webmentionPath)}, the path of the XML-RPC endpoint too`,
      'Give the two endpoints different paths, e.g. "/webmention".',
    );
  }
  const advertise = advertiseOption(options.advertise);
  const hosts = stringList('hosts', options.hosts, []);
  compileHostPatterns(hosts, 'hosts');
  const skipHosts = stringList('skipHosts', options.skipHosts, []);
  compileHostPatterns(skipHosts, 'skipHosts');
  const blocklist = stringList('blocklist', options.blocklist, []);
  compileHostPatterns(blocklist, 'blocklist');
  const allowlist = stringList('allowlist', options.allowlist, []);
  compileHostPatterns(allowlist, 'allowlist');
  const directories = stringList('directories', options.directories, INTEGRATION_DEFAULTS.directories);
  for (const [i, d] of directories.entries()) checkUrl(`directories[${i}]`, d);
  let feed: string | null | undefined;
  if (options.feed === null) feed = null;
  else if (options.feed !== undefined) feed = new URL(String(options.feed), site).href;
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name.trim() === '')) {
    throw new PingbackOptionError('name', 'must be a non-empty string', 'Write the site\'s name, e.g. "My Blog".');
  }
  if (options.moderation !== undefined) checkModeration('moderation', options.moderation);
  const scan = pageScanSettings(options.content ?? DEFAULT_CONTENT, options.exclude === undefined ? DEFAULT_EXCLUDE : options.exclude);

  return {
    site,
    isPost,
    postsOption,
    scan,
    advertise: advertise.pages,
    advertiseProtocols: advertise.protocols,
    hosts,
    skipHosts,
    endpointPath,
    webmentionPath,
    readPath: path('readPath', options.readPath, INTEGRATION_DEFAULTS.readPath),
    endpoint: new URL(endpointPath, site).href,
    webmentionEndpoint: new URL(webmentionPath, site).href,
    directories,
    feed,
    name: options.name,
    send: oneOf('send', options.send, ['after-deploy', 'build', 'off'] as const, context.onNetlify ? 'after-deploy' : 'build'),
    notifyEdits: bool('notifyEdits', options.notifyEdits, false),
    protocols: checkedProtocols(options.protocols),
    moderation: options.moderation ?? INTEGRATION_DEFAULTS.moderation,
    blocklist,
    allowlist,
    adminPath: path('adminPath', options.adminPath, '/pingback/admin'),
    rateLimit: checkPositiveInt('rateLimit', options.rateLimit ?? INTEGRATION_DEFAULTS.rateLimit, { allowZero: true }),
    dryRun: bool('dryRun', options.dryRun, context.dryRunByDefault),
    ledger: file('ledger', options.ledger, INTEGRATION_DEFAULTS.ledger),
    store: file('store', options.store, INTEGRATION_DEFAULTS.store),
    database: bool('database', options.database, false),
    manifest: INTEGRATION_DEFAULTS.manifest,
    readFrom: oneOf('readFrom', options.readFrom, ['auto', 'store', 'endpoint', 'blobs'] as const, INTEGRATION_DEFAULTS.readFrom),
    onReadError: oneOf('onReadError', options.onReadError, ['stale', 'empty', 'fail'] as const, INTEGRATION_DEFAULTS.onReadError),
    cacheDir: file('cacheDir', options.cacheDir, INTEGRATION_DEFAULTS.cacheDir),
    netlify: bool('netlify', options.netlify, context.onNetlify),
    verbose: bool('verbose', options.verbose, false),
    allowPrivateNetwork: bool('allowPrivateNetwork', options.allowPrivateNetwork, false),
  };
}
