import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import { canonicalKey, canonicalSource } from '../src/site/canonical.ts';
import { discoverEndpoint } from '../src/pingback/discover.ts';
import { FaultCode, PingbackFault } from '../src/faults.ts';
import { verifySource } from '../src/receive/verify.ts';
import { findHtmlLink } from '../src/receive/link-check.ts';
import { siteMatcher } from '../src/site/site.ts';
import type { XmlRpcValue } from '../src/xmlrpc/index.ts';
import { parseMethodCall, parseMethodResponse, writeFault, writeMethodCall, writeMethodResponse } from '../src/xmlrpc/index.ts';

/** The only codes the parser may refuse with (README, "XML-RPC"): the call-level ones come from checkSignature. */
const PARSER_CODES = new Set<number>([FaultCode.PARSE_ERROR, FaultCode.UNSUPPORTED_ENCODING, FaultCode.INVALID_CHARACTER, FaultCode.INVALID_XMLRPC]);

/** Runs both parsers; anything but a result or a PingbackFault with a parser code fails the property. */
function parsesOrFaults(body: string | Uint8Array): void {
  for (const parse of [parseMethodCall, parseMethodResponse] as const) {
    try {
      parse(body);
    } catch (error) {
      if (!(error instanceof PingbackFault)) throw new Error(`${parse.name} threw ${String(error)}`, { cause: error });
      if (!PARSER_CODES.has(error.code)) throw new Error(`${parse.name} refused with code ${error.code}: ${error.message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// XML-RPC values and documents

/** Code units XML 1.0 can't carry; the writer turns each into U+FFFD (write.ts). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the code units XML 1.0 cannot carry are control characters.
const UNWRITABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const XML_SPECIALS = fc.constantFrom(
  '<',
  '>',
  '&',
  '"',
  "'",
  ']]>',
  '<![CDATA[',
  '&amp;',
  '&#0;',
  '\r',
  '\r\n',
  '\n',
  '\t',
  ' ',
  'é',
  '日本',
  '😀',
  '\u2028',
  '\uFEFF',
  '--',
  '<!--',
  '<?',
  '?>',
);
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: XML_SPECIALS, maxLength: 12 }),
  fc.string({ unit: fc.oneof(XML_SPECIALS, fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 3 })), maxLength: 12 }),
);

/** Values that survive a round trip unchanged. Dates are whole seconds, as the wire format has no more. */
const { value: xmlRpcValue } = fc.letrec<{ value: XmlRpcValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer({ min: -2147483648, max: 2147483647 }),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.constant(null),
    fc
      .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
      .map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000)),
    fc.uint8Array({ maxLength: 24 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
}));

/** A valid document of each kind, as our writer makes it. */
const document = fc.oneof(
  fc
    .tuple(
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== ''),
      fc.array(xmlRpcValue, { maxLength: 3 }),
    )
    .map(([name, params]) => writeMethodCall(name, params)),
  xmlRpcValue.map((v) => writeMethodResponse(v)),
  fc.tuple(fc.integer({ min: -2147483648, max: 2147483647 }), text).map(([code, message]) => writeFault(code, message)),
);

const INSERTS = fc.constantFrom(
  '<!DOCTYPE methodResponse>',
  '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
  '<!DOCTYPE x SYSTEM "file:///etc/passwd">',
  '&xxe;',
  '&amp;',
  '&#0;',
  '&#x110000;',
  '&#xD800;',
  '&#65;',
  '&lt;',
  '&',
  '&#',
  '&#x;',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<?pi x?>',
  '<?xml version="1.0"?>',
  '\u0000',
  '\uFFFE',
  '\uD800',
  '<',
  '>',
  '</',
  '/>',
  '<value>',
  '</value>',
  '<struct>',
  '<member>',
  '<i8>9007199254740993</i8>',
  '<int>99999999999</int>',
  '<double>1e400</double>',
  '<base64>!!</base64>',
  '<dateTime.iso8601>2026-02-30T99:99:99</dateTime.iso8601>',
);

type Mutation = (doc: Buffer) => Buffer;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((at) => (doc: Buffer) => doc.subarray(0, at % (doc.length + 1))),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => (doc: Buffer) => {
    const copy = Buffer.from(doc);
    if (copy.length > 0) copy[at % copy.length]! ^= xor;
    return copy;
  }),
  // A tag (from some "<" to the next ">") copied to another place: duplicated and misplaced elements.
  fc.tuple(fc.nat(), fc.nat()).map(([from, to]) => (doc: Buffer) => {
    const start = doc.indexOf('<', from % (doc.length + 1));
    const end = start < 0 ? -1 : doc.indexOf('>', start);
    if (end < 0) return doc;
    const at = to % (doc.length + 1);
    return Buffer.concat([doc.subarray(0, at), doc.subarray(start, end + 1), doc.subarray(at)]);
  }),
  fc.tuple(fc.nat(), fc.oneof(INSERTS, fc.string({ unit: 'binary', maxLength: 6 }))).map(([to, insert]) => (doc: Buffer) => {
    const at = to % (doc.length + 1);
    return Buffer.concat([doc.subarray(0, at), Buffer.from(insert), doc.subarray(at)]);
  }),
  // The prolog's encoding swapped for another label, real or not.
  fc
    .constantFrom('UTF-16', 'utf-16le', 'ISO-8859-1', 'windows-1252', 'ebcdic', 'x-user-defined', 'replacement', 'utf-7', '', 'UTF-8"?><x', 'shift_jis')
    .map((label) => (doc: Buffer) => Buffer.from(doc.toString('latin1').replace('encoding="UTF-8"', `encoding="${label}"`), 'latin1')),
);

const RUNS = { parse: 1500, roundTrip: 700, discovery: 150, verify: 800, canonical: 1500 };

describe('XML-RPC parser: a result or a PingbackFault with an interop code, nothing else', () => {
  it('for arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => parsesOrFaults(bytes)),
      { numRuns: RUNS.parse },
    );
  });

  it('for arbitrary bytes after an XML declaration naming any encoding', () => {
    const label = fc.oneof(
      fc.constantFrom('UTF-8', 'utf-16', 'UTF-16BE', 'latin1', 'ISO-2022-JP', 'gb18030', 'EUC-KR', 'x-mac-cyrillic', 'replacement', 'bogus'),
      fc.string({ unit: 'binary-ascii', maxLength: 12 }),
    );
    fc.assert(
      fc.property(label, fc.uint8Array({ maxLength: 256 }), (enc, tail) =>
        parsesOrFaults(Buffer.concat([Buffer.from(`<?xml version="1.0" encoding="${enc}"?>`, 'latin1'), tail])),
      ),
      { numRuns: RUNS.parse },
    );
  });

  it('for arbitrary strings, and token soup made of XML-RPC markup', () => {
    const soup = fc
      .array(
        fc.oneof(
          INSERTS,
          fc.constantFrom(
            '<methodCall>',
            '</methodCall>',
            '<methodResponse>',
            '</methodResponse>',
            '<methodName>',
            '</methodName>',
            '<params>',
            '</params>',
            '<param>',
            '</param>',
            '<fault>',
            '</fault>',
            '<array>',
            '<data>',
            '</data>',
            '</array>',
            '</struct>',
            '</member>',
            '<name>',
            '</name>',
            '<string>',
            '</string>',
            '<int>',
            '</int>',
            '<boolean>',
            '</boolean>',
            '<nil/>',
            'faultCode',
            'faultString',
            '1',
            '-1',
            'x',
            ' ',
          ),
        ),
        { maxLength: 40 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), soup), (body) => parsesOrFaults(body)),
      { numRuns: RUNS.parse },
    );
  });

  it('for valid documents truncated, with bytes flipped, tags duplicated, entities or a DOCTYPE inserted', () => {
    fc.assert(
      fc.property(document, fc.array(mutation, { minLength: 1, maxLength: 4 }), (doc, mutations) => {
        const bytes = mutations.reduce<Buffer>((d, m) => m(d), Buffer.from(doc));
        parsesOrFaults(bytes);
        parsesOrFaults(bytes.toString('utf8'));
      }),
      { numRuns: RUNS.parse },
    );
  });
});

describe('XML-RPC writer → parser round trips', () => {
  it('any value as call parameters and as a response, from bytes and from a string', () => {
    fc.assert(
      fc.property(fc.array(xmlRpcValue, { maxLength: 4 }), xmlRpcValue, (params, value) => {
        const call = writeMethodCall('pingback.ping', params);
        expect(parseMethodCall(call)).toEqual({ methodName: 'pingback.ping', params });
        expect(parseMethodCall(Buffer.from(call))).toEqual({ methodName: 'pingback.ping', params });
        const response = writeMethodResponse(value);
        expect(parseMethodResponse(Buffer.from(response))).toEqual({ kind: 'result', value });
      }),
      { numRuns: RUNS.roundTrip },
    );
  });

  it('faults with any int32 code and any string', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), text, (faultCode, faultString) => {
        expect(parseMethodResponse(writeFault(faultCode, faultString))).toEqual({ kind: 'fault', faultCode, faultString });
      }),
      { numRuns: RUNS.roundTrip },
    );
  });

  it('strings XML cannot carry come back with exactly those code units replaced by U+FFFD', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 10 }), (s, key) => {
        const struct: Record<string, XmlRpcValue> = { [key]: s };
        const parsed = parseMethodResponse(writeMethodResponse(struct));
        expect(parsed).toEqual({ kind: 'result', value: { [key.replace(UNWRITABLE, '\uFFFD')]: s.replace(UNWRITABLE, '\uFFFD') } });
      }),
      { numRuns: RUNS.roundTrip },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Discovery over loopback: headers and bodies from the generators

interface Scenario {
  status: number;
  contentType: string | null;
  pingback: string[];
  body: string;
}

/** Header values Node's server will send: tab, printable ASCII and the rest of Latin-1. */
const headerText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\t', ' ', ':', '/', '.', '?', '#', '%', '&', '@', '[', ']', '\\', '"', 'é'),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});
const endpointLike = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.constantFrom(
    '/xmlrpc',
    'xmlrpc.php',
    '//other.example/xmlrpc',
    'javascript:alert(1)',
    'ftp://x.example/',
    'http://',
    'https://[::1]/x',
    'http://a b/',
    'HTTP://Upper.Example/RPC',
    ' http://pad.example/x ',
    'http://x.example/a&amp;b',
    'http://x.example/&#x3A;',
    'http://x.example/&nbsp;',
  ),
  headerText,
);
const linkElement = fc.tuple(endpointLike, fc.constantFrom('strict', 'single', 'reversed', 'unquoted', 'upper', 'extra', 'slash')).map(([href, form]) => {
  const h = href.replace(/"/g, '&quot;');
  switch (form) {
    case 'strict':
      return `<link rel="pingback" href="${h}">`;
    case 'slash':
      return `<link rel="pingback" href="${h}" />`;
    case 'single':
      return `<link rel='pingback' href='${href.replace(/'/g, '&#39;')}'>`;
    case 'reversed':
      return `<link href="${h}" rel="pingback">`;
    case 'unquoted':
      return `<link rel=pingback href=${href.replace(/[\s>]/g, '')}>`;
    case 'upper':
      return `<LINK REL="Pingback" HREF="${h}">`;
    default:
      return `<link rel="stylesheet pingback" type="x" href="${h}">`;
  }
});
const htmlPiece = fc.oneof(
  linkElement,
  linkElement.map((l) => `<!-- ${l} -->`),
  linkElement.map((l) => `<script>"${l}"</script>`),
  fc.constantFrom(
    '<html>',
    '<head>',
    '</head>',
    '<body>',
    '<base href="https://base.example/dir/">',
    '<p>text</p>',
    '<title>t</title>',
    '<!doctype html>',
    '<meta charset="utf-8">',
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
);
const scenario: fc.Arbitrary<Scenario> = fc.record({
  status: fc.constantFrom(200, 200, 200, 203, 404, 410),
  contentType: fc.constantFrom(
    null,
    'text/html',
    'text/html; charset=utf-8',
    'text/html; charset=iso-8859-1',
    'text/html; charset=bogus',
    'application/xhtml+xml',
    'text/plain',
    'image/png',
    'application/octet-stream',
  ),
  pingback: fc.array(fc.oneof(endpointLike, headerText), { maxLength: 3 }),
  body: fc.array(htmlPiece, { maxLength: 8 }).map((parts) => parts.join('\n')),
});

function isAbsoluteHttp(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.href === value;
}

describe('discovery never throws for a readable target, and finds null or an absolute http(s) URL', () => {
  let server: TestServer;
  const scenarios = new Map<string, Scenario>();
  let next = 0;

  beforeAll(async () => {
    server = await startServer((req, res) => {
      const s = scenarios.get((req.url ?? '').slice(1));
      if (!s) return void res.writeHead(500).end();
      const headers: Record<string, string | string[]> = {};
      if (s.contentType) headers['content-type'] = s.contentType;
      if (s.pingback.length > 0) headers['x-pingback'] = s.pingback;
      res.writeHead(s.status, headers).end(req.method === 'HEAD' ? undefined : s.body);
    });
  });
  afterAll(() => server.close());

  it.each([false, true])('lenient: %s', async (lenient) => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const id = String(next++);
        scenarios.set(id, s);
        const target = `${server.url}/${id}`;
        const found = await discoverEndpoint(target, { lenient, timeoutMs: 5000 });
        scenarios.delete(id);
        expect(found.target).toBe(target);
        if (found.endpoint === null) {
          expect(found.via).toBeNull();
          expect(typeof found.reason).toBe('string');
        } else {
          expect(isAbsoluteHttp(found.endpoint), found.endpoint).toBe(true);
          expect(['header', 'link']).toContain(found.via);
        }
        if (s.status === 404 || s.status === 410) expect(found.endpoint).toBeNull();
        // The first X-Pingback header, when it is an absolute http(s) URL, is the answer whatever the body says.
        const first = s.pingback[0]?.trim();
        if (s.status < 300 && first !== undefined && URL.canParse(first) && /^https?:$/.test(new URL(first).protocol)) {
          expect(found).toMatchObject({ endpoint: new URL(first).href, via: 'header' });
        }
        if (s.pingback.length === 0 && !/pingback/i.test(s.body)) expect(found.endpoint).toBeNull();
      }),
      { numRuns: RUNS.discovery },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// verifySource: a link counts iff it is a real <a href>, modelled by how the document was generated

const TARGET = 'https://blog.example/posts/hello/';
const SITE = siteMatcher('https://blog.example/', []);
const KEY = canonicalKey(TARGET);
const verify = (html: string) => verifySource({ html, sourceUrl: 'https://src.example/reply/', target: TARGET, key: KEY, site: SITE });

/** Forms of the target a real link may use: the exact string, or this site's post in another form. */
const targetForm = fc.constantFrom(
  TARGET,
  'http://blog.example/posts/hello',
  'https://BLOG.example/posts/hello/index.html',
  'https://blog.example:443/posts/hello.html',
  'https://blog.example/posts/hello/#comments',
  'https://blog.example/posts/%68ello/',
  'https:&#x2F;&#x2F;blog.example&#x2F;posts&#x2F;hello&#x2F;',
  '&#104;ttps://blog.example/posts/hello/',
  ' https://blog.example/posts/hello/ ',
);
/** Near misses that are never the target, whatever the markup. */
const otherUrl = fc.constantFrom(
  'https://blog.example/posts/hello-2/',
  'https://other.example/posts/hello/',
  '/posts/hello/',
  'https://blog.example/posts/',
  'javascript:alert(1)',
  'mailto:a@b.example',
);

const anchorText = fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '.', '!'), maxLength: 8 });

