import { PingbackOptionError } from '../errors.ts';
import { canonicalHost, canonicalHostname } from './canonical.ts';

/**
 * A host pattern as users write them in `hosts` and blocklists: a host (`www.example.com`), a host with a
 * port (`localhost:4321`), an origin (`https://old.example.org`), or a pattern with `*` (any run of
 * characters: `*.example.com`, `*--mysite.netlify.app`). A pattern with a port matches that port only.
 * Both sides are compared in canonical form (`canonicalHost`): a trailing dot neither evades a blocklist
 * entry nor makes a host another one.
 */
export interface HostPattern {
  readonly source: string;
  matches(url: URL): boolean;
}

export function compileHostPattern(raw: string, option: string): HostPattern {
  let text = String(raw).trim().toLowerCase();
  if (text.includes('://')) {
    const url = URL.parse(text);
    if (!url) {
      throw new PingbackOptionError(
        option,
        `has an entry that is not a URL: ${JSON.stringify(raw)}`,
        'Write a host like "www.example.com" or an origin like "https://old.example.org".',
      );
    }
    text = url.host;
  }
  if (text === '' || /[/?#@\s]/.test(text)) {
    throw new PingbackOptionError(
      option,
      `has an entry that is not a host: ${JSON.stringify(raw)}`,
      'Write a host like "www.example.com", "*.example.com" or "localhost:4321".',
    );
  }
  const withPort = /:\d+$/.test(text);
  if (!text.includes('*')) {
    // Case and punycode come from the URL parser, so "BÜCHER.example" matches "xn--bcher-kva.example".
    const parsed = URL.parse(`http://${text}/`);
    const host = parsed ? canonicalHost(parsed) : text;
    const hostname = parsed ? canonicalHostname(parsed) : text;
    return { source: raw, matches: (url) => (withPort ? canonicalHost(url) === host : canonicalHostname(url) === hostname) };
  }
  text = text.replace(/\.+(?=(:\d+)?$)/, '');
  const re = new RegExp(
    `^${text
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return { source: raw, matches: (url) => re.test(withPort ? canonicalHost(url) : canonicalHostname(url)) };
}

export function compileHostPatterns(raw: readonly string[], option: string): HostPattern[] {
  if (!Array.isArray(raw)) {
    throw new PingbackOptionError(option, `must be an array of hosts, got ${JSON.stringify(raw)}`, 'Write e.g. ["www.example.com"].');
  }
  return raw.map((entry, i) => compileHostPattern(entry, `${option}[${i}]`));
}
