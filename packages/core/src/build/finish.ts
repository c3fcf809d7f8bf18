import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file.ts';
import type { Manifest } from '../site/manifest.ts';
import { PUBLISHED_MANIFEST_PATH, parseManifest } from '../site/manifest.ts';
import type { Logger } from '../receive/logger.ts';
import type { OutboxReport } from '../send/outbox.ts';
import type { ManifestInput } from './manifest-builder.ts';
import { buildManifest } from './manifest-builder.ts';
import type { ResolvedIntegrationOptions } from './options.ts';
import type { PageResult } from './page-pass.ts';
import { summary } from './summary.ts';
import { ALIASES_FILE, readAliasesFile } from '../import/aliases.ts';
import { buildAliases } from '../site/aliases.ts';
import type { Redirect } from '../site/redirects.ts';
import { readDeclaredRedirects } from '../site/redirects.ts';
import { siteMatcher } from '../site/site.ts';

/** The Netlify step, given by `@pingback/netlify`'s `emitForBuild`; returns the line to log. */
export type EmitStep = (manifest: Manifest, manifestPath: string, pages: readonly PageResult[], outDir?: string) => Promise<string>;

export interface FinishInput {
  pages: readonly PageResult[];
  options: ResolvedIntegrationOptions;
  /** The project root: `.pingback/` lives here. */
  root: string;
  logger: Logger;
  generator: string;
  /** Present when the Function must be emitted (building for Netlify). */
  emit?: EmitStep;
  env?: NodeJS.ProcessEnv;
  /** Redirects the host's own config declares (Astro's `redirects`), before Netlify's files. */
  redirects?: readonly Redirect[];
  /** The build's output folder: the Netlify step publishes the manifest and the tombstone page there, and a `_redirects` file may be there. */
  outDir?: string;
}

export interface FinishResult {
  manifest: Manifest;
  manifestPath: string;
  report?: OutboxReport;
}

const SAMPLE_PAGES = 5;

/**
 * A site with pages of which none is a post: the `posts` option (Eleventy: or its tags) matches nothing,
 * and the build would quietly advertise on no page and send nothing. Names the option, a few of the
 * site's URLs and, when most pages share a first folder, the glob that would take them.
 */
export function noPostsWarning(pages: readonly PageResult[], postsOption: string): string | null {
  if (pages.length === 0 || pages.some((p) => p.isPost)) return null;
  const paths = [...new Set(pages.map((p) => URL.parse(p.url)?.pathname ?? p.url))].sort(
    (a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1),
  );
  const folders = new Map<string, number>();
  for (const path of paths) {
    const segments = path.split('/').filter(Boolean);
    if (segments.length >= 2) folders.set(segments[0]!, (folders.get(segments[0]!) ?? 0) + 1);
  }
  const [folder] = [...folders.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0] ?? [];
  const example = folder ? `, e.g. posts: ["/${folder}/**"]` : '';
  const sample = paths.slice(0, SAMPLE_PAGES).join(', ');
  return `${postsOption} matched none of the site's ${pages.length} ${pages.length === 1 ? 'page' : 'pages'}, so no post was scanned: nothing is advertised, pinged or announced. The site's pages include ${sample}${paths.length > SAMPLE_PAGES ? ', …' : ''}; set \`posts\` to match its posts${example}`;
}

/**
 * The manifest of the build before this one: `.pingback/manifest.json` where it is kept (local builds,
 * CI with a cache); on Netlify, where every build starts from a fresh clone, the copy the live deploy
 * publishes at `PUBLISHED_MANIFEST_PATH`. Without one no post can be known to be gone; that is a warning,
 * never a failed build.
 */
async function previousManifest(text: string | null, path: string, options: ResolvedIntegrationOptions, logger: Logger): Promise<Manifest | null> {
  if (text !== null) {
    try {
      return parseManifest(JSON.parse(text), path);
    } catch {
      logger.warn(`${path} could not be read as a manifest; posts removed since the last build are not marked gone this time`);
      return null;
    }
  }
  if (!options.netlify || options.dryRun) return null;
  const url = new URL(PUBLISHED_MANIFEST_PATH, options.site).href;
  try {
    // Only a Netlify build that is no dry run reads over HTTP: the client is loaded then.
    const [{ httpRequest }, { userAgent }] = await Promise.all([import('../net/http-request.ts'), import('../net/user-agent.ts')]);
    const response = await httpRequest({
      url,
      method: 'GET',
      headers: { accept: 'application/json', 'user-agent': userAgent(options.site.href, 'reading the live manifest at build time') },
      maxBytes: 32 * 1024 * 1024,
      timeoutMs: 10_000,
      maxRedirects: 3,
    });
    if (response.status === 404) return null; // the first deploy with this version: nothing published yet
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    return parseManifest(JSON.parse(Buffer.from(response.body).toString('utf8')), url);
  } catch (error) {
    logger.warn(`could not read the live manifest at ${url} (${(error as Error).message}); posts removed since the last deploy are not marked gone this time`);
    return null;
  }
}

/**
 * The aliases of this build: the redirects the site declares (the host's config, then Netlify's
 * `_redirects` and `netlify.toml`) and what an import matched (`aliases.json` beside the manifest), each leading to a
 * page that takes pingbacks. A file that can't be read, or a redirect that can't be an alias, is a warning.
 */