/** A real anchor with the target, in any tag and attribute spelling a browser accepts. */
const realAnchor = fc
  .tuple(targetForm, fc.constantFrom('double', 'single', 'unquoted', 'upper', 'spaced', 'newline', 'extra', 'gt-in-attr'), anchorText)
  .map(([href, form, label]) => {
    const h = href;
    switch (form) {
      case 'double':
        return `<a href="${h}">${label}</a>`;
      case 'single':
        return `<a href='${h}'>${label}</a>`;
      case 'unquoted':
        return `<a href=${h.trim()}>${label}</a>`;
      case 'upper':
        return `<A HREF="${h}">${label}</A>`;
      case 'spaced':
        return `<a  href = "${h}" >${label}</a>`;
      case 'newline':
        return `<a\nclass="u-in-reply-to"\nhref="${h}">${label}</a>`;
      case 'extra':
        return `<a rel="nofollow" href="${h}" title="x">${label}</a>`;
      default:
        return `<a title="a > b" href="${h}">${label}</a>`;
    }
  });

const wrapInBlock = (inner: fc.Arbitrary<string>) =>
  fc
    .tuple(inner, fc.constantFrom('', 'p', 'div', 'li', 'blockquote', 'span', 'em', 'article', 'section'))
    .map(([html, tag]) => (tag ? `<${tag}>${html}</${tag}>` : html));

