import type { Manifest, ManifestPost } from '../site/manifest.ts';
import { MANIFEST_VERSION, goneSince } from '../site/manifest.ts';
import type { PageResult } from './page-pass.ts';

export interface ManifestInput {
  site: URL;
  endpoint: string;
  /** The absolute Webmention endpoint. */
  webmention?: string;
  /** Which endpoints the pages announce. */
  advertise?: { pingback: boolean; webmention: boolean };
  hosts: string[];
  directories: string[];
  /** The `feed` option: a URL, null for none, undefined to take the one the pages link to. */
  feed: string | null | undefined;
  name: string | undefined;
  generator: string;
  /** The manifest of the build before, to find the posts that are gone since. */
  previous?: Manifest | null;
  /** When this build runs (ISO): the date a newly gone post is stamped with. */
  now?: string;
  /** Old keys → post keys (`buildAliases`); written only when there are some. */
  aliases?: Record<string, string>;
}

/**
 * The manifest of one build from its page results: pingable pages are the advertised ones, the outbox
 * the posts that are not excluded. Sorted, so an unchanged site writes an identical file.
 */
export function buildManifest(pages: readonly PageResult[], input: ManifestInput): Manifest {
  const sorted = [...pages].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const posts: ManifestPost[] = sorted
    .filter((p) => p.isPost && p.excluded === null)
    .map((p) => ({ source: p.url, key: p.key, targets: p.targets, hash: p.hash ?? '', ...(p.contentHash ? { contentHash: p.contentHash } : {}) }));
  let feed = input.feed;
  if (feed === undefined) {
    const linked = sorted.find((p) => p.scan.feed)?.scan.feed;
    feed = linked ? (URL.parse(linked, input.site.href)?.href ?? null) : null;
  }
  const home = sorted.find((p) => p.key === '/');
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    site: input.site.href,
    endpoint: input.endpoint,
    ...(input.webmention ? { webmention: input.webmention } : {}),
    ...(input.advertise ? { advertise: input.advertise } : {}),
    hosts: input.hosts,
    pages: [...new Set(sorted.filter((p) => p.advertised).map((p) => p.key))],
    posts,
    directories: input.directories,
    feed,
    name: input.name ?? (home?.scan.title || input.site.host),
    generator: input.generator,
  };
  const pingbackOnly = sorted.filter((p) => p.advertised && p.pingbackOnly).map((p) => p.key);
  if (pingbackOnly.length > 0) manifest.pingbackOnly = [...new Set(pingbackOnly)];
  const gone = goneSince(input.previous, new Set(sorted.map((p) => p.key)), input.now ?? new Date().toISOString());
  if (gone.length > 0) manifest.gone = gone;
  if (input.aliases && Object.keys(input.aliases).length > 0) manifest.aliases = input.aliases;
  return manifest;
}
