import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Manifest, ReceiverOptions } from '@pingback/core';
import { DEFAULT_MANIFEST_PATH, FileStore, PingbackOptionError, RECEIVER_DEFAULTS, Receiver, manifestAdvertises } from '@pingback/core';
import type { CommandSpec, Parsed } from '../args.ts';
import { UsageError, intFlag, listFlag } from '../args.ts';
import type { Io } from '../io.ts';
import { Exit } from '../io.ts';
import { guardServer, requestListener } from '../serve/listener.ts';
import { LiveManifest } from '../serve/live-manifest.ts';
import { StaticSite } from '../serve/static-site.ts';
import { DEFAULT_STORE_DIR } from '../store-flags.ts';

export const serveSpec: CommandSpec = {
  name: 'serve',
  summary: 'Serve a built site with its receiver: the pages (X-Pingback and a Link header where they announce them), the XML-RPC and Webmention endpoints and the read endpoint, over the file-system store.',
  positionals: [],
  flags: {
    root: { type: 'string', value: 'DIR', description: 'The built site (e.g. dist or _site). Required.' },
    port: { type: 'string', value: 'N', description: 'Port to listen on (default 8080; 0 picks a free one).' },
    host: { type: 'string', value: 'H', description: 'Address to listen on (default 127.0.0.1).' },
    site: { type: 'string', value: 'URL', description: "The site's public URL (default: the manifest's site)." },
    store: { type: 'string', value: 'DIR', description: `File-system store folder (default ${DEFAULT_STORE_DIR}).` },
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
    moderation: { type: 'string', value: 'MODE', description: 'auto (default: accepted pingbacks are published) or manual (held as pending).' },
    'source-timeout': { type: 'string', value: 'MS', description: 'Deadline for fetching a source (default 10000).' },
    'endpoint-path': { type: 'string', value: 'PATH', description: 'Path of the XML-RPC endpoint (default /xmlrpc).' },
    'webmention-path': { type: 'string', value: 'PATH', description: "Path of the Webmention endpoint (default: the manifest's, else /webmention)." },
  },
  notes: [
    'A rebuild hook is called (POST) when a pingback is approved if PINGBACK_BUILD_HOOK_URL is set.',
    'Webmentions are answered 202 and verified by this process afterwards, at most 1024 waiting (then 503 with Retry-After).',
    'The first line on stdout is "pingback serve: listening on <url>". Stop with Ctrl-C.',
  ],
};