/** The same anchor where it does not count: hidden in non-markup, or the URL in the wrong place. */
const hiddenLink = fc.oneof(
  realAnchor.map((a) => `<!-- ${a} -->`),
  realAnchor.map((a) => `<!--${a}-->`),
  realAnchor.map((a) => `<!-- before -- ${a} -->`),
  fc
    .tuple(fc.constantFrom('script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript', 'template', 'SCRIPT'), realAnchor)
    .map(([tag, a]) => `<${tag}>${a}</${tag}>`),
  realAnchor.map((a) => `<template><div><p>${a}</p></div></template>`),
  realAnchor.map((a) => `<script>document.write('${a.replace(/'/g, '"')}')</script>`),
  realAnchor.map((a) => `<div title="${a.replace(/"/g, "'")}">x</div>`),
  realAnchor.map((a) => `<img alt='${a.replace(/'/g, '"')}' src="/x.png">`),
  // A bogus comment runs to the first ">", which is the anchor's own: the start tag is swallowed.
  fc.tuple(fc.constantFrom('<?', '<!', '</ ', '<!x '), targetForm).map(([open, href]) => `${open} <a href="${href}">x`),
  targetForm.map((t) => `<p>${t}</p>`),
  targetForm.map((t) => `<img src="${t}">`),
  targetForm.map((t) => `<link rel="canonical" href="${t}">`),
  targetForm.map((t) => `<a data-href="${t}">x</a>`),
  targetForm.map((t) => `<a name="${t}">x</a>`),
  targetForm.map((t) => `<area href="${t}">`),
  otherUrl.map((u) => `<a href="${u}">elsewhere</a>`),
);

