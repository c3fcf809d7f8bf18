import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BatchOptions, Manifest, OutboxReport, PageResult } from '@pingback/core';
import {
  BATCH_DEFAULTS,
  DEFAULT_MANIFEST_PATH,
  FileLedger,
  INTEGRATION_DEFAULTS,
  StoreLedger,
  buildManifest,
  checkUrlOption,
  isDatabaseUrl,
  pageInfo,
  passSettings,
  processPage,
  keptPage,
  readManifest,
  resolveIntegrationOptions,
  sendOutbox,
  summary,
} from '@pingback/core';
import type { CommandSpec, Parsed } from '../args.ts';
import { UsageError, intFlag } from '../args.ts';
import type { Io } from '../io.ts';
import { Exit } from '../io.ts';
import { StaticSite } from '../serve/static-site.ts';
import { openDatabase } from '../store-flags.ts';

export const sendSpec: CommandSpec = {
  name: 'send',
  summary:
    "Send a build's Webmentions and pingbacks after deploy: check each post is live, notify its links (Webmention where the target offers it, else Pingback), tell the targets of edited and deleted posts, tell directories about new posts, and record it all in the ledger.",
  positionals: [],
  flags: {
    manifest: { type: 'string', value: 'FILE', description: `The build's manifest (default ${DEFAULT_MANIFEST_PATH}).` },
    root: { type: 'string', value: 'DIR', description: 'Or scan a built site instead: its pages with a pingback link are the posts (needs --site).' },
    site: { type: 'string', value: 'URL', description: "The site's public URL (default: the manifest's)." },
    ledger: {
      type: 'string',
      value: 'FILE|URL',
      description: `What was sent before (default ${INTEGRATION_DEFAULTS.ledger}); keep it between runs. A postgres:// URL keeps it in that database, and runs take turns.`,
    },
    directory: { type: 'string', multiple: true, value: 'URL', description: 'With --root: a weblogUpdates service to tell about new posts (repeatable).' },
    'dry-run': { type: 'boolean', description: 'Touch no network: list what would be checked and sent.' },
    'notify-edits': { type: 'boolean', description: 'Tell directories about edited posts too, not just new ones.' },
    'allow-private-network': {
      type: 'boolean',
      description:
        'Send even when the site is not public (loopback, private, localhost, *.test, *.example, …), and to targets and endpoints on such addresses: for local demos and tests only.',
    },
    prefer: { type: 'string', value: 'PROTOCOL', description: 'Where a target offers both: webmention (default) or pingback.' },
    'no-webmention': { type: 'boolean', description: 'Send no Webmentions (pingbacks only).' },
    'no-pingback': { type: 'boolean', description: 'Send no pingbacks (Webmentions only).' },
    json: {
      type: 'boolean',
      description:
        'Print one JSON row per (source, target) with its protocol: registered, already-registered, refused, retryable, no-endpoint, queued or skipped.',
    },
    strict: { type: 'boolean', description: 'Exit 1 when any ping was refused or is to be retried.' },
    timeout: { type: 'string', value: 'MS', description: 'Deadline of each HTTP request (default 10000).' },
    budget: {
      type: 'string',
      value: 'MS',
      description: `Stop starting pings after this long (default ${BATCH_DEFAULTS.budgetMs}); the rest waits for the next run.`,
    },
    concurrency: { type: 'string', value: 'N', description: `Pings in flight at once (default ${BATCH_DEFAULTS.concurrency}).` },
    'per-host': { type: 'string', value: 'N', description: `Pings in flight to one host (default ${BATCH_DEFAULTS.perHost}).` },
  },
  notes: [
    'Run it as a post-deploy step: a post is pinged from only once the live page links to the target; what is not live yet stays queued for the next run.',
    'A target, a redirect or an endpoint on a loopback, private or reserved address is never contacted (the row is refused) unless --allow-private-network.',
    'An edited post resends its Webmentions, also to the links it lost; a post gone from the build (the manifest\'s "gone") tells each target that had a Webmention, once it answers 410 Gone.',
    'A site whose URL is not public (127.0.0.1, a private address, localhost, *.local, *.internal, *.test, *.example, *.invalid) sends nothing and tells no directory, unless --allow-private-network.',
    'Exit status: 0 (even if some pings failed), 1 with --strict when one was refused or is retryable, 2 bad arguments.',
  ],
};

async function scanRoot(root: string, site: string, io: Io): Promise<Manifest> {
  const built = new StaticSite(root);
  if (!existsSync(built.root)) throw new UsageError(`--root ${root} does not exist; build the site first`);
  // Without a manifest, the posts are the pages that advertise a Pingback endpoint: the integrations put
  // the link only on posts.
  const options = resolveIntegrationOptions(
    { posts: () => true, directories: [] },
    { site, siteHint: 'Give --site URL.', dryRunByDefault: false, onNetlify: false },
  );
  const settings = passSettings(options);
  const started = Date.now();
  const pages: PageResult[] = [];
  for (const path of await built.htmlPaths()) {
    const file = built.fileFor(path);
    if (!file) continue;
    const html = await readFile(file, 'utf8');
    const result = processPage(html, pageInfo(options.site, path), settings);
    if (result.hadLink) pages.push({ ...keptPage(result), advertised: true });
  }
  io.stderr.write(`${summary.pass(pages, Date.now() - started)}\n`);
  return buildManifest(pages, {
    site: options.site,
    endpoint: options.endpoint,
    hosts: [],
    directories: [],
    feed: null,
    name: undefined,
    generator: 'pingback send --root',
  });
}

