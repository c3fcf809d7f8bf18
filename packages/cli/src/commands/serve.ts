import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Manifest, ReceiverOptions } from '@pingback/core';
import { DEFAULT_MANIFEST_PATH, PingbackOptionError, RECEIVER_DEFAULTS, Receiver, canonicalKey, readManifest } from '@pingback/core';
import { clientAddress, readPlainRequest, sendPlainResponse } from '@pingback/core/node';
import type { CommandSpec, Parsed } from '../args.ts';
import { UsageError, intFlag, listFlag } from '../args.ts';
import type { Io } from '../io.ts';
import { Exit } from '../io.ts';
import { StaticSite } from '../serve/static-site.ts';
import { DEFAULT_STORE_DIR, openLocation } from '../store-flags.ts';

export const serveSpec: CommandSpec = {
  name: 'serve',
  summary: 'Serve a built site with its Pingback receiver: the pages (X-Pingback on pingable ones), the XML-RPC endpoint and the read endpoint, over the file-system store.',
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
    moderation: { type: 'string', value: 'MODE', description: 'auto (default: accepted pingbacks are published) or manual (held as pending).' },
    'source-timeout': { type: 'string', value: 'MS', description: 'Deadline for fetching a source (default 10000).' },
    'endpoint-path': { type: 'string', value: 'PATH', description: 'Path of the XML-RPC endpoint (default /xmlrpc).' },
  },
  notes: [
    'A rebuild hook is called (POST) when a pingback is approved if PINGBACK_BUILD_HOOK_URL is set.',
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
  site: '--site',
};

export async function serve(parsed: Parsed, io: Io): Promise<number> {
  const f = parsed.flags;
  if (typeof f.root !== 'string') throw new UsageError('--root DIR is required (the built site)');
  const site = new StaticSite(f.root);
  if (!existsSync(site.root)) throw new UsageError(`--root ${f.root} does not exist; build the site first`);

  const manifestPath = typeof f.manifest === 'string' ? f.manifest : existsSync(DEFAULT_MANIFEST_PATH) ? DEFAULT_MANIFEST_PATH : undefined;
  const manifest: Manifest | undefined = manifestPath ? await readManifest(resolve(manifestPath)) : undefined;
  const siteUrl = (f.site as string | undefined) ?? manifest?.site;
  if (!siteUrl) throw new UsageError('--site URL is required when there is no manifest');
  const endpointPath = (f['endpoint-path'] as string | undefined) ?? (manifest ? new URL(manifest.endpoint).pathname : undefined);
  const endpoint = new URL(endpointPath ?? '/xmlrpc', siteUrl).href;
  const pages = manifest ? manifest.pages : await site.advertisingPages(endpoint, siteUrl);

  const { store, where } = await openLocation((f.store as string | undefined) ?? io.env.PINGBACK_DATABASE_URL ?? DEFAULT_STORE_DIR, '--store', f, io);
  const options: ReceiverOptions = {
    site: siteUrl,
    store,
    pages,
    pageExists: site.pageExists,
    hosts: manifest?.hosts ?? [],
    allowPrivateNetwork: f['allow-private-network'] === true,
    logger: {
      info: (m) => io.stderr.write(`${m}\n`),
      warn: (m) => io.stderr.write(`${m}\n`),
      error: (m) => io.stderr.write(`${m}\n`),
    },
  };
  if (endpointPath) options.endpointPath = endpointPath;
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
  const pingable = new Set(pages);
  const { endpointPath: xmlrpcPath, readPath } = receiver.settings;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const head = req.method === 'HEAD';
    const work =
      url.pathname === xmlrpcPath || url.pathname === readPath
        ? readPlainRequest(req, siteUrl, receiver.settings.maxRequestBytes).then(async (request) => {
            const answer = await receiver.respond(request, { clientAddress: clientAddress(req) });
            // A body cut off at the cap is still arriving: close the connection after the answer.
            if (!request.complete) res.setHeader('connection', 'close');
            sendPlainResponse(answer, res, head);
          })
        : req.method !== 'GET' && !head
          ? Promise.resolve(void res.writeHead(405, { allow: 'GET, HEAD' }).end())
          : site.serve(url.pathname, res, head, pingable.has(canonicalKey(new URL(url.pathname, siteUrl))) ? { 'x-pingback': receiver.endpoint } : {});
    work.catch((error: unknown) => {
      io.stderr.write(`pingback serve: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  const port = intFlag(f, 'port') ?? 8080;
  const host = (f.host as string | undefined) ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolveListen);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  io.stdout.write(`pingback serve: listening on http://${shown}:${address.port}\n`);
  io.stdout.write(`  site ${siteUrl}, endpoint ${receiver.endpoint}, ${pingable.size} pingable pages, store ${where}\n`);

  await new Promise<void>((done) => {
    const stop = () => {
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