/** Markup that leaves the tokenizer and the tree where it found them. */
const neutral = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n', 'é', '>', '"', "'", '=', '/', '😀'), maxLength: 20 }),
  fc.constantFrom(
    '<p>para</p>',
    '<br>',
    '<hr/>',
    '<img src="/i.png" alt="i">',
    '<!-- a comment -->',
    '<!---->',
    '<!-->',
    '<div class="h-entry">',
    '</div>',
    '<span>',
    '</span>',
    '<h1>Title</h1>',
    '<meta name="author" content="Ann">',
    '<time class="dt-published" datetime="2026-01-01">x</time>',
    '<address>Ann</address>',
    '<ul><li>one</li></ul>',
    '<table><tr><td>c</td></tr></table>',
    '</p>',
    '<a href="https://x.example/">x</a>',
    '<a>no href</a>',
    '<script>if (a < b) {}</script>',
    '<style>p > a { color: red }</style>',
  ),
);

interface Doc {
  html: string;
  real: boolean;
}
const verifyDoc: fc.Arbitrary<Doc> = fc
  .tuple(
    fc.constantFrom(
      '',
      '<!doctype html><html lang="en"><head><title>Reply</title></head><body>',
      '<html><body><article class="h-entry"><div class="e-content">',
    ),
    fc.array(
      fc.oneof(
        { arbitrary: neutral, weight: 4 },
        { arbitrary: wrapInBlock(hiddenLink), weight: 3 },
        { arbitrary: wrapInBlock(realAnchor).map((a) => ({ real: a })), weight: 1 },
      ),
      { maxLength: 10 },
    ),
    fc.boolean(),
  )
  .map(([head, parts, plaintextTail]) => {
    let html = head;
    let real = false;
    for (const part of parts) {
      if (typeof part === 'string') html += part;
      else {
        html += part.real;
        real = true;
      }
    }
    // <plaintext> turns the rest of the document into text, links included.
    if (plaintextTail) html += `<plaintext><a href="${TARGET}">after plaintext</a>`;
    return { html, real };
  });

