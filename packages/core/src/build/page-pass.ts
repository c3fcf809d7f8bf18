import { createHash, hash as digest } from 'node:crypto';
import { canonicalKey } from '../site/canonical.ts';
import { selectTargets } from '../site/links.ts';
import type { PageScan, PageScanSettings } from '../html/page-scan.ts';
import { scanPage } from '../html/page-scan.ts';
import type { HostPattern } from '../site/host-pattern.ts';
import type { SiteMatcher } from '../site/site.ts';
import { siteMatcher } from '../site/site.ts';
import { compileHostPatterns } from '../site/host-pattern.ts';
import type { Advertise, AdvertisedProtocols } from './options.ts';
import type { PageCache } from './page-cache.ts';
import type { PageInfo } from './post-match.ts';

export interface PassSettings {
  scan: PageScanSettings;
  site: SiteMatcher;
  /** Hosts never pinged. */
  skip?: readonly HostPattern[];
  endpoint: string;
  /** The Webmention endpoint the pages announce. Default: `/webmention` on the XML-RPC endpoint's origin. */
  webmentionEndpoint?: string;
  advertise: Advertise;
  /** Which protocols the pages announce. Default: both. */
  announce?: AdvertisedProtocols;
  isPost: (page: PageInfo) => boolean;
}

export type Exclusion = 'noindex' | 'opt-out';

export interface PageResult {
  key: string;
  url: string;
  /** The page, with the link elements added when they were missing. */
  html: string;
  changed: boolean;
  isPost: boolean;
  /** Why the page neither advertises nor pings, if it doesn't. */
  excluded: Exclusion | null;
  /** The page takes linkbacks (announced by the protocols switched on: `protocols`). */
  advertised: boolean;
  /**
   * The page announces Pingback and not Webmention, though the site announces both: it says so itself
   * (`<meta name="webmention" content="off">`, which Astro's `<PingbackMeta />` writes) or by front matter
   * (`advertise: { webmention: false }`, which the Eleventy plugin reads).
   */
  pingbackOnly: boolean;
  /** The page already carried a pingback link (ours from an earlier build, or the author's). */
  hadLink: boolean;
  /** An existing link that points somewhere else than this site's endpoint. */
  foreignLink: string | null;
  /** External links worth pinging (posts only). */
  targets: string[];
  /** Hash of the post's outgoing links: changes when a link is added or removed. */
  hash: string | null;
  /** Hash of the post's content (what the content selectors pick): changes with any edit of it (posts only). */
  contentHash?: string | null;
  scan: PageScan;
  /** What identifies the page's text in the page cache; null without one. */
  fingerprint?: string | null;
  /** The scan, targets and hashes came from the page cache: the page is what it was in the last build. */
  cached?: boolean;
}

/**
 * The element we add. `rel` comes before `href` because WordPress's discovery takes the first `href=`
 * after `rel="pingback"`; the form matches the spec's regular expression; only the four entities the
 * spec allows are used in the URL.
 */
export function pingbackLinkTag(endpoint: string): string {
  const href = endpoint.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<link rel="pingback" href="${href}">`;
}

/** The element that announces the Webmention endpoint (W3C Webmention §3.1.2), escaped the same way. */
export function webmentionLinkTag(endpoint: string): string {
  const href = endpoint.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<link rel="webmention" href="${href}">`;
}

/** The link elements for the endpoints of `settings`, made once for a run of pages with the same endpoints. */
let tagsFor: { endpoint: string; webmentionEndpoint: string | undefined; pingback: string; webmention: string } | null = null;
function linkTags(settings: PassSettings): { pingback: string; webmention: string } {
  if (tagsFor === null || tagsFor.endpoint !== settings.endpoint || tagsFor.webmentionEndpoint !== settings.webmentionEndpoint) {
    tagsFor = {
      endpoint: settings.endpoint,
      webmentionEndpoint: settings.webmentionEndpoint,
      pingback: pingbackLinkTag(settings.endpoint),
      webmention: webmentionLinkTag(settings.webmentionEndpoint ?? new URL('/webmention', settings.endpoint).href),
    };
  }
  return tagsFor;
}

/** Why a page neither advertises nor pings: its robots meta or opt-out first, then its front matter. */
function exclusionOf(scan: PageScan, page: PageInfo): Exclusion | null {
  return scan.noindex ? 'noindex' : scan.optOut ? 'opt-out' : (page.exclusion ?? null);
}

/**
 * One built page through the build pass: scan it once, decide whether it is a post and whether it
 * advertises, add the link element where it belongs (once: a page that has one keeps it, so rebuilding
 * and incremental builds change nothing), and pick the links worth pinging. With a page cache, a page
 * whose text is what it was in the last build takes its scan, targets and hashes from there.
 */
