import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PageScan } from '../src/html/page-scan.ts';
import { pageScanSettings, scanPage } from '../src/html/page-scan.ts';
import { selectTargets } from '../src/site/links.ts';
import { siteMatcher } from '../src/site/site.ts';

// The build pass settles most links and most tags without the expensive step (a URL parse, a walk down the
// open elements): these properties hold it to what that step would have decided.

const site = siteMatcher('https://blog.example/', ['www.blog.example']);
const PAGE = 'https://blog.example/posts/hello/';

/** The rule of selectTargets for one href, straight from its documentation, with the URL parser deciding everything. */
function isTarget(href: string, base: string): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the URL parser's own trim, C0 controls included.
  const trimmed = href.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const url = URL.parse(trimmed, base);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return null;
  if (url.host === 'blog.example' || site.isOwn(url) || (url.pathname === '/' && url.search === '')) return null;
  return URL.canParse(trimmed) ? trimmed : url.href;
}

const hrefPart = fc.constantFrom(
  'http',
  'https',
  'HTTPS',
  'hTtp',
  'mailto',
  'javascript',
  'ftp',
  'c',
  'a1+.-',
  '1a',
  ':',
  '//',
  '/',
  '\\',
  '/\\',
  '\t',
  '\n',
  '\r',
  ' ',
  '\u0000',
  '?',
  '#',
  '@',
  'user:pw@',
  'other.example',
  'blog.example',
  'www.blog.example',
  'blog.example.',
  ':443',
  ':8080',
  '[::1]',
  'bücher.example',
  'post',
  '..',
  '%zz',
  '%2F',
  'x=1',
);
const href = fc.array(hrefPart, { maxLength: 8 }).map((parts) => parts.join(''));
const bases = fc.constantFrom(
  null,
  '/sub/dir/',
  'https://elsewhere.example/dir/',
  'http://blog.example/',
  'mailto:x@y',
  '//cdn.example/',
  ' https://blog.example/a ',
);

describe('selectTargets decides as the URL parser does', () => {
  it('for any href, against any <base>', () => {
    fc.assert(
      fc.property(href, bases, (h, baseHref) => {
        const base = (baseHref && URL.parse(baseHref.trim(), PAGE)?.href) || PAGE;
        const expected = isTarget(h, base);
        expect(selectTargets([h], { pageUrl: PAGE, baseHref, site })).toEqual(expected === null ? [] : [expected]);
      }),
      { numRuns: 5000 },
    );
  });

  it('for links with a tab or a newline anywhere, which the parser drops', () => {
    const link = fc.constantFrom(
      'https://other.example/post',
      'http://www.blog.example/x',
      '//cdn.example/p',
      '/about/',
      'mailto:me@x.example',
      'https:other.example/p',
    );
    fc.assert(
      fc.property(link, fc.nat(), fc.constantFrom('\t', '\n', '\r'), (l, at, c) => {
        const h = l.slice(0, at % (l.length + 1)) + c + l.slice(at % (l.length + 1));
        const expected = isTarget(h, PAGE);
        expect(selectTargets([h], { pageUrl: PAGE, site })).toEqual(expected === null ? [] : [expected]);
      }),
    );
  });

  it('for a page of hrefs, repeated ones included: each target once, as first written', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(href, fc.constantFrom('https://t.example/a#1', 'https://t.example/a', 'https://t.example/a#2')), { maxLength: 30 }),
        (hrefs) => {
          const seen = new Set<string>();
          const expected: string[] = [];
          for (const h of hrefs) {
            const target = isTarget(h, PAGE);
            if (target === null) continue;
            const key = new URL(target, PAGE).href.replace(/#.*$/, '');
            if (seen.has(key)) continue;
            seen.add(key);
            expected.push(target);
          }
          expect(selectTargets(hrefs, { pageUrl: PAGE, site })).toEqual(expected);
        },
      ),
    );
  });
});

/** What a scan found, without the offsets (which move when markup is inserted). */
/**
 * What a scan found, the content as the text its ranges cover (what the content hash is of), without the
 * `ignored` tags: a stray end tag between two ranges splits one into two, but the content is the same.
 */
function found(scan: PageScan, html: string, ignored = '') {
  let content = '';
  for (let i = 0; i < scan.contentRanges.length; i += 2) content += html.slice(scan.contentRanges[i], scan.contentRanges[i + 1]);
  return {
    links: scan.links,
    contentSelector: scan.contentSelector,
    title: scan.title,
    noindex: scan.noindex,
    optOut: scan.optOut,
    content: ignored ? content.replaceAll(ignored, '') : content,
  };
}

const token = fc.constantFrom(
  '<div>',
  '</div>',
  '<article>',
  '</article>',
  '<main>',
  '</main>',
  '<nav>',
  '</nav>',
  '<p>',
  '</p>',
  '<li>',
  '<td>',
  '<tr>',
  '<section class="e-content">',
  '<div class="post">',
  '</section>',
  '<template>',
  '</template>',
  '<svg>',
  '</svg>',
  '<a href="https://a.example/x">',
  '<a href="https://b.example/y">',
  '</a>',
  '<span data-no-pingback>',
  '</span>',
  'text ',
);
const doc = fc.array(token, { maxLength: 60 });
const settings = [
  pageScanSettings(),
  pageScanSettings('main .post, article > section, div div > a', 'nav a, div > span'),
  pageScanSettings(['article section.e-content', 'main > div > div', 'body']),
];

describe('scanPage: the open elements decide, not how deep they are or what stray end tags say', () => {
  it('end tags of elements that are not open change nothing', () => {
    fc.assert(
      fc.property(doc, fc.array(fc.nat(), { maxLength: 10 }), fc.constantFrom('</x-never>', '</h6>', '</table>'), (tokens, at, stray) => {
        const html = `<body>${tokens.join('')}`;
        const withStray: string[] = [...tokens];
        for (const i of at) withStray.splice(i % (withStray.length + 1), 0, stray);
        const strayed = `<body>${withStray.join('')}`;
        for (const s of settings) expect(found(scanPage(strayed, s), strayed, stray)).toEqual(found(scanPage(html, s), html));
      }),
    );
  });

  it('descendant selectors match at any depth, child selectors only next to their parent', () => {
    fc.assert(
      fc.property(fc.nat({ max: 300 }), (depth) => {
        const wrap = (inner: string) => `${'<span>'.repeat(depth)}${inner}${'</span>'.repeat(depth)}`;
        const html = `<body><main>${wrap('<div class="post"><a href="https://deep.example/x">x</a></div>')}</main><article>${wrap('<section><a href="https://child.example/y">y</a></section>')}</article>`;
        const scan = scanPage(html, pageScanSettings('main .post, article > section', null));
        expect(scan.links).toEqual(depth === 0 ? ['https://deep.example/x', 'https://child.example/y'] : ['https://deep.example/x']);
      }),
    );
  });
});
