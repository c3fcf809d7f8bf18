import { canonicalKeyOfPath } from './canonical.ts';
import type { Redirect } from './redirects.ts';
import { compilePathPattern, fillPathPattern, matchPathPattern, patternNames } from './redirects.ts';

/**
 * Old URLs that keep receiving. Each redirect the site declares, and each old permalink an import
 * matched, becomes an alias: the canonical key of the old path → the canonical key of the post it leads
 * to. The manifest carries them, so the receiver (Pingback and Webmention alike) has them without any
 * network, and accepts a target at an old URL for the post, storing it under the post's key.
 */

/** Statuses that send a reader on to the destination (200 is a rewrite: the destination shown at the old path). */
const FOLLOWED = new Set([200, 301, 302, 303, 307, 308]);
/** Hops followed through chained redirects (old → older → post). */
const MAX_HOPS = 8;

export interface AliasInput {
  /** The site's URL, to resolve paths and tell its own absolute URLs from others. */
  site: URL;
  isOwn: (url: URL) => boolean;
  /** Canonical keys of the pages that take pingbacks (the manifest's `pages`): an alias must end at one. */
  pages: readonly string[];
  /** Aliases kept elsewhere (an import's `.pingback/aliases.json`), old key → key; after the redirects. */
  extra?: Readonly<Record<string, string>>;
}

export interface AliasResult {
  aliases: Record<string, string>;
  /** Declared redirects that can't be aliases, with why (conditions, another host, placeholders the destination lacks, …). */
  skipped: { origin: string; why: string }[];
}

/** A rule's destination as a path of this site, or why it isn't one. */
function destinationPath(to: string, input: AliasInput): string | { why: string } {
  if (to.startsWith('/')) return to;
  const url = URL.parse(to);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    return { why: `its destination ${JSON.stringify(to.slice(0, 200))} is not a path or an http(s) URL` };
  if (!input.isOwn(url)) return { why: `it leads to another site (${url.host})` };
  return url.pathname;
}

/** A rule's `from` as a path (Netlify allows a whole URL, for a domain that redirects). */
function sourcePath(from: string): string | null {
  if (from.startsWith('/')) return from;
  const url = URL.parse(from);
  return url && (url.protocol === 'http:' || url.protocol === 'https:') ? url.pathname : null;
}

/**
 * The aliases of a site from its redirects, in the order they apply (the first rule for an old path wins,
 * as on Netlify). A rule with placeholders is turned round: every page its destination pattern matches
 * gives the old path its source pattern names (`/blog/* /posts/:splat` makes `/blog/a` an alias of
 * `/posts/a` for each post `/posts/a`). An old path that is itself a page that takes pingbacks keeps its
 * own; a chain of redirects is followed to the post it ends at; a redirect that ends at no such page is
 * no alias (most redirects of a site lead to list pages and the like, so those are not reported).
 */
export function buildAliases(redirects: readonly Redirect[], input: AliasInput): AliasResult {
  const pages = new Set(input.pages);
  const hop = new Map<string, string>();
  const skipped: AliasResult['skipped'] = [];
  const add = (from: string, to: string) => {
    if (!hop.has(from) && from !== to) hop.set(from, to);
  };
  for (const rule of redirects) {
    if (!FOLLOWED.has(rule.status)) continue;
    if (rule.conditional) {
      skipped.push({ origin: rule.origin, why: 'it applies only under conditions or for some query parameters' });
      continue;
    }
    const fromPath = sourcePath(rule.from);
    const toPath = destinationPath(rule.to, input);
    if (fromPath === null) {
      skipped.push({ origin: rule.origin, why: `its source ${JSON.stringify(rule.from.slice(0, 200))} is not a path` });
      continue;
    }
    if (typeof toPath !== 'string') {
      skipped.push({ origin: rule.origin, why: toPath.why });
      continue;
    }
    const from = compilePathPattern(fromPath, 'from');
    if (!from.hasParams) {
      add(canonicalKeyOfPath(fromPath, input.site), canonicalKeyOfPath(toPath.replace(/:splat$/, ''), input.site));
      continue;
    }
    const to = compilePathPattern(toPath, 'to');
    const wanted = patternNames(from);
    const given = new Set(patternNames(to));
    const missing = wanted.filter((name) => !given.has(name));
    if (missing.length) {
      skipped.push({
        origin: rule.origin,
        why: `its destination does not use ${missing.map((n) => (n === 'splat' ? '*' : `:${n}`)).join(', ')}, so which old path leads to which post can't be told`,
      });
      continue;
    }
    for (const page of pages) {
      const params = matchPathPattern(to, page);
      if (!params) continue;
      const old = fillPathPattern(from, params);
      if (old !== null) add(canonicalKeyOfPath(old, input.site), page);
    }
  }
  for (const [from, to] of Object.entries(input.extra ?? {})) add(from, to);
  const aliases: Record<string, string> = {};
  for (const from of [...hop.keys()].sort()) {
    if (pages.has(from)) continue;
    let to = hop.get(from)!;
    for (let i = 0; i < MAX_HOPS && !pages.has(to) && hop.has(to); i++) to = hop.get(to)!;
    if (pages.has(to)) aliases[from] = to;
  }
  return { aliases, skipped };
}

/**
 * The post a target's canonical key stands for: the key itself when it takes pingbacks, else the post an
 * alias leads to, else null. Both protocols' target checks ask this.
 */
export function postKeyOf(key: string, isPingable: (key: string) => boolean, aliasOf: (key: string) => string | undefined): string | null {
  if (isPingable(key)) return key;
  const to = aliasOf(key);
  return to !== undefined && isPingable(to) ? to : null;
}

/** A lookup over an alias table (an own-property check: `__proto__` or `constructor` are no aliases). */
export function aliasLookup(aliases: Readonly<Record<string, string>> | undefined): (key: string) => string | undefined {
  if (!aliases) return () => undefined;
  return (key) => (Object.hasOwn(aliases, key) ? aliases[key] : undefined);
}
