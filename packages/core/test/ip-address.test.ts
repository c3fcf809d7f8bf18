import { describe, expect, it } from 'vitest';
import { compileAddressSet, ipLiteral, isForbiddenAddress, parseIPv6 } from '../src/net/ip-address.ts';

/** The hostname a URL parser leaves, then the literal inside it: every textual form a URL can carry. */
const literalOf = (url: string) => ipLiteral(new URL(url).hostname);

describe('address policy (R19)', () => {
  it.each([
    'http://127.0.0.1/',
    'http://127.1/',
    'http://0x7f.1/',
    'http://0x7f000001/',
    'http://2130706433/',
    'http://017700000001/',
    'http://0177.0.0.1/',
    'http://127.255.255.254/',
    'http://0.0.0.0/',
    'http://0/',
    'http://10.1.2.3/',
    'http://172.16.0.1/',
    'http://172.31.255.255/',
    'http://192.168.1.1/',
    'http://169.254.169.254/',
    'http://100.64.0.1/',
    'http://100.127.255.255/',
    'http://192.0.0.8/',
    'http://192.0.2.1/',
    'http://198.18.0.1/',
    'http://198.51.100.7/',
    'http://203.0.113.9/',
    'http://224.0.0.1/',
    'http://239.255.255.250/',
    'http://240.0.0.1/',
    'http://255.255.255.255/',
    'http://192.88.99.1/',
    'http://[::1]/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://[::]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[::ffff:10.0.0.1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::127.0.0.1]/',
    'http://[64:ff9b::127.0.0.1]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://[64:ff9b:1::a00:1]/',
    'http://[2002:7f00:1::1]/',
    'http://[2002:c0a8:101::]/',
    'http://[fe80::1]/',
    'http://[febf::1]/',
    'http://[fc00::1]/',
    'http://[fd12:3456::1]/',
    'http://[ff02::1]/',
    'http://[2001:db8::1]/',
    'http://[2001::1]/',
    'http://[100::1]/',
    'http://[fec0::1]/',
    // IPv4-translated (::ffff:0:0:0/96) and local-use NAT64 (64:ff9b:1::/48) are refused whatever they carry,
    // public addresses included, and in every spelling of the prefix.
    'http://[::ffff:0:808:808]/',
    'http://[::ffff:0:8.8.8.8]/',
    'http://[0:0:0:0:ffff:0:7f00:1]/',
    'http://[::ffff:0:0:0]/',
    'http://[64:ff9b:1::808:808]/',
    'http://[64:ff9b:1::8.8.8.8]/',
    'http://[64:ff9b:1:ffff:ffff:ffff:ffff:ffff]/',
    'http://[64:ff9b:1::]/',
  ])('refuses %s', (url) => {
    const literal = literalOf(url);
    expect(literal).not.toBe(null);
    expect(isForbiddenAddress(literal!)).toBe(true);
  });

  it.each([
    'http://93.184.216.34/',
    'http://8.8.8.8/',
    'http://1.1.1.1/',
    'http://172.32.0.1/',
    'http://100.128.0.1/',
    'http://[2606:4700:4700::1111]/',
    'http://[2a00:1450:4001::200e]/',
    'http://[::ffff:8.8.8.8]/',
    'http://[2002:808:808::]/',
    // The neighbours of the newly refused ranges stay open: well-known NAT64 of a public address, and the
    // prefixes just outside 64:ff9b:1::/48 and ::ffff:0:0:0/96.
    'http://[64:ff9b::808:808]/',
    'http://[64:ff9b:2::1]/',
    'http://[64:ff9b:0:1::1]/',
  ])('allows the public address %s', (url) => {
    expect(isForbiddenAddress(literalOf(url)!)).toBe(false);
  });

  it('treats anything unparseable as forbidden and names as non-literals', () => {
    expect(isForbiddenAddress('not-an-ip')).toBe(true);
    expect(ipLiteral('example.com')).toBe(null);
    expect(ipLiteral('localhost')).toBe(null);
  });

  it('parses every IPv6 spelling to the same number', () => {
    const n = parseIPv6('::ffff:127.0.0.1');
    expect(parseIPv6('0:0:0:0:0:ffff:7f00:1')).toBe(n);
    expect(parseIPv6('[::FFFF:7F00:0001]')).toBe(n);
    expect(parseIPv6('fe80::1%eth0')).toBe(parseIPv6('fe80::1'));
    expect(parseIPv6('1::2::3')).toBe(null);
  });
});

describe('trusted addresses (allowAddresses)', () => {
  it('matches exact addresses and CIDR ranges, IPv4 and IPv6, and IPv4-mapped forms of IPv4 entries', () => {
    const set = compileAddressSet(['10.0.0.7', '192.168.4.0/22', 'fd00:1::/64', '::1']);
    expect(
      ['10.0.0.7', '192.168.4.1', '192.168.7.255', 'fd00:1::abcd', 'FD00:1:0:0::1', '::1', '::ffff:10.0.0.7', '::ffff:c0a8:501'].filter((a) => !set.has(a)),
    ).toEqual([]);
    expect(['10.0.0.8', '192.168.8.0', '192.168.3.255', 'fd00:2::1', '::2', '127.0.0.1', 'not-an-ip'].filter((a) => set.has(a))).toEqual([]);
  });

  it.each(['10.0.0.0/33', 'fd00::/129', '10.0.0.1/8/8', 'intranet.example', '10.0.0/24', '10.0.0.0/x', ''])('refuses %j, naming it', (entry) => {
    expect(() => compileAddressSet([entry])).toThrow(`entry ${JSON.stringify(entry)} is neither an IP address nor a CIDR range`);
  });
});
