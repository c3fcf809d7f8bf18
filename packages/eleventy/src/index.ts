import { resolve } from 'node:path';
import type { EmitStep, IntegrationOptions, PageInfo, PageResult, PublicPingback, ReadResult, ResolvedIntegrationOptions } from '@pingback/core/build';
import {
  PageCache,
  PingbackOptionError,
  canonicalKey,
  finishBuild,
  isRoutePattern,
  keptPage,
  matchesAny,
  openDatabaseStore,
  passSettings,
  processPage,
  readForBuild,
  resolveIntegrationOptions,
  summary,
} from '@pingback/core/build';
import { groupByKey } from '@pingback/core/render';
import type { TemplateFacts } from './front-matter.ts';
import { inputGlob, pageTags, templateFacts } from './front-matter.ts';
import { renderingFilters } from './render-filters.ts';
import { ELEVENTY_COMPATIBILITY, VERSION } from './version.ts';

const NAME = '@pingback/eleventy';
const PREFIX = `[${NAME}]`;

/**
 * Options of the plugin: the shared integration options (as `@pingback/astro` takes them) plus the site
 * URL, which Eleventy has no setting for, the tags that make a page a post, and the global data key.
 */
export interface PingbackEleventyOptions extends Omit<IntegrationOptions, 'posts'> {
  /** The site's absolute URL, with the path prefix if there is one. Required. */
  site?: string;
  /**
   * Which pages are posts, besides those tagged with `postTags`: URL path globs (`/posts/**`), input path
   * globs (`./src/posts/*.md`), or a predicate on `{ url, key, inputPath, data }`. Default
   * `['/posts/**', '/blog/**']`.
   */
  posts?: string | string[] | ((page: PageInfo) => boolean);
  /** Pages with any of these tags are posts. Default `['posts']`. */
  postTags?: string[];
  /** The global data key the pingbacks are under. Default `pingbackData`. */
  dataKey?: string;
}

/** What templates see under the data key. */
export interface PingbackData {
  site: string;
  byKey: Record<string, PublicPingback[]>;
  count: number;
  from: string;
}

interface EleventyConfig {
  versionCheck(range: string): void;
  addPreprocessor(name: string, extensions: string, fn: (data: Record<string, unknown>, content: unknown) => unknown): void;
  addTransform(name: string, fn: (this: { page: { url?: string | false; inputPath?: string; outputPath?: string | false } }, content: string) => unknown): void;
  addGlobalData(name: string, value: unknown): void;
  addFilter(name: string, fn: (...args: unknown[]) => unknown): void;
  addShortcode(name: string, fn: (...args: unknown[]) => unknown): void;
  on(event: string, fn: (arg: EleventyEvent) => unknown): void;
  logger?: { logWithOptions(o: { message: string; type?: string; prefix?: string; force?: boolean }): void };
}

interface EleventyEvent {
  runMode?: 'build' | 'serve' | 'watch';
  outputMode?: 'fs' | 'json' | 'ndjson';
  incremental?: boolean;
  directories?: { output?: string };
}

/** A build of every page to the file system: the only kind that writes the manifest, sends, or keeps the page cache. */
function isFullBuild(event: EleventyEvent): boolean {
  return event.runMode === 'build' && !event.incremental && event.outputMode === 'fs';
}

function isTestRun(env: NodeJS.ProcessEnv): boolean {
  return env.VITEST !== undefined || env.NODE_ENV === 'test';
}

function checkOptions(options: PingbackEleventyOptions): { postTags: string[]; dataKey: string } {
  const postTags = options.postTags ?? ['posts'];
  if (!Array.isArray(postTags) || !postTags.every((t) => typeof t === 'string')) {
    throw new PingbackOptionError(
      'postTags',
      `must be an array of tag names, got ${JSON.stringify(options.postTags)}`,
      'Write e.g. ["posts"], or [] for none.',
    );
  }
  const dataKey = options.dataKey ?? 'pingbackData';
  if (typeof dataKey !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(dataKey)) {
    throw new PingbackOptionError('dataKey', `must be a valid identifier, got ${JSON.stringify(options.dataKey)}`, 'Write e.g. "pingbackData".');
  }
  return { postTags, dataKey };
}

