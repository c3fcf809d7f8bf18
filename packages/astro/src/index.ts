import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { posix, relative, sep } from 'node:path';
import type { AstroIntegration, AstroIntegrationLogger } from 'astro';
import type { EmitStep, IntegrationOptions, PageResult, ReadResult, Redirect, ResolvedIntegrationOptions } from '@pingback/core/build';
import {
  PageCache,
  PingbackOptionError,
  finishBuild,
  keptPage,
  openDatabaseStore,
  pageInfo,
  passSettings,
  processPage,
  readForBuild,
  resolveIntegrationOptions,
  summary,
} from '@pingback/core/build';
import { pingbackDataPlugin } from './data-plugin.ts';
import { astroRedirects } from './redirects.ts';
import { writeInsertion } from './rewrite-file.ts';
import { setRegistry } from './registry.ts';
import { VERSION } from './version.ts';

export type { PingbackData } from './data-plugin.ts';

/** Options of `pingback()`: the shared integration options; `posts` takes path globs and Astro route patterns. */
export type PingbackAstroOptions = IntegrationOptions;

const NAME = '@pingback/astro';
const PAGE_BATCH = 64;

function isTestRun(env: NodeJS.ProcessEnv): boolean {
  return env.VITEST !== undefined || env.NODE_ENV === 'test';
}

/** `posts/hello/index.html` under the output folder → `/posts/hello/` under the site's base. */
function pagePath(dir: string, file: string, base: string): string {
  const rel = relative(dir, file).split(sep).join('/');
  const path = rel.endsWith('index.html') ? rel.slice(0, -'index.html'.length) : rel;
  return posix.join(base.endsWith('/') ? base : `${base}/`, path);
}

/**
 * The Astro integration. Add it to `astro.config.mjs`; `site` must be set. At build it advertises the
 * endpoint on posts, writes the manifest, ships the receiving Function when building for Netlify, and
 * sends pings when the send mode says so; `<Pingbacks />` renders what was received.
 */
export default function pingback(options: PingbackAstroOptions = {}): AstroIntegration {
  let resolved: ResolvedIntegrationOptions;
  let root: string;
  let base = '/';
  let reading: Promise<ReadResult> | undefined;
  let log: AstroIntegrationLogger | undefined;
  let redirects: Redirect[] = [];

  const read = (): Promise<ReadResult> => {
    reading ??= (async () => {
      const started = Date.now();
      const openBlobs = async (siteID: string, token: string) => (await import('@pingback/netlify')).openBlobsForBuild(siteID, token);
      // Loaded only for a postgres:// store: a site without a database installs no driver.
      const openDatabase = (url: string) => openDatabaseStore(url, 'store', () => import('@pingback/postgres'));
      const result = await readForBuild(resolved, root, process.env, openBlobs, openDatabase);
      if (result.warning) log?.warn(result.warning);
      log?.info(summary.read(result, Date.now() - started));
      return result;
    })();
    return reading;
  };

  return {
    name: NAME,
    hooks: {
      'astro:config:setup': ({ config, command, updateConfig, logger }) => {
        log = logger;
        try {
          resolved = resolveIntegrationOptions(options, {
            site: config.site,
            siteHint: 'Set `site` in astro.config.mjs, e.g. site: "https://example.com".',
            dryRunByDefault: command === 'dev' || isTestRun(process.env),
            onNetlify: process.env.NETLIFY === 'true',
          });
        } catch (error) {
          if (error instanceof PingbackOptionError) error.message = `[${NAME}] ${error.message}`;
          throw error;
        }
        root = fileURLToPath(config.root);
        base = config.base;
        redirects = astroRedirects(config.redirects as Record<string, unknown> | undefined);
        setRegistry({ read });
        updateConfig({
          vite: {
            plugins: [
              pingbackDataPlugin(
                () => resolved.site.href,
                async () => (await read()).items,
              ),
            ],
          },
        });
      },

      'astro:build:done': async ({ dir, assets, logger }) => {
        const started = Date.now();
        const outDir = fileURLToPath(dir);
        const files = [...assets.entries()].flatMap(([route, urls]) =>
          urls
            .map((u) => fileURLToPath(u))
            .filter((f) => f.endsWith('.html'))
            .map((file) => ({ route, file })),
        );
        const settings = passSettings(resolved);
        const cache = await PageCache.open(resolved, root);
        // Synchronous reads and writes, yielding between batches: the files are small and were just written,
        // so they are in the page cache, and one call each costs far less than the thread-pool round trips of
        // fs/promises (open, stat, read, close): on the 1,000-page bench site the pass took 450–590 ms that
        // way, most of it waiting, and 310–400 ms so.
        const pages: PageResult[] = [];
        for (let i = 0; i < files.length; i++) {
          const { route, file } = files[i]!;
          const bytes = readFileSync(file);
          const html = bytes.toString('utf8');
          const result = processPage(html, pageInfo(resolved.site, pagePath(outDir, file, base), { route }), settings, cache);
          // The pass only ever inserts the link elements, at the one place the scan gives.
          if (result.changed) writeInsertion(file, bytes, html, result.html, result.scan.insertAt);
          // The page text is not needed any more: keep memory flat on big sites.
          const kept = keptPage(result);
          cache.keep(kept);
          pages.push(kept);
          // Let the event loop breathe between batches (Astro's logger, other integrations' timers).
          if (i % PAGE_BATCH === PAGE_BATCH - 1) await new Promise((resolve) => setImmediate(resolve));
        }
        logger.info(summary.pass(pages, Date.now() - started));
        await cache.save();

        let emit: EmitStep | undefined;
        if (resolved.netlify) {
          try {
            const netlify = await import('@pingback/netlify');
            emit = netlify.emitForBuild(resolved, root);
          } catch {
            logger.warn('building for Netlify, but @pingback/netlify is not installed: add it (npm i @pingback/netlify) to ship the receiving Function');
          }
        }
        await finishBuild({
          pages,
          options: resolved,
          root,
          logger: { info: (m) => logger.info(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
          generator: `${NAME}@${VERSION}`,
          redirects,
          outDir,
          ...(emit ? { emit } : {}),
        });
      },
    },
  };
}