describe('verifySource: finds the link iff it is a real <a href>, and never throws', () => {
  it('over generated documents', () => {
    fc.assert(
      fc.property(verifyDoc, ({ html, real }) => {
        const facts = verify(html);
        expect(facts !== null, html).toBe(real);
      }),
      { numRuns: RUNS.verify },
    );
  });

  it('over arbitrary strings and tag soup', () => {
    const soup = fc
      .array(
        fc.oneof(
          neutral,
          hiddenLink,
          realAnchor,
          fc.constantFrom(
            '<',
            '>',
            '</a>',
            '<a',
            '<a href=',
            '"',
            "'",
            '<!--',
            '-->',
            '<script>',
            '</script>',
            '<base href="//x">',
            '<html lang="x">',
            '&',
            '&#',
            '&#x110000;',
          ),
        ),
        { maxLength: 20 },
      )
      .map((p) => p.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), soup), (html) => {
        const facts = verify(html);
        if (facts) {
          expect(typeof facts.title).toBe('string');
          expect(facts.title.length).toBeLessThanOrEqual(200);
          expect(facts.excerpt.length).toBeLessThanOrEqual(300);
          expect(facts.author.name.length).toBeLessThanOrEqual(100);
        }
      }),
      { numRuns: RUNS.verify },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// The Webmention link check

/** Spellings of exactly the target: what the URL parser writes the same (host case, default port, entities, spaces). */
const exactForm = fc.constantFrom(
  TARGET,
  'https://BLOG.example/posts/hello/',
  'https://blog.example:443/posts/hello/',
  'https:&#x2F;&#x2F;blog.example&#x2F;posts&#x2F;hello&#x2F;',
  ' https://blog.example/posts/hello/ ',
  'HTTPS://blog.example/posts/hello/',
);
/** The same post, but not the same URL: a pingback's link, never a Webmention's. */
const nearMiss = fc.constantFrom(
  'http://blog.example/posts/hello/',
  'https://blog.example/posts/hello',
  'https://blog.example/posts/hello/index.html',
  'https://blog.example/posts/hello/#comments',
  'https://blog.example/posts/%68ello/',
  'https://blog.example/posts/hello/?utm_source=x',
  '/posts/hello/',
);
const linking = fc.tuple(exactForm, fc.constantFrom('a', 'area', 'img', 'video', 'poster', 'audio', 'source', 'A')).map(([u, tag]) => {
  switch (tag) {
    case 'a':
      return `<a href="${u}">x</a>`;
    case 'A':
      return `<A HREF='${u}'>x</A>`;
    case 'area':
      return `<map><area alt="" href="${u}"></map>`;
    case 'poster':
      return `<video poster="${u}"></video>`;
    case 'source':
      return `<video><source src="${u}"></video>`;
    default:
      return `<${tag} src="${u}">${tag === 'img' ? '' : `</${tag}>`}`;
  }
});
const notLinking = fc.oneof(
  linking.map((l) => `<!-- ${l} -->`),
  fc
    .tuple(fc.constantFrom('script', 'style', 'textarea', 'title', 'noscript', 'template', 'xmp', 'iframe'), linking)
    .map(([tag, l]) => `<${tag}>${l}</${tag}>`),
  linking.map((l) => `<div title="${l.replace(/"/g, "'")}">x</div>`),
  exactForm.map((u) => `<p>${u}</p>`),
  exactForm.map((u) => `<link rel="related" href="${u}"><form action="${u}"></form><iframe src="${u}"></iframe><a data-href="${u}">x</a>`),
  fc.tuple(nearMiss, fc.constantFrom('a', 'img')).map(([u, tag]) => (tag === 'a' ? `<a href="${u}">x</a>` : `<img src="${u}">`)),
  otherUrl.map((u) => `<a href="${u}">elsewhere</a>`),
);
const webmentionDoc: fc.Arbitrary<Doc> = fc
  .tuple(
    fc.constantFrom('', '<!doctype html><html><head><title>t</title></head><body>'),
    fc.array(
      fc.oneof(
        { arbitrary: neutral, weight: 4 },
        { arbitrary: wrapInBlock(notLinking), weight: 3 },
        { arbitrary: wrapInBlock(linking).map((l) => ({ real: l })), weight: 1 },
      ),
      { maxLength: 10 },
    ),
  )
  .map(([head, parts]) => {
    let html = head;
    let real = false;
    for (const part of parts) {
      if (typeof part === 'string') html += part;
      else {
        html += part.real;
        real = true;
      }
    }
    return { html, real };
  });

describe('findHtmlLink (Webmention): finds a link iff an element links to or embeds exactly the target', () => {
  it('over generated documents', () => {
    fc.assert(
      fc.property(webmentionDoc, ({ html, real }) => {
        expect(findHtmlLink(html, 'https://src.example/reply/', TARGET) !== null, html).toBe(real);
      }),
      { numRuns: RUNS.verify },
    );
  });

  it('never throws, for arbitrary strings and targets', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.oneof(fc.webUrl(), fc.string()), (html, target) => {
        const found = findHtmlLink(html, 'https://src.example/reply/', target);
        if (found) expect(found.at).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: RUNS.verify },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// canonicalKey

const segment = fc
  .oneof(
    fc.stringMatching(/^[a-z0-9][a-z0-9._~-]{0,8}$/),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).map((s) => encodeURIComponent(s)),
  )
  .filter((s) => !/^(\.|%2E)+$/i.test(s) && !/\.html?$/i.test(s) && s.toLowerCase() !== 'index');
const host = fc.oneof(fc.domain(), fc.constantFrom('bücher.example', 'xn--bcher-kva.example', '127.0.0.1', '[::1]'));

describe('canonicalKey', () => {
  it('never throws for any URL the URL parser accepts, and gives a string', () => {
    const anyUrl = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string({ unit: 'binary', maxLength: 40 }).map((s) => `http://h.example/${s}`),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc
        .tuple(fc.constantFrom('mailto:', 'data:', 'file://', 'blob:', 'about:', 'x:', 'urn:'), fc.string({ unit: 'binary', maxLength: 20 }))
        .map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(anyUrl, (value) => {
        if (!URL.canParse(value)) return;
        expect(typeof canonicalKey(value)).toBe('string');
        expect(typeof canonicalKey(new URL(value))).toBe('string');
      }),
      { numRuns: RUNS.canonical },
    );
  });

  it('is idempotent: the key of site + key is the key', () => {
    const path = fc
      .array(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 8 }),
          fc.constantFrom('index.html', 'index.htm', 'x.html', '.html', '', '/', '%2e', '%7E', '%2F', '%41', 'INDEX.HTML'),
        ),
        { maxLength: 5 },
      )
      .map((p) => p.join('/'));
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), path, (base, extra) => {
        const site = new URL(base).origin;
        for (const url of [base, `${site}/${extra}`]) {
          if (!URL.canParse(url)) continue;
          const key = canonicalKey(url);
          expect(key.startsWith('/'), `${url} → ${key}`).toBe(true);
          expect(canonicalKey(`${site}${key}`), `${url} → ${key}`).toBe(key);
        }
      }),
      { numRuns: RUNS.canonical },
    );
  });

  it('is the same for every equivalent form of a post URL', () => {
    fc.assert(
      fc.property(host, fc.array(segment, { minLength: 0, maxLength: 4 }), fc.webQueryParameters(), fc.webFragments(), (h, segments, query, fragment) => {
        const path = segments.join('/');
        const key = canonicalKey(`https://${h}/${path}`);
        const forms = [
          `https://${h}/${path}/`,
          `http://${h.toUpperCase()}/${path}`,
          `HTTPS://${h}:443/${path}${path ? '/' : ''}index.html`,
          `http://${h}:80/${path}${path ? '/' : ''}index.htm`,
          ...(path ? [`https://${h}/${path}.html`, `https://${h}/${path}//`] : []),
          `https://${h}/${path}?${query}#${fragment}`,
          `https://${h}/${path.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`,
        ];
        for (const form of forms) expect(canonicalKey(form), form).toBe(key);
        expect(key).toBe(path === '' ? '/' : `/${new URL(`https://x.example/${path}`).pathname.slice(1)}`);
      }),
      { numRuns: RUNS.canonical },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// canonicalSource

describe('canonicalSource', () => {
  const query = fc.array(
    fc.oneof(
      fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), fc.string({ unit: 'binary', maxLength: 6 })).map(([k, v]) => `${k}=${encodeURIComponent(v)}`),
      fc.constantFrom('utm_source=feed', 'UTM_MEDIUM=rss', 'fbclid=x', '', 'p=%7e', 'q=%2f', 'flag'),
    ),
    { maxLength: 5 },
  );

  it('is idempotent, and never throws for what the URL parser accepts', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.string({ unit: 'binary', maxLength: 12 }), (url, extra) => {
        for (const value of [url, `${url}${extra}`]) {
          if (!URL.canParse(value)) continue;
          const once = canonicalSource(value);
          expect(canonicalSource(once), `${value} → ${once}`).toBe(once);
        }
      }),
      { numRuns: RUNS.canonical },
    );
  });

  it('is the same for every spelling of one page, and keeps its other parameters', () => {
    fc.assert(
      fc.property(host, fc.array(segment, { maxLength: 3 }), query, fc.webFragments(), (h, segments, pairs, fragment) => {
        const path = `/${segments.join('/')}`;
        const kept = pairs.filter((p) => p !== '' && !/^(utm_|fbclid=)/i.test(p)).join('&');
        const identity = canonicalSource(`https://${h}${path}${kept ? `?${kept}` : ''}`);
        const dotted = /^[\d.]+$|^\[/.test(h) ? h : `${h}.`;
        const forms = [
          `https://${h.toUpperCase()}:443${path}?${pairs.join('&')}#${fragment}`,
          `https://${dotted}${path}?${[...pairs, 'utm_campaign=x'].join('&')}`,
          `https://${h}${path.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}${kept ? `?${kept}` : '?'}`,
        ];
        for (const form of forms) expect(canonicalSource(form), form).toBe(identity);
        expect(new URL(identity).search.slice(1).split('&').filter(Boolean)).toHaveLength(kept ? kept.split('&').length : 0);
      }),
      { numRuns: RUNS.canonical },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Counterexamples these properties found, kept as fixed cases

describe('regressions found by the properties', () => {
  it('canonicalKey settles until the key of its key is itself', () => {
    // Was "/index.html", whose own key is "/".
    expect(canonicalKey('http://a.aa/index.html/index.html')).toBe('/');
    expect(canonicalKey('https://b.example/posts/hello/index.html/')).toBe('/posts/hello');
    expect(canonicalKey('https://b.example/posts/hello.html/')).toBe('/posts/hello');
    expect(canonicalKey('https://b.example/posts/hello/index.html.html')).toBe('/posts/hello');
    // Dropping ".html" left the dot segment "/a/.", which a URL resolves away.
    expect(canonicalKey('https://b.example/a/..html')).toBe('/a');
    expect(canonicalKey('https://b.example/a/%2E%2Ehtml')).toBe('/a');
    for (const url of ['http://a.aa/index.html/index.html', 'https://b.example/a/..html', 'https://b.example/a/...html']) {
      const key = canonicalKey(url);
      expect(canonicalKey(`https://b.example${key}`), url).toBe(key);
    }
  });

  it.each([
    // The counterexample: node-html-parser read everything after <plaintext> as markup.
    `<plaintext><a href="${TARGET}">after plaintext</a>`,
    `<xmp><a href="${TARGET}">x</a></xmp>`,
    `<iframe><a href="${TARGET}">x</a></iframe>`,
    `<noembed><a href="${TARGET}">x</a></noembed>`,
    `<noframes><a href="${TARGET}">x</a></noframes>`,
    `<? <a href="${TARGET}">x</a> ?>`,
    `<!x <a href="${TARGET}">x</a>`,
    `</ <a href="${TARGET}">x</a>`,
  ])('verifySource finds no link in %s', (html) => {
    expect(verify(`<p>Reply</p>${html}`)).toBeNull();
  });

  it('verifySource finds a real link right after an empty comment "<!-->"', () => {
    // The counterexample: the tree read "<!-->" as opening a comment that ran to the last "-->".
    expect(verify(`<!--><a href="${TARGET}"></a><!--<a href="${TARGET}"></a>-->`)).not.toBeNull();
    expect(verify(`<p>Before <!--><a href="${TARGET}">the post</a> and after.<!-- x --></p>`)?.excerpt).toMatch(/^Before/);
  });

  it('verifySource still finds a real link after such text', () => {
    expect(verify(`<xmp><a href="${TARGET}">no</a></xmp><? x ><p><a href="${TARGET}">yes</a></p>`)?.excerpt).toBe('yes');
  });

  it('a dateTime in the years 0–99 keeps its year', () => {
    const reply = '<methodResponse><params><param><value><dateTime.iso8601>00500304T05:06:07</dateTime.iso8601></value></param></params></methodResponse>';
    // Was 1950-03-04: Date.UTC reads two-digit years as 19xx.
    expect(parseMethodResponse(reply)).toEqual({ kind: 'result', value: new Date('0050-03-04T05:06:07Z') });
    const zero = new Date('0000-01-01T00:00:00Z');
    expect(parseMethodResponse(writeMethodResponse(zero))).toEqual({ kind: 'result', value: zero });
  });
});