async function siteAliases(input: FinishInput, pages: readonly string[], manifestPath: string): Promise<Record<string, string>> {
  const { options, root, logger } = input;
  const declared = await readDeclaredRedirects(root, input.outDir);
  for (const problem of declared.problems) logger.warn(problem);
  let extra: Record<string, string> = {};
  try {
    extra = await readAliasesFile(join(dirname(manifestPath), ALIASES_FILE));
  } catch (error) {
    logger.warn(`${(error as Error).message} Old URLs from the import are not aliases in this build.`);
  }
  const redirects = [...(input.redirects ?? []), ...declared.redirects];
  if (redirects.length === 0 && Object.keys(extra).length === 0) return {};
  const site = siteMatcher(options.site, options.hosts);
  const result = buildAliases(redirects, { site: options.site, isOwn: site.isOwn, pages, extra });
  const count = Object.keys(result.aliases).length;
  if (count > 0)
    logger.info(
      `${count} old ${count === 1 ? 'URL leads' : 'URLs lead'} to posts (redirects and imported permalinks): pingbacks to ${count === 1 ? 'it' : 'them'} land on the posts`,
    );
  for (const s of result.skipped.slice(0, 5)) logger.warn(`redirect ${s.origin} is no alias: ${s.why}`);
  if (result.skipped.length > 5) logger.warn(`… and ${result.skipped.length - 5} more redirects that are no aliases`);
  return result.aliases;
}

/**
 * Everything after the page pass, the same for Astro and Eleventy: write the manifest (only when it
 * changed), emit the Netlify Function, and send according to the send mode. Nothing here fails a build:
 * a failed step is one warning line, and a later run picks up what was left.
 */
export async function finishBuild(input: FinishInput): Promise<FinishResult> {
  const { options, root, logger, pages } = input;
  const manifestInput: ManifestInput = {
    site: options.site,
    endpoint: options.endpoint,
    webmention: options.webmentionEndpoint,
    advertise: options.advertiseProtocols,
    hosts: options.hosts,
    directories: options.directories,
    feed: options.feed,
    name: options.name,
    generator: input.generator,
  };
  const manifestPath = resolve(root, options.manifest);
  const previous = await readFile(manifestPath, 'utf8').catch(() => null);
  manifestInput.previous = await previousManifest(previous, manifestPath, options, logger);
  const manifest = buildManifest(pages, manifestInput);
  const aliases = await siteAliases(input, manifest.pages, manifestPath);
  if (Object.keys(aliases).length > 0) manifest.aliases = aliases;
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  if (previous !== text) await writeFileAtomic(manifestPath, text);
  logger.info(summary.manifest(relative(root, manifestPath) || manifestPath, manifest.pages.length, manifest.posts.length, previous !== text));
  const fresh = (manifest.gone ?? []).filter((g) => !manifestInput.previous?.gone?.some((p) => p.key === g.key));
  if (fresh.length > 0)
    logger.info(
      `${fresh.length} ${fresh.length === 1 ? 'post is' : 'posts are'} gone since the last build (${fresh
        .slice(0, 3)
        .map((g) => g.key)
        .join(', ')}${fresh.length > 3 ? ', …' : ''}): each target that had a Webmention is told once the post answers 410 Gone`,
    );

  const noPosts = noPostsWarning(pages, options.postsOption);
  if (noPosts) logger.warn(noPosts);
  for (const page of pages) {
    if (page.foreignLink && page.advertised) logger.warn(`${page.key} already advertises ${page.foreignLink}, not ${options.endpoint}; left as it is`);
    if (page.isPost && page.excluded === null && page.scan.contentSelector === null)
      logger.warn(`${page.key}: none of the content selectors matched, so no links were taken from it`);
  }

  if (input.emit) {
    try {
      logger.info(await input.emit(manifest, manifestPath, pages, input.outDir));
    } catch (error) {
      logger.error(`could not emit the Netlify Function: ${(error as Error).message}`);
    }
  }

  const pending = manifest.posts.reduce((n, p) => n + p.targets.length, 0);
  if (options.send === 'off') return { manifest, manifestPath };
  if (options.send === 'after-deploy') {
    if (pending > 0 && !options.netlify) logger.info(`${pending} links queued: run \`pingback send\` after deploy`);
    else if (pending > 0) logger.info(`${pending} links queued: the Function sends them when the deploy is live`);
    return { manifest, manifestPath };
  }
  if (options.dryRun) {
    logger.info(`dry run: ${pending} links would be checked and pinged; nothing was sent`);
    return { manifest, manifestPath };
  }
  try {
    // The sender (discovery, both protocols, the XML-RPC codec) is loaded only by a build that sends.
    const [{ FileLedger }, { sendOutbox }] = await Promise.all([import('../send/ledger-file.ts'), import('../send/outbox.ts')]);
    const ledger = await FileLedger.open(resolve(root, options.ledger));
    const report = await sendOutbox(manifest, {
      ledger,
      notifyEdits: options.notifyEdits,
      site: options.site.href,
      allowPrivateNetwork: options.allowPrivateNetwork,
      ...(options.protocols ? { protocols: options.protocols } : {}),
    });
    logger.info(summary.sent(report, 'build'));
    // A site that is not public sends nothing and says so in that one line.
    if (report.notPublic === undefined) logger.info(summary.directories(report));
    if (options.verbose) for (const row of report.rows) logger.info(`  ${row.status} ${row.source} → ${row.target}: ${row.message}`);
    return { manifest, manifestPath, report };
  } catch (error) {
    logger.warn(`pings not sent: ${(error as Error).message}; the next build or \`pingback send\` will try again`);
    return { manifest, manifestPath };
  }
}
