import { describe, expect, it } from 'vitest';
import { PingbackOptionError } from '../src/errors.ts';
import { pageScanSettings, scanPage } from '../src/html/page-scan.ts';

const page = (body: string, head = '<title>T</title>') => `<!doctype html><html lang="en"><head>${head}</head><body>${body}</body></html>`;

describe('scanPage: where the content is', () => {
  it('takes .e-content over article over main over body', () => {
    const body =
      '<header><a href="https://h.example/x">h</a></header><main><a href="https://m.example/x">m</a>' +
      '<article><a href="https://a.example/x">a</a><div class="e-content"><a href="https://e.example/x">e</a></div></article></main>';
    const scan = scanPage(page(body));
    expect(scan.contentSelector).toBe('.e-content');
    expect(scan.links).toEqual(['https://e.example/x']);
    expect(scanPage(page(body.replace('class="e-content"', ''))).links).toEqual(['https://a.example/x', 'https://e.example/x']);
  });

  it('falls back to the body when nothing else matches', () => {
    const scan = scanPage(page('<p><a href="https://b.example/1">x</a></p>'));
    expect(scan.contentSelector).toBe('body');
    expect(scan.links).toEqual(['https://b.example/1']);
  });

  it('uses a selector list as a union and supports compound, descendant and child selectors', () => {
    const html = page(
      '<div id="post" class="post x"><section><p><a href="https://1.example/a">1</a></p></section><a href="https://2.example/a">2</a></div>' +
        '<aside data-role="refs"><a href="https://3.example/a">3</a></aside><div class="post"><a href="https://4.example/a">4</a></div>',
    );
    const links = (content: string) => scanPage(html, pageScanSettings(content)).links;
    expect(links('div#post.post')).toEqual(['https://1.example/a', 'https://2.example/a']);
    expect(links('#post > section')).toEqual(['https://1.example/a']);
    expect(links('#post > p')).toEqual([]);
    expect(links('body div.post')).toEqual(['https://1.example/a', 'https://2.example/a', 'https://4.example/a']);
    expect(links('[data-role=refs], #post section')).toEqual(['https://1.example/a', 'https://3.example/a']);
    expect(links('[data-role^=re]')).toEqual(['https://3.example/a']);
    expect(links('.missing')).toEqual([]);
    expect(scanPage(html, pageScanSettings('.missing')).contentSelector).toBe(null);
  });

  it('tries a tagless selector on elements without attributes when it tests none, and only on those with the attribute when it does', () => {
    const html = page(
      '<div><p><a href="https://1.example/a">1</a></p></div><span data-content><a href="https://2.example/a">2</a></span>' +
        '<span data-contents><a href="https://3.example/a">3</a></span><em data-CONTENT=""><a href="https://4.example/a">4</a></em>',
    );
    const links = (content: string) => scanPage(html, pageScanSettings(content)).links;
    // `<p>` has no attribute at all: a compound that tests none must still be tried on it.
    expect(links('div > *')).toEqual(['https://1.example/a']);
    expect(links('[data-content]')).toEqual(['https://2.example/a', 'https://4.example/a']);
    // The elements under a matched one share nothing with it for a child combinator.
    expect(links('div > p > a')).toEqual(['https://1.example/a']);
    expect(links('div > a')).toEqual([]);
  });

  it('never counts links in comments, scripts, styles, templates, noscript, nav or marked regions', () => {
    const body = `<article>
      <!-- <a href="https://comment.example/x">c</a> -->
      <script>document.write('<a href="https://script.example/x">s</a>')</script>
      <style>/* <a href="https://style.example/x"> */</style>
      <template><a href="https://template.example/x">t</a></template>
      <noscript><a href="https://noscript.example/x">n</a></noscript>
      <nav><a href="https://nav.example/x">n</a></nav>
      <p class="no-pingback"><a href="https://marked.example/x">m</a></p>
      <p data-no-pingback><a href="https://marked2.example/x">m</a></p>
      <p data-href="https://attr.example/x">https://text.example/x</p>
      <a href="https://real.example/x">real</a>
    </article>`;
    expect(scanPage(page(body)).links).toEqual(['https://real.example/x']);
  });

  it('keeps track of content through unclosed paragraphs and list items', () => {
    const body =
      '<article><p>one <a href="https://1.example/x">1</a><p>two<ul><li>a<li><a href="https://2.example/x">2</a></ul></article>' +
      '<footer><a href="https://footer.example/x">f</a></footer>';
    expect(scanPage(page(body)).links).toEqual(['https://1.example/x', 'https://2.example/x']);
  });

  it('treats "/>" as closing only in SVG and MathML', () => {
    const body =
      '<article><svg><path d="M0"/><a href="https://svg.example/x"/></svg><a href="https://after.example/x">a</a></article>' +
      '<div/><a href="https://outside.example/x">o</a>';
    expect(scanPage(page(body)).links).toEqual(['https://svg.example/x', 'https://after.example/x']);
  });

  it('names the option when a selector is bad', () => {
    expect(() => pageScanSettings('article >', null, 'pingback')).toThrow(PingbackOptionError);
    expect(() => pageScanSettings(['main', 'a[href'], null, 'pingback')).toThrow(/option `pingback.content\[1\]`/);
    expect(() => pageScanSettings('main', 'nav::before', 'pingback')).toThrow(/option `pingback.exclude`/);
  });
});

describe('scanPage: the head', () => {
  it('finds the end of the head for the link tag', () => {
    const html = page('<p>x</p>');
    const scan = scanPage(html);
    expect(scan.hasHeadEnd).toBe(true);
    expect(html.slice(scan.insertAt, scan.insertAt + 7)).toBe('</head>');
  });

  it('ignores a "</head>" inside a comment or script', () => {
    const html = '<html><head><script>"</head>"</script><!-- </head> --><title>x</title></head><body></body></html>';
    const scan = scanPage(html);
    expect(html.slice(scan.insertAt)).toMatch(/^<\/head><body>/);
  });

  it('falls back to before <body>, after <html>, or after the doctype', () => {
    expect(scanPage('<html><title>x</title><body>hi</body></html>').insertAt).toBe(22);
    expect(scanPage('<!doctype html><html lang=en><p>x').insertAt).toBe(29);
    expect(scanPage('<!doctype html>\n<p>x').insertAt).toBe(15);
    expect(scanPage('<p>x').insertAt).toBe(0);
  });

  it('reports an existing pingback link, its href and attribute order', () => {
    const scan = scanPage(page('', '<link rel="pingback" href="https://s.example/xmlrpc?a=1&amp;b=2">'));
    expect(scan.pingback).toMatchObject({ href: 'https://s.example/xmlrpc?a=1&b=2', relBeforeHref: true });
    expect(scanPage(page('', '<link href="https://s.example/xmlrpc" rel="stylesheet pingback">')).pingback?.relBeforeHref).toBe(false);
    expect(scanPage(page('', '<!-- <link rel="pingback" href="x"> -->')).pingback).toBe(null);
  });

  it('reads robots noindex, base and canonical', () => {
    const scan = scanPage(page('', '<meta name="Robots" content="NOINDEX, follow"><base href="/blog/"><link rel=canonical href="https://s.example/p/">'));
    expect(scan).toMatchObject({ noindex: true, baseHref: '/blog/', canonical: 'https://s.example/p/' });
    expect(scanPage(page('', '<meta name="robots" content="index, follow">')).noindex).toBe(false);
    expect(scanPage(page('', '<meta name="robots" content="none">')).noindex).toBe(true);
  });
});