/**
 * The Eleventy plugin: `eleventyConfig.addPlugin(pingback, { site: 'https://blog.example' })`. It adds the
 * link element to posts as they are written, writes the manifest, ships the receiving Function and sends
 * pings after a full build (never from --serve, --watch or --incremental), and exposes the linkbacks as
 * global data, the filters `pingbacksFor`, `pingbackCount`, `pingbackCountText`, `pingbackCountHtml` and
 * `pingbacksHtml`, the `pingbacks` shortcode, the same in protocol-neutral names (`linkbacksFor`, …,
 * `linkbacks`), and the `linkbackStyles` shortcode.
 */
export default function pingback(eleventyConfig: EleventyConfig, options: PingbackEleventyOptions = {}): void {
  eleventyConfig.versionCheck(ELEVENTY_COMPATIBILITY);
  let resolved: ResolvedIntegrationOptions;
  let extra: { postTags: string[]; dataKey: string };
  try {
    const { site, postTags: _tags, dataKey: _key, posts, ...shared } = options;
    extra = checkOptions(options);
    const postRule = posts ?? ['/posts/**', '/blog/**'];
    const tags = extra.postTags;
    let isPost: (page: PageInfo) => boolean;
    if (typeof postRule === 'function') isPost = (page) => postRule(page) || pageTags(page).some((t) => tags.includes(t));
    else {
      const patterns = typeof postRule === 'string' ? [postRule] : postRule;
      if (!Array.isArray(patterns) || !patterns.every((p) => typeof p === 'string')) {
        throw new PingbackOptionError(
          'posts',
          `must be globs or a function, got ${JSON.stringify(postRule)}`,
          'Write e.g. ["/posts/**"] or ["./src/posts/*.md"].',
        );
      }
      const urlGlobs = patterns.filter((p) => p.startsWith('/') && !isRoutePattern(p));
      const inputGlobs = patterns.filter((p) => !p.startsWith('/')).map(inputGlob);
      isPost = (page) =>
        matchesAny(page, urlGlobs) ||
        (page.inputPath !== undefined && inputGlobs.some((g) => g.test(page.inputPath!))) ||
        pageTags(page).some((t) => tags.includes(t));
    }
    resolved = resolveIntegrationOptions(
      { ...shared, posts: isPost },
      {
        site,
        siteHint: 'Pass it to the plugin: eleventyConfig.addPlugin(pingback, { site: "https://example.com" }), with your path prefix if you use one.',
        dryRunByDefault: isTestRun(process.env),
        onNetlify: process.env.NETLIFY === 'true',
        adapterKeys: ['site', 'postTags', 'dataKey'],
        postsOption: `\`posts\` (${typeof postRule === 'function' ? 'a function' : JSON.stringify(typeof postRule === 'string' ? [postRule] : postRule)}${posts === undefined ? ', the default' : ''}) with \`postTags\` (${JSON.stringify(tags)})`,
      },
    );
  } catch (error) {
    if (error instanceof PingbackOptionError) error.message = `${PREFIX} ${error.message}`;
    throw error;
  }

  const root = process.cwd();
  const settings = passSettings(resolved);
  const facts = new Map<string, TemplateFacts>();
  const pages = new Map<string, PageResult>();
  let cache = PageCache.none();
  let passMs = 0;
  let data: PingbackData = { site: resolved.site.href, byKey: {}, count: 0, from: 'nothing yet' };
  const log = (message: string, type: 'info' | 'warn' | 'error' = 'info') => {
    if (eleventyConfig.logger) eleventyConfig.logger.logWithOptions({ message, prefix: PREFIX, type: type === 'info' ? 'log' : type, force: type !== 'info' });
    // biome-ignore lint/suspicious/noConsole: a config without Eleventy's logger (it is optional in the type) leaves only the console.
    else (type === 'info' ? console.log : console.warn)(`${PREFIX} ${message}`);
  };
  const logger = { info: (m: string) => log(m), warn: (m: string) => log(m, 'warn'), error: (m: string) => log(m, 'error') };

  // Front matter, for every template, before it renders: tags and what silences a page.
  eleventyConfig.addPreprocessor(`${NAME}/front-matter`, '*', (templateData) => {
    const page = templateData.page as { inputPath?: string } | undefined;
    if (page?.inputPath) facts.set(page.inputPath, templateFacts(templateData));
    return undefined;
  });

  eleventyConfig.addTransform(NAME, function (content) {
    const { url, inputPath, outputPath } = this.page;
    if (typeof content !== 'string' || typeof outputPath !== 'string' || !outputPath.endsWith('.html') || typeof url !== 'string') return content;
    const fact = inputPath ? facts.get(inputPath) : undefined;
    const pageUrl = new URL(url.replace(/^\//, ''), resolved.site.href.endsWith('/') ? resolved.site : `${resolved.site.href}/`);
    const info: PageInfo = {
      url: pageUrl,
      key: canonicalKey(pageUrl),
      ...(inputPath ? { inputPath } : {}),
      ...(fact ? { data: fact.data } : {}),
      ...(fact?.exclusion ? { exclusion: fact.exclusion } : {}),
      ...(fact?.pingbackOnly ? { pingbackOnly: true } : {}),
    };
    const started = performance.now();
    const result = processPage(content, info, settings, cache);
    const kept = keptPage(result);
    cache.keep(kept);
    passMs += performance.now() - started;
    pages.set(outputPath, kept);
    return result.html;
  });

  const openBlobs = async (siteID: string, token: string) => (await import('@pingback/netlify')).openBlobsForBuild(siteID, token);
  // Loaded only for a postgres:// store: a site without a database installs no driver.
  const openDatabase = (url: string) => openDatabaseStore(url, 'store', () => import('@pingback/postgres'));
  const read = (): Promise<ReadResult> => readForBuild(resolved, root, process.env, openBlobs, openDatabase);

  // Read once per build, before any template renders; filters and shortcodes then look it up synchronously.
  eleventyConfig.on('eleventy.before', async (event) => {
    pages.clear();
    passMs = 0;
    const started = Date.now();
    // Only a full build keeps the pass's results for the next one (it alone sees every page).
    const [[result, readMs], opened] = await Promise.all([
      read().then((r) => [r, Date.now() - started] as const),
      isFullBuild(event) ? PageCache.open(resolved, root) : PageCache.none(),
    ]);
    cache = opened;
    if (result.warning) log(result.warning, 'warn');
    log(summary.read(result, readMs));
    data = { site: resolved.site.href, byKey: groupByKey(result.items), count: result.items.length, from: result.from };
  });
  eleventyConfig.addGlobalData(extra.dataKey, () => data);

  const keyOf = (url: unknown) => canonicalKey(new URL(String(url ?? ''), resolved.site));
  const linkbacksOf = (url: unknown): PublicPingback[] => data.byKey[keyOf(url)] ?? [];
  const { filters, shortcodes } = renderingFilters(linkbacksOf, PREFIX);
  for (const [name, fn] of Object.entries(filters)) eleventyConfig.addFilter(name, fn);
  for (const [name, fn] of Object.entries(shortcodes)) eleventyConfig.addShortcode(name, fn);

  eleventyConfig.on('eleventy.after', async (event) => {
    const all = [...pages.values()];
    if (!isFullBuild(event)) {
      log(
        `${event.runMode ?? 'partial'} build: advertised on ${all.filter((p) => p.advertised).length} pages; no manifest written and nothing sent (only a full build does that)`,
      );
      return;
    }
    log(summary.pass(all, Math.round(passMs)));
    await cache.save();
    let emit: EmitStep | undefined;
    if (resolved.netlify) {
      try {
        emit = (await import('@pingback/netlify')).emitForBuild(resolved, root);
      } catch {
        log('building for Netlify, but @pingback/netlify is not installed: add it (npm i @pingback/netlify) to ship the receiving Function', 'warn');
      }
    }
    // Eleventy has no redirects of its own: the site's `_redirects` (passed through to the output) and netlify.toml are read.
    const output = (event as { directories?: { output?: string } }).directories?.output;
    const outDir = output ? resolve(root, output) : undefined;
    await finishBuild({
      pages: all,
      options: resolved,
      root,
      logger,
      generator: `${NAME}@${VERSION}`,
      ...(outDir ? { outDir } : {}),
      ...(emit ? { emit } : {}),
    });
  });
}

Object.defineProperty(pingback, 'eleventyPackage', { value: NAME });
Object.defineProperty(pingback, 'eleventyPluginOptions', { value: { unique: true } });
