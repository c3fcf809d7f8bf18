import { readFile } from 'node:fs/promises';

/**
 * What a build tells the rest of the suite, as one versioned JSON document (`.pingback/manifest.json`):
 * the site and its endpoint, which hosts count as the site, which pages may be pinged, and the outbox of
 * posts with the external links each one should ping.
 */
export interface ManifestPost {
  /** The post's absolute URL: the pingback source. */
  source: string;
  /** Its canonical key. */
  key: string;
  /** External links worth pinging, each as written in the post. */
  targets: string[];
  /** Hash of the post's links; changes when a link is added or removed. */
  hash: string;
  /** Hash of the post's content (the part the content selectors pick); changes with any edit. */
  contentHash?: string;
}

/**
 * A post that an earlier build had and this one has not (its URL is no page of the site any more): it
 * answers 410 Gone on Netlify, and its old targets are told once by Webmention (§3.1.5). Carried from
 * build to build until a page exists at its key again.
 */
export interface ManifestGone {
  source: string;
  key: string;
  /** Its targets when it was last built. */
  targets: string[];
  /** When a build first found it missing. */
  since: string;
}

export interface Manifest {
  version: 1;
  /** The site's absolute URL, e.g. `https://blog.example/`. */
  site: string;
  /** The absolute XML-RPC endpoint advertised on pages. */
  endpoint: string;
  /** The absolute Webmention endpoint. Absent in manifests from before Webmention. */
  webmention?: string;
  /**
   * Which endpoints the pages announce (link elements, and the headers `pingback serve` and the Netlify
   * rules add). Absent in manifests from before Webmention: Pingback only.
   */
  advertise?: { pingback: boolean; webmention: boolean };
  /**
   * Canonical keys of pages that announce no Webmention endpoint though the site does (front matter
   * `advertise: { webmention: false }`): senders find Pingback only there. Absent when there are none.
   */
  pingbackOnly?: string[];
  /** Extra hosts that count as this site. */
  hosts: string[];
  /** Canonical keys of the pages that accept pingbacks. */
  pages: string[];
  /** The outbox. */
  posts: ManifestPost[];
  /** Posts gone since an earlier build (absent in manifests from before Webmention). */
  gone?: ManifestGone[];
  /** weblogUpdates services to notify when a new post is published. */
  directories: string[];
  /** The site's feed, sent to directories; null when there is none. */
  feed: string | null;
  /** The site's name, sent to directories. */
  name?: string;
  /** Which package and version wrote it. */
  generator?: string;
  /**
   * Old paths that now lead to a post (the site's declared redirects and an import's map): canonical key
   * of the old path → the post's canonical key. A pingback or Webmention to an old URL is accepted for the
   * post and stored under its key. Absent when there are none.
   */
  aliases?: Record<string, string>;
}

export const MANIFEST_VERSION = 1;
export const DEFAULT_MANIFEST_PATH = '.pingback/manifest.json';
/**
 * Where a Netlify build publishes its manifest on the site, so that the next build (a fresh clone, with
 * no `.pingback/` of its own) can tell which posts disappeared since the live deploy.
 */
export const PUBLISHED_MANIFEST_PATH = '/_pingback/manifest.json';
/** The tombstone every gone post answers with (410 Gone) on Netlify. */
export const TOMBSTONE_PATH = '/_pingback/gone.html';

/**
 * The posts gone since `previous`: those whose key is no page of this build at all (a page that still
 * exists but is no post any more, or became noindex, is not gone), plus the earlier gone ones still
 * missing. A key that is a page again leaves the list.
 */
export function goneSince(previous: Manifest | null | undefined, builtKeys: ReadonlySet<string>, now: string): ManifestGone[] {
  if (!previous) return [];
  const gone = new Map<string, ManifestGone>();
  for (const g of previous.gone ?? []) if (!builtKeys.has(g.key)) gone.set(g.key, g);
  for (const p of previous.posts) {
    if (!builtKeys.has(p.key) && !gone.has(p.key)) gone.set(p.key, { source: p.source, key: p.key, targets: p.targets, since: now });
  }
  return [...gone.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  readonly code = 'ERR_PINGBACK_MANIFEST';
}

function absolute(value: unknown): boolean {
  const url = typeof value === 'string' ? URL.parse(value) : null;
  return !!url && (url.protocol === 'http:' || url.protocol === 'https:');
}

function strings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * Which endpoints a manifest's pages announce, or with `key` that page (a page in `pingbackOnly` no
 * Webmention one): Pingback only for a manifest from before Webmention.
 */
