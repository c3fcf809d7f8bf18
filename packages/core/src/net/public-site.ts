import { ipLiteral, isForbiddenAddress } from './ip-address.ts';

/**
 * Names that never reach the public internet: reserved for local use (RFC 6761, RFC 6762, RFC 8375) or
 * for documentation and tests (RFC 2606), and the `.internal` TLD ICANN keeps for private use.
 */
const LOCAL_SUFFIXES = ['localhost', 'local', 'internal', 'test', 'example', 'invalid', 'home.arpa'];

/**
 * Why a site at this URL is not on the public internet, or null when it may be: an IP literal the
 * receiver's address policy refuses (loopback, private, link-local, reserved, …), a local or reserved
 * name (`localhost`, `*.localhost`, `*.local`, `*.internal`, `*.test`, `*.example`, `*.invalid`,
 * `*.home.arpa`), or a name of one label (an intranet host). A page at such an address can't be fetched by
 * any receiver, so pinging from it only makes a stranger's server try its own loopback or network, and
 * telling a directory about it announces an address nobody can visit.
 */
export function notPublicReason(site: string | URL): string | null {
  const url = typeof site === 'string' ? URL.parse(site) : site;
  if (!url) return `${String(site)} is not a URL`;
  // `localhost.` is `localhost`: the trailing dot of a fully qualified name changes nothing.
  const hostname = url.hostname.replace(/\.+$/, '') || url.hostname;
  const literal = ipLiteral(hostname);
  if (literal !== null) return isForbiddenAddress(literal) ? `${hostname} is not a public address` : null;
  const suffix = LOCAL_SUFFIXES.find((s) => hostname === s || hostname.endsWith(`.${s}`));
  if (suffix) return `${hostname} is a local or reserved name (.${suffix})`;
  if (!hostname.includes('.')) return `${hostname} is not a public name (one label)`;
  return null;
}
