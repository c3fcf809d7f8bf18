import { isIPv4, isIPv6 } from 'node:net';

/**
 * Which IP addresses a receiver may connect to when it fetches a stranger's source page: public unicast
 * only. Loopback, private, link-local, CGNAT, multicast, reserved, documentation and unspecified ranges
 * are refused in IPv4 and IPv6, and IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64,
 * 6to4) are judged by the address they carry. IPv4-translated addresses (`::ffff:0:0:0/96`) and the
 * local-use NAT64 prefix (`64:ff9b:1::/48`) are refused whole: both reach the IPv4 internet only through a
 * translator on someone's own network, which is exactly where a stranger's URL must not lead.
 */
type Range4 = [base: number, bits: number];
type Range6 = [base: bigint, bits: number];

function v4(text: string): number {
  const parts = text.split('.').map(Number);
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

const FORBIDDEN_V4: Range4[] = (
  [
    ['0.0.0.0', 8], // "this network", unspecified
    ['10.0.0.0', 8],
    ['100.64.0.0', 10], // CGNAT
    ['127.0.0.0', 8],
    ['169.254.0.0', 16], // link-local, cloud metadata
    ['172.16.0.0', 12],
    ['192.0.0.0', 24], // IETF protocol assignments
    ['192.0.2.0', 24], // TEST-NET-1
    ['192.31.196.0', 24], // AS112
    ['192.52.193.0', 24], // AMT
    ['192.88.99.0', 24], // 6to4 relay anycast
    ['192.168.0.0', 16],
    ['192.175.48.0', 24], // AS112 direct delegation
    ['198.18.0.0', 15], // benchmarking
    ['198.51.100.0', 24], // TEST-NET-2
    ['203.0.113.0', 24], // TEST-NET-3
    ['224.0.0.0', 4], // multicast
    ['240.0.0.0', 4], // reserved, broadcast
  ] as const
).map(([base, bits]) => [v4(base), bits]);

/** Parses any textual IPv6 form (`::`, embedded dotted quad, brackets, zone id) into a 128-bit number. */
export function parseIPv6(text: string): bigint | null {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!isIPv6(s)) return null;
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    const quad = v4(last);
    s = `${s.slice(0, lastColon + 1)}${(quad >>> 16).toString(16)}:${(quad & 0xffff).toString(16)}`;
  }
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':').map((h) => Number.parseInt(h, 16)));
  const halves = s.split('::');
  let groups: number[];
  if (halves.length === 2) {
    const left = groupsOf(halves[0]!);
    const right = groupsOf(halves[1]!);
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else groups = groupsOf(s);
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g) || g < 0 || g > 0xffff)) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function v6(text: string): bigint {
  return parseIPv6(text)!;
}

// Built on first use: parsing these calls node:net's isIPv6, whose first call compiles a large regular
// expression (about 10 ms), which a Function answering from the store alone need not pay at import.
let forbiddenV6: Range6[] | undefined;
const FORBIDDEN_V6 = (): Range6[] =>
  (forbiddenV6 ??= (
    [
      ['::', 128], // unspecified
      ['::1', 128], // loopback
      ['::ffff:0:0:0', 96], // IPv4-translated (SIIT, RFC 2765): reaches a host only through a local translator
      ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215): whatever it embeds, the translator is someone's own network
      ['100::', 64], // discard
      ['2001::', 23], // IETF protocol assignments: Teredo, ORCHID, benchmarking, …
      ['2001:db8::', 32], // documentation
      ['3fff::', 20], // documentation
      ['5f00::', 16], // SRv6 SIDs
      ['fc00::', 7], // unique local
      ['fe80::', 10], // link-local
      ['fec0::', 10], // site-local (deprecated)
      ['ff00::', 8], // multicast
    ] as const
  ).map(([base, bits]) => [v6(base), bits]));

