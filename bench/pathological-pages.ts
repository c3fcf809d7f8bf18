/**
 * Source pages built to cost a receiver the most per byte, each as close to `size` bytes as its shape
 * allows and never over it, each with one real link to the target at the end, where every pass must read
 * the whole page to reach it. Shared by `test/hostile/pathological.test.ts` and `pnpm bench worst-page`.
 */
export interface PathologicalPage {
  name: string;
  html: string;
}

/** `unit` repeated to fill what `head` and `tail` leave of `size` bytes. */
function fill(size: number, head: string, unit: string, tail: string): string {
  const room = size - Buffer.byteLength(head) - Buffer.byteLength(tail);
  return head + unit.repeat(Math.max(0, Math.floor(room / Buffer.byteLength(unit)))) + tail;
}

/** A plain article of the same size: the baseline. */
export function plainPage(target: string, size: number): string {
  const link = `<p>I liked <a href="${target}">this post</a> a lot.</p></article></body></html>`;
  return fill(
    size,
    '<!doctype html><html lang="en"><head><title>Plain</title></head><body><article>',
    '<p>Some ordinary words in an ordinary paragraph of an ordinary post.</p>\n',
    link,
  );
}

export function pathologicalPages(target: string, size = 1024 * 1024): PathologicalPage[] {
  const link = `<a href="${target}">this post</a>`;
  const head = '<!doctype html><html><head><title>Worst</title></head><body>';
  const page = (name: string, unit: string, tail = link, prefix = head) => ({ name, html: fill(size, prefix, unit, tail) });
  const half = Math.floor(size / 2);
  return [
    page('unclosed inline elements', '<b>'),
    page('unclosed blocks', '<div>'),
    page('unclosed paragraphs and list items', '<p>x<li>y'),
    page('misnested formatting', '<b><i></b></i>'),
    page('stray end tags under deep nesting', '</span>', link, head + '<div>'.repeat(300)),
    { name: 'deep nesting, closed', html: `${head}${'<div>'.repeat(Math.floor((half - 100) / 5))}${link}${'</div>'.repeat(Math.floor((half - 100) / 6))}` },
    page('very wide markup', '<span></span>'),
    page('table soup', '<table><tr><td>'),
    page('svg content', '<g>', link, `${head}<svg>`),
    page('many attributes on one element', ' a=1', `>${link}`, `${head}<p`),
    page('many attributes on many elements', '<i a b c d e f g h j k l m n o q r s t u v w x y z></i>'),
    page('many links', '<a href="https://other.example/x">x</a>'),
    page('many h-card authors', '<p class="p-author h-card"><a class="u-url p-name" href="/a">A</a></p>', `<div class="h-entry">${link}</div>`),
    page('many rel=author links', '<a rel="author" href="/a">A</a>'),
    page('many empty addresses, nested', '<address>'),
    page('many empty addresses, side by side', '<div><address></address></div>'),
    page('a long attribute value', 'x', `">${link}`, `${head}<a title="`),
    page('a long class list', 'p-author ', `">x</div>${link}`, `${head}<div class="`),
    page('a huge comment', '-- ', ` -->${link}`, `${head}<!-- `),
    page('a huge script', 'if (a</b) { c(); } ', `</script>${link}`, `${head}<script>`),
    page('many comments', '<!---->'),
    page('many character references', '&amp;&#x41;&notin;'),
    page('a huge title', 'x ', `</title></head><body>${link}`, '<!doctype html><html><head><title>'),
    // Microformats, for the parser that reads them: every shape that made microformats-parser itself
    // superlinear when given a page as it is (it only ever sees the bounded input mf2Input makes).
    page('nested h-entries', '<div class="h-entry">'),
    page('nested e-content', '<div class="e-content">x ', link, `${head}<div class="h-entry">`),
    page('nested p-name with value classes', '<span class="p-name"><span class="value">x</span>', link, `${head}<div class="h-entry">`),
    page('a run of properties in one entry', '<span class="p-category">x</span>', `${link}</div>`, `${head}<div class="h-entry">`),
    page('many h-entries side by side', '<div class="h-entry"><p class="p-name">x</p><a class="u-url" href="/x">x</a></div>'),
    page('classic entry with rel=tag links', '<a rel="tag" href="/t/1">t</a>', `${link}</div>`, `${head}<div class="hentry">`),
    page(
      'includes of one large element',
      '<a class="include" href="#big"></a>',
      `${link}</div>`,
      `${head}<div id="big">${'word '.repeat(20_000)}</div><div class="vcard">`,
    ),
    page(
      'itemref naming one element many times',
      'big ',
      `">${link}</div>`,
      `${head}<div id="big">${'word '.repeat(20_000)}</div><div class="vcard" itemref="`,
    ),
    page('one link with many rel tokens', 'tag ', `">x</a>${link}</div>`, `${head}<div class="hentry"><a href="/x" rel="`),
  ];
}
