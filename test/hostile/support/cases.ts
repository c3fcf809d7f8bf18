import { writeMethodCall } from '@pingback/core';
import { SITE, TARGET, TRUSTED } from './network.ts';

/**
 * One hostile request and the exact fault the receiver must answer. `body` is what goes on the wire;
 * `names` marks cases that need the in-process resolver's table (names like `internal.test`), which only
 * the handler run has: `pingback serve` resolves through the system, and these tests never ask real DNS.
 */
export interface HostileCase {
  group: 'xml' | 'address' | 'name' | 'redirect' | 'scheme' | 'content' | 'target';
  name: string;
  body: string | Uint8Array;
  fault: number;
  names?: true;
}

const ping = (source: string, target = TARGET) => writeMethodCall('pingback.ping', [source, target]);
const call = (inner: string) => `<?xml version="1.0"?><methodCall>${inner}</methodCall>`;
const pingXml = (source: string, target: string) =>
  call(`<methodName>pingback.ping</methodName><params><param><value><string>${source}</string></value></param><param><value><string>${target}</string></value></param></params>`);

/** Every case, for a trusted source listening on `port` at 127.0.0.3; `missing` is 32 where the receiver knows every page. */
export function hostileCases(port: number, missing: 32 | 33): HostileCase[] {
  const S = (path: string) => `http://${TRUSTED}:${port}${path}`;
  const at = (host: string, path = '/link?post=hostile') => `http://${host}:${port}${path}`;
  const redirect = (to: string) => S(`/redirect?to=${encodeURIComponent(to)}`);
  const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]>${call('<methodName>pingback.ping</methodName><params><param><value>&lol9;</value></param></params>')}`;
  const xml = (name: string, body: string | Uint8Array, fault: number): HostileCase => ({ group: 'xml', name, body, fault });
  const source = (group: HostileCase['group'], name: string, url: string, fault = 16, extra: Partial<HostileCase> = {}): HostileCase => ({ group, name, body: ping(url), fault, ...extra });
  const nested = (depth: number) => call(`<methodName>pingback.ping</methodName><params><param><value>${'<array><data><value>'.repeat(depth)}x${'</value></data></array>'.repeat(depth)}</value></param></params>`);

  return [
    // XML-RPC requests built to hurt the parser or to slip past the signature.
    xml('billion laughs', laughs, -32700),
    xml('quadratic blowup', `<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "${'a'.repeat(20_000)}">]>${call(`<methodName>x</methodName><params><param><value>${'&a;'.repeat(1000)}</value></param></params>`)}`, -32700),
    xml('external entity: a local file', `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${pingXml('&xxe;', TARGET)}`, -32700),
    xml('external entity: an internal URL', `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "http://127.0.0.2:${port}/secret">]>${pingXml('&xxe;', TARGET)}`, -32700),
    xml('external DTD', `<?xml version="1.0"?><!DOCTYPE methodCall SYSTEM "http://127.0.0.2:${port}/evil.dtd">${pingXml(S('/link?post=hostile'), TARGET)}`, -32700),
    xml('parameter entities', `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:${port}/p.dtd"> %p;]>${pingXml(S('/link?post=hostile'), TARGET)}`, -32700),
    xml('a harmless-looking DOCTYPE', `<?xml version="1.0"?><!DOCTYPE methodCall>${pingXml(S('/link?post=hostile'), TARGET)}`, -32700),
    xml('body over 64 KiB', pingXml(S('/link?post=hostile'), `${TARGET}?${'x'.repeat(70_000)}`), -32700),
    xml('10,000 nested arrays', nested(10_000), -32700),
    xml('20,000 elements', call(`<methodName>x</methodName><params>${'<param><value><int>1</int></value></param>'.repeat(5000)}</params>`), -32700),
    xml('JSON, not XML', JSON.stringify({ methodName: 'pingback.ping', params: [S('/link?post=hostile'), TARGET] }), -32700),
    xml('empty body', '', -32700),
    xml('truncated document', pingXml(S('/link?post=hostile'), TARGET).slice(0, 120), -32700),
    xml('two root elements', `${pingXml(S('/link?post=hostile'), TARGET)}<methodCall/>`, -32700),
    xml('a NUL character reference', pingXml(`${S('/link?post=hostile')}&#0;`, TARGET), -32700),
    xml('invalid UTF-8 bytes', Buffer.concat([Buffer.from(call('<methodName>pingback.ping</methodName><params><param><value><string>')), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('</string></value></param></params>')]), -32702),
    xml('an unsupported encoding', `<?xml version="1.0" encoding="UTF-7"?>${pingXml(S('/link?post=hostile'), TARGET)}`, -32701),
    xml('methodResponse where a call belongs', `<?xml version="1.0"?><methodResponse><params><param><value><string>x</string></value></param></params></methodResponse>`, -32600),
    xml('no methodName', call('<params><param><value><string>a</string></value></param></params>'), -32600),
    xml('system.multicall', writeMethodCall('system.multicall', [[{ methodName: 'pingback.ping', params: [S('/link?post=hostile'), TARGET] }]]), -32601),
    xml('a WordPress admin method', writeMethodCall('wp.getUsersBlogs', ['admin', 'password']), -32601),
    xml('one parameter', writeMethodCall('pingback.ping', [S('/link?post=hostile')]), -32602),
    xml('three parameters', writeMethodCall('pingback.ping', [S('/link?post=hostile'), TARGET, 'x']), -32602),
    xml('an int for the source', writeMethodCall('pingback.ping', [1, TARGET]), -32602),
    xml('a struct for the target', writeMethodCall('pingback.ping', [S('/link?post=hostile'), { url: TARGET }]), -32602),
    xml('an array for the source', writeMethodCall('pingback.ping', [[S('/link?post=hostile')], TARGET]), -32602),

    // The source is this machine or a private network, written every way a URL can say so.
    source('address', 'loopback 127.0.0.1', at('127.0.0.1')),
    source('address', 'loopback 127.0.0.2', at('127.0.0.2')),
    source('address', 'short form 127.1', at('127.1')),
    source('address', 'decimal 2130706433', at('2130706433')),
    source('address', 'hexadecimal 0x7f000001', at('0x7f000001')),
    source('address', 'octal 0177.0.0.1', at('0177.0.0.1')),
    source('address', 'mixed 0x7f.0.0.2', at('0x7f.0.0.2')),
    source('address', 'trailing dot 127.0.0.1.', at('127.0.0.1.')),
    source('address', 'percent-encoded host', at('%31%32%37.0.0.1')),
    source('address', 'full-width digits', at('１２７.０.０.１')),
    source('address', 'ideographic full stops', at('127。0。0。2')),
    source('address', 'IPv6 loopback [::1]', at('[::1]')),
    source('address', 'IPv4-mapped [::ffff:127.0.0.1]', at('[::ffff:127.0.0.1]')),
    source('address', 'IPv4-mapped in hex [::ffff:7f00:2]', at('[::ffff:7f00:2]')),
    source('address', 'IPv4-mapped, long form', at('[0:0:0:0:0:ffff:7f00:1]')),
    source('address', 'IPv4-compatible [::127.0.0.1]', at('[::127.0.0.1]')),
    source('address', 'NAT64 [64:ff9b::7f00:1]', at('[64:ff9b::7f00:1]')),
    source('address', '6to4 [2002:7f00:1::]', at('[2002:7f00:1::]')),
    source('address', 'unspecified 0.0.0.0', at('0.0.0.0')),
    source('address', 'unspecified 0', at('0')),
    source('address', 'unspecified [::]', at('[::]')),
    source('address', 'private 10.0.0.1', at('10.0.0.1')),
    source('address', 'private 172.16.0.1', at('172.16.0.1')),
    source('address', 'private 192.168.0.1', at('192.168.0.1')),
    source('address', 'cloud metadata 169.254.169.254', 'http://169.254.169.254/latest/meta-data/'),
    source('address', 'metadata, IPv4-mapped', 'http://[::ffff:169.254.169.254]/latest/meta-data/'),
    source('address', 'carrier-grade NAT 100.64.0.1', at('100.64.0.1')),
    source('address', 'benchmarking 198.18.0.1', at('198.18.0.1')),
    source('address', 'multicast 224.0.0.1', at('224.0.0.1')),
    source('address', 'broadcast 255.255.255.255', at('255.255.255.255')),
    source('address', 'unique local [fd00::1]', at('[fd00::1]')),
    source('address', 'link-local [fe80::1]', at('[fe80::1]')),
    source('address', 'localhost', at('localhost')),
    source('address', 'LOCALHOST. with a trailing dot', at('LOCALHOST.')),

    // Names that resolve to forbidden addresses, and resolution games.
    source('name', 'a name for 10.0.0.5', at('internal.test'), 16, { names: true }),
    source('name', 'a name for 127.0.0.2', at('loop.test'), 16, { names: true }),
    source('name', 'a name for ::1', at('v6loop.test'), 16, { names: true }),
    source('name', 'a name for ::ffff:127.0.0.1', at('mapped.test'), 16, { names: true }),
    source('name', 'a name for the metadata address', 'http://meta.test/latest/meta-data/', 16, { names: true }),
    source('name', 'a name for 100.64.1.1', at('cgnat.test'), 16, { names: true }),
    source('name', 'a name with one good and one forbidden address', at('mixed.test'), 16, { names: true }),
    source('name', 'DNS rebinding: good first, forbidden on the next connection', at('rebind.test', `/redirect-close?to=${encodeURIComponent(at('rebind.test'))}`), 16, { names: true }),
    source('name', 'a name that does not resolve', at('nowhere.test'), 16, { names: true }),

    // Redirects from the trusted source to where the first hop could not go.
    source('redirect', 'to 127.0.0.2', redirect(at('127.0.0.2'))),
    source('redirect', 'to localhost', redirect(at('localhost'))),
    source('redirect', 'to [::1]', redirect(at('[::1]'))),
    source('redirect', 'to decimal 2130706433', redirect(at('2130706433'))),
    source('redirect', 'to the metadata address', redirect('http://169.254.169.254/latest/meta-data/')),
    source('redirect', 'to a private name', redirect(at('internal.test')), 16, { names: true }),
    source('redirect', 'to file:///etc/passwd', redirect('file:///etc/passwd')),
    source('redirect', 'to gopher:', redirect(`gopher://${TRUSTED}:${port}/_GET`)),
    source('redirect', 'to data:', redirect(`data:text/html,<a href="${TARGET}">x</a>`)),
    source('redirect', 'to a forbidden port', redirect(`http://${TRUSTED}:22/`)),
    source('redirect', 'to a URL with credentials', redirect(`http://user:pw@${TRUSTED}:${port}/link?post=hostile`)),
    source('redirect', 'four hops, one over the limit', S('/chain?n=4')),
    source('redirect', 'a loop', S('/loop')),

    // Schemes, ports and credentials that are refused before any connection.
    source('scheme', 'ftp:', `ftp://${TRUSTED}:${port}/link`),
    source('scheme', 'file:', 'file:///etc/passwd'),
    source('scheme', 'gopher:', `gopher://${TRUSTED}:${port}/_GET%20/`),
    source('scheme', 'javascript:', 'javascript:alert(1)'),
    source('scheme', 'data:', `data:text/html,<a href="${TARGET}">x</a>`),
    source('scheme', 'ws:', `ws://${TRUSTED}:${port}/link?post=hostile`),
    source('scheme', 'not a URL', 'not a url at all'),
    source('scheme', 'port 22', `http://${TRUSTED}:22/`),
    source('scheme', 'port 6379 (a database)', `http://${TRUSTED}:6379/`),
    source('scheme', 'credentials in the URL', `http://user:pw@${TRUSTED}:${port}/link?post=hostile`),
    source('scheme', 'https to a plain-HTTP server', `https://${TRUSTED}:${port}/link?post=hostile`),

    // Sources that are huge, slow, binary, mislabelled, broken, or hide the link.
    source('content', 'the link after 2 MB', S('/huge'), 17),
    source('content', 'a body that never ends', S('/endless'), 17),
    source('content', 'one byte every 200 ms', S('/trickle'), 16),
    source('content', 'never answers', S('/silent'), 16),
    source('content', 'an image with the link in it', S('/binary'), 17),
    source('content', 'HTML sent as application/octet-stream', S('/mislabelled'), 17),
    source('content', 'JSON with the link in a string', S('/json'), 17),
    source('content', 'a gzip bomb', S('/gzip-bomb'), 17),
    source('content', 'connection reset before the headers', S('/reset-early'), 16),
    source('content', 'connection reset in the middle of the body', S('/reset-mid-body'), 16),
    source('content', 'a 500 page with the link', S('/error-500'), 16),
    source('content', 'a 404 page with the link', S('/missing-404'), 16),
    source('content', 'the link in a comment', S('/in-comment'), 17),
    source('content', 'the link in an unclosed comment', S('/in-unclosed-comment'), 17),
    source('content', 'the link in a script', S('/in-script'), 17),
    source('content', 'the link in a style sheet', S('/in-style'), 17),
    source('content', 'the link in a template', S('/in-template'), 17),
    source('content', 'the link in a textarea', S('/in-textarea'), 17),
    source('content', 'the link in the title', S('/in-title'), 17),
    source('content', 'the link in a CDATA section', S('/in-cdata'), 17),
    source('content', 'the URL in attributes and text', S('/in-attribute'), 17),
    source('content', 'the URL in img and iframe src', S('/in-img'), 17),
    source('content', 'the URL in a <link> element', S('/in-link-element'), 17),
    source('content', 'the URL as a form action', S('/in-form'), 17),
    source('content', 'a javascript: href mentioning it', S('/javascript-href'), 17),
    source('content', 'a look-alike subdomain', S('/lookalike-subdomain'), 17),
    source('content', 'a look-alike with user info', S('/lookalike-userinfo'), 17),
    source('content', 'the URL inside another URL', S('/lookalike-query'), 17),
    source('content', 'a look-alike host', S('/lookalike-typo'), 17),
    source('content', 'a neighbouring path', S('/lookalike-path'), 17),
    source('content', 'a relative link, on the source host', S('/relative'), 17),

    // Targets that are not posts of this site.
    { group: 'target', name: 'the home page', body: ping(S('/link?post=hostile'), SITE), fault: 33 },
    { group: 'target', name: 'a tag page', body: ping(S('/link?post=hostile'), `${SITE}tags/news/`), fault: 33 },
    { group: 'target', name: 'a post that was never built', body: ping(S('/link?post=hostile'), `${SITE}posts/never-built/`), fault: missing },
    { group: 'target', name: 'another site', body: ping(S('/link?post=hostile'), 'https://elsewhere.example/posts/hostile/'), fault: 33 },
    { group: 'target', name: 'a look-alike of this site', body: ping(S('/link?post=hostile'), 'https://blog.example.evil.test/posts/hostile/'), fault: 33 },
    { group: 'target', name: 'another port of this host', body: ping(S('/link?post=hostile'), 'https://blog.example:8443/posts/hostile/'), fault: 33 },
    { group: 'target', name: 'a file: URL', body: ping(S('/link?post=hostile'), 'file:///posts/hostile/'), fault: 33 },
    { group: 'target', name: 'a javascript: URL', body: ping(S('/link?post=hostile'), 'javascript:alert(1)'), fault: 33 },
    { group: 'target', name: 'not a URL', body: ping(S('/link?post=hostile'), 'posts/hostile'), fault: 33 },
    { group: 'target', name: 'this site as the source', body: ping(`${SITE}posts/other/`), fault: 0 },
  ];
}

/** Pages of the fixture site: the target, a control post, a markup post, a page that takes no pingbacks. */
export const POSTS = ['hostile', 'control', 'control-by-name', 'control-pinned', 'markup'];
