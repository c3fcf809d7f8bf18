import { canonicalHost } from './canonical.ts';
import { compileHostPatterns } from './host-pattern.ts';

/**
 * Which origins are "this site": the site URL itself plus extra hosts (`www.` variants, an old domain,
 * `*--mysite.netlify.app` deploy hosts). Scheme is ignored (http and https pages of one host are one
 * site) but a non-default port is not: two local sites on one machine differ only by port. Hosts are
 * compared in their canonical form (`canonicalHost`), so `blog.example.` is `blog.example`.
 */
export interface SiteMatcher {
  readonly site: URL;
  isOwn(url: URL): boolean;
}

export function siteMatcher(site: string | URL, hosts: readonly string[] = [], option = 'hosts'): SiteMatcher {
  const siteUrl = new URL(String(site));
  const siteHost = canonicalHost(siteUrl);
  const patterns = compileHostPatterns(hosts, option);
  return {
    site: siteUrl,
    isOwn(url: URL): boolean {
      if (canonicalHost(url) === siteHost) return true;
      return patterns.some((p) => p.matches(url));
    },
  };
}