function inRange4(value: number, [base, bits]: Range4): boolean {
  if (bits === 0) return true;
  const mask = bits === 32 ? 0xffffffff : ~((1 << (32 - bits)) - 1) >>> 0;
  return (value & mask) >>> 0 === (base & mask) >>> 0;
}

function inRange6(value: bigint, [base, bits]: Range6): boolean {
  const shift = BigInt(128 - bits);
  return value >> shift === base >> shift;
}

function forbiddenV4(value: number): boolean {
  return FORBIDDEN_V4.some((range) => inRange4(value, range));
}

/** The IPv4 address an IPv6 address stands for, if it is one of the forms that embed one. */
function embeddedV4(value: bigint): number | null {
  const top96 = value >> 32n;
  const low32 = Number(value & 0xffffffffn);
  if (top96 === 0xffffn) return low32; // ::ffff:a.b.c.d, IPv4-mapped
  if (top96 === 0n) return low32; // ::a.b.c.d, IPv4-compatible (deprecated)
  if (value >> 32n === 0x0064ff9b0000000000000000n) return low32; // 64:ff9b::/96, NAT64
  if (value >> 112n === 0x2002n) return Number((value >> 80n) & 0xffffffffn); // 2002:a.b.c.d::/48, 6to4
  return null;
}

/** True when the receiver must never connect to this address. Unparseable text counts as forbidden. */
export function isForbiddenAddress(address: string): boolean {
  if (isIPv4(address)) return forbiddenV4(v4(address));
  const value = parseIPv6(address);
  if (value === null) return true;
  const carried = embeddedV4(value);
  if (carried !== null && (value >> 32n === 0xffffn || value >> 32n === 0n)) {
    // ::ffff:0:0/96 and ::/96 are addresses of IPv4 hosts; only the carried address matters.
    return value === 0n || value === 1n || forbiddenV4(carried);
  }
  if (carried !== null && forbiddenV4(carried)) return true;
  return FORBIDDEN_V6().some((range) => inRange6(value, range));
}

/** An IP literal in URL host form (`127.0.0.1`, `[::1]`), unwrapped; null for a name. */
export function ipLiteral(hostname: string): string | null {
  if (isIPv4(hostname)) return hostname;
  const inner = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIPv6(inner) ? inner : null;
}

/** A set of trusted addresses: exact ones and CIDR ranges, IPv4 and IPv6. */
export interface AddressSet {
  has(address: string): boolean;
}

/**
 * Compiles `10.1.2.3`, `10.1.2.0/24`, `fd00::/8` and the like into an `AddressSet`; throws a `RangeError`
 * naming the entry that is neither an address nor a range, so the caller can say which option to fix.
 * An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) matches an IPv4 entry, as it reaches the same host.
 */
export function compileAddressSet(entries: readonly string[]): AddressSet {
  const v4Ranges: Range4[] = [];
  const v6Ranges: Range6[] = [];
  for (const entry of entries) {
    const [base = '', bitsText, extra] = entry.trim().split('/');
    const bits = bitsText === undefined ? undefined : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
    if (extra === undefined && isIPv4(base) && (bits === undefined || bits <= 32)) {
      v4Ranges.push([v4(base), bits ?? 32]);
      continue;
    }
    const value = parseIPv6(base);
    if (extra === undefined && value !== null && (bits === undefined || bits <= 128)) {
      v6Ranges.push([value, bits ?? 128]);
      continue;
    }
    throw new RangeError(`entry ${JSON.stringify(entry)} is neither an IP address nor a CIDR range`);
  }
  return {
    has(address: string): boolean {
      if (isIPv4(address)) return v4Ranges.some((range) => inRange4(v4(address), range));
      const value = parseIPv6(address);
      if (value === null) return false;
      if (value >> 32n === 0xffffn && v4Ranges.some((range) => inRange4(Number(value & 0xffffffffn), range))) return true;
      return v6Ranges.some((range) => inRange6(value, range));
    },
  };
}