export function processPage(html: string, page: PageInfo, settings: PassSettings, cache?: PageCache): PageResult {
  const fingerprint = cache?.fingerprint(html) ?? null;
  const isPost = settings.isPost(page);
  const remembered = fingerprint === null ? undefined : cache!.lookup(page.url.href, fingerprint);
  // A page that was not a post taking part last time (its front matter changed, not its text) kept no links: scanned again.
  const known = remembered && (remembered.targets !== null || !isPost || exclusionOf(remembered.scan, page) !== null) ? remembered : undefined;
  const scan = known?.scan ?? scanPage(html, settings.scan);
  const excluded = exclusionOf(scan, page);
  const advertised = excluded === null && (settings.advertise === 'all' || isPost);
  const siteAnnounce = settings.announce ?? { pingback: true, webmention: true };
  const pingbackOnly = advertised && siteAnnounce.webmention && (scan.webmentionOff || page.pingbackOnly === true);
  const announce = pingbackOnly ? { ...siteAnnounce, webmention: false } : siteAnnounce;
  let out = html;
  let foreignLink: string | null = null;
  let tags = '';
  if (advertised && announce.pingback && !scan.pingback) tags += linkTags(settings).pingback;
  else if (scan.pingback && URL.parse(scan.pingback.href)?.href !== settings.endpoint) foreignLink = scan.pingback.href;
  // A page that already has one (ours from an earlier build, or the author's) keeps it as it is.
  if (advertised && announce.webmention && !scan.webmention) tags += linkTags(settings).webmention;
  if (tags) out = `${html.slice(0, scan.insertAt)}${tags}${html.slice(scan.insertAt)}`;
  let targets: string[] = [];
  let hash: string | null = null;
  let contentHash: string | null = null;
  if (isPost && excluded === null && known) {
    targets = known.targets!;
    hash = known.hash;
    contentHash = known.contentHash;
  } else if (isPost && excluded === null) {
    targets = selectTargets(scan.links, { pageUrl: page.url, baseHref: scan.baseHref, site: settings.site, ...(settings.skip ? { skip: settings.skip } : {}) });
    hash = digest('sha256', targets.join('\n')).slice(0, 32);
    const ranges = scan.contentRanges;
    // A post's content is almost always one range: one call, no hash object.
    if (ranges.length === 2) contentHash = digest('sha256', html.slice(ranges[0], ranges[1])).slice(0, 32);
    else if (ranges.length > 0) {
      const content = createHash('sha256');
      for (let i = 0; i < ranges.length; i += 2) content.update(html.slice(ranges[i], ranges[i + 1]));
      contentHash = content.digest('hex').slice(0, 32);
    }
  }
  return {
    key: page.key,
    url: page.url.href,
    html: out,
    changed: out !== html,
    isPost,
    excluded,
    advertised,
    pingbackOnly,
    hadLink: scan.pingback !== null,
    foreignLink,
    targets,
    hash,
    contentHash,
    scan,
    fingerprint,
    cached: known !== undefined,
  };
}

/**
 * What an integration keeps of a page after the pass, until the manifest is written: everything but its
 * text, the links of its content (the targets are what the manifest takes of them) and where its content
 * was. The strings a scan cuts from a page (hrefs, the title) are slices that hold the whole page's text
 * in memory, 27 MiB over the 1,000 pages of the bench site: the copy through JSON holds none of it.
 */
export function keptPage(result: PageResult): PageResult {
  // From the cache, the scan holds nothing of the page's text already.
  if (result.cached) return { ...result, html: '' };
  const { scan } = result;
  // Only these strings are cut from the page (key and url come from its URL, the hashes are new): one
  // copy of them through JSON, rather than of the whole result, which cost a thousand pages 13 ms.
  const cut = [
    scan.title,
    scan.canonical,
    scan.feed,
    scan.baseHref,
    scan.pingback?.href ?? null,
    scan.webmention?.href ?? null,
    result.foreignLink,
    result.targets,
  ];
  const [title, canonical, feed, baseHref, pingbackHref, webmentionHref, foreignLink, targets] = JSON.parse(JSON.stringify(cut)) as typeof cut;
  return {
    ...result,
    html: '',
    foreignLink: foreignLink as string | null,
    targets: targets as string[],
    scan: {
      ...scan,
      links: [],
      contentRanges: [],
      title: title as string | null,
      canonical: canonical as string | null,
      feed: feed as string | null,
      baseHref: baseHref as string | null,
      pingback: scan.pingback && { ...scan.pingback, href: pingbackHref as string },
      webmention: scan.webmention && { href: webmentionHref as string },
    },
  };
}

/** The page info of a built file's URL path on the site. */
export function pageInfo(site: URL, pathname: string, extra: Omit<PageInfo, 'url' | 'key'> = {}): PageInfo {
  const url = new URL(pathname, site);
  return { url, key: canonicalKey(url), ...extra };
}

/** The pass settings from an integration's resolved options. */
export function passSettings(options: {
  scan: PageScanSettings;
  site: URL;
  hosts: string[];
  skipHosts: string[];
  endpoint: string;
  webmentionEndpoint?: string;
  advertise: Advertise;
  advertiseProtocols?: AdvertisedProtocols;
  isPost: (page: PageInfo) => boolean;
}): PassSettings {
  return {
    scan: options.scan,
    site: siteMatcher(options.site, options.hosts),
    skip: compileHostPatterns(options.skipHosts, 'skipHosts'),
    endpoint: options.endpoint,
    ...(options.webmentionEndpoint ? { webmentionEndpoint: options.webmentionEndpoint } : {}),
    advertise: options.advertise,
    ...(options.advertiseProtocols ? { announce: options.advertiseProtocols } : {}),
    isPost: options.isPost,
  };
}
