import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { PageScan } from '../html/page-scan.ts';
import { VERSION } from '../version.ts';
import type { ResolvedIntegrationOptions } from './options.ts';
import type { PageResult } from './page-pass.ts';

/**
 * What a page's text settles, whatever its front matter says: the scan (as `keptPage` keeps it, without
 * the links and content ranges) and, when the page was a post, its targets and hashes. The same text at
 * the same URL, under the same settings, settles the same again.
 */
export interface PageFacts {
  scan: PageScan;
  /** Null when the page was not a post taking part last time: its links were not kept then. */
  targets: string[] | null;
  hash: string | null;
  contentHash: string | null;
}

interface Entry {
  fingerprint: string;
  facts: PageFacts;
}

/** Bumped when what an entry holds changes shape; a file of another format is read as empty. */
const FORMAT = 2;

/** Hashes a page's text; the cache's only use of it is telling an unchanged page from an edited one. */
type Fingerprinter = (html: string) => string;

/**
 * XXH64 of the page's UTF-8 and its length. Not SHA-256: that took 18 ms over the bench site's 1,000
 * pages (29 MB), most of a rebuild's page pass, against 3.3 ms. The text is the site's own build output,
 * never a stranger's, so there is no one to forge a collision; an edit that keeps all 64 bits and the
 * length is one in 2^64. The module (which Astro already installs) is loaded only by a build that keeps a cache.
 */
async function loadFingerprinter(): Promise<Fingerprinter> {
  const { h64ToString } = await (await import('xxhash-wasm')).default();
  return (html) => `${html.length.toString(36)}-${h64ToString(html)}`;
}

/** The cache's file under the integration's `cacheDir`. */
export const PAGE_CACHE_FILE = 'build-pass.json';

/**
 * The build pass's results kept from one build to the next (`node_modules/.cache/pingback/build-pass.json`,
 * which Netlify keeps between builds with the rest of `node_modules`). Most pages of a rebuilt blog are
 * byte for byte what they were: such a page costs a hash of its text instead of a scan, the targets'
 * URL parsing and the content hash, about a fifth of the pass. A page whose text, URL, the scan settings,
 * the site's hosts or this package's version changed is scanned again. Nothing here is read from a
 * stranger: the file is the build's own, and one that can't be read is an empty cache.
 */
export class PageCache {
  private readonly next = new Map<string, Entry>();
  private changed = false;

  private readonly path: string | null;
  private readonly key: string;
  private readonly previous: ReadonlyMap<string, Entry>;
  private readonly print: Fingerprinter | null;

  private constructor(path: string | null, key: string, previous: ReadonlyMap<string, Entry>, print: Fingerprinter | null) {
    this.path = path;
    this.key = key;
    this.previous = previous;
    this.print = print;
  }

  /** A cache that keeps nothing: every page is scanned. */
  static none(): PageCache {
    return new PageCache(null, '', new Map(), null);
  }

  /** The cache of the integration's options, as the last full build left it (empty when there is none or it can't be used). */
  static async open(options: ResolvedIntegrationOptions, root: string): Promise<PageCache> {
    const key = JSON.stringify([
      FORMAT,
      VERSION,
      options.scan.content.map((s) => s.source),
      options.scan.exclude?.source ?? null,
      options.site.href,
      options.hosts,
      options.skipHosts,
    ]);
    const path = resolve(root, options.cacheDir, PAGE_CACHE_FILE);
    // A runtime without WebAssembly (node --jitless) gets no cache: every page scanned, as before it existed.
    const [text, print] = await Promise.all([readFile(path, 'utf8').catch(() => null), loadFingerprinter().catch(() => null)]);
    if (print === null) return PageCache.none();
    return new PageCache(path, key, text === null ? new Map() : entriesOf(text, key), print);
  }

  /** What identifies a page's text: a byte-identical page, and only one, has the same. */
  fingerprint(html: string): string | null {
    return this.print === null ? null : this.print(html);
  }