const FLAG_OF_OPTION: Record<string, string> = {
  allowAddresses: '--allow-address',
  allowedPorts: '--allow-port',
  rateLimit: '--rate-limit',
  sourceTimeoutMs: '--source-timeout',
  moderation: '--moderation',
  endpointPath: '--endpoint-path',
  webmentionPath: '--webmention-path',
  site: '--site',
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
  if (code === 'EADDRINUSE') return new UsageError(`port ${port} on ${host} is already in use; stop what is using it, or pick another with --port (0 picks a free one)`);
  if (code === 'EACCES') return new UsageError(`not allowed to listen on port ${port} on ${host}; pick a port above 1023 with --port`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UsageError(`--host ${host} is not an address of this machine; use e.g. 127.0.0.1 or ::1`);
  return error as Error;
}

export async function serve(parsed: Parsed, io: Io): Promise<number> {
  const f = parsed.flags;
  if (typeof f.root !== 'string') throw new UsageError('--root DIR is required (the built site)');
  const site = new StaticSite(f.root);
  if (!existsSync(site.root)) throw new UsageError(`--root ${f.root} does not exist; build the site first`);
  const log = (line: string) => io.stderr.write(`${line}\n`);

  const manifestPath = typeof f.manifest === 'string' ? f.manifest : existsSync(DEFAULT_MANIFEST_PATH) ? DEFAULT_MANIFEST_PATH : undefined;
  const live = manifestPath ? await LiveManifest.open(resolve(manifestPath), log, (previous, next) => {
    // The receiver answers for the site, hosts and endpoint it started with.
    const changed = (['site', 'endpoint', 'webmention', 'hosts'] as const).filter((k) => JSON.stringify(previous[k]) !== JSON.stringify(next[k]));
    if (changed.length) log(`pingback serve: the manifest's ${changed.join(', ')} changed; restart pingback serve to answer for the new ${changed.length === 1 ? 'value' : 'values'}`);
  }) : undefined;
  const manifest: Manifest | undefined = live?.manifest;
  const siteUrl = (f.site as string | undefined) ?? manifest?.site;
  if (!siteUrl) throw new UsageError('--site URL is required when there is no manifest');
  const endpointPath = (f['endpoint-path'] as string | undefined) ?? (manifest ? new URL(manifest.endpoint).pathname : undefined);
  const endpoint = new URL(endpointPath ?? '/xmlrpc', siteUrl).href;
  const webmentionPath = (f['webmention-path'] as string | undefined) ?? (manifest?.webmention ? new URL(manifest.webmention).pathname : undefined);
  const webmentionEndpoint = new URL(webmentionPath ?? '/webmention', siteUrl).href;
  // Without a manifest the pages say for themselves whether they take linkbacks, read as they are now.
  const endpoints = { pingback: endpoint, webmention: webmentionEndpoint };
  const isPingable = live ? live.isPingable : (key: string) => site.advertises(key, endpoint, webmentionEndpoint);
  const pingableCount = live ? live.manifest.pages.length : (await site.advertisingPages(endpoint, siteUrl, webmentionEndpoint)).length;
  const webmentionLink = `<${webmentionEndpoint}>; rel="webmention"`;
  // The headers repeat what the pages announce: the manifest's switches, or the page's own link elements.
  const pageHeaders = (key: string): Record<string, string> => {
    let announced: { pingback: boolean; webmention: boolean };
    if (live) announced = live.isPingable(key) ? manifestAdvertises(live.manifest) : { pingback: false, webmention: false };
    else announced = site.announces(key, endpoints);
    const headers: Record<string, string> = {};
    if (announced.pingback) headers['x-pingback'] = endpoint;
    if (announced.webmention) headers.link = webmentionLink;
    return headers;
  };

  const port = intFlag(f, 'port') ?? 8080;
  if (port > 65535) throw new UsageError(`--port must be 0–65535, got ${port}`);
  const host = (f.host as string | undefined) ?? '127.0.0.1';

  const storeDir = resolve((f.store as string | undefined) ?? DEFAULT_STORE_DIR);
  const options: ReceiverOptions = {
    site: siteUrl,
    store: new FileStore(storeDir),
    pages: (key) => isPingable(key),
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
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new UsageError(`--allow-port takes port numbers (1–65535), got ${JSON.stringify(port)}`);
    return Number(port);
  });
  if (allowPorts.length) options.allowedPorts = [...new Set([...RECEIVER_DEFAULTS.allowedPorts, ...allowPorts])];
  const rateLimit = intFlag(f, 'rate-limit');
  if (rateLimit !== undefined) options.rateLimit = rateLimit;
  const sourceTimeout = intFlag(f, 'source-timeout');
  if (sourceTimeout !== undefined) options.sourceTimeoutMs = sourceTimeout;
  if (f.moderation !== undefined) options.moderation = f.moderation as ReceiverOptions['moderation'];
  if (io.env.PINGBACK_BUILD_HOOK_URL) options.rebuildHookUrl = io.env.PINGBACK_BUILD_HOOK_URL;
  let receiver: Receiver;
  try {
    receiver = new Receiver(options);
  } catch (error) {
    // The receiver names its options; a user of this command typed flags.
    if (error instanceof PingbackOptionError && FLAG_OF_OPTION[error.option]) throw new UsageError(`${FLAG_OF_OPTION[error.option]}: ${error.message}`);
    throw error;
  }
  const server = createServer(requestListener({ siteUrl, receiver, site, refresh: () => live?.refresh() ?? Promise.resolve(), pageHeaders, log }));
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
    throw listenError(error, host, port);
  }
  guardServer(server, log);
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  io.stdout.write(`pingback serve: listening on http://${shown}:${address.port}\n`);
  io.stdout.write(`  site ${siteUrl}, endpoint ${receiver.endpoint}, webmention ${receiver.webmentionEndpoint}, ${pingableCount} pingable pages, store ${storeDir}${live ? `, reloading ${live.path} when it changes` : ''}\n`);

  await new Promise<void>((done) => {
    const stop = () => {
      server.close(() => done());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await receiver.close();
  return Exit.OK;
}