export async function send(parsed: Parsed, io: Io): Promise<number> {
  const f = parsed.flags;
  if (f.manifest !== undefined && f.root !== undefined) throw new UsageError('give --manifest or --root, not both');
  let manifest: Manifest;
  if (typeof f.root === 'string') {
    if (typeof f.site !== 'string') throw new UsageError('--root needs --site URL');
    manifest = await scanRoot(f.root, checkUrlOption('--site', f.site).href, io);
    manifest.directories = ((f.directory as string[] | undefined) ?? []).map((d) => checkUrlOption('--directory', d).href);
  } else {
    manifest = await readManifest(resolve((f.manifest as string | undefined) ?? DEFAULT_MANIFEST_PATH));
    if (typeof f.site === 'string') manifest.site = checkUrlOption('--site', f.site).href;
  }
  const batch: Omit<BatchOptions, 'ledger' | 'onRow'> = { site: manifest.site };
  const timeout = intFlag(f, 'timeout');
  if (timeout !== undefined) batch.timeoutMs = timeout;
  const budget = intFlag(f, 'budget');
  if (budget !== undefined) batch.budgetMs = budget;
  const concurrency = intFlag(f, 'concurrency');
  if (concurrency !== undefined) batch.concurrency = concurrency;
  const perHost = intFlag(f, 'per-host');
  if (perHost !== undefined) batch.perHost = perHost;
  if (f.prefer !== undefined && f.prefer !== 'webmention' && f.prefer !== 'pingback')
    throw new UsageError(`--prefer takes webmention or pingback, got ${JSON.stringify(f.prefer)}`);
  if (f['no-webmention'] && f['no-pingback']) throw new UsageError('--no-webmention and --no-pingback together leave nothing to send');
  if (f.prefer === 'webmention' && f['no-webmention']) throw new UsageError('--prefer webmention with --no-webmention: pick one');
  if (f.prefer === 'pingback' && f['no-pingback']) throw new UsageError('--prefer pingback with --no-pingback: pick one');
  const protocols: NonNullable<BatchOptions['protocols']> = {};
  if (f.prefer !== undefined) protocols.prefer = f.prefer as 'webmention' | 'pingback';
  if (f['no-webmention']) protocols.webmention = false;
  if (f['no-pingback']) protocols.pingback = false;
  batch.protocols = protocols;

  const options = {
    ...batch,
    dryRun: f['dry-run'] === true,
    notifyEdits: f['notify-edits'] === true,
    allowPrivateNetwork: f['allow-private-network'] === true,
  };

  const ledgerAt = (f.ledger as string | undefined) ?? INTEGRATION_DEFAULTS.ledger;
  let report: OutboxReport;
  if (isDatabaseUrl(ledgerAt)) {
    const { store } = await openDatabase(ledgerAt, '--ledger');
    try {
      const run = () => sendOutbox(manifest, { ...options, ledger: new StoreLedger(store) });
      // One run at a time over a shared ledger: a second waits for the first, then finds nothing left to send.
      // A run ends within its budget plus the deadlines of the pings in flight.
      const waitMs = (batch.budgetMs ?? BATCH_DEFAULTS.budgetMs) + 120_000;
      report = store.withLock ? await store.withLock('send', run, { waitMs }) : await run();
    } finally {
      await store.close?.();
    }
  } else {
    report = await sendOutbox(manifest, { ...options, ledger: await FileLedger.open(resolve(ledgerAt)) });
  }
  if (f.json) {
    io.stdout.write(`${JSON.stringify(report.rows, null, 2)}\n`);
    if (report.notPublic !== undefined) io.stderr.write(`${summary.sent(report, 'pingback send')}\n`);
  } else if (report.notPublic !== undefined) io.stdout.write(`${summary.sent(report, 'pingback send')}\n`);
  else {
    for (const row of report.rows) {
      const how = [row.protocol, row.why].filter(Boolean).join(', ');
      io.stdout.write(`${row.status.padEnd(18)} ${row.source} → ${row.target}${how ? ` (${how})` : ''}\n${''.padEnd(19)}${row.message}\n`);
    }
    io.stdout.write(`${summary.sent(report, 'pingback send')}\n${summary.directories(report)}\n`);
    const sent =
      report.counts.registered + report.counts['already-registered'] + report.counts.refused + report.counts.retryable + report.counts['no-endpoint'];
    if (sent === 0 && report.counts.queued === 0) io.stdout.write('nothing new to send\n');
  }
  const failed = report.counts.refused + report.counts.retryable;
  return f.strict && failed > 0 ? Exit.NEGATIVE : Exit.OK;
}