  /** The facts of the page at `url` in the last build, if its text had this fingerprint then. */
  lookup(url: string, fingerprint: string): PageFacts | undefined {
    const entry = this.previous.get(url);
    return entry?.fingerprint === fingerprint ? entry.facts : undefined;
  }

  /** Keeps a page's result (as `keptPage` left it: the cache holds no page's text) for the next build. */
  keep(result: PageResult): void {
    if (this.path === null || !result.fingerprint) return;
    const taking = result.isPost && result.excluded === null;
    const facts: PageFacts = {
      scan: result.scan,
      targets: taking ? result.targets : null,
      hash: taking ? result.hash : null,
      contentHash: taking ? (result.contentHash ?? null) : null,
    };
    this.next.set(result.url, { fingerprint: result.fingerprint, facts });
    if (!result.cached) this.changed = true;
  }

  /**
   * Writes what this build kept, the pages of this build only, if anything differs from what was read.
   * Replaced without a flush: a lost or stale file only means a build that scans every page.
   */
  async save(): Promise<void> {
    if (this.path === null || (!this.changed && this.next.size === this.previous.size)) return;
    const pages: Record<string, [string, PageFacts]> = {};
    for (const [url, entry] of this.next) pages[url] = [entry.fingerprint, entry.facts];
    // Loaded here: a build imports this module on every run, and writes the cache at most once.
    const { replaceFile } = await import('../store/atomic-file.ts');
    await replaceFile(this.path, JSON.stringify({ format: FORMAT, key: this.key, pages }));
  }
}

/** The entries of a cache file written under `key`; none when it was written under another, or is not one. */
function entriesOf(text: string, key: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return entries;
  }
  const file = parsed as { format?: unknown; key?: unknown; pages?: unknown };
  if (file?.format !== FORMAT || file.key !== key || typeof file.pages !== 'object' || file.pages === null) return entries;
  const pages = file.pages as Record<string, unknown>;
  // A build reads a thousand entries before its first page: plain loops, no array or closure per entry.
  for (const url in pages) {
    if (!Object.hasOwn(pages, url)) continue;
    const value = pages[url];
    if (!Array.isArray(value) || typeof value[0] !== 'string') continue;
    if (isFacts(value[1])) entries.set(url, { fingerprint: value[0], facts: value[1] });
  }
  return entries;
}

const isText = (v: unknown): v is string | null => v === null || typeof v === 'string';

function allStrings(list: unknown[]): boolean {
  for (let i = 0; i < list.length; i++) if (typeof list[i] !== 'string') return false;
  return true;
}

/** Whether a value read back has the shape this module writes: an edited or damaged entry is left out, never used. */
function isFacts(value: unknown): value is PageFacts {
  const facts = value as PageFacts | null;
  const scan = facts?.scan;
  if (!scan || typeof scan !== 'object') return false;
  const pingback = scan.pingback as Record<string, unknown> | null;
  const webmention = scan.webmention as Record<string, unknown> | null;
  return (
    Number.isInteger(scan.insertAt) &&
    scan.insertAt >= 0 &&
    typeof scan.hasHeadEnd === 'boolean' &&
    typeof scan.noindex === 'boolean' &&
    typeof scan.optOut === 'boolean' &&
    typeof scan.webmentionOff === 'boolean' &&
    isText(scan.baseHref) &&
    isText(scan.canonical) &&
    isText(scan.contentSelector) &&
    isText(scan.title) &&
    isText(scan.feed) &&
    (pingback === null ||
      (typeof pingback === 'object' &&
        typeof pingback.href === 'string' &&
        typeof pingback.relBeforeHref === 'boolean' &&
        Number.isInteger(pingback.start) &&
        Number.isInteger(pingback.end))) &&
    (webmention === null || (typeof webmention === 'object' && typeof webmention.href === 'string')) &&
    Array.isArray(scan.links) &&
    scan.links.length === 0 &&
    Array.isArray(scan.contentRanges) &&
    scan.contentRanges.length === 0 &&
    (facts.targets === null || (Array.isArray(facts.targets) && allStrings(facts.targets))) &&
    isText(facts.hash) &&
    isText(facts.contentHash)
  );
}
