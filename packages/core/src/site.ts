import { PingbackOptionError } from './errors.ts';

/**
 * Which origins are "this site": the site URL itself plus extra hosts (`www.` variants, an old domain,
 * `*--mysite.netlify.app` deploy hosts). A pattern with a port matches that port only; `*` matches any run
 * of characters. Scheme is ignored (http and https pages of one host are one site) but a non-default port
 * is not: two local sites on one machine differ only by port.
 */
export interface SiteMatcher {
  readonly site: URL;
  isOwn(url: URL): boolean;
}

interface HostPattern {
  test(hostname: string, host: string): boolean;
}

function compilePattern(raw: string, option: string): HostPattern {
  let text = raw.trim().toLowerCase();
  if (text.includes('://')) {
    const url = URL.parse(text);
    if (!url) throw new PingbackOptionError(option, `has an entry that is not a URL: ${JSON.stringify(raw)}`, 'Write a host like "www.example.com" or an origin like "https://old.example.org".');
    text = url.host;
  }
  if (text === '' || /[/?#@\s]/.test(text)) {
    throw new PingbackOptionError(option, `has an entry that is not a host: ${JSON.stringify(raw)}`, 'Write a host like "www.example.com", "*.example.com" or "localhost:4321".');
  }
  const withPort = /:\d+$/.test(text);
  if (!text.includes('*')) {
    // Punycode and case come from URL parsing, so "BÜCHER.example" matches "xn--bcher-kva.example".
    const canonical = URL.parse(`http://${text}/`)?.host ?? text;
    const hostname = withPort ? canonical : (URL.parse(`http://${text}/`)?.hostname ?? text);
    return { test: (h, hp) => (withPort ? hp === canonical : h === hostname) };
  }
  const source = text.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  const re = new RegExp(`^${source}$`);
  return { test: (h, hp) => re.test(withPort ? hp : h) };
}

export function siteMatcher(site: string | URL, hosts: readonly string[] = [], option = 'hosts'): SiteMatcher {
  const siteUrl = new URL(String(site));
  const patterns = hosts.map((h) => compilePattern(h, option));
  return {
    site: siteUrl,
    isOwn(url: URL): boolean {
      if (url.host === siteUrl.host) return true;
      return patterns.some((p) => p.test(url.hostname, url.host));
    },
  };
}