export function manifestAdvertises(manifest: Manifest, key?: string): { pingback: boolean; webmention: boolean } {
  const site = manifest.advertise ?? { pingback: true, webmention: false };
  return key !== undefined && site.webmention && manifest.pingbackOnly?.includes(key) ? { ...site, webmention: false } : site;
}

/** Checks a parsed manifest; `where` (a file name) appears in the error. */
export function parseManifest(value: unknown, where = 'manifest'): Manifest {
  const fail = (field: string, want: string): never => {
    throw new ManifestError(`${where}: \`${field}\` must be ${want}. Rebuild the site to write a fresh manifest.`);
  };
  const m = value as Record<string, unknown>;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) fail('(root)', 'an object');
  if (m.version !== MANIFEST_VERSION) fail('version', `${MANIFEST_VERSION} (this is @pingback ${MANIFEST_VERSION}'s format; got ${JSON.stringify(m.version)})`);
  if (!absolute(m.site)) fail('site', 'an absolute http(s) URL');
  if (!absolute(m.endpoint)) fail('endpoint', 'an absolute http(s) URL');
  if (m.webmention !== undefined && !absolute(m.webmention)) fail('webmention', 'an absolute http(s) URL');
  if (m.advertise !== undefined) {
    const a = m.advertise as Record<string, unknown>;
    if (typeof a !== 'object' || a === null || typeof a.pingback !== 'boolean' || typeof a.webmention !== 'boolean')
      fail('advertise', 'an object { pingback: boolean, webmention: boolean }');
  }
  if (m.pingbackOnly !== undefined && (!strings(m.pingbackOnly) || !(m.pingbackOnly as string[]).every((p) => p.startsWith('/'))))
    fail('pingbackOnly', 'an array of canonical keys starting with "/"');
  if (!strings(m.hosts)) fail('hosts', 'an array of strings');
  if (!strings(m.pages) || !(m.pages as string[]).every((p) => p.startsWith('/'))) fail('pages', 'an array of canonical keys starting with "/"');
  if (!Array.isArray(m.posts)) fail('posts', 'an array');
  (m.posts as unknown[]).forEach((post, i) => {
    const p = post as Record<string, unknown>;
    if (typeof p !== 'object' || p === null) fail(`posts[${i}]`, 'an object');
    if (!absolute(p.source)) fail(`posts[${i}].source`, 'an absolute http(s) URL');
    if (typeof p.key !== 'string' || !p.key.startsWith('/')) fail(`posts[${i}].key`, 'a canonical key starting with "/"');
    if (!strings(p.targets)) fail(`posts[${i}].targets`, 'an array of strings');
    if (typeof p.hash !== 'string') fail(`posts[${i}].hash`, 'a string');
    if (p.contentHash !== undefined && typeof p.contentHash !== 'string') fail(`posts[${i}].contentHash`, 'a string');
  });
  if (m.gone !== undefined) {
    if (!Array.isArray(m.gone)) fail('gone', 'an array');
    (m.gone as unknown[]).forEach((entry, i) => {
      const g = entry as Record<string, unknown>;
      if (typeof g !== 'object' || g === null) fail(`gone[${i}]`, 'an object');
      if (!absolute(g.source)) fail(`gone[${i}].source`, 'an absolute http(s) URL');
      if (typeof g.key !== 'string' || !g.key.startsWith('/')) fail(`gone[${i}].key`, 'a canonical key starting with "/"');
      if (!strings(g.targets)) fail(`gone[${i}].targets`, 'an array of strings');
      if (typeof g.since !== 'string') fail(`gone[${i}].since`, 'an ISO date string');
    });
  }
  if (!strings(m.directories)) fail('directories', 'an array of strings');
  if (m.feed !== null && !absolute(m.feed)) fail('feed', 'an absolute http(s) URL or null');
  if (m.name !== undefined && typeof m.name !== 'string') fail('name', 'a string');
  if (m.aliases !== undefined) {
    const a = m.aliases as Record<string, unknown>;
    if (typeof a !== 'object' || a === null || Array.isArray(a)) fail('aliases', 'an object of old keys to post keys');
    for (const [from, to] of Object.entries(a)) {
      if (!from.startsWith('/') || typeof to !== 'string' || !to.startsWith('/'))
        fail(`aliases[${JSON.stringify(from.slice(0, 100))}]`, 'a canonical key starting with "/", under a key starting with "/"');
    }
  }
  return m as unknown as Manifest;
}

export async function readManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ManifestError(
      missing ? `${path} does not exist. Build the site first (the Astro and Eleventy integrations write it).` : `${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${path} is not valid JSON. Rebuild the site to write a fresh manifest.`, { cause: error });
  }
  return parseManifest(value, path);
}
