import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file.ts';
import { FileLedger } from '../send/ledger-file.ts';
import type { Manifest } from '../site/manifest.ts';
import type { Logger } from '../receive/logger.ts';
import { sendOutbox } from '../send/outbox.ts';
import type { OutboxReport } from '../send/outbox.ts';
import type { ManifestInput } from './manifest-builder.ts';
import { buildManifest } from './manifest-builder.ts';
import type { ResolvedIntegrationOptions } from './options.ts';
import type { PageResult } from './page-pass.ts';
import { summary } from './summary.ts';

/** The Netlify step, given by `@pingback/netlify`'s `emitForBuild`; returns the line to log. */
export type EmitStep = (manifest: Manifest, manifestPath: string, pages: readonly PageResult[]) => Promise<string>;

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
  const paths = [...new Set(pages.map((p) => URL.parse(p.url)?.pathname ?? p.url))].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1));
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
  const manifest = buildManifest(pages, manifestInput);
  const manifestPath = resolve(root, options.manifest);
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const previous = await readFile(manifestPath, 'utf8').catch(() => null);
  if (previous !== text) await writeFileAtomic(manifestPath, text);
  logger.info(summary.manifest(relative(root, manifestPath) || manifestPath, manifest.pages.length, manifest.posts.length, previous !== text));

  const noPosts = noPostsWarning(pages, options.postsOption);
  if (noPosts) logger.warn(noPosts);
  for (const page of pages) {
    if (page.foreignLink && page.advertised) logger.warn(`${page.key} already advertises ${page.foreignLink}, not ${options.endpoint}; left as it is`);
    if (page.isPost && page.excluded === null && page.scan.contentSelector === null) logger.warn(`${page.key}: none of the content selectors matched, so no links were taken from it`);
  }

  if (input.emit) {
    try {
      logger.info(await input.emit(manifest, manifestPath, pages));
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
    const ledger = await FileLedger.open(resolve(root, options.ledger));
    const report = await sendOutbox(manifest, { ledger, notifyEdits: options.notifyEdits, site: options.site.href, allowPrivateNetwork: options.allowPrivateNetwork });
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
