import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Manifest, ReceiverOptions } from '@pingback/core';
import { DEFAULT_MANIFEST_PATH, PingbackOptionError, RECEIVER_DEFAULTS, Receiver, manifestAdvertises, postKeyOf } from '@pingback/core';
import type { CommandSpec, Parsed } from '../args.ts';
import { UsageError, intFlag, listFlag } from '../args.ts';
import type { Io } from '../io.ts';
import { Exit } from '../io.ts';
import { SERVER_LIMITS, guardServer, requestListener } from '../serve/listener.ts';
import { LiveManifest } from '../serve/live-manifest.ts';
import { SiteRedirects } from '../serve/redirects.ts';
import { StaticSite } from '../serve/static-site.ts';
import { DEFAULT_STORE_DIR, openLocation } from '../store-flags.ts';

export const serveSpec: CommandSpec = {
  name: 'serve',
  summary:
    'Serve a built site with its receiver: the pages (X-Pingback and a Link header where they announce them), the XML-RPC and Webmention endpoints and the read endpoint, over the file-system store.',
  positionals: [],
  flags: {
    root: { type: 'string', value: 'DIR', description: 'The built site (e.g. dist or _site). Required.' },
    port: { type: 'string', value: 'N', description: 'Port to listen on (default 8080; 0 picks a free one).' },
    host: { type: 'string', value: 'H', description: 'Address to listen on (default 127.0.0.1).' },
    site: { type: 'string', value: 'URL', description: "The site's public URL (default: the manifest's site)." },
    store: {
      type: 'string',
      value: 'DIR|URL',
      description: `File-system store folder (default ${DEFAULT_STORE_DIR}), or a postgres:// URL (or PINGBACK_DATABASE_URL) that several receivers share.`,
    },
    manifest: {
      type: 'string',
      value: 'FILE',
      description: `The build's manifest (default ${DEFAULT_MANIFEST_PATH} if it exists). Without one, pingable pages are those whose HTML carries our link element.`,
    },
    'allow-private-network': {
      type: 'boolean',
      description: 'Let sources live on loopback or private addresses and any port. For local demos and tests only.',
    },
    'allow-address': {
      type: 'string',
      value: 'LIST',
      description: 'Private addresses or CIDR ranges sources may live on anyway, comma-separated (e.g. an intranet blog: 10.0.0.7,fd00:1::/64).',
    },
    'allow-port': { type: 'string', value: 'LIST', description: 'Ports sources may use besides 80 and 443, comma-separated.' },
    'rate-limit': { type: 'string', value: 'N', description: 'Pings per minute per client address and per source host (default 10; 0 turns limits off).' },
    moderation: {
      type: 'string',
      value: 'MODE',
      description:
        'auto (default: accepted linkbacks are published), pending (all held for approval; manual is its older name) or pending-except-allowed (held unless the source host is on the allow list).',
    },
    'admin-path': {
      type: 'string',
      value: 'PATH',
      description: 'Path of the moderation page (default /pingback/admin). The page is on only when its token is set.',
    },
    'admin-token-env': {
      type: 'string',
      value: 'NAME',
      description: "The environment variable holding the moderation page's token (default PINGBACK_ADMIN_TOKEN).",
    },
    'notify-format': {
      type: 'string',
      value: 'F',
      description: 'Body of the arrival webhook (PINGBACK_NOTIFY_URL): generic (default, signed with PINGBACK_NOTIFY_SECRET), slack or discord.',
    },
    'notify-allow-private-network': {
      type: 'boolean',
      description: 'Let the arrival webhook live on a loopback or private address and any port. For tests and intranets only.',
    },
    'source-timeout': { type: 'string', value: 'MS', description: 'Deadline for fetching a source (default 10000).' },
    'rebuild-interval': {
      type: 'string',
      value: 'MS',
      description:
        'With PINGBACK_BUILD_HOOK_URL: at most one rebuild per this long (default 600000); a change that comes later in an interval is rebuilt for when it ends.',
    },
    'max-connections': {
      type: 'string',
      value: 'N',
      description: 'Connections held open at once; more are dropped (default 4096). Keep it under the process file limit (ulimit -n).',
    },
    'endpoint-path': { type: 'string', value: 'PATH', description: 'Path of the XML-RPC endpoint (default /xmlrpc).' },
    'webmention-path': { type: 'string', value: 'PATH', description: "Path of the Webmention endpoint (default: the manifest's, else /webmention)." },
  },
  notes: [
    'A rebuild hook is called (POST) when a pingback is approved if PINGBACK_BUILD_HOOK_URL is set.',
    'The moderation page is served at --admin-path when PINGBACK_ADMIN_TOKEN (or the variable --admin-token-env names) holds a secret of 24 characters or more.',
    'Each accepted or pending linkback is POSTed to PINGBACK_NOTIFY_URL if set, signed with PINGBACK_NOTIFY_SECRET (whsec_…), never delaying the answer.',
    'Webmentions are answered 202 and verified by this process afterwards, at most 1024 waiting (then 503 with Retry-After).',
    'The first line on stdout is "pingback serve: listening on <url>". Stop with Ctrl-C.',
  ],
};

/** How often a rebuild owed since an earlier interval is looked for. */
const REBUILD_SETTLE_MS = 60_000;

const FLAG_OF_OPTION: Record<string, string> = {
  allowAddresses: '--allow-address',
  allowedPorts: '--allow-port',
  rateLimit: '--rate-limit',
  sourceTimeoutMs: '--source-timeout',
  rebuildIntervalMs: '--rebuild-interval',
  moderation: '--moderation',
  endpointPath: '--endpoint-path',
  webmentionPath: '--webmention-path',
  site: '--site',
  'admin.path': '--admin-path',
  'notify.format': '--notify-format',
  'notify.url': 'PINGBACK_NOTIFY_URL',
  'notify.secret': 'PINGBACK_NOTIFY_SECRET',
};

/** Appended to serve's log line for a source the address policy refused; never part of the answer to the sender. */
const POLICY_HINT =
  ' (refused by the address policy: a loopback, private or reserved address, or a port other than 80 and 443; ' +
  '--allow-private-network allows it, for local demos and tests only; --allow-address and --allow-port allow single addresses and ports)';

function withHint(message: string): string {
  return /unavailable \(forbidden-address\)\)?$/.test(message) ? `${message}${POLICY_HINT}` : message;
}

/** Why the server could not listen, in terms of the flags that fix it; other errors stay as they are. */
function listenError(error: unknown, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new UsageError(`port ${port} on ${host} is already in use; stop what is using it, or pick another with --port (0 picks a free one)`);
  if (code === 'EACCES') return new UsageError(`not allowed to listen on port ${port} on ${host}; pick a port above 1023 with --port`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new UsageError(`--host ${host} is not an address of this machine; use e.g. 127.0.0.1 or ::1`);
  return error as Error;
}

export async function serve(parsed: Parsed, io: Io): Promise<number> {
  const f = parsed.flags;
  if (typeof f.root !== 'string') throw new UsageError('--root DIR is required (the built site)');
  const site = new StaticSite(f.root);
  if (!existsSync(site.root)) throw new UsageError(`--root ${f.root} does not exist; build the site first`);
  const log = (line: string) => io.stderr.write(`${line}\n`);

  const manifestPath = typeof f.manifest === 'string' ? f.manifest : existsSync(DEFAULT_MANIFEST_PATH) ? DEFAULT_MANIFEST_PATH : undefined;
  const live = manifestPath
    ? await LiveManifest.open(resolve(manifestPath), log, (previous, next) => {
        // The receiver answers for the site, hosts and endpoint it started with.
        const changed = (['site', 'endpoint', 'webmention', 'hosts'] as const).filter((k) => JSON.stringify(previous[k]) !== JSON.stringify(next[k]));
        if (changed.length)
          log(
            `pingback serve: the manifest's ${changed.join(', ')} changed; restart pingback serve to answer for the new ${changed.length === 1 ? 'value' : 'values'}`,
          );
      })
    : undefined;
  const manifest: Manifest | undefined = live?.manifest;
  const siteUrl = (f.site as string | undefined) ?? manifest?.site;
  if (!siteUrl) throw new UsageError('--site URL is required when there is no manifest');
  const endpointPath = (f['endpoint-path'] as string | undefined) ?? (manifest ? new URL(manifest.endpoint).pathname : undefined);
  const endpoint = new URL(endpointPath ?? '/xmlrpc', siteUrl).href;
  const webmentionPath = (f['webmention-path'] as string | undefined) ?? (manifest?.webmention ? new URL(manifest.webmention).pathname : undefined);
  const webmentionEndpoint = new URL(webmentionPath ?? '/webmention', siteUrl).href;
  // Without a manifest the pages say for themselves whether they take linkbacks, read as they are now.
  const endpoints = { pingback: endpoint, webmention: webmentionEndpoint };
  const pageIsPingable = live ? live.isPingable : (key: string) => site.advertises(key, endpoint, webmentionEndpoint);
  // Old URLs: the manifest's aliases, else where the site's `_redirects` lead.
  const redirects = new SiteRedirects(site.root, siteUrl);
  const aliasOf = (key: string): string | undefined => live?.aliasOf(key) ?? redirects.destinationKey(key, (k) => site.pageExists(k));
  const pingableCount = live ? live.manifest.pages.length : (await site.advertisingPages(endpoint, siteUrl, webmentionEndpoint)).length;
  const webmentionLink = `<${webmentionEndpoint}>; rel="webmention"`;
  // The headers repeat what the pages announce: the manifest's switches, or the page's own link elements;
  // an old URL of a post announces what the post does.
  const pageHeaders = (key: string): Record<string, string> => {
    const post = postKeyOf(key, pageIsPingable, aliasOf);
    const none = { pingback: false, webmention: false };
    const announced = post === null ? none : live ? manifestAdvertises(live.manifest, post) : site.announces(post, endpoints);
    const headers: Record<string, string> = {};
    if (announced.pingback) headers['x-pingback'] = endpoint;
    if (announced.webmention) headers.link = webmentionLink;
    return headers;
  };

  const port = intFlag(f, 'port') ?? 8080;
  if (port > 65535) throw new UsageError(`--port must be 0–65535, got ${port}`);
  const host = (f.host as string | undefined) ?? '127.0.0.1';
  const maxConnections = intFlag(f, 'max-connections');

  const { store, where } = await openLocation((f.store as string | undefined) ?? io.env.PINGBACK_DATABASE_URL ?? DEFAULT_STORE_DIR, '--store', f, io);
  const options: ReceiverOptions = {
    site: siteUrl,
    store,
    pages: (key) => pageIsPingable(key),
    aliases: aliasOf,
    pageExists: site.pageExists,
    hosts: manifest?.hosts ?? [],
    allowPrivateNetwork: f['allow-private-network'] === true,
    logger: {
      info: (m) => log(withHint(m)),
      warn: (m) => log(m),
      error: (m) => log(m),
    },
  };
  if (endpointPath) options.endpointPath = endpointPath;
  if (webmentionPath) options.webmentionPath = webmentionPath;
  const allowAddresses = listFlag(f, 'allow-address');
  if (allowAddresses.length) options.allowAddresses = allowAddresses;
  const allowPorts = listFlag(f, 'allow-port').map((port) => {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
      throw new UsageError(`--allow-port takes port numbers (1–65535), got ${JSON.stringify(port)}`);
    return Number(port);
  });
  if (allowPorts.length) options.allowedPorts = [...new Set([...RECEIVER_DEFAULTS.allowedPorts, ...allowPorts])];
  const rateLimit = intFlag(f, 'rate-limit');
  if (rateLimit !== undefined) options.rateLimit = rateLimit;
  const sourceTimeout = intFlag(f, 'source-timeout');
  if (sourceTimeout !== undefined) options.sourceTimeoutMs = sourceTimeout;
  const rebuildInterval = intFlag(f, 'rebuild-interval');
  if (rebuildInterval !== undefined) options.rebuildIntervalMs = rebuildInterval;
  if (f.moderation !== undefined) options.moderation = f.moderation as ReceiverOptions['moderation'];
  if (io.env.PINGBACK_BUILD_HOOK_URL) options.rebuildHookUrl = io.env.PINGBACK_BUILD_HOOK_URL;
  const tokenEnv = (f['admin-token-env'] as string | undefined) ?? 'PINGBACK_ADMIN_TOKEN';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv))
    throw new UsageError(`--admin-token-env takes the name of an environment variable, got ${JSON.stringify(tokenEnv)}`);
  const token = io.env[tokenEnv];
  if (token) options.admin = { token, ...(typeof f['admin-path'] === 'string' ? { path: f['admin-path'] } : {}) };
  else if (f['admin-path'] !== undefined) log(`pingback serve: --admin-path is set but ${tokenEnv} is not, so the moderation page is off`);
  const notifyUrl = io.env.PINGBACK_NOTIFY_URL;
  if (notifyUrl) {
    const format = (f['notify-format'] as string | undefined) ?? io.env.PINGBACK_NOTIFY_FORMAT;
    options.notify = {
      url: notifyUrl,
      ...(io.env.PINGBACK_NOTIFY_SECRET ? { secret: io.env.PINGBACK_NOTIFY_SECRET } : {}),
      ...(format ? { format: format as NonNullable<ReceiverOptions['notify']>['format'] } : {}),
      allowPrivateNetwork: f['notify-allow-private-network'] === true,
    };
  } else if (f['notify-format'] !== undefined) log('pingback serve: --notify-format is set but PINGBACK_NOTIFY_URL is not, so no webhook is called');
  let receiver: Receiver;
  try {
    receiver = new Receiver(options);
  } catch (error) {
    // The receiver names its options; a user of this command typed flags and set variables.
    if (error instanceof PingbackOptionError) {
      const flag = error.option === 'admin.token' ? tokenEnv : FLAG_OF_OPTION[error.option];
      if (flag) throw new UsageError(`${flag}: ${error.message}`);
    }
    throw error;
  }
  // A post the manifest lost answers 410 Gone, as on Netlify: a receiver deletes its Webmention on that.
  const isGone = (key: string) => live?.manifest.gone?.some((g) => g.key === key) === true && !site.pageExists(key);
  const refresh = async (): Promise<void> => {
    redirects.refresh();
    await live?.refresh();
  };
  const server = createServer(requestListener({ siteUrl, receiver, site, refresh, pageHeaders, isGone, redirects, log }));
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (error) {
    await receiver.close();
    await store.close?.();
    throw listenError(error, host, port);
  }
  guardServer(server, log, maxConnections === undefined ? SERVER_LIMITS : { ...SERVER_LIMITS, maxConnections });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  io.stdout.write(`pingback serve: listening on http://${shown}:${address.port}\n`);
  io.stdout.write(
    `  site ${siteUrl}, endpoint ${receiver.endpoint}, webmention ${receiver.webmentionEndpoint}, ${pingableCount} pingable pages, store ${where}${live ? `, reloading ${live.path} when it changes` : ''}\n`,
  );
  if (receiver.moderationUrl)
    io.stdout.write(`  moderation page ${receiver.moderationUrl} (sign in with the token in ${tokenEnv}), moderation ${receiver.settings.moderation}\n`);
  if (receiver.notifier) io.stdout.write(`  arrival webhook to ${receiver.notifier.settings.url.host} (${receiver.notifier.settings.format})\n`);

  // A change that came after its interval's rebuild was asked for is owed one when the interval ends: the
  // Function has no timer for that, this process does.
  const settle = receiver.settings.rebuildHookUrl
    ? setInterval(
        () => void receiver.settleRebuild().catch((error: unknown) => log(`pingback serve: owed rebuild: ${(error as Error).message}`)),
        Math.min(REBUILD_SETTLE_MS, receiver.settings.rebuildIntervalMs),
      ).unref()
    : undefined;
  await new Promise<void>((done) => {
    const stop = () => {
      clearInterval(settle);
      server.close(() => done());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await receiver.close();
  await store.close?.();
  return Exit.OK;
}
